using System;
using System.Collections.Generic;
using System.Linq;
using SnnDsl.Nn;
using SnnDsl.Torch;
using FModule = SnnDsl.Nn.Module;
using FSpikingLayer = SnnDsl.Nn.SpikingLayer;

namespace SnnDsl.CSharp;

/// <summary>
/// Builds a sequential spiking network layer by layer, tracking the per-sample shape so that each layer's
/// input size follows from the previous one. Nothing native is allocated until <see cref="Build"/>.
/// Activations are time-first [T, N, ...]; stateless layers run on all steps at once.
/// </summary>
/// <example><code>
/// using var net = new NetworkBuilder(channels: 1, height: 28, width: 28)
///     .Conv2d(16, kernelSize: 3).BatchNorm2d().Spiking(neuron).AvgPool2d(2)
///     .Conv2d(32, kernelSize: 3).BatchNorm2d().Spiking(neuron).AvgPool2d(2)
///     .Flatten().Linear(10)
///     .Build(seed: 1);
/// </code></example>
public sealed class NetworkBuilder
{
    private readonly int[] _input;
    private int[] _shape;
    private readonly List<(string Name, LayerSpec Spec)> _layers = new();

    /// <summary>Starts a network for samples [channels, height, width].</summary>
    public NetworkBuilder(int channels, int height, int width)
    {
        _input = new[]
        {
            Guard.Positive(channels, nameof(channels)), Guard.Positive(height, nameof(height)), Guard.Positive(width, nameof(width)),
        };
        _shape = (int[])_input.Clone();
    }

    /// <summary>Starts a network for the samples of <paramref name="dataset"/> (static images [C, H, W]).</summary>
    public static NetworkBuilder For(Dataset dataset)
    {
        Guard.NotNull(dataset, nameof(dataset));
        var s = dataset.SampleShape;
        var chw = s.Length == 4 ? s.Skip(1).ToArray() : s;
        return new NetworkBuilder(chw[0], chw[1], chw[2]);
    }

    /// <summary>The per-sample shape after the layers added so far, e.g. [16, 14, 14] or [10].</summary>
    public int[] CurrentShape => (int[])_shape.Clone();

    /// <summary>The layers added so far.</summary>
    public IReadOnlyList<string> Layers => _layers.Select(l => l.Name).ToArray();

    private NetworkBuilder Add(string name, int[] output, LayerSpec spec)
    {
        _layers.Add((name, spec));
        _shape = output;
        return this;
    }

    private int[] Image(string layer)
    {
        if (_shape.Length != 3)
            throw new InvalidOperationException(
                $"{layer} needs a [C, H, W] input, but the network is at {ShapeText.Of(_shape)} here (after Flatten or Linear)");
        return _shape;
    }

    private static int Out(int size, int kernel, int stride, int padding, string layer)
    {
        var o = (size + 2 * padding - kernel) / stride + 1;
        if (size + 2 * padding < kernel || o < 1)
            throw new InvalidOperationException($"{layer}: an input of size {size} is too small for kernel {kernel} with padding {padding}");
        return o;
    }

    /// <summary>2-D convolution to <paramref name="outChannels"/> (Kaiming-normal weights; padding defaults to kernelSize / 2).</summary>
    public NetworkBuilder Conv2d(int outChannels, int kernelSize, int stride = 1, int? padding = null, bool bias = false)
    {
        Guard.Positive(outChannels, nameof(outChannels));
        Guard.Positive(kernelSize, nameof(kernelSize));
        Guard.Positive(stride, nameof(stride));
        var p = padding ?? kernelSize / 2;
        Guard.NotNegative(p, nameof(padding));
        var s = Image("Conv2d");
        var name = $"Conv2d({s[0]}->{outChannels}, k={kernelSize}, s={stride}, p={p})";
        var output = new[] { outChannels, Out(s[1], kernelSize, stride, p, name), Out(s[2], kernelSize, stride, p, name) };
        var cin = s[0];
        return Add(name, output, LayerSpec.NewConv2d(cin, outChannels, kernelSize, stride, p, bias));
    }

    /// <summary>Batch normalisation over the channels (or features), statistics over T x N x spatial.</summary>
    public NetworkBuilder BatchNorm2d(double momentum = 0.1, double eps = 1e-5)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1]");
        Guard.Positive(eps, nameof(eps));
        var c = _shape[0];
        return Add($"BatchNorm({c})", _shape, LayerSpec.NewBatchNorm(c, momentum, eps));
    }

    /// <summary>A spiking layer running <paramref name="neuron"/>; its learnable parameters become network parameters.</summary>
    public NetworkBuilder Spiking(Neuron neuron)
    {
        Guard.NotNull(neuron, nameof(neuron));
        var shape = _shape;
        var core = neuron.Core;
        return Add($"Spiking({neuron.Name}, {shape[0]})", shape, LayerSpec.NewSpiking(core, shape[0], (int[])shape.Clone()));
    }

    /// <summary>Average pooling (stride defaults to the kernel size).</summary>
    public NetworkBuilder AvgPool2d(int kernelSize, int? stride = null, int padding = 0) =>
        Pool("AvgPool2d", kernelSize, stride, padding, LayerSpec.NewAvgPool2d);

    /// <summary>Max pooling (stride defaults to the kernel size).</summary>
    public NetworkBuilder MaxPool2d(int kernelSize, int? stride = null, int padding = 0) =>
        Pool("MaxPool2d", kernelSize, stride, padding, LayerSpec.NewMaxPool2d);

    private NetworkBuilder Pool(string kind, int kernelSize, int? stride, int padding, Func<int, int, int, LayerSpec> create)
    {
        Guard.Positive(kernelSize, nameof(kernelSize));
        var st = Guard.Positive(stride ?? kernelSize, nameof(stride));
        Guard.NotNegative(padding, nameof(padding));
        if (2 * padding > kernelSize)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be at most half the kernel size");
        var s = Image(kind);
        var name = $"{kind}({kernelSize})";
        var output = new[] { s[0], Out(s[1], kernelSize, st, padding, name), Out(s[2], kernelSize, st, padding, name) };
        return Add(name, output, create(kernelSize, st, padding));
    }

    /// <summary>Adaptive average pooling to a fixed [height, width].</summary>
    public NetworkBuilder AdaptiveAvgPool2d(int height, int width)
    {
        Guard.Positive(height, nameof(height));
        Guard.Positive(width, nameof(width));
        var s = Image("AdaptiveAvgPool2d");
        return Add($"AdaptiveAvgPool2d({height}x{width})", new[] { s[0], height, width }, LayerSpec.NewAdaptiveAvgPool2d(height, width));
    }

    /// <summary>Flattens each sample to a vector of features.</summary>
    public NetworkBuilder Flatten()
    {
        var features = _shape.Aggregate(1, (a, d) => a * d);
        return Add("Flatten", new[] { features }, LayerSpec.Flatten);
    }

    /// <summary>A fully connected layer to <paramref name="outFeatures"/>; needs a flat input (call <see cref="Flatten"/> first).</summary>
    public NetworkBuilder Linear(int outFeatures, bool bias = true)
    {
        Guard.Positive(outFeatures, nameof(outFeatures));
        if (_shape.Length != 1)
            throw new InvalidOperationException($"Linear needs a flat input, but the network is at {ShapeText.Of(_shape)} here: call Flatten() first");
        var f = _shape[0];
        return Add($"Linear({f}->{outFeatures})", new[] { outFeatures }, LayerSpec.NewLinear(f, outFeatures, bias));
    }

    /// <summary>Dropout with probability <paramref name="p"/> in [0, 1), active in training only (a mask per step).</summary>
    public NetworkBuilder Dropout(double p)
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        return Add($"Dropout({p})", _shape, LayerSpec.NewDropout(p));
    }

    /// <summary>
    /// Creates the layers and their parameters. <paramref name="seed"/> seeds libtorch's generator first, so
    /// the initial weights are reproducible; <paramref name="device"/> is "cpu", "cuda" or "cuda:N".
    /// </summary>
    /// <exception cref="InvalidOperationException">No layers, or the network does not end in a flat output (Flatten, Linear).</exception>
    public Network Build(int? seed = null, string device = "cpu")
    {
        var dev = Devices.Parse(device, nameof(device));
        if (_layers.Count == 0) throw new InvalidOperationException("the network has no layers");
        if (_shape.Length != 1)
            throw new InvalidOperationException(
                $"the network must end with a flat output [classes] (Flatten, then Linear), but it ends at {ShapeText.Of(_shape)}");
        var spec = NetworkSpec.NewSequential((int[])_input.Clone(), _shape[0],
            Microsoft.FSharp.Collections.ListModule.OfSeq(_layers.Select(l => l.Spec)));
        return Construction.Create(seed, dev, spec);
    }
}

/// <summary>Creating networks from their specification, seeded and on a device.</summary>
internal static class Construction
{
    public static Network Create(int? seed, Device device, NetworkSpec spec)
    {
        if (seed is { } s) SnnDsl.Torch.Torch.manualSeed(unchecked((ulong)s));
        using var _ = FModule.CreateOn(device);
        return new Network(NetworkSpecModule.build(SnnDsl.Backends.Backend.Auto, spec), spec, device);
    }
}
