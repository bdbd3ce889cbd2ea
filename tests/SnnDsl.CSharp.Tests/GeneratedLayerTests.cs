using System.Reflection;
using SnnDsl.CSharp.Generated;
using SnnDsl.CSharp.TestNeurons;

namespace SnnDsl.CSharp.Tests;

/// <summary>
/// The source generator gives this assembly a member for every public F# neuron it references: the built-ins
/// of SnnDsl.Core and the custom neurons of SnnDsl.CSharp.TestNeurons, with no hand-written wrapper.
/// </summary>
public class GeneratedLayerTests
{
    [Fact]
    public void Custom_FSharp_neurons_get_generated_members()
    {
        Assert.Equal(Neuron.FromFSharp(CustomNeurons.lifVth), GeneratedNeurons.LifVth);
        Assert.Equal("lif-vth", GeneratedNeurons.LifVth.Name);
        Assert.Equal("qif", GeneratedNeurons.Quadratic.Name);
        Assert.True(GeneratedNeurons.LifVth.Parameters.Single(p => p.Name == "vth").Learnable);
    }

    [Fact]
    public void Builtins_get_generated_members_with_their_plain_names()
    {
        Assert.Equal(Neurons.Lif, GeneratedNeurons.Lif);
        Assert.Equal(Neurons.IntegrateAndFire, GeneratedNeurons.IntegrateAndFire);
        Assert.Equal(Neurons.ArLif, GeneratedNeurons.ArLif);
        foreach (var builtin in Neurons.All) Assert.Contains(builtin, GeneratedNeurons.All);
    }

    [Fact]
    public void A_clashing_name_is_prefixed_with_its_module()
    {
        // Variants.lif reuses the name of Builtins.lif: the built-in keeps Lif, the other becomes VariantsLif.
        Assert.Equal("LIF with tau = 4", GeneratedNeurons.VariantsLif.Description);
        Assert.Equal(4.0, GeneratedNeurons.VariantsLif.Parameters.Single(p => p.Name == "tau").InitialRaw);
    }

    [Fact]
    public void Only_public_neurons_are_generated()
    {
        var names = typeof(GeneratedNeurons).GetProperties(BindingFlags.Public | BindingFlags.Static).Select(p => p.Name).ToArray();
        Assert.DoesNotContain("Hidden", names);
        // 9 built-ins, lifVth, quadratic and Variants.lif, plus All, plus LifSyn and LifRefractory from
        // examples/lif-syn.neuron and examples/lif-refractory.neuron.
        Assert.Equal(15, names.Length);
        Assert.Equal(12, GeneratedNeurons.All.Count);
    }

    [Fact]
    public void Generated_layer_factories_make_working_spiking_layers()
    {
        using var layer = SpikingLayers.LifVth(3);
        Assert.Equal("lif-vth", layer.Neuron.Name);
        using var x = Tensor.FromArray(Enumerable.Range(0, 2 * 4 * 3).Select(i => (float)(i % 5) * 0.6f).ToArray(), 2, 4, 3);
        using var s = layer.Forward(x);
        Assert.Equal(new[] { 2, 4, 3 }, s.Shape);
        Assert.All(s.ToFloatArray(), v => Assert.True(v == 0f || v == 1f));
        Assert.Contains(1f, s.ToFloatArray());
        // sigmoid(0) * 2 = 1: the threshold the F# definition starts from.
        Assert.Equal(0.5, layer.EffectiveParameters()["vth"], 6);
    }

    [Fact]
    public void Generated_builder_extensions_add_spiking_layers()
    {
        using var net = new NetworkBuilder(1, 8, 8)
            .Conv2d(2, kernelSize: 3).SpikingLifVth().AvgPool2d(2)
            .Conv2d(2, kernelSize: 3).SpikingDaLif()
            .Flatten().Linear(3)
            .Build(seed: 3);
        var layers = net.SpikingLayers;
        Assert.Equal(new[] { "lif-vth", "da-lif" }, layers.Select(l => l.Neuron.Name));
        Assert.Contains("1.vth", net.ParameterNames);
        Assert.Contains("4.alpha", net.ParameterNames);
    }
}
