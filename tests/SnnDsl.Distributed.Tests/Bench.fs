/// `bench [world=2]`: all-reduce time and bandwidth over loopback for a range of sizes, and gradient averaging
/// for the default model (small-conv on 28x28) against its backward pass, with `world` ranks as processes.
module SnnDsl.Distributed.Tests.Bench

open System
open System.Diagnostics
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Core
open SnnDsl.Backends
open SnnDsl.Distributed
open SnnDsl.Distributed.Tests.Worker

/// Median milliseconds of f over n runs after 2 warm-up runs (every rank runs the same sequence).
let private time (n: int) (f: unit -> unit) =
    f ()
    f ()
    let ms =
        [| for _ in 1..n do
               let sw = Stopwatch.StartNew()
               f ()
               sw.Elapsed.TotalMilliseconds |]
    Array.sortInPlace ms
    ms[n / 2]

/// One rank of the benchmark; rank 0 prints RESULT lines.
let worker (a: Args) =
    use pg = join a
    let report (name: string) (ms: float) (extra: string) = if a.Rank = 0 then printfn "RESULT %s %.3f %s" name ms extra
    for n in [ 1_024; 65_536; 1_048_576; 4_194_304 ] do
        use t = Tensor.Ones([| n |])
        let ms = time (if n > 1_000_000 then 7 else 21) (fun () -> pg.AllReduce(t))
        let bytes = float n * 4.0
        let algo = bytes / (ms / 1000.0) / 1e6
        let bus = algo * 2.0 * float (a.World - 1) / float a.World
        report $"allreduce-{n * 4 / 1024}KiB" ms $"algbw={algo:F0}MB/s busbw={bus:F0}MB/s"
    // The default model: small-conv, LIF (eager), T = 4, batch 16 per rank, 28x28x1.
    Torch.manualSeed 1UL
    let lif = match Builtins.find "leaky-lif" with Ok n -> n | Error e -> failwith e
    let model = Models.smallConv (fun c -> new SpikingLayer(lif, c, backend = Backend.Eager) :> Module) { Channels = 1; Height = 28; Width = 28; Classes = 10 }
    let x = TensorScope.Forget(Tensor.Rand([| 4; 16; 1; 28; 28 |]))
    let y = TensorScope.Forget((Tensor.Rand([| 16 |]) * 10.0).Floor().To(DType.Int64))
    let backward () =
        use _ = new TensorScope()
        model.ZeroGrad()
        (Loss.compute Loss.ce (model.Forward x) y).Backward()
    let bytes = model.Parameters() |> List.sumBy (fun p -> p.NumElements * 4L)
    report "forward+backward" (time 7 backward) $"params={bytes / 4L} ({float bytes / 1e6:F2} MB)"
    backward ()
    let perParameter () = for p in model.Parameters() do pg.AllReduce(p.Grad.Value, ReduceOp.Average)
    report "average-per-parameter" (time 11 perParameter) $"collectives={model.Parameters().Length}"
    for cap in [ 25L * 1024L * 1024L; 64L * 1024L ] do
        let avg = GradientAverager(pg, model.Parameters(), bucketBytes = cap)
        report $"average-buckets-{cap / 1024L}KiB" (time 11 avg.Average) $"buckets={avg.Buckets.Length}"
        report $"average-pipelined-{cap / 1024L}KiB" (time 11 avg.AverageOverlapped) $"buckets={avg.Buckets.Length}"

/// Starts the benchmark world and prints rank 0's results.
let run (argv: string[]) =
    let world = if argv.Length > 1 then int argv[1] else 2
    use w = Cluster.world "bench" world (Cluster.Tcp(Cluster.freePort ())) 60_000
    w.Go()
    w.ExpectSuccess(TimeSpan.FromMinutes 10.0)
    printfn "ranks: %d processes over loopback (Gloo), 1 libtorch thread each, %s" world (Torch.version ())
    for l in w.Child(0).Lines do
        if l.StartsWith "RESULT " then printfn "%s" (l.Substring 7)
    0
