module SnnDsl.Data.Tests.LoaderTests

open System
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data

let private opts batch = { LoaderOptions.Default with BatchSize = batch }

let private indices (l: DataLoader) epoch = l.HostBatches epoch |> Seq.collect _.Indices |> Array.ofSeq

[<Tests>]
let tests =
    testList "Loader" [
        testCase "every sample is visited exactly once per epoch" <| fun () ->
            let l = DataLoader(IndexDataset 103, { opts 10 with Shuffle = true; Seed = 5L })
            Expect.equal l.BatchesPerEpoch 11 "l.BatchesPerEpoch"
            for epoch in 0..2 do
                Expect.equal (indices l epoch |> Array.sort : int[]) ([| 0..102 |]) "indices l epoch |> Array.sort"
            let batches = l.HostBatches 0 |> Array.ofSeq
            Expect.equal (batches |> Array.map _.Count : int[]) (Array.append (Array.create 10 10) [| 3 |]) "batches |> Array.map _.Count"
            Expect.equal (batches |> Array.map _.Index : int[]) ([| 0..10 |]) "batches |> Array.map _.Index"

        testCase "drop-last drops only the short final batch" <| fun () ->
            let l = DataLoader(IndexDataset 103, { opts 10 with Shuffle = true; DropLast = true })
            Expect.equal l.BatchesPerEpoch 10 "l.BatchesPerEpoch"
            let seen = indices l 1
            Expect.equal seen.Length 100 "seen.Length"
            Expect.equal (Array.distinct seen |> Array.length) 100 "Array.distinct seen |> Array.length"

        testCase "samples and labels land in their batch slots" <| fun () ->
            let l = DataLoader(IndexDataset(20, channels = 2), { opts 8 with Shuffle = true; Seed = 3L })
            for b in l.HostBatches 0 do
                Expect.equal (b.Shape : int[]) ([| b.Count; 2; 4; 4 |]) "b.Shape"
                for j in 0 .. b.Count - 1 do
                    let i = b.Indices[j]
                    Expect.equal (b.Labels[j]) (int64 (i % 3)) "b.Labels[j]"
                    Expect.equal (b.Data[j * 32 + 31]) (float32 i + 0.031f) "b.Data[j * 32 + 31]"

        testCase "the order is a pure function of the seed and the epoch" <| fun () ->
            let make seed = DataLoader(IndexDataset 200, { opts 16 with Shuffle = true; Seed = seed })
            let a, b = make 11L, make 11L
            Expect.equal (b.Order 4 : int[]) (a.Order 4) "b.Order 4"
            Expect.equal (indices b 4 : int[]) (a.Order 4) "indices b 4"
            Expect.notEqual (a.Order 1 : int[]) (a.Order 0) "a.Order 1"
            Expect.notEqual ((make 12L).Order 0 : int[]) (a.Order 0) "(make 12L).Order 0"
            Expect.equal ((DataLoader(IndexDataset 200, opts 16)).Order 3 : int[]) ([| 0..199 |]) "(DataLoader(IndexDataset 200, opts 16)).Order 3" // no shuffle

        testCase "augmented batches are reproducible for a seed" <| fun () ->
            let aug = { Augmentation.StandardCutout with CropPadding = 1; CutoutSize = 2 }
            let make () = DataLoader(IndexDataset(50, channels = 3, side = 6), LoaderOptions.Train(8, 9L, aug))
            let run (l: DataLoader) = l.HostBatches 2 |> Seq.map (fun b -> b.Data[.. b.Count * 108 - 1]) |> Array.ofSeq
            Expect.equal (run (make ()) : float32[][]) (run (make ())) "run (make ())"
            let plain = DataLoader(IndexDataset(50, channels = 3, side = 6), { LoaderOptions.Train(8, 9L) with Augmentation = None })
            Expect.notEqual (run plain : float32[][]) (run (make ())) "run plain"

        testCase "a run resumed at (epoch, batch) reproduces the uninterrupted one" <| fun () ->
            let aug = Augmentation.StandardCutout
            let make () = DataLoader(IndexDataset(70, channels = 3, side = 8), LoaderOptions.Train(8, 21L, aug))
            let full = make().HostBatches 3 |> Array.ofSeq
            let resumed = make().HostBatches(3, startBatch = 5) |> Array.ofSeq
            Expect.equal resumed.Length (full.Length - 5) "resumed.Length"
            for k in 0 .. resumed.Length - 1 do
                let a, b = full[k + 5], resumed[k]
                Expect.equal (b.Index, b.Count) (a.Index, a.Count) "(b.Index, b.Count)"
                Expect.equal (b.Indices : int[]) a.Indices "b.Indices"
                Expect.equal (b.Data[.. b.Count * 192 - 1] : float32[]) (a.Data[.. a.Count * 192 - 1]) "b.Data[.. b.Count * 192 - 1]"
            Expect.isEmpty (make().HostBatches(3, startBatch = full.Length)) "make().HostBatches(3, startBatch = full.Length)"
            Expect.equal (make().PrepareBatch(3, 6).Data : float32[]) (full[6].Data) "make().PrepareBatch(3, 6).Data"

        testCase "batches do not depend on the number of assembling threads" <| fun () ->
            let make workers =
                DataLoader(IndexDataset(45, channels = 3, side = 8), { LoaderOptions.Train(8, 4L, Augmentation.StandardCutout) with Workers = workers })
            let run (l: DataLoader) = l.HostBatches 1 |> Seq.map (fun b -> b.Indices, b.Data[.. b.Count * 192 - 1]) |> Array.ofSeq
            Expect.equal (run (make 3) : (int[] * float32[])[]) (run (make 1)) "run (make 3)"

        testCase "a limit keeps evenly spaced samples" <| fun () ->
            let l = DataLoader(IndexDataset 100, { opts 7 with Limit = Some 10; Shuffle = true })
            Expect.equal (l.SampleCount, l.BatchesPerEpoch) (10, 2) "(l.SampleCount, l.BatchesPerEpoch)"
            Expect.equal (indices l 0 |> Array.sort : int[]) ([| 0..10..90 |]) "indices l 0 |> Array.sort"
            Expect.equal ((DataLoader(IndexDataset 100, { opts 7 with Limit = Some 500 })).SampleCount) 100 "(DataLoader(IndexDataset 100, { opts 7 with Limit = Some 500 })).SampleCount"

        testCase "a worker exception surfaces on the consumer with its message after the earlier batches" <| fun () ->
            let ds = IndexDataset(40, hook = fun i -> if i = 25 then failwith "sample 25 is unreadable")
            let l = DataLoader(ds, { opts 10 with Workers = 2 })
            let got = Collections.Generic.List<int>()
            let e = Expect.raises<DataLoaderException> (fun () -> for b in l.HostBatches 0 do got.Add b.Index)
            Expect.stringContains e.Message "sample 25 is unreadable" "e.Message"
            Expect.equal e.InnerException.Message "sample 25 is unreadable" "e.InnerException.Message"
            Expect.equal (List.ofSeq got : int list) ([ 0; 1 ]) "List.ofSeq got"

        testCase "the worker stays a bounded number of batches ahead" <| fun () ->
            let reads = ref 0
            let ds = IndexDataset(1000, hook = fun _ -> Interlocked.Increment reads |> ignore)
            let l = DataLoader(ds, { opts 1 with Prefetch = 2 })
            use e = (l.HostBatches 0).GetEnumerator()
            Expect.isTrue (e.MoveNext()) "e.MoveNext()"
            Thread.Sleep 300
            // One batch in hand, two in the queue, at most one being assembled.
            Expect.inRange reads.Value 3 4 "reads.Value"

        testCase "disposing the enumerator stops the worker" <| fun () ->
            let reads = ref 0
            let ds = IndexDataset(100000, hook = fun _ -> Interlocked.Increment reads |> ignore; Thread.Sleep 1)
            let l = DataLoader(ds, { opts 1 with Prefetch = 4 })
            (use e = (l.HostBatches 0).GetEnumerator()
             e.MoveNext() |> ignore
             e.MoveNext() |> ignore)
            let after = reads.Value
            Thread.Sleep 100
            Expect.equal reads.Value after "reads.Value"

        testCase "cancellation ends the consumer's loop and stops the worker" <| fun () ->
            let reads = ref 0
            let ds = IndexDataset(100000, hook = fun _ -> Interlocked.Increment reads |> ignore; Thread.Sleep 1)
            let l = DataLoader(ds, opts 4)
            use cts = new CancellationTokenSource()
            let mutable n = 0
            Expect.raisesAny<OperationCanceledException> (fun () ->
                for _ in l.HostBatches(0, cancellationToken = cts.Token) do
                    n <- n + 1
                    if n = 3 then cts.Cancel())
            |> ignore
            Expect.equal n 3 "n"
            let after = reads.Value
            Thread.Sleep 100
            Expect.equal reads.Value after "reads.Value"

        testCase "bad options are rejected" <| fun () ->
            Expect.raises<ArgumentException> (fun () -> DataLoader(IndexDataset 4, opts 0) |> ignore) |> ignore
            let l = DataLoader(IndexDataset 4, opts 2)
            Expect.raises<ArgumentOutOfRangeException> (fun () -> l.HostBatches(0, startBatch = 3) |> ignore) |> ignore
    ]
