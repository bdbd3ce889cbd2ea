/// Where the tests find the repository they run from (examples, docs, the built CLI).
module SnnDsl.TestKit.Repo

open System
open System.IO

/// The repository root: the nearest ancestor of the test assembly holding SnnDsl.sln.
let root =
    let rec up (d: DirectoryInfo) =
        if isNull d then failwith $"SnnDsl.sln not found above the test assembly ({AppContext.BaseDirectory})"
        elif File.Exists(Path.Combine(d.FullName, "SnnDsl.sln")) then d.FullName
        else up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// A path relative to the repository root.
let path (relative: string) = Path.Combine(root, relative)

/// The examples folder (scripts, .neuron files, C# example programs).
let examples = path "examples"
