/// Running F# scripts under `dotnet fsi` in a child process, in a temporary directory, with the examples'
/// small budget (SNNDSL_QUICK=1) and their outputs sent there (SNNDSL_OUT).
module SnnDsl.Examples.Tests.Fsi

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open SnnDsl.TestKit

// Every script is a process that trains on all the cores it is given: every list is sequenced (one at a time).

/// The repository root (the test kit's).
let repoRoot = Repo.root

/// The examples folder.
let examplesDir = Repo.examples

/// What one script run returned and printed.
type Outcome =
    { Code: int
      Out: string
      Err: string
      Seconds: float }

    /// Everything it printed, for failure messages.
    member o.Text = $"exit code {o.Code} after {o.Seconds:F1} s\n--- stdout\n{o.Out}\n--- stderr\n{o.Err}"

/// The dotnet host that runs these tests, so that fsi comes from the same SDK; else `dotnet` on PATH.
let dotnet =
    match Environment.GetEnvironmentVariable "DOTNET_HOST_PATH" with
    | p when not (String.IsNullOrEmpty p) && File.Exists p -> p
    | _ ->
        let main = Process.GetCurrentProcess().MainModule.FileName
        if Path.GetFileNameWithoutExtension main = "dotnet" then main else "dotnet"

/// The `#r "path"` references of a script, resolved against the script's folder.
let references (script: string) =
    let dir = Path.GetDirectoryName(Path.GetFullPath script)
    [ for m in Regex.Matches(File.ReadAllText script, "^#r\\s+\"([^\"]+)\"", RegexOptions.Multiline) ->
          Path.GetFullPath(Path.Combine(dir, m.Groups[1].Value)) ]

/// Fails with a build hint when a script references an assembly that is not built.
let requireReferences (script: string) =
    for r in references script do
        if not (File.Exists r) then
            failwith $"{Path.GetFileName script} loads {r}, which does not exist: the examples load the Release build (dotnet build SnnDsl.sln -c Release)"

/// Per-script limit; the slowest example takes under a minute on a loaded 2-core machine.
let timeout = TimeSpan.FromMinutes 5.0

/// Runs `dotnet fsi <script> -- <args>` in `workDir` with SNNDSL_QUICK=1 and SNNDSL_OUT=`outDir`; the
/// process tree is killed after `timeout`.
let run (script: string) (args: string list) (workDir: string) (outDir: string) : Outcome =
    requireReferences script
    let psi = ProcessStartInfo(dotnet, WorkingDirectory = workDir, UseShellExecute = false)
    for a in [ "fsi"; "--nologo"; script ] @ (if args.IsEmpty then [] else "--" :: args) do
        psi.ArgumentList.Add a
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi.Environment["SNNDSL_QUICK"] <- "1"
    psi.Environment["SNNDSL_OUT"] <- outDir
    psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    let clock = Stopwatch.StartNew()
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    if not (p.WaitForExit timeout) then
        p.Kill(entireProcessTree = true)
        p.WaitForExit()
        failwith $"{Path.GetFileName script} did not finish within {timeout.TotalMinutes} minutes\n--- stdout\n{out.Result}\n--- stderr\n{err.Result}"
    p.WaitForExit() // drains the redirected streams
    { Code = p.ExitCode; Out = out.Result; Err = err.Result; Seconds = clock.Elapsed.TotalSeconds }

/// Lines of F# code without blank lines and whole-line comments (what a script and a notebook share).
let codeLines (text: string) =
    text.Replace("\r\n", "\n").Split('\n')
    |> Array.map _.TrimEnd()
    |> Array.filter (fun l -> l.Trim() <> "" && not (l.TrimStart().StartsWith "//"))
    |> List.ofArray
