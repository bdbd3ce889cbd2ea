/// The project graph keeps its layers: Core and Data free of native code (no path to SnnDsl.Torch), and no
/// test project but the CLI's own depending on the CLI. Read from the .fsproj/.csproj files themselves.
module SnnDsl.Examples.Tests.ProjectGraphTests

open System.IO
open System.Xml.Linq
open Expecto
open SnnDsl.TestKit

/// The projects a project file references directly, as full paths.
let private references (project: string) =
    XDocument.Load(project).Descendants()
    |> Seq.filter (fun e -> e.Name.LocalName = "ProjectReference")
    |> Seq.map (fun e -> Path.GetFullPath(Path.Combine(Path.GetDirectoryName project, e.Attribute(XName.Get "Include").Value)))
    |> List.ofSeq

/// Every project a project reaches through its references, itself excluded.
let rec private closure (project: string) : Set<string> =
    references project |> List.fold (fun seen r -> Set.add r seen + closure r) Set.empty

let private src (name: string) = Path.Combine(Repo.root, "src", name, name + ".fsproj")

[<Tests>]
let tests =
    testList "Project graph" [
        for name in [ "SnnDsl.Core"; "SnnDsl.Data"; "SnnDsl.Charts" ] do
            test $"{name} reaches no native code: no path to SnnDsl.Torch" {
                let reached = closure (src name) |> Set.map Path.GetFileNameWithoutExtension
                Expect.isFalse (reached.Contains "SnnDsl.Torch") $"{name} reaches {reached}"
            }
        test "no test project but the CLI's references the CLI" {
            let tests =
                Directory.GetFiles(Path.Combine(Repo.root, "tests"), "*.*proj", SearchOption.AllDirectories)
                |> Array.filter (fun p -> not (p.Contains "/bin/" || p.Contains "/obj/"))
            Expect.isTrue (tests.Length >= 10) $"the test projects are found ({tests.Length})"
            let cli = src "SnnDsl.Cli"
            let offenders =
                [ for t in tests do
                      if Path.GetFileNameWithoutExtension t <> "SnnDsl.Cli.Tests" && List.contains cli (references t) then
                          yield Path.GetFileName t ]
            Expect.isEmpty offenders "test projects referencing src/SnnDsl.Cli"
        }
    ]
