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
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let dir = tmp.File "cancelled"
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
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let dir = tmp.File "copied"
            let aside = Path.Combine(tmp.File "aside", Checkpoint.fileName)
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
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let dir = tmp.File "extended"
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
            let msg = throwsMessage<SnnDsl.Core.SnnException> (fun () -> Checkpoint.restore (checkpointPath refDir) other None)
            Expect.stringContains msg "'param/9.weight' has shape [10, 3136], the model expects [5, 3136]" "msg"
    
        testCase "a checkpoint rebuilds its network from the file alone, with the same outputs" <| fun () ->
            let refDir, _ = reference.Force()
            let path = checkpointPath refDir
            let saved, _ = Checkpoint.readHeader path
            let spec, model = Checkpoint.loadNetwork path SnnDsl.Torch.Device.Cpu SnnDsl.Backends.Backend.Auto
            use model = model
            match spec with
            | NetworkSpec.Zoo(name, neuron, input) ->
                Expect.equal (Some name) saved.Model "model"
                Expect.equal (Describe.text neuron) (Describe.text saved.Neuron) "neuron"
                Expect.equal input.Classes 10 "classes"
            | other -> failwith $"expected a zoo network, got {other}"
            use session = Session.create { saved with OutDir = None }
            Checkpoint.restore path session.Model None
            use scope = new SnnDsl.Torch.TensorScope()
            model.Eval()
            session.Model.Eval()
            let x = SnnDsl.Torch.Tensor.Rand([| 2; 3; 1; 28; 28 |])
            let a = (model.Forward x).ToArray<float32>()
            let b = (session.Model.Forward x).ToArray<float32>()
            Expect.equal a b "outputs"

        testCase "a checkpoint of another neuron or a truncated one is a data error naming the mismatch or the file" <| fun () ->
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let path = checkpointPath refDir
            use plif = Models.smallConv (fun ch -> new SpikingLayer(Builtins.plif, ch)) { Channels = 1; Height = 28; Width = 28; Classes = 10 }
            let e = Expect.raisesAny<SnnException> (fun () -> Checkpoint.restore path plif None)
            Expect.equal e.Kind ErrorKind.Data "kind"
            Expect.stringContains e.Message "runs plif" "names the layer's neuron"
            Expect.stringContains e.Message "trained with da-lif" "names the checkpoint's neuron"
            let cut = Path.Combine(tmp.File "truncated", "checkpoint.snnt")
            Directory.CreateDirectory(Path.GetDirectoryName cut) |> ignore
            let bytes = File.ReadAllBytes path
            File.WriteAllBytes(cut, bytes[.. bytes.Length / 3])
            for load in [ (fun () -> Checkpoint.readHeader cut |> ignore); (fun () -> Checkpoint.loadNetwork cut SnnDsl.Torch.Device.Cpu SnnDsl.Backends.Backend.Auto |> ignore) ] do
                let e = Expect.raisesAny<SnnException> load
                Expect.equal e.Kind ErrorKind.Data "kind"
                Expect.stringContains e.Message cut "names the file"
    
        testCase "a network built as layers trains, evaluates from its checkpoint alone and resumes bitwise like an uninterrupted run" <| fun () ->
            use tmp = new TempDir()
            let neuron = Builtins.leakyLif
            let spec =
                NetworkSpec.Sequential(
                    [| 1; 28; 28 |], 10,
                    [ LayerSpec.Conv2d(1, 4, 3, 1, 1, false); LayerSpec.BatchNorm(4, 0.1, 1e-5); LayerSpec.Spiking(neuron, 4, [| 4; 28; 28 |])
                      LayerSpec.AvgPool2d(4, 4, 0); LayerSpec.Flatten; LayerSpec.Linear(4 * 7 * 7, 10, true) ])
            let run (dir: string) (stopAfter: int option) =
                use cts = new CancellationTokenSource()
                let observe event =
                    match event, stopAfter with
                    | BatchDone(1, i, _, _, _, _), Some k when i = k -> cts.Cancel()
                    | _ -> ()
                use session = Session.createWith (Some spec) { config dir with Neuron = neuron; Model = None }
                try Trainer.train session Trainer.fresh observe cts.Token |> ignore
                with :? OperationCanceledException -> ()
            let whole, parts = tmp.File "layers-whole", tmp.File "layers-parts"
            run whole None
            run parts (Some 3)
            let resumed = Trainer.resume parts 2 ignore CancellationToken.None
            Expect.equal (resumed |> List.map _.Epoch) [ 1; 2 ] "the resumed run finishes epochs 1 and 2"
            Expect.equal (checkpointBits parts) (checkpointBits whole) "bitwise equal to the uninterrupted run"
            Expect.equal (Checkpoint.readSpec (checkpointPath parts)) spec "the checkpoint stores the architecture"
            let e = Trainer.evaluateCheckpoint (checkpointPath whole) id ignore CancellationToken.None
            Expect.equal e.Accuracy (List.last (Metrics.read whole)).TestAccuracy "evaluating the checkpoint reproduces the last epoch"
    ]
