/// `--backend` on the command line: eager and fused give the same trace, a bad name is a usage error, and
/// without a C++ compiler `auto` falls back to eager with a one-line notice while `fused` refuses.
module SnnDsl.Cli.Tests.BackendTests

open System
open System.Diagnostics
open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Core
open SnnDsl.Cli.Tests.Cli

let private inputs = Array2D.init 16 4 (fun t j -> float ((t * 7 + j * 13) % 29) / 10.0 - 0.8)

let private trace (dir: TempDir) (neuron: string) (backend: string) =
    let input = dir.Write("x.csv", inputCsv false inputs)
    let out = dir.File $"trace-{backend}.csv"
    let r = snn [ "simulate"; "--neuron"; neuron; "--input"; input; "--out"; out; "--backend"; backend ]
    Expect.equal r.Code 0 r.Err
    readTrace out

/// Runs `snn` in a child process with an environment of its own (the compiler lookup is per process).
let private snnProcess (env: (string * string) list) (args: string list) : Outcome =
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add snnDll
    for a in args do psi.ArgumentList.Add a
    for k, v in env do psi.Environment[k] <- v
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    if not (p.WaitForExit 120000) then
        p.Kill true
        failwith "snn did not finish within 2 minutes"
    { Code = p.ExitCode; Out = out.Result; Err = err.Result }

[<Tests>]
let tests =
    testSequenced <| testList "Backend" [
        testCase "snn simulate with the eager and the fused backend writes the same trace for every built-in" <| fun () ->
            for n in Builtins.all do
                use dir = new TempDir()
                let header, eager = trace dir n.Name "eager"
                let header', fused = trace dir n.Name "fused"
                Expect.equal header' header $"{n.Name}: columns"
                for i in 0 .. eager.Length - 1 do
                    for c in 0 .. eager[i].Length - 1 do
                        let e, f = eager[i][c], fused[i][c]
                        Expect.isTrue (abs (e - f) <= 1e-12 * max 1.0 (abs e)) $"{n.Name}, row {i}, {header[c]}: eager {e}, fused {f}"

        testCase "an unknown backend is a usage error that lists the valid ones" <| fun () ->
            use dir = new TempDir()
            let input = dir.Write("x.csv", inputCsv false inputs)
            let r = snn [ "simulate"; "--neuron"; "lif"; "--input"; input; "--out"; dir.File "t.csv"; "--backend"; "turbo" ]
            Expect.equal r.Code 2 r.Err
            Expect.stringContains r.Err "unknown backend 'turbo'; valid backends: eager, fused, auto" "the message"
            Expect.isFalse (File.Exists(dir.File "t.csv")) "nothing is written"

        testCase "without a C++ compiler auto falls back to eager with a one-line notice, and fused refuses by name" <| fun () ->
            use dir = new TempDir()
            let input = dir.Write("x.csv", inputCsv false inputs)
            let env = [ "SNNDSL_CXX", "/nonexistent/c++"; "SNNDSL_KERNEL_CACHE", dir.File "kernels" ]
            let auto = snnProcess env [ "simulate"; "--neuron"; "ar-lif"; "--input"; input; "--out"; dir.File "auto.csv" ]
            Expect.equal auto.Code 0 auto.Err
            let notices = auto.Err.Split('\n') |> Array.filter (fun l -> l.Contains "runs on the eager backend")
            Expect.equal notices.Length 1 $"one notice: {auto.Err}"
            Expect.stringContains notices[0] "'/nonexistent/c++'" "the notice says why"
            let fused = snnProcess env [ "simulate"; "--neuron"; "ar-lif"; "--input"; input; "--out"; dir.File "fused.csv"; "--backend"; "fused" ]
            Expect.equal fused.Code 2 fused.Err
            Expect.stringContains fused.Err "the fused backend cannot run neuron 'ar-lif'" "the message"
            let eagerTrace = trace dir "ar-lif" "eager"
            Expect.equal (readTrace (dir.File "auto.csv")) eagerTrace "auto ran the eager backend"
    ]
