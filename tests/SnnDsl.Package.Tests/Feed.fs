/// One pack of the Release build into a temporary local feed, shared by every test of this project, and the
/// nuget.config that points a fresh project at it.
module SnnDsl.Package.Tests.Feed

open System
open System.IO
open System.Security
open SnnDsl.TestKit

/// The repository root (the test kit's).
let repoRoot = Repo.root

/// Everything the tests write: the feed, their own NuGet package folder, the projects. Outside the repository
/// (the system's temporary folder), so no Directory.Build.props or Directory.Packages.props of ours applies.
let private work = lazy (
    let dir = new TempDir()
    AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> (dir :> IDisposable).Dispose())
    if dir.Path.StartsWith(repoRoot, StringComparison.Ordinal) then failwith "the temporary folder is inside the repository"
    dir)

/// A new empty folder under the tests' temporary folder.
let folder (name: string) =
    let p = Path.Combine(work.Value.Path, name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8))
    Directory.CreateDirectory p |> ignore
    p

/// The local feed: `dotnet pack` of the solution's packable projects from the Release build (`dotnet fsi
/// build.fsx build` first), packed once per test run.
let packages = lazy (
    let feed = Path.Combine(work.Value.Path, "feed")
    Dotnet.ok repoRoot [] 900 "dotnet"
        [ "pack"; "SnnDsl.sln"; "-c"; "Release"; "--no-build"; "-nologo"; "-v:q"; "-p:SkipNativeBuild=true"
          $"-p:PackageOutputPath={feed}/" ]
    |> ignore
    feed)

/// The packages' version, read from the file name of SnnDsl.Core's package.
let version = lazy (
    let core = Directory.GetFiles(packages.Value, "SnnDsl.Core.*.nupkg") |> Array.exactlyOne |> Path.GetFileName
    core.Substring("SnnDsl.Core.".Length, core.Length - "SnnDsl.Core.".Length - ".nupkg".Length))

/// The path of package id's .nupkg (or .snupkg) in the feed.
let package (id: string) (extension: string) = Path.Combine(packages.Value, $"{id}.{version.Value}.{extension}")

/// The user's NuGet cache, as a read-only fallback for third-party packages (no download of what is already
/// there); left out when it holds SnnDsl packages of this version, which would shadow the feed's.
let private fallback () =
    let cache = Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
    let stale = Directory.Exists(Path.Combine(cache, "snndsl.core", version.Value))
    if Directory.Exists cache && not stale then Some cache else None

/// Writes dir/nuget.config: the public registry (third-party dependencies), and the local feed when withFeed,
/// with a package folder of the tests' own, so a package of this run is never confused with one cached earlier.
let private writeNugetConfig (withFeed: bool) (packageFolder: string) (dir: string) =
    let x (s: string) = SecurityElement.Escape s
    let lines =
        [ """<?xml version="1.0" encoding="utf-8"?>"""
          "<configuration>"
          "  <packageSources>"
          "    <clear />"
          if withFeed then $"""    <add key="snndsl-local" value="{x packages.Value}" />"""
          """    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />"""
          "  </packageSources>"
          "  <config>"
          $"""    <add key="globalPackagesFolder" value="{x packageFolder}" />"""
          "  </config>"
          match fallback () with
          | Some cache ->
              "  <fallbackPackageFolders>"
              $"""    <add key="user-cache" value="{x cache}" />"""
              "  </fallbackPackageFolders>"
          | None -> ()
          "</configuration>" ]
    let path = Path.Combine(dir, "nuget.config")
    File.WriteAllLines(path, lines)
    path

/// Writes dir/nuget.config with the local feed and the public registry as sources (see writeNugetConfig).
let nugetConfig (dir: string) = writeNugetConfig true (Path.Combine(work.Value.Path, "nuget-packages")) dir

/// Writes dir/nuget.config with the public registry alone and a package folder of its own (none of this run's
/// SnnDsl packages in it): SnnDsl restores only where something else (a notebook's #i line) names the feed.
let publicNugetConfig (dir: string) = writeNugetConfig false (folder "nuget-packages-public") dir
