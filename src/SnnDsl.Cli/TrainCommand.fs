/// `snn train`: trains a model with a DSL neuron, writing metrics.jsonl, checkpoints and a report.
module SnnDsl.Cli.TrainCommand

open SnnDsl.Core
open System
open System.IO
open System.Threading
open Argu
open Spectre.Console
open SnnDsl.Training
open SnnDsl.Report

/// The arguments of `snn train` (defaults in brackets come from TrainConfig.defaults).
[<RequireQualifiedAccess>]
type TrainArgs =
    | [<Unique>] Dataset of name: string
    | [<Unique>] Data_Dir of path: string
    | [<Unique>] Model of name: string
    | [<Unique>] Neuron of name: string
    | [<Unique>] Neuron_File of ``file.neuron``: string
    | Param of ``name=value``: string
    | [<Unique>] Surrogate of ``name[:param]``: string
    | [<Unique>] Timesteps of t: int
    | [<Unique>] Frames of m: int
    | [<Unique>] Encode of encoding: string
    | [<Unique>] Input_Scale of scale: float
    | [<Unique>] Input_Shift of shift: float
    | [<Unique>] Split_By of method: string
    | [<Unique>] Resize of side: int
    | [<Unique>] Data_Split of split: string
    | [<Unique>] Cache_Dir of dir: string
    | No_Cache
    | [<Unique>] Epochs of n: int
    | [<Unique>] Batch_Size of n: int
    | [<Unique>] Lr of rate: float
    | [<Unique>] Optimizer of name: string
    | [<Unique>] Momentum of m: float
    | [<Unique>] Weight_Decay of wd: float
    | [<Unique>] Loss of name: string
    | [<Unique>] Tet_Lambda of lambda: float
    | [<Unique>] Label_Smoothing of eps: float
    | [<Unique>] Schedule of name: string
    | [<Unique>] Warmup of epochs: float
    | [<Unique>] Clip of max_norm: float
    | Augment
    | [<Unique>] Out of dir: string
    | Resume
    | [<Unique>] Device of device: string
    | [<Unique>] Backend of ``eager|fused|auto``: string
    | [<Unique>] Threads of n: int
    | [<Unique>] Limit_Train of n: int
    | [<Unique>] Limit_Test of n: int
    | [<Unique>] Seed of seed: int64
    | [<Unique>] Checkpoint_Every of batches: int
    | Check_Finite
    | No_Report
    | [<Unique>] Nproc of n: int
    | [<Unique>] World_Size of w: int
    | [<Unique>] Rank of r: int
    | [<Unique>] Master of ``host:port``: string
    | Sync_Bn
    | [<Unique>] Dist_Timeout of seconds: float

    interface IArgParserTemplate with
        member a.Usage =
            let d = TrainConfig.defaults
            let lossName, _, _ = Setting.lossText d.Loss
            let defaultOut = defaultArg d.OutDir "runs/default"
            match a with
            | Dataset _ -> $"synthetic | mnist | fashion-mnist | cifar10 | cifar100 | nmnist | cifar10-dvs | dvs-gesture | shd | ssc [{TrainConfig.datasetName d}]"
            | Data_Dir _ -> "folder of the dataset's files (or its parent)"
            | Model _ -> $"small-conv | vgg11 | vgg13 | vgg16 | vggsnn | resnet18 | resnet19 | resnet20 | fc [{TrainConfig.modelName d}]"
            | Neuron _ -> $"any built-in neuron (see `snn neurons`) [{d.Neuron.Name}]"
            | Neuron_File _ -> "train the neuron of this file instead (its text form, docs/dsl.md); checkpoints store its text"
            | Param _ -> "a neuron parameter's raw initial value, NAME=VALUE; repeatable"
            | Surrogate _ -> "surrogate gradient, e.g. atan:2 [the neuron's own]"
            | Timesteps _ -> $"time steps T (= frames of event data) [{d.Timesteps}]"
            | Frames _ -> "frames per event sample: the same as --timesteps"
            | Encode _ ->
                $"how inputs reach the T steps: direct (the value at every step) | rate[:gain] (Bernoulli spikes, p = gain * x) | latency[:threshold] (one spike, earlier for larger x) | delta[:threshold[:off]] (spikes where x changes) [{SnnDsl.Nn.Encoding.text d.Encoding}]"
            | Input_Scale _ -> $"multiply every input value by this before encoding, e.g. pixels in [0, 1] to millivolts [{d.InputScale}]"
            | Input_Shift _ -> $"then add this to every input value [{d.InputShift}]"
            | Split_By _ -> $"event data: number | time | duration:<us> [{string d.SplitBy}]"
            | Resize _ -> "event-camera frames resized to N x N [48 for vggsnn on cifar10-dvs/dvs-gesture, else the sensor's size]"
            | Data_Split _ -> $"cifar10-dvs: paper (first 100 per class test) | 9:1 [{Setting.dataSplitText d.DataSplit}]"
            | Cache_Dir _ -> "frame cache folder of event data [$SNNDSL_CACHE or ~/.cache/snndsl/frames]"
            | No_Cache -> "integrate event frames in memory; do not read or write the frame cache"
            | Epochs _ -> $"epochs [{d.Epochs}]"
            | Batch_Size _ -> $"batch size [{d.BatchSize}]"
            | Lr _ -> $"initial learning rate [{d.LearningRate}]"
            | Optimizer _ -> $"sgd | adam | adamw [{fst (Setting.optimizerText d.Optimizer)}]"
            | Momentum _ -> $"SGD momentum [{snd (Setting.optimizerText d.Optimizer)}]"
            | Weight_Decay _ -> $"weight decay [{d.WeightDecay}]"
            | Loss _ -> $"ce (mean-output cross entropy) | tet | mse [{lossName}]"
            | Tet_Lambda _ -> $"TET's MSE weight lambda [{SnnDsl.Nn.Loss.tetLambda}]"
            | Label_Smoothing _ -> "label smoothing of the cross entropy [0]"
            | Schedule _ -> $"cosine | step | constant | step:<epochs>:<gamma> [{Setting.scheduleText d.Schedule}]"
            | Warmup _ -> "linear learning-rate warm-up, in epochs [0]"
            | Clip _ -> "clip the gradients' global norm [off]"
            | Augment -> "random crop + flip for static images; flip, roll, rotation and shear for event frames"
            | Out _ -> $"run directory: metrics.jsonl, checkpoint.snnt, report.html [{defaultOut}]"
            | Resume -> "continue the run in --out from its checkpoint, exactly where it stopped"
            | Device _ -> "cpu | cuda | cuda:N [cpu]"
            | Backend _ -> $"neurons' interpreter: eager | fused | auto (fused where it applies, else eager) [{SnnDsl.Backends.Backend.name d.Backend}]"
            | Threads _ -> "libtorch and OpenBLAS threads [all cores]"
            | Limit_Train _ -> "use only N training samples (evenly spaced) [all]"
            | Limit_Test _ -> "use only N test samples [all]"
            | Seed _ -> $"seed of weights, data order, augmentation and dropout [{d.Seed}]"
            | Checkpoint_Every _ -> $"also checkpoint every N batches within an epoch, 0 = only at epoch ends [{d.CheckpointEvery}]"
            | Check_Finite -> "every spiking layer checks that its input is finite and stops the run naming how many values are not (docs/dsl.md, 'Non-finite values')"
            | No_Report -> "do not write report.html at the end"
            | Nproc _ -> "data-parallel: start N ranks on this machine, each with its share of --threads (docs/distributed.md)"
            | World_Size _ -> "data-parallel: the number of ranks of a run that this process joins (with --rank and --master)"
            | Rank _ -> "data-parallel: this process's rank, 0 .. world size - 1"
            | Master _ -> "data-parallel: where the ranks meet: rank 0 hosts a TCP store at HOST:PORT"
            | Sync_Bn -> "data-parallel: BatchNorm with statistics over every rank's batch"
            | Dist_Timeout _ -> "data-parallel: seconds a rank waits for the others before failing [120]"

/// The configuration the arguments describe: each flag's text is parsed here, once, into its typed
/// setting; a value that does not parse is a usage error naming the flag.
let configOf (args: ParseResults<TrainArgs>) : TrainConfig =
    let d = TrainConfig.defaults
    let flag (name: string) (r: Result<'a, string>) =
        match r with
        | Ok v -> v
        | Error e -> Fail.usage $"{name}: {e}"
    let timesteps =
        match args.TryGetResult TrainArgs.Timesteps, args.TryGetResult TrainArgs.Frames with
        | Some t, Some f when t <> f -> Fail.usage $"--timesteps {t} and --frames {f} disagree; they are the same number, give one"
        | Some t, _ | None, Some t -> t
        | None, None -> d.Timesteps
    let epochs = args.GetResult(TrainArgs.Epochs, defaultValue = d.Epochs)
    let overrides = args.GetResults TrainArgs.Param
    let surrogate = args.GetResult(TrainArgs.Surrogate, defaultValue = "")
    // A file's neuron travels as its text (and is stored in every checkpoint); a built-in by its name.
    let neuron =
        match args.TryGetResult TrainArgs.Neuron, args.TryGetResult TrainArgs.Neuron_File with
        | Some _, Some _ -> Fail.usage "give --neuron NAME (a built-in) or --neuron-file FILE (a .neuron file), not both"
        | None, Some path ->
            let file = NeuronText.load path
            flag "--neuron-file" (Neuron.configure overrides (if surrogate = "" then None else Some surrogate) file.Neuron)
        | name, None ->
            let name = match name with Some n -> n.Trim() | None -> d.Neuron.Name
            flag "--neuron" (Setting.neuron name "" overrides surrogate)
    // Numbers that only some settings read are range-checked here too, where they are given.
    match args.TryGetResult TrainArgs.Tet_Lambda with
    | Some l when not (l >= 0.0 && l <= 1.0) -> Fail.usage $"--tet-lambda: TET's lambda must be in [0, 1], got {l}"
    | _ -> ()
    match args.TryGetResult TrainArgs.Dist_Timeout with
    | Some t when not (t > 0.0) || Double.IsInfinity t -> Fail.usage $"--dist-timeout must be a positive number of seconds, got {t}"
    | _ -> ()
    let defaultOptimizer, defaultMomentum = Setting.optimizerText d.Optimizer
    let defaultLoss, defaultLambda, _ = Setting.lossText d.Loss
    { d with
        Dataset =
            match args.TryGetResult TrainArgs.Dataset with
            | Some name -> DataSource.Registry(flag "--dataset" (SnnDsl.Data.DatasetName.parse name))
            | None -> d.Dataset
        DataDir = args.GetResult(TrainArgs.Data_Dir, defaultValue = d.DataDir)
        Model =
            match args.TryGetResult TrainArgs.Model with
            | Some name -> Some(flag "--model" (SnnDsl.Nn.ZooModel.parse name))
            | None -> d.Model
        Neuron = neuron
        Timesteps = timesteps
        Encoding = flag "--encode" (SnnDsl.Nn.Encoding.parse (args.GetResult(TrainArgs.Encode, defaultValue = SnnDsl.Nn.Encoding.text d.Encoding)))
        InputScale = args.GetResult(TrainArgs.Input_Scale, defaultValue = d.InputScale)
        InputShift = args.GetResult(TrainArgs.Input_Shift, defaultValue = d.InputShift)
        SplitBy = flag "--split-by" (SnnDsl.Data.SplitBy.parse (args.GetResult(TrainArgs.Split_By, defaultValue = string d.SplitBy)))
        Resize = args.GetResult(TrainArgs.Resize, defaultValue = d.Resize)
        DataSplit = flag "--data-split" (Setting.dataSplit (args.GetResult(TrainArgs.Data_Split, defaultValue = Setting.dataSplitText d.DataSplit)))
        CacheDir = args.GetResult(TrainArgs.Cache_Dir, defaultValue = d.CacheDir)
        NoCache = args.Contains TrainArgs.No_Cache
        Epochs = epochs
        BatchSize = args.GetResult(TrainArgs.Batch_Size, defaultValue = d.BatchSize)
        LearningRate = args.GetResult(TrainArgs.Lr, defaultValue = d.LearningRate)
        Optimizer =
            flag "--optimizer"
                (Setting.optimizer (args.GetResult(TrainArgs.Optimizer, defaultValue = defaultOptimizer))
                    (args.GetResult(TrainArgs.Momentum, defaultValue = defaultMomentum)))
        WeightDecay = args.GetResult(TrainArgs.Weight_Decay, defaultValue = d.WeightDecay)
        Loss =
            flag "--loss"
                (Setting.loss (args.GetResult(TrainArgs.Loss, defaultValue = defaultLoss))
                    (args.GetResult(TrainArgs.Tet_Lambda, defaultValue = defaultLambda))
                    (args.GetResult(TrainArgs.Label_Smoothing, defaultValue = 0.0)))
        Schedule = flag "--schedule" (Setting.schedule (args.GetResult(TrainArgs.Schedule, defaultValue = Setting.scheduleText d.Schedule)) epochs)
        WarmupEpochs = args.GetResult(TrainArgs.Warmup, defaultValue = d.WarmupEpochs)
        ClipGradNorm = args.GetResult(TrainArgs.Clip, defaultValue = d.ClipGradNorm)
        Augment = args.Contains TrainArgs.Augment
        LimitTrain = args.GetResult(TrainArgs.Limit_Train, defaultValue = d.LimitTrain)
        LimitTest = args.GetResult(TrainArgs.Limit_Test, defaultValue = d.LimitTest)
        Seed = args.GetResult(TrainArgs.Seed, defaultValue = d.Seed)
        Device = flag "--device" (Setting.device (args.GetResult(TrainArgs.Device, defaultValue = string d.Device)))
        Backend = flag "--backend" (SnnDsl.Backends.Backend.parse (args.GetResult(TrainArgs.Backend, defaultValue = SnnDsl.Backends.Backend.name d.Backend)))
        Threads = args.GetResult(TrainArgs.Threads, defaultValue = d.Threads)
        CheckpointEvery = args.GetResult(TrainArgs.Checkpoint_Every, defaultValue = d.CheckpointEvery)
        CheckFinite = args.Contains TrainArgs.Check_Finite
        World =
            match args.TryGetResult TrainArgs.World_Size, args.TryGetResult TrainArgs.Rank, args.TryGetResult TrainArgs.Master with
            | None, None, None ->
                if args.Contains TrainArgs.Sync_Bn then Fail.usage "--sync-bn needs a data-parallel run (--nproc, or --world-size/--rank/--master)"
                None
            | Some size, Some rank, Some master ->
                let host, port =
                    match master.LastIndexOf ':' with
                    | i when i > 0 ->
                        match Int32.TryParse(master.Substring(i + 1)) with
                        | true, p when p > 0 && p < 65536 -> master.Substring(0, i), p
                        | _ -> Fail.usage $"--master {master}: the port must be a number from 1 to 65535"
                    | _ -> Fail.usage $"--master {master}: expected HOST:PORT, e.g. 10.0.0.1:29500"
                let timeout = args.GetResult(TrainArgs.Dist_Timeout, defaultValue = 120.0)
                if not (timeout > 0.0) || Double.IsInfinity timeout then Fail.usage $"--dist-timeout must be a positive number of seconds, got {timeout}"
                Some
                    { Rank = rank
                      Size = size
                      Master = SnnDsl.Torch.Rendezvous.Tcp(host, port)
                      SyncBatchNorm = args.Contains TrainArgs.Sync_Bn
                      Timeout = TimeSpan.FromSeconds timeout }
            | _ -> Fail.usage "a rank of a data-parallel run needs --world-size, --rank and --master together"
        OutDir = Some(args.GetResult(TrainArgs.Out, defaultValue = defaultArg d.OutDir "runs/default")) }

/// Runs the command (`argv`: the whole command line, which `--nproc` passes on to its ranks).
let run (args: ParseResults<TrainArgs>) (argv: string list) (out: TextWriter) (err: TextWriter) : int =
  match args.TryGetResult TrainArgs.Nproc with
  | Some n -> Launcher.run n (args.GetResult(TrainArgs.Threads, defaultValue = 0)) argv out err
  | None ->
    let config = configOf args
    use cancel = new CancellationTokenSource()
    // Ctrl+C stops after the current batch; the last checkpoint stays valid for --resume.
    let onCancel = ConsoleCancelEventHandler(fun _ e -> e.Cancel <- true; cancel.Cancel())
    Console.CancelKeyPress.AddHandler onCancel
    try
        let interactive = Object.ReferenceEquals(out, Console.Out) && AnsiConsole.Profile.Capabilities.Interactive && not Console.IsOutputRedirected
        let outDir = defaultArg config.OutDir ""
        // The library refuses too, naming the setting; the CLI names its flags.
        if not (args.Contains TrainArgs.Resume) && File.Exists(Path.Combine(outDir, Checkpoint.fileName)) then
            Fail.usage $"{outDir} already holds a run (checkpoint.snnt); use --resume to continue it or choose another --out"
        let metrics =
            TrainProgress.withProgress out interactive (fun observe -> Trainer.run config (args.Contains TrainArgs.Resume) observe cancel.Token)
        // In a data-parallel run rank 0 writes the files.
        if not (args.Contains TrainArgs.No_Report) && config.World |> Option.forall (fun w -> w.Rank = 0) then
            let report = Path.Combine(outDir, "report.html")
            Report.write report [ outDir ]
            out.WriteLine($"wrote {Path.Combine(outDir, Metrics.fileName)}, {Path.Combine(outDir, Checkpoint.fileName)} and {report}")
        match List.tryLast metrics with
        | Some m -> out.WriteLine($"final test accuracy {m.TestAccuracy:F4} after {m.Epoch} epoch(s)")
        | None -> out.WriteLine("nothing to do: the run had already finished its epochs")
        ExitCode.Ok
    finally
        Console.CancelKeyPress.RemoveHandler onCancel
