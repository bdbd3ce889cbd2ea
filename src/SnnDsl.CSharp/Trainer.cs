using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SnnDsl.Data;
using SnnDsl.Nn;
using SnnDsl.Training;
using FLoss = SnnDsl.Nn.Loss;
using FOptimizerKind = SnnDsl.Nn.OptimizerKind;
using FTrainer = SnnDsl.Training.Trainer;

namespace SnnDsl.CSharp;

/// <summary>
/// Trains and evaluates a <see cref="Network"/> with the F# training loop (learning-rate schedule, per-batch
/// seeding, metrics, checkpoints). Holds the optimiser's state in native memory: dispose it. It does not own
/// the network; keep the network alive (undisposed) while the trainer uses it.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly Network _network;
    private readonly TrainingOptions _options;
    private readonly object _gate = new();
    private Optimizer? _optimizer;
    private bool _busy;
    private bool _disposed;
    // Where the next Fit starts: a fresh run, or the position of the checkpoint this trainer resumes.
    private RunPosition _start = FTrainer.fresh;
    // The process group of a data-parallel run, joined when the trainer is made.
    private SnnDsl.Torch.ProcessGroup? _group;

    /// <summary>A trainer for <paramref name="network"/> with <paramref name="options"/> (copied; defaults when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The network was disposed.</exception>
    public Trainer(Network network, TrainingOptions? options = null)
    {
        _network = Guard.NotNull(network, nameof(network));
        _options = (options ?? new TrainingOptions()).Clone();
        var config = _options.ToConfig(DataSource.NewInCode(""), null, null, network.DeviceValue);
        _optimizer = new Optimizer(config.Optimizer, network.Core.Parameters(), config.LearningRate, FSharpInterop.Some(config.WeightDecay));
        if (config.World is { } world)
        {
            try
            {
                _group = SessionModule.joinWorld(world.Value, network.Core);
            }
            catch
            {
                ReleaseOptimizer();
                throw;
            }
        }
        foreach (var (_, m) in network.Core.NamedModules())
            if (m is SnnDsl.Nn.SpikingLayer layer) layer.Backend = _options.Backend.ToCore();
    }

    /// <summary>
    /// A trainer that continues the run of <paramref name="checkpointPath"/> exactly where it stopped: the
    /// options are the checkpoint's (its output directory is the checkpoint's folder, where later
    /// checkpoints and metrics go), the optimiser's state and the position (epoch, batch) are restored, and
    /// the next <see cref="Fit"/> on the same data trains the remaining batches and epochs. Load the network
    /// with <see cref="Network.Load(string, string, NeuronBackend)"/> from the same file.
    /// </summary>
    /// <exception cref="SnnDsl.Core.SnnException">The file is missing, corrupt, or does not fit the network (kind Data).</exception>
    public static Trainer Resume(Network network, string checkpointPath)
    {
        Guard.NotNull(network, nameof(network));
        Guard.NotNull(checkpointPath, nameof(checkpointPath));
        var (config, position) = Checkpoint.readHeader(checkpointPath).ToValueTuple();
        var options = TrainingOptions.FromConfig(config);
        options.OutputDirectory = Path.GetDirectoryName(Path.GetFullPath(checkpointPath));
        var trainer = new Trainer(network, options);
        try
        {
            Checkpoint.restore(checkpointPath, network.Core, FSharpInterop.Some(trainer._optimizer!));
            trainer._start = position;
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>The network being trained.</summary>
    public Network Network => _network;

    /// <summary>A copy of the options.</summary>
    public TrainingOptions Options => _options.Clone();

    /// <summary>
    /// Trains for <see cref="TrainingOptions.Epochs"/> epochs on <paramref name="data"/>.Train, evaluating on
    /// <paramref name="data"/>.Test after each, and reports every batch and epoch to <paramref name="progress"/>
    /// (on the training thread). Each call starts the schedule afresh; the optimiser's state carries over.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the network keeps the updates made so far.</exception>
    /// <exception cref="ArgumentException">The data does not fit the network (sample shape, classes) or is empty.</exception>
    /// <exception cref="InvalidOperationException">The trainer is already training, or the loss became non-finite.</exception>
    public TrainingResult Fit(TrainTestData data, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        CheckData(data, nameof(data));
        return Run(() =>
        {
            var start = _start;
            _start = FTrainer.fresh;
            var session = Session(data.Train, data.Test, _options);
            // The library's run-directory policy (rank 0 alone writes): a fresh start drops old metrics, a resumed one keeps the epochs before it.
            FTrainer.prepareOutput(session, start);
            var epochs = FTrainer.train(session, start, Observer(progress), cancellationToken);
            return new TrainingResult(epochs.Select(EpochResult.Of).ToArray(),
                _options.OutputDirectory is null ? null : Path.GetFullPath(_options.OutputDirectory));
        });
    }

    /// <summary>Trains on a separate long-running thread; see <see cref="Fit"/>.</summary>
    public Task<TrainingResult> FitAsync(TrainTestData data, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        CheckData(data, nameof(data));
        return Task.Factory.StartNew(() => Fit(data, progress, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Evaluates the network on <paramref name="test"/> (loss, accuracy, firing rates, neuron parameters,
    /// energy), reporting each batch to <paramref name="progress"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ArgumentException">The data does not fit the network or is empty.</exception>
    public EvaluationResult Evaluate(Dataset test, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Guard.NotNull(test, nameof(test));
        CheckSplit(test, nameof(test));
        return Run(() =>
        {
            var options = _options.Clone();
            options.OutputDirectory = null;
            var session = Session(test, test, options);
            return EvaluationResult.Of(FTrainer.evaluate(session, 0, Observer(progress), cancellationToken));
        });
    }

    private T Run<T>(Func<T> body)
    {
        lock (_gate)
        {
            Guard.NotDisposed(_disposed, this);
            if (_busy) throw new InvalidOperationException("this trainer is already training or evaluating");
            _busy = true;
        }
        try
        {
            _ = _network.Core; // ObjectDisposedException before any work when the network is gone
            SnnDsl.Torch.Torch.setThreads(_options.Threads > 0 ? _options.Threads : Environment.ProcessorCount);
            return body();
        }
        finally
        {
            lock (_gate)
            {
                _busy = false;
                // Dispose during a fit is deferred to here: the optimiser was in use.
                if (_disposed) ReleaseOptimizer();
            }
        }
    }

    private void CheckData(TrainTestData data, string argument)
    {
        Guard.NotNull(data, argument);
        Guard.NotNull(data.Train, argument);
        Guard.NotNull(data.Test, argument);
        CheckSplit(data.Train, argument);
        CheckSplit(data.Test, argument);
    }

    private void CheckSplit(Dataset split, string argument)
    {
        var expected = _network.InputShape;
        var shape = split.SampleShape;
        var image = shape.Length == 4 ? shape.Skip(1).ToArray() : shape;
        if (!image.SequenceEqual(expected))
            throw new ArgumentException(
                $"the network expects samples {ShapeText.Of(expected)}, but {split.Name} has samples {ShapeText.Of(shape)}", argument);
        if (split.Classes > _network.Classes)
            throw new ArgumentException(
                $"{split.Name} has {split.Classes} classes but the network has {_network.Classes} outputs", argument);
        if (split.Count == 0) throw new ArgumentException($"{split.Name} has no samples", argument);
    }

    private Session Session(Dataset train, Dataset test, TrainingOptions o)
    {
        var model = _network.Core;
        var device = _network.DeviceValue;
        var spec = _network.Spec;
        var neuron = SpikingLayerList.Of(model).Select(l => l.Layer.Neuron).FirstOrDefault();
        var zoo = spec.IsZoo ? FSharpInterop.Some(((NetworkSpec.Zoo)spec).model) : null;
        // Data loaded from the registry keeps its registry name; other data is named as it was passed in.
        var named = DataSourceModule.parse(train.Name.Split('/')[0]);
        var dataset = named.IsOk ? named.ResultValue : DataSource.NewInCode(train.Name);
        var config = o.ToConfig(dataset, zoo, neuron, device);
        // Session.Neuron only describes the run (its text goes into checkpoints); a network without spiking
        // layers has none, which the trainer allows.
        return SessionModule.ofNetwork(config, spec, model, _optimizer!, train.Core, test.Core,
            _group is null ? null : FSharpInterop.Some(_group));
    }

    private Microsoft.FSharp.Core.FSharpFunc<TrainEvent, Microsoft.FSharp.Core.Unit> Observer(IProgress<TrainingProgress>? progress)
    {
        var epochs = _options.Epochs;
        var evalBatches = 0;
        return FSharpInterop.Func<TrainEvent>(e =>
        {
            if (progress is null) return;
            switch (e)
            {
                case TrainEvent.BatchDone b:
                    progress.Report(new TrainingProgress(TrainingPhase.Training, b.epoch, epochs, b.index, b.batches, b.loss,
                        b.accuracy, b.samplesPerSecond, null));
                    break;
                case TrainEvent.Evaluating ev:
                    evalBatches = ev.batches;
                    break;
                case TrainEvent.EvalBatchDone eb:
                    progress.Report(new TrainingProgress(TrainingPhase.Evaluating, eb.epoch, eb.epoch == 0 ? 0 : epochs, eb.index + 1,
                        evalBatches, double.NaN, double.NaN, double.NaN, null));
                    break;
                case TrainEvent.EpochDone done:
                    var r = EpochResult.Of(done.Item);
                    progress.Report(new TrainingProgress(TrainingPhase.EpochCompleted, r.Epoch, epochs, 0, 0, r.TestLoss,
                        r.TestAccuracy, double.NaN, r));
                    break;
            }
        });
    }

    private void ReleaseOptimizer()
    {
        ((IDisposable?)_optimizer)?.Dispose();
        _optimizer = null;
        _group?.Dispose();
        _group = null;
    }

    /// <summary>Releases the optimiser's state (after the current fit, if one is running); later calls do nothing.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (!_busy) ReleaseOptimizer();
        }
    }
}
