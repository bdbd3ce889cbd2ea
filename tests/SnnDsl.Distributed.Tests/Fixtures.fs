/// Deterministic data and models shared by the test process and the ranks it starts (same values in every
/// process: seeded System.Random and libtorch's seeded generator).
module SnnDsl.Distributed.Tests.Fixtures

open System
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Data
open SnnDsl.Training.TensorBatches
open SnnDsl.Backends

/// n floats uniform in [-1, 1) from a seed.
let floats (seed: int) (n: int) : float32[] =
    let r = Random(seed)
    Array.init n (fun _ -> float32 (r.NextDouble() * 2.0 - 1.0))

// ------------------------------------------------------------------ synchronised BatchNorm

/// The global batch of the BatchNorm tests: [T, N, C, H, W] with every channel at its own offset and scale, so
/// statistics over the wrong dims (N and C swapped, as in SpikingJelly's multi-step SyncBatchNorm) are far off.
/// N = 12 splits over 2 ranks (6 each) and 3 ranks (4 each, = C).
let bnShape = [| 2; 12; 4; 3; 3 |]
let bnChannels = bnShape[2]

let bnInput () : float32[] =
    let values = floats 11 (Array.fold (*) 1 bnShape)
    let per = bnShape[3] * bnShape[4]
    values |> Array.mapi (fun i v ->
        let c = (i / per) % bnChannels
        v * (0.5f + float32 c) + float32 (3 * c - 4))

/// Weights of the scalar loss sum(y * w): a fixed random upstream gradient.
let bnUpstream () : float32[] = floats 12 (Array.fold (*) 1 bnShape)

/// A BatchNorm over the test channels with non-trivial affine parameters.
let bnLayer () =
    let bn = new BatchNorm(bnChannels, momentum = 0.2)
    use _ = Autograd.noGrad ()
    bn.Weight.CopyFrom(Tensor.FromArray([| 1.5f; 0.5f; -1.0f; 2.0f |]))
    bn.Bias.CopyFrom(Tensor.FromArray([| 0.1f; -0.2f; 0.3f; 0.0f |]))
    bn

/// The rows (dim 1) a rank holds of the BatchNorm batch: a contiguous block.
let bnRows (rank: int) (world: int) = let n = bnShape[1] / world in rank * n, n

// ------------------------------------------------------------------ the equivalence law

/// 64 samples of [2, 8, 8] with 3 classes, pixels from their index: two global batches of 32.
type LawDataset() =
    inherit Dataset("law/train", [| 2; 8; 8 |], [| "a"; "b"; "c" |])
    override _.Count = 64
    override _.Label i = (i * 7 + 1) % 3
    override _.CopyPixels(i, dst) =
        let v = floats (1000 + i) dst.Length
        for k in 0 .. dst.Length - 1 do
            dst[k] <- v[k] + (if k < 64 * (1 + (i * 7 + 1) % 3) then 0.5f else 0.0f)

let lawSteps = 3
let lawT = 3
let lawSeed = 5L

/// The model of the law: conv + BN + LIF (eager) + pool + linear, initialised from libtorch's seed.
let lawModel () : Module =
    Torch.manualSeed 7UL
    let lif = match Builtins.find "lif" with Ok n -> n | Error e -> failwith e
    new Sequential(
        [ new Conv2d(2, 4, 3, padding = 1) :> Module; new BatchNorm(4); new SpikingLayer(lif, 4, backend = Backend.Eager)
          new AvgPool2d(2); new Flatten(); new Linear(4 * 4 * 4, 3) ]
    )
    :> Module

/// Loader over the law's data: batch 32 in one process, or rank's shard with a batch of 32 / world.
let lawLoader (rank: int) (world: int) =
    let options = { LoaderOptions.Train(32 / world, lawSeed) with Workers = 1; Prefetch = 1 }
    new DataLoader(LawDataset(), options, Shard.Of(rank, world))

/// Step k of the law: (epoch, batch index); 2 batches per epoch.
let lawBatch (k: int) = k / 2, k % 2

/// x [N, C, H, W] as a time-varying input [T, N, C, H, W] (not constant in time, so every layer sees T steps).
let inTime (x: Tensor) = Tensor.Stack([ for t in 0 .. lawT - 1 -> x * (0.6 + 0.3 * float t) ], 0)

let lawOptimizer (model: Module) = new Optimizer(OptimizerKind.Sgd(0.9, false), model.Parameters(), 0.5, weightDecay = 1e-4)

/// Runs the law's forward and loss on a batch; returns (loss, per-batch metric sums).
let lawForward (model: Module) (b: SnnDsl.Training.Batch) =
    let out = model.Forward(inTime b.X)
    let loss = Loss.compute Loss.ce out b.Y
    let n = b.Y.Shape[0]
    loss, (loss.ToScalar() * float n, Loss.correct out b.Y, int64 n)

// ------------------------------------------------------------------ checks

/// The largest absolute difference between two tensors (compared in float64).
let maxAbsDiff (a: Tensor) (b: Tensor) =
    use _ = new TensorScope()
    if a.Shape <> b.Shape then failwith $"shapes differ: {Shape.text a.Shape} against {Shape.text b.Shape}"
    (a.To(DType.Float64) - b.To(DType.Float64)).Abs().Max().ToScalar()

/// The largest absolute value of a tensor.
let maxAbs (a: Tensor) =
    use _ = new TensorScope()
    a.To(DType.Float64).Abs().Max().ToScalar()

/// A rank's results by name.
let load (path: string) : Map<string, Tensor> =
    TensorFile.load path Device.Cpu |> Map.ofArray
