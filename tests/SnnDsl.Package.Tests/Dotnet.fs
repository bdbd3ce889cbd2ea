/// Child processes (`dotnet build`, `dotnet new`, an installed tool) with a time limit and their output kept.
module SnnDsl.Package.Tests.Dotnet

open System
open System.Diagnostics
open System.Text

/// What a finished process printed, and its exit code.
type Outcome = { Code: int; Output: string }

/// Environment variables that `dotnet run` / `dotnet test` set for this process and that would steer a
/// child build to this repository's MSBuild state instead of a fresh one.
let private inherited (name: string) =
    name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
    || name.StartsWith("MSBUILD", StringComparison.Ordinal)
    || name = "DOTNET_HOST_PATH" || name = "NUGET_PACKAGES"

/// Runs file with arguments in dir (extra environment in env), killing it after timeoutSeconds.
let runIn (dir: string) (env: (string * string) list) (timeoutSeconds: int) (file: string) (arguments: string list) : Outcome =
    let psi = ProcessStartInfo(file, WorkingDirectory = dir, UseShellExecute = false)
    for a in arguments do psi.ArgumentList.Add a
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    for key in List.ofSeq psi.Environment.Keys do
        if inherited key then psi.Environment.Remove key |> ignore
    psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    psi.Environment["DOTNET_NOLOGO"] <- "1"
    psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] <- "1"
    for k, v in env do psi.Environment[k] <- v
    let output = StringBuilder()
    let add (line: string) = if not (isNull line) then lock output (fun () -> output.AppendLine line |> ignore)
    use p = new Process(StartInfo = psi)
    p.OutputDataReceived.Add(fun e -> add e.Data)
    p.ErrorDataReceived.Add(fun e -> add e.Data)
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    if not (p.WaitForExit(timeoutSeconds * 1000)) then
        p.Kill true
        p.WaitForExit()
        failwithf "'%s %s' in %s ran past %d s; its output:\n%O" file (String.Join(" ", arguments)) dir timeoutSeconds output
    p.WaitForExit()
    { Code = p.ExitCode; Output = lock output (fun () -> output.ToString()) }

/// Runs a command that must succeed; returns its output, or fails the test with it.
let ok (dir: string) (env: (string * string) list) (timeoutSeconds: int) (file: string) (arguments: string list) : string =
    let o = runIn dir env timeoutSeconds file arguments
    if o.Code <> 0 then
        failwithf "'%s %s' in %s exited with %d; its output:\n%s" file (String.Join(" ", arguments)) dir o.Code o.Output
    o.Output
