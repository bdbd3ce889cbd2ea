/// The data loader's host batches as tensors (SnnDsl.Training's adapter; SnnDsl.Data has no native
/// dependency): shapes, types, values, the consumer's scope, and ForEach freeing every batch.
module SnnDsl.Nn.Tests.TensorBatchTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Data
open SnnDsl.Training

let private opts batch = { LoaderOptions.Default with BatchSize = batch }

[<Tests>]
let tests =
    testList "tensor batches" [
        testCase "tensor batches are [N, C, H, W] float32 with int64 labels, created in the consumer's scope" <| fun () ->
            let l = DataLoader(IndexDataset(10, channels = 2, side = 3), { opts 4 with Shuffle = true; Seed = 1L })
            use scope = new TensorScope()
            let batches = l.Batches 0 |> Array.ofSeq
            Expect.equal scope.Count 6 "scope.Count" // x and y of three batches
            Expect.equal (batches |> Array.map _.X.Shape : int[][]) ([| [| 4; 2; 3; 3 |]; [| 4; 2; 3; 3 |]; [| 2; 2; 3; 3 |] |]) "batches |> Array.map _.X.Shape"
            let last = batches[2]
            Expect.equal (last.X.DType, last.Y.DType) (DType.Float32, DType.Int64) "(last.X.DType, last.Y.DType)"
            Expect.equal (last.Y.ToArray<int64>() : int64[]) (last.Indices |> Array.map (fun i -> int64 (i % 3))) "last.Y.ToArray<int64>()"
            let x = last.X.ToArray<float32>()
            Expect.equal (x[18 + 17]) (float32 last.Indices[1] + 0.017f) "x[18 + 17]"

        testCase "event batches are time first: [T, N, C, H, W]" <| fun () ->
            let l = DataLoader(FramesDataset(5, 3), opts 2)
            use scope = new TensorScope()
            let b = l.Batches 0 |> Seq.head
            Expect.equal (b.X.Shape : int[]) ([| 3; 2; 2; 3; 3 |]) "b.X.Shape"
            let x = b.X.ToArray<float32>()
            for t in 0..2 do
                for n in 0..1 do
                    Expect.equal (x[(t * 2 + n) * 18 + 7]) (float32 (100 * t + n)) "x[(t * 2 + n) * 18 + 7]"

        // Sequenced: the live-tensor count is process-wide.
        testSequenced <| testCase "ForEach frees every batch's tensors after its body" (fun () ->
            let l = DataLoader(IndexDataset 64, opts 8)
            let before = Torch.liveTensors ()
            let mutable seen = 0
            l.ForEach(1, (fun b ->
                seen <- seen + b.Count
                let doubled = b.X * 2.0
                Expect.equal (doubled.Shape : int[]) ([| 8; 1; 4; 4 |]) "doubled.Shape"), startBatch = 2)
            Expect.equal seen 48 "seen"
            Expect.equal (Torch.liveTensors ()) before "Torch.liveTensors ()")
    ]
