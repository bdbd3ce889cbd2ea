/// Every notebook under examples/ runs in the real .NET Interactive kernel (dotnet-repl 0.3.259, which ships
/// FSharp.Core 10.0.0.0 as the Polyglot Notebooks kernel does), restoring SnnDsl from this run's feed through
/// its #r "nuget:" lines alone, with no error output; each notebook's key outputs are checked.
module SnnDsl.Package.Tests.NotebookKernelTests

open System
open System.IO
open System.Text.Json
open System.Text.Json.Nodes
open System.Text.RegularExpressions
open Expecto
open SnnDsl.TestKit

/// The headless kernel runner, the version the notebooks were tried with.
let replVersion = "0.3.259"

/// A HOME whose user-wide NuGet.Config is the given one.
let private homeWith (config: string) =
    let home = Path.Combine(Path.GetDirectoryName config, "home")
    let nuget = Path.Combine(home, ".nuget", "NuGet")
    Directory.CreateDirectory nuget |> ignore
    File.Copy(config, Path.Combine(nuget, "NuGet.Config"))
    home

/// dotnet-repl installed into a tool path of the tests' own, and a HOME whose NuGet.Config has the feed
/// of this run (and the public registry) as its sources, so #r "nuget: SnnDsl..., <version>" restores the
/// packages just packed and never a copy that NuGet cached earlier.
let private kernel = lazy (
    let root = Feed.folder "kernel"
    let config = Feed.nugetConfig root
    let tools = Path.Combine(root, "tools")
    Dotnet.ok root [] 600 "dotnet" [ "tool"; "install"; "dotnet-repl"; "--tool-path"; tools; "--version"; replVersion; "--configfile"; config ]
    |> ignore
    Path.Combine(tools, "dotnet-repl"), homeWith config)

/// One output of a run notebook: the cell, and its kind (a MIME type, "stdout"/"stderr" or "error") and text.
type Output = { Cell: int; Kind: string; Text: string }

let private text (e: JsonElement) =
    if e.ValueKind = JsonValueKind.String then e.GetString() else e.EnumerateArray() |> Seq.map _.GetString() |> String.concat ""

/// The outputs of an executed .ipynb.
let outputs (path: string) : Output list =
    use doc = JsonDocument.Parse(File.ReadAllText path)
    [ for i, cell in Seq.indexed (doc.RootElement.GetProperty("cells").EnumerateArray()) do
          match cell.TryGetProperty "outputs" with
          | true, os ->
              for o in os.EnumerateArray() do
                  match o.GetProperty("output_type").GetString() with
                  | "stream" -> yield { Cell = i; Kind = o.GetProperty("name").GetString(); Text = text (o.GetProperty "text") }
                  | "error" ->
                      let value = match o.TryGetProperty "evalue" with | true, v -> v.GetString() | _ -> ""
                      yield { Cell = i; Kind = "error"; Text = value }
                  | _ ->
                      for d in o.GetProperty("data").EnumerateObject() do yield { Cell = i; Kind = d.Name; Text = text d.Value }
          | _ -> () ]

/// The kernel a notebook names (fsharp or csharp).
let private language (path: string) =
    use doc = JsonDocument.Parse(File.ReadAllText path)
    doc.RootElement.GetProperty("metadata").GetProperty("polyglot_notebook").GetProperty("kernelInfo").GetProperty("defaultKernelName").GetString()

/// Runs a copy of the notebook in the kernel from a folder outside the repository, with the given HOME (its
/// NuGet.Config); fails on a non-zero exit or any error output, naming the cell and the error.
let runWith (home: string) (notebook: string) : Output list =
    let repl, _ = kernel.Value
    let work = Feed.folder (Path.GetFileNameWithoutExtension notebook)
    let copy = Path.Combine(work, Path.GetFileName notebook)
    File.Copy(notebook, copy)
    let executed = Path.Combine(work, "executed.ipynb")
    let data = Path.GetFullPath(Path.Combine(Repo.root, "..", "shared", "data"))
    let env = [ "HOME", home; "DOTNET_CLI_HOME", home; "SNNDSL_OUT", work ] @ (if Directory.Exists data then [ "SNNDSL_DATA", data ] else [])
    let o =
        Dotnet.runIn work env 600 repl
            [ "--run"; copy; "--exit-after-run"; "--default-kernel"; language notebook
              "--output-format"; "ipynb"; "--output-path"; executed ]
    if not (File.Exists executed) then failwith $"{Path.GetFileName notebook}: the kernel wrote no output (exit {o.Code}):\n{o.Output}"
    let outs = outputs executed
    let errors = outs |> List.filter (fun x -> x.Kind = "error" || x.Kind = "stderr")
    if not errors.IsEmpty || o.Code <> 0 then
        let shown = errors |> List.map (fun e -> $"cell {e.Cell}: {e.Text}") |> String.concat "\n"
        failwith $"{Path.GetFileName notebook} failed in the kernel (exit {o.Code}):\n{shown}\n{o.Output}"
    outs

/// Runs a copy of the notebook as runWith does, with the HOME whose NuGet.Config names this run's feed.
let run (notebook: string) : Output list = runWith (snd kernel.Value) notebook

/// An F# notebook of the given cells, as .NET Interactive writes one (nbformat 4), in its own new folder.
let private writeNotebook (name: string) (cells: string list) =
    let cell (source: string) =
        JsonObject(
            dict [ "cell_type", JsonValue.Create "code" :> JsonNode
                   "execution_count", null
                   "metadata", JsonObject(dict [ "polyglot_notebook", JsonObject(dict [ "kernelName", JsonValue.Create "fsharp" :> JsonNode ]) :> JsonNode ])
                   "outputs", JsonArray()
                   "source", JsonValue.Create source ]) :> JsonNode
    let kernelInfo =
        JsonObject(dict [ "defaultKernelName", JsonValue.Create "fsharp" :> JsonNode
                          "items", JsonArray(JsonObject(dict [ "aliases", JsonArray() :> JsonNode; "name", JsonValue.Create "fsharp" ])) ])
    let nb =
        JsonObject(
            dict [ "cells", JsonArray(cells |> List.map cell |> Array.ofList) :> JsonNode
                   "metadata",
                   JsonObject(dict [ "kernelspec", JsonObject(dict [ "display_name", JsonValue.Create ".NET (F#)" :> JsonNode; "language", JsonValue.Create "F#"; "name", JsonValue.Create ".net-fsharp" ]) :> JsonNode
                                     "language_info", JsonObject(dict [ "name", JsonValue.Create "F#" :> JsonNode ])
                                     "polyglot_notebook", JsonObject(dict [ "kernelInfo", kernelInfo :> JsonNode ]) ])
                   "nbformat", JsonValue.Create 4
                   "nbformat_minor", JsonValue.Create 2 ])
    let path = Path.Combine(Feed.folder "own-notebook", name)
    File.WriteAllText(path, nb.ToJsonString())
    path

let private notebook (name: string) = Path.Combine(Repo.examples, "notebooks", name)
let private html (outs: Output list) = outs |> List.filter (fun o -> o.Kind = "text/html") |> List.map _.Text
let private stdout (outs: Output list) = outs |> List.filter (fun o -> o.Kind = "stdout") |> List.map _.Text |> String.concat ""
let private number (pattern: string) (text: string) =
    let m = Regex.Match(text, pattern)
    if not m.Success then failwith $"no match for {pattern} in:\n{text}"
    float m.Groups[1].Value

/// Each notebook and what it must show.
let checks : (string * (Output list -> unit)) list =
    [ "01-quick-start.ipynb", fun outs ->
          Expect.exists (html outs) (fun h -> h.Contains "H     = beta * V + alpha * X") "DA-LIF's equations as HTML"
          let acc = number @"test accuracy (\d\.\d+)" (stdout outs)
          Expect.isTrue (acc > 0.5) $"one short epoch learns the synthetic shapes (accuracy {acc})"
          Expect.exists (html outs) (fun h -> h.StartsWith "<svg" && h.Contains "training loss") "the loss curve inline"
      "02-new-neuron.ipynb", fun outs ->
          Expect.exists (html outs) (fun h -> h.Contains "<b>lif-syn</b>") "the text neuron as HTML"
          Expect.exists (html outs) (fun h -> h.Contains "<svg" && h.Contains "class=\"mark\"") "a trace chart with spikes"
          Expect.exists (html outs) (fun h -> h.Contains "9 of 9 laws hold") "lif-syn obeys every law"
          Expect.exists (html outs) (fun h -> h.Contains "0 of 1 laws hold" && h.Contains "FAILED" && h.Contains "<pre>") "the broken twin's counterexample"
      "03-seed-neurons.ipynb", fun outs ->
          let o = stdout outs
          for n in [ "lif"; "da-lif"; "ar-lif" ] do Expect.isMatch o $"(?m)^{n} +\d+ spikes in 60 steps" "a trace per seed neuron"
          for n in [ "da-lif"; "ar-lif" ] do
              let acc = number (n + @" +test accuracy (\d\.\d+)") o
              Expect.isTrue (acc > 0.2) $"{n} learns above chance (0.1) in a short run ({acc})"
          Expect.isTrue ((html outs |> List.filter (fun h -> h.Contains "firing rate")).Length >= 2) "each run's charts"
          Expect.exists outs (fun x -> x.Kind = "text/plain" && x.Text.Contains "batch 16/16") "the progress line"
      "04-event-data.ipynb", fun outs ->
          let events = number @"(\d+) events from" (stdout outs)
          Expect.isTrue (events > 1000.0) "an N-MNIST sample has thousands of events"
          Expect.equal (number @"(\d+) events in the frames" (stdout outs)) events "the frames hold every event"
          Expect.exists (html outs) (fun h -> h.StartsWith "<svg" && h.Contains "rgb(") "the frames as a picture"
      "05-csharp.ipynb", fun outs ->
          let o = stdout outs
          Expect.isTrue (number @"spikes: (\d+)" o > 0.0) "the C# neuron fires"
          let acc = number @"test accuracy (\d\.\d+)" o
          Expect.isTrue (acc > 0.15) $"the C# network learns above chance ({acc})" ]

[<Tests>]
let tests =
    testSequenced <| testList "notebooks in the kernel" [
        test "every notebook under examples/ has a check here" {
            let found =
                Directory.GetFiles(Repo.examples, "*.ipynb", SearchOption.AllDirectories)
                |> Array.filter (fun p -> not (p.Contains "/bin/" || p.Contains "/obj/"))
                |> Array.map (fun p -> Path.GetRelativePath(Path.Combine(Repo.examples, "notebooks"), p)) |> Array.sort |> List.ofArray
            Expect.equal found (checks |> List.map fst |> List.sort) "the notebooks and their checks"
        }
        test "a notebook written outside the repository finds the feed by #i alone and simulates da-lif from SnnDsl.Core" {
            let feed = Feed.packages.Value
            let nb =
                writeNotebook "own.ipynb"
                    [ $"#i \"nuget: {feed}\"\n#r \"nuget: SnnDsl.Core, {Feed.version.Value}\""
                      """open SnnDsl.Core
let daLif = match Builtins.find "da-lif" with Ok n -> n | Error e -> failwith e
let trace = Oracle.run daLif Map.empty (Array2D.create 40 1 0.8)
let v = trace.States["V"]
printfn "da-lif: %g spikes in 40 steps, final V %.4f" (Seq.sum (Seq.cast<float> trace.Spikes)) v[39, 0]""" ]
            // A HOME whose NuGet.Config names the public registry alone: without the #i line nothing finds SnnDsl.
            let home = homeWith (Feed.publicNugetConfig (Feed.folder "public-config"))
            let o = stdout (runWith home nb)
            let spikes = number @"da-lif: (\d+) spikes in 40 steps" o
            Expect.isTrue (spikes > 0.0 && spikes < 40.0) $"da-lif under a constant 0.8 fires some steps, not all ({o})"
            Expect.isMatch o @"final V -?\d+\.\d{4}" "a finite membrane"
        }
        for name, check in checks do
            test $"{name} runs in the .NET Interactive kernel with no error output, loading SnnDsl through #r \"nuget:\" only" {
                let source = File.ReadAllText(notebook name)
                Expect.isFalse (source.Contains "bin/Release") "no assembly paths"
                Expect.stringContains source "#r \\\"nuget: SnnDsl." "a package reference"
                check (run (notebook name))
            }
    ]
