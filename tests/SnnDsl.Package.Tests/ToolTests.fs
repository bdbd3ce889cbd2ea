/// The `snn` .NET tool installed from the feed into a tool path, run from a folder outside the repository.
module SnnDsl.Package.Tests.ToolTests

open System.IO
open Expecto

[<Tests>]
let tests =
    testSequenced <| testList "tool" [
        test "snn installed from the package runs neurons and train from any folder" {
            let root = Feed.folder "tool"
            let config = Feed.nugetConfig root
            let tools = Path.Combine(root, "tools")
            Dotnet.ok root [] 600 "dotnet"
                [ "tool"; "install"; "snn"; "--tool-path"; tools; "--version"; Feed.version.Value; "--configfile"; config ]
            |> ignore
            let snn = Path.Combine(tools, "snn")
            let elsewhere = Path.Combine(root, "elsewhere")
            Directory.CreateDirectory elsewhere |> ignore
            let neurons = Dotnet.ok elsewhere [] 300 snn [ "neurons" ]
            Expect.stringContains neurons "da-lif" "the built-in neurons"
            let train =
                Dotnet.ok elsewhere [] 600 snn
                    [ "train"; "--epochs"; "1"; "--limit-train"; "256"; "--limit-test"; "64"; "--timesteps"; "2"; "--out"; "run" ]
            Expect.isTrue (File.Exists(Path.Combine(elsewhere, "run", "checkpoint.snnt"))) $"snn train writes its checkpoint; it printed:\n{train}"
            Expect.isTrue (File.Exists(Path.Combine(elsewhere, "run", "metrics.jsonl"))) "and its metrics"
        }
    ]
