module SnnDsl.Distributed.Tests.EquivalenceTests

open System
open System.IO
open Expecto
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Data
open SnnDsl.Training.TensorBatches
open SnnDsl.Distributed
open SnnDsl.Distributed.Tests.Fixtures
open SnnDsl.Distributed.Tests.Cluster

/// BatchNorm in one process on the whole batch: y, dL/dx, dL/dweight, dL/dbias, running statistics.
let private bnReference () =
    let x = Tensor.FromArray(bnInput (), bnShape)
    x.RequiresGrad <- true
    let bn = bnLayer ()
    let y = bn.Forward x
    (y * Tensor.FromArray(bnUpstream (), bnShape)).Sum().Backward()
    y.Detach(), x.Grad.Value, bn.Weight.Grad.Value, bn.Bias.Grad.Value, bn.RunningMean, bn.RunningVar

/// The same, with N and C swapped before the statistics (SpikingJelly's multi-step SyncBatchNorm bug): the
/// per-"channel" statistics are taken per sample. Only its output, for the control test.
let private swappedReference (x: Tensor) (rows: int) =
    // On one rank's [T, rows, C, ...] block with rows = C, normalising per N index over (T, C, H, W).
    let bn = new BatchNorm(rows)
    bn.Forward(x.Transpose(1, 2)).Transpose(1, 2)

let private tol = 1e-5

let private checkSyncBn (n: int) (meeting: Meeting) =
    use _ = new TensorScope()
    let y, dx, dw, db, rm, rv = bnReference ()
    use w = world "syncbn" n meeting 30_000
    w.Go()
    w.ExpectSuccess(TimeSpan.FromSeconds 120.0)
    let ranks = [ for r in 0 .. n - 1 -> load (Path.Combine(w.Dir, $"rank{r}.snnt")) ]
    let cat name = Tensor.Cat([ for got in ranks -> got[name] ], 1)
    let sum name = ranks |> List.map (fun got -> got[name]) |> List.reduce (+)
    let close what (got: Tensor) (want: Tensor) =
        let d = maxAbsDiff got want
        Expect.isLessThan d (tol * (1.0 + maxAbs want)) $"{what}: max difference {d}"
    close "y (the ranks' rows concatenated)" (cat "y") y
    close "dL/dx" (cat "dx") dx
    close "dL/dweight (summed over the ranks)" (sum "dw") dw
    close "dL/dbias (summed over the ranks)" (sum "db") db
    for r, got in List.indexed ranks do
        close $"rank {r}'s running mean" got["running_mean"] rm
        close $"rank {r}'s running variance" got["running_var"] rv

/// Every parameter and buffer after the law's steps in one process (batch 32), the metric sums and the
/// samples of every step.
let private lawReference () =
    let model = lawModel ()
    use opt = lawOptimizer model
    let loader = lawLoader 0 1
    let mutable metrics = MetricSums.Zero
    let steps =
        [ for k in 0 .. lawSteps - 1 do
              use _ = new TensorScope()
              let epoch, index = lawBatch k
              let b = loader.ToTensors(loader.PrepareBatch(epoch, index))
              let loss, (l, c, n) = lawForward model b
              metrics <- metrics + { LossSum = l; Correct = c; Count = n }
              loss.Backward()
              opt.Step()
              model.ZeroGrad()
              yield Array.sort b.Indices ]
    let named = Replicas.tensors model |> List.map (fun (name, t) -> name, t.Detach())
    model, named, metrics, steps

/// The ranks' results of the law (the world is disposed, its children killed, whatever happens).
let private runLaw (mode: string) =
    use w = new World("law", [ 0, 2; 1, 2 ], Tcp(freePort ()), 30_000, [ mode ])
    w.Go()
    w.ExpectSuccess(TimeSpan.FromSeconds 300.0)
    [ for r in 0..1 -> load (Path.Combine(w.Dir, $"rank{r}.snnt")) ]

[<Tests>]
let tests =
    testList "equivalence" [
        test "sync BatchNorm over 2 ranks [T, N/2, C, H, W] equals BatchNorm on the whole [T, N, C, H, W] batch: y, gradients, running statistics" {
            checkSyncBn 2 (Tcp(freePort ()))
        }

        test "sync BatchNorm over 3 ranks (N per rank = C) equals BatchNorm on the whole batch" {
            checkSyncBn 3 (fileMeeting ())
        }

        test "control: the test data tells per-channel statistics from N and C swapped" {
            use _ = new TensorScope()
            let y, _, _, _, _, _ = bnReference ()
            let start, rows = bnRows 0 3
            Expect.equal rows bnChannels "a rank's block has N = C, so the swap keeps the shapes"
            let x = Tensor.FromArray(bnInput (), bnShape).Narrow(1, start, rows)
            let swapped = swappedReference x rows
            let d = maxAbsDiff swapped (y.Narrow(1, start, rows))
            Expect.isGreaterThan d 0.5 $"swapped statistics are far from the right ones (max difference {d})"
        }

        test "law: 2 ranks x batch 16 with averaged gradients and sync BatchNorm equal 1 rank x batch 32 after 3 SGD steps" {
            use _ = new TensorScope()
            let model, reference, metrics, steps = lawReference ()
            let ranks = runLaw "sync"
            let biggest = reference |> List.map (snd >> maxAbs) |> List.max
            let worst = ref 0.0
            for r, got in List.indexed ranks do
                for name, want in reference do
                    let d = maxAbsDiff got[name] want
                    worst.Value <- max worst.Value d
                    Expect.isLessThan d (2e-5 * (1.0 + biggest)) $"rank {r}: {name} differs by {d}"
            printfn "law: the largest difference of a parameter or buffer is %.3g (largest value %.3g)" worst.Value biggest
            // The ranks saw, step for step, the samples of the single process.
            let idx r = (Map.find "indices" ranks[r]).ToArray<float>() |> Array.map int
            for k in 0 .. lawSteps - 1 do
                let part r = (idx r).[k * 16 .. k * 16 + 15]
                let together = Array.append (part 0) (part 1) |> Array.sort
                Expect.equal together steps[k] $"step {k}'s samples"
            let m = (Map.find "metrics" ranks[0]).ToArray<float>()
            Expect.floatClose Accuracy.medium m[0] metrics.LossSum "loss sums reduced across the ranks"
            Expect.equal (int64 m[1], int64 m[2]) (metrics.Correct, metrics.Count) "correct and count reduced across the ranks"
            Expect.isGreaterThan ((Map.find "buckets" ranks[0]).ToScalar()) 1.0 "several gradient buckets"
            model.Dispose()
        }

        test "control: with local BatchNorm the 2 ranks drift from the single process (why sync BN exists)" {
            use _ = new TensorScope()
            let model, reference, _, _ = lawReference ()
            let ranks = runLaw "local"
            let worst = reference |> List.map (fun (name, want) -> maxAbsDiff (Map.find name ranks[0]) want) |> List.max
            printfn "law with local BatchNorm: the largest difference is %.3g" worst
            Expect.isGreaterThan worst 1e-3 $"local batch statistics give other parameters (max difference {worst})"
            model.Dispose()
        }
    ]
