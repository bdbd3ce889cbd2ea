using System;
using System.Collections.Generic;
using System.Linq;
using SnnDsl.Nn;
using SnnDsl.Torch;
using SnnDsl.Training;
using FModule = SnnDsl.Nn.Module;
using FSpikingLayer = SnnDsl.Nn.SpikingLayer;
using TorchTensor = SnnDsl.Torch.Tensor;

namespace SnnDsl.CSharp;

/// <summary>The effective value squash(raw) of one learnable neuron parameter of one spiking layer.</summary>
/// <param name="Layer">The spiking layer, named as the training metrics name it, after what feeds it: "spike1 (after conv1)".</param>
/// <param name="Parameter">The neuron parameter, e.g. "threshold".</param>
/// <param name="Value">squash(raw), averaged over the layer for per-channel and per-neuron parameters.</param>
public sealed record NeuronParameterValue(string Layer, string Parameter, double Value);

/// <summary>A spiking layer of a network, as a snapshot.</summary>
/// <param name="Name">"spike&lt;k&gt; (&lt;module path&gt;)", as in the training metrics.</param>
/// <param name="Neuron">The neuron the layer runs.</param>
/// <param name="Channels">The channels (or features) of the layer.</param>
/// <param name="FiringRate">Mean spikes per neuron per step over the last evaluation (0 before any).</param>
public sealed record SpikingLayerInfo(string Name, Neuron Neuron, int Channels, double FiringRate);

/// <summary>
/// A spiking network mapping inputs [T, N, C, H, W] to outputs [T, N, classes]; its parameters live in
/// native memory: dispose it (<c>using var net = ...</c>). Build one with <see cref="NetworkBuilder"/> or
/// <see cref="Models.Create(string, Neuron, int, int, int, int, int?, string)"/>; train it with a
/// <see cref="Trainer"/>.
/// </summary>
public sealed class Network : IDisposable
{
    private FModule? _core;
    private readonly int[] _inputShape;

    internal Network(FModule core, NetworkSpec spec, Device device)
    {
        _core = core;
        Spec = spec;
        var (input, classes) = NetworkSpecModule.io(spec);
        _inputShape = input;
        Classes = classes;
        DeviceValue = device;
    }

    /// <summary>The architecture as data (what checkpoints store, so that <see cref="Load(string, string, NeuronBackend)"/> rebuilds it).</summary>
    internal NetworkSpec Spec { get; }

    internal FModule Core => _core ?? throw new ObjectDisposedException(nameof(Network), "this Network was disposed");

    internal Device DeviceValue { get; }

    /// <summary>The shape of one input sample, [C, H, W].</summary>
    public int[] InputShape => (int[])_inputShape.Clone();

    /// <summary>The number of output classes.</summary>
    public int Classes { get; }

    /// <summary>Where the parameters live: "cpu" or "cuda:N".</summary>
    public string Device => DeviceValue.ToString();

    /// <summary>True once the native memory has been released.</summary>
    public bool IsDisposed => _core is null;

    /// <summary>The number of trainable scalars.</summary>
    public long ParameterCount => Core.ParameterCount();

    /// <summary>Every parameter's name, by module path ("0.weight", "2.threshold", ...).</summary>
    public IReadOnlyList<string> ParameterNames => Core.NamedParameters().Select(p => p.Item1).ToArray();

    /// <summary>One line per module, indented by depth, e.g. "Conv2d(1->8, k=3, s=1, p=1)".</summary>
    public IReadOnlyList<string> Layers => Core.NamedModules()
        .Where(m => m.Item1 != "")
        .Select(m => new string(' ', 2 * (m.Item1.Count(c => c == '.'))) + m.Item1 + ": " + m.Item2.Describe())
        .ToArray();

    /// <summary>The values of one parameter (raw, row-major), copied out.</summary>
    /// <exception cref="ArgumentException">No parameter has that name; the message lists them.</exception>
    public float[] GetParameter(string name)
    {
        Guard.NotNull(name, nameof(name));
        var found = Core.NamedParameters().FirstOrDefault(p => p.Item1 == name);
        if (found is null)
            throw new ArgumentException(
                $"the network has no parameter '{name}'; parameters: {string.Join(", ", ParameterNames)}", nameof(name));
        using var scope = new TensorScope();
        using var _ = Autograd.noGrad();
        return found.Item2.To(DType.Float32, SnnDsl.Torch.Device.Cpu).ToArray<float>();
    }

    /// <summary>The spiking layers in forward order.</summary>
    public IReadOnlyList<SpikingLayerInfo> SpikingLayers => SpikingLayerList.Of(Core)
        .Select(l => new SpikingLayerInfo(l.Name, new Neuron(l.Layer.Neuron), l.Layer.Channels, l.Layer.FiringRate))
        .ToArray();

    /// <summary>The effective value of every learnable neuron parameter, per spiking layer.</summary>
    public IReadOnlyList<NeuronParameterValue> NeuronParameters() => SpikingLayerList.Of(Core)
        .SelectMany(l => l.Layer.EffectiveParameters().Select(p => new NeuronParameterValue(l.Name, p.Item1, p.Item2)))
        .ToArray();

    /// <summary>
    /// Runs the network in evaluation mode without gradients on <paramref name="input"/> [T, N, C, H, W]
    /// (float32) and returns the outputs [T, N, classes]; dispose the result.
    /// </summary>
    /// <exception cref="ArgumentException">The input's shape or element type does not fit the network.</exception>
    public Tensor Forward(Tensor input)
    {
        Guard.NotNull(input, nameof(input));
        var core = Core;
        var x = input.Core;
        CheckInput(x, nameof(input), 5);
        using var scope = new TensorScope();
        return new Tensor(scope.Keep(Inference(core, () => core.Forward(OnDevice(x)))));
    }

    /// <summary>
    /// The predicted class of each sample: <paramref name="images"/> [N, C, H, W] are encoded over
    /// <paramref name="timesteps"/> steps by <paramref name="encoding"/> (null: direct, the image at every
    /// step; give the encoding the network was trained with), or [T, N, C, H, W] frames are encoded step by
    /// step; the prediction is the arg-max of the outputs averaged over time. Training's input scale and
    /// shift are not applied here: pass inputs as the network saw them.
    /// </summary>
    /// <exception cref="ArgumentException">The input's shape or element type does not fit the network, or the
    /// encoding cannot encode it (latency and frames).</exception>
    public int[] Predict(Tensor images, int timesteps = 4, InputEncoding? encoding = null)
    {
        Guard.NotNull(images, nameof(images));
        Guard.Positive(timesteps, nameof(timesteps));
        var coding = (encoding ?? InputEncoding.Direct).Core;
        var core = Core;
        var x = images.Core;
        CheckInput(x, nameof(images), x.Dim == 4 ? 4 : 5);
        using var scope = new TensorScope();
        var outputs = Inference(core, () =>
        {
            var input = OnDevice(x);
            input = input.Dim == 4 ? SnnDsl.Nn.EncodingModule.steps(timesteps, coding, input)
                : SnnDsl.Nn.EncodingModule.frames(coding, input);
            return core.Forward(input);
        });
        return LossModule.prediction(outputs).Argmax(FSharpInterop.Some(1), null).To(SnnDsl.Torch.Device.Cpu)
            .ToArray<long>().Select(v => (int)v).ToArray();
    }

    private static TorchTensor Inference(FModule core, Func<TorchTensor> run)
    {
        var wasTraining = core.IsTraining;
        using var _ = Autograd.noGrad();
        core.Eval();
        try
        {
            return run();
        }
        finally
        {
            core.Train(wasTraining);
        }
    }

    private TorchTensor OnDevice(TorchTensor x) => x.Device.Equals(DeviceValue) ? x : x.To(DeviceValue);

    private void CheckInput(TorchTensor x, string argument, int rank)
    {
        var shape = x.Shape;
        var expected = (rank == 5 ? new[] { "T", "N" } : new[] { "N" }).Concat(_inputShape.Select(d => d.ToString()));
        var expectedText = "[" + string.Join(", ", expected) + "]";
        if (shape.Length != rank || !shape.Skip(rank - 3).SequenceEqual(_inputShape))
            throw new ArgumentException(
                $"expected an input of shape {expectedText}, got {ShapeText.Of(shape)}", argument);
        if (shape.Contains(0))
            throw new ArgumentException($"expected at least one step and one sample, got shape {ShapeText.Of(shape)}", argument);
        if (!x.DType.IsFloat32)
            throw new ArgumentException($"expected float32 input, got {x.DType.ToString().ToLowerInvariant()} (create it from a float[])", argument);
    }

    /// <summary>
    /// Saves the network to <paramref name="path"/>, atomically, in SnnDsl's checked tensor format: its
    /// architecture, its neurons' text, its parameters and buffers (BatchNorm statistics).
    /// <see cref="Load(string, string, NeuronBackend)"/> rebuilds it from the file alone.
    /// </summary>
    public void Save(string path)
    {
        Guard.NotNull(path, nameof(path));
        if (path.Trim().Length == 0) throw new ArgumentException("the path is empty", nameof(path));
        Checkpoint.saveModel(path, Spec, Core);
    }

    /// <summary>
    /// Rebuilds the network that <paramref name="path"/> (a file written by <see cref="Save"/> or a training
    /// checkpoint of <c>snn train</c> or <see cref="Trainer"/>) describes, from the file alone, and loads its
    /// parameters and buffers. Dispose it.
    /// </summary>
    /// <exception cref="SnnDsl.Core.SnnException">The file is missing, truncated, corrupt or does not describe a network (kind Data).</exception>
    public static Network Load(string path, string device = "cpu", NeuronBackend backend = NeuronBackend.Auto)
    {
        Guard.NotNull(path, nameof(path));
        if (path.Trim().Length == 0) throw new ArgumentException("the path is empty", nameof(path));
        var dev = Devices.Parse(device, nameof(device));
        var loaded = Checkpoint.loadNetwork(path, dev, backend.ToCore());
        return new Network(loaded.Item2, loaded.Item1, dev);
    }

    /// <summary>
    /// Loads the parameters and buffers that <paramref name="path"/> holds into this network, strictly: the
    /// file must hold exactly this network's parameters, with the same shapes and neurons.
    /// </summary>
    /// <exception cref="SnnDsl.Core.SnnException">The file is missing, corrupt or holds another structure; the message names the first mismatch (kind Data).</exception>
    public void LoadParameters(string path)
    {
        Guard.NotNull(path, nameof(path));
        if (path.Trim().Length == 0) throw new ArgumentException("the path is empty", nameof(path));
        Checkpoint.restore(path, Core, FSharpInterop.None<SnnDsl.Nn.Optimizer>());
    }

    /// <summary>Releases the parameters' and buffers' native memory; later calls do nothing.</summary>
    public void Dispose()
    {
        _core?.Dispose();
        _core = null;
    }

    /// <summary>A one-line summary.</summary>
    public override string ToString() =>
        _core is null ? "Network (disposed)" : $"Network {ShapeText.Of(_inputShape)} -> {Classes} classes, {ParameterCount:N0} parameters";
}

/// <summary>A model's spiking layers with the names training metrics use.</summary>
internal static class SpikingLayerList
{
    public static IEnumerable<(string Name, FSpikingLayer Layer)> Of(FModule model) =>
        SnnDsl.Training.Trainer.spikingLayers(model).Select(t => (t.Item1, t.Item2));
}
