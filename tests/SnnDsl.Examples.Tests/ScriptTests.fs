/// Every examples/*.fsx runs under `dotnet fsi` against the Release build, with the small budget, and
/// prints (and writes) what it should.
module SnnDsl.Examples.Tests.ScriptTests

open System
open System.Globalization
open System.IO
open System.Text.RegularExpressions
open System.Xml.Linq
open Expecto
open SnnDsl.TestKit
open SnnDsl.Examples.Tests.Fsi

/// The scripts issue 5 asks for, and the ones that came before them.
let expectedScripts =
    [ "quick-start.fsx"; "custom-neuron.fsx"; "simulate-and-plot.fsx"; "train.fsx"
      "binding-demo.fsx"; "data-loaders.fsx"; "neuron-comparison.fsx" ]

/// Every examples/*.fsx on disk, so a new script is run without editing this file.
let scripts () : string list =
    Directory.GetFiles(examplesDir, "*.fsx") |> Array.sort |> Array.map Path.GetFileName |> List.ofArray

let private matches (pattern: string) (o: Outcome) =
    let m = Regex.Match(o.Out, pattern, RegexOptions.Multiline)
    Expect.isTrue m.Success ($"expected /{pattern}/ in the output; {o.Text}")
    m

let private number (m: Match) = Double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)

let private nonEmptyFile (path: string) =
    Expect.isTrue (File.Exists path) ($"expected {path} to be written")
    Expect.isTrue (FileInfo(path).Length > 0L) ($"{path} is empty")

/// What each known script must print and write (under `out`, the SNNDSL_OUT directory).
let private checks: Map<string, Outcome -> string -> unit> =
    Map.ofList
        [ for study in [ "da-lif-ablation"; "ar-lif-tet"; "cifar10" ] do
              $"study-{study}.fsx",
              (fun (o: Outcome) (out: string) ->
                  // The tiny budget: every cell with 2 seeds, then the table and the report.
                  matches "^\\[\\d+/\\d+\\] .+ seed 2: test accuracy " o |> ignore
                  nonEmptyFile (Path.Combine(out, study, "results.md"))
                  nonEmptyFile (Path.Combine(out, study, "report.html")))
          "quick-start.fsx",
          fun o out ->
              matches "^    H     = beta \\* V \\+ alpha \\* X$" o |> ignore
              // Chance is 0.1 on the ten synthetic classes; one short epoch reaches about 0.87.
              let acc = matches "^test accuracy (\\d\\.\\d+) \\(\\d+ / 500\\)$" o |> number
              Expect.isTrue (acc > 0.5) ($"quick start test accuracy {acc}; {o.Text}")
              matches "^spiking layer \\S+ learned alpha = [-0-9.]+, beta = [-0-9.]+$" o |> ignore
              // The SVG line chart of the batch losses: one polyline through the 40 losses, no script.
              let chart = Path.Combine(out, "quick-start-loss.svg")
              matches ("^wrote " + Regex.Escape chart + " \\(40 batches\\)$") o |> ignore
              let doc = XDocument.Load chart
              Expect.equal doc.Root.Name.LocalName "svg" "an SVG document"
              let curves = doc.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "polyline") |> List.ofSeq
              Expect.equal curves.Length 1 "one curve"
              Expect.equal ((curves.Head.Attribute(XName.Get "points").Value).Split(' ').Length) 40 "a point per batch"
              Expect.isFalse (doc.Descendants() |> Seq.exists (fun e -> e.Name.LocalName = "script")) "no script"
          "custom-neuron.fsx",
          fun o _ ->
              matches "^    theta = 2 \\* vth$" o |> ignore
              matches "^spike count 2; d/d vth_raw = -1\\.296382; d/d decay = 1\\.845054$" o |> ignore
              matches "^libtorch tensors \\(fused backend\\) give the oracle's spikes" o |> ignore
          "simulate-and-plot.fsx",
          fun o out ->
              for name in [ "lif"; "da-lif"; "ar-lif" ] do
                  matches $"^{name} +\\d+ spikes in 60 steps" o |> ignore
              let svg = Path.Combine(out, "simulate-and-plot.svg")
              matches ("^wrote " + Regex.Escape svg) o |> ignore
              let doc = XDocument.Load svg
              Expect.equal doc.Root.Name.LocalName "svg" "doc.Root.Name.LocalName"
              let titles = doc.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "text") |> Seq.map _.Value |> List.ofSeq
              for title in [ "input current X(t)"; "lif: "; "da-lif: "; "ar-lif (a = 0.5): " ] do
                  Expect.isTrue (titles |> List.exists _.StartsWith(title)) ($"no panel titled '{title}' in %A{titles}")
          "train.fsx",
          fun o out ->
              matches "^epoch 1: train loss [0-9.]+ acc [0-9.]+ \\| test loss [0-9.]+ acc [0-9.]+" o |> ignore
              matches "^epoch 2: " o |> ignore
              matches "^  energy per sample: \\d+ MACs, \\d+ ACs" o |> ignore
              let acc = matches "^final test accuracy (\\d\\.\\d+) after 2 epoch\\(s\\)" o |> number
              Expect.isTrue (acc > 0.2) ($"train.fsx final accuracy {acc}; {o.Text}")
              let metrics = Path.Combine(out, "train", "metrics.jsonl")
              nonEmptyFile metrics
              Expect.equal (File.ReadAllLines metrics |> Array.filter (fun l -> l.Contains "\"test_acc\"") |> Array.length) 2 "File.ReadAllLines metrics |> Array.filter (fun l -> l.Contains \"\\\"test_acc\\\"\") |> Array..."
              nonEmptyFile (Path.Combine(out, "train", "checkpoint.snnt"))
          "binding-demo.fsx",
          fun o _ ->
              let acc = matches "^step 40  loss [0-9.]+  train accuracy (\\d\\.\\d+)" o |> number
              Expect.isTrue (acc > 0.9) ($"binding demo accuracy {acc}; {o.Text}")
          "data-loaders.fsx",
          fun o _ ->
              matches "^synthetic +loaded train [0-9.]+ s, test [0-9.]+ s: synthetic/train: 2000 samples of \\[1, 28, 28\\]" o |> ignore
              matches "^synthetic +train loader \\d+ batches/s" o |> ignore
          "neuron-comparison.fsx",
          fun o out ->
              for neuron in [ "lif"; "da-lif"; "ar-lif" ] do
                  matches $"^\\| {neuron} \\| \\d\\.\\d{{4}} \\|" o |> ignore
              let dir = Path.Combine(out, "neuron-comparison")
              nonEmptyFile (Path.Combine(dir, "comparison.md"))
              nonEmptyFile (Path.Combine(dir, "report.html")) ]

[<Tests>]
let tests =
    testSequenced <| testList "Script" [
        testCase "the issue's example scripts and the notebook are all in examples/" <| fun () ->
            let missing = expectedScripts @ [ "notebooks/01-quick-start.ipynb" ] |> List.filter (fun f -> not (File.Exists(Path.Combine(examplesDir, f))))
            Expect.isTrue missing.IsEmpty ($"missing from examples/: %A{missing}")

        testCase "every expected script has an output check and is found by the theory" <| fun () ->
            let found = scripts () |> Set.ofList
            for s in expectedScripts do
                Expect.isTrue (checks.ContainsKey s) ($"no output check for {s}")
                Expect.contains found s "found"

        yield! theory "example script runs under dotnet fsi with the small budget" (scripts ()) <| fun (name: string) ->
            use work = new TempDir()
            let out = work.File "out"
            Directory.CreateDirectory out |> ignore
            let o = run (Path.Combine(examplesDir, name)) [] work.Path out
            Expect.isTrue (o.Code = 0) ($"{name}: {o.Text}")
            // Scripts are examples to copy: they compile without warnings.
            for text in [ o.Out; o.Err ] do
                Expect.isFalse (Regex.IsMatch(text, "(error|warning) FS\\d+")) ($"{name} compiled with diagnostics: {o.Text}")
            match checks.TryFind name with
            | Some check -> check o out
            | None -> Expect.isFalse (String.IsNullOrWhiteSpace o.Out) ($"{name} printed nothing; {o.Text}")

        testCase "simulate-and-plot writes to --out and plots the neurons given by --neurons" <| fun () ->
            use work = new TempDir()
            let svg = work.File "plots/two.svg"
            let o = run (Path.Combine(examplesDir, "simulate-and-plot.fsx")) [ "--out"; svg; "--neurons"; "if,alif"; "--steps"; "30" ] work.Path (work.File "unused")
            Expect.isTrue (o.Code = 0) o.Text
            matches "^if +\\d+ spikes in 30 steps" o |> ignore
            matches "^alif +\\d+ spikes in 30 steps" o |> ignore
            let text = File.ReadAllText svg
            Expect.stringContains text ">if: " "text"
            Expect.stringContains text ">alif: " "text"
            Expect.stringLacks text "da-lif" "text"
            Expect.isFalse (Directory.Exists(work.File "unused")) "--out must take precedence over SNNDSL_OUT"
    ]
