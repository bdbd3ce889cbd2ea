namespace SnnDsl.Training

open System
open System.Text.Json
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Data
open SnnDsl.Backends

/// Where a run's examples come from.
[<RequireQualifiedAccess>]
type DataSource =
    /// A dataset of the registry, read from the configuration's DataDir.
    | Registry of DatasetName
    /// Data a program passed in (the C# facade's datasets), with its name.
    | InCode of name: string

/// This process's place in a data-parallel run (`snn train --world-size W --rank R --master HOST:PORT`, or
/// `--nproc N`, which starts the N ranks itself). A launch setting: checkpoints do not store it, so a run may
/// resume with another world size.
type WorldConfig =
    { /// This process's rank, 0 .. Size - 1.
      Rank: int
      /// The number of ranks (processes).
      Size: int
      /// Where the ranks meet: rank 0 hosts a TCP store at host:port (or a shared file).
      Master: Rendezvous
      /// BatchNorm normalises with statistics over every rank's batch (W ranks x batch b then train as one
      /// process with batch W * b).
      SyncBatchNorm: bool
      /// How long a collective (or the rendezvous) waits for the other ranks before failing.
      Timeout: TimeSpan }

/// Everything that defines a training run, as typed values: the CLI parses its flags into one of these
/// (and the C# facade its options) through the settings table (`TrainSettings.all`), the trainer reads
/// nothing else, and every checkpoint stores it (`TrainConfig.toJson`), so a resume or `snn eval` rebuilds
/// exactly the same model and data pipeline.
type TrainConfig =
    { /// Where the examples come from: a dataset of the registry, or data passed in by a program.
      Dataset: DataSource
      /// The folder a registry dataset is read from (unused by the synthetic dataset).
      DataDir: string
      /// A model of the zoo; None for a network built in code (the session's NetworkSpec describes it).
      Model: ZooModel option
      /// The neuron of every spiking layer the zoo builds, with its parameter overrides and surrogate already
      /// applied; its text form goes into every checkpoint. Null for a network built in code without
      /// spiking layers.
      Neuron: Neuron
      /// T: the time steps each sample is presented for (static images are repeated; events are integrated into T frames).
      Timesteps: int
      /// How the inputs reach the T steps: Direct (the value at every step) or spikes (rate, latency, delta).
      Encoding: Encoding
      /// Every input value is scaled by this before it is encoded (x' = InputScale * x + InputShift), e.g. to
      /// bring pixels in [0, 1] to the millivolts of a neuron written in them.
      InputScale: float
      /// Added to every input value after the scale, before the encoding.
      InputShift: float
      /// The number of passes over the training set.
      Epochs: int
      /// Samples per batch (per rank in a data-parallel run).
      BatchSize: int
      /// The initial learning rate (the warm-up and the schedule scale it).
      LearningRate: float
      /// The update rule and its constants.
      Optimizer: OptimizerKind
      /// Weight decay (decoupled for AdamW); 0: none.
      WeightDecay: float
      /// The training objective over the outputs [T, N, classes].
      Loss: Loss
      /// How the learning rate changes over the epochs.
      Schedule: Schedule
      /// Epochs of linear learning-rate warm-up (may be fractional); 0: none.
      WarmupEpochs: float
      /// 0 disables clipping.
      ClipGradNorm: float
      /// Augments the training set: random crop and flip for static images; flip, roll, rotation and shear for event frames.
      Augment: bool
      /// Event datasets: how events are divided among the Timesteps frames.
      SplitBy: SplitBy
      /// Event-camera frames resized to R x R; 0: 48 for vggsnn on cifar10-dvs and dvs-gesture, else the sensor's size.
      Resize: int
      /// The frame cache folder of event datasets; empty: the default ($SNNDSL_CACHE or ~/.cache/snndsl/frames).
      CacheDir: string
      /// Keep integrated event frames in memory instead of the frame cache.
      NoCache: bool
      /// CIFAR10-DVS's split.
      DataSplit: Cifar10DvsSplit
      /// Use only this many training (test) samples, evenly spaced; 0: all.
      LimitTrain: int
      /// Use only this many test samples, evenly spaced; 0: all.
      LimitTest: int
      /// The seed of the weights, the data order, the augmentation and dropout.
      Seed: int64
      /// Where the tensors live: the CPU or a CUDA device.
      Device: Device
      /// Which tensor interpreter runs the neurons.
      Backend: Backend
      /// libtorch and OpenBLAS threads; 0: every core.
      Threads: int
      /// Batches between mid-epoch checkpoints (0: only at the end of each epoch).
      CheckpointEvery: int
      /// Every spiking layer checks that its input is finite (a data error names how many values are not).
      CheckFinite: bool
      /// Data-parallel training: this process's rank and world; None: one process. The batch size is per rank.
      World: WorldConfig option
      /// The run directory (metrics.jsonl, batches, checkpoint.snnt); None: the run writes no file. In a
      /// data-parallel run only rank 0 writes.
      OutDir: string option }

/// Why a setting's value is refused.
[<RequireQualifiedAccess>]
type ProblemCause =
    /// The value does not read as the setting (a name that is none of the valid ones, a number that is not one).
    | Unreadable
    /// The value reads but is out of the setting's range.
    | OutOfRange

/// A setting a configuration cannot run with: which one (its name in the settings table, `TrainSettings.all`)
/// and why.
type ConfigProblem =
    { /// The setting, e.g. "Momentum" or "BatchSize".
      Setting: string
      /// What is wrong, with the value given, e.g. "the SGD momentum must be in [0, 1), got 1.5".
      Message: string
      /// Whether the value did not read or is out of range.
      Cause: ProblemCause }

/// Reading each setting from its text form (the CLI's flags, a checkpoint's JSON, the C# facade's
/// names): one parser per setting, each error saying what is valid. Callers decide the error's kind.
[<RequireQualifiedAccess>]
module Setting =
    let private norm (s: string) = if isNull s then "" else s.Trim().ToLowerInvariant()

    /// The optimizers' names.
    let optimizers = [ "sgd"; "adam"; "adamw" ]

    /// sgd (with this momentum) | adam | adamw, with the defaults of `OptimizerKind`.
    let optimizer (name: string) (momentum: float) : Result<OptimizerKind, string> =
        match norm name with
        | "sgd" -> Ok(OptimizerKind.sgd momentum)
        | "adam" -> Ok OptimizerKind.adam
        | "adamw" -> Ok OptimizerKind.adamW
        | _ -> Error $"unknown optimizer '{name}'; valid optimizers: sgd, adam, adamw"

    /// The optimizer's name and its SGD momentum (0 for the others).
    let optimizerText (o: OptimizerKind) =
        match o with
        | OptimizerKind.Sgd(momentum, _) -> "sgd", momentum
        | OptimizerKind.Adam _ -> "adam", 0.0
        | OptimizerKind.AdamW _ -> "adamw", 0.0

    /// The losses' names.
    let losses = [ "ce"; "tet"; "mse" ]

    /// ce (mean-output cross entropy) | tet (with this lambda) | mse (spike counts), with label smoothing.
    let loss (name: string) (tetLambda: float) (labelSmoothing: float) : Result<Loss, string> =
        match norm name with
        | "ce" -> Ok(Loss.MeanOutputCrossEntropy labelSmoothing)
        | "tet" -> Ok(Loss.Tet(tetLambda, Loss.tetPhi, labelSmoothing))
        | "mse" -> Ok Loss.CountMse
        | _ -> Error $"unknown loss '{name}'; valid losses: ce, tet, mse"

    /// The loss's name, TET's lambda (the default when not TET) and the label smoothing.
    let lossText (l: Loss) =
        match l with
        | Loss.MeanOutputCrossEntropy s -> "ce", Loss.tetLambda, s
        | Loss.Tet(lambda, _, s) -> "tet", lambda, s
        | Loss.CountMse -> "mse", Loss.tetLambda, 0.0

    /// The schedules' names.
    let schedules = [ "cosine"; "step"; "constant" ]

    /// cosine (to 0) | constant | step (x0.1 every epochs/3 epochs) | step:<epochs>:<gamma>.
    let schedule (name: string) (epochs: int) : Result<Schedule, string> =
        let s = norm name
        match s with
        | "cosine" -> Ok(Schedule.Cosine 0.0)
        | "constant" -> Ok Schedule.Constant
        | "step" -> Ok(Schedule.Step(max 1 (epochs / 3), 0.1))
        | _ when s.StartsWith "step:" ->
            match s.Split ':' with
            | [| _; n; g |] ->
                match Int32.TryParse n, Double.TryParse(g, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
                | (true, n), (true, g) when n > 0 && g > 0.0 -> Ok(Schedule.Step(n, g))
                | _ -> Error $"schedule '{name}': expected step:<epochs> <gamma>, a positive whole number and a positive factor"
            | _ -> Error $"schedule '{name}': expected step:<epochs>:<gamma>"
        | _ -> Error $"unknown schedule '{name}'; valid schedules: cosine, step, constant (or step:<epochs>:<gamma>)"

    /// The schedule's text form, which `schedule` reads back.
    let scheduleText (s: Schedule) =
        match s with
        | Schedule.Cosine 0.0 -> "cosine"
        | Schedule.Cosine _ -> "cosine" // the minimum rate is not a setting
        | Schedule.Constant -> "constant"
        | Schedule.Step(n, g) -> FormattableString.Invariant $"step:{n}:{g:R}"

    /// paper | 9:1
    let dataSplit (name: string) : Result<Cifar10DvsSplit, string> =
        match norm name with
        | ""
        | "paper" -> Ok Cifar10DvsSplit.Paper
        | "9:1" -> Ok Cifar10DvsSplit.NineToOne
        | _ -> Error $"unknown data split '{name}'; valid splits: paper, 9:1"

    /// The CIFAR10-DVS split's name, as `dataSplit` reads it back ("paper" or "9:1").
    let dataSplitText (s: Cifar10DvsSplit) =
        match s with
        | Cifar10DvsSplit.Paper -> "paper"
        | Cifar10DvsSplit.NineToOne -> "9:1"

    /// cpu | cuda | cuda:N
    let device (text: string) : Result<Device, string> =
        try Ok(Device.Parse text) with e -> Error e.Message

    /// A neuron from its text form, or else the built-in of this name; then the parameter overrides
    /// (NAME=VALUE) and the surrogate ("" keeps the neuron's own).
    let neuron (name: string) (text: string) (overrides: string seq) (surrogate: string) : Result<Neuron, string> =
        let definition =
            if String.IsNullOrWhiteSpace text then Builtins.find (if isNull name then "" else name.Trim())
            else
                try Ok(NeuronText.parseNeuron $"the text of neuron '{name}'" text)
                with :? NeuronSyntaxException as e -> Error e.Message
        let surrogate = if String.IsNullOrWhiteSpace surrogate then None else Some surrogate
        definition |> Result.bind (Neuron.configure (if isNull overrides then Seq.empty else overrides) surrogate)

/// Naming where a run's data comes from, as text and back.
[<RequireQualifiedAccess>]
module DataSource =
    /// The registry name, or "code:<name>".
    let text (d: DataSource) =
        match d with
        | DataSource.Registry n -> DatasetName.name n
        | DataSource.InCode name -> "code:" + name

    /// Reads `text`'s form; a registry name otherwise (the error lists the valid ones).
    let parse (s: string) : Result<DataSource, string> =
        if not (isNull s) && s.StartsWith "code:" then Ok(DataSource.InCode(s.Substring 5))
        else DatasetName.parse s |> Result.map DataSource.Registry
