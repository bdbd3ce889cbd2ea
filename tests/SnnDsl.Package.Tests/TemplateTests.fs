/// Both `dotnet new` templates, installed from the feed into a private template hive, instantiated outside
/// the repository, built (portable: the shim under runtimes/linux-x64/native/) and run twice: the first run
/// trains and saves, the second loads and predicts.
module SnnDsl.Package.Tests.TemplateTests

open System.IO
open Expecto

/// Instantiates template shortName as project Demo in a fresh folder; returns the project folder.
let private instantiate (shortName: string) =
    let root = Feed.folder shortName
    Feed.nugetConfig root |> ignore
    let hive = Path.Combine(root, "hive")
    let newArgs rest = [ "new" ] @ rest @ [ "--debug:custom-hive"; hive ]
    Dotnet.ok root [] 300 "dotnet" (newArgs [ "install"; Feed.package "SnnDsl.Templates" "nupkg" ]) |> ignore
    Dotnet.ok root [] 300 "dotnet" (newArgs [ shortName; "-n"; "Demo"; "--SnnDslVersion"; Feed.version.Value ]) |> ignore
    Path.Combine(root, "Demo")

/// Builds the project in dir and runs it twice; returns both outputs.
let private buildAndRunTwice (dir: string) =
    Dotnet.ok dir [] 600 "dotnet" [ "build"; "-c"; "Release"; "-nologo"; "-v:q" ] |> ignore
    let bin = Path.Combine(dir, "bin", "Release", "net10.0")
    Expect.isTrue (File.Exists(Path.Combine(bin, "runtimes", "linux-x64", "native", "libsnndsl_native.so"))) "the shim of a portable app"
    let dll = Path.Combine(bin, "Demo.dll")
    Dotnet.ok dir [] 600 "dotnet" [ dll ], Dotnet.ok dir [] 600 "dotnet" [ dll ]

[<Tests>]
let tests =
    testSequenced <| testList "templates" [
        test "dotnet new snn-csharp gives an app that trains and saves, then loads and predicts" {
            let dir = instantiate "snn-csharp"
            Expect.isTrue (File.Exists(Path.Combine(dir, "Demo.csproj"))) "the project named by -n"
            let first, second = buildAndRunTwice dir
            Expect.stringContains first "my-lif" "the neuron of my-lif.neuron, through its typed layer"
            Expect.stringContains first "saved network.snnt" "the first run saves"
            Expect.stringContains second "loaded network.snnt" "the second run loads"
            Expect.stringContains second "test images predicted correctly" "and predicts"
        }

        test "dotnet new snn-fsharp gives an app that trains and saves, then loads and predicts" {
            let dir = instantiate "snn-fsharp"
            Expect.isTrue (File.Exists(Path.Combine(dir, "Demo.fsproj"))) "the project named by -n"
            let first, second = buildAndRunTwice dir
            Expect.stringContains first "lif-vth" "the neuron of the combinators"
            Expect.stringContains first "saved" "the first run saves"
            Expect.isTrue (File.Exists(Path.Combine(dir, "run", "checkpoint.snnt"))) "the checkpoint"
            Expect.stringContains second "loaded" "the second run loads"
            Expect.stringContains second "test accuracy" "and predicts the test set"
        }
    ]
