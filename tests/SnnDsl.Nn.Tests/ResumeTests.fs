/// Exact resumption: a run stopped mid-epoch and resumed from its checkpoint ends bit for bit where an
/// uninterrupted run ends.
module SnnDsl.Nn.Tests.ResumeTests

open System
open System.IO
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

/// The lines of a run's batches.jsonl.
let private batchLines (dir: string) = File.ReadAllLines(Path.Combine(dir, Metrics.batchesFileName)) |> List.ofArray

[<Tests>]
let tests =
    testSequenced <| testList "Resume" [
        testCase "cancelling from the observer stops at once, and resuming ends bitwise equal to an uninterrupted run" <| fun () ->
            let refDir, _ = reference.Force()
            let dir = freshDir "cancelled"
            use cts = new CancellationTokenSource()
            let after = ResizeArray<TrainEvent>()
            let observe event =
                if cts.IsCancellationRequested then after.Add event
                match event with
                | BatchDone(1, 2, _, _, _, _) -> cts.Cancel()
                | _ -> ()
            Expect.raisesAny<OperationCanceledException> (fun () -> Trainer.run (config dir) false observe cts.Token |> ignore) |> ignore
            // The checkpoint written right after the cancelling batch is the last thing that happened.
            let trained = after |> Seq.filter (function BatchDone _ -> true | _ -> false) |> Seq.length
            Expect.isTrue (trained = 0) ($"{trained} more batches were trained after the token was cancelled")
            let _, position = Checkpoint.readHeader (checkpointPath dir)
            Expect.equal position.Epoch 0 "position.Epoch"
            Expect.equal position.NextBatch 2 "position.NextBatch"
            Expect.equal position.GlobalStep 2L "position.GlobalStep"
            Expect.isFalse (File.Exists(Path.Combine(dir, Metrics.fileName))) "no epoch finished, so no metrics line"
            // batches.jsonl holds exactly the batches the checkpoint holds.
            Expect.equal (Metrics.readBatches dir |> List.map (fun b -> b.Epoch, b.Batch, b.Step)) [ 1, 1, 1L; 1, 2, 2L ] "the batches before the checkpoint"
            let resumed = Trainer.run (config dir) true ignore CancellationToken.None
            Expect.equal (resumed |> List.map _.Epoch : int list) ([ 1; 2 ]) "resumed |> List.map _.Epoch"
            assertSameTensors refDir dir
            Expect.equal (metricsWithoutTime dir : EpochMetrics list) (metricsWithoutTime refDir) "metricsWithoutTime dir"
            Expect.equal (batchLines dir) (batchLines refDir) "batches.jsonl equals the uninterrupted run's, line for line"

        testCase "a checkpoint copied aside mid-epoch 2 and restored resumes to the uninterrupted result" <| fun () ->
            let refDir, _ = reference.Force()
            let dir = freshDir "copied"
            let aside = Path.Combine(freshDir "aside", Checkpoint.fileName)
            Directory.CreateDirectory(Path.GetDirectoryName aside) |> ignore
            let mutable written = 0
            let observe event =
                match event with
                | CheckpointWritten path ->
                    written <- written + 1
                    // Three mid-epoch checkpoints and one at the end of epoch 1, then the one after batch 1 of epoch 2.
                    if written = batchesPerEpoch + 1 then File.Copy(path, aside)
                | _ -> ()
            Trainer.run (config dir) false observe CancellationToken.None |> ignore
            let _, position = Checkpoint.readHeader aside
            Expect.equal position.Epoch 1 "position.Epoch"
            Expect.equal position.NextBatch 1 "position.NextBatch"
            File.Copy(aside, checkpointPath dir, overwrite = true)
            // metrics.jsonl still holds epoch 2 of the finished run, and batches.jsonl its batches: resuming must
            // replace them, not add to them.
            Expect.equal ((Metrics.read dir).Length) 2 "(Metrics.read dir).Length"
            Expect.equal ((Metrics.readBatches dir).Length) (2 * batchesPerEpoch) "(Metrics.readBatches dir).Length"
            let resumed = Trainer.run (config dir) true ignore CancellationToken.None
            Expect.equal (resumed |> List.map _.Epoch : int list) ([ 2 ]) "resumed |> List.map _.Epoch"
            assertSameTensors refDir dir
            Expect.equal (metricsWithoutTime dir : EpochMetrics list) (metricsWithoutTime refDir) "metricsWithoutTime dir"
            Expect.equal (batchLines dir) (batchLines refDir) "batches.jsonl equals the uninterrupted run's, line for line"

        testCase "resuming with more epochs continues the run past its original end" <| fun () ->
            let refDir, _ = reference.Force()
            let dir = freshDir "extended"
            train { config dir with Epochs = 1 } |> ignore
            let resumed = Trainer.run { config dir with Epochs = 2 } true ignore CancellationToken.None
            Expect.equal (resumed |> List.map _.Epoch : int list) ([ 2 ]) "resumed |> List.map _.Epoch"
            // Only the cosine schedule's length differs from the reference, so the runs part in epoch 1.
            Expect.equal ((Metrics.read dir).Length) 2 "(Metrics.read dir).Length"
            Expect.equal (Metrics.readBatches dir |> List.map _.Step) [ 1L .. 2L * int64 batchesPerEpoch ] "batches of both epochs, once each"

        testCase "restoring a checkpoint into a model of another shape names the tensor and both shapes" <| fun () ->
            let refDir, _ = reference.Force()
            use other =
                Models.smallConv (fun ch -> new SpikingLayer(Builtins.daLif, ch)) { Channels = 1; Height = 28; Width = 28; Classes = 5 }
            let msg = throwsMessage<InvalidDataException> (fun () -> Checkpoint.restore (checkpointPath refDir) other None)
            Expect.stringContains msg "'param/9.weight' has shape [10, 3136], the model expects [5, 3136]" "msg"
    ]
