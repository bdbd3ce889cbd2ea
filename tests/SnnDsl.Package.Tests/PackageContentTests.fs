/// What the packages carry: an assembly with its XML docs per library, symbols, the native shim as a
/// linux-x64 runtime asset, the layer generator as an analyzer, the dependency graph, the tool and templates.
module SnnDsl.Package.Tests.PackageContentTests

open System.IO
open System.IO.Compression
open System.Xml.Linq
open Expecto

let libraries = [ "Core"; "Torch"; "Backends"; "Verify"; "Nn"; "Data"; "Distributed"; "Training"; "Charts"; "Report"; "Interactive"; "Nir"; "CSharp" ]

/// The entry names of a package.
let entries (path: string) =
    use zip = ZipFile.OpenRead path
    zip.Entries |> Seq.map (fun e -> e.FullName) |> Set.ofSeq

/// The nuspec of a package, parsed.
let nuspec (path: string) =
    use zip = ZipFile.OpenRead path
    let entry = zip.Entries |> Seq.find (fun e -> e.FullName.EndsWith ".nuspec")
    use s = entry.Open()
    XDocument.Load s

/// The package ids a nuspec depends on.
let dependencies (doc: XDocument) =
    doc.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "dependency")
    |> Seq.map (fun e -> e.Attribute(XName.Get "id").Value) |> Set.ofSeq

/// A metadata element of a nuspec ("" when absent).
let metadata (doc: XDocument) (name: string) =
    doc.Descendants() |> Seq.tryFind (fun e -> e.Name.LocalName = name) |> Option.map (fun e -> e.Value)
    |> Option.defaultValue ""

[<Tests>]
let tests =
    testSequenced <| testList "packages" [
        for lib in libraries do
            test $"SnnDsl.{lib} carries its assembly, its XML docs, the README, a licence, a description and a symbols package" {
                let id = $"SnnDsl.{lib}"
                let files = entries (Feed.package id "nupkg")
                Expect.contains files $"lib/net10.0/{id}.dll" "the assembly"
                Expect.contains files $"lib/net10.0/{id}.xml" "the XML documentation"
                Expect.contains files "README.md" "the README"
                let doc = nuspec (Feed.package id "nupkg")
                Expect.equal (metadata doc "license") "MIT" "the licence expression"
                Expect.isNotEmpty (metadata doc "description") "a description"
                Expect.isTrue (File.Exists(Feed.package id "snupkg")) "the symbols package"
                Expect.contains (entries (Feed.package id "snupkg")) $"lib/net10.0/{id}.pdb" "the symbols"
            }

        test "SnnDsl.Interactive ships its kernel extension under interactive-extensions/dotnet" {
            Expect.contains (entries (Feed.package "SnnDsl.Interactive" "nupkg")) "interactive-extensions/dotnet/extension.dib" "the extension"
        }

        test "SnnDsl.Torch ships the native shim as runtimes/linux-x64/native/libsnndsl_native.so" {
            let files = entries (Feed.package "SnnDsl.Torch" "nupkg")
            Expect.contains files "runtimes/linux-x64/native/libsnndsl_native.so" "the shim"
        }

        test "SnnDsl.CSharp ships the layer generator under analyzers/dotnet/cs and depends on the F# packages it wraps" {
            let path = Feed.package "SnnDsl.CSharp" "nupkg"
            Expect.contains (entries path) "analyzers/dotnet/cs/SnnDsl.CSharp.Generators.dll" "the generator"
            let deps = dependencies (nuspec path)
            for lib in [ "Core"; "Torch"; "Nn"; "Data"; "Training"; "Verify"; "Nir" ] do
                Expect.contains deps $"SnnDsl.{lib}" "a package dependency from a project reference"
            Expect.isFalse (deps.Contains "SnnDsl.CSharp.Generators") "the generator is inside, not a dependency"
        }

        test "the package dependency graph follows the project references" {
            let depsOf lib = dependencies (nuspec (Feed.package $"SnnDsl.{lib}" "nupkg"))
            Expect.contains (depsOf "Torch") "SnnDsl.Core" "Torch -> Core"
            Expect.contains (depsOf "Backends") "SnnDsl.Torch" "Backends -> Torch"
            Expect.contains (depsOf "Nn") "SnnDsl.Backends" "Nn -> Backends"
            Expect.contains (depsOf "Training") "SnnDsl.Distributed" "Training -> Distributed"
            Expect.contains (depsOf "Core") "FParsec" "Core -> FParsec"
            Expect.contains (depsOf "Report") "SnnDsl.Training" "Report -> Training"
            Expect.contains (depsOf "Report") "Plotly.NET" "Report -> Plotly.NET"
            Expect.isFalse ((depsOf "Training").Contains "Plotly.NET") "Training does not bring Plotly.NET"
            Expect.equal (depsOf "Charts") (set [ "FSharp.Core" ]) "Charts depends on FSharp.Core alone"
            Expect.isFalse ((depsOf "Core") |> Set.exists (fun d -> d.StartsWith "SnnDsl.")) "Core depends on no SnnDsl package"
        }

        test "the snn tool package is a .NET tool whose command is snn, with the shim beside it" {
            let path = Feed.package "snn" "nupkg"
            let files = entries path
            Expect.contains files "tools/net10.0/any/DotnetToolSettings.xml" "the tool settings"
            Expect.contains files "tools/net10.0/any/libsnndsl_native.so" "the shim"
            use zip = ZipFile.OpenRead path
            use s = (zip.GetEntry "tools/net10.0/any/DotnetToolSettings.xml").Open()
            let settings = XDocument.Load s
            let command = settings.Descendants() |> Seq.find (fun e -> e.Name.LocalName = "Command")
            Expect.equal (command.Attribute(XName.Get "Name").Value) "snn" "the command name"
        }

        test "the templates package holds snn-csharp and snn-fsharp with their .neuron files" {
            let files = entries (Feed.package "SnnDsl.Templates" "nupkg")
            for lang, proj, prog in [ "csharp", "SnnApp.csproj", "Program.cs"; "fsharp", "SnnApp.fsproj", "Program.fs" ] do
                Expect.contains files $"content/snn-{lang}/.template.config/template.json" "the template"
                Expect.contains files $"content/snn-{lang}/{proj}" "the project"
                Expect.contains files $"content/snn-{lang}/{prog}" "the program"
                Expect.contains files $"content/snn-{lang}/my-lif.neuron" "the neuron as text"
        }
    ]
