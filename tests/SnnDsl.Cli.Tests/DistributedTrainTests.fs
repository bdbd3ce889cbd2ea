/// `snn train` data-parallel over loopback: `--nproc 2` against one process, a rank killed mid-epoch, resuming
/// with the same and with another world size. Each run is a child `snn` process (the launcher starts its ranks
/// as processes of the same program).
module SnnDsl.Cli.Tests.DistributedTrainTests

open System
open System.Diagnostics
open System.IO
open System.Threading
open Expecto
open SnnDsl.Torch
open SnnDsl.Training
open SnnDsl.Cli
open SnnDsl.TestKit
open SnnDsl.Cli.Tests.Cli

/// A small run on the embedded synthetic data: `samples` training samples, T = 2, no report.
let private args (out: string) (samples: int) (extra: string list) =
    [ "train"; "--dataset"; "synthetic"; "--limit-train"; string samples; "--limit-test"; "64"; "--timesteps"; "2"
      "--seed"; "5"; "--no-report"; "--out"; out; "--dist-timeout"; "30" ] @ extra

/// Starts `dotnet snn.dll ARGS`, collecting its output.
let private start (arguments: string list) =
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add snnDll
    for a in arguments do psi.ArgumentList.Add a
    let p = new Process(StartInfo = psi)
    let out, err = Text.StringBuilder(), Text.StringBuilder()
    p.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then lock out (fun () -> out.AppendLine e.Data |> ignore))
    p.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then lock err (fun () -> err.AppendLine e.Data |> ignore))
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p, (fun () -> lock out (fun () -> out.ToString())), (fun () -> lock err (fun () -> err.ToString()))

/// Runs `dotnet snn.dll ARGS` to its end (at most 3 minutes).
let private runChild (arguments: string list) : Outcome =
    let p, out, err = start arguments
    use p = p
    if not (p.WaitForExit 180000) then
        p.Kill true
        failwith $"snn {String.Join(' ', arguments)} did not end within 3 minutes"
    p.WaitForExit()
    { Code = p.ExitCode; Out = out (); Err = err () }

/// The processes whose command line mentions `text` (the run directory of a test).
let private processesMentioning (text: string) =
    Directory.GetDirectories "/proc"
    |> Array.choose (fun d ->
        match Int32.TryParse(Path.GetFileName d) with
        | true, pid ->
            try
                let cmd = File.ReadAllText(Path.Combine(d, "cmdline")).Split('\000')
                if Array.contains text cmd then Some(pid, cmd) else None
            with _ -> None
        | _ -> None)

/// Parameters, buffers and optimiser state of a run directory's checkpoint, by name.
let private saved (dir: string) = savedValues (Path.Combine(dir, Checkpoint.fileName))

let private expectOk (r: Outcome) = Expect.equal r.Code 0 $"exit code; stderr:\n{r.Err}"

[<Tests>]
let tests =
    testSequenced <| testList "DistributedTrain" [
        testCase "2 ranks x batch 16 with synchronised BatchNorm train as 1 process x batch 32 (every entry within 1e-5 but the few a rounding-flipped spike moves)" <| fun () ->
            use dir = new TempDir()
            let one, two = dir.File "one", dir.File "two"
            expectOk (runChild (args one 128 [ "--epochs"; "1"; "--batch-size"; "32"; "--threads"; "1" ]))
            let r = runChild (args two 128 [ "--epochs"; "1"; "--batch-size"; "16"; "--nproc"; "2"; "--threads"; "2"; "--sync-bn" ])
            expectOk r
            Expect.stringContains r.Out "final test accuracy" "rank 0 reports"
            Expect.equal (Directory.GetFiles two |> Array.map Path.GetFileName |> Array.sort) [| "batches.jsonl"; "checkpoint.snnt"; "metrics.jsonl"; RunLock.fileName |] "rank 0 alone writes (and alone takes the run lock)"
            let a, b = saved one, saved two
            Expect.sequenceEqual b.Keys a.Keys "the same tensors"
            // Synchronised BatchNorm sums 2 x 16 samples where one process sums 32: the rounding differs, and a
            // membrane that sits at the threshold may spike in one run and not in the other. Such a flip moves
            // a handful of entries (one input of the last layer: a column of 10 gradients) by about 1e-3;
            // statistics computed per rank instead would move nearly every entry.
            for KeyValue(name, xs) in a do
                let ys = b[name]
                let differences = Array.map2 (fun (x: float) y -> abs (x - y) / (1.0 + abs x)) xs ys
                let worst = Array.max differences
                let far = differences |> Array.filter (fun d -> d > 1e-5) |> Array.length
                Expect.isLessThan worst 1e-2 $"{name}: largest relative difference {worst}"
                Expect.isLessThanOrEqual far (xs.Length / 1000) $"{name}: {far} of {xs.Length} entries differ by more than 1e-5 (largest {worst})"
            let ma, mb = Metrics.read one |> List.exactlyOne, Metrics.read two |> List.exactlyOne
            Expect.floatClose Accuracy.medium mb.TrainLoss ma.TrainLoss "train loss over every rank's samples"
            Expect.equal mb.TestAccuracy ma.TestAccuracy "test accuracy over every test sample, each counted once"

        testCase "killing a rank mid-epoch stops --nproc 2 naming the rank, leaves no process, and --resume ends bitwise like an uninterrupted run" <| fun () ->
            use dir = new TempDir()
            let whole, killed = dir.File "whole", dir.File "killed"
            let run2 out extra = args out 512 ([ "--epochs"; "2"; "--batch-size"; "16"; "--nproc"; "2"; "--threads"; "2"; "--checkpoint-every"; "1" ] @ extra)
            expectOk (runChild (run2 whole []))
            let p, _, err = start (run2 killed [])
            use p = p
            let checkpoint = Path.Combine(killed, Checkpoint.fileName)
            let victim =
                awaitCheckpoint checkpoint (fun () -> not p.HasExited) (fun position ->
                    if position.Epoch = 0 && position.NextBatch >= 3 then
                        // Rank 1: its command line holds the run directory and "--rank" "1".
                        match processesMentioning killed |> Array.tryFind (fun (_, cmd) -> Array.contains "--rank" cmd && cmd[Array.IndexOf(cmd, "--rank") + 1] = "1") with
                        | Some(pid, _) ->
                            Process.GetProcessById(pid).Kill()
                            Some pid
                        | None -> None
                    else None)
            Expect.isTrue victim.IsSome "rank 1 was killed mid-epoch"
            Expect.isTrue (p.WaitForExit 60000) "the launcher stops within the timeout"
            p.WaitForExit()
            Expect.notEqual p.ExitCode 0 "a non-zero exit code"
            Expect.stringContains (err ()) "rank 1 of 2 was killed" "the message names the rank"
            Thread.Sleep 200
            Expect.isEmpty (processesMentioning killed) "no rank is left behind"
            expectOk (runChild (run2 killed [ "--resume" ]))
            let a, b = saved whole, saved killed
            Expect.sequenceEqual b.Keys a.Keys "the same tensors"
            for KeyValue(name, xs) in a do
                Expect.equal b[name] xs $"{name} differs from the uninterrupted run"
            // Every rank logs the batch's loss over all ranks, so the per-batch log continues exactly too.
            Expect.equal (File.ReadAllLines(Path.Combine(killed, "batches.jsonl"))) (File.ReadAllLines(Path.Combine(whole, "batches.jsonl"))) "batches.jsonl"
            // Another world size resumes too (not bitwise: the batches differ): one more epoch in one process.
            let r = runChild (args whole 512 [ "--epochs"; "3"; "--batch-size"; "32"; "--threads"; "1"; "--resume" ])
            expectOk r
            Expect.equal (Metrics.read whole |> List.map _.Epoch) [ 1; 2; 3 ] "three epochs"

        testCase "a rank's flags must come together and fit the world" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "bad"
            for extra, fragment in
                [ [ "--world-size"; "2"; "--rank"; "0" ], "--world-size, --rank and --master together"
                  [ "--world-size"; "2"; "--rank"; "2"; "--master"; "127.0.0.1:1" ], "rank 2 is outside a world of 2"
                  [ "--world-size"; "2"; "--rank"; "0"; "--master"; "localhost" ], "expected HOST:PORT"
                  [ "--sync-bn" ], "--sync-bn: BatchNorm over every rank needs a data-parallel run"
                  [ "--nproc"; "2"; "--rank"; "0" ], "give --nproc or --rank, not both" ] do
                let r = snn (args out 64 extra)
                Expect.equal r.Code ExitCode.UsageError $"{extra}: exit code; stderr: {r.Err}"
                Expect.stringContains r.Err fragment $"{extra}"
    ]
