// Data-parallel throughput of `snn train` on this machine: the default model (small-conv, DA-LIF, T = 4) on
// the embedded synthetic data, 1 process x 2 threads against 2 processes x 1 thread (`--nproc 2`), the same
// global batch (32 = 2 x 16), in interleaved rounds. Prints training samples per second (from each run's
// metrics.jsonl: training samples / training seconds of the epoch) and their ratio.
//
//   dotnet fsi bench/distributed.fsx [rounds=3] [samples=2048]
//
// Needs the solution built (dotnet fsi build.fsx build).
open System
open System.Diagnostics
open System.IO
open System.Text.Json

let args = fsi.CommandLineArgs |> Array.skip 1
let rounds = if args.Length > 0 then int args[0] else 3
let samples = if args.Length > 1 then int args[1] else 2048
let snn = Path.Combine(__SOURCE_DIRECTORY__, "..", "src", "SnnDsl.Cli", "bin", "Release", "net10.0", "snn.dll")
if not (File.Exists snn) then failwith $"{snn} is missing: run `dotnet fsi build.fsx build` first"

/// Runs one epoch and returns training samples per second.
let run (label: string) (extra: string list) =
    let out = Path.Combine(Path.GetTempPath(), $"snndsl-bench-dist-{Guid.NewGuid():N}")
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
    for a in [ snn; "train"; "--dataset"; "synthetic"; "--limit-train"; string samples; "--limit-test"; "64"; "--epochs"; "1"
               "--timesteps"; "4"; "--checkpoint-every"; "0"; "--no-report"; "--out"; out ] @ extra do
        psi.ArgumentList.Add a
    use p = Process.Start psi
    let err = p.StandardError.ReadToEndAsync()
    p.StandardOutput.ReadToEnd() |> ignore
    p.WaitForExit()
    if p.ExitCode <> 0 then failwith $"{label}: exit code {p.ExitCode}: {err.Result}"
    let line = File.ReadAllLines(Path.Combine(out, "metrics.jsonl")) |> Array.last
    let seconds = JsonDocument.Parse(line).RootElement.GetProperty("seconds").GetDouble()
    Directory.Delete(out, true)
    float samples / seconds

let one = ResizeArray<float>()
let two = ResizeArray<float>()
for r in 1..rounds do
    let a = run "1x2" [ "--batch-size"; "32"; "--threads"; "2" ]
    let b = run "2x1" [ "--batch-size"; "16"; "--nproc"; "2"; "--threads"; "2" ]
    one.Add a
    two.Add b
    printfn "round %d: 1 process x 2 threads %.0f samples/s, 2 processes x 1 thread %.0f samples/s (ratio %.2f)" r a b (b / a)
let median (xs: ResizeArray<float>) = (Seq.sort xs |> Seq.toArray)[xs.Count / 2]
printfn "median: 1x2 %.0f samples/s, 2x1 %.0f samples/s, 2x1 / 1x2 = %.2f" (median one) (median two) (median two / median one)
