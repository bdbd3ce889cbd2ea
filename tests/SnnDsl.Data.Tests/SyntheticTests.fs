module SnnDsl.Data.Tests.SyntheticTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Data

let private samples (d: Dataset) = Array.init d.Count d.Sample

[<Tests>]
let tests =
    testList "Synthetic" [
        testCase "the synthetic set is a pure function of its seed" <| fun () ->
            let a = Synthetic.train 200 7L
            let b = Synthetic.train 200 7L
            Expect.equal (samples b : float32[][]) (samples a) "samples b"
            Expect.equal (b.Labels : int[]) a.Labels "b.Labels"
            Expect.notEqual (samples (Synthetic.train 200 8L) : float32[][]) (samples a) "samples (Synthetic.train 200 8L)"
            // Sample i does not depend on how many samples were asked for.
            Expect.equal ((Synthetic.train 50 7L).Sample 42 : float32[]) (a.Sample 42) "(Synthetic.train 50 7L).Sample 42"

        testCase "train and test splits come from different seeds and are class-balanced" <| fun () ->
            let tr = Synthetic.train 100 1L
            let te = Synthetic.test 100 1L
            Expect.notEqual (te.Sample 0 : float32[]) (tr.Sample 0) "te.Sample 0"
            Expect.equal (tr.ClassCounts : int[]) (Array.create 10 10) "tr.ClassCounts"
            Expect.equal (tr.SampleShape : int[]) ([| 1; 28; 28 |]) "tr.SampleShape"
            for v in samples tr |> Array.concat do Expect.inRange v 0.0f 1.0f "v"

        testCase "the synthetic classes are learnable but not trivial for a nearest-centroid rule" <| fun () ->
            let tr = Synthetic.train 600 Synthetic.DefaultSeed
            let te = Synthetic.test 200 Synthetic.DefaultSeed
            let centroids = Array.init 10 (fun _ -> Array.zeroCreate<float32> 784)
            for i in 0 .. tr.Count - 1 do
                let s = tr.Sample i
                let c = centroids[tr.Label i]
                for k in 0..783 do c[k] <- c[k] + s[k] / 60.0f
            let nearest (s: float32[]) =
                [ 0..9 ] |> List.minBy (fun c -> Array.fold2 (fun acc (x: float32) y -> acc + (x - y) * (x - y)) 0.0f s centroids[c])
            let correct = [ 0 .. te.Count - 1 ] |> List.filter (fun i -> nearest (te.Sample i) = te.Label i) |> List.length
            let accuracy = float correct / float te.Count
            Expect.inRange accuracy 0.35 0.95 "accuracy" // chance is 0.1
    ]
