/// Memory stays flat over epochs: no tensor leaks and no growth of the process's resident memory.
module SnnDsl.Nn.Tests.MemoryTests

open System
open System.IO
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

/// VmRSS of this process in bytes, after a full collection.
let private residentBytes () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()
    let line = File.ReadAllLines "/proc/self/status" |> Array.find (fun l -> l.StartsWith "VmRSS:")
    let kb = line.Substring(6).Trim().Split(' ')[0]
    int64 kb * 1024L

[<Tests>]
let tests =
    testSequenced <| testList "Memory" [
        testCase "six epochs keep the live tensor count and the resident memory flat" <| fun () ->
            use tmp = new TempDir()
            let dir = tmp.File "memory"
            let samples = ResizeArray<int * int64 * int64>()
            let observe event =
                match event with
                | EpochDone m ->
                    samples.Add((m.Epoch, residentBytes (), Torch.liveTensors ()))
                | _ -> ()
            let c = { config dir with Epochs = 6; LimitTrain = 96; LimitTest = 32; CheckpointEvery = 0 }
            residentBytes () |> ignore
            let baseline = Torch.liveTensors ()
            Trainer.run c false observe CancellationToken.None |> ignore
            Expect.equal samples.Count 6 "samples.Count"
            let _, rss2, live2 = samples[1]
            let _, rss6, live6 = samples[5]
            let report = String.Join("; ", samples |> Seq.map (fun (e, r, l) -> $"epoch {e}: {r / 1048576L} MiB, {l} tensors"))
            Expect.isTrue (live6 <= live2) ($"live tensors grew: {report}")
            Expect.isTrue (rss6 - rss2 < 30L * 1024L * 1024L) ($"resident memory grew by {(rss6 - rss2) / 1048576L} MiB: {report}")
            // The finished run's session released everything it created.
            residentBytes () |> ignore
            Expect.equal (Torch.liveTensors ()) baseline "Torch.liveTensors ()"
    ]
