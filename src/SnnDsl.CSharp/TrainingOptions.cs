using System;
using System.Linq;
using SnnDsl.Training;
using System.Collections.Generic;
using System.Globalization;

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
/// and momentum 0.9, cross entropy, cosine schedule, seed 1, every core), except that no file is written
/// unless <see cref="OutputDirectory"/> is set. Every setting is a row of the library's one settings table
/// (<c>SnnDsl.Training.TrainSettings</c>, which <c>snn train</c> and checkpoints read too): the typed properties
/// below store their values under the row's name, and <see cref="Set(string, string)"/> reaches every row by
/// name, so a setting added to the table is usable from C# at once.
/// </summary>
public sealed class TrainingOptions
{
    // The settings a Trainer takes from its arguments (the network, its device, the data) rather than from
    // these options, the world, which Distributed gives, and --frames, the command line's other name of Timesteps.
    private static readonly HashSet<string> FromTrainer = new(StringComparer.Ordinal)
    {
        "Dataset", "DataDir", "Model", "Neuron", "NeuronFile", "NeuronText", "NeuronParams", "Surrogate", "Device",
        "WorldSize", "Rank", "Master", "SyncBn", "DistTimeout", "Frames",
    };

    // The values given, by the table's names; a setting not given has the table's default. The facade
    // writes no file unless asked, where snn train writes runs/default.
    private Dictionary<string, SettingValue> _given = new(StringComparer.Ordinal) { ["OutDir"] = SettingValue.NewText("") };

    private SettingValue Value(string name) =>
        _given.TryGetValue(name, out var v) ? v : TrainSettings.defaultOf(name).Value;

    private long Whole(string name) => Value(name) switch
    {
        SettingValue.Whole w => w.Item,
        SettingValue.Number x => (long)x.Item,
        var v => long.Parse(v.ToString(), CultureInfo.InvariantCulture),
    };

    private double Number(string name) => Value(name) switch
    {
        SettingValue.Number x => x.Item,
        SettingValue.Whole w => w.Item,
        var v => double.Parse(v.ToString(), CultureInfo.InvariantCulture),
    };

    private bool Switch(string name) => Value(name) is SettingValue.Switch { Item: true };

    private string Text(string name) => Value(name).ToString();

    private void Give(string name, SettingValue value) => _given[name] = value;

    /// <summary>Time steps T each static image is presented for (see <see cref="Encoding"/>).</summary>
    public int Timesteps { get => (int)Whole(nameof(Timesteps)); set => Give(nameof(Timesteps), SettingValue.NewWhole(value)); }

    /// <summary>
    /// How the inputs reach the T steps (<c>--encode</c>): <see cref="InputEncoding.Direct"/> (the value at
    /// every step, the default), or spikes: <see cref="InputEncoding.Rate"/>, <see cref="InputEncoding.Latency"/>,
    /// <see cref="InputEncoding.Delta"/>.
    /// </summary>
    public InputEncoding Encoding
    {
        get => InputEncoding.Parse(Text(nameof(Encoding)));
        set => Give(nameof(Encoding), SettingValue.NewText((value ?? InputEncoding.Direct).ToString()));
    }

    /// <summary>Every input value is multiplied by this before it is encoded (<c>--input-scale</c>).</summary>
    public double InputScale { get => Number(nameof(InputScale)); set => Give(nameof(InputScale), SettingValue.NewNumber(value)); }

    /// <summary>Then this is added to every input value (<c>--input-shift</c>).</summary>
    public double InputShift { get => Number(nameof(InputShift)); set => Give(nameof(InputShift), SettingValue.NewNumber(value)); }

    /// <summary>Epochs per <see cref="Trainer.Fit(TrainTestData, IProgress{TrainingProgress}?, System.Threading.CancellationToken)"/>.</summary>
    public int Epochs { get => (int)Whole(nameof(Epochs)); set => Give(nameof(Epochs), SettingValue.NewWhole(value)); }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get => (int)Whole(nameof(BatchSize)); set => Give(nameof(BatchSize), SettingValue.NewWhole(value)); }

    /// <summary>The peak learning rate.</summary>
    public double LearningRate { get => Number(nameof(LearningRate)); set => Give(nameof(LearningRate), SettingValue.NewNumber(value)); }

    /// <summary>The optimiser.</summary>
    public OptimizerKind Optimizer
    {
        get => Enum.Parse<OptimizerKind>(Text(nameof(Optimizer)), ignoreCase: true);
        set => Give(nameof(Optimizer), SettingValue.NewText(Defined(value, nameof(Optimizer)).ToString().ToLowerInvariant()));
    }

    /// <summary>SGD momentum.</summary>
    public double Momentum { get => Number(nameof(Momentum)); set => Give(nameof(Momentum), SettingValue.NewNumber(value)); }

    /// <summary>L2 weight decay (decoupled for AdamW).</summary>
    public double WeightDecay { get => Number(nameof(WeightDecay)); set => Give(nameof(WeightDecay), SettingValue.NewNumber(value)); }

    /// <summary>The objective.</summary>
    public LossFunction Loss
    {
        get => Text(nameof(Loss)).Trim().ToLowerInvariant() switch
        {
            "ce" => LossFunction.CrossEntropy,
            "tet" => LossFunction.Tet,
            "mse" => LossFunction.CountMse,
            var other => throw new InvalidOperationException($"the loss '{other}' is none of ce, tet, mse; Validate names the problem"),
        };
        set => Give(nameof(Loss), SettingValue.NewText(Defined(value, nameof(Loss)) switch
        {
            LossFunction.Tet => "tet",
            LossFunction.CountMse => "mse",
            _ => "ce",
        }));
    }

    /// <summary>TET's lambda.</summary>
    public double TetLambda { get => Number(nameof(TetLambda)); set => Give(nameof(TetLambda), SettingValue.NewNumber(value)); }

    /// <summary>Label smoothing of the cross-entropy losses, in [0, 1).</summary>
    public double LabelSmoothing { get => Number(nameof(LabelSmoothing)); set => Give(nameof(LabelSmoothing), SettingValue.NewNumber(value)); }

    /// <summary>
    /// The learning-rate schedule (a checkpoint's <c>step:&lt;epochs&gt;:&lt;gamma&gt;</c> reads as
    /// <see cref="LearningRateSchedule.Step"/> and keeps its numbers until this is set).
    /// </summary>
    public LearningRateSchedule Schedule
    {
        get => Enum.Parse<LearningRateSchedule>(Text(nameof(Schedule)).Split(':')[0], ignoreCase: true);
        set => Give(nameof(Schedule), SettingValue.NewText(Defined(value, nameof(Schedule)).ToString().ToLowerInvariant()));
    }

    /// <summary>Epochs of linear warm-up (fractional allowed).</summary>
    public double WarmupEpochs { get => Number(nameof(WarmupEpochs)); set => Give(nameof(WarmupEpochs), SettingValue.NewNumber(value)); }

    /// <summary>Clip the gradient norm to this value; 0 disables clipping.</summary>
    public double ClipGradNorm { get => Number(nameof(ClipGradNorm)); set => Give(nameof(ClipGradNorm), SettingValue.NewNumber(value)); }

    /// <summary>Random crops and flips of training images; flip, roll, rotation and shear of event-camera frames.</summary>
    public bool Augment { get => Switch(nameof(Augment)); set => Give(nameof(Augment), SettingValue.NewSwitch(value)); }

    /// <summary>Use only this many training samples (evenly spaced); 0 uses all.</summary>
    public int LimitTrain { get => (int)Whole(nameof(LimitTrain)); set => Give(nameof(LimitTrain), SettingValue.NewWhole(value)); }

    /// <summary>Use only this many test samples (evenly spaced); 0 uses all.</summary>
    public int LimitTest { get => (int)Whole(nameof(LimitTest)); set => Give(nameof(LimitTest), SettingValue.NewWhole(value)); }

    /// <summary>Which interpreter runs the network's neurons while training and evaluating (<c>--backend</c>).</summary>
    public NeuronBackend Backend
    {
        get => Enum.Parse<NeuronBackend>(Text(nameof(Backend)), ignoreCase: true);
        set => Give(nameof(Backend), SettingValue.NewText(Defined(value, nameof(Backend)).ToString().ToLowerInvariant()));
    }

    /// <summary>Seed of the data order, the augmentation and the per-batch generator.</summary>
    public long Seed { get => Whole(nameof(Seed)); set => Give(nameof(Seed), SettingValue.NewWhole(value)); }

    /// <summary>libtorch threads; 0 uses every core.</summary>
    public int Threads { get => (int)Whole(nameof(Threads)); set => Give(nameof(Threads), SettingValue.NewWhole(value)); }

    /// <summary>
    /// Where <c>metrics.jsonl</c> and <c>checkpoint.snnt</c> are written (replaced at the start of each fit,
    /// continued by a trainer made with <see cref="Trainer.Resume"/>); null writes no file. The table's name
    /// of this setting is <c>OutDir</c> (<c>snn train --out</c>).
    /// </summary>
    public string? OutputDirectory
    {
        get => Text("OutDir") is { Length: > 0 } dir ? dir : null;
        set => Give("OutDir", SettingValue.NewText(value ?? ""));
    }

    /// <summary>Batches between mid-epoch checkpoints; 0 writes them only at the end of each epoch.</summary>
    public int CheckpointEvery { get => (int)Whole(nameof(CheckpointEvery)); set => Give(nameof(CheckpointEvery), SettingValue.NewWhole(value)); }

    /// <summary>Data-parallel training across processes (null: this process alone); see <see cref="DistributedOptions"/>.</summary>
    public DistributedOptions? Distributed { get; set; }

    /// <summary>
    /// The names of the settings <see cref="Set(string, string)"/> takes: every row of the library's settings
    /// table but those a <see cref="Trainer"/> takes from its arguments (data, model, neuron, device) and the
    /// world (<see cref="Distributed"/>).
    /// </summary>
    public static IReadOnlyList<string> SettingNames { get; } =
        TrainSettings.names.Where(n => !FromTrainer.Contains(n)).ToArray();

    /// <summary>
    /// Sets a setting by its name in the settings table, from its text as <c>snn train</c> reads it, e.g.
    /// <c>Set("SplitBy", "time")</c> or <c>Set("Epochs", "10")</c>; returns this object.
    /// </summary>
    /// <exception cref="ArgumentException">No setting of <see cref="SettingNames"/> has the name, or the text does not read as its kind.</exception>
    public TrainingOptions Set(string setting, string value)
    {
        var read = TrainSettings.ofText(Row(setting).Kind, value);
        if (read.IsError) throw new ArgumentException($"{setting}: {read.ErrorValue}", nameof(value));
        Give(setting, read.ResultValue);
        return this;
    }

    /// <summary>A setting's value as <c>snn train</c> writes it (the default when it was not set), e.g. <c>Get("Schedule")</c>.</summary>
    /// <exception cref="ArgumentException">No setting of <see cref="SettingNames"/> has the name.</exception>
    public string Get(string setting)
    {
        Row(setting);
        return Text(setting);
    }

    // The table's row of a setting these options take (see SettingNames); the exception lists them.
    private static TrainSetting Row(string setting)
    {
        Guard.NotNull(setting, nameof(setting));
        var row = TrainSettings.tryFind(setting);
        if (row is null || FromTrainer.Contains(setting))
            throw new ArgumentException(
                $"no setting of TrainingOptions is called '{setting}'; the settings: {string.Join(", ", SettingNames)}", nameof(setting));
        return row.Value;
    }

    /// <summary>A copy, so later changes to this object do not reach a trainer.</summary>
    public TrainingOptions Clone()
    {
        var copy = (TrainingOptions)MemberwiseClone();
        copy._given = new Dictionary<string, SettingValue>(_given, StringComparer.Ordinal);
        return copy;
    }

    /// <summary>
    /// Checks every setting with the library's own validation (the one <c>snn train</c> and F# sessions use,
    /// so a setting refused there is refused here with the same message); the exception names the property.
    /// </summary>
    /// <exception cref="ArgumentException">A setting's value does not read (e.g. a master that is not HOST:PORT).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message lists every problem.</exception>
    public void Validate() => ToConfig(DataSource.NewInCode(""), null, null, SnnDsl.Torch.Device.Cpu);

    private static T Defined<T>(T value, string property) where T : struct, Enum =>
        Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(property, value, $"unknown {property}");

    /// <summary>
    /// The library's typed configuration for a network trained on <paramref name="dataset"/> (built by the
    /// same table <c>snn train</c> reads its flags with, through <c>TrainConfig.ofProgram</c>): the data is
    /// <paramref name="dataset"/>, the model a zoo model or none (a network built in code, which the
    /// session's NetworkSpec describes), the neuron the first spiking layer's (null when it has none).
    /// </summary>
    /// <exception cref="ArgumentException">A setting's value does not read; the exception names the property.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is refused; the exception names the property and lists every problem.</exception>
    internal TrainConfig ToConfig(DataSource dataset, Microsoft.FSharp.Core.FSharpOption<SnnDsl.Nn.ZooModel>? model,
        SnnDsl.Core.Neuron? neuron, SnnDsl.Torch.Device device)
    {
        var given = new Dictionary<string, SettingValue>(_given, StringComparer.Ordinal);
        if (OutputDirectory is { } dir) given["OutDir"] = SettingValue.NewText(System.IO.Path.GetFullPath(dir));
        if (Distributed is { } d)
        {
            given["WorldSize"] = SettingValue.NewWhole(d.WorldSize);
            given["Rank"] = SettingValue.NewWhole(d.Rank);
            given["Master"] = SettingValue.NewText(d.Master ?? "");
            given["SyncBn"] = SettingValue.NewSwitch(d.SyncBatchNorm);
            given["DistTimeout"] = SettingValue.NewNumber(d.Timeout.TotalSeconds);
        }
        var (config, all) = TrainConfigModule.ofProgram(given, dataset, model, neuron!, device).ToValueTuple();
        if (all.IsEmpty) return config;
        // The property of the first problem: the table's name but for the output directory (OutDir) and the
        // world's settings, which are DistributedOptions' (WorldSize, Rank, Master keep their names).
        var setting = all.Head.Setting switch
        {
            "OutDir" => nameof(OutputDirectory),
            "DistTimeout" => nameof(DistributedOptions.Timeout),
            "SyncBn" => nameof(DistributedOptions.SyncBatchNorm),
            var s => s,
        };
        var message = string.Join("; ", all.Select(p => p.Message));
        // A value that does not read (a master that is not HOST:PORT) is a bad argument; a value that reads but
        // is refused is out of range.
        if (all.Head.Cause.IsUnreadable) throw new ArgumentException(message, setting);
        throw new ArgumentOutOfRangeException(setting, message);
    }

    /// <summary>The options a typed configuration (e.g. a checkpoint's) holds.</summary>
    internal static TrainingOptions FromConfig(TrainConfig c)
    {
        var options = new TrainingOptions();
        foreach (var (name, value) in TrainSettings.print(c).Select(p => p.ToValueTuple()))
            if (!FromTrainer.Contains(name)) options._given[name] = value;
        return options;
    }
}
