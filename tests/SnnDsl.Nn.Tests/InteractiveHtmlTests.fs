/// What a notebook shows (SnnDsl.Interactive.Html): a neuron's equations and tables, a trace as SVG charts
/// with a dot per spike, a network's layers, a law table with its counterexample, a run's charts.
module SnnDsl.Nn.Tests.InteractiveHtmlTests

open System.Text.RegularExpressions
open Expecto
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Verify
open SnnDsl.Training
open SnnDsl.Interactive

let private count (pattern: string) (s: string) = Regex.Matches(s, pattern).Count
let private daLif = match Builtins.find "da-lif" with Ok n -> n | Error e -> failwith e

[<Tests>]
let tests =
    testList "notebook HTML" [
        testCase "a neuron shows its equations as Describe writes them, a row per parameter and per state" <| fun () ->
            let html = Html.neuron daLif
            for line in Describe.equations daLif do
                Expect.stringContains html (System.Net.WebUtility.HtmlEncode line) "each equation"
            Expect.equal (count "<tr>" html) (1 + daLif.Params.Length + 1 + daLif.States.Length) "header rows and a row each"

        testCase "a trace shows a chart per neuron with one red dot per spike, and no XML declaration inside the HTML" <| fun () ->
            let inputs = Array2D.init 20 2 (fun t j -> if j = 0 then 0.0 else 0.8)
            let trace = Oracle.run daLif Map.empty inputs
            let html = Html.traceChart 4 trace
            Expect.equal (count "<svg" html) 2 "a chart per neuron"
            let spikes = [ for j in 0 .. 1 -> Seq.sum (seq { for t in 0 .. 19 -> trace.Spikes[t, j] }) ]
            Expect.equal spikes[0] 0.0 "no input, no spike"
            Expect.isTrue (spikes[1] > 0.0) "a driven neuron fires"
            Expect.equal (count "class=\"mark\"" html) (int spikes[1]) "a mark per spike"
            Expect.stringContains html "neuron 0: 0 spikes in 20 steps" "the title counts"
            Expect.isFalse (html.Contains "<?xml") "inline SVG"

        testCase "a network shows a row per module and its parameter count" <| fun () ->
            use m = Models.smallConv (fun c -> new SpikingLayer(daLif, c)) { Channels = 1; Height = 28; Width = 28; Classes = 10 }
            let html = Html.network m
            Expect.equal (count "<tr>" html) (1 + m.NamedModules().Length) "header and a row per module"
            Expect.stringContains html $"{m.ParameterCount()} parameters in all" "the total"

        testCase "a law table marks a failing law and shows its shrunk counterexample; passing laws say passed" <| fun () ->
            let finite = Verify.neuron { Verify.defaults with Only = [ "finite" ]; Run = { Verify.defaults.Run with Cases = 5 } } daLif
            let never = { Name = "never"; Cases = Cases.ofNeuron Cases.defaults daLif; Check = (fun _ -> Verdict.Fails("a < b", None)); MaxCases = None }
            let failed = Law.check 5 never
            let html = Html.laws (finite @ [ failed ])
            Expect.stringContains html "passed" "the finite law holds"
            Expect.stringContains html "FAILED" "the other is marked"
            Expect.stringContains html $"a &lt; b (case 1, shrunk " "its reason, escaped, and how it was found"
            Expect.stringContains html $"seed {failed.Seed})" "the seed that replays it"
            Expect.stringContains html "<pre>" "the counterexample table"
            Expect.stringContains html "1 of 2 laws hold" "the summary"

        testCase "a run's epochs show loss, accuracy and firing charts with a curve per series" <| fun () ->
            let epoch k =
                { Epoch = k; TrainLoss = 2.0 / float k; TrainAccuracy = 0.5; TestLoss = 2.1 / float k; TestAccuracy = 0.4 + 0.1 * float k
                  Seconds = 1.0; LearningRate = 0.1; FiringRates = [ "spike1", 0.1; "spike2", 0.2 ]; NeuronParams = []
                  Energy = Unchecked.defaultof<_> }
            let html = Html.epochs [ epoch 1; epoch 2; epoch 3 ]
            Expect.equal (count "<svg" html) 3 "three charts"
            Expect.equal (count "<polyline" html) 6 "two curves each"
            Expect.stringContains html "epoch 3: test accuracy 0.7" "the last epoch"
    ]
