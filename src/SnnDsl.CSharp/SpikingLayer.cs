using System;
using System.Collections.Generic;
using System.Linq;
using SnnDsl.Torch;
using FSpikingLayer = SnnDsl.Nn.SpikingLayer;

namespace SnnDsl.CSharp;

/// <summary>
/// One layer of neurons running a DSL neuron over time, on its own (networks get theirs from
/// <see cref="NetworkBuilder.Spiking"/>). Its learnable neuron parameters live in native memory: dispose it.
/// State lives only inside a <see cref="Forward"/> call, so every input starts from the initial state.
/// </summary>
public sealed class SpikingLayer : IDisposable
{
    private FSpikingLayer? _core;
    private readonly int[]? _perNeuronShape;

    /// <summary>
    /// A layer of <paramref name="neuron"/> for inputs [T, N, channels, ...]. <paramref name="perNeuronShape"/>
    /// (the per-sample shape, e.g. [channels, H, W]) is needed only by neurons with per-neuron parameters;
    /// <paramref name="backend"/> chooses the interpreter.
    /// </summary>
    public SpikingLayer(Neuron neuron, int channels, int[]? perNeuronShape = null, NeuronBackend backend = NeuronBackend.Auto)
    {
        Guard.NotNull(neuron, nameof(neuron));
        Guard.Positive(channels, nameof(channels));
        if (perNeuronShape is not null && (perNeuronShape.Length == 0 || perNeuronShape.Any(d => d < 1)))
            throw new ArgumentException($"perNeuronShape must be a non-empty shape of positive sizes, got {ShapeText.Of(perNeuronShape)}", nameof(perNeuronShape));
        if (perNeuronShape is not null && perNeuronShape[0] != channels)
            throw new ArgumentException($"perNeuronShape {ShapeText.Of(perNeuronShape)} must start with the {channels} channels", nameof(perNeuronShape));
        var perNeuron = neuron.Parameters.FirstOrDefault(p => p.Learnable && p.Granularity == Granularity.PerNeuron);
        if (perNeuron is not null && perNeuronShape is null)
            throw new ArgumentException(
                $"neuron '{neuron.Name}' has the per-neuron parameter '{perNeuron.Name}': give the layer's per-sample shape", nameof(perNeuronShape));
        Neuron = neuron;
        Channels = channels;
        _perNeuronShape = perNeuronShape is null ? null : (int[])perNeuronShape.Clone();
        _core = new FSpikingLayer(neuron.Core, channels,
            _perNeuronShape is null ? FSharpInterop.None<int[]>() : FSharpInterop.Some(_perNeuronShape),
            FSharpInterop.Some(backend.ToCore()));
    }

    private FSpikingLayer Core => _core ?? throw new ObjectDisposedException(nameof(SpikingLayer), "this SpikingLayer was disposed");

    /// <summary>The neuron the layer runs.</summary>
    public Neuron Neuron { get; }

    /// <summary>The channels (features) of the layer.</summary>
    public int Channels { get; }

    /// <summary>True once the native memory has been released.</summary>
    public bool IsDisposed => _core is null;

    /// <summary>Mean spikes per neuron per step over the <see cref="Forward"/> calls so far.</summary>
    public double FiringRate => Core.FiringRate;

    /// <summary>The effective value squash(raw) of each learnable parameter (averaged when per channel or neuron).</summary>
    public IReadOnlyDictionary<string, double> EffectiveParameters() =>
        Core.EffectiveParameters().ToDictionary(p => p.Item1, p => p.Item2);

    /// <summary>The spikes [T, N, ...] for input currents [T, N, ...], without gradients; dispose the result.</summary>
    /// <exception cref="ArgumentException">The input has fewer than two dimensions or does not fit the layer's parameters.</exception>
    public Tensor Forward(Tensor input)
    {
        Guard.NotNull(input, nameof(input));
        var core = Core;
        var x = input.Core;
        var shape = x.Shape;
        if (shape.Length < 2)
            throw new ArgumentException($"expected an input [T, N, ...], got shape {ShapeText.Of(shape)}", nameof(input));
        var perChannel = Neuron.Parameters.Any(p => p.Learnable && p.Granularity == Granularity.PerChannel);
        if (perChannel && (shape.Length < 3 || shape[2] != Channels))
            throw new ArgumentException(
                $"expected an input [T, N, {Channels}, ...] (the layer has per-channel parameters), got shape {ShapeText.Of(shape)}", nameof(input));
        if (_perNeuronShape is not null && Neuron.Parameters.Any(p => p.Learnable && p.Granularity == Granularity.PerNeuron)
            && !shape.Skip(2).SequenceEqual(_perNeuronShape))
            throw new ArgumentException(
                $"expected an input [T, N, {string.Join(", ", _perNeuronShape)}], got shape {ShapeText.Of(shape)}", nameof(input));
        using var scope = new TensorScope();
        using var _ = Autograd.noGrad();
        return new Tensor(scope.Keep(core.Forward(x)));
    }

    /// <summary>Releases the native memory; later calls do nothing.</summary>
    public void Dispose()
    {
        _core?.Dispose();
        _core = null;
    }

    /// <summary>The layer as text, e.g. "Spiking(lif, 16)".</summary>
    public override string ToString() => $"Spiking({Neuron.Name}, {Channels})";
}
