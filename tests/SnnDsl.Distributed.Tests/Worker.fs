/// One rank of a test world: `worker scenario rank world meeting dir timeoutMs [extra]`. Prints STARTED, waits
/// for dir/go, joins, runs the scenario and writes its results to dir/rank<r>.snnt. Exit codes: 0 done,
/// 3 a DistributedException (printed as "ERROR <ms> <message>"), 4 anything else.
module SnnDsl.Distributed.Tests.Worker

open System
open System.Diagnostics
open System.IO
open System.Threading
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Data
open SnnDsl.Training.TensorBatches
open SnnDsl.Distributed
open SnnDsl.Distributed.Tests.Fixtures

type Args =
    { Scenario: string; Rank: int; World: int; Meeting: Rendezvous; Dir: string; Timeout: TimeSpan; Extra: string list }

let parseMeeting (s: string) =
    if s.StartsWith "tcp:" then
        let parts = s.Substring(4).Split(':')
        Rendezvous.Tcp(parts[0], int parts[1])
    elif s.StartsWith "file:" then Rendezvous.File(s.Substring 5)
    else failwith $"bad meeting '{s}'"

let options (a: Args) =
    { ProcessGroupOptions.Create(a.Meeting, a.Rank, a.World) with Timeout = a.Timeout; BindHost = Some "127.0.0.1" }

let join (a: Args) = ProcessGroup.Join(options a)

let resultPath (dir: string) (rank: int) = Path.Combine(dir, $"rank{rank}.snnt")

let save (a: Args) (named: (string * Tensor) list) = TensorFile.save (resultPath a.Dir a.Rank) named

let f32 (xs: float32[]) = Tensor.FromArray xs

// ------------------------------------------------------------------ scenarios

/// Collective values: sums, averages, max/min, lists (mixed dtypes, a non-contiguous view), broadcasts from
/// the last rank and from rank 0, a pending all-reduce, barriers and a 4 MB all-reduce.
let collectives (a: Args) =
    use pg = join a
    let r = float32 a.Rank
    let sum = f32 (Array.init 5 (fun i -> float32 (i + 1) * (r + 1.0f)))
    pg.AllReduce(sum)
    let avg = Tensor.FromArray([| float a.Rank + 1.0; 2.0 * float a.Rank |])
    pg.AllReduce(avg, ReduceOp.Average)
    let mx = Tensor.FromArray([| int64 a.Rank; -int64 a.Rank; 7L * int64 a.Rank |])
    let mn = mx.Clone()
    pg.AllReduce(mx, ReduceOp.Max)
    pg.AllReduce(mn, ReduceOp.Min)
    let l1 = (f32 (Array.init 6 (fun i -> r + float32 i))).View(2, 3)
    let l1t = l1.Transpose(0, 1) // a non-contiguous view: the sum must land in l1
    let l2 = Tensor.FromArray(Array.init 4 (fun i -> int64 a.Rank * 10L + int64 i))
    let l3 = Tensor.FromArray([| float a.Rank |])
    pg.AllReduce([ l1t; l2; l3 ])
    let bcast = Tensor.Full([| 3 |], float a.Rank)
    pg.Broadcast(bcast, a.World - 1)
    let b1 = Tensor.Full([| 2 |], float a.Rank)
    let b2 = Tensor.Full([| 3 |], float a.Rank, DType.Int64)
    pg.Broadcast([ b1; b2 ], 0)
    let pendingT = Tensor.Full([| 1000 |], float a.Rank)
    use pending = pg.AllReduceAsync([ pendingT ])
    pending.Wait()
    let completed = Tensor.Scalar(if pending.IsCompleted then 1.0 else 0.0)
    pg.Barrier()
    use b = pg.BarrierAsync()
    b.Wait()
    let big = Tensor.Full([| 1_000_000 |], float a.Rank + 1.0)
    pg.AllReduce(big)
    let bigSum = big.To(DType.Float64).Sum()
    save a [ "sum", sum; "avg", avg; "max", mx; "min", mn; "l1", l1; "l2", l2; "l3", l3; "bcast", bcast; "b1", b1; "b2", b2
             "pending", pendingT; "completed", completed; "bigsum", bigSum ]

/// Joins, meets at a barrier, leaves.
let joinOnly (a: Args) =
    use pg = join a
    pg.Barrier()
    printfn "JOINED"
    if a.Extra = [ "linger" ] then Thread.Sleep 5000

/// All-reduces 1M floats in a loop; prints READY after the first. The last rank of a "hang" world stops
/// after the first and sleeps (a hung peer); killing a rank makes the others fail.
let loop (hang: bool) (a: Args) =
    use pg = join a
    let t = Tensor.Ones([| 1_000_000 |])
    pg.AllReduce(t)
    printfn "READY"
    if hang && a.Rank = a.World - 1 then Thread.Sleep(TimeSpan.FromMinutes 10.0)
    let call = Stopwatch()
    try
        while true do
            t.Fill 1.0
            call.Restart()
            pg.AllReduce(t)
    with :? DistributedException ->
        // How long the failing call took (from its start to the exception).
        printfn "CALL %d" call.ElapsedMilliseconds
        reraise ()

/// Synchronised BatchNorm on this rank's rows of the global batch: y, dL/dx, dL/dweight, dL/dbias and the
/// running statistics, for sum(y * upstream).
let syncBn (a: Args) =
    use pg = join a
    let start, n = bnRows a.Rank a.World
    let x = Tensor.FromArray(bnInput (), bnShape).Narrow(1, start, n).Clone()
    x.RequiresGrad <- true
    let up = Tensor.FromArray(bnUpstream (), bnShape).Narrow(1, start, n)
    let bn = bnLayer ()
    if SyncBatchNorm.attach pg bn <> 1 then failwith "attach switched no BatchNorm"
    let y = bn.Forward x
    (y * up).Sum().Backward()
    save a [ "y", y.Detach(); "dx", x.Grad.Value; "dw", bn.Weight.Grad.Value; "db", bn.Bias.Grad.Value
             "running_mean", bn.RunningMean; "running_var", bn.RunningVar ]

/// The law: lawSteps SGD steps on this rank's shard (batch 32 / world), gradients averaged in buckets (small
/// buckets, so there are several; the pipelined form on odd steps), BatchNorm synchronised ("sync") or local
/// ("local"). Rank 1.. start from perturbed parameters, so the broadcast from rank 0 matters.
let law (a: Args) =
    use pg = join a
    let syncBn = match a.Extra with [ "local" ] -> false | _ -> true
    let model = lawModel ()
    if a.Rank > 0 then
        use _ = Autograd.noGrad ()
        for p in model.Parameters() do
            p.AddInPlace(Tensor.OnesLike p, alpha = 0.01 * float a.Rank)
    Replicas.broadcastFromRank0 pg model
    let divergence = Replicas.maxDivergence pg model
    if divergence <> 0.0 then failwith $"replicas differ by {divergence} after the broadcast"
    if syncBn then SyncBatchNorm.attach pg model |> ignore
    let averager = GradientAverager(pg, model.Parameters(), bucketBytes = 1024L)
    use opt = lawOptimizer model
    let loader = lawLoader a.Rank a.World
    let mutable metrics = MetricSums.Zero
    let indices = ResizeArray<float>()
    for k in 0 .. lawSteps - 1 do
        use _ = new TensorScope()
        let epoch, index = lawBatch k
        let b = loader.ToTensors(loader.PrepareBatch(epoch, index))
        indices.AddRange(b.Indices |> Array.map float)
        let loss, (l, c, n) = lawForward model b
        metrics <- metrics + { LossSum = l; Correct = c; Count = n }
        loss.Backward()
        if k % 2 = 0 then averager.Average() else averager.AverageOverlapped()
        opt.Step()
        model.ZeroGrad()
    let total = Metrics.reduce pg metrics
    let named = Replicas.tensors model |> List.map (fun (name, t) -> name, t.Detach())
    save a (named @ [ "metrics", Tensor.FromArray([| total.LossSum; float total.Correct; float total.Count |])
                      "indices", Tensor.FromArray(indices.ToArray())
                      "buckets", Tensor.Scalar(float averager.Buckets.Length) ])

// ------------------------------------------------------------------ entry

/// Runs a worker; `extra` names scenarios defined elsewhere (the benchmark).
let run (extra: string -> (Args -> unit) option) (argv: string[]) : int =
    let a =
        { Scenario = argv[1]; Rank = int argv[2]; World = int argv[3]; Meeting = parseMeeting argv[4]; Dir = argv[5]
          Timeout = TimeSpan.FromMilliseconds(float argv[6]); Extra = List.ofArray argv[7..] }
    Torch.setThreads 1
    printfn "STARTED"
    let go = Path.Combine(a.Dir, "go")
    let sw = Stopwatch.StartNew()
    while not (File.Exists go) && sw.Elapsed < TimeSpan.FromMinutes 2.0 do
        Thread.Sleep 10
    let started = Stopwatch.StartNew()
    try
        match a.Scenario with
        | "collectives" -> collectives a
        | "join" -> joinOnly a
        | "loop" -> loop false a
        | "hang" -> loop true a
        | "syncbn" -> syncBn a
        | "law" -> law a
        | s ->
            match extra s with
            | Some f -> f a
            | None -> failwith $"unknown scenario {s}"
        0
    with
    | :? DistributedException as e ->
        printfn "ERROR %d %s" started.ElapsedMilliseconds (e.Message.Replace('\n', ' '))
        3
    | e ->
        eprintfn "%O" e
        4
