module SnnDsl.Distributed.Tests.FailureTests

open System
open System.Diagnostics
open System.IO
open System.Net
open System.Net.Sockets
open Expecto
open SnnDsl.Torch
open SnnDsl.Distributed.Tests.Fixtures
open SnnDsl.Distributed.Tests.Cluster
open SnnDsl.TestKit

/// "ERROR <ms> <message>" of a rank that failed with a DistributedException (exit code 3).
let private errorOf (w: World) (i: int) =
    let line = w.WaitLine(i, "ERROR ", TimeSpan.FromSeconds 120.0)
    let parts = line.Split(' ', 3)
    Expect.equal (w.WaitExit(i, TimeSpan.FromSeconds 60.0)) 3 $"child {i} exits with code 3 after a DistributedException\n{w.Describe()}"
    parts[2]

/// How long the failing call took ("CALL <ms>").
let private callMs (w: World) (i: int) = float (w.WaitLine(i, "CALL ", TimeSpan.FromSeconds 60.0).Split(' ')[1])

let private joinAlone (options: ProcessGroupOptions) =
    let sw = Stopwatch.StartNew()
    let e = Expect.raisesAny<DistributedException> (fun () -> (ProcessGroup.Join options).Dispose())
    e, sw.Elapsed

[<Tests>]
let tests =
    testList "failures" [
        for victim in [ 1; 0 ] do
            test $"killing rank {victim} mid-run makes the other's all-reduce fail within the timeout, naming its rank and the operation" {
                let timeoutMs = 10_000
                use w = world "loop" 2 (Tcp(freePort ())) timeoutMs
                w.Go()
                w.WaitLine(0, "READY", TimeSpan.FromSeconds 60.0) |> ignore
                w.WaitLine(1, "READY", TimeSpan.FromSeconds 60.0) |> ignore
                w.Kill victim
                let survivor = 1 - victim
                let message = errorOf w survivor
                Expect.stringContains message $"rank {survivor} of 2" "names the rank"
                Expect.stringContains message "all-reduce" "names the operation"
                let ms = callMs w survivor
                printfn "killed rank %d: rank %d's all-reduce failed after %.0f ms: %s" victim survivor ms message
                Expect.isLessThan ms (float timeoutMs + 2000.0) $"the failing call ended within the timeout (took {ms} ms)"
                Expect.isTrue w.AllExited "no process left behind"
            }

        test "a hung peer makes the other's all-reduce fail after the timeout, not much later" {
            let timeoutMs = 3_000
            use w = world "hang" 2 (Tcp(freePort ())) timeoutMs
            w.Go()
            w.WaitLine(1, "READY", TimeSpan.FromSeconds 60.0) |> ignore
            let message = errorOf w 0
            Expect.stringContains message "rank 0 of 2" "names the rank"
            Expect.stringContains message "all-reduce" "names the operation"
            let ms = callMs w 0
            printfn "hung rank 1: rank 0's all-reduce failed after %.0f ms: %s" ms message
            Expect.isGreaterThanOrEqual ms (float timeoutMs * 0.9) $"waited for the timeout ({ms} ms)"
            Expect.isLessThan ms (float timeoutMs + 2500.0) $"and not much longer ({ms} ms)"
            w.Kill 1
            Expect.isTrue w.AllExited "no process left behind"
        }

        test "nobody hosting the store: a refused connection fails the join within the timeout" {
            let options = { ProcessGroupOptions.Create(Rendezvous.Tcp("127.0.0.1", freePort ()), 1, 2) with Timeout = TimeSpan.FromSeconds 2.0 }
            let e, took = joinAlone options
            Expect.stringContains e.Message "rank 1 of 2" "names the rank"
            Expect.stringContains e.Message "rendezvous" "names the operation"
            Expect.stringContains e.Message "could not reach the store that rank 0 hosts at 127.0.0.1" "says what happened"
            Expect.equal e.Rank 1 "Rank"
            Expect.equal e.Operation "join" "Operation"
            Expect.isLessThan took.TotalSeconds 6.0 $"within the timeout plus the connect retry ({took.TotalSeconds} s)"
        }

        test "a rank that never comes is named when the rendezvous times out" {
            use scratch = new TempDir()
            let path = scratch.File "store"
            let options = { ProcessGroupOptions.Create(Rendezvous.File path, 0, 3) with Timeout = TimeSpan.FromSeconds 1.5 }
            let e, took = joinAlone options
            Expect.stringContains e.Message "rank 0 of 3" "names the rank"
            Expect.stringContains e.Message "waiting for rank(s) 1, 2 to join" "names the missing ranks"
            Expect.isLessThan took.TotalSeconds 5.0 "within the timeout"
        }

        test "a rank outside the world is refused at once" {
            use scratch = new TempDir()
            let path = scratch.File "store"
            let e, took = joinAlone (ProcessGroupOptions.Create(Rendezvous.File path, 2, 2))
            Expect.stringContains e.Message "rank 2 of 2" "names the rank"
            Expect.stringContains e.Message "rank 2 is outside the world of 2 rank(s) (valid ranks: 0..1)" "says what is valid"
            Expect.isLessThan took.TotalSeconds 1.0 "at once"
            Expect.isFalse (File.Exists path) "before touching the store"
        }

        test "ranks started with different world sizes both fail, saying so" {
            use w = new World("join", [ 0, 2; 1, 3 ], Tcp(freePort ()), 20_000)
            w.Go()
            let m0 = errorOf w 0
            let m1 = errorOf w 1
            Expect.stringContains m0 "rank 0 of 2" "rank 0 names itself"
            Expect.stringContains m0 "rank 1 declared a world size of 3 but this rank 2" "rank 0 sees rank 1's world size"
            Expect.stringContains m1 "rank 1 of 3" "rank 1 names itself"
            Expect.stringContains m1 "rank 0 declared a world size of 2 but this rank 3" "rank 1 sees rank 0's world size"
            Expect.isTrue w.AllExited "no process left behind"
        }

        test "two processes with the same rank: the second is told, the world goes on" {
            // The world's ranks linger after their barrier, so the store is still up when the late one comes.
            use w = new World("join", [ 0, 2; 1, 2; 1, 2 ], Tcp(freePort ()), 20_000, [ "linger" ])
            w.Go()
            Expect.equal (w.WaitExit(0, TimeSpan.FromSeconds 60.0)) 0 $"rank 0 joins\n{w.Describe()}"
            let codes = [ for i in 1..2 -> w.WaitExit(i, TimeSpan.FromSeconds 60.0) ]
            Expect.equal (List.sort codes) [ 0; 3 ] $"one rank 1 joins, the other fails\n{w.Describe()}"
            let loser = if codes[0] = 3 then 1 else 2
            let message = errorOf w loser
            Expect.stringContains message "rank 1 of 2" "names the rank"
            Expect.stringContains message "another process already joined as rank 1" "says what happened"
        }

        test "a port in use: rank 0 cannot host the store and says so" {
            let l = new TcpListener(IPAddress.Any, 0)
            l.Start()
            try
                let port = (l.LocalEndpoint :?> IPEndPoint).Port
                let e, _ = joinAlone { ProcessGroupOptions.Create(Rendezvous.Tcp("127.0.0.1", port), 0, 2) with Timeout = TimeSpan.FromSeconds 2.0 }
                Expect.stringContains e.Message "rank 0 of 2" "names the rank"
                Expect.stringContains e.Message $"could not host the store on port {port}" "says what happened"
            finally
                l.Stop()
        }

        test "NCCL in a shim without it is a clear error" {
            if ProcessGroup.IsAvailable DistributedBackend.Nccl then skiptest "this shim has NCCL"
            use scratch = new TempDir()
            let path = scratch.File "store"
            let options = { ProcessGroupOptions.Create(Rendezvous.File path, 0, 1) with Backend = DistributedBackend.Nccl; Timeout = TimeSpan.FromSeconds 5.0 }
            let e, _ = joinAlone options
            Expect.stringContains e.Message "rank 0 of 1 (nccl" "names the rank and backend"
            Expect.stringContains e.Message "the NCCL backend is not in this shim" "says what is missing"
        }
    ]
