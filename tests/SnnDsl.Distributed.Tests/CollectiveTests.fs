module SnnDsl.Distributed.Tests.CollectiveTests

open System
open System.IO
open System.Threading.Tasks
open Expecto
open SnnDsl.Torch
open SnnDsl.Distributed.Tests.Fixtures
open SnnDsl.Distributed.Tests.Cluster
open SnnDsl.TestKit

let private values (t: Tensor) = t.To(DType.Float64).Flatten().ToArray<float>()

/// Every rank's results of the "collectives" scenario against the values computed here.
let private checkCollectives (w: World) (n: int) =
    let ranks = [ 0 .. n - 1 ]
    let s = float (List.sum ranks) // sum of the ranks
    for r in ranks do
        let got = load (Path.Combine(w.Dir, $"rank{r}.snnt"))
        let expect name (want: float[]) = Expect.sequenceEqual (values got[name]) want $"rank {r}: {name}"
        expect "sum" [| for i in 1..5 -> float i * (s + float n) |]
        expect "avg" [| (s + float n) / float n; 2.0 * s / float n |]
        expect "max" [| float (n - 1); 0.0; 7.0 * float (n - 1) |]
        expect "min" [| 0.0; -float (n - 1); 0.0 |]
        expect "l1" [| for i in 0..5 -> s + float n * float i |]
        Expect.equal got["l1"].Shape [| 2; 3 |] "l1 keeps its shape"
        expect "l2" [| for i in 0..3 -> 10.0 * s + float n * float i |]
        Expect.equal got["l2"].DType DType.Int64 "l2 stays int64"
        expect "l3" [| s |]
        expect "bcast" (Array.create 3 (float (n - 1)))
        expect "b1" [| 0.0; 0.0 |]
        expect "b2" [| 0.0; 0.0; 0.0 |]
        expect "pending" (Array.create 1000 s)
        expect "completed" [| 1.0 |]
        expect "bigsum" [| 1e6 * (s + float n) |]

let private runCollectives (n: int) (meeting: Meeting) =
    use w = world "collectives" n meeting 30_000
    w.Go()
    w.ExpectSuccess(TimeSpan.FromSeconds 120.0)
    checkCollectives w n
    Expect.isTrue w.AllExited "no rank left running"

[<Tests>]
let tests =
    testList "collectives" [
        test "Gloo is in this shim" {
            Expect.isTrue (ProcessGroup.IsAvailable DistributedBackend.Gloo) "built with Gloo's headers (libgloo-dev)"
        }

        test "2 ranks over a TCP store: sums, averages, max/min, lists, broadcasts, pending work, barriers" {
            runCollectives 2 (Tcp(freePort ()))
        }

        test "3 ranks over a FileStore: the same values" {
            runCollectives 3 (fileMeeting ())
        }

        test "a world of one reduces to itself" {
            use scratch = new TempDir()
            let path = scratch.File "store"
            use pg = ProcessGroup.Join({ ProcessGroupOptions.Create(Rendezvous.File path, 0, 1) with Timeout = TimeSpan.FromSeconds 10.0 })
            use t = Tensor.FromArray([| 1.0f; 2.0f |])
            pg.AllReduce(t, ReduceOp.Average)
            pg.Broadcast(t)
            pg.Barrier()
            Expect.sequenceEqual (values t) [| 1.0; 2.0 |] "unchanged"
        }

        test "2 ranks as threads of one process (a process group each)" {
            let port = freePort ()
            let rank r =
                Task.Run(fun () ->
                    let options = { ProcessGroupOptions.Create(Rendezvous.Tcp("127.0.0.1", port), r, 2) with Timeout = TimeSpan.FromSeconds 30.0 }
                    use pg = ProcessGroup.Join options
                    use t = Tensor.Full([| 4 |], float (r + 1))
                    pg.AllReduce(t)
                    values t)
            let results = Task.WhenAll([| rank 0; rank 1 |]).Result
            for v in results do
                Expect.sequenceEqual v (Array.create 4 3.0) "1 + 2 on both"
        }

        test "a disposed group says so" {
            use scratch = new TempDir()
            let path = scratch.File "store"
            let pg = ProcessGroup.Join({ ProcessGroupOptions.Create(Rendezvous.File path, 0, 1) with Timeout = TimeSpan.FromSeconds 10.0 })
            pg.Dispose()
            use t = Tensor.Ones([| 1 |])
            let e = Expect.raisesAny<ObjectDisposedException> (fun () -> pg.AllReduce t)
            Expect.stringContains e.Message "rank 0's process group was disposed" "the message"
        }
    ]
