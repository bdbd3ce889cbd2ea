/// Trainer.run end to end: metrics.jsonl, the checkpoint, reproducibility and the report.
module SnnDsl.Nn.Tests.TrainingTests

open System
open System.IO
open System.Threading
open System.Text.Json
open System.Text.RegularExpressions
open Expecto
open SnnDsl.TestKit
open SnnDsl.Training
open SnnDsl.Report
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

let private lines dir =
    File.ReadAllLines(Path.Combine(dir, Metrics.fileName)) |> Array.filter (fun l -> l.Trim() <> "")

let private num (e: JsonElement) (key: string) = e.GetProperty(key).GetDouble()

/// The spiking layers of small-conv (Sequential indices 2 and 6), named after the convolution that feeds each.
let private spikingNames = [ "spike1 (after conv1)"; "spike2 (after conv2)" ]

/// lif-syn (examples/lif-syn.neuron): a learnable threshold per channel.
let private perChannelNeuron =
    "neuron lif-syn \"current-based LIF with a per-channel threshold\"\n"
    + "option a = 0.8 \"synaptic decay\"\noption b = 0.9 \"membrane decay\"\n"
    + "learn vth = 1 per-channel \"firing threshold\"\n"
    + "state I = 0 \"synaptic current\"\nstate V = 0 \"membrane potential\"\n"
    + "I_t = a * I + X\nH = b * V + I_t\nS = spike[atan 2](H - vth)\nV <- H - vth * S\nI <- I_t\n"

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
                        // A per-layer parameter: an array of one value.
                        Expect.equal p.Value.ValueKind JsonValueKind.Array "parameter values are an array"
                        Expect.equal (p.Value.GetArrayLength()) 1 "one value for a per-layer parameter"
                        Expect.inRange (p.Value[0].GetDouble()) -1.0 1.0 "p.Value[0]" // tanh-squashed
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
                    Expect.isTrue (abs (v.Mean - tanh 1.0) > 1e-6) ($"{name} still has its initial value")

        testCase "Trainer.run returns what it wrote to metrics.jsonl and leaves a final checkpoint" <| fun () ->
            let dir, metrics = reference.Force()
            Expect.equal (Metrics.read dir : EpochMetrics list) metrics "Metrics.read dir"
            Expect.isTrue (File.Exists(checkpointPath dir)) "File.Exists(checkpointPath dir)"
            let saved, position = Checkpoint.readHeader (checkpointPath dir)
            Expect.equal saved (config dir) "saved"
            Expect.equal position.Epoch 2 "position.Epoch"
            Expect.equal position.NextBatch 0 "position.NextBatch"
            Expect.equal position.GlobalStep (2L * int64 batchesPerEpoch) "position.GlobalStep"
            // No temporary files are left behind by the atomic writes; the run lock's file stays, unlocked.
            Expect.equal (Directory.GetFiles dir |> Array.map Path.GetFileName |> Array.sort : string[]) (Array.sort [| Metrics.batchesFileName; Checkpoint.fileName; Metrics.fileName; RunLock.fileName |]) "Directory.GetFiles dir |> Array.map Path.GetFileName |> Array.sort"

        testCase "training twice with the same seed gives bitwise identical parameters and metrics" <| fun () ->
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let dir = tmp.File "twin"
            train (config dir) |> ignore
            assertSameTensors refDir dir
            Expect.equal (metricsWithoutTime dir : EpochMetrics list) (metricsWithoutTime refDir) "metricsWithoutTime dir"

        testCase "another seed gives other parameters" <| fun () ->
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let dir = tmp.File "other-seed"
            train { config dir with Seed = 8L; Epochs = 1 } |> ignore
            Expect.notEqual ((checkpointBits dir)["param/0.weight"] : int64[]) ((checkpointBits refDir)["param/0.weight"]) "(checkpointBits dir)[\"param/0.weight\"]"

        testCase "Report.write makes one self-contained HTML page of Plotly charts for two runs, plotly.js embedded once" <| fun () ->
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let second = tmp.File "report-second"
            train { config second with Neuron = SnnDsl.Core.Builtins.plif; Epochs = 1 } |> ignore
            let page = Path.Combine(tmp.File "report", "report.html")
            Directory.CreateDirectory(Path.GetDirectoryName page) |> ignore
            Report.write page [ refDir; second ]
            let html = File.ReadAllText page
            Expect.stringStarts html "<!DOCTYPE html>" "html"
            Expect.stringEnds (html.TrimEnd()) "</html>" "html.TrimEnd()"
            Expect.stringContains html ($"{Path.GetFileName refDir} (da-lif)") "html"
            Expect.stringContains html ($"{Path.GetFileName second} (plif)") "html"
            // plotly.js is in the page, once; nothing is loaded from elsewhere (the library's own default URLs
            // apart, which it only uses for map charts).
            let js = Report.plotlyJs.Value
            Expect.isTrue (js.Length > 1_000_000) "the full plotly.js"
            Expect.stringContains js "plotly.js v" "the plotly.js banner"
            let occurrences (text: string) (part: string) = (text.Length - text.Replace(part, "").Length) / part.Length
            Expect.equal (occurrences html js) 1 "plotly.js is embedded exactly once"
            let rest = html.Replace(js, "")
            Expect.stringLacks rest "cdn" "no CDN reference outside the embedded library"
            Expect.isFalse (Regex.IsMatch(rest, "<script[^>]*\\ssrc=")) "no external script"
            Expect.isFalse (Regex.IsMatch(rest, "https?://")) "no URL outside the embedded library"
            Expect.stringLacks rest "<svg" "no hand-drawn SVG charts any more"
            // Loss and accuracy, per epoch and per batch; a firing-rate chart per run; a neuron-parameter
            // chart per run and parameter (alpha and beta for DA-LIF, w for PLIF).
            let charts = Regex.Matches(rest, "Plotly.newPlot\\('(chart\\d+)'") |> Seq.map (fun m -> m.Groups[1].Value) |> List.ofSeq
            Expect.equal charts.Length 9 "charts.Length"
            Expect.equal (List.distinct charts).Length charts.Length "chart ids are unique"
            for id in charts do
                Expect.stringContains rest ($"<div id=\"{id}\"") "every chart has its div"
            for title in [ "Loss per epoch"; "Training loss per batch"; "Accuracy per epoch"; "Training accuracy per batch" ] do
                Expect.stringContains rest title "chart title"
            Expect.stringContains rest "spike1 (after conv1)" "readable layer names"
            Expect.stringContains rest "spike2 (after conv2)" "readable layer names"
            Expect.stringContains rest "Energy per sample" "html"

        testCase "the report draws a per-channel parameter as its mean with a min-max band" <| fun () ->
            use tmp = new TempDir()
            let dir = tmp.File "report-per-channel"
            train { config dir with Neuron = SnnDsl.Core.NeuronText.parseNeuron "lif-syn" perChannelNeuron; Epochs = 1 } |> ignore
            let page = Path.Combine(dir, "report.html")
            Report.write page [ dir ]
            let html = File.ReadAllText(page).Replace(Report.plotlyJs.Value, "")
            Expect.stringContains html "spike1 (after conv1) mean of 32 channels" "the mean line names the channel count"
            Expect.stringContains html "spike1 (after conv1) min-max over 32 channels" "the band"
            Expect.stringContains html "spike2 (after conv2) mean of 64 channels" "the second layer"
            Expect.stringContains html "\"fill\":\"tonexty\"" "the band is filled"

        testCase "evaluating the final checkpoint reproduces the last epoch's test metrics" <| fun () ->
            let dir, metrics = reference.Force()
            let last = List.last metrics
            let e = Trainer.evaluateCheckpoint (checkpointPath dir) id ignore CancellationToken.None
            Expect.equal e.Accuracy last.TestAccuracy "e.Accuracy"
            Expect.equal (e.NeuronParams : (string * (string * ChannelValues) list) list) last.NeuronParams "e.NeuronParams"
            expectNear 1e-12 1e-12 last.TestLoss e.Loss
            Expect.equal (e.FiringRates : (string * float) list) last.FiringRates "e.FiringRates"
            Expect.equal e.Energy last.Energy "e.Energy"

        testCase "the report escapes run names that contain HTML markup" <| fun () ->
            use tmp = new TempDir()
            let refDir, _ = reference.Force()
            let odd = Path.Combine(tmp.File "report-odd", "a&b<i>")
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
            use tmp = new TempDir()
            let variants =
                [ { config (tmp.File "tet-adamw") with
                      Epochs = 1; CheckpointEvery = 0; Neuron = SnnDsl.Core.Builtins.arLif; Loss = SnnDsl.Nn.Loss.Tet(0.05, 1.0, 0.1)
                      Optimizer = SnnDsl.Nn.OptimizerKind.adamW; LearningRate = 0.01
                      WeightDecay = 0.01; Schedule = SnnDsl.Nn.Schedule.Step(1, 0.1); WarmupEpochs = 0.5; ClipGradNorm = 1.0; Augment = true }
                  { config (tmp.File "mse-adam") with
                      Epochs = 1; CheckpointEvery = 0; Loss = SnnDsl.Nn.Loss.CountMse; Optimizer = SnnDsl.Nn.OptimizerKind.adam; LearningRate = 0.01
                      Schedule = SnnDsl.Nn.Schedule.Constant
                      Neuron = SnnDsl.Core.Neuron.configure [ "threshold=0.5" ] (Some "atan:2") SnnDsl.Core.Builtins.plif |> Result.defaultWith failwith } ]
            for c in variants do
                let m = train c |> List.exactlyOne
                for v in [ m.TrainLoss; m.TrainAccuracy; m.TestLoss; m.TestAccuracy; m.Energy.MilliJoules ] do
                    Expect.isTrue (Double.IsFinite v) ($"{c.OutDir}: non-finite metric in {m}")
                Expect.equal m.LearningRate 0.01 "m.LearningRate"

        testCase "batches.jsonl has one line per training batch, in order, matching the epoch metrics" <| fun () ->
            let dir, metrics = reference.Force()
            let ls = File.ReadAllLines(Path.Combine(dir, Metrics.batchesFileName))
            Expect.equal ls.Length (2 * batchesPerEpoch) "one line per batch"
            let batches = Metrics.readBatches dir
            Expect.equal (batches |> List.map (fun b -> b.Epoch, b.Batch, b.Step)) [ for e in 1..2 do for b in 1..batchesPerEpoch -> e, b, int64 ((e - 1) * batchesPerEpoch + b) ] "epoch, batch, step"
            for line in ls do
                use doc = JsonDocument.Parse line
                Expect.equal ([ for p in doc.RootElement.EnumerateObject() -> p.Name ] : string list) [ "epoch"; "batch"; "step"; "loss"; "acc"; "lr" ] "keys"
            for m in metrics do
                let own = batches |> List.filter (fun b -> b.Epoch = m.Epoch)
                // 4 full batches of 32: the epoch's loss and accuracy are the batches' means.
                expectNear 1e-12 1e-12 m.TrainLoss (own |> List.averageBy (fun b -> b.Loss))
                expectNear 1e-12 1e-12 m.TrainAccuracy (own |> List.averageBy (fun b -> b.Accuracy))
                expectNear 1e-15 1e-15 m.LearningRate (List.last own).LearningRate

        testCase "per-channel neuron parameters are written to metrics.jsonl as one value per channel" <| fun () ->
            use tmp = new TempDir()
            let dir = tmp.File "per-channel"
            let m = train { config dir with Neuron = SnnDsl.Core.NeuronText.parseNeuron "lif-syn" perChannelNeuron; Epochs = 1; CheckpointEvery = 0 } |> List.exactlyOne
            Expect.equal (m.NeuronParams |> List.map fst) spikingNames "layer names"
            for (layer, ps), channels in List.zip m.NeuronParams [ 32; 64 ] do
                let v = ps |> List.find (fst >> (=) "vth") |> snd
                Expect.equal v.Values.Length channels ($"{layer}: one threshold per channel")
                Expect.isTrue (v.Max > v.Min) ($"{layer}: the channels learned different thresholds")
            use doc = JsonDocument.Parse(File.ReadAllLines(Path.Combine(dir, Metrics.fileName)) |> Array.exactlyOne)
            let vth = doc.RootElement.GetProperty("neuron_params").GetProperty("spike2 (after conv2)").GetProperty("vth")
            Expect.equal (vth.GetArrayLength()) 64 "64 values in the file"
            Expect.equal (Metrics.read dir |> List.exactlyOne).NeuronParams m.NeuronParams "read back unchanged"

        testCase "metrics.jsonl written with scalar neuron parameters (before per-channel values) still reads" <| fun () ->
            let line =
                "{\"epoch\":3,\"train_loss\":1.5,\"train_acc\":0.5,\"test_loss\":1.6,\"test_acc\":0.45,\"seconds\":2,\"lr\":0.1,"
                + "\"firing_rates\":{\"spike1 (2)\":0.1},\"neuron_params\":{\"spike1 (2)\":{\"alpha\":0.75,\"beta\":0.5}},"
                + "\"energy_per_sample\":{\"macs\":10,\"acs\":20,\"mj\":0.001}}"
            let m = Metrics.ofJson line
            Expect.equal m.TestAccuracy 0.45 "m.TestAccuracy"
            Expect.equal m.NeuronParams [ "spike1 (2)", [ "alpha", ChannelValues.Scalar 0.75; "beta", ChannelValues.Scalar 0.5 ] ] "scalars become one-value vectors"
            // Written again, they are arrays.
            Expect.stringContains (Metrics.toJson m) "\"alpha\":[0.75]" "toJson"
            Expect.equal $"{ChannelValues.Scalar 0.75:F2}" "0.75" "a single value formats as a number"
            Expect.equal $"{ChannelValues.Of [| 0.5; 1.0; 1.5 |]:F2}" "1.00 [0.50, 1.50] over 3 channels" "a vector formats as mean and range"

        testCase "Metrics.appendBatches drops records that a resumed run repeats and a line cut short by a kill" <| fun () ->
            use tmp = new TempDir()
            let dir = tmp.File "append-batches"
            Directory.CreateDirectory dir |> ignore
            let record step : BatchMetrics = { Epoch = 1; Batch = int step; Step = step; Loss = float step; Accuracy = 0.5; LearningRate = 0.1 }
            Metrics.appendBatches dir [ for s in 1L .. 5L -> record s ]
            Metrics.appendBatches dir [ for s in 6L .. 7L -> record s ]
            Expect.equal (Metrics.readBatches dir |> List.map _.Step) [ 1L .. 7L ] "plain appends"
            // A resume from the checkpoint after step 4 repeats steps 5 and on.
            Metrics.appendBatches dir [ for s in 5L .. 6L -> { record s with Loss = 100.0 } ]
            Expect.equal (Metrics.readBatches dir |> List.map (fun b -> b.Step, b.Loss)) ([ for s in 1L .. 4L -> s, float s ] @ [ 5L, 100.0; 6L, 100.0 ]) "repeated steps replaced"
            // A process killed in the middle of a line.
            let path = Path.Combine(dir, Metrics.batchesFileName)
            File.AppendAllText(path, "{\"epoch\":1,\"batch\":7,\"st")
            Expect.equal (Metrics.readBatches dir |> List.map _.Step) [ 1L .. 6L ] "the cut line is not read"
            Metrics.appendBatches dir [ record 7L ]
            Expect.equal (File.ReadAllLines path |> Array.map (fun l -> (Metrics.batchOfJson l).Step)) [| 1L .. 7L |] "the cut line is gone"
            // A fresh run in a directory left with records starts the file again.
            Metrics.appendBatches dir [ record 1L ]
            Expect.equal (Metrics.readBatches dir |> List.map _.Step) [ 1L ] "restarted"

        testCase "spiking layers are named after what feeds them: a convolution, a linear layer or a residual block" <| fun () ->
            let names model input =
                use m = SnnDsl.Nn.Models.create model (fun ch -> new SnnDsl.Nn.SpikingLayer(SnnDsl.Core.Builtins.lif, ch)) input
                Trainer.spikingLayers m |> List.map fst
            let small: SnnDsl.Nn.InputSpec = { Channels = 1; Height = 28; Width = 28; Classes = 10 }
            Expect.equal (names "small-conv" small) spikingNames "small-conv"
            Expect.equal (names "fc" { small with Height = 1; Width = 700 }) [ "spike1 (after fc1)"; "spike2 (after fc2)" ] "fc"
            // ResNet-20: stem, then per BasicBlock a spike after its first conv and one on the block's sum; the
            // 1x1 projection shortcuts (blocks 4 and 7) are not counted as convolutions.
            let r20 = names "resnet20" { small with Channels = 2; Height = 48; Width = 48; Classes = 7 }
            Expect.equal r20.Length 19 "r20.Length"
            Expect.equal (List.take 5 r20) [ "spike1 (after conv1)"; "spike2 (after conv2)"; "spike3 (after block1)"; "spike4 (after conv4)"; "spike5 (after block2)" ] "resnet20 head"
            Expect.equal r20[9] "spike10 (after conv10)" "block 5's first spike"
            Expect.equal (List.last r20) "spike19 (after block9)" "the last block's sum"
            // Pre-activation ResNet-18: each block's first spike fires on the previous block's sum.
            let r18 = names "resnet18" { small with Channels = 3; Height = 32; Width = 32; Classes = 7 }
            Expect.equal (List.take 4 r18) [ "spike1 (after conv1)"; "spike2 (after conv2)"; "spike3 (after block1)"; "spike4 (after conv4)" ] "resnet18 head"
            Expect.equal (List.last r18) "spike17 (after block8)" "the final BN + spike"
            Expect.equal (List.distinct r18).Length r18.Length "names are unique"
    ]
