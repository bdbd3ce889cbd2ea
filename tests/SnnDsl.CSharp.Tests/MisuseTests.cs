namespace SnnDsl.CSharp.Tests;

/// <summary>Neuron definitions and datasets used wrongly: each a clear exception type and message.</summary>
public class MisuseTests
{
    [Fact]
    public void Null_arguments_name_the_parameter()
    {
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => NeuronBuilder.Create(null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => Neurons.Find(null!)).ParamName);
        Assert.Equal("surrogate", Assert.Throws<ArgumentNullException>(() => Neurons.Lif.WithSurrogate(null!)).ParamName);
        Assert.Equal("charge", Assert.Throws<ArgumentNullException>(() => NeuronBuilder.Create("n").Charge(null!)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentNullException>(() => Expr.V + (Expr)null!).ParamName);
        Assert.Equal("inputs", Assert.Throws<ArgumentNullException>(() => Neurons.Lif.Simulate((double[,])null!)).ParamName);
        Assert.Equal("definition", Assert.Throws<ArgumentNullException>(() => Neuron.FromFSharp(null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => Datasets.Load(null!)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentNullException>(() => new SpikingLayer(Neurons.Lif, 2).Forward(null!)).ParamName);
    }

    [Fact]
    public void Bad_names_and_numbers_are_argument_errors()
    {
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => NeuronBuilder.Create("my neuron")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => Expr.Param("X")).ParamName);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => Expr.Const(double.NaN)).ParamName);
        Assert.Equal("tau", Assert.Throws<ArgumentOutOfRangeException>(() => NeuronBuilder.Create("n").DecayInput(0.0)).ParamName);
        Assert.Equal("squash", Assert.Throws<ArgumentException>(() => NeuronBuilder.Create("n").Threshold(1.0, squash: Squash.Tanh)).ParamName);
        Assert.Equal("definition", Assert.Throws<ArgumentException>(() => Neuron.FromFSharp("lif")).ParamName);
        Assert.Equal("channels", Assert.Throws<ArgumentOutOfRangeException>(() => new SpikingLayer(Neurons.Lif, 0)).ParamName);
    }

    [Fact]
    public void A_builder_without_its_rules_says_what_is_missing()
    {
        var e = Assert.Throws<InvalidOperationException>(() => NeuronBuilder.Create("n").Leaky(0.5).Build());
        Assert.Contains("neuron 'n' needs a threshold", e.Message);
        Assert.Contains("a reset", e.Message);
        Assert.DoesNotContain("charge", e.Message);
    }

    [Fact]
    public void An_invalid_definition_lists_every_problem()
    {
        var e = Assert.Throws<InvalidNeuronException>(() =>
            NeuronBuilder.Create("bad")
                .Leaky(Expr.Param("decay"))
                .Threshold(Expr.Param("vth"))
                .State("b")
                .SoftReset()
                .Build());
        Assert.Equal("bad", e.NeuronName);
        Assert.Contains(e.Problems, p => p.Contains("unknown parameter 'decay'"));
        Assert.Contains(e.Problems, p => p.Contains("unknown parameter 'vth'"));
        Assert.Contains(e.Problems, p => p.Contains("state 'b' has no update"));
        Assert.Contains("neuron 'bad' is invalid", e.Message);
    }

    [Fact]
    public void A_parameter_declared_twice_is_invalid()
    {
        var e = Assert.Throws<InvalidNeuronException>(() =>
            NeuronBuilder.Create("twice").Leaky(0.5).Option("decay", 0.2).Threshold(1.0).SoftReset().Build());
        Assert.Contains(e.Problems, p => p.Contains("name 'decay' is defined 2 times"));
    }

    [Fact]
    public void A_program_without_V_or_output_is_invalid()
    {
        var e = Assert.Throws<InvalidNeuronException>(() =>
            NeuronProgramBuilder.Create("p").Bind("H", Expr.X).Output("Z").Build());
        Assert.Contains(e.Problems, p => p.Contains("state 'V'"));
        Assert.Contains(e.Problems, p => p.Contains("output 'Z' is not a binding"));
    }

    [Fact]
    public void Simulation_inputs_are_checked()
    {
        Assert.Contains("T, N >= 1", Assert.Throws<ArgumentException>(() => Neurons.Lif.Simulate(new double[0, 3])).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => Neurons.Lif.Simulate(new[] { 1.0, double.PositiveInfinity })).Message);
        var e = Assert.Throws<ArgumentException>(() => Neurons.Lif.Simulate(new[] { 1.0 }, new Dictionary<string, double> { ["tua"] = 3 }));
        Assert.Contains("no parameter 'tua'", e.Message);
    }

    [Fact]
    public void Datasets_by_name_with_clear_errors()
    {
        Assert.Equal(new[] { "synthetic", "mnist", "fashion-mnist", "cifar10", "cifar100", "nmnist", "cifar10-dvs", "dvs-gesture", "shd", "ssc" },
            Datasets.Names);
        var unknown = Assert.Throws<ArgumentException>(() => Datasets.Load("imagenet"));
        Assert.Equal("name", unknown.ParamName);
        Assert.Contains("valid datasets: synthetic, mnist", unknown.Message);
        Assert.Equal("dataDirectory", Assert.Throws<ArgumentException>(() => Datasets.Load("fashion-mnist")).ParamName);
        var missing = Assert.Throws<DatasetException>(() => Datasets.Load("fashion-mnist", "/nonexistent/data"));
        Assert.Contains("directory not found", missing.Message);
        var synthetic = Datasets.Load("Synthetic", options: new DatasetOptions { SyntheticTrainCount = 20, SyntheticTestCount = 10 });
        Assert.Equal(20, synthetic.Train.Count);
        Assert.Equal(new[] { 1, 28, 28 }, synthetic.Train.SampleShape);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i % 10), Enumerable.Range(0, 10).Select(synthetic.Test.GetLabel));
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => synthetic.Test.GetSample(10)).ParamName);
    }
}
