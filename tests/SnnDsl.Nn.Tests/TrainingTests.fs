/// Trainer.run end to end: metrics.jsonl, the checkpoint, reproducibility and the report.
module SnnDsl.Nn.Tests.TrainingTests

open System
open System.IO
open System.Threading
open System.Text.Json
open System.Text.RegularExpressions
open System.Xml.Linq
open Expecto
open SnnDsl.TestKit
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

let private lines dir =
    File.ReadAllLines(Path.Combine(dir, Metrics.fileName)) |> Array.filter (fun l -> l.Trim() <> "")

let private num (e: JsonElement) (key: string) = e.GetProperty(key).GetDouble()

/// The spiking layers of small-conv: Sequential indices 2 and 6.
let private spikingNames = [ "spike1 (2)"; "spike2 (6)" ]

[<Tests>]
let tests =
    testSequenced <| testList "Training" [
        testCase "metrics.jsonl has one line per epoch with every required key" <| fun () ->
            let dir, _ = reference.Force()
            let ls = lines dir
            Expect.equal ls.Length 2 "ls.Length"
            for i, line in Array.indexed ls do
                use doc = JsonDocument.Parse line
                let e = doc.RootElement
                Expect.equal (e.GetProperty("epoch").GetInt32()) (i + 1) "e.GetProperty(\"epoch\").GetInt32()"
                let trainLoss = num e "train_loss"
                Expect.isTrue (Double.IsFinite trainLoss && trainLoss > 0.0) ($"train_loss {trainLoss}")
                // Accuracies are fractions: whole samples out of 128 (train) and 64 (test).
                for key, n in [ "train_acc", 128.0; "test_acc", 64.0 ] do
                    let acc = num e key
                    Expect.inRange acc 0.0 1.0 "acc"
                    expectNear 1e-9 1e-9 (round (acc * n)) (acc * n)
                Expect.isTrue (Double.IsFinite(num e "test_loss")) "Double.IsFinite(num e \"test_loss\")"
                Expect.isTrue (num e "seconds" > 0.0) "num e \"seconds\" > 0.0"
                Expect.isTrue (num e "lr" > 0.0) "num e \"lr\" > 0.0"
                let rates = e.GetProperty("firing_rates")
                Expect.equal ([ for p in rates.EnumerateObject() -> p.Name ] : string list) spikingNames "[ for p in rates.EnumerateObject() -> p.Name ]"
                for p in rates.EnumerateObject() do
                    Expect.inRange (p.Value.GetDouble()) 0.0 1.0 "p.Value.GetDouble()"
                let pars = e.GetProperty("neuron_params")
                Expect.equal ([ for p in pars.EnumerateObject() -> p.Name ] : string list) spikingNames "[ for p in pars.EnumerateObject() -> p.Name ]"
                for layer in pars.EnumerateObject() do
                    Expect.equal ([ for p in layer.Value.EnumerateObject() -> p.Name ] : string list) ([ "alpha"; "beta" ]) "[ for p in layer.Value.EnumerateObject() -> p.Name ]"
                    for p in layer.Value.EnumerateObject() do
                        Expect.inRange (p.Value.GetDouble()) -1.0 1.0 "p.Value.GetDouble()" // tanh-squashed
                let energy = e.GetProperty("energy_per_sample")
                // MACs: the first conv (1 -> 32, 3x3, 28x28 output) at each of the T = 2 steps.
                Expect.equal (num energy "macs") (float (9 * 32 * 28 * 28 * 2)) "num energy \"macs\""
                let acs = num energy "acs"
                Expect.isTrue (acs > 0.0) "the spike-driven layers did some accumulates"
                expectNear 1e-9 1e-9 (4.6e-9 * num energy "macs" + 0.9e-9 * acs) (num energy "mj")

        testCase "the neuron parameters move away from their initial value during training" <| fun () ->
            let _, metrics = reference.Force()
            for _, ps in (List.last metrics).NeuronParams do
                for name, v in ps do
                    Expect.isTrue (abs (v - tanh 1.0) > 1e-6) ($"{name} still has its initial value")

        testCase "Trainer.run returns what it wrote to metrics.jsonl and leaves a final checkpoint" <| fun () ->
            let dir, metrics = reference.Force()
            Expect.equal (Metrics.read dir : EpochMetrics list) metrics "Metrics.read dir"
            Expect.isTrue (File.Exists(checkpointPath dir)) "File.Exists(checkpointPath dir)"
            let saved, position = Checkpoint.readHeader (checkpointPath dir)
            Expect.equal saved (config dir) "saved"
            Expect.equal position.Epoch 2 "position.Epoch"
            Expect.equal position.NextBatch 0 "position.NextBatch"
            Expect.equal position.GlobalStep (2L * int64 batchesPerEpoch) "position.GlobalStep"
            // No temporary files are left behind by the atomic writes.
            Expect.equal (Directory.GetFiles dir |> Array.map Path.GetFileName |> Array.sort : string[]) ([| Checkpoint.fileName; Metrics.fileName |]) "Directory.GetFiles dir |> Array.map Path.GetFileName |> Array.sort"

        testCase "training twice with the same seed gives bitwise identical parameters and metrics" <| fun () ->
            let refDir, _ = reference.Force()
            let dir = freshDir "twin"
            train (config dir) |> ignore
            assertSameTensors refDir dir
            Expect.equal (metricsWithoutTime dir : EpochMetrics list) (metricsWithoutTime refDir) "metricsWithoutTime dir"

        testCase "another seed gives other parameters" <| fun () ->
            let refDir, _ = reference.Force()
            let dir = freshDir "other-seed"
            train { config dir with Seed = 8L; Epochs = 1 } |> ignore
            Expect.notEqual ((checkpointBits dir)["param/0.weight"] : int64[]) ((checkpointBits refDir)["param/0.weight"]) "(checkpointBits dir)[\"param/0.weight\"]"

        testCase "Report.write makes one HTML page with well-formed SVG charts for two runs" <| fun () ->
            let refDir, _ = reference.Force()
            let second = freshDir "report-second"
            train { config second with Neuron = SnnDsl.Core.Builtins.plif; Epochs = 1 } |> ignore
            let page = Path.Combine(freshDir "report", "report.html")
            Directory.CreateDirectory(Path.GetDirectoryName page) |> ignore
            Report.write page [ refDir; second ]
            let html = File.ReadAllText page
            Expect.stringStarts html "<!DOCTYPE html>" "html"
            Expect.stringEnds (html.TrimEnd()) "</html>" "html.TrimEnd()"
            Expect.stringContains html ($"{Path.GetFileName refDir} (da-lif)") "html"
            Expect.stringContains html ($"{Path.GetFileName second} (plif)") "html"
            let svgs = Regex.Matches(html, "<svg.*?</svg>", RegexOptions.Singleline) |> Seq.map _.Value |> List.ofSeq
            // Loss, accuracy, a firing-rate chart per run and a neuron-parameter chart per run.
            Expect.equal svgs.Length 6 "svgs.Length"
            for svg in svgs do
                let x = XDocument.Parse svg
                Expect.equal x.Root.Name.LocalName "svg" "x.Root.Name.LocalName"
            Expect.stringContains html "w @ spike1 (2)" "html"
            Expect.stringContains html "alpha @ spike2 (6)" "html"
            Expect.stringContains html "Energy per sample" "html"

        testCase "evaluating the final checkpoint reproduces the last epoch's test metrics" <| fun () ->
            let dir, metrics = reference.Force()
            let last = List.last metrics
            let e = Trainer.evaluateCheckpoint (checkpointPath dir) id ignore CancellationToken.None
            Expect.equal e.Accuracy last.TestAcc "e.Accuracy"
            expectNear 1e-12 1e-12 last.TestLoss e.Loss
            Expect.equal (e.FiringRates : (string * float) list) last.FiringRates "e.FiringRates"
            Expect.equal e.Energy last.Energy "e.Energy"

        testCase "the report escapes run names that contain HTML markup" <| fun () ->
            let refDir, _ = reference.Force()
            let odd = Path.Combine(freshDir "report-odd", "a&b<i>")
            Directory.CreateDirectory odd |> ignore
            File.Copy(Path.Combine(refDir, Metrics.fileName), Path.Combine(odd, Metrics.fileName))
            let page = Path.Combine(Path.GetDirectoryName odd, "report.html")
            Report.write page [ odd ]
            let html = File.ReadAllText page
            Expect.stringLacks html "a&b<i>" "html"
            Expect.stringContains html "a&amp;b&lt;i&gt;" "html"

        testCase "the logged learning rate is the cosine schedule at the last batch of the epoch" <| fun () ->
            let _, metrics = reference.Force()
            // 4 batches per epoch, 2 epochs: the last batch of epoch e runs at fractional epoch e - 1 + 3/4.
            for m in metrics do
                let progress = (float (m.Epoch - 1) + 0.75) / 2.0
                expectNear 1e-12 1e-12 (0.5 * 0.1 * (1.0 + cos (Math.PI * progress))) m.LearningRate

        testCase "other losses, optimisers, schedules and neurons train to finite metrics" <| fun () ->
            let variants =
                [ { config (freshDir "tet-adamw") with
                      Epochs = 1; CheckpointEvery = 0; Neuron = SnnDsl.Core.Builtins.arLif; Loss = SnnDsl.Nn.Loss.Tet(0.05, 1.0, 0.1)
                      Optimizer = SnnDsl.Nn.OptimizerKind.adamW; LearningRate = 0.01
                      WeightDecay = 0.01; Schedule = SnnDsl.Nn.Schedule.Step(1, 0.1); WarmupEpochs = 0.5; ClipGradNorm = 1.0; Augment = true }
                  { config (freshDir "mse-adam") with
                      Epochs = 1; CheckpointEvery = 0; Loss = SnnDsl.Nn.Loss.CountMse; Optimizer = SnnDsl.Nn.OptimizerKind.adam; LearningRate = 0.01
                      Schedule = SnnDsl.Nn.Schedule.Constant
                      Neuron = SnnDsl.Core.Neuron.configure [ "threshold=0.5" ] (Some "atan:2") SnnDsl.Core.Builtins.plif |> Result.defaultWith failwith } ]
            for c in variants do
                let m = train c |> List.exactlyOne
                for v in [ m.TrainLoss; m.TrainAcc; m.TestLoss; m.TestAcc; m.Energy.MilliJoules ] do
                    Expect.isTrue (Double.IsFinite v) ($"{c.OutDir}: non-finite metric in {m}")
                Expect.equal m.LearningRate 0.01 "m.LearningRate"
    ]
