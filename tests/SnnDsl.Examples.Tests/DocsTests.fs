/// The docs that restate code: the neuron zoo against the built-ins, the README's indexes against the
/// files, the architecture diagram against the projects.
module SnnDsl.Examples.Tests.DocsTests

open System
open System.IO
open System.Text.RegularExpressions
open Expecto
open SnnDsl.TestKit
open SnnDsl.Core
open SnnDsl.Examples.Tests.Fsi

let private read (relative: string) = File.ReadAllText(Path.Combine(repoRoot, relative)).Replace("\r\n", "\n")

/// The text of each "## `name`" section of docs/neurons.md, by name, in order.
let private neuronSections () =
    let text = read "docs/neurons.md"
    let heads = Regex.Matches(text, "^## `([^`]+)`\\s*$", RegexOptions.Multiline) |> Seq.toList
    heads
    |> List.mapi (fun i m ->
        let stop =
            match Regex.Match(text.Substring(m.Index + m.Length), "^## ", RegexOptions.Multiline) with
            | next when next.Success -> m.Index + m.Length + next.Index
            | _ -> text.Length
        m.Groups[1].Value, text.Substring(m.Index, stop - m.Index))

[<Tests>]
let tests =
    testSequenced <| testList "Docs" [
        testCase "docs/neurons.md has one section per built-in, in the registry's order" <| fun () ->
            Expect.equal (neuronSections () |> List.map fst : string list) Builtins.names "neuronSections () |> List.map fst"

        testCase "each neuron section shows the built-in's equations as Describe prints them" <| fun () ->
            let sections = Map.ofList (neuronSections ())
            for n in Builtins.all do
                let lines = sections[n.Name].Split('\n') |> Array.map _.TrimEnd() |> Set.ofArray
                for eq in Describe.equations n do
                    Expect.isTrue (lines.Contains eq) ($"docs/neurons.md, section {n.Name}: missing the line '{eq}'")

        testCase "each neuron section lists every parameter with its raw default and kind, and every state" <| fun () ->
            let sections = Map.ofList (neuronSections ())
            for n in Builtins.all do
                let section = sections[n.Name]
                let rows = Regex.Matches(section, "^\\| `([^`]+)` \\| ([^|]+) \\|[^|]*\\| (learnable|fixed) \\|", RegexOptions.Multiline)
                let documented = [ for r in rows -> r.Groups[1].Value, r.Groups[2].Value.Trim(), r.Groups[3].Value ]
                let expected = [ for p in n.Params -> p.Name, Describe.number p.Init, (if p.Learnable then "learnable" else "fixed") ]
                Expect.equal (documented : (string * string * string) list) expected "documented"
                for s in n.States do
                    Expect.isTrue (section.Contains $"`{s.Name}`") ($"docs/neurons.md, section {n.Name}: state {s.Name} not mentioned")

        testCase "the README indexes every doc and every example" <| fun () ->
            let readme = read "README.md"
            let docs = Directory.GetFiles(Path.Combine(repoRoot, "docs"), "*.md") |> Array.map (fun p -> "docs/" + Path.GetFileName p)
            let examples =
                Directory.GetFileSystemEntries examplesDir
                |> Array.map Path.GetFileName
                |> Array.filter (fun f -> f.EndsWith ".fsx" || f.EndsWith ".ipynb" || Directory.Exists(Path.Combine(examplesDir, f)))
                |> Array.map (fun f -> "examples/" + f)
            for path in Array.append docs examples do
                Expect.isTrue (readme.Contains $"({path}" || readme.Contains $"`{path}") ($"README.md does not list {path}")

        testCase "the architecture page's diagram names every project under src" <| fun () ->
            let page = read "docs/architecture.md"
            let diagram = Regex.Match(page, "```\\n(.*?)```", RegexOptions.Singleline)
            Expect.isTrue diagram.Success "docs/architecture.md has no diagram block"
            for dir in Directory.GetDirectories(Path.Combine(repoRoot, "src")) do
                let project = Path.GetFileName dir
                Expect.isTrue (diagram.Value.Contains project) ($"the diagram in docs/architecture.md does not name {project}")
    ]
