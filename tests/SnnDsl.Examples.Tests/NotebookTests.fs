/// The notebooks under examples/notebooks/: valid nbformat 4 for the .NET Interactive kernels, committed
/// without outputs, loading SnnDsl by package; the quick start's code is the quick-start script's. (They
/// run in the real kernel in tests/SnnDsl.Package.Tests, against the packed packages.)
module SnnDsl.Examples.Tests.NotebookTests

open System.IO
open System.Text.Json
open Expecto
open SnnDsl.Examples.Tests.Fsi

let private notebooksDir = Path.Combine(examplesDir, "notebooks")
let private notebooks () = Directory.GetFiles(notebooksDir, "*.ipynb") |> Array.sort |> List.ofArray

type private Cell = { Kind: string; Source: string; Element: JsonElement }

let private load (path: string) =
    use doc = JsonDocument.Parse(File.ReadAllText path)
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
        testCase "the tutorial series is five numbered notebooks" <| fun () ->
            Expect.equal (notebooks () |> List.map Path.GetFileName)
                [ "01-quick-start.ipynb"; "02-new-neuron.ipynb"; "03-seed-neurons.ipynb"; "04-event-data.ipynb"; "05-csharp.ipynb" ] "the series"

        for path in notebooks () do
            let name = Path.GetFileName path
            testCase $"{name} is nbformat 4 for a .NET Interactive kernel, committed without outputs, loading SnnDsl by package" <| fun () ->
                let root, cells = load path
                Expect.equal (root.GetProperty("nbformat").GetInt32()) 4 "nbformat"
                let kernel = root.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString()
                Expect.contains [ ".net-fsharp"; ".net-csharp" ] kernel "a .NET kernel"
                let lang = if kernel = ".net-csharp" then "csharp" else "fsharp"
                Expect.isTrue ((codeCells cells).Length >= 3) "code cells"
                for c in codeCells cells do
                    Expect.equal (c.Element.GetProperty("outputs").GetArrayLength()) 0 "no outputs"
                    Expect.equal (c.Element.GetProperty("execution_count").ValueKind) JsonValueKind.Null "not executed"
                    Expect.equal (c.Element.GetProperty("metadata").GetProperty("polyglot_notebook").GetProperty("kernelName").GetString()) lang "the cell's kernel"
                    Expect.isFalse (c.Source.Contains "bin/Release") "no assembly paths"
                let first = (codeCells cells).Head.Source
                Expect.stringContains first "#r \"nuget: SnnDsl." "the first code cell references a package"
                let intro = cells |> List.find (fun c -> c.Kind = "markdown")
                Expect.stringContains intro.Source "dotnet fsi build.fsx pack" "says how to get the packages"

        testCase "the quick-start notebook's code is the quick-start script's, apart from the references and the inline chart" <| fun () ->
            let _, cells = load (Path.Combine(notebooksDir, "01-quick-start.ipynb"))
            let ours (l: string) = not (l.StartsWith "#r ") && l <> "open SnnDsl.Interactive" && l <> "neuron" && l <> "Figure lossChart"
            let notebook = codeCells cells |> List.collect (fun c -> codeLines c.Source) |> List.filter ours
            let script = codeLines (File.ReadAllText(Path.Combine(examplesDir, "quick-start.fsx"))) |> List.filter ours
            Expect.equal notebook script "the same code"
    ]
