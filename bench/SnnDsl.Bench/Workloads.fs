/// The benchmarked training steps, written as a user of the binding would write them. Each mirrors a
/// workload of bench/reference/conv_spike.py op for op (same shapes, same seed, same order of random draws).
module SnnDsl.Bench.Workloads

open System
open SnnDsl.Torch
open SnnDsl.Backends
open SnnDsl.Core

type Workload =
    /// conv2d [32,64,32,32] * [64,64,3,3] (padding 1) + spike, forward and backward.
    | ConvSpike
    /// A T-step LIF layer over x [T,32,64,32,32], forward and backward. With disposeEarly, each
    /// intermediate is disposed as soon as the loop is done with it (as Python's refcounting does) instead
    /// of living until the step's TensorScope ends.
    | Lif of t: int * disposeEarly: bool
    /// 1000 ops on a 1-element tensor (y = x * 2 + 1, 500 times): per-call overhead, no real compute.
    | TinyOps

    member w.Name =
        match w with
        | ConvSpike -> "conv-spike"
        | Lif(t, false) -> $"lif T={t}"
        | Lif(t, true) -> $"lif T={t} (dispose early)"
        | TinyOps -> "tiny-ops"

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
            let s = Eager.spike rectangle (y - 1.0)
            let loss = s.Sum()
            loss.Backward()
            wt.ZeroGrad()
            if report then loss.ToScalar() else nan
        { Step = step
          Dispose = fun () -> x.Dispose(); wt.Dispose() }
    | Lif(t, disposeEarly) ->
        let x = Tensor.Rand [| t; 32; 64; 32; 32 |]
        x.RequiresGrad <- true
        let step (report: bool) =
            use scope = new TensorScope()
            let xs = x.Unbind 0
            let mutable v = Tensor.Zeros [| 32; 64; 32; 32 |]
            let mutable loss = Tensor.Zeros [||]
            if not disposeEarly then
                for xt in xs do
                    v <- 0.5 * v + xt
                    let s = Eager.spike rectangle (v - 1.0)
                    v <- v * (1.0 - s)
                    loss <- loss + s.Sum()
            else
                // Disposing drops this handle's reference only: what autograd saved for backward stays alive.
                for xt in xs do
                    let a = 0.5 * v
                    v.Dispose()
                    let u = a + xt
                    a.Dispose()
                    let d = u - 1.0
                    let s = Eager.spike rectangle (d)
                    d.Dispose()
                    let r = 1.0 - s
                    let l = s.Sum()
                    s.Dispose()
                    v <- u * r
                    u.Dispose()
                    r.Dispose()
                    let total = loss + l
                    loss.Dispose()
                    l.Dispose()
                    loss <- total
            loss.Backward()
            x.ZeroGrad()
            if report then loss.ToScalar() else nan
        { Step = step
          Dispose = fun () -> x.Dispose() }
    | TinyOps ->
        let x = Tensor.Ones [| 1 |]
        x.RequiresGrad <- true
        let step (report: bool) =
            use scope = new TensorScope()
            let mutable y = x
            for _ in 1..500 do
                y <- x * 2.0 + 1.0
            if report then y.Sum().ToScalar() else nan
        { Step = step
          Dispose = fun () -> x.Dispose() }

/// Minor page faults of this process so far (all threads), from /proc/self/stat (field 10, minflt).
let minorFaults () =
    let stat = IO.File.ReadAllText "/proc/self/stat"
    let fields = stat.Substring(stat.LastIndexOf ')' + 2).Split ' '
    int64 fields[7]

[<Struct; Runtime.InteropServices.StructLayout(Runtime.InteropServices.LayoutKind.Sequential)>]
type private Timespec =
    val mutable Sec: int64
    val mutable Nsec: int64

[<Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")>]
extern int private clock_gettime(int clock, Timespec& ts)

/// CPU time of this process (all threads) in ms: CLOCK_PROCESS_CPUTIME_ID, the clock of Python's
/// time.process_time(), so both sides are read the same way.
let processCpuMs () =
    let mutable ts = Timespec()
    clock_gettime (2, &ts) |> ignore
    float ts.Sec * 1000.0 + float ts.Nsec / 1e6

[<Struct; Runtime.InteropServices.StructLayout(Runtime.InteropServices.LayoutKind.Sequential)>]
type Mallinfo2 =
    val Arena: unativeint // bytes of heap (brk/arena) memory
    val Ordblks: unativeint
    val Smblks: unativeint
    val Hblks: unativeint
    val Hblkhd: unativeint // bytes in mmapped chunks
    val Usmblks: unativeint
    val Fsmblks: unativeint
    val Uordblks: unativeint // bytes in use
    val Fordblks: unativeint // bytes free in the heap
    val Keepcost: unativeint // releasable top of the heap

[<Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")>]
extern Mallinfo2 mallinfo2()

/// One line on glibc's heap: heap size, mmapped, in use, free (MiB); the same fields as conv_spike.py --trace-heap.
let heapLine () =
    let m = mallinfo2 ()
    let mib (x: unativeint) = float x / 1048576.0
    sprintf "heap %.0f MiB, mmapped %.0f, in use %.0f, free %.0f, top %.0f"
        (mib m.Arena) (mib m.Hblkhd) (mib m.Uordblks) (mib m.Fordblks) (mib m.Keepcost)

/// Wall and process CPU times of steps, in ms.
type Timings = { Wall: float[]; Cpu: float[] }

/// Runs k steps and returns their wall and CPU times.
let timeSteps (p: Prepared) (k: int) : Timings =
    let wall = Array.zeroCreate k
    let cpu = Array.zeroCreate k
    for i in 0 .. k - 1 do
        let c0 = processCpuMs ()
        let t0 = Diagnostics.Stopwatch.GetTimestamp()
        p.Step false |> ignore
        wall[i] <- Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds
        cpu[i] <- processCpuMs () - c0
    { Wall = wall; Cpu = cpu }
