/// The benchmarked training steps, written as a user of the binding would write them. Each mirrors a
/// workload of bench/reference/conv_spike.py op for op (same shapes, same seed, same order of random draws).
module SnnDsl.Bench.Workloads

open System
open SnnDsl.Torch

type Workload =
    /// conv2d [32,64,32,32] * [64,64,3,3] (padding 1) + spike, forward and backward.
    | ConvSpike
    /// A T-step LIF layer over x [T,32,64,32,32], forward and backward.
    | Lif of t: int

    member w.Name =
        match w with
        | ConvSpike -> "conv-spike"
        | Lif t -> $"lif T={t}"

/// A prepared workload: `Step report` runs one training step and, when report is true, returns its loss
/// (otherwise nan: reading the loss back is kept out of the timed steps).
type Prepared =
    { Step: bool -> float
      Dispose: unit -> unit }

let private rectangle = Surrogate.Rectangle 1.0

let prepare (w: Workload) : Prepared =
    Torch.manualSeed 0UL
    match w with
    | ConvSpike ->
        let x = Tensor.Randn [| 32; 64; 32; 32 |]
        let wt = Tensor.Randn [| 64; 64; 3; 3 |]
        wt.MulInPlace(1.0 / 24.0)
        wt.RequiresGrad <- true
        let step (report: bool) =
            use scope = new TensorScope()
            let y = Nn.Conv2d(x, wt, padding = 1)
            let s = Nn.Spike(y - 1.0, rectangle)
            let loss = s.Sum()
            loss.Backward()
            wt.ZeroGrad()
            if report then loss.ToScalar() else nan
        { Step = step
          Dispose = fun () -> x.Dispose(); wt.Dispose() }
    | Lif t ->
        let x = Tensor.Rand [| t; 32; 64; 32; 32 |]
        x.RequiresGrad <- true
        let step (report: bool) =
            use scope = new TensorScope()
            let xs = x.Unbind 0
            let mutable v = Tensor.Zeros [| 32; 64; 32; 32 |]
            let mutable loss = Tensor.Zeros [||]
            for xt in xs do
                v <- 0.5 * v + xt
                let s = Nn.Spike(v - 1.0, rectangle)
                v <- v * (1.0 - s)
                loss <- loss + s.Sum()
            loss.Backward()
            x.ZeroGrad()
            if report then loss.ToScalar() else nan
        { Step = step
          Dispose = fun () -> x.Dispose() }

/// Runs k steps and returns their wall times in milliseconds.
let timeSteps (p: Prepared) (k: int) : float[] =
    Array.init k (fun _ ->
        let t0 = Diagnostics.Stopwatch.GetTimestamp()
        p.Step false |> ignore
        Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds)
