/// examples/quick-start.ipynb: a valid nbformat 4 notebook for the .NET Interactive F# kernel whose code
/// is the quick-start script's, and whose cells, run in order as a script, work.
module SnnDsl.Examples.Tests.NotebookTests

open System.IO
open System.Text.Json
open Expecto
open SnnDsl.TestKit
open SnnDsl.Examples.Tests.Fsi

let private notebookPath = Path.Combine(examplesDir, "quick-start.ipynb")

type private Cell = { Kind: string; Source: string; Element: JsonElement }

let private load () =
    use doc = JsonDocument.Parse(File.ReadAllText notebookPath)
    let root = doc.RootElement.Clone()
    let cells =
        [ for c in root.GetProperty("cells").EnumerateArray() ->
              // nbformat allows the source as one string or as a list of lines.
              let source = c.GetProperty "source"
              let text =
                  if source.ValueKind = JsonValueKind.String then source.GetString()
                  else source.EnumerateArray() |> Seq.map _.GetString() |> String.concat ""
              { Kind = c.GetProperty("cell_type").GetString(); Source = text; Element = c } ]
    root, cells

let private codeCells cells = cells |> List.filter (fun c -> c.Kind = "code")

[<Tests>]
let tests =
    testSequenced <| testList "Notebook" [
        testCase "the notebook is nbformat 4 for the .NET Interactive F# kernel" <| fun () ->
            let root, cells = load ()
            Expect.equal (root.GetProperty("nbformat").GetInt32()) 4 "root.GetProperty(\"nbformat\").GetInt32()"
            Expect.isTrue (root.GetProperty("nbformat_minor").GetInt32() >= 4) "root.GetProperty(\"nbformat_minor\").GetInt32() >= 4"
            let kernel = root.GetProperty("metadata").GetProperty("kernelspec")
            Expect.equal (kernel.GetProperty("name").GetString()) ".net-fsharp" "kernel.GetProperty(\"name\").GetString()"
            Expect.equal (kernel.GetProperty("language").GetString()) "F#" "kernel.GetProperty(\"language\").GetString()"
            for c in cells do Expect.contains [ "markdown"; "code" ] c.Kind "cell kind"
            Expect.isTrue ((codeCells cells).Length >= 5) "one code cell per step of the quick start"
            for c in codeCells cells do
                // Committed without results, and tagged F# for Polyglot Notebooks.
                Expect.equal (c.Element.GetProperty("outputs").GetArrayLength()) 0 "c.Element.GetProperty(\"outputs\").GetArrayLength()"
                Expect.equal (c.Element.GetProperty("execution_count").ValueKind) JsonValueKind.Null "c.Element.GetProperty(\"execution_count\").ValueKind"
                Expect.equal (c.Element.GetProperty("metadata").GetProperty("polyglot_notebook").GetProperty("kernelName").GetString()) "fsharp" "c.Element.GetProperty(\"metadata\").GetProperty(\"polyglot_notebook\").GetProperty(\"kernelN..."

        testCase "the first markdown cell says it needs a Release build" <| fun () ->
            let _, cells = load ()
            let intro = cells |> List.find (fun c -> c.Kind = "markdown")
            Expect.stringContains intro.Source "Release build" "intro.Source"
            Expect.stringContains intro.Source "bin/Release/net10.0" "intro.Source"

        testCase "the notebook's code is the quick-start script's code, line for line" <| fun () ->
            let _, cells = load ()
            let notebook = codeCells cells |> List.collect (fun c -> codeLines c.Source)
            let script = codeLines (File.ReadAllText(Path.Combine(examplesDir, "quick-start.fsx")))
            Expect.equal (notebook : string list) script "notebook"

        testCase "the notebook's code cells run in order as an F# script" <| fun () ->
            let _, cells = load ()
            use work = new TempDir()
            // The cells' #r paths are relative to examples/ (the kernel's working directory); the script lives
            // elsewhere, so they are made absolute.
            let absolute (code: string) = code.Replace("#r \"../", "#r \"" + examplesDir.Replace('\\', '/') + "/../")
            let script = work.File "quick-start-notebook.fsx"
            File.WriteAllText(script, codeCells cells |> List.map (fun c -> absolute c.Source) |> String.concat "\n\n")
            let o = run script [] work.Path (work.File "out")
            Expect.isTrue (o.Code = 0) o.Text
            Expect.isMatch o.Out ("(?m)^test accuracy \\d\\.\\d+ \\(\\d+ / 500\\)$") "o.Out"
    ]
