namespace SnnDsl.Data

open System
open System.IO

/// Options of the registry's loaders; each dataset reads the fields that concern it.
type DatasetOptions =
    { /// Normalise CIFAR pixels with the usual per-channel mean/std (MNIST-style sets stay in [0,1]).
      Normalize: bool
      /// Number of frames T of event datasets.
      Frames: int
      /// How events are divided among the frames.
      SplitBy: SplitBy
      /// Samples of the synthetic training split.
      SyntheticTrain: int
      /// Samples of the synthetic test split.
      SyntheticTest: int
      /// Seed of the synthetic dataset (the two splits derive different seeds from it).
      SyntheticSeed: int64
      /// Resize event-camera frames to R x R (e.g. 48 for VGGSNN); 0 keeps the sensor's size.
      Resize: int
      /// The frame cache folder of event datasets; null or empty: FrameCache.defaultDirectory ().
      CacheDirectory: string
      /// Keep integrated frames in memory instead of the frame cache.
      NoCache: bool
      /// How CIFAR10-DVS is split into train and test.
      Cifar10DvsSplit: Cifar10DvsSplit }

    /// Normalised CIFAR, T = 10 frames split by number at the sensor's size, the default frame cache, the
    /// papers' CIFAR10-DVS split, 2,000 / 500 synthetic samples.
    static member Default =
        { Normalize = true
          Frames = 10
          SplitBy = SplitBy.Number
          SyntheticTrain = Synthetic.DefaultTrainCount
          SyntheticTest = Synthetic.DefaultTestCount
          SyntheticSeed = Synthetic.DefaultSeed
          Resize = 0
          CacheDirectory = null
          NoCache = false
          Cifar10DvsSplit = Cifar10DvsSplit.Paper }

/// A dataset of the registry, as a value (its text form is `DatasetName.name`).
[<RequireQualifiedAccess>]
type DatasetName =
    /// The embedded set that needs no files: 10 classes of procedural 28x28 grey shapes.
    | Synthetic
    /// MNIST: 28x28 grey images of handwritten digits in idx files, 10 classes.
    | Mnist
    /// Fashion-MNIST: 28x28 grey images of clothing in idx files, 10 classes.
    | FashionMnist
    /// CIFAR-10: 32x32 colour images in the binary version's files, 10 classes.
    | Cifar10
    /// CIFAR-100: 32x32 colour images in the binary version's files, labelled with its 100 fine classes.
    | Cifar100
    /// N-MNIST: MNIST digits recorded by an event camera on a 34x34 sensor, 10 classes.
    | NMnist
    /// CIFAR10-DVS: CIFAR-10 images recorded by a DVS128 (AEDAT 2.0 or 4 files), 10 classes.
    | Cifar10Dvs
    /// DVS128 Gesture: 11 hand gestures, AEDAT 3.1 recordings cut into samples by their label files.
    | DvsGesture
    /// Spiking Heidelberg Digits: spoken digits as spikes of 700 cochlea channels (HDF5), 20 classes.
    | Shd
    /// Spiking Speech Commands: spoken commands as spikes of 700 cochlea channels (HDF5), 35 classes.
    | Ssc

/// The text forms of dataset names.
[<RequireQualifiedAccess>]
module DatasetName =
    /// Every dataset, in the registry's order.
    let all =
        [ DatasetName.Synthetic; DatasetName.Mnist; DatasetName.FashionMnist; DatasetName.Cifar10; DatasetName.Cifar100
          DatasetName.NMnist; DatasetName.Cifar10Dvs; DatasetName.DvsGesture; DatasetName.Shd; DatasetName.Ssc ]

    /// The registry's name: synthetic, mnist, fashion-mnist, cifar10, cifar100, nmnist, cifar10-dvs, ...
    let name (d: DatasetName) =
        match d with
        | DatasetName.Synthetic -> "synthetic"
        | DatasetName.Mnist -> "mnist"
        | DatasetName.FashionMnist -> "fashion-mnist"
        | DatasetName.Cifar10 -> "cifar10"
        | DatasetName.Cifar100 -> "cifar100"
        | DatasetName.NMnist -> "nmnist"
        | DatasetName.Cifar10Dvs -> "cifar10-dvs"
        | DatasetName.DvsGesture -> "dvs-gesture"
        | DatasetName.Shd -> "shd"
        | DatasetName.Ssc -> "ssc"

    /// Whether the dataset's samples already are in time (event frames or spike trains, [T, ...] per sample)
    /// rather than static images that the network sees at each of its T steps.
    let isTemporal (d: DatasetName) =
        match d with
        | DatasetName.NMnist | DatasetName.Cifar10Dvs | DatasetName.DvsGesture | DatasetName.Shd | DatasetName.Ssc -> true
        | DatasetName.Synthetic | DatasetName.Mnist | DatasetName.FashionMnist | DatasetName.Cifar10 | DatasetName.Cifar100 -> false

    /// Parses a registry name (case-insensitive); the error lists the valid ones.
    let parse (text: string) : Result<DatasetName, string> =
        let key = if isNull text then "" else text.Trim().ToLowerInvariant()
        match all |> List.tryFind (fun d -> name d = key) with
        | Some d -> Ok d
        | None ->
            let valid = all |> List.map name |> String.concat ", "
            Error $"unknown dataset '{text}'; valid datasets: {valid}"

/// The registry of datasets by name: synthetic, mnist, fashion-mnist, cifar10, cifar100, and the event
/// datasets nmnist, cifar10-dvs, dvs-gesture, shd and ssc.
[<RequireQualifiedAccess>]
module Datasets =
    /// The valid dataset names.
    let names = DatasetName.all |> List.map DatasetName.name

    let private split train = if train then "train" else "test"

    let private digitNames = Array.init 10 string

    let private fashionNames =
        [| "T-shirt/top"; "Trouser"; "Pullover"; "Dress"; "Coat"; "Sandal"; "Shirt"; "Sneaker"; "Bag"; "Ankle boot" |]

    let private cifar10Names =
        [| "airplane"; "automobile"; "bird"; "cat"; "deer"; "dog"; "frog"; "horse"; "ship"; "truck" |]

    let private cifar100Names =
        ("apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel "
         + "can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur "
         + "dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion "
         + "lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree "
         + "pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea "
         + "seal shark shrew skunk skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table "
         + "tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm")
            .Split(' ')

    /// Class names from a text file of one name per line when present and complete, else the defaults.
    let private namesFrom (dir: string) (file: string) (defaults: string[]) =
        let p = Path.Combine(dir, file)
        if File.Exists p then
            let lines = File.ReadAllLines p |> Array.map _.Trim() |> Array.filter (fun l -> l <> "")
            if lines.Length = defaults.Length then lines else defaults
        else defaults

    /// An idx dataset (MNIST layout) from its four files.
    let private idx (name: string) (subfolders: string list) (classNames: string[]) (dataDir: string) (train: bool) =
        let prefix = if train then "train" else "t10k"
        let imagesName, labelsName = $"{prefix}-images-idx3-ubyte", $"{prefix}-labels-idx1-ubyte"
        let all = [ for p in [ "train"; "t10k" ] do for f in [ "images-idx3"; "labels-idx1" ] -> $"{p}-{f}-ubyte" ]
        let dir = DataDirectory.resolve name dataDir subfolders true all [ imagesName; labelsName ]
        let imagesPath = DataDirectory.file dir imagesName
        let labelsPath = DataDirectory.file dir labelsName
        // The two files are independent: read them side by side.
        let labelsTask = Threading.Tasks.Task.Run(fun () -> Idx.readLabels labelsPath)
        let images = Idx.readImages imagesPath
        let labels = labelsTask.GetAwaiter().GetResult()
        if images.Count <> labels.Length then
            raise (DataFileException(labelsPath, $"holds {labels.Length} labels but {imagesPath} holds {images.Count} images"))
        Idx.checkLabels labelsPath classNames.Length labels
        ImageDataset($"{name}/{split train}", classNames, [| 1; images.Rows; images.Columns |], images.Pixels, labels, None)
        :> Dataset

    let private cifar (variant: Cifar.Variant) (options: DatasetOptions) (dataDir: string) (train: bool) =
        let name, subfolders, trainFiles, testFiles, namesFile, defaults, norm =
            match variant with
            | Cifar.Cifar10 ->
                "cifar10", [ "cifar10"; "cifar-10-batches-bin" ], [ for i in 1..5 -> $"data_batch_{i}.bin" ], [ "test_batch.bin" ],
                "batches.meta.txt", cifar10Names, Normalization.Cifar10
            | Cifar.Cifar100 ->
                "cifar100", [ "cifar100"; "cifar-100-binary" ], [ "train.bin" ], [ "test.bin" ],
                "fine_label_names.txt", cifar100Names, Normalization.Cifar100
        let files = if train then trainFiles else testFiles
        let dir = DataDirectory.resolve name dataDir subfolders true (trainFiles @ testFiles) files
        let paths = files |> List.map (DataDirectory.file dir)
        let parts = paths |> List.toArray |> Parallel.map (Cifar.read variant)
        let records =
            { Count = parts |> Array.sumBy _.Count
              Pixels = parts |> Array.map _.Pixels |> Array.concat
              Labels = parts |> Array.map _.Labels |> Array.concat }
        let classNames = namesFrom dir namesFile defaults
        ImageDataset($"{name}/{split train}", classNames, [| 3; 32; 32 |], records.Pixels, records.Labels,
                     (if options.Normalize then Some norm else None))
        :> Dataset

    /// The frame options of the event datasets.
    let frameOptions (options: DatasetOptions) (sensor: SensorSize) : FrameOptions =
        let resize =
            if options.Resize <= 0 then None
            elif sensor.Height = 1 then
                invalidArg "options" $"resizing applies to event-camera frames, not to a {sensor.Width}-channel row (SHD/SSC)"
            else Some options.Resize
        { Frames = options.Frames
          SplitBy = options.SplitBy
          CacheDirectory =
            if options.NoCache then None
            elif String.IsNullOrWhiteSpace options.CacheDirectory then Some(FrameCache.defaultDirectory ())
            else Some options.CacheDirectory
          Resize = resize }

    let private events (spec: EventSpec) (options: DatasetOptions) : Dataset =
        EventFrames.build spec (frameOptions options spec.Sensor) :> Dataset

    let private loadNamed (options: DatasetOptions) (key: string) (dataDir: string) (train: bool) : Dataset =
        match key with
        | "synthetic" ->
            if train then Synthetic.train options.SyntheticTrain options.SyntheticSeed
            else Synthetic.test options.SyntheticTest options.SyntheticSeed
        | "mnist" -> idx "mnist" [ "mnist"; "MNIST/raw" ] digitNames dataDir train
        | "fashion-mnist" -> idx "fashion-mnist" [ "fashion-mnist"; "FashionMNIST/raw" ] fashionNames dataDir train
        | "cifar10" -> cifar Cifar.Cifar10 options dataDir train
        | "cifar100" -> cifar Cifar.Cifar100 options dataDir train
        | "nmnist" -> events (EventDatasets.nmnist dataDir train) options
        | "cifar10-dvs" -> events (EventDatasets.cifar10Dvs options.Cifar10DvsSplit dataDir train) options
        | "dvs-gesture" -> events (EventDatasets.dvsGesture dataDir train) options
        | "shd" -> events (EventDatasets.heidelberg "shd" 20 dataDir train) options
        | "ssc" -> events (EventDatasets.heidelberg "ssc" 35 dataDir train) options
        | _ ->
            let valid = String.Join(", ", names)
            SnnDsl.Core.Fail.usage $"unknown dataset '{key}'; valid names: {valid}"

    /// Loads a dataset by name (case-insensitive) from dataDir (the dataset's folder, or a folder holding
    /// it under its conventional name, e.g. <dataDir>/mnist); "synthetic" needs no files. Event datasets are
    /// integrated into frames once and served from the frame cache (FrameDataset.Source says which). A
    /// missing dataDir is a usage error; a split of 0 samples (empty files, or files of 0 items) a data error.
    let loadWith (options: DatasetOptions) (name: string) (dataDir: string) (train: bool) : Dataset =
        let key = if isNull name then "" else name.Trim().ToLowerInvariant()
        if key <> "synthetic" && List.contains key names && String.IsNullOrWhiteSpace dataDir then
            SnnDsl.Core.Fail.usage
                $"the {key} dataset is read from files: give their folder with --data-dir (DataDir), e.g. --data-dir data/{key}; only 'synthetic' needs none"
        let dataset = loadNamed options key dataDir train
        if dataset.Count = 0 then
            let where = if String.IsNullOrWhiteSpace dataDir then key else Path.GetFullPath dataDir
            raise (DataFileException(where, $"the {split train} split of {key} holds 0 samples: its files are empty or hold no items"))
        dataset

    /// Loads a dataset by name with the default options.
    let load (name: string) (dataDir: string) (train: bool) : Dataset = loadWith DatasetOptions.Default name dataDir train
