/// Integration tests on the shared real datasets (../shared/data from the repository root).
module SnnDsl.Data.Tests.RealDataTests

open System.Diagnostics
open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles

let private load name train = Datasets.load name realDataDir.Value train

[<Tests>]
let tests =
    testList "RealData" [
        testCase "MNIST has 60000 and 10000 images with the canonical label histograms" <| fun () ->
            requireRealData ()
            let sw = Stopwatch.StartNew()
            let train = load "mnist" true
            let seconds = sw.Elapsed.TotalSeconds
            Expect.isTrue (seconds < 2.0) ($"loading MNIST train took {seconds:F2} s")
            let test = load "mnist" false
            Expect.equal (train.Count, test.Count) (60000, 10000) "(train.Count, test.Count)"
            Expect.equal (train.ClassCounts : int[]) ([| 5923; 6742; 5958; 6131; 5842; 5421; 5918; 6265; 5851; 5949 |]) "train.ClassCounts"
            Expect.equal (test.ClassCounts : int[]) ([| 980; 1135; 1032; 1010; 982; 892; 958; 1028; 974; 1009 |]) "test.ClassCounts"
            Expect.equal (Array.init 5 train.Label : int[]) ([| 5; 0; 4; 1; 9 |]) "Array.init 5 train.Label" // the famous first digits
            let s = train.Sample 0
            for v in s do Expect.inRange v 0.0f 1.0f "v"
            Expect.equal (Array.max s) 1.0f "Array.max s"

        testCase "Fashion-MNIST has 60000 and 10000 images, 6000 and 1000 per class" <| fun () ->
            requireRealData ()
            let train = load "fashion-mnist" true
            let test = load "fashion-mnist" false
            Expect.equal (train.Count, test.Count) (60000, 10000) "(train.Count, test.Count)"
            Expect.equal (train.ClassCounts : int[]) (Array.create 10 6000) "train.ClassCounts"
            Expect.equal (test.ClassCounts : int[]) (Array.create 10 1000) "test.ClassCounts"
            Expect.equal (train.Label 0) 9 "train.Label 0" // the first training image is an ankle boot

        testCase "CIFAR-10 has 50000 and 10000 images with 1000 test images per class" <| fun () ->
            requireRealData ()
            let train = load "cifar10" true
            let test = load "cifar10" false
            Expect.equal (train.Count, test.Count) (50000, 10000) "(train.Count, test.Count)"
            Expect.equal (train.ClassCounts : int[]) (Array.create 10 5000) "train.ClassCounts"
            Expect.equal (test.ClassCounts : int[]) (Array.create 10 1000) "test.ClassCounts"
            Expect.equal (train.ClassNames : string[]) ([| "airplane"; "automobile"; "bird"; "cat"; "deer"; "dog"; "frog"; "horse"; "ship"; "truck" |]) "train.ClassNames"
            Expect.equal (Array.init 5 train.Label : int[]) ([| 6; 9; 9; 4; 1 |]) "Array.init 5 train.Label" // canonical order of data_batch_1
            // Normalised with the usual statistics: the channel means of a few thousand images are near 0.
            let means = Array.zeroCreate<float> 3
            for i in 0..49..49999 do
                let s = train.Sample i
                for c in 0..2 do means[c] <- means[c] + (Array.averageBy float s[c * 1024 .. c * 1024 + 1023]) / 1021.0
            for m in means do Expect.inRange m -0.1 0.1 "m"

        testCase "a class-sorted test set stays balanced under a loader limit" <| fun () ->
            requireRealData ()
            let test = load "cifar10" false
            let l = DataLoader(test, { LoaderOptions.Test 100 with Limit = Some 500 })
            let hist = Array.zeroCreate<int> 10
            for b in l.HostBatches 0 do
                for y in b.Labels do hist[int y] <- hist[int y] + 1
            Expect.equal (hist : int[]) (Array.create 10 50) "hist"

        testCase "N-MNIST subset has 1000 and 100 samples labelled as in its label files" <| fun () ->
            requireRealData ()
            let dir = Path.Combine(realDataDir.Value, "nmnist-small")
            let labelsOf file = NMnist.readLabels 10 (Path.Combine(dir, file))
            for train, file, count in [ true, "train1K.txt", 1000; false, "test100.txt", 100 ] do
                let d = Datasets.loadWith { DatasetOptions.Default with NoCache = true } "nmnist" realDataDir.Value train
                let labels = NMnist.readLabels 10 (Path.Combine(dir, file))
                Expect.equal d.Count count "d.Count"
                Expect.equal (d.Labels : int[]) (Array.map snd labels) "d.Labels"
                Expect.equal (d.SampleShape : int[]) ([| 10; 2; 34; 34 |]) "d.SampleShape"
            let train = Datasets.loadWith { DatasetOptions.Default with NoCache = true } "nmnist" realDataDir.Value true
            let files = labelsOf "train1K.txt" |> Array.map (fun (sample, _) -> Path.Combine(dir, $"{sample}.bs2"))
            for i in 0 .. files.Length - 1 do
                let e = NMnist.readEvents files[i]
                Expect.inRange e.Count 1069 7152 "e.Count"
                Expect.isTrue (Seq.forall (fun k -> e.T[k] <= e.T[k + 1]) (seq { 0 .. e.Count - 2 })) ($"sample {i}: timestamps not sorted")
            let e0 = NMnist.readEvents files[0]
            Expect.equal (Array.sum (train.Sample 0)) (float32 e0.Count) "Array.sum (train.Sample 0)"
            let byTime = Frames.toArray NMnist.sensor SplitBy.Time 10 e0
            Expect.equal (Array.sum byTime) (float32 e0.Count) "Array.sum byTime"
    ]
