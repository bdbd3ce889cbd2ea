/// The libraries load in every current F# host: no packed library assembly, and no assembly of the packages
/// it depends on (all the way down), references an FSharp.Core newer than the one the newest .NET
/// Interactive kernel ships (assembly version 10.0.0.0). SnnDsl.Report (Plotly.NET) is the one exception,
/// in a package of its own that notebooks do not need.
module SnnDsl.Package.Tests.FSharpCoreTests

open System
open System.IO
open System.IO.Compression
open System.Reflection.Metadata
open System.Reflection.PortableExecutable
open System.Xml.Linq
open Expecto

/// The FSharp.Core of the .NET Interactive kernel (1.0.712001) and of dotnet-repl (0.3.259).
let notebookFSharpCore = System.Version(10, 0, 0, 0)

/// The library packages a notebook may load.
let notebookLibraries = PackageContentTests.libraries |> List.filter ((<>) "Report") |> List.map (fun l -> $"SnnDsl.{l}")

/// The FSharp.Core version an assembly's image references, if any.
let fsharpCoreReference (image: byte[]) : System.Version option =
    use pe = new PEReader(new MemoryStream(image))
    if not pe.HasMetadata then None
    else
        let md = pe.GetMetadataReader()
        md.AssemblyReferences
        |> Seq.map md.GetAssemblyReference
        |> Seq.tryFind (fun r -> md.GetString r.Name = "FSharp.Core")
        |> Option.map _.Version

/// The .dll entries under lib/<tfm>/ of a package, for the best target framework for net10.0, with their bytes.
let private libraryImages (entries: (string * (unit -> byte[])) list) =
    let tfms =
        entries |> List.choose (fun (n, _) ->
            let parts = n.Split('/')
            if parts.Length = 3 && parts[0] = "lib" && n.EndsWith ".dll" then Some parts[1] else None)
        |> List.distinct
    let rank (tfm: string) =
        match tfm with
        | t when t.StartsWith "net" && not (t.StartsWith "netstandard") && not (t.StartsWith "netcoreapp") && t.Contains "." ->
            match Double.TryParse(t.Substring 3, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
            | true, v when v <= 10.0 -> Some(100.0 + v)
            | _ -> None
        | t when t.StartsWith "netcoreapp" -> Some 50.0
        | "netstandard2.1" -> Some 21.0
        | "netstandard2.0" -> Some 20.0
        | t when t.StartsWith "netstandard" -> Some 10.0
        | _ -> None
    match tfms |> List.choose (fun t -> rank t |> Option.map (fun r -> r, t)) |> List.sortDescending with
    | [] -> []
    | (_, best) :: _ -> entries |> List.filter (fun (n, _) -> n.StartsWith $"lib/{best}/" && n.EndsWith ".dll")

/// A package's dependencies (id, lowest version of its range), of the group for the best framework.
let private dependencies (nuspec: XDocument) =
    let groups = nuspec.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "group") |> List.ofSeq
    let deps (e: XElement) =
        e.Elements() |> Seq.filter (fun d -> d.Name.LocalName = "dependency")
        |> Seq.map (fun d ->
            let range = d.Attribute(XName.Get "version").Value.Trim('[', '(', ' ')
            d.Attribute(XName.Get "id").Value, (range.Split(',')[0]).Trim())
        |> List.ofSeq
    let framework (g: XElement) = match g.Attribute(XName.Get "targetFramework") with null -> "" | a -> a.Value.ToLowerInvariant()
    let pick =
        [ yield! groups |> List.filter (fun g -> framework g = "net10.0")
          for v in [ "net9.0"; "net8.0"; "net7.0"; "net6.0"; "net5.0" ] do yield! groups |> List.filter (fun g -> framework g = v)
          yield! groups |> List.filter (fun g -> framework g = ".netstandard2.1" || framework g = "netstandard2.1")
          yield! groups |> List.filter (fun g -> framework g = ".netstandard2.0" || framework g = "netstandard2.0")
          yield! groups |> List.filter (fun g -> framework g = "") ]
    match pick with
    | g :: _ -> deps g
    | [] -> nuspec.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "dependencies") |> Seq.collect (fun d -> deps d) |> List.ofSeq

/// The folder NuGet restored third-party packages into.
let private globalPackages () =
    match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
    | null | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
    | p -> p

/// The restored folder of a third-party package: the lowest restored version at or above the range's floor
/// (what NuGet resolves to); None for a framework package the SDK prunes.
let private restored (id: string) (floor: string) =
    let dir = Path.Combine(globalPackages (), id.ToLowerInvariant())
    let parse (s: string) = match System.Version.TryParse(s.Split('-')[0]) with | true, v -> Some v | _ -> None
    let wanted = parse floor |> Option.defaultValue (System.Version(0, 0))
    let found =
        if Directory.Exists dir then
            Directory.GetDirectories dir |> Array.choose (fun d -> parse (Path.GetFileName d) |> Option.map (fun v -> v, d))
            |> Array.filter (fun (v, _) -> v >= wanted) |> Array.sortBy fst |> Array.tryHead
        else None
    match found with
    | Some(_, d) -> Some d
    // The .NET 10 SDK prunes the packages the framework provides (System.IO.Pipelines for a netstandard
    // dependency, say): never restored, and C# that does not reference FSharp.Core.
    | None when id.StartsWith "System." || id.StartsWith "Microsoft." -> None
    | None -> failwith $"{id} {floor} (a dependency of a library package) is not in {globalPackages ()}; restore the solution first"

/// Every assembly a package brings, with its FSharp.Core reference: its own and, recursively, its
/// dependencies' (SnnDsl packages from the feed, the others from the NuGet folder; FSharp.Core itself is
/// what is checked, not walked).
let closure (root: string) : (string * string * System.Version option) list =
    let seen = Collections.Generic.HashSet<string>(StringComparer.OrdinalIgnoreCase)
    let rec walk (id: string) (floor: string) =
        if id.Equals("FSharp.Core", StringComparison.OrdinalIgnoreCase) || not (seen.Add id) then []
        else
            let entries, nuspec =
                if id.StartsWith "SnnDsl." then
                    use zip = ZipFile.OpenRead(Feed.package id "nupkg")
                    let read (e: ZipArchiveEntry) () =
                        use s = e.Open()
                        use m = new MemoryStream()
                        s.CopyTo m
                        m.ToArray()
                    let entries = [ for e in zip.Entries -> e.FullName, (let bytes = read e () in fun () -> bytes) ]
                    let spec = zip.Entries |> Seq.find (fun e -> e.FullName.EndsWith ".nuspec")
                    use s = spec.Open()
                    entries, XDocument.Load s
                else
                    match restored id floor with
                    | None -> [], XDocument(XElement(XName.Get "package"))
                    | Some dir ->
                        let entries =
                            [ for f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories) ->
                                  Path.GetRelativePath(dir, f).Replace('\\', '/'), (fun () -> File.ReadAllBytes f) ]
                        let spec = Directory.GetFiles(dir, "*.nuspec") |> Array.exactlyOne
                        entries, XDocument.Load spec
            [ for name, bytes in libraryImages entries -> id, name, fsharpCoreReference (bytes ()) ]
            @ (dependencies nuspec |> List.collect (fun (d, v) -> walk d v))
    walk root ""

[<Tests>]
let tests =
    testSequenced <| testList "FSharp.Core" [
        for id in notebookLibraries do
            test $"{id} and every package under it reference at most FSharp.Core {notebookFSharpCore} (the notebook kernel's)" {
                let assemblies = closure id
                Expect.isTrue (assemblies |> List.exists (fun (p, _, _) -> p = id)) "the package's own assembly was read"
                let tooNew =
                    [ for p, name, v in assemblies do
                          match v with
                          | Some v when v > notebookFSharpCore -> yield $"{p}: {name} references FSharp.Core {v}"
                          | _ -> () ]
                Expect.isEmpty tooNew "assemblies a notebook would fail to load"
            }

        test "the check sees a newer FSharp.Core: SnnDsl.Report, through Plotly.NET, references one above 10.0" {
            let newer = closure "SnnDsl.Report" |> List.choose (fun (_, _, v) -> v) |> List.filter (fun v -> v > notebookFSharpCore)
            Expect.isNonEmpty newer "Plotly.NET 6.0.0 is built against FSharp.Core 10.1"
        }
    ]
