namespace SnnDsl.Data

open System
open System.Globalization
open System.IO
open System.Text.RegularExpressions

/// How CIFAR10-DVS (which ships no split) is divided into train and test.
[<RequireQualifiedAccess>]
type Cifar10DvsSplit =
    /// The split of the papers (TET, AR-LIF, ...): in each class, the first 100 recordings by their number
    /// (cifar10_<class>_0 .. _99) are the test set, the other 900 the training set.
    | Paper
    /// SpikingJelly's split_to_train_test_set(0.9, ..., random_split=False): in each class, in the file
    /// names' lexicographic order (torchvision's DatasetFolder), the first ceil(0.9 n) train, the rest test.
    | NineToOne

/// The event datasets of the registry as EventSpecs: where their files are, how they are split, labelled
/// and read. Integration and caching are EventFrames' job.
[<RequireQualifiedAccess>]
module EventDatasets =
    let private split train = if train then "train" else "test"

    /// Raises a DataFileException when an event lies outside the sensor.
    let checkInside (path: string) (sensor: SensorSize) (e: Events) =
        for k in 0 .. e.Count - 1 do
            if int e.X[k] >= sensor.Width || int e.Y[k] >= sensor.Height || int e.P[k] >= sensor.Polarities then
                raise (DataFileException(path,
                    $"corrupt: event {k} at x={e.X[k]}, y={e.Y[k]} lies outside the {sensor.Width}x{sensor.Height} sensor"))
        e

    /// File names ordered by the last number in them, then by name ("x_2" before "x_10").
    let naturalOrder (names: string seq) =
        let num (n: string) =
            let m = Regex.Matches(Path.GetFileNameWithoutExtension n, "[0-9]+")
            if m.Count = 0 then Int64.MaxValue
            else
                match Int64.TryParse(m[m.Count - 1].Value, NumberStyles.None, CultureInfo.InvariantCulture) with
                | true, v -> v
                | _ -> Int64.MaxValue
        names |> Seq.sortBy (fun n -> num n, n) |> Array.ofSeq

    /// The first candidate folder (dataDir itself or one of its conventional subfolders) that satisfies ok.
    let private findDir (dataDir: string) (subfolders: string list) (ok: string -> bool) =
        let full = Path.GetFullPath dataDir
        (subfolders |> List.map (fun s -> Path.Combine(full, s))) @ [ full ] |> List.tryFind (fun d -> Directory.Exists d && ok d)

    let private missingDir (dataset: string) (dataDir: string) (expected: string list) (subfolders: string list) =
        let full = Path.GetFullPath dataDir
        let problem =
            if not (Directory.Exists full) then "directory not found"
            else
                let subs = subfolders |> List.map (fun s -> s + "/") |> String.concat ", "
                $"the layout is missing (looked in {full} and its subfolders {subs})"
        DataDirectoryException(full, dataset, expected, problem)

    // ------------------------------------------------------------------ N-MNIST

    let private digitNames = Array.init 10 string

    /// N-MNIST as published (Train/<digit>/*.bin and Test/<digit>/*.bin) when that layout is present,
    /// else the subset layout (train1K.txt / test100.txt listing <sample>.bs2 files).
    let nmnist (dataDir: string) (train: bool) : EventSpec =
        let subfolders = [ "nmnist"; "N-MNIST"; "nmnist-small" ]
        let full = findDir dataDir subfolders (fun d -> Directory.Exists(Path.Combine(d, "Train")) && Directory.Exists(Path.Combine(d, "Test")))
        let spec sources files =
            { Dataset = "nmnist"; Split = split train; Sensor = NMnist.sensor; ClassNames = digitNames
              Sources = sources; Files = files }
        let one label path = { Labels = [| label |]; Read = fun () -> [| NMnist.readEvents path |] }
        match full with
        | Some root ->
            let dir = Path.Combine(root, (if train then "Train" else "Test"))
            let perDigit =
                [| for d in 0..9 ->
                       let sub = Path.Combine(dir, string d)
                       if not (Directory.Exists sub) then
                           raise (DataDirectoryException(dir, "nmnist", [ for k in 0..9 -> $"{k}/*.bin" ], $"missing the digit folder {d}/"))
                       d, naturalOrder (Directory.GetFiles(sub, "*.bin")) |]
            let files = perDigit |> Array.collect snd
            spec [| for d, fs in perDigit do for f in fs -> one d f |] files
        | None ->
            let labelsName = if train then "train1K.txt" else "test100.txt"
            let all = [ "Train/<digit>/*.bin and Test/<digit>/*.bin"; "or train1K.txt"; "test100.txt"; "<sample>.bs2[.gz] for each sample they list" ]
            let dir = DataDirectory.resolve "nmnist" dataDir subfolders false all [ labelsName ]
            let labelsPath = Path.Combine(dir, labelsName)
            let entries = NMnist.readLabels 10 labelsPath
            let paths =
                entries
                |> Array.map (fun (sample, _) ->
                    match DataDirectory.tryFile dir $"{sample}.bs2" |> Option.orElse (DataDirectory.tryFile dir $"{sample}.bin") with
                    | Some p -> p
                    | None -> raise (DataFileException(Path.Combine(dir, $"{sample}.bs2"), $"file not found (sample {sample} is listed in {labelsPath})")))
            spec (Array.map2 (fun (_, label) p -> one label p) entries paths) (Array.append [| labelsPath |] paths)

    // ------------------------------------------------------------------ CIFAR10-DVS

    /// The CIFAR10-DVS classes, in label order (the folder names of the published archive).
    let cifar10DvsClasses = [| "airplane"; "automobile"; "bird"; "cat"; "deer"; "dog"; "frog"; "horse"; "ship"; "truck" |]

    /// Reads one CIFAR10-DVS recording: AEDAT 2.0 (.aedat, remapped as SpikingJelly does) or AEDAT 4 (.aedat4,
    /// Tonic's copy, as recorded).
    let readCifar10Dvs (path: string) : Events =
        let e = if path.EndsWith(".aedat4", StringComparison.OrdinalIgnoreCase) then Aedat4.read path else Aedat2.read true path
        checkInside path Aedat2.sensor e

    /// Train or test files of each class under a split (the indices into each class's files).
    let cifar10DvsSplit (splitKind: Cifar10DvsSplit) (train: bool) (files: string[]) : string[] =
        match splitKind with
        | Cifar10DvsSplit.Paper ->
            let ordered = naturalOrder files
            if train then Array.skip (min 100 ordered.Length) ordered else Array.truncate 100 ordered
        | Cifar10DvsSplit.NineToOne ->
            let ordered = Array.sortWith (fun (a: string) b -> String.CompareOrdinal(Path.GetFileName a, Path.GetFileName b)) files
            let pos = int (ceil (0.9 * float ordered.Length))
            if train then Array.truncate pos ordered else Array.skip pos ordered

    /// CIFAR10-DVS: <dir>/<class>/*.aedat (or *.aedat4), 10 classes of 1,000 recordings.
    let cifar10Dvs (splitKind: Cifar10DvsSplit) (dataDir: string) (train: bool) : EventSpec =
        let subfolders = [ "cifar10-dvs"; "CIFAR10-DVS"; "CIFAR10DVS"; "cifar10dvs" ]
        let expected = cifar10DvsClasses |> Array.map (fun c -> $"{c}/*.aedat[4]") |> List.ofArray
        let hasAll d = cifar10DvsClasses |> Array.forall (fun c -> Directory.Exists(Path.Combine(d, c)))
        let root =
            match findDir dataDir subfolders hasAll with
            | Some r -> r
            | None -> raise (missingDir "cifar10-dvs" dataDir expected subfolders)
        let perClass =
            cifar10DvsClasses
            |> Array.mapi (fun label c ->
                let dir = Path.Combine(root, c)
                let files = Array.append (Directory.GetFiles(dir, "*.aedat")) (Directory.GetFiles(dir, "*.aedat4"))
                if files.Length = 0 then raise (DataDirectoryException(dir, "cifar10-dvs", expected, "no .aedat or .aedat4 recording in the class folder"))
                label, cifar10DvsSplit splitKind train files)
        let splitName =
            match splitKind with
            | Cifar10DvsSplit.Paper -> split train
            | Cifar10DvsSplit.NineToOne -> split train + "-9to1"
        { Dataset = "cifar10-dvs"; Split = splitName; Sensor = Aedat2.sensor; ClassNames = cifar10DvsClasses
          Sources = [| for label, fs in perClass do for f in fs -> { Labels = [| label |]; Read = fun () -> [| readCifar10Dvs f |] } |]
          Files = perClass |> Array.collect snd }

    // ------------------------------------------------------------------ DVS128 Gesture

    /// The 11 gestures, in label order (class 1 of the label files is label 0).
    let gestureClasses =
        [| "hand_clapping"; "right_hand_wave"; "left_hand_wave"; "right_arm_clockwise"; "right_arm_counter_clockwise"
           "left_arm_clockwise"; "left_arm_counter_clockwise"; "arm_roll"; "air_drums"; "air_guitar"; "other_gestures" |]

    /// Reads a *_labels.csv: a header line, then "class,startTime_usec,endTime_usec" rows (class 1..11);
    /// returns (label 0..10, start, end).
    let readGestureLabels (path: string) : (int * int64 * int64)[] =
        if not (File.Exists path) then raise (DataFileException(path, "file not found (every recording needs its _labels.csv)"))
        [| for lineNo, line in Seq.indexed (File.ReadLines path) do
               let s = line.Trim()
               if lineNo > 0 && s <> "" then
                   let parts = s.Split(',') |> Array.map _.Trim()
                   let parsed =
                       if parts.Length <> 3 then None
                       else
                           match Int32.TryParse parts[0], Int64.TryParse parts[1], Int64.TryParse parts[2] with
                           | (true, c), (true, a), (true, b) -> Some(c, a, b)
                           | _ -> None
                   match parsed with
                   | None -> raise (DataFileException(path, $"line {lineNo + 1} is not \"class,startTime_usec,endTime_usec\": \"{s}\""))
                   | Some(c, _, _) when c < 1 || c > gestureClasses.Length ->
                       raise (DataFileException(path, $"line {lineNo + 1}: class {c} is outside 1..{gestureClasses.Length}"))
                   | Some(c, a, b) -> yield c - 1, a, b |]

    /// Cuts a recording into its labelled samples in one pass: sample i takes the events with
    /// start_i <= t < end_i (SpikingJelly's rule; overlapping rows share events).
    let cutRecording (aedat: string) (rows: (int * int64 * int64)[]) : Events[] =
        let builders = rows |> Array.map (fun _ -> EventBuilder())
        Aedat31.iter aedat (fun x y p t ->
            for i in 0 .. rows.Length - 1 do
                let _, a, b = rows[i]
                if t >= a && t < b then builders[i].Add(x, y, p, t))
        |> ignore
        builders |> Array.map (fun b -> checkInside aedat { Width = 128; Height = 128; Polarities = 2 } (b.ToEvents()))

    /// DVS128 Gesture: the official split of trials_to_train.txt / trials_to_test.txt, each trial an AEDAT 3.1
    /// recording with its _labels.csv.
    let dvsGesture (dataDir: string) (train: bool) : EventSpec =
        let subfolders = [ "DvsGesture"; "dvs-gesture"; "DVS128Gesture"; "dvsgesture" ]
        let listName = if train then "trials_to_train.txt" else "trials_to_test.txt"
        let expected = [ "trials_to_train.txt"; "trials_to_test.txt"; "user*_*.aedat"; "user*_*_labels.csv" ]
        let root =
            match findDir dataDir subfolders (fun d -> File.Exists(Path.Combine(d, listName))) with
            | Some r -> r
            | None -> raise (missingDir "dvs-gesture" dataDir expected subfolders)
        let listPath = Path.Combine(root, listName)
        let trials = File.ReadAllLines listPath |> Array.map _.Trim() |> Array.filter (fun l -> l <> "")
        let sources, files =
            trials
            |> Array.map (fun t ->
                let aedat = Path.Combine(root, t)
                if not (File.Exists aedat) then raise (DataFileException(aedat, $"file not found (listed in {listPath})"))
                let csv = Path.Combine(root, Path.GetFileNameWithoutExtension t + "_labels.csv")
                let rows = readGestureLabels csv
                { Labels = rows |> Array.map (fun (l, _, _) -> l); Read = fun () -> cutRecording aedat rows }, [| aedat; csv |])
            |> Array.unzip
        { Dataset = "dvs-gesture"; Split = split train; Sensor = { Width = 128; Height = 128; Polarities = 2 }
          ClassNames = gestureClasses; Sources = sources; Files = Array.append [| listPath |] (Array.concat files) }

    // ------------------------------------------------------------------ SHD / SSC

    /// SHD (20 classes, shd_train.h5 / shd_test.h5) or SSC (35 classes, ssc_train.h5 / ssc_test.h5): samples
    /// read in groups of 256 from the one HDF5 file of the split.
    let heidelberg (name: string) (classes: int) (dataDir: string) (train: bool) : EventSpec =
        let prefix = if name = "ssc" then "ssc" else "shd"
        let file = $"{prefix}_{split train}.h5"
        let all = [ $"{prefix}_train.h5"; $"{prefix}_test.h5" ]
        let dir = DataDirectory.resolve name dataDir [ name; name.ToUpperInvariant(); "hsd" ] false all [ file ]
        let path = Path.Combine(dir, file)
        let labels, keys =
            use f = Shd.openFile path
            f.Labels, f.Keys
        labels |> Array.iteri (fun i l ->
            if l < 0 || l >= classes then raise (DataFileException(path, $"label {l} of sample {i} is outside 0..{classes - 1}")))
        let names =
            match keys with
            | Some k when k.Length = classes -> k
            | _ -> Array.init classes string
        let group = 256
        let sources =
            [| for start in 0 .. group .. labels.Length - 1 ->
                   let stop = min labels.Length (start + group)
                   { Labels = labels[start .. stop - 1]
                     Read = fun () ->
                         use f = Shd.openFile path
                         Array.init (stop - start) (fun k -> f.Events(start + k)) } |]
        { Dataset = name; Split = split train; Sensor = Shd.sensor; ClassNames = names; Sources = sources; Files = [| path |] }
