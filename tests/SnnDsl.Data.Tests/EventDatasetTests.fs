/// The event datasets of the registry (cifar10-dvs, dvs-gesture, shd, nmnist) on small trees written by the
/// independent writers, and the frame cache: cold builds parse, warm loads do not (EventCounter), corrupt
/// entries are rebuilt. Sequenced (alone, after the parallel tests), since the event counter is process-wide.
module SnnDsl.Data.Tests.EventDatasetTests

open System
open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles
open SnnDsl.Data.Tests.EventWriters

/// CIFAR10-DVS tree: perClass recordings per class; recording i of class c holds c + 1 events at raw
/// (x = i, y = c, p = 0), timestamps 0, 10, 20, ...
let writeCifar10Dvs (root: string) (perClass: int) =
    for label, c in Array.indexed EventDatasets.cifar10DvsClasses do
        let dir = Directory.CreateDirectory(Path.Combine(root, c)).FullName
        for i in 0 .. perClass - 1 do
            let evs = [ for k in 0 .. label -> ev i label 0 (int64 (10 * k)) ]
            File.WriteAllBytes(Path.Combine(dir, $"cifar10_{c}_{i}.aedat"), aedat2 evs)

/// DVS128 Gesture tree: user01 (train) with three labelled windows, one across a timestamp overflow, and
/// user24 (test) with one.
let writeGesture (root: string) =
    let t0 = 2147483000L // the recording crosses 2^31 us
    let evs = [ for k in 0 .. 99 -> ev (k % 128) (k / 2) (k % 2) (t0 + int64 (k * 10)) ]
    File.WriteAllBytes(Path.Combine(root, "user01_fluorescent.aedat"), aedat31 (polarityPackets 16 evs))
    // class 1: events 0..29; class 11: events 20..49 (overlapping); class 2: events 90..99.
    File.WriteAllText(Path.Combine(root, "user01_fluorescent_labels.csv"),
        $"class,startTime_usec,endTime_usec\n1,{t0},{t0 + 300L}\n11,{t0 + 200L},{t0 + 500L}\n2,{t0 + 900L},{t0 + 2000L}\n")
    File.WriteAllBytes(Path.Combine(root, "user24_led.aedat"), aedat31 (polarityPackets 16 [ ev 1 1 1 5L; ev 2 2 0 6L ]))
    File.WriteAllText(Path.Combine(root, "user24_led_labels.csv"), "class,startTime_usec,endTime_usec\n4,0,100\n")
    File.WriteAllText(Path.Combine(root, "trials_to_train.txt"), "user01_fluorescent.aedat\n")
    File.WriteAllText(Path.Combine(root, "trials_to_test.txt"), "user24_led.aedat\n\n")

let private options (cache: string option) frames =
    { DatasetOptions.Default with
        Frames = frames
        NoCache = cache.IsNone
        CacheDirectory = Option.toObj cache }

[<Tests>]
let tests =
    testSequenced <| testList "EventDataset" [
        testCase "the paper split tests on each class's recordings 0..99 and the 9:1 split follows name order" <| fun () ->
            let names = [| for i in 999 .. -1 .. 0 -> $"/d/cifar10_cat_{i}.aedat" |]
            let test = EventDatasets.cifar10DvsSplit Cifar10DvsSplit.Paper false names
            Expect.equal (test : string[]) ([| for i in 0..99 -> $"/d/cifar10_cat_{i}.aedat" |]) "test"
            Expect.equal ((EventDatasets.cifar10DvsSplit Cifar10DvsSplit.Paper true names).Length) 900 "(EventDatasets.cifar10DvsSplit Cifar10DvsSplit.Paper true names).Length"
            let lexical = names |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b))
            Expect.equal (EventDatasets.cifar10DvsSplit Cifar10DvsSplit.NineToOne true names : string[]) (lexical[.. 899]) "EventDatasets.cifar10DvsSplit Cifar10DvsSplit.NineToOne true names"
            Expect.equal (EventDatasets.cifar10DvsSplit Cifar10DvsSplit.NineToOne false names : string[]) (lexical[900 ..]) "EventDatasets.cifar10DvsSplit Cifar10DvsSplit.NineToOne false names"
            Expect.equal (lexical[999]) "/d/cifar10_cat_999.aedat" "lexical[999]" // "999" sorts last, "100" before "11"

        testCase "cifar10-dvs reads class folders, splits 9:1 and remaps as SpikingJelly" <| fun () ->
            use dir = new TempDir()
            writeCifar10Dvs dir.Path 10
            let opts = { options None 2 with Cifar10DvsSplit = Cifar10DvsSplit.NineToOne }
            let train = Datasets.loadWith opts "cifar10-dvs" dir.Path true
            let test = Datasets.loadWith opts "cifar10-dvs" dir.Path false
            Expect.equal (train.Count, test.Count) (90, 10) "(train.Count, test.Count)"
            Expect.equal (train.ClassCounts : int[]) (Array.create 10 9) "train.ClassCounts"
            Expect.equal (train.SampleShape : int[]) ([| 2; 2; 128; 128 |]) "train.SampleShape"
            // Test sample of class 3 is recording 9 (lexicographic: 0, 1, ..., 9 -> last is 9): 4 events at raw
            // (9, 3, 0), remapped to x = 124, y = 118, p = 1; T = 2 by number: 2 + 2.
            let s = test.Sample 3
            Expect.equal (test.Label 3) 3 "test.Label 3"
            Expect.equal (s[(1 * 128 + 118) * 128 + 124]) 2.0f "s[(1 * 128 + 118) * 128 + 124]"
            Expect.equal (s[((2 + 1) * 128 + 118) * 128 + 124]) 2.0f "s[((2 + 1) * 128 + 118) * 128 + 124]"
            Expect.equal (Array.sum s) 4.0f "Array.sum s"
            let resized = Datasets.loadWith { opts with Resize = 48 } "cifar10-dvs" dir.Path false
            Expect.equal (resized.SampleShape : int[]) ([| 2; 2; 48; 48 |]) "resized.SampleShape"
            // The antialiased filter spreads the 4 events (area ratio 0.14) around (124, 118) * 48 / 128 = (46.5, 44.25).
            let r = resized.Sample 3
            Expect.inRange (Array.sum r) (0.95f * 4.0f * 0.140625f) (1.05f * 4.0f * 0.140625f) "Array.sum r"
            let peak = Array.IndexOf(r, Array.max r) % (48 * 48)
            Expect.equal (peak / 48, peak % 48) (44, 46) "(peak / 48, peak % 48)"

        testCase "cifar10-dvs names a missing class folder and a corrupt recording" <| fun () ->
            use dir = new TempDir()
            writeCifar10Dvs dir.Path 2
            Directory.Delete(Path.Combine(dir.Path, "truck"), true)
            let e = raisesWith<DataDirectoryException> (fun () -> Datasets.loadWith (options None 2) "cifar10-dvs" dir.Path true)
            containsAll e.Message [ "truck/*.aedat[4]"; "cifar10-dvs" ]
            use dir2 = new TempDir()
            writeCifar10Dvs dir2.Path 2
            let bad = Path.Combine(dir2.Path, "cat", "cifar10_cat_1.aedat")
            File.WriteAllBytes(bad, (File.ReadAllBytes bad)[.. 200])
            let e = raisesWith<DataFileException> (fun () -> Datasets.loadWith (options None 2) "cifar10-dvs" dir2.Path false)
            containsAll e.Message [ bad; "truncated" ]

        testCase "dvs-gesture cuts recordings by their label windows and follows the official trial lists" <| fun () ->
            use dir = new TempDir()
            writeGesture dir.Path
            let train = Datasets.loadWith (options None 1) "dvs-gesture" dir.Path true
            let test = Datasets.loadWith (options None 1) "dvs-gesture" dir.Path false
            Expect.equal (train.Labels : int[]) ([| 0; 10; 1 |]) "train.Labels"
            Expect.equal (test.Labels : int[]) ([| 3 |]) "test.Labels"
            Expect.equal (Array.init 3 (fun i -> Array.sum (train.Sample i)) : float32[]) ([| 30.0f; 30.0f; 10.0f |]) "Array.init 3 (fun i -> Array.sum (train.Sample i))"
            Expect.equal (Array.sum (test.Sample 0)) 2.0f "Array.sum (test.Sample 0)"
            Expect.equal train.NumClasses 11 "train.NumClasses"
            Expect.equal (train.ClassNames[10]) "other_gestures" "train.ClassNames[10]"

        testCase "a gesture label file with a bad row is named with its line" <| fun () ->
            use dir = new TempDir()
            writeGesture dir.Path
            File.WriteAllText(Path.Combine(dir.Path, "user24_led_labels.csv"), "class,startTime_usec,endTime_usec\n12,0,100\n")
            let e = raisesWith<DataFileException> (fun () -> Datasets.loadWith (options None 1) "dvs-gesture" dir.Path false)
            containsAll e.Message [ "user24_led_labels.csv"; "line 2"; "class 12" ]

        testCase "shd bins 700 channels into T frames of one row" <| fun () ->
            use dir = new TempDir()
            let keys = Array.init 20 (fun i -> $"k{i}")
            shd (dir.File "shd_train.h5") [ [| 0.0f; 0.5f; 1.0f |], [| 3us; 3us; 699us |], 5 ] keys
            shd (dir.File "shd_test.h5") [ [| 0.1f |], [| 0us |], 19 ] keys
            let train = Datasets.loadWith (options None 2) "shd" dir.Path true
            Expect.equal (train.SampleShape : int[]) ([| 2; 1; 1; 700 |]) "train.SampleShape"
            let s = train.Sample 0 // by number: di = 1, frame 0 = event 0, frame 1 = events 1..2
            Expect.equal (s[3], s[700 + 3], s[700 + 699]) (1.0f, 1.0f, 1.0f) "(s[3], s[700 + 3], s[700 + 699])"
            Expect.equal (train.ClassNames[5]) "k5" "train.ClassNames[5]"
            Expect.equal ((Datasets.loadWith (options None 2) "shd" dir.Path false).Label 0) 19 "(Datasets.loadWith (options None 2) \"shd\" dir.Path false).Label 0"

        testCase "the full N-MNIST layout reads Train and Test digit folders" <| fun () ->
            use dir = new TempDir()
            for split, n in [ "Train", 2; "Test", 1 ] do
                for d in 0..9 do
                    let sub = Directory.CreateDirectory(Path.Combine(dir.Path, "N-MNIST", split, string d)).FullName
                    for i in 1..n do
                        File.WriteAllBytes(Path.Combine(sub, $"{d * 100 + i:D5}.bin"), nmnist [ for k in 0..d -> ev d i 1 (int64 k) ])
            let train = Datasets.loadWith (options None 1) "nmnist" dir.Path true
            let test = Datasets.loadWith (options None 1) "nmnist" dir.Path false
            Expect.equal (train.Count, test.Count) (20, 10) "(train.Count, test.Count)"
            Expect.equal (train.Labels : int[]) ([| for d in 0..9 do yield d; yield d |]) "train.Labels"
            Expect.equal (Array.sum (test.Sample 7)) 8.0f "Array.sum (test.Sample 7)"

        testCase "a warm frame cache serves an epoch without parsing one event" <| fun () ->
            use dir = new TempDir()
            use cache = new TempDir()
            writeCifar10Dvs dir.Path 3
            let opts = { options (Some cache.Path) 4 with Cifar10DvsSplit = Cifar10DvsSplit.NineToOne }
            let before = EventCounter.parsedEvents ()
            let cold = Datasets.loadWith opts "cifar10-dvs" dir.Path true :?> FrameDataset
            let parsedCold = EventCounter.parsedEvents () - before
            Expect.isTrue (parsedCold > 0L) "the cold load parses the recordings"
            Expect.isTrue (match cold.Source with FrameSource.Built(_, why) -> why = "no entry" | _ -> false) (string cold.Source)
            let coldSamples = Array.init cold.Count cold.Sample
            let mid = EventCounter.parsedEvents ()
            let warm = Datasets.loadWith opts "cifar10-dvs" dir.Path true :?> FrameDataset
            let loader = DataLoader(warm, LoaderOptions.Train(4, 1L, Augmentation.Tet))
            let seen = loader.HostBatches 0 |> Seq.sumBy _.Count
            Expect.equal (EventCounter.parsedEvents () - mid) 0L "EventCounter.parsedEvents () - mid"
            Expect.equal seen warm.Count "seen"
            Expect.isTrue (match warm.Source with FrameSource.Cached _ -> true | _ -> false) (string warm.Source)
            Expect.equal (Array.init warm.Count warm.Sample : float32[][]) coldSamples "Array.init warm.Count warm.Sample"
            Expect.equal (Directory.GetFiles(cache.Path).Length) 1 "Directory.GetFiles(cache.Path).Length" // one entry, no temporary file left
            // Another frame count is another entry.
            let other = Datasets.loadWith { opts with Frames = 2 } "cifar10-dvs" dir.Path true :?> FrameDataset
            Expect.isTrue (match other.Source with FrameSource.Built _ -> true | _ -> false) "(match other.Source with FrameSource.Built _ -> true | _ -> false)"
            Expect.equal (Directory.GetFiles(cache.Path, "*.frames").Length) 2 "Directory.GetFiles(cache.Path, \"*.frames\").Length"

        testCase "a corrupt or truncated cache entry is rebuilt, not trusted" <| fun () ->
            use dir = new TempDir()
            use cache = new TempDir()
            writeGesture dir.Path
            let opts = options (Some cache.Path) 3
            let first = Datasets.loadWith opts "dvs-gesture" dir.Path true
            let expected = Array.init first.Count first.Sample
            let entry = Directory.GetFiles(cache.Path, "*.frames") |> Array.exactlyOne
            for damage, reason in [ (fun (b: byte[]) -> b[20] <- b[20] ^^^ 1uy; b), "checksum mismatch"
                                    (fun (b: byte[]) -> b[.. b.Length - 10]), "checksum mismatch"
                                    (fun (b: byte[]) -> b[.. 5]), "too short" ] do
                File.WriteAllBytes(entry, damage (File.ReadAllBytes entry))
                let before = EventCounter.parsedEvents ()
                let again = Datasets.loadWith opts "dvs-gesture" dir.Path true :?> FrameDataset
                Expect.isTrue (EventCounter.parsedEvents () > before) "a rebuild parses the recordings again"
                Expect.isTrue (match again.Source with FrameSource.Built(_, why) -> why.Contains reason | _ -> false) ($"{again.Source}")
                Expect.equal (Array.init again.Count again.Sample : float32[][]) expected "Array.init again.Count again.Sample"

        testCase "a failed build leaves neither an entry nor a temporary file" <| fun () ->
            use dir = new TempDir()
            use cache = new TempDir()
            writeCifar10Dvs dir.Path 2
            File.WriteAllBytes(Path.Combine(dir.Path, "ship", "cifar10_ship_1.aedat"), "#!AER-DAT2.0\r\n123"B)
            raisesWith<DataFileException> (fun () -> Datasets.loadWith (options (Some cache.Path) 2) "cifar10-dvs" dir.Path false) |> ignore
            Expect.isEmpty (Directory.GetFiles cache.Path) "Directory.GetFiles cache.Path"
    ]
