using System;
using System.Linq;
using SnnDsl.Training;
using FLoss = SnnDsl.Nn.Loss;
using FSchedule = SnnDsl.Nn.Schedule;

namespace SnnDsl.CSharp;

/// <summary>The training objective over outputs [T, N, classes].</summary>
public enum LossFunction
{
    /// <summary>Cross entropy of the output averaged over time ("ce").</summary>
    CrossEntropy,
    /// <summary>TET: (1 - lambda) mean_t CE(O_t, y) + lambda mean_t MSE(O_t, 1) ("tet").</summary>
    Tet,
    /// <summary>MSE between output spike counts and T x one-hot(y) ("mse").</summary>
    CountMse,
}

/// <summary>The optimiser.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with momentum.</summary>
    Sgd,
    /// <summary>Adam (betas 0.9, 0.999).</summary>
    Adam,
    /// <summary>Adam with decoupled weight decay.</summary>
    AdamW,
}

/// <summary>How the learning rate changes over the epochs.</summary>
public enum LearningRateSchedule
{
    /// <summary>Cosine decay to 0 over the run.</summary>
    Cosine,
    /// <summary>x0.1 every third of the run.</summary>
    Step,
    /// <summary>Constant.</summary>
    Constant,
}

/// <summary>
/// Training settings; the defaults are those of <c>snn train</c> (T = 4, 3 epochs, batch 32, SGD with lr 0.1
/// and momentum 0.9, cross entropy, cosine schedule, seed 1, every core).
/// </summary>
public sealed class TrainingOptions
{
    // The numeric defaults come from the CLI's, so the two cannot drift apart.
    private static readonly SnnDsl.Training.TrainConfig Cli = SnnDsl.Training.TrainConfigModule.defaults;

    /// <summary>Time steps T each static image is presented for (see <see cref="Encoding"/>).</summary>
    public int Timesteps { get; set; } = Cli.Timesteps;

    /// <summary>
    /// How the inputs reach the T steps (<c>--encode</c>): <see cref="InputEncoding.Direct"/> (the value at
    /// every step, the default), or spikes: <see cref="InputEncoding.Rate"/>, <see cref="InputEncoding.Latency"/>,
    /// <see cref="InputEncoding.Delta"/>.
    /// </summary>
    public InputEncoding Encoding { get; set; } = InputEncoding.Of(Cli.Encoding);

    /// <summary>Every input value is multiplied by this before it is encoded (<c>--input-scale</c>).</summary>
    public double InputScale { get; set; } = Cli.InputScale;

    /// <summary>Then this is added to every input value (<c>--input-shift</c>).</summary>
    public double InputShift { get; set; } = Cli.InputShift;

    /// <summary>Epochs per <see cref="Trainer.Fit(TrainTestData, IProgress{TrainingProgress}?, System.Threading.CancellationToken)"/>.</summary>
    public int Epochs { get; set; } = Cli.Epochs;

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; set; } = Cli.BatchSize;

    /// <summary>The peak learning rate.</summary>
    public double LearningRate { get; set; } = Cli.LearningRate;

    /// <summary>The optimiser.</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Sgd;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; set; } = Setting.optimizerText(Cli.Optimizer).Item2;

    /// <summary>L2 weight decay (decoupled for AdamW).</summary>
    public double WeightDecay { get; set; }

    /// <summary>The objective.</summary>
    public LossFunction Loss { get; set; } = LossFunction.CrossEntropy;

    /// <summary>TET's lambda.</summary>
    public double TetLambda { get; set; } = SnnDsl.Nn.LossModule.tetLambda;

    /// <summary>Label smoothing of the cross-entropy losses, in [0, 1).</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>The learning-rate schedule.</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Cosine;

    /// <summary>Epochs of linear warm-up (fractional allowed).</summary>
    public double WarmupEpochs { get; set; }

    /// <summary>Clip the gradient norm to this value; 0 disables clipping.</summary>
    public double ClipGradNorm { get; set; }

    /// <summary>Random crops and flips of training images; flip, roll, rotation and shear of event-camera frames.</summary>
    public bool Augment { get; set; }

    /// <summary>Use only this many training samples (evenly spaced); 0 uses all.</summary>
    public int LimitTrain { get; set; }

    /// <summary>Use only this many test samples (evenly spaced); 0 uses all.</summary>
    public int LimitTest { get; set; }

    /// <summary>Which interpreter runs the network's neurons while training and evaluating (<c>--backend</c>).</summary>
    public NeuronBackend Backend { get; set; } = NeuronBackend.Auto;

    /// <summary>Seed of the data order, the augmentation and the per-batch generator.</summary>
    public long Seed { get; set; } = Cli.Seed;

    /// <summary>libtorch threads; 0 uses every core.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Where <c>metrics.jsonl</c> and <c>checkpoint.snnt</c> are written (replaced at the start of each fit,
    /// continued by a trainer made with <see cref="Trainer.Resume"/>); null writes no file.
    /// </summary>
    public string? OutputDirectory { get; set; }

    /// <summary>Batches between mid-epoch checkpoints; 0 writes them only at the end of each epoch.</summary>
    public int CheckpointEvery { get; set; } = Cli.CheckpointEvery;

    /// <summary>Data-parallel training across processes (null: this process alone); see <see cref="DistributedOptions"/>.</summary>
    public DistributedOptions? Distributed { get; set; }

    /// <summary>A copy, so later changes to this object do not reach a trainer.</summary>
    public TrainingOptions Clone() => (TrainingOptions)MemberwiseClone();

    /// <summary>
    /// Checks every setting with the library's own validation (the one <c>snn train</c> and F# sessions use,
    /// so a setting refused there is refused here with the same message); the exception names the property.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message lists every problem.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "unknown optimizer");
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "unknown loss");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "unknown schedule");
        Distributed?.ToCore();
        var config = ToConfig(DataSource.NewInCode(""), null, null, SnnDsl.Torch.Device.Cpu);
        var problems = TrainConfigModule.problems(config);
        if (problems.IsEmpty) return;
        // The configuration's World is this object's Distributed; every other setting has the property's name.
        var setting = problems.Head.Setting == "World" ? nameof(Distributed) : problems.Head.Setting;
        throw new ArgumentOutOfRangeException(setting, string.Join("; ", problems.Select(p => p.Message)));
    }

    /// <summary>
    /// The library's typed configuration for a network trained on <paramref name="dataset"/> (the same record
    /// <c>snn train</c> builds from its flags): no name is made up: the data is <paramref name="dataset"/>, the
    /// model a zoo model or none (a network built in code, which the session's NetworkSpec describes), the
    /// neuron the first spiking layer's (null when it has none).
    /// </summary>
    internal TrainConfig ToConfig(DataSource dataset, Microsoft.FSharp.Core.FSharpOption<SnnDsl.Nn.ZooModel>? model,
        SnnDsl.Core.Neuron? neuron, SnnDsl.Torch.Device device)
    {
        var optimizer = Optimizer switch
        {
            OptimizerKind.Adam => SnnDsl.Nn.OptimizerKindModule.adam,
            OptimizerKind.AdamW => SnnDsl.Nn.OptimizerKindModule.adamW,
            _ => SnnDsl.Nn.OptimizerKindModule.sgd(Momentum),
        };
        var loss = Loss switch
        {
            LossFunction.Tet => FLoss.NewTet(TetLambda, SnnDsl.Nn.LossModule.tetPhi, LabelSmoothing),
            LossFunction.CountMse => FLoss.CountMse,
            _ => FLoss.NewMeanOutputCrossEntropy(LabelSmoothing),
        };
        var schedule = Schedule switch
        {
            LearningRateSchedule.Step => FSchedule.NewStep(Math.Max(1, Epochs / 3), 0.1),
            LearningRateSchedule.Constant => FSchedule.Constant,
            _ => FSchedule.NewCosine(0.0),
        };
        return new TrainConfig(
            dataset, "", model, neuron!, Timesteps, (Encoding ?? InputEncoding.Direct).Core, InputScale, InputShift, Epochs, BatchSize, LearningRate, optimizer, WeightDecay, loss, schedule,
            WarmupEpochs, ClipGradNorm, Augment, SnnDsl.Data.SplitBy.Number, 0, "", false, SnnDsl.Data.Cifar10DvsSplit.Paper,
            LimitTrain, LimitTest, Seed, device, Backend.ToCore(), Threads, CheckpointEvery, false,
            Distributed is null ? null : FSharpInterop.Some(Distributed.ToCore()),
            OutputDirectory is null ? FSharpInterop.None<string>() : FSharpInterop.Some(System.IO.Path.GetFullPath(OutputDirectory)));
    }

    /// <summary>The options a typed configuration (e.g. a checkpoint's) holds.</summary>
    internal static TrainingOptions FromConfig(TrainConfig c)
    {
        var (optimizer, momentum) = Setting.optimizerText(c.Optimizer).ToValueTuple();
        var (loss, lambda, smoothing) = Setting.lossText(c.Loss).ToValueTuple();
        return new TrainingOptions
        {
            Timesteps = c.Timesteps,
            Encoding = InputEncoding.Of(c.Encoding),
            InputScale = c.InputScale,
            InputShift = c.InputShift,
            Epochs = c.Epochs,
            BatchSize = c.BatchSize,
            LearningRate = c.LearningRate,
            Optimizer = optimizer switch { "adam" => OptimizerKind.Adam, "adamw" => OptimizerKind.AdamW, _ => OptimizerKind.Sgd },
            Momentum = optimizer == "sgd" ? momentum : Setting.optimizerText(Cli.Optimizer).Item2,
            WeightDecay = c.WeightDecay,
            Loss = loss switch { "tet" => LossFunction.Tet, "mse" => LossFunction.CountMse, _ => LossFunction.CrossEntropy },
            TetLambda = lambda,
            LabelSmoothing = smoothing,
            Schedule = c.Schedule.IsConstant ? LearningRateSchedule.Constant
                : c.Schedule.IsStep ? LearningRateSchedule.Step : LearningRateSchedule.Cosine,
            WarmupEpochs = c.WarmupEpochs,
            ClipGradNorm = c.ClipGradNorm,
            Augment = c.Augment,
            LimitTrain = c.LimitTrain,
            LimitTest = c.LimitTest,
            Backend = c.Backend.IsEager ? NeuronBackend.Eager : c.Backend.IsFused ? NeuronBackend.Fused : NeuronBackend.Auto,
            Seed = c.Seed,
            Threads = c.Threads,
            OutputDirectory = c.OutDir is null ? null : c.OutDir.Value,
            CheckpointEvery = c.CheckpointEvery,
        };
    }
}
