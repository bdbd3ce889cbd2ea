using System.Collections.Generic;
using System.Linq;
using SnnDsl.Training;

namespace SnnDsl.CSharp;

/// <summary>What a <see cref="TrainingProgress"/> report is about.</summary>
public enum TrainingPhase
{
    /// <summary>A training batch finished.</summary>
    Training,
    /// <summary>A test batch finished (evaluation after an epoch, or <see cref="Trainer.Evaluate"/>).</summary>
    Evaluating,
    /// <summary>An epoch finished and was evaluated; <see cref="TrainingProgress.EpochResult"/> holds its metrics.</summary>
    EpochCompleted,
}

/// <summary>A progress report from training or evaluation.</summary>
/// <param name="Phase">What finished.</param>
/// <param name="Epoch">The epoch, 1-based (0 in a stand-alone evaluation).</param>
/// <param name="Epochs">The epochs of the run.</param>
/// <param name="Batch">The batch that finished, 1-based (0 for <see cref="TrainingPhase.EpochCompleted"/>).</param>
/// <param name="Batches">The batches of this phase.</param>
/// <param name="Loss">The batch's training loss (NaN while evaluating; the epoch's test loss at its end).</param>
/// <param name="Accuracy">The batch's training accuracy (NaN while evaluating; the epoch's test accuracy at its end).</param>
/// <param name="SamplesPerSecond">Training samples per second so far in this epoch (NaN while evaluating).</param>
/// <param name="EpochResult">The epoch's metrics, for <see cref="TrainingPhase.EpochCompleted"/>.</param>
public sealed record TrainingProgress(TrainingPhase Phase, int Epoch, int Epochs, int Batch, int Batches, double Loss,
    double Accuracy, double SamplesPerSecond, EpochResult? EpochResult);

/// <summary>The firing rate of one spiking layer.</summary>
/// <param name="Layer">The layer's name after what feeds it: "spike1 (after conv1)", "spike3 (after block1)", "spike5 (after fc1)".</param>
/// <param name="Rate">Mean spikes per neuron per time step on the test set.</param>
public sealed record LayerFiringRate(string Layer, double Rate);

/// <summary>Synaptic operations and energy per sample (4.6 pJ per MAC, 0.9 pJ per AC).</summary>
/// <param name="MacsPerSample">Multiply-accumulates of the first synaptic layer.</param>
/// <param name="AcsPerSample">Accumulates of the spike-driven layers.</param>
/// <param name="MilliJoules">Estimated energy per sample in millijoules.</param>
public sealed record EnergyEstimate(double MacsPerSample, double AcsPerSample, double MilliJoules)
{
    internal static EnergyEstimate Of(Energy e) => new(e.MacsPerSample, e.AcsPerSample, e.MilliJoules);
}

/// <summary>
/// The effective values of one learnable neuron parameter of one spiking layer: one value per channel (a per-layer
/// parameter has exactly one), never averaged away.
/// </summary>
/// <param name="Layer">The spiking layer, as in <see cref="LayerFiringRate.Layer"/>.</param>
/// <param name="Parameter">The parameter's name in the neuron definition.</param>
/// <param name="Values">squash(raw), per channel (a per-neuron parameter: the mean over each channel's positions).</param>
public sealed record NeuronParameterValues(string Layer, string Parameter, IReadOnlyList<double> Values)
{
    /// <summary>The mean over the channels (the value itself for a per-layer parameter).</summary>
    public double Mean => Values.Count == 0 ? double.NaN : Values.Average();

    /// <summary>The smallest channel's value.</summary>
    public double Min => Values.Count == 0 ? double.NaN : Values.Min();

    /// <summary>The largest channel's value.</summary>
    public double Max => Values.Count == 0 ? double.NaN : Values.Max();

    /// <summary>True when the parameter has one value per channel (or neuron) rather than one per layer.</summary>
    public bool IsPerChannel => Values.Count > 1;

    /// <summary>Equal when layer, parameter and every value are equal.</summary>
    public bool Equals(NeuronParameterValues? other) =>
        other is not null && Layer == other.Layer && Parameter == other.Parameter && Values.SequenceEqual(other.Values);

    /// <summary>A hash of layer, parameter and values.</summary>
    public override int GetHashCode()
    {
        var h = new System.HashCode();
        h.Add(Layer);
        h.Add(Parameter);
        foreach (var v in Values) h.Add(v);
        return h.ToHashCode();
    }
}

/// <summary>Results of a network on one data set (<see cref="Trainer.Evaluate"/>: the split it was given).</summary>
/// <param name="Loss">Mean loss.</param>
/// <param name="Accuracy">Fraction classified correctly.</param>
/// <param name="FiringRates">Per spiking layer, in forward order.</param>
/// <param name="NeuronParameters">The effective values of every learnable neuron parameter, per layer (one per channel).</param>
/// <param name="Energy">Operations and energy per sample.</param>
public sealed record EvaluationResult(double Loss, double Accuracy, IReadOnlyList<LayerFiringRate> FiringRates,
    IReadOnlyList<NeuronParameterValues> NeuronParameters, EnergyEstimate Energy)
{
    internal static EvaluationResult Of(Evaluation e) => new(e.Loss, e.Accuracy, Rates(e.FiringRates), Params(e.NeuronParams),
        EnergyEstimate.Of(e.Energy));

    internal static IReadOnlyList<LayerFiringRate> Rates(IEnumerable<System.Tuple<string, double>> rates) =>
        rates.Select(r => new LayerFiringRate(r.Item1, r.Item2)).ToArray();

    internal static IReadOnlyList<NeuronParameterValues> Params(
        IEnumerable<System.Tuple<string, Microsoft.FSharp.Collections.FSharpList<System.Tuple<string, ChannelValues>>>> layers) =>
        layers.SelectMany(l => l.Item2.Select(p => new NeuronParameterValues(l.Item1, p.Item1, p.Item2.Values.ToArray()))).ToArray();
}

/// <summary>The metrics of one epoch (one line of metrics.jsonl).</summary>
/// <param name="Epoch">1-based.</param>
/// <param name="TrainLoss">Mean training loss over the epoch.</param>
/// <param name="TrainAccuracy">Training accuracy over the epoch.</param>
/// <param name="TestLoss">Test loss after the epoch.</param>
/// <param name="TestAccuracy">Test accuracy after the epoch.</param>
/// <param name="Seconds">Training time of the epoch (evaluation excluded).</param>
/// <param name="LearningRate">The learning rate at the end of the epoch.</param>
/// <param name="FiringRates">Per spiking layer, on the test set.</param>
/// <param name="NeuronParameters">The effective values of every learnable neuron parameter, per layer (one per channel).</param>
/// <param name="Energy">Operations and energy per sample.</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy,
    double Seconds, double LearningRate, IReadOnlyList<LayerFiringRate> FiringRates,
    IReadOnlyList<NeuronParameterValues> NeuronParameters, EnergyEstimate Energy)
{
    internal static EpochResult Of(EpochMetrics m) => new(m.Epoch, m.TrainLoss, m.TrainAccuracy, m.TestLoss, m.TestAccuracy, m.Seconds,
        m.LearningRate, EvaluationResult.Rates(m.FiringRates), EvaluationResult.Params(m.NeuronParams), EnergyEstimate.Of(m.Energy));

    /// <summary>
    /// A warning for each spiking layer that was dead (fired under 0.01% of its steps) or saturated (99% or
    /// more) on the test set, naming it and what to try: the library's check, as <c>snn train</c> prints it.
    /// </summary>
    public IReadOnlyList<string> Warnings =>
        SnnDsl.Training.Firing.warnings("on the test set",
            Microsoft.FSharp.Collections.ListModule.OfSeq(FiringRates.Select(r => System.Tuple.Create(r.Layer, r.Rate)))).ToArray();
}

/// <summary>The result of a fit: one entry per epoch.</summary>
/// <param name="Epochs">Every epoch's metrics, in order.</param>
/// <param name="OutputDirectory">Where metrics.jsonl, batches.jsonl and checkpoint.snnt were written, or null when they were temporary.</param>
public sealed record TrainingResult(IReadOnlyList<EpochResult> Epochs, string? OutputDirectory)
{
    /// <summary>The last epoch's metrics.</summary>
    public EpochResult Final => Epochs[^1];

    /// <summary>The last epoch's test accuracy.</summary>
    public double TestAccuracy => Final.TestAccuracy;
}
