/// Faults of a running `snn train`: SIGKILL at random points (the run directory always loads and --resume
/// continues), a second run into the same directory (refused while the first holds its lock, which a
/// killed run does not leave stale), and a full disk (the previous checkpoint stays whole and loadable).
module SnnDsl.Cli.Tests.RunFaultTests

open System
open System.Diagnostics
open System.IO
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Training
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli

// 8 batches of 32 per epoch, a checkpoint after each batch.
let private tiny (out: string) =
    [ "train"; "--dataset"; "synthetic"; "--limit-train"; "256"; "--limit-test"; "64"; "--batch-size"; "32"
      "--timesteps"; "2"; "--threads"; "1"; "--seed"; "5"; "--checkpoint-every"; "1"; "--no-report"; "--out"; out ]

/// `snn` with these arguments in a child process (its output discarded).
let private start (args: string list) =
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add snnDll
    for a in args do psi.ArgumentList.Add a
    let child = Process.Start psi
    child.OutputDataReceived.Add ignore
    child.ErrorDataReceived.Add ignore
    child.BeginOutputReadLine()
    child.BeginErrorReadLine()
    child

let private kill (child: Process) =
    if not child.HasExited then child.Kill() // SIGKILL on Linux: no handler runs, nothing is flushed
    child.WaitForExit()

/// Runs a shell command as this user; its exit code.
let private sh (command: string) =
    use p = Process.Start(ProcessStartInfo("/bin/sh", [| "-c"; command |], UseShellExecute = false))
    p.WaitForExit()
    p.ExitCode

[<Tests>]
let tests =
    testSequenced <| testList "RunFaults" [
        testCase "a second run into a directory that a run holds is refused, and the lock of a SIGKILLed run is not stale" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            // Long enough to be still running when the second one tries.
            let first = start (tiny out @ [ "--epochs"; "40" ])
            let held = awaitCheckpoint (Path.Combine(out, Checkpoint.fileName)) (fun () -> not first.HasExited) Some
            Expect.isTrue held.IsSome "the first run wrote a checkpoint while running"
            let second = snn (tiny out @ [ "--epochs"; "40"; "--resume" ])
            let stillRunning = not first.HasExited
            kill first
            Expect.isTrue stillRunning "the first run was still running when the second was refused"
            Expect.equal second.Code ExitCode.UsageError $"the second run's exit code; stderr: {second.Err}"
            Expect.stringContains second.Err "another run is writing into" "second.Err"
            Expect.stringContains second.Err RunLock.fileName "second.Err"
            // The kernel dropped the killed run's lock: a third run takes it (and is stopped at once).
            use lock = RunLock.acquire out
            Expect.isTrue (File.Exists(Path.Combine(out, RunLock.fileName))) "the lock file stays, unlocked"

        testCase "Ctrl+C (SIGINT) stops a run with exit 130, its header naming model, neuron and data, its checkpoint loadable" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            let checkpoint = Path.Combine(out, Checkpoint.fileName)
            let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
            psi.ArgumentList.Add snnDll
            // Far more epochs than the run can finish before the signal, even on a loaded machine (with 40 the
            // run sometimes ended first there, exit 0).
            for a in tiny out @ [ "--epochs"; "5000" ] do psi.ArgumentList.Add a
            use child = Process.Start psi
            let stdout, stderr = Text.StringBuilder(), Text.StringBuilder()
            child.OutputDataReceived.Add(fun e -> if not (isNull e.Data) then lock stdout (fun () -> stdout.AppendLine e.Data |> ignore))
            child.ErrorDataReceived.Add(fun e -> if not (isNull e.Data) then lock stderr (fun () -> stderr.AppendLine e.Data |> ignore))
            child.BeginOutputReadLine()
            child.BeginErrorReadLine()
            let saved = awaitCheckpoint checkpoint (fun () -> not child.HasExited) Some
            Expect.isTrue saved.IsSome "the run wrote a checkpoint while running"
            Expect.equal (sh $"kill -INT {child.Id}") 0 "kill -INT"
            let stopped = child.WaitForExit 60_000
            if not stopped then kill child
            Expect.isTrue stopped "the run stopped within a minute of SIGINT"
            child.WaitForExit()
            let err = lock stderr (fun () -> stderr.ToString())
            Expect.equal child.ExitCode ExitCode.Interrupted $"the exit code of a run stopped by Ctrl+C; stderr: {err}"
            Expect.stringContains err "continue with --resume" "the message says how to continue"
            // The run header names the model, neuron and dataset as the CLI does.
            Expect.stringContains (lock stdout (fun () -> stdout.ToString())) "training small-conv with da-lif on synthetic: T=2" "the run header"
            let _, position = Checkpoint.readHeader checkpoint
            Expect.isTrue (position.Epoch < 5000) $"the checkpoint loads (epoch {position.Epoch})"

        testCase "after SIGKILL at random points of a run the directory loads and --resume finishes it" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            let checkpoint = Path.Combine(out, Checkpoint.fileName)
            let first = start (tiny out @ [ "--epochs"; "2" ])
            awaitCheckpoint checkpoint (fun () -> not first.HasExited) Some |> ignore
            kill first
            // Kills at random moments of resumed runs (a fixed seed): after each, the directory loads.
            let rng = Random 27
            for k in 1..3 do
                if File.Exists checkpoint then
                    let child = start (tiny out @ [ "--epochs"; "2"; "--resume" ])
                    Thread.Sleep(300 + rng.Next 2500)
                    kill child
                    let _, position = Checkpoint.readHeader checkpoint
                    Expect.isTrue (position.Epoch >= 0 && position.Epoch <= 2) $"kill {k}: the checkpoint loads (epoch {position.Epoch})"
            let last = snn (tiny out @ [ "--epochs"; "2"; "--resume" ])
            Expect.equal last.Code ExitCode.Ok $"--resume after the kills; stderr: {last.Err}"
            Expect.equal (Metrics.read out |> List.map _.Epoch) [ 1; 2 ] "one metrics line per epoch"

        testCase "a full disk fails the run with a data error and leaves the previous checkpoint whole and loadable" <| fun () ->
            if not (OperatingSystem.IsLinux()) || Environment.UserName <> "root" then
                skiptest "mounting a tmpfs needs root on Linux"
            use dir = new TempDir()
            let mnt = Directory.CreateDirectory(dir.File "disk").FullName
            if sh $"mount -t tmpfs -o size=8m tmpfs '{mnt}'" <> 0 then skiptest "cannot mount a tmpfs here"
            try
                let out = Path.Combine(mnt, "run")
                let checkpoint = Path.Combine(out, Checkpoint.fileName)
                let r = snn (tiny out @ [ "--epochs"; "1" ])
                Expect.equal r.Code ExitCode.Ok $"the first epoch fits; stderr: {r.Err}"
                let before = File.ReadAllBytes checkpoint
                // Fill what is left of the disk.
                (use filler = new FileStream(Path.Combine(mnt, "filler"), FileMode.Create)
                 let block = Array.zeroCreate<byte> 65536
                 try
                     while true do filler.Write(block, 0, block.Length)
                 with :? IOException -> ())
                let full = snn (tiny out @ [ "--epochs"; "2"; "--resume" ])
                Expect.equal full.Code ExitCode.DataError $"exit code on a full disk; stderr: {full.Err}"
                Expect.stringContains full.Err "space" "full.Err names the lack of space"
                Expect.stringLacks full.Err "   at " "no stack trace"
                Expect.equal (File.ReadAllBytes checkpoint) before "the previous checkpoint is untouched"
                Expect.equal (snd (Checkpoint.readHeader checkpoint)).Epoch 1 "and loads"
                File.Delete(Path.Combine(mnt, "filler"))
                let resumed = snn (tiny out @ [ "--epochs"; "2"; "--resume" ])
                Expect.equal resumed.Code ExitCode.Ok $"--resume once there is room; stderr: {resumed.Err}"
                Expect.equal (Metrics.read out |> List.map _.Epoch) [ 1; 2 ] "one metrics line per epoch"
            finally
                sh $"umount '{mnt}'" |> ignore
    ]
