namespace SnnDsl.Training

open System
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Data

/// A configuration turned into live objects: data, model, optimiser. Creating one touches no output
/// directory, so a bad dataset, model or neuron name fails before anything is written.
type Session =
    { /// The validated configuration the session was built from (checkpoints store it).
      Config: TrainConfig
      /// The neuron of the spiking layers (null for a network without one); its text goes into checkpoints.
      Neuron: Neuron
      /// The model's architecture as data (checkpoints store it).
      Spec: NetworkSpec
      /// The network being trained, on `Device` (the session owns it).
      Model: Module
      /// The optimiser over the model's parameters, with its state (the session owns it).
      Optimizer: Optimizer
      /// The training objective over outputs [T, N, classes].
      Loss: Loss
      /// The training batches: shuffled by the seed, augmented, this rank's shard.
      Train: DataLoader
      /// The test batches, in order, each sample visited once over all ranks.
      Test: DataLoader
      /// The shape of one sample (channels, height, width) and the number of classes.
      Input: InputSpec
      /// Where the model and the batches live.
      Device: Device
      /// The process group of a data-parallel run (the session owns it); None: one process.
      Group: ProcessGroup option }

    /// Whether this process writes the run's files: the only process, or rank 0.
    member s.Writes = s.Group |> Option.forall (fun g -> g.Rank = 0)

    interface IDisposable with
        member s.Dispose() =
            (s.Optimizer :> IDisposable).Dispose()
            s.Model.Dispose()
            s.Group |> Option.iter (fun g -> g.Dispose())

/// Building sessions: from a configuration (`create`, `createWith`) or from a network and data a program
/// holds (`ofNetwork`), with the one validation and the one loader setup.
[<RequireQualifiedAccess>]
module Session =
    // A usage error in the configuration (unknown names, bad values); the message lists what is valid.
    let private fail msg : 'a = Fail.usage msg

    /// The frame side of event-camera data: --resize, else 48 for VGGSNN on CIFAR10-DVS and DVS128 Gesture
    /// (the papers' setting), else 0 (the sensor's size).
    let resize (config: TrainConfig) =
        if config.Resize > 0 then config.Resize
        elif config.Model = Some ZooModel.VggSnn
             && List.contains config.Dataset [ DataSource.Registry DatasetName.Cifar10Dvs; DataSource.Registry DatasetName.DvsGesture ] then 48
        else 0

    /// The dataset options a configuration implies (frames = timesteps, split, resize, cache).
    let datasetOptions (config: TrainConfig) : DatasetOptions =
        { DatasetOptions.Default with
            Frames = config.Timesteps
            SplitBy = config.SplitBy
            Resize = resize config
            CacheDirectory = config.CacheDir
            NoCache = config.NoCache
            Cifar10DvsSplit = config.DataSplit }

    /// Joins the process group of a data-parallel run (waiting up to the world's timeout for the other
    /// ranks) and, when asked, switches the model's BatchNorm layers to statistics over every rank.
    let joinWorld (w: WorldConfig) (model: Module) : ProcessGroup =
        let pg = ProcessGroup.Join { ProcessGroupOptions.Create(w.Master, w.Rank, w.Size) with Timeout = w.Timeout }
        if w.SyncBatchNorm then SnnDsl.Distributed.SyncBatchNorm.attach pg model |> ignore
        pg

    /// The loader shards of a data-parallel rank: training padded to equal counts, test visiting each sample
    /// once (on one rank).
    let shards (world: WorldConfig option) : Shard * Shard =
        match world with
        | Some w -> Shard.Of(w.Rank, w.Size), { Rank = w.Rank; WorldSize = w.Size; Tail = ShardTail.Exact }
        | None -> Shard.Single, Shard.Single

    /// Refuses a configuration with any of `TrainConfig.problems` (a usage error listing them all).
    let check (config: TrainConfig) =
        match TrainConfig.validate config with
        | [] -> ()
        | problems -> fail (String.Join("; ", problems))

    /// The training and test loaders of a configuration over two datasets: batch size, seed, limits,
    /// augmentation (geometric for images, event augmentation for frames of a 2-D sensor, none for rows of
    /// channels), the data-parallel shards and the device.
    let loaders (config: TrainConfig) (trainSet: Dataset) (testSet: Dataset) : DataLoader * DataLoader =
        let limit n = if n > 0 then Some n else None
        let augmentation =
            match config.Augment, trainSet.IsTemporal with
            | false, _ -> None
            | true, false -> Some Augmentation.Standard
            | true, true when trainSet.SampleShape[2] > 1 -> Some Augmentation.Events
            | true, true -> None // SHD/SSC rows: no geometric augmentation
        let trainShard, testShard = shards config.World
        let trainOptions =
            { LoaderOptions.Train(config.BatchSize, config.Seed, ?augmentation = augmentation) with Limit = limit config.LimitTrain }
        let testOptions = { LoaderOptions.Test(config.BatchSize) with Limit = limit config.LimitTest }
        new DataLoader(trainSet, trainOptions, trainShard), new DataLoader(testSet, testOptions, testShard)

    /// The one place a Session is put together (from a checked configuration and what was built for it),
    /// with `loaders`' loaders.
    let private assemble (config: TrainConfig) (spec: NetworkSpec) (model: Module) (optimizer: Optimizer) (input: InputSpec)
                         (trainSet: Dataset) (testSet: Dataset) (group: ProcessGroup option) : Session =
        let train, test = loaders config trainSet testSet
        { Config = config
          Neuron = config.Neuron
          Spec = spec
          Model = model
          Optimizer = optimizer
          Loss = config.Loss
          Train = train
          Test = test
          Input = input
          Device = config.Device
          Group = group }

    /// A session over a network, its optimiser and data that a program already holds (the C# facade, a
    /// script): the configuration is checked as `create` checks it, and the loaders are `create`'s. `group`
    /// is the process group the program joined for a data-parallel run (the session then owns it).
    let ofNetwork (config: TrainConfig) (spec: NetworkSpec) (model: Module) (optimizer: Optimizer)
                  (trainSet: Dataset) (testSet: Dataset) (group: ProcessGroup option) : Session =
        check config
        let shape, classes = NetworkSpec.io spec
        let input = { Channels = shape[0]; Height = shape[1]; Width = shape[2]; Classes = classes }
        assemble config spec model optimizer input trainSet testSet group

    /// Like `create`, with the network `spec` describes when given (a checkpoint's architecture, e.g. one
    /// built in code) instead of the configuration's zoo model; its input must fit the data.
    let createWith (spec: NetworkSpec option) (config: TrainConfig) : Session =
        check config
        let dataset =
            match config.Dataset with
            | DataSource.Registry d -> d
            | DataSource.InCode name ->
                let valid = String.Join(", ", Datasets.names)
                fail $"the data '{name}' was passed in by a program; a session loads datasets of the registry ({valid})"
        let datasetName = DatasetName.name dataset
        let zoo =
            match spec, config.Model with
            | Some _, _ -> None
            | None, Some m -> Some m
            | None, None -> fail "no model: name one of the zoo's or give the network's NetworkSpec"
        let device = config.Device
        if device <> Device.Cpu && not (Torch.cudaAvailable ()) then
            fail $"device {device}: CUDA is not available on this machine (this libtorch has no CUDA or no GPU is visible)"
        let neuron = config.Neuron
        if spec.IsNone && isNull (box neuron) then fail "a model of the zoo needs a neuron"
        // 0 means every core (libtorch's own default here is 1 thread).
        Torch.setThreads (if config.Threads > 0 then config.Threads else Environment.ProcessorCount)
        let options = datasetOptions config
        if List.contains dataset [ DatasetName.Shd; DatasetName.Ssc ] && spec.IsNone && config.Model <> Some ZooModel.Fc then
            fail $"{datasetName} samples are rows of 700 channels, not images: use the model fc (the fully connected SNN)"
        let trainSet = Datasets.loadWith options datasetName config.DataDir true
        let testSet = Datasets.loadWith options datasetName config.DataDir false
        let shape = trainSet.SampleShape
        let c, h, w = if trainSet.IsTemporal then shape[1], shape[2], shape[3] else shape[0], shape[1], shape[2]
        let input = { Channels = c; Height = h; Width = w; Classes = trainSet.NumClasses }
        Torch.manualSeed (uint64 config.Seed)
        let spec =
            match spec with
            | Some spec ->
                let shape, classes = NetworkSpec.io spec
                if shape <> [| c; h; w |] || classes < input.Classes then
                    fail $"the network takes samples {Shape.text shape} into {classes} outputs, but {datasetName} has samples [{c}, {h}, {w}] in {input.Classes} classes"
                spec
            | None -> NetworkSpec.Zoo(zoo.Value, neuron, input)
        let model =
            use _ = Module.CreateOn device
            NetworkSpec.build config.Backend spec
        for _, m in model.NamedModules() do
            match m with
            | :? SpikingLayer as l -> l.CheckFinite <- config.CheckFinite
            | _ -> ()
        // The ranks meet last, once everything that can fail alone (names, data, the model) has been built.
        let group = config.World |> Option.map (fun w -> joinWorld w model)
        let optimizer =
            new Optimizer(config.Optimizer, model.Parameters(), config.LearningRate, weightDecay = config.WeightDecay)
        assemble config spec model optimizer input trainSet testSet group

    /// The model's input for a batch, scaled and shifted (InputScale, InputShift) and encoded over time: static
    /// images [N, C, H, W] become [T, N, C, H, W] by the configuration's Encoding (Direct: the image at every
    /// step); frames that already are [T, N, ...] are encoded step by step (Direct: as they are).
    let encode (session: Session) (x: Tensor) =
        let c = session.Config
        let x = Encoding.transform c.InputScale c.InputShift x
        if x.Dim = 4 then Encoding.steps c.Timesteps c.Encoding x else Encoding.frames c.Encoding x

    /// Loads the data and builds the configuration's zoo model and optimiser (seeded, so the initial weights
    /// are reproducible).
    let create (config: TrainConfig) : Session = createWith None config
