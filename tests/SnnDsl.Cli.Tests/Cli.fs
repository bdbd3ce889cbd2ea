/// Running `snn` in-process, in a temporary directory, and reading what it wrote.
module SnnDsl.Cli.Tests.Cli

open System
open System.Globalization
open System.IO
open SnnDsl.TestKit

// Training tests share libtorch's global generator and thread count: every list is sequenced (one test at
// a time).

/// What one run of `snn` returned and printed.
type Outcome = { Code: int; Out: string; Err: string }

/// The `snn` program beside the tests, for runs in a child process.
let snnDll = Path.Combine(AppContext.BaseDirectory, "snn.dll")

/// Runs `snn` with these arguments through its entry function.
let snn (args: string list) : Outcome =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = SnnDsl.Cli.Program.run (Array.ofList args) out err
    { Code = code; Out = out.ToString(); Err = err.ToString() }

/// Inputs [T, N] as CSV text, with an optional header.
let inputCsv (header: bool) (x: float[,]) =
    [ if header then yield String.Join(",", [ for j in 0 .. Array2D.length2 x - 1 -> $"n{j}" ])
      for t in 0 .. Array2D.length1 x - 1 do
          yield String.Join(",", [ for j in 0 .. Array2D.length2 x - 1 -> x[t, j].ToString("R", CultureInfo.InvariantCulture) ]) ]
    |> String.concat "\n"

/// The output CSV: its header and its rows as numbers.
let readTrace (path: string) : string[] * float[][] =
    let lines = File.ReadAllLines path
    let header = lines[0].Split(',')
    header, lines[1..] |> Array.map (fun l -> l.Split(',') |> Array.map (fun f -> Double.Parse(f, CultureInfo.InvariantCulture)))

/// One column of the trace as [T, N] (rows are t = 1.., neuron = 0.. in that order).
let column (header: string[], rows: float[][]) (name: string) : float[,] =
    let c = Array.IndexOf(header, name)
    if c < 0 then failwith $"no column '{name}' in %A{header}"
    let T = rows |> Array.map (fun r -> int r[0]) |> Array.max
    let N = (rows |> Array.map (fun r -> int r[1]) |> Array.max) + 1
    let a = Array2D.zeroCreate T N
    for r in rows do a[int r[0] - 1, int r[1]] <- r[c]
    a

/// Polls the checkpoint at `path` while `running ()` (3 minutes at most) until `act` returns Some for the
/// position it holds, as a test does that kills a run once it stands mid-epoch; None when the run ended or
/// the time ran out first.
let awaitCheckpoint (path: string) (running: unit -> bool) (act: SnnDsl.Training.RunPosition -> 'a option) : 'a option =
    let deadline = DateTime.UtcNow.AddMinutes 3.0
    let mutable result = None
    while result.IsNone && running () && DateTime.UtcNow < deadline do
        if File.Exists path then
            result <- act (snd (SnnDsl.Training.Checkpoint.readHeader path))
        if result.IsNone then Threading.Thread.Sleep 10
    result

/// The saved tensors of a checkpoint (parameters, buffers, optimiser state) as float64 arrays, by name.
let savedValues (path: string) =
    let entries = SnnDsl.Torch.TensorFile.load path SnnDsl.Torch.Device.Cpu
    try
        entries
        |> Array.filter (fun (n, _) -> n.StartsWith "param/" || n.StartsWith "buffer/" || n.StartsWith "optim/")
        |> Array.map (fun (n, t) -> n, (use d = t.To(SnnDsl.Torch.DType.Float64) in d.ToArray<float>()))
        |> Map.ofArray
    finally
        for _, t in entries do t.Dispose()
