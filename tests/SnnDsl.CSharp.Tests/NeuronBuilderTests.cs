using static SnnDsl.CSharp.Tests.Helpers;

namespace SnnDsl.CSharp.Tests;

/// <summary>Neurons built with the C# builder behave exactly as the F# built-ins they mirror.</summary>
public class NeuronBuilderTests
{
    private static readonly double[,] X = Inputs(steps: 40, neurons: 6);

    private static void SameDynamics(Neuron builtin, Neuron built)
    {
        Assert.Equal(builtin.Equations, built.Equations);
        Assert.Equal(builtin.Parameters, built.Parameters.Select(p => p with { Doc = builtin.Parameters.Single(b => b.Name == p.Name).Doc }));
        SameRun(builtin.Simulate(X), built.Simulate(X));
        SameRun(builtin.SimulateReference(X), built.SimulateReference(X));
        Assert.True(builtin.Simulate(X).SpikeCount > 0, "the inputs must make the neuron fire, or the comparison says little");
    }

    [Fact]
    public void Builder_lif_simulates_as_the_builtin_lif()
    {
        var lif = NeuronBuilder.Create("my-lif")
            .DecayInput(tau: 2.0, restPotential: Expr.Param("reset"))
            .Threshold(1.0)
            .HardReset(0.0)
            .Build();
        SameDynamics(Neurons.Lif, lif);
    }

    [Fact]
    public void Builder_leaky_lif_soft_simulates_as_the_builtin()
    {
        var n = NeuronBuilder.Create("my-leaky").Leaky(decay: 0.5).Threshold(1.0).SoftReset().Build();
        SameDynamics(Neurons.LeakyLifSoft, n);
    }

    [Fact]
    public void Builder_if_simulates_as_the_builtin_if()
    {
        var n = NeuronBuilder.Create("my-if").Integrate().Threshold(1.0).HardReset(0.0).Build();
        SameDynamics(Neurons.IntegrateAndFire, n);
    }

    [Fact]
    public void Builder_da_lif_with_learnable_squashed_decays_simulates_as_the_builtin()
    {
        var n = NeuronBuilder.Create("my-da-lif")
            .Learnable("alpha", 1.0, squash: Squash.Tanh)
            .Learnable("beta", 1.0, squash: Squash.Tanh)
            .DualAdaptive(Expr.Param("alpha"), Expr.Param("beta"))
            .Threshold(1.0)
            .HardReset(0.0)
            .Build();
        SameDynamics(Neurons.DaLif, n);
        Assert.Equal(Math.Tanh(1.0), n.Parameters[0].InitialEffective, 12);
    }

    [Fact]
    public void Builder_alif_with_an_extra_state_simulates_as_the_builtin()
    {
        var n = NeuronBuilder.Create("my-alif")
            .DecayInput(2.0)
            .Option("threshold", 1.0).Option("rho", 0.9).Option("scale", 1.8)
            .State("b")
            .AdaptiveThreshold(Expr.Param("threshold"), Expr.Param("scale"), Expr.State("b"))
            .SoftReset()
            .Update("b", Expr.Param("rho") * Expr.State("b") + (1.0 - Expr.Param("rho")) * Expr.Ref("S"))
            .Build();
        SameDynamics(Neurons.Alif, n);
    }

    [Fact]
    public void Builder_ar_lif_with_extra_bindings_simulates_as_the_builtin()
    {
        var x = Expr.X;
        var n = NeuronBuilder.Create("my-ar-lif")
            .Learnable("a", 0.0).Learnable("c", 1.0)
            .Leaky(decay: 0.5)
            .Option("threshold", 1.0)
            .State("M")
            .Threshold(Expr.Param("threshold") + Expr.Tanh(Expr.Param("a")) * Expr.Tanh(x))
            .Bind("g", Expr.Sigmoid(Expr.Param("c") * x))
            .Bind("M_t", Expr.Max(Expr.State("M"), 0.0) * Expr.Ref("g") + Expr.Min(Expr.State("M"), 0.0) * (1.0 - Expr.Ref("g"))
                         + (2.0 * Expr.Ref("S") - 1.0) * Expr.Sigmoid(x))
            .AdaptiveReset(Expr.Ref("theta") + Expr.Sigmoid(Expr.Ref("M_t")))
            .Update("M", Expr.Ref("M_t"))
            .Build();
        SameDynamics(Neurons.ArLif, n);
    }

    [Fact]
    public void Learnable_threshold_changes_the_spikes_when_its_raw_value_changes()
    {
        var n = LifVth();
        var p = n.Parameters.Single(q => q.Name == "threshold");
        Assert.True(p.Learnable);
        var low = n.Simulate(X, new Dictionary<string, double> { ["threshold"] = 0.5 });
        var high = n.Simulate(X, new Dictionary<string, double> { ["threshold"] = 2.0 });
        Assert.True(low.SpikeCount > high.SpikeCount, $"{low.SpikeCount} spikes at threshold 0.5, {high.SpikeCount} at 2");
    }

    [Fact]
    public void Gradients_reach_the_learnable_threshold_through_the_surrogate()
    {
        var r = LifVth().Simulate(X, withGradients: true);
        Assert.NotNull(r.ParameterGradients);
        // A higher threshold means fewer spikes: the surrogate gradient must say so.
        Assert.True(r.ParameterGradients!["threshold"] < 0, $"d(spikes)/d(threshold) = {r.ParameterGradients["threshold"]}");
        Assert.NotNull(r.InputGradients);
    }

    [Fact]
    public void Detached_reset_changes_gradients_but_not_values()
    {
        var plain = NeuronBuilder.Create("a").Leaky(decay: 0.5).Threshold(1.0, learnable: true).SoftReset().Build();
        var detached = NeuronBuilder.Create("a").Leaky(decay: 0.5).Threshold(1.0, learnable: true).SoftReset(detachSpike: true).Build();
        Assert.Contains("detach(S)", string.Join("\n", detached.Equations));
        var a = plain.Simulate(X, withGradients: true);
        var b = detached.Simulate(X, withGradients: true);
        SameRun(a, b);
        Assert.NotEqual(a.ParameterGradients!["threshold"], b.ParameterGradients!["threshold"]);
    }

    [Fact]
    public void Program_builder_writes_a_neuron_directly_as_its_step()
    {
        var qif = NeuronProgramBuilder.Create("qif")
            .Option("k", 0.1).Option("threshold", 1.0)
            .State("V")
            .Bind("H", Expr.V + Expr.Param("k") * Expr.V * Expr.V + Expr.X)
            .Bind("S", Expr.Spike(Surrogate.Rectangle(), Expr.Ref("H") - Expr.Param("threshold")))
            .Update("V", Expr.Ref("H") * (1.0 - Expr.Ref("S")))
            .Build();
        var fsharp = Neuron.FromFSharp(SnnDsl.CSharp.TestNeurons.CustomNeurons.quadratic);
        Assert.Equal(fsharp.Equations, qif.Equations);
        SameRun(fsharp.Simulate(X), qif.Simulate(X));
    }

    [Fact]
    public void Tensor_backend_agrees_with_the_reference_for_every_builtin()
    {
        foreach (var n in Neurons.All)
            SameRun(n.SimulateReference(X), n.Simulate(X), tolerance: 1e-9);
    }

    [Fact]
    public void Expressions_print_in_infix_and_compare_by_structure()
    {
        var e = Expr.Param("decay") * Expr.V + Expr.X;
        Assert.Equal("decay * V + X", e.ToString());
        Assert.Equal(e, Expr.Param("decay") * Expr.State("V") + Expr.X);
        Assert.NotEqual(e, Expr.Param("decay") * Expr.V - Expr.X);
        Assert.Equal("Θ(H - 2 * vth)", Expr.Spike(Surrogate.Atan(), Expr.Ref("H") - 2.0 * Expr.Param("vth")).ToString());
    }

    [Fact]
    public void Single_sequence_simulation_gives_traces()
    {
        var r = Neurons.Lif.Simulate(new[] { 0.9, 1.6, -0.4, 3.0 });
        Assert.Equal(4, r.Steps);
        Assert.Equal(1, r.Neurons);
        Assert.Equal(new[] { 0.0, 1.0, 0.0, 1.0 }, SimulationResult.Trace(r.Spikes));
        // H of step 1 is (0.9 - 0) / 2 below threshold, so it is V after step 1.
        Assert.Equal(0.45, SimulationResult.Trace(r.Membrane)[0], 12);
    }
}
