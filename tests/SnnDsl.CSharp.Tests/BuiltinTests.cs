namespace SnnDsl.CSharp.Tests;

/// <summary>Built-ins by name and as properties, their descriptions and variations.</summary>
public class BuiltinTests
{
    [Fact]
    public void Every_builtin_is_a_property_and_found_by_name()
    {
        var properties = new[]
        {
            Neurons.IntegrateAndFire, Neurons.Lif, Neurons.LifSoft, Neurons.LeakyLif, Neurons.LeakyLifSoft,
            Neurons.Plif, Neurons.Alif, Neurons.DaLif, Neurons.ArLif,
        };
        Assert.Equal(new[] { "if", "lif", "lif-soft", "leaky-lif", "leaky-lif-soft", "plif", "alif", "da-lif", "ar-lif" }, Neurons.Names);
        Assert.Equal(properties, Neurons.All);
        foreach (var n in properties) Assert.Equal(n, Neurons.Find(n.Name.ToUpperInvariant()));
    }

    [Fact]
    public void An_unknown_name_lists_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Neurons.Find("lfi"));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("unknown neuron 'lfi'", e.Message);
        Assert.Contains("da-lif", e.Message);
        Assert.False(Neurons.TryFind("lfi", out var none));
        Assert.Null(none);
    }

    [Fact]
    public void Describe_gives_equations_parameters_and_states()
    {
        var text = Neurons.DaLif.Describe();
        Assert.Contains("H     = beta * V + alpha * X", text);
        Assert.Contains("alpha = tanh(alpha_raw), learnable", text);
        Assert.Contains("surrogate: rectangle(1)", text);
        Assert.Equal(new[] { "alpha", "beta", "threshold", "reset" }, Neurons.DaLif.Parameters.Select(p => p.Name));
        Assert.Equal("V", Assert.Single(Neurons.DaLif.States).Name);
        Assert.Equal(new[] { "V", "b" }, Neurons.Alif.States.Select(s => s.Name));
    }

    [Fact]
    public void WithParameter_and_WithSurrogate_make_new_neurons()
    {
        var slow = Neurons.Lif.WithParameter("tau", 4.0);
        Assert.Equal(4.0, slow.Parameters.Single(p => p.Name == "tau").InitialRaw);
        Assert.Equal(2.0, Neurons.Lif.Parameters.Single(p => p.Name == "tau").InitialRaw);
        var atan = Neurons.Lif.WithSurrogate(Surrogate.Parse("atan:3"));
        Assert.Equal(Surrogate.Atan(3.0), Assert.Single(atan.Surrogates));
        Assert.NotEqual(Neurons.Lif, atan);
        var e = Assert.Throws<ArgumentException>(() => Neurons.Lif.WithParameter("decay", 0.3));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("parameters: tau, threshold, reset", e.Message);
    }

    [Fact]
    public void Variants_of_plif_and_da_lif_take_their_initial_values()
    {
        Assert.Equal(-Math.Log(3.0), Neurons.PlifWith(4.0).Parameters.Single(p => p.Name == "w").InitialRaw, 12);
        var d = Neurons.DaLifWith(Squash.Sigmoid, 0.5);
        Assert.All(d.Parameters.Where(p => p.Learnable), p => Assert.Equal(Squash.Sigmoid, p.Squash));
        Assert.Throws<ArgumentOutOfRangeException>(() => Neurons.PlifWith(1.0));
    }

    [Fact]
    public void Surrogates_parse_and_differentiate()
    {
        Assert.Equal(new[] { "rectangle", "triangle", "sigmoid", "atan", "fast-sigmoid" }, Surrogate.Names);
        Assert.Equal("sigmoid(4)", Surrogate.Parse("sigmoid").ToString());
        Assert.Equal(1.0, Surrogate.Rectangle().Derivative(0.2));
        Assert.Equal(0.0, Surrogate.Rectangle().Derivative(0.7));
        Assert.Equal(1.0, Surrogate.Atan(2.0).Derivative(0.0));
        var e = Assert.Throws<ArgumentException>(() => Surrogate.Parse("relu"));
        Assert.Contains("valid surrogates: rectangle, triangle, sigmoid, atan, fast-sigmoid", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Surrogate.Sigmoid(-1));
    }
}
