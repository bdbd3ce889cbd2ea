namespace SnnDsl.Training

open System
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Data

/// A configuration turned into live objects: data, model, optimiser. Creating one touches no output
/// directory, so a bad dataset, model or neuron name fails before anything is written.
type Session =
    { Config: TrainConfig
      Neuron: Neuron
      Model: Module
      Optimizer: Optimizer
      Loss: Loss
      Train: DataLoader
      Test: DataLoader
      Input: InputSpec
      Device: Device }

    interface IDisposable with
        member s.Dispose() =
            (s.Optimizer :> IDisposable).Dispose()
            s.Model.Dispose()

[<RequireQualifiedAccess>]
module Session =
    /// A usage error in the configuration (unknown names, bad values); the message lists what is valid.
    exception ConfigError of string

    let private fail msg = raise (ConfigError msg)

    /// The neuron of the configuration (its text form when it has one, else the built-in it names), with
    /// --param overrides and the surrogate applied.
    let neuron (config: TrainConfig) : Neuron =
        let surrogate = if String.IsNullOrWhiteSpace config.Surrogate then None else Some config.Surrogate
        let definition =
            if String.IsNullOrWhiteSpace config.NeuronText then Builtins.find config.Neuron
            else
                try Ok(NeuronText.parseNeuron $"the text of neuron '{config.Neuron}'" config.NeuronText)
                with :? NeuronSyntaxException as e -> Error e.Message
        match definition |> Result.bind (Neuron.configure config.NeuronParams surrogate) with
        | Ok n -> n
        | Error e -> fail e

    let private optimizerKind (config: TrainConfig) =
        match config.Optimizer with
        | "sgd" -> OptimizerKind.Sgd(config.Momentum, false)
        | "adam" -> OptimizerKind.Adam(0.9, 0.999, 1e-8)
        | "adamw" -> OptimizerKind.AdamW(0.9, 0.999, 1e-8)
        | other -> fail $"unknown optimizer '{other}'; valid optimizers: sgd, adam, adamw"

    let private loss (config: TrainConfig) =
        match config.Loss with
        | "ce" -> Loss.MeanOutputCrossEntropy config.LabelSmoothing
        | "tet" -> Loss.Tet(config.TetLambda, 1.0, config.LabelSmoothing)
        | "mse" -> Loss.CountMse
        | other -> fail $"unknown loss '{other}'; valid losses: ce, tet, mse"

    /// The frame side of event-camera data: --resize, else 48 for VGGSNN on CIFAR10-DVS and DVS128 Gesture
    /// (the papers' setting), else 0 (the sensor's size).
    let resize (config: TrainConfig) =
        if config.Resize > 0 then config.Resize
        elif config.Model = "vggsnn" && List.contains config.Dataset [ "cifar10-dvs"; "dvs-gesture" ] then 48
        else 0

    /// The dataset options a configuration implies (frames = timesteps, split, resize, cache).
    let datasetOptions (config: TrainConfig) : DatasetOptions =
        let orDefault (d: string) (s: string) = if String.IsNullOrWhiteSpace s then d else s
        { DatasetOptions.Default with
            Frames = config.Timesteps
            SplitBy =
                (match SplitBy.parse (orDefault "number" config.SplitBy) with
                 | Ok s -> s
                 | Error e -> fail e)
            Resize = resize config
            CacheDirectory = orDefault "" config.CacheDir
            NoCache = config.NoCache
            Cifar10DvsSplit = if orDefault "paper" config.DataSplit = "9:1" then Cifar10DvsSplit.NineToOne else Cifar10DvsSplit.Paper }

    /// Loads the data and builds the model and optimiser (seeded, so the initial weights are reproducible).
    let create (config: TrainConfig) : Session =
        match TrainConfig.validate config with
        | [] -> ()
        | problems -> fail (String.Join("; ", problems))
        if not (List.contains config.Dataset Datasets.names) then
            let valid = String.Join(", ", Datasets.names)
            fail $"unknown dataset '{config.Dataset}'; valid datasets: {valid}"
        if not (List.contains config.Model Models.names) then
            let valid = String.Join(", ", Models.names)
            fail $"unknown model '{config.Model}'; valid models: {valid}"
        let device =
            try Device.Parse config.Device with ex -> fail ex.Message
        if device <> Device.Cpu && not (Torch.cudaAvailable ()) then
            fail $"--device {config.Device}: CUDA is not available on this machine (this libtorch has no CUDA or no GPU is visible)"
        let neuron = neuron config
        // 0 means every core (libtorch's own default here is 1 thread).
        Torch.setThreads (if config.Threads > 0 then config.Threads else Environment.ProcessorCount)
        let options = datasetOptions config
        if List.contains config.Dataset [ "shd"; "ssc" ] && config.Model <> "fc" then
            fail $"{config.Dataset} samples are rows of 700 channels, not images: use --model fc (the fully connected SNN)"
        let trainSet = Datasets.loadWith options config.Dataset config.DataDir true
        let testSet = Datasets.loadWith options config.Dataset config.DataDir false
        let limit n = if n > 0 then Some n else None
        let augmentation =
            match config.Augment, trainSet.IsTemporal with
            | false, _ -> None
            | true, false -> Some Augmentation.Standard
            | true, true when trainSet.SampleShape[2] > 1 -> Some Augmentation.Events
            | true, true -> None // SHD/SSC rows: no geometric augmentation
        let trainOptions =
            { LoaderOptions.Train(config.BatchSize, config.Seed, ?augmentation = augmentation) with
                Limit = limit config.LimitTrain
                Device = Some device }
        let testOptions = { LoaderOptions.Test(config.BatchSize) with Limit = limit config.LimitTest; Device = Some device }
        let shape = trainSet.SampleShape
        let c, h, w = if trainSet.IsTemporal then shape[1], shape[2], shape[3] else shape[0], shape[1], shape[2]
        let input = { Channels = c; Height = h; Width = w; Classes = trainSet.NumClasses }
        Torch.manualSeed (uint64 config.Seed)
        let model =
            use _ = Module.CreateOn device
            let backend =
                if String.IsNullOrEmpty config.Backend then SnnDsl.Backends.Backend.Auto
                else SnnDsl.Backends.Backend.parse config.Backend |> Result.defaultWith fail
            let spiking ch =
                let layer = new SpikingLayer(neuron, ch, backend = backend)
                layer.CheckFinite <- config.CheckFinite
                layer :> Module
            Models.create config.Model spiking input
        let optimizer =
            new Optimizer(optimizerKind config, model.Parameters(), config.LearningRate, weightDecay = config.WeightDecay)
        { Config = config
          Neuron = neuron
          Model = model
          Optimizer = optimizer
          Loss = loss config
          Train = new DataLoader(trainSet, trainOptions)
          Test = new DataLoader(testSet, testOptions)
          Input = input
          Device = device }

    /// The model's input for a batch: static images [N, C, H, W] are fed at every step (direct encoding,
    /// [T, N, C, H, W]); event frames already are [T, N, C, H, W].
    let encode (session: Session) (x: Tensor) =
        if x.Dim = 4 then
            let s = x.Shape
            x.Unsqueeze(0).Expand(session.Config.Timesteps, s[0], s[1], s[2], s[3])
        else x
