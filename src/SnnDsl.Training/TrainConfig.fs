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
/// (and the C# facade its options), the trainer reads nothing else, and every checkpoint stores it (as a
/// `TrainConfigFile`), so a resume or `snn eval` rebuilds exactly the same model and data pipeline.
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

/// A setting a configuration cannot run with: which one (the name of the TrainConfig field, or of the C#
/// TrainingOptions property for the values inside the optimiser and the loss) and why.
type ConfigProblem =
    { /// The setting, e.g. "Momentum" or "BatchSize".
      Setting: string
      /// What is wrong, with the value given, e.g. "the SGD momentum must be in [0, 1), got 1.5".
      Message: string }

/// A training configuration as a checkpoint stores it: every setting as text or a number (the JSON of
/// checkpoints written before the configuration was typed reads unchanged). `TrainConfig.ofFile` parses it.
[<CLIMutable>]
type TrainConfigFile =
    { /// A registry name; "code:<name>" for data passed in by a program.
      Dataset: string
      /// The folder a registry dataset is read from.
      DataDir: string
      /// A zoo name; empty (or "custom", "sequential" in older files) for a network built in code.
      Model: string
      /// The neuron's name (a built-in in old checkpoints).
      Neuron: string
      /// The neuron's text form (docs/dsl.md); empty in old checkpoints: the built-in named by Neuron.
      NeuronText: string
      /// Raw values for neuron parameters, e.g. ["decay=0.25"] (old checkpoints; now part of NeuronText).
      NeuronParams: string[]
      /// e.g. "rectangle:1"; empty keeps the neuron's own surrogate (old checkpoints; now part of NeuronText).
      Surrogate: string
      /// T: the time steps each sample is presented for.
      Timesteps: int
      /// direct | rate:GAIN | latency:THRESHOLD | delta:THRESHOLD[:off]; empty (older files): direct.
      Encoding: string
      /// The inputs' scale; absent (older files): 1.
      InputScale: Nullable<float>
      /// The inputs' shift.
      InputShift: float
      /// The number of passes over the training set.
      Epochs: int
      /// Samples per batch (per rank).
      BatchSize: int
      /// The initial learning rate.
      LearningRate: float
      /// sgd | adam | adamw
      Optimizer: string
      /// SGD's momentum.
      Momentum: float
      /// Weight decay; 0: none.
      WeightDecay: float
      /// ce | tet | mse
      Loss: string
      /// TET's MSE weight lambda (loss tet).
      TetLambda: float
      /// Cross entropy's label smoothing; 0: none.
      LabelSmoothing: float
      /// cosine | constant | step (every epochs/3, x0.1) | step:<epochs>:<gamma>
      Schedule: string
      /// Epochs of linear learning-rate warm-up.
      WarmupEpochs: float
      /// Clips the gradients' global norm to this; 0: no clipping.
      ClipGradNorm: float
      /// Augments the training set (random crop and flip; flip, roll, rotation and shear for event frames).
      Augment: bool
      /// number | time: how events are divided among the frames.
      SplitBy: string
      /// Event frames resized to R x R; 0: the default.
      Resize: int
      /// The frame cache folder; empty: the default.
      CacheDir: string
      /// Keep event frames in memory instead of the frame cache.
      NoCache: bool
      /// CIFAR10-DVS's split.
      DataSplit: string
      /// Use only this many training samples; 0: all.
      LimitTrain: int
      /// Use only this many test samples; 0: all.
      LimitTest: int
      /// The run's seed.
      Seed: int64
      /// cpu | cuda | cuda:<index>
      Device: string
      /// auto | fused | eager
      Backend: string
      /// libtorch and OpenBLAS threads; 0: every core.
      Threads: int
      /// Batches between mid-epoch checkpoints; 0: only at the end of each epoch.
      CheckpointEvery: int
      /// Spiking layers check that their input is finite.
      CheckFinite: bool
      /// Empty: no output directory.
      OutDir: string }

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

/// The defaults of a training configuration, its file form (`toFile`, `ofFile`) and its validation.
[<RequireQualifiedAccess>]
module TrainConfig =
    /// The defaults of `snn train`: the small conv net with DA-LIF on the embedded synthetic dataset.
    let defaults : TrainConfig =
        { Dataset = DataSource.Registry DatasetName.Synthetic
          DataDir = ""
          Model = Some ZooModel.SmallConv
          Neuron = Builtins.daLif
          Timesteps = 4
          Encoding = Encoding.Direct
          InputScale = 1.0
          InputShift = 0.0
          Epochs = 3
          BatchSize = 32
          LearningRate = 0.1
          Optimizer = OptimizerKind.sgd 0.9
          WeightDecay = 0.0
          Loss = Loss.ce
          Schedule = Schedule.Cosine 0.0
          WarmupEpochs = 0.0
          ClipGradNorm = 0.0
          Augment = false
          SplitBy = SplitBy.Number
          Resize = 0
          CacheDir = ""
          NoCache = false
          DataSplit = Cifar10DvsSplit.Paper
          LimitTrain = 0
          LimitTest = 0
          Seed = 1L
          Device = Device.Cpu
          Backend = Backend.Auto
          Threads = 0
          CheckpointEvery = 50
          CheckFinite = false
          World = None
          OutDir = Some "runs/default" }

    /// The dataset's name (a registry name, or the name of data passed in by a program).
    let datasetName (c: TrainConfig) =
        match c.Dataset with
        | DataSource.Registry d -> DatasetName.name d
        | DataSource.InCode name -> name

    /// The zoo model's name, or "network built in code".
    let modelName (c: TrainConfig) =
        match c.Model with
        | Some m -> ZooModel.name m
        | None -> "network built in code"

    /// The name of the configuration's neuron ("" when it has none).
    let neuronName (c: TrainConfig) = if isNull (box c.Neuron) then "" else c.Neuron.Name

    /// The file form of a configuration (the neuron as its text).
    let toFile (c: TrainConfig) : TrainConfigFile =
        let optimizer, momentum = Setting.optimizerText c.Optimizer
        let loss, lambda, smoothing = Setting.lossText c.Loss
        { Dataset = DataSource.text c.Dataset
          DataDir = c.DataDir
          Model = (match c.Model with Some m -> ZooModel.name m | None -> "")
          Neuron = neuronName c
          NeuronText = (if isNull (box c.Neuron) then "" else Describe.text c.Neuron)
          NeuronParams = [||]
          Surrogate = ""
          Timesteps = c.Timesteps
          Encoding = Encoding.text c.Encoding
          InputScale = Nullable c.InputScale
          InputShift = c.InputShift
          Epochs = c.Epochs
          BatchSize = c.BatchSize
          LearningRate = c.LearningRate
          Optimizer = optimizer
          Momentum = momentum
          WeightDecay = c.WeightDecay
          Loss = loss
          TetLambda = lambda
          LabelSmoothing = smoothing
          Schedule = Setting.scheduleText c.Schedule
          WarmupEpochs = c.WarmupEpochs
          ClipGradNorm = c.ClipGradNorm
          Augment = c.Augment
          SplitBy = string c.SplitBy
          Resize = c.Resize
          CacheDir = c.CacheDir
          NoCache = c.NoCache
          DataSplit = Setting.dataSplitText c.DataSplit
          LimitTrain = c.LimitTrain
          LimitTest = c.LimitTest
          Seed = c.Seed
          Device = string c.Device
          Backend = Backend.name c.Backend
          Threads = c.Threads
          CheckpointEvery = c.CheckpointEvery
          CheckFinite = c.CheckFinite
          OutDir = defaultArg c.OutDir "" }

    /// Parses the file form; the first setting that does not parse is the error.
    let ofFile (f: TrainConfigFile) : Result<TrainConfig, string> =
        let orDefault (d: string) (s: string) = if String.IsNullOrWhiteSpace s then d else s
        let named (setting: string) (r: Result<'a, string>) = r |> Result.mapError (fun e -> $"{setting}: {e}")
        let (>>=) r f = Result.bind f r
        named "dataset" (DataSource.parse f.Dataset) >>= fun dataset ->
        named "model"
            (match f.Model with
             | null | "" | "custom" | "sequential" -> Ok None
             | m -> ZooModel.parse m |> Result.map Some) >>= fun model ->
        named "neuron"
            (if String.IsNullOrWhiteSpace f.Neuron && String.IsNullOrWhiteSpace f.NeuronText then
                 Ok(Unchecked.defaultof<Neuron>) // a network built in code without spiking layers
             else Setting.neuron f.Neuron f.NeuronText f.NeuronParams f.Surrogate) >>= fun neuron ->
        named "optimizer" (Setting.optimizer f.Optimizer f.Momentum) >>= fun optimizer ->
        named "loss" (Setting.loss f.Loss f.TetLambda f.LabelSmoothing) >>= fun loss ->
        named "schedule" (Setting.schedule f.Schedule f.Epochs) >>= fun schedule ->
        named "encoding" (Encoding.parse (orDefault "direct" f.Encoding)) >>= fun encoding ->
        named "split-by" (SplitBy.parse (orDefault "number" f.SplitBy)) >>= fun splitBy ->
        named "data split" (Setting.dataSplit f.DataSplit) >>= fun dataSplit ->
        named "device" (Setting.device (orDefault "cpu" f.Device)) >>= fun device ->
        named "backend" (Backend.parse (orDefault "auto" f.Backend)) >>= fun backend ->
        Ok
            { Dataset = dataset
              DataDir = (if isNull f.DataDir then "" else f.DataDir)
              Model = model
              Neuron = neuron
              Timesteps = f.Timesteps
              Encoding = encoding
              InputScale = (if f.InputScale.HasValue then f.InputScale.Value else 1.0)
              InputShift = f.InputShift
              Epochs = f.Epochs
              BatchSize = f.BatchSize
              LearningRate = f.LearningRate
              Optimizer = optimizer
              WeightDecay = f.WeightDecay
              Loss = loss
              Schedule = schedule
              WarmupEpochs = f.WarmupEpochs
              ClipGradNorm = f.ClipGradNorm
              Augment = f.Augment
              SplitBy = splitBy
              Resize = f.Resize
              CacheDir = (if isNull f.CacheDir then "" else f.CacheDir)
              NoCache = f.NoCache
              DataSplit = dataSplit
              LimitTrain = f.LimitTrain
              LimitTest = f.LimitTest
              Seed = f.Seed
              Device = device
              Backend = backend
              Threads = f.Threads
              CheckpointEvery = f.CheckpointEvery
              CheckFinite = f.CheckFinite
              World = None
              OutDir = (if String.IsNullOrEmpty f.OutDir then None else Some f.OutDir) }

    let private options = JsonSerializerOptions(WriteIndented = true)

    /// The JSON a checkpoint stores.
    let toJson (c: TrainConfig) = JsonSerializer.Serialize(toFile c, options)

    /// Reads a checkpoint's JSON; a malformed one is a data error naming `source`.
    let ofJson (source: string) (json: string) : TrainConfig =
        let file =
            try JsonSerializer.Deserialize<TrainConfigFile>(json, options)
            with :? JsonException as e -> Fail.data $"{source}: the training configuration is not valid JSON ({e.Message})"
        if isNull (box file) then Fail.data $"{source}: empty training configuration"
        match ofFile file with
        | Ok c -> c
        | Error e -> Fail.data $"{source}: {e}"

    /// Problems with a configuration that do not need the data or the model to find, each with the setting it
    /// is about (the record's field, or Momentum, LabelSmoothing and TetLambda inside the optimiser and the
    /// loss): the CLI, F# sessions and the C# facade refuse a configuration with these same messages.
    let problems (c: TrainConfig) : ConfigProblem list =
        let p setting message = { Setting = setting; Message = message }
        let finiteAtLeast0 (x: float) = x >= 0.0 && not (Double.IsInfinity x)
        [ if c.Timesteps < 1 then p "Timesteps" $"timesteps must be at least 1, got {c.Timesteps}"
          match Encoding.problem c.Encoding, c.Encoding, c.Dataset with
          | Some m, _, _ -> p "Encoding" m
          | None, Encoding.Latency _, DataSource.Registry d when DatasetName.isTemporal d ->
              p "Encoding" $"latency encoding places one spike per value in time; {DatasetName.name d}'s samples already are in time (use direct, rate or delta)"
          | _ -> ()
          if not (Double.IsFinite c.InputScale) || c.InputScale = 0.0 then
              p "InputScale" $"the input scale must be a finite non-zero number, got {c.InputScale}"
          if not (Double.IsFinite c.InputShift) then p "InputShift" $"the input shift must be a finite number, got {c.InputShift}"
          if c.Epochs < 1 then p "Epochs" $"epochs must be at least 1, got {c.Epochs}"
          if c.BatchSize < 1 then p "BatchSize" $"the batch size must be at least 1, got {c.BatchSize}"
          if not (c.LearningRate > 0.0) || Double.IsInfinity c.LearningRate then
              p "LearningRate" $"the learning rate must be a positive number, got {c.LearningRate}"
          if not (finiteAtLeast0 c.WeightDecay) then
              p "WeightDecay" $"the weight decay must be a finite number >= 0, got {c.WeightDecay}"
          if not (finiteAtLeast0 c.WarmupEpochs) then
              p "WarmupEpochs" $"the warm-up must be a finite number of epochs >= 0, got {c.WarmupEpochs}"
          if not (finiteAtLeast0 c.ClipGradNorm) then
              p "ClipGradNorm" $"the gradient-norm clip must be a finite number >= 0 (0: off), got {c.ClipGradNorm}"
          match c.Optimizer with
          | OptimizerKind.Sgd(m, _) when not (m >= 0.0 && m < 1.0) -> p "Momentum" $"the SGD momentum must be in [0, 1), got {m}"
          | _ -> ()
          match c.Loss with
          | Loss.MeanOutputCrossEntropy s
          | Loss.Tet(_, _, s) when not (s >= 0.0 && s < 1.0) ->
              p "LabelSmoothing" $"the label smoothing must be in [0, 1), got {s}"
          | Loss.Tet(l, _, _) when not (l >= 0.0 && l <= 1.0) -> p "TetLambda" $"TET's lambda must be in [0, 1], got {l}"
          | _ -> ()
          if c.LimitTrain < 0 then p "LimitTrain" $"the training sample limit must be >= 0, got {c.LimitTrain}"
          if c.LimitTest < 0 then p "LimitTest" $"the test sample limit must be >= 0, got {c.LimitTest}"
          if c.Threads < 0 then p "Threads" $"threads must be >= 0, got {c.Threads}"
          if c.CheckpointEvery < 0 then p "CheckpointEvery" $"checkpoint-every must be >= 0, got {c.CheckpointEvery}"
          if c.Resize < 0 then p "Resize" $"resize must be >= 0, got {c.Resize}"
          match c.World with
          | Some w when w.Size < 1 -> p "World" $"the world size must be at least 1, got {w.Size}"
          | Some w when w.Rank < 0 || w.Rank >= w.Size ->
              p "World" $"rank {w.Rank} is outside a world of {w.Size} (valid ranks: 0..{w.Size - 1})"
          | Some w when not (w.Timeout > TimeSpan.Zero) -> p "World" $"the distributed timeout must be positive, got {w.Timeout}"
          | _ -> () ]

    /// The messages of `problems`.
    let validate (c: TrainConfig) : string list = problems c |> List.map _.Message
