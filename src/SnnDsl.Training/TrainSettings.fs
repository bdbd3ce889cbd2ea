namespace SnnDsl.Training

open System
open System.Globalization
open System.Text.Json
open System.Text.Json.Nodes
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Data
open SnnDsl.Backends

/// A setting's value as the edges hand it over: a flag's text parsed by the setting's kind, a JSON value of a
/// checkpoint, or a typed C# property. The table's rows turn these into the typed `TrainConfig`.
[<RequireQualifiedAccess>]
type SettingValue =
    /// A whole number (a count, a seed).
    | Whole of int64
    /// A number (a rate, a scale).
    | Number of float
    /// On or off (a flag without a value).
    | Switch of bool
    /// A text (a name, a path, a setting's text form such as rate:2).
    | Text of string
    /// Texts of a repeatable flag (neuron parameter overrides).
    | Texts of string list

    /// The value as the command line writes it (invariant culture; numbers round-trip).
    override v.ToString() =
        match v with
        | Whole n -> string n
        | Number x -> x.ToString("R", CultureInfo.InvariantCulture)
        | Switch b -> if b then "true" else "false"
        | Text s -> s
        | Texts xs -> String.Join(", ", xs)

/// What a setting's value is: how a flag's text or a JSON value is read.
[<RequireQualifiedAccess>]
type SettingKind =
    /// A whole number.
    | Whole
    /// A number (invariant culture; NaN and Infinity read, and are then refused by the range checks).
    | Number
    /// A flag without a value (`--augment`); true or false in a file.
    | Switch
    /// A text.
    | Text
    /// A repeatable flag (`--param a=1 --param b=2`); an array in a file.
    | Texts

/// The values a row may read while it applies: the ones given (on the command line, in a file, from C#), and
/// each setting's value given or else its default.
type SettingLookup =
    { /// The value given for a setting, if it was given.
      Given: string -> SettingValue option
      /// The value given for a setting, or else its default.
      Value: string -> SettingValue }

/// One training setting, declared once: its name (the key in a checkpoint's configuration, the C#
/// `TrainingOptions` name and `ConfigProblem.Setting`), its flag, its documentation and default, how it is
/// printed, how it is applied to the typed configuration, and its validation.
type TrainSetting =
    { /// e.g. "BatchSize".
      Name: string
      /// The command-line flag without its dashes, e.g. "batch-size"; None for a setting only files hold.
      Flag: string option
      /// The value's placeholder in the usage, e.g. "n".
      Arg: string
      /// The usage line (the default is appended from `Default` or `DefaultText`).
      Doc: string
      /// How a flag's text or a JSON value is read.
      Kind: SettingKind
      /// The value that applies when none is given; None for a setting whose absence means something (e.g.
      /// `--neuron-file`).
      Default: SettingValue option
      /// What the usage shows as the default when the value itself would not say it, e.g. "all cores" for 0.
      DefaultText: string option
      /// Written to a checkpoint's configuration (launch settings such as the world are not).
      Stored: bool
      /// The setting's value in a configuration (None: not set, e.g. SGD's momentum under Adam).
      Print: TrainConfig -> SettingValue option
      /// Sets the configuration's field(s) from the values; rows apply in the table's order, so a row may
      /// read fields that earlier rows set. A setting read by another row (momentum by the optimizer) applies
      /// nothing itself.
      Apply: SettingLookup -> TrainConfig -> Result<TrainConfig, string>
      /// The problem with the configuration's value, if any, e.g. "the batch size must be at least 1, got 0".
      Check: TrainConfig -> string option
      /// The problem with a given value that no configuration could use, refused even where no setting reads
      /// it (TET's lambda under cross entropy), if any.
      Refuse: SettingValue -> string option }

/// The training settings, each declared once in `all`; the command line (`snn train`), a checkpoint's
/// configuration, the C# facade's options and the validation all read this table. Adding a setting is a
/// field in `TrainConfig` and a row here (docs/architecture.md, "Adding a training setting").
[<RequireQualifiedAccess>]
module TrainSettings =
    let private invariant = CultureInfo.InvariantCulture

    /// Reads a flag's text as a value of this kind; the error says what was expected.
    let ofText (kind: SettingKind) (text: string) : Result<SettingValue, string> =
        match kind with
        | SettingKind.Whole ->
            match Int64.TryParse(text, NumberStyles.Integer, invariant) with
            | true, n -> Ok(SettingValue.Whole n)
            | _ -> Error $"expected a whole number, got '{text}'"
        | SettingKind.Number ->
            match Double.TryParse(text, NumberStyles.Float, invariant) with
            | true, x -> Ok(SettingValue.Number x)
            | _ -> Error $"expected a number, got '{text}'"
        | SettingKind.Switch ->
            match (if isNull text then "" else text.Trim().ToLowerInvariant()) with
            | "true" -> Ok(SettingValue.Switch true)
            | "false" -> Ok(SettingValue.Switch false)
            | _ -> Error $"expected true or false, got '{text}'"
        | SettingKind.Text -> Ok(SettingValue.Text(if isNull text then "" else text))
        | SettingKind.Texts -> Ok(SettingValue.Texts [ text ])

    // ------------------------------------------------------------------ typed reads of a value

    let private whole (v: SettingValue) : Result<int64, string> =
        match v with
        | SettingValue.Whole n -> Ok n
        | SettingValue.Number x when Math.Round x = x && abs x < 9e15 -> Ok(int64 x)
        | SettingValue.Text s -> ofText SettingKind.Whole s |> Result.bind (function SettingValue.Whole n -> Ok n | _ -> Error "")
        | v -> Error $"expected a whole number, got {v}"

    let private int32 (v: SettingValue) : Result<int, string> =
        whole v
        |> Result.bind (fun n ->
            if n < int64 Int32.MinValue || n > int64 Int32.MaxValue then Error $"{n} is out of range (at most {Int32.MaxValue})"
            else Ok(int n))

    let private number (v: SettingValue) : Result<float, string> =
        match v with
        | SettingValue.Number x -> Ok x
        | SettingValue.Whole n -> Ok(float n)
        | SettingValue.Text s -> ofText SettingKind.Number s |> Result.bind (function SettingValue.Number x -> Ok x | _ -> Error "")
        | v -> Error $"expected a number, got {v}"

    let private switch (v: SettingValue) : Result<bool, string> =
        match v with
        | SettingValue.Switch b -> Ok b
        | SettingValue.Text s -> ofText SettingKind.Switch s |> Result.bind (function SettingValue.Switch b -> Ok b | _ -> Error "")
        | v -> Error $"expected true or false, got {v}"

    let private text (v: SettingValue) : Result<string, string> =
        match v with
        | SettingValue.Text s -> Ok s
        | SettingValue.Texts [ s ] -> Ok s
        | v -> Error $"expected a text, got {v}"

    let private texts (v: SettingValue) : Result<string list, string> =
        match v with
        | SettingValue.Texts xs -> Ok xs
        | SettingValue.Text s -> Ok [ s ]
        | v -> Error $"expected a list of texts, got {v}"

    // ------------------------------------------------------------------ row builders

    let private noCheck (_: TrainConfig) : string option = None
    let private readNothing (_: SettingLookup) (c: TrainConfig) : Result<TrainConfig, string> = Ok c

    let private row name flag arg doc kind dflt print apply check : TrainSetting =
        { Name = name; Flag = flag; Arg = arg; Doc = doc; Kind = kind; Default = dflt; DefaultText = None; Stored = true
          Print = print; Apply = apply; Check = check; Refuse = fun _ -> None }

    /// A setting of one typed field: `read` turns the value into the field's type (the error says why not),
    /// `show` prints it back, `set` and `get` are the field.
    let private field name flag arg doc kind (read: SettingValue -> Result<'a, string>) (show: 'a -> SettingValue)
                      (dflt: 'a) (get: TrainConfig -> 'a) (set: 'a -> TrainConfig -> TrainConfig) (check: 'a -> string option) =
        row name (Some flag) arg doc kind (Some(show dflt)) (fun c -> Some(show (get c)))
            (fun look c -> read (look.Value name) |> Result.map (fun v -> set v c))
            (fun c -> check (get c))

    let private wholeField name flag arg doc (dflt: int) get set check =
        field name flag arg doc SettingKind.Whole int32 (fun n -> SettingValue.Whole(int64 n)) dflt get set check

    let private numberField name flag arg doc (dflt: float) get set check =
        field name flag arg doc SettingKind.Number number SettingValue.Number dflt get set check

    let private switchField name flag doc get set =
        { field name flag "" doc SettingKind.Switch switch SettingValue.Switch false get set (fun _ -> None) with
            DefaultText = Some "" }

    let private textField name flag arg doc (parse: string -> Result<'a, string>) (show: 'a -> string) (dflt: 'a) get set check =
        field name flag arg doc SettingKind.Text (text >> Result.bind parse) (show >> SettingValue.Text) dflt get set check

    /// A value that another row reads (momentum by the optimizer, the rank by the world): it sets nothing,
    /// but refuses a value that does not read (`unreadable`).
    let private companion name flag arg doc kind dflt print (unreadable: SettingValue -> string option) check =
        row name flag arg doc kind dflt print
            (fun look c ->
                match look.Given name |> Option.bind unreadable with
                | Some problem -> Error problem
                | None -> Ok c)
            check

    let private notNumber (v: SettingValue) = match number v with Error e -> Some e | Ok _ -> None

    let private atLeast (lowest: 'a) (message: 'a -> string) (x: 'a) = if x < lowest then Some(message x) else None
    let private finiteAtLeast0 (message: float -> string) (x: float) =
        if x >= 0.0 && not (Double.IsInfinity x) then None else Some(message x)

    let private valueOr (fallback: 'a) (r: Result<'a, string>) = match r with Ok v -> v | Error _ -> fallback

    // ------------------------------------------------------------------ the parts of composite settings

    let private neuronOf (look: SettingLookup) : Result<Neuron, string> =
        let surrogate = look.Value "Surrogate" |> text |> valueOr ""
        let overrides = look.Value "NeuronParams" |> texts |> valueOr []
        match look.Given "Neuron", look.Given "NeuronFile" with
        | Some _, Some _ -> Error "give a built-in neuron's name (--neuron) or a .neuron file (--neuron-file), not both"
        | None, Some file ->
            text file
            |> Result.bind (fun path ->
                let definition = NeuronText.load path
                Neuron.configure overrides (if surrogate = "" then None else Some surrogate) definition.Neuron)
        | _ ->
            let name = look.Value "Neuron" |> text |> valueOr ""
            let source = look.Value "NeuronText" |> text |> valueOr ""
            if String.IsNullOrWhiteSpace name && String.IsNullOrWhiteSpace source then
                Ok(Unchecked.defaultof<Neuron>) // a network built in code without spiking layers
            else Setting.neuron name source overrides surrogate

    /// HOST:PORT of a TCP rendezvous.
    let private master (s: string) : Result<string * int, string> =
        match s.LastIndexOf ':' with
        | i when i > 0 ->
            match Int32.TryParse(s.Substring(i + 1)) with
            | true, p when p > 0 && p < 65536 -> Ok(s.Substring(0, i), p)
            | _ -> Error $"{s}: the port must be a number from 1 to 65535"
        | _ -> Error $"{s}: expected HOST:PORT, e.g. 10.0.0.1:29500"

    /// Seconds a TimeSpan can hold, refused otherwise (NaN, infinite, not positive, beyond a day).
    let private positiveSeconds (t: float) =
        if t > 0.0 && t <= 86400.0 then None
        else Some $"the distributed timeout must be a positive number of seconds (at most a day, 86400), got {t}"

    /// The world of the given size, rank and master. A master or timeout that does not read is its own row's
    /// problem (`Master`, `DistTimeout`): the world is then left out rather than refused twice.
    let private worldOf (look: SettingLookup) : Result<WorldConfig option, string> =
        match look.Given "WorldSize", look.Given "Rank", look.Given "Master" with
        | None, None, None -> Ok None
        | Some size, Some rank, Some at ->
            let (>>=) r f = Result.bind f r
            int32 size >>= fun size ->
            int32 rank >>= fun rank ->
            match text at |> Result.bind master, number (look.Value "DistTimeout"), switch (look.Value "SyncBn") with
            | Ok(host, port), Ok seconds, Ok syncBn when (positiveSeconds seconds).IsNone ->
                Ok(Some { Rank = rank; Size = size; Master = SnnDsl.Torch.Rendezvous.Tcp(host, port)
                          SyncBatchNorm = syncBn; Timeout = TimeSpan.FromSeconds seconds })
            | _ -> Ok None
        | _ -> Error "a rank of a data-parallel run needs --world-size, --rank and --master together"

    let private world (c: TrainConfig) (f: WorldConfig -> SettingValue) = c.World |> Option.map f

    let private tetLambdaRange (l: float) = if l >= 0.0 && l <= 1.0 then None else Some $"TET's lambda must be in [0, 1], got {l}"

    // ------------------------------------------------------------------ the table

    /// Every training setting, in the order they apply.
    let all : TrainSetting list =
        [ textField "Dataset" "dataset" "name"
              "synthetic | mnist | fashion-mnist | cifar10 | cifar100 | nmnist | cifar10-dvs | dvs-gesture | shd | ssc"
              DataSource.parse DataSource.text (DataSource.Registry DatasetName.Synthetic)
              _.Dataset (fun v c -> { c with Dataset = v }) (fun _ -> None)
          textField "DataDir" "data-dir" "path" "folder of the dataset's files (or its parent)"
              Ok id "" _.DataDir (fun v c -> { c with DataDir = v }) (fun _ -> None)
          textField "Model" "model" "name" "small-conv | vgg11 | vgg13 | vgg16 | vggsnn | resnet18 | resnet19 | resnet20 | fc"
              (function
               | "" | "custom" | "sequential" -> Ok None // a network built in code (older files: custom, sequential)
               | m -> ZooModel.parse m |> Result.map Some)
              (function Some m -> ZooModel.name m | None -> "") (Some ZooModel.SmallConv)
              _.Model (fun v c -> { c with Model = v }) (fun _ -> None)
          row "Neuron" (Some "neuron") "name" "any built-in neuron (see `snn neurons`)" SettingKind.Text
              (Some(SettingValue.Text Builtins.daLif.Name))
              (fun c -> Some(SettingValue.Text(if isNull (box c.Neuron) then "" else c.Neuron.Name)))
              (fun look c -> neuronOf look |> Result.map (fun n -> { c with Neuron = n }))
              noCheck
          { companion "NeuronFile" (Some "neuron-file") "file.neuron"
                "train the neuron of this file instead (its text form, docs/dsl.md); checkpoints store its text"
                SettingKind.Text None (fun _ -> None) (fun _ -> None) noCheck with Stored = false }
          // The neuron's text form: what a checkpoint stores (parameters and surrogate applied).
          companion "NeuronText" None "text" "the neuron's text form (docs/dsl.md)" SettingKind.Text (Some(SettingValue.Text ""))
              (fun c -> Some(SettingValue.Text(if isNull (box c.Neuron) then "" else Describe.text c.Neuron)))
              (fun _ -> None) noCheck
          companion "NeuronParams" (Some "param") "name=value" "a neuron parameter's raw initial value, NAME=VALUE; repeatable"
              SettingKind.Texts (Some(SettingValue.Texts [])) (fun _ -> None) (fun _ -> None) noCheck
          { companion "Surrogate" (Some "surrogate") "name[:param]" "surrogate gradient, e.g. atan:2" SettingKind.Text
                (Some(SettingValue.Text "")) (fun _ -> None) (fun _ -> None) noCheck with DefaultText = Some "the neuron's own" }
          { wholeField "Timesteps" "timesteps" "t" "time steps T (= frames of event data)" 4 _.Timesteps
                (fun v c -> { c with Timesteps = v })
                (atLeast 1 (fun t -> $"timesteps must be at least 1, got {t}")) with
              Apply =
                fun look c ->
                    match look.Given "Timesteps", look.Given "Frames" with
                    | Some t, Some f when t <> f -> Error $"{t} and --frames {f} disagree; they are the same number, give one"
                    | t, f ->
                        defaultArg (Option.orElse f t) (look.Value "Timesteps")
                        |> int32 |> Result.map (fun t -> { c with Timesteps = t }) }
          { companion "Frames" (Some "frames") "m" "frames per event sample: the same as --timesteps" SettingKind.Whole None
                (fun _ -> None) (fun _ -> None) noCheck with Stored = false }
          { textField "Encoding" "encode" "encoding"
                "how inputs reach the T steps: direct (the value at every step) | rate[:gain] (Bernoulli spikes, p = gain * x) | latency[:threshold] (one spike, earlier for larger x) | delta[:threshold[:off]] (spikes where x changes)"
                Encoding.parse Encoding.text Encoding.Direct _.Encoding (fun v c -> { c with Encoding = v }) Encoding.problem with
              Check =
                fun c ->
                    match Encoding.problem c.Encoding, c.Encoding, c.Dataset with
                    | Some m, _, _ -> Some m
                    | None, Encoding.Latency _, DataSource.Registry d when DatasetName.isTemporal d ->
                        Some $"latency encoding places one spike per value in time; {DatasetName.name d}'s samples already are in time (use direct, rate or delta)"
                    | _ -> None }
          numberField "InputScale" "input-scale" "scale" "multiply every input value by this before encoding, e.g. pixels in [0, 1] to millivolts"
              1.0 _.InputScale (fun v c -> { c with InputScale = v })
              (fun x -> if Double.IsFinite x && x <> 0.0 then None else Some $"the input scale must be a finite non-zero number, got {x}")
          numberField "InputShift" "input-shift" "shift" "then add this to every input value" 0.0 _.InputShift
              (fun v c -> { c with InputShift = v })
              (fun x -> if Double.IsFinite x then None else Some $"the input shift must be a finite number, got {x}")
          wholeField "Epochs" "epochs" "n" "epochs" 3 _.Epochs (fun v c -> { c with Epochs = v })
              (atLeast 1 (fun n -> $"epochs must be at least 1, got {n}"))
          wholeField "BatchSize" "batch-size" "n" "batch size (per rank)" 32 _.BatchSize (fun v c -> { c with BatchSize = v })
              (atLeast 1 (fun n -> $"the batch size must be at least 1, got {n}"))
          numberField "LearningRate" "lr" "rate" "initial learning rate" 0.1 _.LearningRate (fun v c -> { c with LearningRate = v })
              (fun x -> if x > 0.0 && not (Double.IsInfinity x) then None else Some $"the learning rate must be a positive number, got {x}")
          row "Optimizer" (Some "optimizer") "name" "sgd | adam | adamw" SettingKind.Text (Some(SettingValue.Text "sgd"))
              (fun c -> Some(SettingValue.Text(fst (Setting.optimizerText c.Optimizer))))
              (fun look c ->
                  match text (look.Value "Optimizer"), number (look.Value "Momentum") with
                  | Ok name, Ok momentum -> Setting.optimizer name momentum |> Result.map (fun o -> { c with Optimizer = o })
                  | Error e, _ | _, Error e -> Error e)
              noCheck
          companion "Momentum" (Some "momentum") "m" "SGD momentum" SettingKind.Number (Some(SettingValue.Number 0.9))
              (fun c -> match c.Optimizer with OptimizerKind.Sgd(m, _) -> Some(SettingValue.Number m) | _ -> None)
              notNumber
              (fun c ->
                  match c.Optimizer with
                  | OptimizerKind.Sgd(m, _) when not (m >= 0.0 && m < 1.0) -> Some $"the SGD momentum must be in [0, 1), got {m}"
                  | _ -> None)
          numberField "WeightDecay" "weight-decay" "wd" "weight decay (decoupled for adamw)" 0.0 _.WeightDecay
              (fun v c -> { c with WeightDecay = v })
              (finiteAtLeast0 (fun x -> $"the weight decay must be a finite number >= 0, got {x}"))
          row "Loss" (Some "loss") "name" "ce (mean-output cross entropy) | tet | mse" SettingKind.Text (Some(SettingValue.Text "ce"))
              (fun c -> let name, _, _ = Setting.lossText c.Loss in Some(SettingValue.Text name))
              (fun look c ->
                  match text (look.Value "Loss"), number (look.Value "TetLambda"), number (look.Value "LabelSmoothing") with
                  | Ok name, Ok lambda, Ok smoothing -> Setting.loss name lambda smoothing |> Result.map (fun l -> { c with Loss = l })
                  | Error e, _, _ | _, Error e, _ | _, _, Error e -> Error e)
              noCheck
          { companion "TetLambda" (Some "tet-lambda") "lambda" "TET's MSE weight lambda" SettingKind.Number
                (Some(SettingValue.Number Loss.tetLambda))
                (fun c -> match c.Loss with Loss.Tet(l, _, _) -> Some(SettingValue.Number l) | _ -> None)
                notNumber (fun c -> match c.Loss with Loss.Tet(l, _, _) -> tetLambdaRange l | _ -> None) with
              // A lambda out of range is refused even where the loss does not read it.
              Refuse = fun v -> number v |> (function Ok x -> Some x | Error _ -> None) |> Option.bind tetLambdaRange }
          companion "LabelSmoothing" (Some "label-smoothing") "eps" "label smoothing of the cross entropy" SettingKind.Number
              (Some(SettingValue.Number 0.0))
              (fun c ->
                  match c.Loss with
                  | Loss.MeanOutputCrossEntropy s | Loss.Tet(_, _, s) -> Some(SettingValue.Number s)
                  | Loss.CountMse -> None)
              notNumber
              (fun c ->
                  match c.Loss with
                  | Loss.MeanOutputCrossEntropy s | Loss.Tet(_, _, s) when not (s >= 0.0 && s < 1.0) ->
                      Some $"the label smoothing must be in [0, 1), got {s}"
                  | _ -> None)
          { textField "Schedule" "schedule" "name" "cosine | step | constant | step:<epochs>:<gamma>"
                Ok id "cosine" (fun c -> Setting.scheduleText c.Schedule) (fun _ c -> c) (fun _ -> None) with
              // "step" divides the run into thirds: it reads the epochs applied above.
              Apply =
                fun look c ->
                    text (look.Value "Schedule")
                    |> Result.bind (fun s -> Setting.schedule s c.Epochs)
                    |> Result.map (fun s -> { c with Schedule = s }) }
          numberField "WarmupEpochs" "warmup" "epochs" "linear learning-rate warm-up, in epochs" 0.0 _.WarmupEpochs
              (fun v c -> { c with WarmupEpochs = v })
              (finiteAtLeast0 (fun x -> $"the warm-up must be a finite number of epochs >= 0, got {x}"))
          { numberField "ClipGradNorm" "clip" "max_norm" "clip the gradients' global norm" 0.0 _.ClipGradNorm
                (fun v c -> { c with ClipGradNorm = v })
                (finiteAtLeast0 (fun x -> $"the gradient-norm clip must be a finite number >= 0 (0: off), got {x}")) with
              DefaultText = Some "off" }
          switchField "Augment" "augment" "random crop + flip for static images; flip, roll, rotation and shear for event frames"
              _.Augment (fun v c -> { c with Augment = v })
          textField "SplitBy" "split-by" "method" "event data: number | time | duration:<us>" SplitBy.parse string SplitBy.Number
              _.SplitBy (fun v c -> { c with SplitBy = v }) (fun _ -> None)
          { wholeField "Resize" "resize" "side" "event-camera frames resized to N x N" 0 _.Resize (fun v c -> { c with Resize = v })
                (atLeast 0 (fun n -> $"resize must be >= 0, got {n}")) with
              DefaultText = Some "48 for vggsnn on cifar10-dvs/dvs-gesture, else the sensor's size" }
          { textField "CacheDir" "cache-dir" "dir" "frame cache folder of event data" Ok id "" _.CacheDir
                (fun v c -> { c with CacheDir = v }) (fun _ -> None) with
              DefaultText = Some "$SNNDSL_CACHE or ~/.cache/snndsl/frames" }
          switchField "NoCache" "no-cache" "integrate event frames in memory; do not read or write the frame cache"
              _.NoCache (fun v c -> { c with NoCache = v })
          textField "DataSplit" "data-split" "split" "cifar10-dvs: paper (first 100 per class test) | 9:1" Setting.dataSplit
              Setting.dataSplitText Cifar10DvsSplit.Paper _.DataSplit (fun v c -> { c with DataSplit = v }) (fun _ -> None)
          { wholeField "LimitTrain" "limit-train" "n" "use only N training samples (evenly spaced)" 0 _.LimitTrain
                (fun v c -> { c with LimitTrain = v }) (atLeast 0 (fun n -> $"the training sample limit must be >= 0, got {n}")) with
              DefaultText = Some "all" }
          { wholeField "LimitTest" "limit-test" "n" "use only N test samples" 0 _.LimitTest
                (fun v c -> { c with LimitTest = v }) (atLeast 0 (fun n -> $"the test sample limit must be >= 0, got {n}")) with
              DefaultText = Some "all" }
          field "Seed" "seed" "seed" "seed of weights, data order, augmentation and dropout" SettingKind.Whole whole SettingValue.Whole
              1L _.Seed (fun v c -> { c with Seed = v }) (fun _ -> None)
          textField "Device" "device" "device" "cpu | cuda | cuda:N" Setting.device string SnnDsl.Torch.Device.Cpu
              _.Device (fun v c -> { c with Device = v }) (fun _ -> None)
          textField "Backend" "backend" "eager|fused|auto" "neurons' interpreter: eager | fused | auto (fused where it applies, else eager)"
              Backend.parse Backend.name Backend.Auto _.Backend (fun v c -> { c with Backend = v }) (fun _ -> None)
          { wholeField "Threads" "threads" "n" "libtorch and OpenBLAS threads" 0 _.Threads (fun v c -> { c with Threads = v })
                (atLeast 0 (fun n -> $"threads must be >= 0, got {n}")) with
              DefaultText = Some "all cores" }
          wholeField "CheckpointEvery" "checkpoint-every" "batches" "also checkpoint every N batches within an epoch, 0 = only at epoch ends"
              50 _.CheckpointEvery (fun v c -> { c with CheckpointEvery = v })
              (atLeast 0 (fun n -> $"checkpoint-every must be >= 0, got {n}"))
          switchField "CheckFinite" "check-finite"
              "every spiking layer checks that its input is finite and stops the run naming how many values are not (docs/dsl.md, 'Non-finite values')"
              _.CheckFinite (fun v c -> { c with CheckFinite = v })
          // The world of a data-parallel run: a launch setting, not stored (a run may resume with another size).
          { row "WorldSize" (Some "world-size") "w" "data-parallel: the number of ranks of a run that this process joins (with --rank and --master)"
                SettingKind.Whole None (fun c -> world c (fun w -> SettingValue.Whole(int64 w.Size)))
                (fun look c -> worldOf look |> Result.map (fun w -> { c with World = w }))
                (fun c ->
                    match c.World with
                    | Some w when w.Size < 1 -> Some $"the world size must be at least 1, got {w.Size}"
                    | _ -> None) with
              Stored = false }
          { companion "Rank" (Some "rank") "r" "data-parallel: this process's rank, 0 .. world size - 1" SettingKind.Whole None
                (fun c -> world c (fun w -> SettingValue.Whole(int64 w.Rank))) (fun _ -> None)
                (fun c ->
                    match c.World with
                    | Some w when w.Size >= 1 && (w.Rank < 0 || w.Rank >= w.Size) ->
                        Some $"rank {w.Rank} is outside a world of {w.Size} (valid ranks: 0..{w.Size - 1})"
                    | _ -> None) with
              Stored = false }
          { companion "Master" (Some "master") "host:port" "data-parallel: where the ranks meet: rank 0 hosts a TCP store at HOST:PORT"
                SettingKind.Text None (fun c -> world c (fun w -> SettingValue.Text(string w.Master)))
                (fun v -> match text v |> Result.bind (fun s -> if String.IsNullOrWhiteSpace s then Error "expected HOST:PORT, e.g. 10.0.0.1:29500, got nothing" else master s) with Error e -> Some e | Ok _ -> None) noCheck with
              Stored = false }
          { companion "SyncBn" (Some "sync-bn") "" "data-parallel: BatchNorm with statistics over every rank's batch" SettingKind.Switch
                (Some(SettingValue.Switch false)) (fun c -> world c (fun w -> SettingValue.Switch w.SyncBatchNorm)) (fun _ -> None) noCheck with
              Stored = false
              DefaultText = Some ""
              // The world row above has read it; alone it would be lost.
              Apply =
                fun look c ->
                    match look.Given "SyncBn", c.World with
                    | Some(SettingValue.Switch true), None ->
                        Error "BatchNorm over every rank needs a data-parallel run (--nproc, or --world-size, --rank and --master)"
                    | _ -> Ok c }
          { companion "DistTimeout" (Some "dist-timeout") "seconds" "data-parallel: seconds a rank waits for the others before failing"
                SettingKind.Number (Some(SettingValue.Number 120.0)) (fun c -> world c (fun w -> SettingValue.Number w.Timeout.TotalSeconds))
                notNumber (fun c -> c.World |> Option.bind (fun w -> positiveSeconds w.Timeout.TotalSeconds)) with
              Stored = false
              Refuse = fun v -> number v |> (function Ok x -> Some x | Error _ -> None) |> Option.bind positiveSeconds }
          textField "OutDir" "out" "dir" "run directory: metrics.jsonl, checkpoint.snnt, report.html"
              (fun s -> Ok(if String.IsNullOrEmpty s then None else Some s)) (fun d -> defaultArg d "") (Some "runs/default")
              _.OutDir (fun v c -> { c with OutDir = v }) (fun _ -> None) ]

    let private byName = all |> List.map (fun s -> s.Name, s) |> dict
    let private byFlag = all |> List.choose (fun s -> s.Flag |> Option.map (fun f -> f, s)) |> dict

    /// The setting of this name (as in a checkpoint or C#), if there is one.
    let tryFind (name: string) : TrainSetting option =
        match byName.TryGetValue name with
        | true, s -> Some s
        | _ -> None

    /// The setting of this command-line flag (without dashes), if there is one.
    let tryFlag (flag: string) : TrainSetting option =
        match byFlag.TryGetValue flag with
        | true, s -> Some s
        | _ -> None

    /// Every setting's name.
    let names = all |> List.map _.Name

    let private namesText = String.Join(", ", names)

    /// The value a setting has when none is given (None: its absence is the default).
    let defaultOf (name: string) : SettingValue option =
        match tryFind name with
        | Some s -> s.Default
        | None -> invalidArg (nameof name) $"no training setting is called '{name}'; the settings: {namesText}"

    // A configuration whose every field is empty (zero, null): the rows set each field from its default or
    // the given value, so no field's default is written anywhere but in its row.
    let private blank =
        let t = typeof<TrainConfig>
        let empty (f: Reflection.PropertyInfo) = if f.PropertyType.IsValueType then Activator.CreateInstance f.PropertyType else null
        Microsoft.FSharp.Reflection.FSharpValue.MakeRecord(t, Microsoft.FSharp.Reflection.FSharpType.GetRecordFields t |> Array.map empty)
        :?> TrainConfig

    /// The configuration of these given values (any setting not given keeps its default), with a problem for
    /// each value that does not read (a bad name, a number that is not one); `TrainConfig.problems` then
    /// checks the ranges.
    let build (given: string -> SettingValue option) : TrainConfig * ConfigProblem list =
        let look =
            { Given = given
              Value =
                fun name ->
                    match given name with
                    | Some v -> v
                    | None ->
                        match defaultOf name with
                        | Some v -> v
                        | None -> invalidOp $"the training setting {name} has no default" }
        let config, problems =
            all
            |> List.fold
                (fun (c, problems) s ->
                    match s.Apply look c with
                    | Ok c ->
                        match given s.Name |> Option.bind s.Refuse with
                        | Some m -> c, { Setting = s.Name; Message = m; Cause = ProblemCause.OutOfRange } :: problems
                        | None -> c, problems
                    | Error e -> c, { Setting = s.Name; Message = e; Cause = ProblemCause.Unreadable } :: problems)
                (blank, [])
        config, List.rev problems

    /// `build` over a table of given values (the C# facade's).
    let buildFrom (given: Collections.Generic.IReadOnlyDictionary<string, SettingValue>) : TrainConfig * ConfigProblem list =
        for name in given.Keys do
            if (tryFind name).IsNone then
                invalidArg (nameof given) $"no training setting is called '{name}'; the settings: {namesText}"
        build (fun name -> match given.TryGetValue name with | true, v -> Some v | _ -> None)

    /// The values of a configuration's stored settings (what a checkpoint holds), by name.
    let print (c: TrainConfig) : (string * SettingValue) list =
        [ for s in all do
              if s.Stored then
                  match s.Print c with
                  | Some v -> s.Name, v
                  | None -> () ]

    /// The problems of a configuration's values, one per setting at most.
    let problems (c: TrainConfig) : ConfigProblem list =
        [ for s in all do
              match s.Check c with
              | Some m -> { Setting = s.Name; Message = m; Cause = ProblemCause.OutOfRange }
              | None -> () ]

    // ------------------------------------------------------------------ the faces' forms

    /// The default as the usage shows it ("" shows none).
    let defaultText (s: TrainSetting) : string =
        match s.DefaultText, s.Default with
        | Some t, _ -> t
        | None, Some(SettingValue.Texts []) -> ""
        | None, Some v -> string v
        | None, None -> ""

    /// One usage line of a setting with a flag: "--batch-size <n>" and its documentation with the default.
    let usage (s: TrainSetting) : (string * string) option =
        s.Flag
        |> Option.map (fun flag ->
            let name = if s.Kind = SettingKind.Switch then $"--{flag}" else $"--{flag} <{s.Arg}>"
            let d = defaultText s
            name, (if d = "" then s.Doc else $"{s.Doc} [{d}]"))

    /// Reads the settings of a command line (`--flag value`, `--flag=value`, `--switch`; a repeatable flag
    /// once per value); a problem names the flag.
    let ofCommandLine (tokens: string list) : Result<Map<string, SettingValue>, string> =
        let rec go (given: Map<string, SettingValue>) (tokens: string list) =
            match tokens with
            | [] -> Ok given
            | token :: rest when token.StartsWith "--" ->
                let flag, inline' =
                    match token.IndexOf '=' with
                    | i when i > 2 -> token.Substring(2, i - 2), Some(token.Substring(i + 1))
                    | _ -> token.Substring 2, None
                match tryFlag flag with
                | None -> Error $"unrecognized argument: '{token}' (the settings: snn train --help)"
                | Some s ->
                    let value, rest =
                        match s.Kind, inline', rest with
                        | SettingKind.Switch, None, _ -> Ok(SettingValue.Switch true), rest
                        | _, Some v, _ -> ofText s.Kind v, rest
                        | _, None, v :: _ when v.StartsWith "--" && (tryFlag (v.Substring 2 |> fun f -> f.Split('=')[0])).IsSome ->
                            Error $"needs a value <{s.Arg}>, but was followed by {v}", []
                        | _, None, v :: rest' -> ofText s.Kind v, rest'
                        | _, None, [] -> Error $"needs a value <{s.Arg}>", []
                    match value, given.TryFind s.Name with
                    | Error e, _ -> Error $"--{flag}: {e}"
                    | Ok(SettingValue.Texts more), Some(SettingValue.Texts earlier) -> go (given.Add(s.Name, SettingValue.Texts(earlier @ more))) rest
                    | Ok(SettingValue.Switch _), Some _ when s.Kind = SettingKind.Switch -> go given rest
                    | Ok _, Some _ -> Error $"--{flag} is given more than once"
                    | Ok v, None -> go (given.Add(s.Name, v)) rest
            | token :: _ -> Error $"unrecognized argument: '{token}' (a setting is --flag value; the settings: snn train --help)"
        go Map.empty tokens

    /// A checkpoint's configuration as JSON: every stored setting's value by name.
    let toJson (c: TrainConfig) : string =
        let o = JsonObject()
        for name, v in print c do
            o[name] <-
                match v with
                | SettingValue.Whole n -> JsonValue.Create n :> JsonNode
                | SettingValue.Number x -> JsonValue.Create x :> JsonNode
                | SettingValue.Switch b -> JsonValue.Create b :> JsonNode
                | SettingValue.Text s -> JsonValue.Create s :> JsonNode
                | SettingValue.Texts xs -> JsonArray([| for x in xs -> JsonValue.Create x :> JsonNode |])
        o.ToJsonString(JsonSerializerOptions(WriteIndented = true))

    // The settings that files written before the table left "" for their default.
    let private blankForDefault (s: TrainSetting) (n: JsonNode) =
        n.GetValueKind() = JsonValueKind.String && n.GetValue<string>() = ""
        && List.contains s.Name [ "Encoding"; "SplitBy"; "Device"; "Backend" ]

    /// The given values of a checkpoint's configuration JSON (keys that are no setting, e.g. of a newer
    /// version, are passed over; a null, or an older file's "" for the default, is not given); an error
    /// names the key.
    let ofJson (json: string) : Result<Map<string, SettingValue>, string> =
        let node =
            try Ok(JsonNode.Parse json)
            with :? JsonException as e -> Error $"the training configuration is not valid JSON ({e.Message})"
        match node with
        | Error e -> Error e
        | Ok(:? JsonObject as o) ->
            let value (s: TrainSetting) (n: JsonNode) : Result<SettingValue, string> =
                match n.GetValueKind(), s.Kind with
                | JsonValueKind.Number, SettingKind.Whole ->
                    match n.AsValue().TryGetValue<int64>() with
                    | true, x -> Ok(SettingValue.Whole x)
                    | _ -> Error $"{s.Name}: expected a whole number, got {n.ToJsonString()}"
                | JsonValueKind.Number, SettingKind.Number -> Ok(SettingValue.Number(n.GetValue<float>()))
                | (JsonValueKind.True | JsonValueKind.False), SettingKind.Switch -> Ok(SettingValue.Switch(n.GetValue<bool>()))
                | JsonValueKind.String, _ -> Ok(SettingValue.Text(n.GetValue<string>()))
                | JsonValueKind.Array, SettingKind.Texts ->
                    try Ok(SettingValue.Texts [ for x in n.AsArray() -> x.GetValue<string>() ])
                    with :? InvalidOperationException -> Error $"{s.Name}: expected a list of texts, got {n.ToJsonString()}"
                | _ -> Error $"{s.Name}: expected a value of kind {s.Kind}, got {n.ToJsonString()}"
            let folder (acc: Result<Map<string, SettingValue>, string>) (KeyValue(key: string, n: JsonNode)) =
                match acc, tryFind key with
                | Error e, _ -> Error e
                // Files written before the table left some settings "" for their default (Encoding, Device, ...).
                | Ok m, Some s when not (isNull n) && not (blankForDefault s n) -> value s n |> Result.map (fun v -> m.Add(key, v))
                | Ok m, _ -> Ok m
            o |> Seq.fold folder (Ok Map.empty)
        | Ok _ -> Error "the training configuration is not a JSON object"

/// The defaults of a training configuration, its names, its checkpoint form and its validation, all read
/// from `TrainSettings.all`.
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module TrainConfig =
    /// The defaults of `snn train` (each row's default): the small conv net with DA-LIF on the embedded
    /// synthetic dataset.
    let defaults : TrainConfig =
        match TrainSettings.build (fun _ -> None) with
        | c, [] -> c
        | _, p :: _ -> invalidOp $"the default of the training setting {p.Setting} does not apply: {p.Message}"

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

    /// The JSON a checkpoint stores: each stored setting's value by its name.
    let toJson (c: TrainConfig) = TrainSettings.toJson c

    /// Reads a checkpoint's JSON (older checkpoints too: a setting they lack has its default); a malformed
    /// one is a data error naming `source` and the setting.
    let ofJson (source: string) (json: string) : TrainConfig =
        match TrainSettings.ofJson json with
        | Error e -> Fail.data $"{source}: {e}"
        | Ok given ->
            match TrainSettings.build given.TryFind with
            | c, [] -> c
            | _, p :: _ -> Fail.data $"{source}: {p.Setting}: {p.Message}"

    /// Problems with a configuration that do not need the data or the model to find, each with the setting it
    /// is about (its name in the table): the CLI, F# sessions and the C# facade refuse a configuration with
    /// these same messages.
    let problems (c: TrainConfig) : ConfigProblem list = TrainSettings.problems c

    /// The configuration of a network a program built (the C# facade's): the settings given by name, then
    /// the data, model, neuron and device the program passes; with every problem `build` and `problems` find.
    let ofProgram (given: Collections.Generic.IReadOnlyDictionary<string, SettingValue>) (dataset: DataSource)
                  (model: ZooModel option) (neuron: Neuron) (device: SnnDsl.Torch.Device) : TrainConfig * ConfigProblem list =
        let c, unread = TrainSettings.buildFrom given
        let c = { c with Dataset = dataset; Model = model; Neuron = neuron; Device = device }
        // A field whose value did not read keeps nothing to check.
        c, (if unread.IsEmpty then problems c else unread)

    /// The messages of `problems`.
    let validate (c: TrainConfig) : string list = problems c |> List.map _.Message
