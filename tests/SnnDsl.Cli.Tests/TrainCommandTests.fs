/// `snn train`, `snn eval` and `snn report` end to end on the embedded synthetic dataset: outputs, errors,
/// and a run killed with SIGKILL mid-epoch and resumed.
module SnnDsl.Cli.Tests.TrainCommandTests

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Training
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli

// Small enough to run in seconds: 8 batches per epoch.
let private tiny (out: string) =
    [ "train"; "--dataset"; "synthetic"; "--limit-train"; "256"; "--limit-test"; "64"; "--batch-size"; "32"
      "--timesteps"; "2"; "--threads"; "1"; "--seed"; "5"; "--checkpoint-every"; "1"; "--out"; out ]

let private expectUsage (r: Outcome) (fragments: string list) =
    Expect.isTrue (r.Code = ExitCode.UsageError) ($"exit code {r.Code}, stderr: {r.Err}")
    for f in fragments do
        Expect.stringContains r.Err f "r.Err"



[<Tests>]
let tests =
    testSequenced <| testList "TrainCommand" [
        testCase "train writes metrics, a checkpoint and a report; eval and report read them" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            let r = snn (tiny out @ [ "--epochs"; "1" ])
            Expect.isTrue (r.Code = 0) r.Err
            for f in [ "metrics.jsonl"; "batches.jsonl"; "checkpoint.snnt"; "report.html" ] do
                Expect.isTrue (File.Exists(Path.Combine(out, f))) ($"missing {f}")
            let line = File.ReadAllLines(Path.Combine(out, "metrics.jsonl")) |> Array.exactlyOne
            for key in [ "\"epoch\":1"; "\"train_loss\""; "\"train_acc\""; "\"test_acc\""; "\"seconds\""; "\"firing_rates\""; "\"neuron_params\""; "\"alpha\""; "\"beta\""; "\"macs\""; "\"acs\""; "\"mj\"" ] do
                Expect.stringContains line key "line"
            let m = Metrics.ofJson line
            Expect.inRange m.TestAccuracy 0.0 1.0 "m.TestAccuracy"
            Expect.equal (m.FiringRates |> List.map fst) [ "spike1 (after conv1)"; "spike2 (after conv2)" ] "readable layer names"
            // One line per training batch: 256 samples in batches of 32.
            Expect.equal (File.ReadAllLines(Path.Combine(out, "batches.jsonl")).Length) 8 "batches.jsonl lines"
            let e = snn [ "eval"; "--checkpoint"; Path.Combine(out, "checkpoint.snnt") ]
            Expect.isTrue (e.Code = 0) e.Err
            Expect.stringContains e.Out ($"test accuracy {m.TestAccuracy:F4}") "e.Out"
            let page = dir.File "compare.html"
            let rep = snn [ "report"; out; out; "--out"; page ]
            Expect.isTrue (rep.Code = 0) rep.Err
            let html = File.ReadAllText page
            Expect.stringContains html "Plotly.newPlot(" "Plotly charts"
            Expect.stringContains html "plotly.js v" "plotly.js embedded"
            Expect.isFalse (Regex.IsMatch(html, "<script[^>]*\\ssrc=")) "no external script"

        testCase "unknown model, neuron, dataset and optimizer names list the valid ones and write nothing" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            expectUsage (snn (tiny out @ [ "--model"; "alexnet" ])) [ "unknown model 'alexnet'"; "small-conv"; "resnet19" ]
            expectUsage (snn (tiny out @ [ "--neuron"; "hodgkin" ])) [ "unknown neuron 'hodgkin'"; "da-lif"; "ar-lif" ]
            expectUsage (snn [ "train"; "--dataset"; "imagenet"; "--out"; out ]) [ "unknown dataset 'imagenet'"; "fashion-mnist"; "cifar10" ]
            expectUsage (snn (tiny out @ [ "--optimizer"; "lion" ])) [ "unknown optimizer 'lion'"; "adamw" ]
            expectUsage (snn (tiny out @ [ "--param"; "gamma=2" ])) [ "no parameter 'gamma'"; "alpha" ]
            Expect.isFalse (Directory.Exists out) "no output directory may be created for a bad configuration"

        testCase "a wrong data directory and a truncated dataset file are data errors that name the problem" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            let missing = dir.File "nowhere"
            let r = snn [ "train"; "--dataset"; "mnist"; "--data-dir"; missing; "--out"; out ]
            Expect.isTrue (r.Code = ExitCode.DataError) r.Err
            Expect.stringContains r.Err missing "r.Err"
            Expect.stringContains r.Err "train-images-idx3-ubyte" "r.Err"
            // A truncated idx image file: the header promises 60000 images, the file holds a few bytes.
            let data = Directory.CreateDirectory(dir.File "mnist").FullName
            let header = [| 0uy; 0uy; 8uy; 3uy; 0uy; 0uy; 0xEAuy; 0x60uy; 0uy; 0uy; 0uy; 28uy; 0uy; 0uy; 0uy; 28uy |]
            File.WriteAllBytes(Path.Combine(data, "train-images-idx3-ubyte"), Array.append header (Array.zeroCreate 100))
            File.WriteAllBytes(Path.Combine(data, "train-labels-idx1-ubyte"), [| 0uy; 0uy; 8uy; 1uy; 0uy; 0uy; 0xEAuy; 0x60uy |])
            File.WriteAllBytes(Path.Combine(data, "t10k-images-idx3-ubyte"), header)
            File.WriteAllBytes(Path.Combine(data, "t10k-labels-idx1-ubyte"), [| 0uy; 0uy; 8uy; 1uy |])
            let t = snn [ "train"; "--dataset"; "mnist"; "--data-dir"; data; "--out"; out ]
            Expect.isTrue (t.Code = ExitCode.DataError) t.Err
            Expect.stringContains t.Err "idx" "t.Err"
            Expect.isFalse (Directory.Exists out) "no output directory may be created for unreadable data"

        testCase "a truncated or foreign checkpoint is a data error (exit 1) naming the file, for eval and --resume" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            Expect.isTrue ((snn (tiny out @ [ "--epochs"; "1" ])).Code = 0) "a tiny run"
            let checkpoint = Path.Combine(out, Checkpoint.fileName)
            let bytes = File.ReadAllBytes checkpoint
            File.WriteAllBytes(checkpoint, bytes[.. bytes.Length / 2])
            for r in [ snn [ "eval"; "--checkpoint"; checkpoint ]; snn (tiny out @ [ "--resume"; "--epochs"; "2" ]) ] do
                Expect.equal r.Code ExitCode.DataError $"exit code, stderr: {r.Err}"
                Expect.stringContains r.Err checkpoint "names the file"
                Expect.stringLacks r.Err "internal error" "not an internal error"
            // Not a tensor file at all.
            File.WriteAllText(checkpoint, "hello")
            let r = snn [ "eval"; "--checkpoint"; checkpoint ]
            Expect.equal r.Code ExitCode.DataError $"exit code, stderr: {r.Err}"
            Expect.stringContains r.Err checkpoint "names the file"

        testCase "a new run refuses to overwrite an existing run and --resume needs a checkpoint" <| fun () ->
            use dir = new TempDir()
            let out = dir.File "run"
            expectUsage (snn (tiny out @ [ "--resume" ])) [ "no checkpoint" ]
            Expect.isTrue ((snn (tiny out @ [ "--epochs"; "1" ])).Code = 0) "((snn (tiny out @ [ \"--epochs\"; \"1\" ])).Code = 0)"
            expectUsage (snn (tiny out @ [ "--epochs"; "1" ])) [ "already holds a run"; "--resume" ]

        testCase "a run killed with SIGKILL mid-epoch and resumed ends with the parameters of an uninterrupted run" <| fun () ->
            use dir = new TempDir()
            let reference = dir.File "uninterrupted"
            let killed = dir.File "killed"
            let args = [ "--epochs"; "2" ]
            let r = snn (tiny reference @ args)
            Expect.isTrue (r.Code = 0) r.Err
            // The same run in a child process, killed once a mid-epoch checkpoint of epoch 1 exists.
            let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
            psi.ArgumentList.Add snnDll
            for a in tiny killed @ args do psi.ArgumentList.Add a
            use child = Process.Start psi
            child.OutputDataReceived.Add ignore
            child.ErrorDataReceived.Add ignore
            child.BeginOutputReadLine()
            child.BeginErrorReadLine()
            let checkpoint = Path.Combine(killed, Checkpoint.fileName)
            let stopped =
                awaitCheckpoint checkpoint (fun () -> not child.HasExited) (fun position ->
                    if position.Epoch = 1 && position.NextBatch >= 3 then
                        child.Kill() // SIGKILL on Linux: no handler runs, nothing is flushed
                        child.WaitForExit()
                        Some position
                    else None)
            Expect.isTrue stopped.IsSome ($"the child run was not killed mid-epoch (exited: {child.HasExited})")
            let _, after = Checkpoint.readHeader checkpoint
            Expect.isTrue (after.Epoch = 1 && after.NextBatch > 0 && after.NextBatch < 8) ($"checkpoint after the kill is at epoch {after.Epoch} batch {after.NextBatch}")
            let resumed = snn (tiny killed @ args @ [ "--resume" ])
            Expect.isTrue (resumed.Code = 0) resumed.Err
            let a = savedValues (Path.Combine(reference, Checkpoint.fileName))
            let b = savedValues checkpoint
            Expect.sequenceEqual b.Keys a.Keys "b.Keys"
            for KeyValue(name, values) in a do
                Expect.isTrue (values = b[name]) ($"'{name}' differs between the uninterrupted and the resumed run")
            // The metrics of both runs agree too (one line per epoch, no duplicates after the resume).
            let epochs dir = Metrics.read dir |> List.map (fun m -> m.Epoch, m.TrainLoss, m.TestAccuracy)
            Expect.equal (epochs killed : (int * float * float) list) (epochs reference) "epochs killed"
            // So do the per-batch records: every batch once, with the uninterrupted run's values.
            let batches dir = File.ReadAllLines(Path.Combine(dir, Metrics.batchesFileName))
            Expect.equal (batches killed) (batches reference) "batches.jsonl of the resumed run"
            Expect.equal (batches reference).Length 16 "2 epochs of 8 batches"
    ]
