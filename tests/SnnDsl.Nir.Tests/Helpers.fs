/// Shared helpers: the independent Python writer and reader, networks run on input tables, random layers.
module SnnDsl.Nir.Tests.Helpers

open System
open System.Diagnostics
open System.IO
open Expecto
open SnnDsl.Torch
open SnnDsl.Nn

/// Debian's python3 (with python3-h5py and numpy); `python3` on PATH may be another one without them.
let python = "/usr/bin/python3"

/// Runs tests/SnnDsl.Nir.Tests/nir_independent.py with `args`; fails the test (never skips) when python3-h5py
/// is missing or the script fails, showing its output.
let independent (args: string list) : string =
    let script = Path.Combine(AppContext.BaseDirectory, "nir_independent.py")
    if not (File.Exists python) then failtest $"{python} not found: install python3-h5py (dotnet fsi build.fsx deps)"
    let psi = ProcessStartInfo(python, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)
    psi.ArgumentList.Add script
    for a in args do
        psi.ArgumentList.Add a
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    let argText = String.concat " " args
    if p.ExitCode <> 0 then
        failtest $"nir_independent.py {argText} exited {p.ExitCode} (is python3-h5py installed? apt-get install python3-h5py):\n{err}"
    out.Result

/// A CSV of numbers with one header row, as a table [rows, columns].
let readCsv (path: string) : float[,] =
    let rows =
        File.ReadAllLines path
        |> Array.skip 1
        |> Array.filter (fun l -> l.Trim() <> "")
        |> Array.map (fun l -> l.Split(',') |> Array.map (fun f -> Double.Parse(f, Globalization.CultureInfo.InvariantCulture)))
    Array2D.init rows.Length rows[0].Length (fun i j -> rows[i][j])

/// The outputs [T, outputs] of `net` for inputs [T, elements of `shape`] (batch of one).
let forward (net: Module) (shape: int[]) (inputs: float[,]) : float[,] =
    use _ = Autograd.noGrad ()
    use scope = new TensorScope()
    net.Eval()
    let steps, cols = Array2D.length1 inputs, Array2D.length2 inputs
    let x = Tensor.FromArray(Array.init (steps * cols) (fun i -> float32 inputs[i / cols, i % cols]), Array.append [| steps; 1 |] shape)
    let y = net.Forward x
    let v = y.Reshape(steps, -1).To(DType.Float64).Contiguous()
    let out = v.Shape[1]
    let values = v.ToArray<float>()
    Array2D.init steps out (fun t j -> values[t * out + j])

/// Random inputs [T, n] from a seeded generator, uniform in [lo, hi).
let randomInputs (seed: int) (steps: int) (n: int) (lo: float) (hi: float) =
    let rng = Random(seed)
    Array2D.init steps n (fun _ _ -> lo + (hi - lo) * rng.NextDouble())

/// Sets every parameter and buffer of a network to seeded random values of a sensible size (weights by
/// their fan-in, BatchNorm statistics around 1, neuron parameters left as the spec made them).
let randomize (seed: int) (net: Module) =
    use _ = Autograd.noGrad ()
    let rng = Random(seed)
    let fill (t: Tensor) (f: unit -> float) =
        let n = int t.NumElements
        use v = Tensor.FromArray(Array.init n (fun _ -> float32 (f ())), t.Shape)
        t.CopyFrom v
    for _, m in net.NamedModules() do
        match m with
        | :? Linear as l ->
            let fanIn = float l.Weight.Shape[1]
            fill l.Weight (fun () -> (rng.NextDouble() * 2.0 - 0.5) * 2.0 / sqrt fanIn)
            l.Bias |> Option.iter (fun b -> fill b (fun () -> rng.NextDouble() * 0.4))
        | :? Conv2d as c ->
            let ws = c.Weight.Shape
            let fanIn = float (ws[1] * ws[2] * ws[3])
            fill c.Weight (fun () -> (rng.NextDouble() * 2.0 - 0.5) * 2.0 / sqrt fanIn)
            c.Bias |> Option.iter (fun b -> fill b (fun () -> rng.NextDouble() * 0.4))
        | :? BatchNorm as bn ->
            fill bn.Weight (fun () -> 0.5 + rng.NextDouble())
            fill bn.Bias (fun () -> rng.NextDouble() * 0.4 - 0.1)
            fill bn.RunningMean (fun () -> rng.NextDouble() * 0.4 - 0.2)
            fill bn.RunningVar (fun () -> 0.5 + rng.NextDouble())
        | _ -> ()
