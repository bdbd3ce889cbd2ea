/// Shared helpers: tensors from and to float arrays, seeded inputs and naive
/// reference implementations (plain loops in float64) that the layers are checked against.
module SnnDsl.Nn.Tests.Helpers

open System
open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch

// The tests share libtorch's global generator (seeded runs), its thread count and the process-wide
// live-tensor count and RSS: every list is sequenced (one test at a time).

/// A float32 tensor of the given shape from float64 values.
let tensor (shape: int[]) (values: float[]) = Tensor.FromArray(Array.map float32 values, shape)

/// The elements of t (any float dtype, any layout) as float64, row-major.
let values (t: Tensor) : float[] =
    use d = t.Detach()
    use c = d.To(DType.Float64)
    use k = c.Contiguous()
    k.ToArray<float>()

/// The single element of t.
let scalar (t: Tensor) = t.ToScalar()

/// The raw float32 elements (for bitwise comparisons).
let raw32 (t: Tensor) : float32[] =
    use d = t.Detach()
    use k = d.Contiguous()
    k.ToArray<float32>()

/// Seeded standard normal samples (Box-Muller), independent of libtorch's generator.
let gaussian (seed: int) (n: int) : float[] =
    let r = Random(seed)
    Array.init n (fun _ ->
        let u1 = 1.0 - r.NextDouble()
        let u2 = r.NextDouble()
        sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * u2))

/// Seeded uniform samples in [lo, hi).
let uniform (seed: int) (n: int) (lo: float) (hi: float) : float[] =
    let r = Random(seed)
    Array.init n (fun _ -> lo + (hi - lo) * r.NextDouble())

/// Product of the dimensions.
let numel (shape: int[]) = Array.fold (*) 1 shape

/// Sets a tensor's values outside autograd (e.g. a parameter to known weights).
let assign (target: Tensor) (v: float[]) =
    use _ = Autograd.noGrad ()
    use src = tensor target.Shape v
    target.CopyFrom src

/// The message of the exception f raises, which must be of type 'E.
let throwsMessage<'E when 'E :> exn> (f: unit -> unit) : string =
    (Expect.raisesAny<'E> f).Message

/// Slices of a time-first array: element [t, rest] of a [T, ...] array of total length.
let timeSlice (steps: int) (t: int) (data: float[]) =
    let per = data.Length / steps
    Array.sub data (t * per) per

/// Naive references, float64 loops over flat row-major arrays.
module Naive =
    /// Cross-correlation as torch.nn.functional.conv2d: x [N, C, H, W], w [O, C/groups, k, k].
    let conv2d (x: float[]) (xs: int[]) (w: float[]) (o: int) (k: int) (bias: float[] option) (stride: int) (pad: int) (groups: int) =
        let n, c, h, wd = xs[0], xs[1], xs[2], xs[3]
        let cg, og = c / groups, o / groups
        let ho, wo = (h + 2 * pad - k) / stride + 1, (wd + 2 * pad - k) / stride + 1
        let y = Array.zeroCreate (n * o * ho * wo)
        for b in 0 .. n - 1 do
            for oc in 0 .. o - 1 do
                let g = oc / og
                for i in 0 .. ho - 1 do
                    for j in 0 .. wo - 1 do
                        let mutable acc = match bias with Some bs -> bs[oc] | None -> 0.0
                        for ic in 0 .. cg - 1 do
                            let cin = g * cg + ic
                            for ki in 0 .. k - 1 do
                                for kj in 0 .. k - 1 do
                                    let r, s = i * stride - pad + ki, j * stride - pad + kj
                                    if r >= 0 && r < h && s >= 0 && s < wd then
                                        acc <- acc + x[((b * c + cin) * h + r) * wd + s] * w[((oc * cg + ic) * k + ki) * k + kj]
                        y[((b * o + oc) * ho + i) * wo + j] <- acc
        y, [| n; o; ho; wo |]

    /// y = x W^T + b for x [rows, in], W [out, in].
    let linear (x: float[]) (rows: int) (inF: int) (w: float[]) (outF: int) (bias: float[] option) =
        Array.init (rows * outF) (fun idx ->
            let r, o = idx / outF, idx % outF
            let mutable acc = match bias with Some b -> b[o] | None -> 0.0
            for i in 0 .. inF - 1 do
                acc <- acc + x[r * inF + i] * w[o * inF + i]
            acc)

    /// k x k pooling with stride k, no padding, over x [N, C, H, W]: max or mean of each window.
    let pool (reduce: float[] -> float) (x: float[]) (xs: int[]) (k: int) =
        let n, c, h, w = xs[0], xs[1], xs[2], xs[3]
        let ho, wo = h / k, w / k
        let y =
            Array.init (n * c * ho * wo) (fun idx ->
                let j = idx % wo
                let i = idx / wo % ho
                let plane = idx / (wo * ho)
                [| for a in 0 .. k - 1 do
                     for b in 0 .. k - 1 -> x[(plane * h + i * k + a) * w + j * k + b] |]
                |> reduce)
        y, [| n; c; ho; wo |]

    /// log softmax of one row.
    let logSoftmax (row: float[]) =
        let m = Array.max row
        let lse = m + log (row |> Array.sumBy (fun v -> exp (v - m)))
        row |> Array.map (fun v -> v - lse)

    /// PyTorch's cross entropy with label smoothing eps, averaged over rows: the target distribution is
    /// (1 - eps) one-hot(y) + eps / C, and the loss -sum_c q_c log p_c.
    let crossEntropy (logits: float[]) (classes: int) (labels: int[]) (eps: float) =
        let rows = labels.Length
        [ for r in 0 .. rows - 1 do
              let lp = logSoftmax (Array.sub logits (r * classes) classes)
              let nll = -lp[labels[r]]
              let uniform = -(Array.average lp)
              yield (1.0 - eps) * nll + eps * uniform ]
        |> List.average
