/// examples/verify-neuron.fsx runs under `dotnet fsi` against the Release build and prints what it should.
/// (tests/SnnDsl.Examples.Tests runs every examples/*.fsx too; this checks this script's output.)
module SnnDsl.Verify.Tests.ExampleTests

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open Expecto

let private root = SnnDsl.TestKit.Repo.root

let private dotnet =
    match Environment.GetEnvironmentVariable "DOTNET_HOST_PATH" with
    | p when not (String.IsNullOrEmpty p) && File.Exists p -> p
    | _ -> "dotnet"

[<Tests>]
let tests =
    testList "examples" [
        test "verify-neuron.fsx verifies lif-syn, Theorem 1, and shows the broken twin's counterexample" {
            let psi = ProcessStartInfo(dotnet, WorkingDirectory = Path.GetTempPath(), UseShellExecute = false)
            for a in [ "fsi"; "--nologo"; Path.Combine(root, "examples", "verify-neuron.fsx") ] do psi.ArgumentList.Add a
            psi.RedirectStandardOutput <- true
            psi.RedirectStandardError <- true
            psi.Environment["SNNDSL_QUICK"] <- "1"
            use p = Process.Start psi
            let out = p.StandardOutput.ReadToEndAsync()
            let err = p.StandardError.ReadToEndAsync()
            if not (p.WaitForExit(TimeSpan.FromMinutes 5.0)) then
                p.Kill true
                failtest "verify-neuron.fsx did not finish within 5 minutes"
            p.WaitForExit()
            let text = $"exit {p.ExitCode}\n--- stdout\n{out.Result}\n--- stderr\n{err.Result}"
            Expect.equal p.ExitCode 0 text
            Expect.isFalse (Regex.IsMatch(out.Result + err.Result, "(error|warning) FS\\d+")) $"compiles without diagnostics; {text}"
            for pattern in
                [ "^neuron lif-syn \"current-based LIF"
                  "^pass  interpreters-agree \\(20 cases\\)$"
                  "^pass  gradients-agree \\(20 cases\\)$"
                  "^pass  reset-lowers-V \\(20 cases\\)$"
                  "^leaky-lif-soft: pass  theorem-1 \\(20 cases\\)$"
                  "^FAIL  reset-lowers-V: S = 1 implies V' < H fails at t = 1: H = 1, V' = 2, S = 1$"
                  "^      1  1    1  1  1   1   2  <-$" ] do
                Expect.isTrue (Regex.IsMatch(out.Result, pattern, RegexOptions.Multiline)) $"expected /{pattern}/; {text}"
        }
    ]
