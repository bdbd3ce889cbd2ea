/// `snn train`: trains a model with a DSL neuron, writing metrics.jsonl, checkpoints and a report.
module SnnDsl.Cli.TrainCommand

open SnnDsl.Core
open System
open System.IO
open System.Threading
open Argu
open Spectre.Console
open SnnDsl.Training

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

    interface IArgParserTemplate with
        member a.Usage =
            let d = TrainConfig.defaults
            match a with
            | Dataset _ -> $"synthetic | mnist | fashion-mnist | cifar10 | cifar100 | nmnist | cifar10-dvs | dvs-gesture | shd | ssc [{d.Dataset}]"
            | Data_Dir _ -> "folder of the dataset's files (or its parent)"
            | Model _ -> $"small-conv | vgg11 | vgg13 | vgg16 | vggsnn | resnet18 | resnet19 | resnet20 | fc [{d.Model}]"
            | Neuron _ -> $"any built-in neuron (see `snn neurons`) [{d.Neuron}]"
            | Neuron_File _ -> "train the neuron of this file instead (its text form, docs/dsl.md); checkpoints store its text"
            | Param _ -> "a neuron parameter's raw initial value, NAME=VALUE; repeatable"
            | Surrogate _ -> "surrogate gradient, e.g. atan:2 [the neuron's own]"
            | Timesteps _ -> $"time steps T (= frames of event data) [{d.Timesteps}]"
            | Frames _ -> "frames per event sample: the same as --timesteps"
            | Split_By _ -> $"event data: number | time | duration:<us> [{d.SplitBy}]"
            | Resize _ -> "event-camera frames resized to N x N [48 for vggsnn on cifar10-dvs/dvs-gesture, else the sensor's size]"
            | Data_Split _ -> $"cifar10-dvs: paper (first 100 per class test) | 9:1 [{d.DataSplit}]"
            | Cache_Dir _ -> "frame cache folder of event data [$SNNDSL_CACHE or ~/.cache/snndsl/frames]"
            | No_Cache -> "integrate event frames in memory; do not read or write the frame cache"
            | Epochs _ -> $"epochs [{d.Epochs}]"
            | Batch_Size _ -> $"batch size [{d.BatchSize}]"
            | Lr _ -> $"initial learning rate [{d.LearningRate}]"
            | Optimizer _ -> $"sgd | adam | adamw [{d.Optimizer}]"
            | Momentum _ -> $"SGD momentum [{d.Momentum}]"
            | Weight_Decay _ -> $"weight decay [{d.WeightDecay}]"
            | Loss _ -> $"ce (mean-output cross entropy) | tet | mse [{d.Loss}]"
            | Tet_Lambda _ -> $"TET's MSE weight lambda [{d.TetLambda}]"
            | Label_Smoothing _ -> "label smoothing of the cross entropy [0]"
            | Schedule _ -> $"cosine | step | constant [{d.Schedule}]"
            | Warmup _ -> "linear learning-rate warm-up, in epochs [0]"
            | Clip _ -> "clip the gradients' global norm [off]"
            | Augment _ -> "random crop + flip for static images; flip, roll, rotation and shear for event frames"
            | Out _ -> $"run directory: metrics.jsonl, checkpoint.snnt, report.html [{d.OutDir}]"
            | Resume -> "continue the run in --out from its checkpoint, exactly where it stopped"
            | Device _ -> "cpu | cuda | cuda:N [cpu]"
            | Backend _ -> $"neurons' interpreter: eager | fused | auto (fused where it applies, else eager) [{d.Backend}]"
            | Threads _ -> "libtorch and OpenBLAS threads [all cores]"
            | Limit_Train _ -> "use only N training samples (evenly spaced) [all]"
            | Limit_Test _ -> "use only N test samples [all]"
            | Seed _ -> $"seed of weights, data order, augmentation and dropout [{d.Seed}]"
            | Checkpoint_Every _ -> $"also checkpoint every N batches within an epoch, 0 = only at epoch ends [{d.CheckpointEvery}]"
            | Check_Finite -> "every spiking layer checks that its input is finite and stops the run naming how many values are not (docs/dsl.md, 'Non-finite values')"
            | No_Report -> "do not write report.html at the end"

/// The configuration the arguments describe.
let configOf (args: ParseResults<TrainArgs>) : TrainConfig =
    let d = TrainConfig.defaults
    let timesteps =
        match args.TryGetResult TrainArgs.Timesteps, args.TryGetResult TrainArgs.Frames with
        | Some t, Some f when t <> f -> Fail.usage $"--timesteps {t} and --frames {f} disagree; they are the same number, give one"
        | Some t, _ | None, Some t -> t
        | None, None -> d.Timesteps
    // A file's neuron travels as its text (and is stored in every checkpoint); a built-in by its name.
    let neuronName, neuronText =
        match args.TryGetResult TrainArgs.Neuron, args.TryGetResult TrainArgs.Neuron_File with
        | Some _, Some _ -> Fail.usage "give --neuron NAME (a built-in) or --neuron-file FILE (a .neuron file), not both"
        | None, Some path ->
            let file = NeuronText.load path
            file.Neuron.Name, Describe.text file.Neuron
        | name, None -> (defaultArg name d.Neuron).Trim(), ""
    { d with
        Dataset = (args.GetResult(TrainArgs.Dataset, defaultValue = d.Dataset)).Trim().ToLowerInvariant()
        DataDir = args.GetResult(TrainArgs.Data_Dir, defaultValue = d.DataDir)
        Model = (args.GetResult(TrainArgs.Model, defaultValue = d.Model)).Trim().ToLowerInvariant()
        Neuron = neuronName
        NeuronText = neuronText
        NeuronParams = args.GetResults TrainArgs.Param |> List.toArray
        Surrogate = args.GetResult(TrainArgs.Surrogate, defaultValue = d.Surrogate)
        Timesteps = timesteps
        SplitBy = (args.GetResult(TrainArgs.Split_By, defaultValue = d.SplitBy)).Trim().ToLowerInvariant()
        Resize = args.GetResult(TrainArgs.Resize, defaultValue = d.Resize)
        DataSplit = (args.GetResult(TrainArgs.Data_Split, defaultValue = d.DataSplit)).Trim().ToLowerInvariant()
        CacheDir = args.GetResult(TrainArgs.Cache_Dir, defaultValue = d.CacheDir)
        NoCache = args.Contains TrainArgs.No_Cache
        Epochs = args.GetResult(TrainArgs.Epochs, defaultValue = d.Epochs)
        BatchSize = args.GetResult(TrainArgs.Batch_Size, defaultValue = d.BatchSize)
        LearningRate = args.GetResult(TrainArgs.Lr, defaultValue = d.LearningRate)
        Optimizer = (args.GetResult(TrainArgs.Optimizer, defaultValue = d.Optimizer)).Trim().ToLowerInvariant()
        Momentum = args.GetResult(TrainArgs.Momentum, defaultValue = d.Momentum)
        WeightDecay = args.GetResult(TrainArgs.Weight_Decay, defaultValue = d.WeightDecay)
        Loss = (args.GetResult(TrainArgs.Loss, defaultValue = d.Loss)).Trim().ToLowerInvariant()
        TetLambda = args.GetResult(TrainArgs.Tet_Lambda, defaultValue = d.TetLambda)
        LabelSmoothing = args.GetResult(TrainArgs.Label_Smoothing, defaultValue = d.LabelSmoothing)
        Schedule = (args.GetResult(TrainArgs.Schedule, defaultValue = d.Schedule)).Trim().ToLowerInvariant()
        WarmupEpochs = args.GetResult(TrainArgs.Warmup, defaultValue = d.WarmupEpochs)
        ClipGradNorm = args.GetResult(TrainArgs.Clip, defaultValue = d.ClipGradNorm)
        Augment = args.Contains TrainArgs.Augment
        LimitTrain = args.GetResult(TrainArgs.Limit_Train, defaultValue = d.LimitTrain)
        LimitTest = args.GetResult(TrainArgs.Limit_Test, defaultValue = d.LimitTest)
        Seed = args.GetResult(TrainArgs.Seed, defaultValue = d.Seed)
        Device = args.GetResult(TrainArgs.Device, defaultValue = d.Device)
        Backend = (args.GetResult(TrainArgs.Backend, defaultValue = d.Backend)).Trim().ToLowerInvariant()
        Threads = args.GetResult(TrainArgs.Threads, defaultValue = d.Threads)
        CheckpointEvery = args.GetResult(TrainArgs.Checkpoint_Every, defaultValue = d.CheckpointEvery)
        CheckFinite = args.Contains TrainArgs.Check_Finite
        OutDir = args.GetResult(TrainArgs.Out, defaultValue = d.OutDir) }

/// Runs the command.
let run (args: ParseResults<TrainArgs>) (out: TextWriter) : int =
    let config = configOf args
    use cancel = new CancellationTokenSource()
    // Ctrl+C stops after the current batch; the last checkpoint stays valid for --resume.
    let onCancel = ConsoleCancelEventHandler(fun _ e -> e.Cancel <- true; cancel.Cancel())
    Console.CancelKeyPress.AddHandler onCancel
    try
        let interactive = Object.ReferenceEquals(out, Console.Out) && AnsiConsole.Profile.Capabilities.Interactive && not Console.IsOutputRedirected
        let metrics =
            try
                TrainProgress.withProgress out interactive (fun observe -> Trainer.run config (args.Contains TrainArgs.Resume) observe cancel.Token)
            with Session.ConfigError message -> Fail.usage message
        if not (args.Contains TrainArgs.No_Report) then
            let report = Path.Combine(config.OutDir, "report.html")
            Report.write report [ config.OutDir ]
            out.WriteLine($"wrote {Path.Combine(config.OutDir, Metrics.fileName)}, {Path.Combine(config.OutDir, Checkpoint.fileName)} and {report}")
        match List.tryLast metrics with
        | Some m -> out.WriteLine($"final test accuracy {m.TestAccuracy:F4} after {m.Epoch} epoch(s)")
        | None -> out.WriteLine("nothing to do: the run had already finished its epochs")
        ExitCode.Ok
    finally
        Console.CancelKeyPress.RemoveHandler onCancel
