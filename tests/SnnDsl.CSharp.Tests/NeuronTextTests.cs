using SnnDsl.CSharp.Generated;

namespace SnnDsl.CSharp.Tests;

/// <summary>Neurons as text from C#: Parse, Load and ToText, syntax errors with their position, the typed
/// layer the generator makes of a .neuron file, and verification with the kit's laws.</summary>
public class NeuronTextTests
{
    [Fact]
    public void Every_builtin_printed_as_text_parses_back_to_the_same_neuron()
    {
        foreach (var n in Neurons.All) Assert.Equal(n, Neuron.Parse(n.ToText()));
    }

    [Fact]
    public void A_syntax_error_names_its_line_column_and_what_was_expected()
    {
        var e = Assert.Throws<NeuronSyntaxException>(() => Neuron.Parse("neuron x\nstate V = 0\nH = V + * X\n", "bad.neuron"));
        Assert.Equal((3, 9), (e.Line, e.Column));
        Assert.Equal("bad.neuron", e.Source);
        Assert.Equal("bad.neuron:3:9: expected an expression, found '*'", e.Message);
    }

    [Fact]
    public void Load_reads_a_file_and_names_a_missing_one()
    {
        var n = Neuron.Load(Helpers.Example("lif-syn.neuron"));
        Assert.Equal("lif-syn", n.Name);
        Assert.Equal(new[] { "I", "V" }, n.States.Select(s => s.Name));
        Assert.Contains("nope.neuron", Assert.Throws<FileNotFoundException>(() => Neuron.Load("nope.neuron")).Message);
    }

    [Fact]
    public void A_neuron_file_given_as_an_additional_file_becomes_a_typed_layer()
    {
        Assert.Equal(Neuron.Load(Helpers.Example("lif-syn.neuron")), GeneratedNeurons.LifSyn);
        Assert.Equal(0.7, GeneratedNeurons.LifSynWith(a: 0.7).Parameters.Single(p => p.Name == "a").InitialRaw);
        Assert.Equal(0.8, GeneratedNeurons.LifSynWith(vth: 2.0).Parameters.Single(p => p.Name == "a").InitialRaw);
        using var layer = SpikingLayers.LifSyn(3);
        Assert.Equal(1.0, layer.Vth, 12);
        using var x = Tensor.FromArray(Enumerable.Range(0, 4 * 2 * 3).Select(i => (float)(i % 4) * 0.5f).ToArray(), 4, 2, 3);
        using var s = layer.Forward(x);
        Assert.Equal(new[] { 4, 2, 3 }, s.Shape);
        Assert.Contains(1f, s.ToFloatArray());
        using var net = new NetworkBuilder(1, 6, 6).Conv2d(2, kernelSize: 3).SpikingLifSyn().Flatten().Linear(2).Build(seed: 1);
        Assert.Contains("1.vth", net.ParameterNames);
    }

    [Fact]
    public void Verify_runs_the_standard_laws_and_the_file_laws()
    {
        var report = GeneratedNeurons.LifSyn.Verify(cases: 10);
        Assert.True(report.AllHold, report.ToString());
        Assert.Contains(report.Laws, l => l.Law == "interpreters-agree");
        Assert.Contains(report.Laws, l => l.Law == "reset-lowers-V");
    }

    [Fact]
    public void A_broken_neuron_fails_its_law_with_a_counterexample_table()
    {
        var broken = Neuron.Load(Helpers.Example("lif-syn-broken.neuron"));
        var report = broken.Verify(cases: 50, only: new[] { "reset-lowers-V" });
        var law = Assert.Single(report.Laws);
        Assert.False(law.Passed);
        Assert.Contains("FAIL  reset-lowers-V: S = 1 implies V' < H fails at t = 1", law.Report);
        Assert.Contains("t  X  I_t  H  S  I'  V'", law.Report);
        Assert.Contains("replay with seed 1", law.Report);
    }

    [Fact]
    public void A_law_of_your_own_is_checked_with_its_precondition()
    {
        // With zero input from rest, a neuron with a positive threshold never fires.
        var silent = StepLaw.EveryStep("silent-at-rest", s => s["S"] == 0.0, when: s => s["vth"] > 0.0, inputMin: 0.0, inputMax: 0.0);
        var report = GeneratedNeurons.LifSyn.Verify(cases: 20, laws: new[] { silent }, only: new[] { "silent-at-rest" });
        // Random initial states can start above the threshold: the law is false, and the kit says where.
        Assert.False(report.AllHold);
        Assert.Contains("silent-at-rest does not hold at t = 1", report.ToString());
        Assert.Contains("no law 'no-such-law'", Assert.Throws<ArgumentException>(() => GeneratedNeurons.LifSyn.Verify(cases: 1, only: new[] { "no-such-law" })).Message);
    }
}

/// <summary>The neuron language from C#: comparisons, where, logic and powers as Expr methods and
/// operators; a .neuron file with where and a state domain as a generated layer; a law over earlier steps
/// written in the file's language.</summary>
public class LanguageTests
{
    [Fact]
    public void Comparisons_where_logic_and_powers_build_the_trees_the_text_form_reads()
    {
        var r = Expr.State("r");
        Assert.Equal("where(r == 0, X, 0)", Expr.Where(Expr.Eq(r, 0.0), Expr.X, 0.0).ToString());
        Assert.Equal("X < V and not V >= 1 or X != 0", ((Expr.X < Expr.V & !(Expr.V >= 1.0)) | Expr.Ne(Expr.X, 0.0)).ToString());
        Assert.Equal("V^2 + sqrt(X) - floor(X)", (Expr.Pow(Expr.V, 2.0) + Expr.Sqrt(Expr.X) - Expr.Floor(Expr.X)).ToString());
        Assert.Equal("min(max(X, -1), 1)", Expr.Clamp(Expr.X, -1.0, 1.0).ToString());
        Assert.Equal(Expr.Spike(Surrogate.Atan(2.0), Expr.V), Expr.Spike(Expr.V));
    }

    [Fact]
    public void The_refractory_LIF_file_is_a_typed_layer_and_its_trace_law_holds_written_in_the_file_language()
    {
        var n = Neuron.Load(Helpers.Example("lif-refractory.neuron"));
        Assert.Equal(n, GeneratedNeurons.LifRefractory);
        var gap = StepLaw.Written("law gap: S = 1 implies S[t-1] + S[t-2] + S[t-3] = 0");
        var report = n.Verify(cases: 30, laws: new[] { gap }, only: new[] { "gap", "r-in-domain", "no-two-spikes-within-3-steps" });
        Assert.True(report.AllHold, report.ToString());
        Assert.Equal(new[] { "r-in-domain", "no-two-spikes-within-3-steps", "gap" }, report.Laws.Select(l => l.Law));
        var tooLong = StepLaw.Written("law gap4: S = 1 implies S[t-4] = 0");
        var failed = n.Verify(cases: 30, laws: new[] { tooLong }, only: new[] { "gap4" });
        Assert.False(failed.AllHold);
        Assert.Contains("S[t-4] = 1", failed.ToString());
        Assert.Contains("unknown name 'Q'", Assert.Throws<ArgumentException>(() => n.Verify(cases: 1, laws: new[] { StepLaw.Written("law q: Q[t-1] = 0") })).Message);
        Assert.Throws<ArgumentException>(() => StepLaw.Written("S = 1"));
    }

    [Fact]
    public void The_program_builder_writes_the_refractory_LIF_with_where_a_domain_and_a_formula()
    {
        var r = Expr.State("r");
        var built = NeuronProgramBuilder.Create("lif-refractory")
            .WithDescription("LIF with an absolute refractory period: after a spike the membrane is held at 0 for 3 steps")
            .Option("beta", 0.9, "membrane decay").Option("vth", 1.0, "firing threshold").Option("tref", 3.0, "refractory steps after a spike")
            .State("V", 0.0, "membrane potential")
            .State("r", 0.0, "refractory steps left (0: the neuron integrates)").Domain("r", 0, 3, integer: true)
            .Bind("ready", Expr.Eq(r, 0.0))
            .Bind("H", Expr.Where(Expr.Ref("ready"), Expr.Param("beta") * Expr.V + Expr.X, 0.0))
            .Bind("S", Expr.Spike(Surrogate.Atan(2.0), Expr.Ref("H") - Expr.Param("vth")) * Expr.Ref("ready"))
            .Update("V", Expr.Ref("H") - Expr.Param("vth") * Expr.Ref("S"))
            .Update("r", Expr.Where(Expr.Ref("S"), Expr.Param("tref"), Expr.Max(r - 1.0, 0.0)))
            .Build();
        Assert.Equal(Neuron.Load(Helpers.Example("lif-refractory.neuron")), built);
        var izh = NeuronProgramBuilder.Create("u0").Option("b", 0.2).Option("c", -65.0)
            .State("V", Expr.Param("c")).State("u", Expr.Param("b") * Expr.Param("c"))
            .Bind("S", Expr.Spike(Expr.V)).Update("V", Expr.V).Update("u", Expr.State("u")).Build();
        Assert.Equal(new[] { -65.0, -13.0 }, izh.States.Select(s => s.Initial));
        Assert.Throws<ArgumentException>(() => NeuronProgramBuilder.Create("x").State("V").Domain("r", 0, 1));
    }
}

/// <summary>The builder's Bind before the charge: a value the charge reads is computed before H.</summary>
public class EarlyBindTests
{
    [Fact]
    public void A_binding_the_charge_reads_comes_before_H_and_matches_the_text_neuron()
    {
        var built = NeuronBuilder.Create("lif-syn")
            .Option("a", 0.8).Option("b", 0.9)
            .Learnable("vth", 1.0, granularity: Granularity.PerChannel)
            .State("I")
            .Bind("I_t", Expr.Param("a") * Expr.State("I") + Expr.X)
            .Charge(Expr.Param("b") * Expr.V + Expr.Ref("I_t"))
            .Threshold(Expr.Param("vth"))
            .Fire(Surrogate.Atan(2.0))
            .SoftReset()
            .Update("I", Expr.Ref("I_t"))
            .Build();
        Assert.StartsWith("I_t", built.Equations[0]);
        Assert.EndsWith("= a * I + X", built.Equations[0]);
        var x = new double[,] { { 0.5, 1.2 }, { 0.9, 0.3 }, { 1.5, 0.7 } };
        var text = GeneratedNeurons.LifSyn;
        Assert.Equal(text.SimulateReference(x).Spikes, built.SimulateReference(x).Spikes);
    }
}
