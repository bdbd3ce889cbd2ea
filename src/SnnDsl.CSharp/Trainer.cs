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

    /// <summary>A trainer for <paramref name="network"/> with <paramref name="options"/> (copied; defaults when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the exception names it.</exception>
    /// <exception cref="ObjectDisposedException">The network was disposed.</exception>
    public Trainer(Network network, TrainingOptions? options = null)
    {
        _network = Guard.NotNull(network, nameof(network));
        _options = (options ?? new TrainingOptions()).Clone();
        _options.Validate();
        FOptimizerKind kind = _options.Optimizer switch
        {
            OptimizerKind.Adam => FOptimizerKind.NewAdam(0.9, 0.999, 1e-8),
            OptimizerKind.AdamW => FOptimizerKind.NewAdamW(0.9, 0.999, 1e-8),
            _ => FOptimizerKind.NewSgd(_options.Momentum, false),
        };
        _optimizer = new Optimizer(kind, network.Core.Parameters(), _options.LearningRate, FSharpInterop.Some(_options.WeightDecay));
        foreach (var (_, m) in network.Core.NamedModules())
            if (m is SnnDsl.Nn.SpikingLayer layer) layer.Backend = _options.Backend.ToCore();
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
            var keep = _options.OutputDirectory is not null;
            var outDir = keep ? Path.GetFullPath(_options.OutputDirectory!) : Directory.CreateTempSubdirectory("snndsl-fit-").FullName;
            try
            {
                Directory.CreateDirectory(outDir);
                var metrics = Path.Combine(outDir, SnnDsl.Training.Metrics.fileName);
                if (File.Exists(metrics)) File.Delete(metrics);
                var session = Session(data.Train, data.Test, outDir);
                var start = new RunPosition(0, 0, 0L, 0.0, 0L, 0L, 0.0);
                var epochs = FTrainer.train(session, start, Observer(progress), cancellationToken);
                return new TrainingResult(epochs.Select(EpochResult.Of).ToArray(), keep ? outDir : null);
            }
            finally
            {
                if (!keep) TryDelete(outDir);
            }
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
            var session = Session(test, test, Path.GetTempPath());
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
        catch (SessionModule.ConfigError e)
        {
            throw new InvalidOperationException(e.Data0, e);
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

    private Session Session(Dataset train, Dataset test, string outDir)
    {
        var o = _options;
        var model = _network.Core;
        var device = _network.DeviceValue;
        var shape = _network.InputShape;
        var spiking = SpikingLayerList.Of(model).Select(l => l.Layer.Neuron).FirstOrDefault();
        var config = new TrainConfig
        {
            Dataset = train.Name.Split('/')[0],
            DataDir = "",
            Model = "custom",
            Neuron = spiking?.Name ?? "",
            NeuronParams = Array.Empty<string>(),
            Surrogate = "",
            Timesteps = o.Timesteps,
            Epochs = o.Epochs,
            BatchSize = o.BatchSize,
            LearningRate = o.LearningRate,
            Optimizer = o.Optimizer.ToString().ToLowerInvariant(),
            Momentum = o.Momentum,
            WeightDecay = o.WeightDecay,
            Loss = o.Loss switch { LossFunction.Tet => "tet", LossFunction.CountMse => "mse", _ => "ce" },
            TetLambda = o.TetLambda,
            LabelSmoothing = o.LabelSmoothing,
            Schedule = o.Schedule.ToString().ToLowerInvariant(),
            WarmupEpochs = o.WarmupEpochs,
            ClipGradNorm = o.ClipGradNorm,
            Augment = o.Augment,
            SplitBy = "number",
            Resize = 0,
            CacheDir = "",
            NoCache = false,
            DataSplit = "paper",
            LimitTrain = o.LimitTrain,
            LimitTest = o.LimitTest,
            Seed = o.Seed,
            Device = device.ToString(),
            Threads = o.Threads,
            CheckpointEvery = o.CheckpointEvery,
            OutDir = outDir,
        };
        var loss = o.Loss switch
        {
            LossFunction.Tet => FLoss.NewTet(o.TetLambda, 1.0, o.LabelSmoothing),
            LossFunction.CountMse => FLoss.CountMse,
            _ => FLoss.NewMeanOutputCrossEntropy(o.LabelSmoothing),
        };
        var d = LoaderOptions.Default;
        var augmentation = !o.Augment ? FSharpInterop.None<Augmentation>()
            : !train.IsTemporal ? FSharpInterop.Some(Augmentation.Standard)
            : train.SampleShape[2] > 1 ? FSharpInterop.Some(Augmentation.Events)
            : FSharpInterop.None<Augmentation>();
        var trainLoader = new DataLoader(train.Core, new LoaderOptions(o.BatchSize, true, o.Seed, false, Limit(o.LimitTrain),
            augmentation, d.Prefetch, d.Workers, FSharpInterop.Some(device)));
        var testLoader = new DataLoader(test.Core, new LoaderOptions(o.BatchSize, false, 0L, false, Limit(o.LimitTest),
            FSharpInterop.None<Augmentation>(), d.Prefetch, d.Workers, FSharpInterop.Some(device)));
        var input = new InputSpec(shape[0], shape[1], shape[2], _network.Classes);
        // Session.Neuron only describes the run (its text goes into checkpoints); a network without spiking
        // layers has none, which the trainer allows.
        return new Session(config, spiking!, model, _optimizer!, loss, trainLoader, testLoader, input, device);
    }

    private static Microsoft.FSharp.Core.FSharpOption<int>? Limit(int limit) =>
        limit > 0 ? FSharpInterop.Some(limit) : FSharpInterop.None<int>();

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

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless; the training result is not.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void ReleaseOptimizer()
    {
        ((IDisposable?)_optimizer)?.Dispose();
        _optimizer = null;
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
