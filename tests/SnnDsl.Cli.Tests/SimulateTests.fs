/// `snn simulate` against the scalar oracle: traces, --param, --surrogate, --grads and --plot.
module SnnDsl.Cli.Tests.SimulateTests

open System
open System.IO
open System.Text.Json
open System.Xml.Linq
open Xunit
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Cli.Tests.Cli

// Inputs [T, N] in [-1, 3] on a 1/1000 grid, from a fixed seed.
let private randomInputs (seed: int) (T: int) (N: int) =
    let rng = Random(seed)
    Array2D.init T N (fun _ _ -> float (rng.Next(-1000, 3001)) / 1000.0)

// Runs `snn simulate` on x with the extra arguments; returns the outcome and the directory's file reader.
let private simulateIn (dir: TempDir) (x: float[,]) (args: string list) =
    let input = dir.Write("x.csv", inputCsv true x)
    snn ([ "simulate"; "--input"; input; "--out"; dir.File "trace.csv" ] @ args)

let private ok (r: Outcome) = Assert.True((r.Code = 0), $"exit {r.Code}: {r.Err}")

[<Fact>]
let ``the trace of every built-in equals the oracle's: spikes exactly, every state to 1e-12`` () =
    for n in Builtins.all do
        use dir = new TempDir()
        let x = randomInputs 7 12 3
        let r = simulateIn dir x [ "--neuron"; n.Name ]
        ok r
        let trace = readTrace (dir.File "trace.csv")
        let oracle = Oracle.run n Map.empty x
        let others = n.States |> List.map (fun s -> s.Name) |> List.filter ((<>) "V")
        Assert.Equal<string[]>(Array.ofList ([ "t"; "neuron"; "x"; "s"; "v" ] @ others), fst trace)
        Assert.Equal(12 * 3, (snd trace).Length)
        Assert.Equal<float[,]>(x, column trace "x")
        Assert.Equal<float[,]>(oracle.Spikes, column trace "s")
        expectNear $"{n.Name} V" 1e-12 oracle.States["V"] (column trace "v")
        for s in others do
            expectNear $"{n.Name} {s}" 1e-12 oracle.States[s] (column trace s)

[<Fact>]
let ``--param sets fixed options and learnable parameters by their raw value`` () =
    use dir = new TempDir()
    let x = randomInputs 11 10 2
    let r = simulateIn dir x [ "--neuron"; "da-lif"; "--param"; "alpha=0.3"; "--param"; "threshold = 0.5"; "--param"; "reset=-0.25" ]
    ok r
    let trace = readTrace (dir.File "trace.csv")
    let oracle = Oracle.run Builtins.daLif (Map [ "alpha", 0.3; "threshold", 0.5; "reset", -0.25 ]) x
    Assert.Equal<float[,]>(oracle.Spikes, column trace "s")
    expectNear "V" 1e-12 oracle.States["V"] (column trace "v")
    Assert.Contains(-0.25, Seq.cast<float> (column trace "v")) // the hard reset went to the new value

[<Fact>]
let ``numbers are written so that they read back exactly`` () =
    use dir = new TempDir()
    let x = array2D [ [ 1.0 / 3.0; 0.1 + 0.2 ]; [ -1e-17; 123456.789 ] ]
    ok (simulateIn dir x [ "--neuron"; "if" ])
    let trace = readTrace (dir.File "trace.csv")
    Assert.Equal<float[,]>(x, column trace "x")
    // The first step of IF from V = 0 is H = X exactly.
    Assert.Equal<float[]>([| 1.0 / 3.0; 0.1 + 0.2 |], (column trace "v")[0, *])

[<Fact>]
let ``a header row is optional, and CRLF line ends and blank lines are accepted`` () =
    use dir = new TempDir()
    let input = dir.Write("x.csv", "0.5,1.5\r\n\r\n1.25, -0.5\r\n\r\n")
    ok (snn [ "simulate"; "--neuron"; "lif"; "--input"; input; "--out"; dir.File "a.csv" ])
    let withHeader = dir.Write("y.csv", "left,right\n0.5,1.5\n1.25,-0.5\n")
    ok (snn [ "simulate"; "--neuron"; "lif"; "--input"; withHeader; "--out"; dir.File "b.csv" ])
    Assert.Equal(File.ReadAllText(dir.File "a.csv"), File.ReadAllText(dir.File "b.csv"))
    let trace = readTrace (dir.File "a.csv")
    Assert.Equal<float[,]>(array2D [ [ 0.5; 1.5 ]; [ 1.25; -0.5 ] ], column trace "x")

// The gradients file against Oracle.gradients.
let private checkGradients (n: Neuron) (surrogate: string) (x: float[,]) =
    use dir = new TempDir()
    let r = simulateIn dir x [ "--neuron"; n.Name; "--surrogate"; surrogate; "--grads"; dir.File "grads.json" ]
    ok r
    let s = match Surrogate.parse surrogate with Ok s -> s | Error e -> failwith e
    let expected = Oracle.gradients (Neuron.withSurrogate s n) Map.empty x
    use doc = JsonDocument.Parse(File.ReadAllText(dir.File "grads.json"))
    let root = doc.RootElement
    let near what (e: float) (a: float) =
        if not (abs (e - a) <= 1e-9 * max 1.0 (abs e)) then failwith $"{n.Name}, {surrogate}, {what}: oracle %.17g{e}, snn %.17g{a}"
    Assert.Equal(n.Name, root.GetProperty("neuron").GetString())
    Assert.Equal(Describe.surrogate s, root.GetProperty("surrogate").GetString())
    Assert.Equal(expected.SpikeCount, root.GetProperty("spikeCount").GetDouble())
    let pars = root.GetProperty("params").EnumerateObject() |> Seq.map (fun p -> p.Name, p.Value.GetDouble()) |> List.ofSeq
    let learnable = n.Params |> List.filter (fun p -> p.Learnable) |> List.map (fun p -> p.Name)
    Assert.Equal<string list>(learnable, List.map fst pars)
    for name, g in pars do near $"d/d{name}" expected.Params[name] g
    let rows = root.GetProperty("inputs").EnumerateArray() |> Seq.map (fun row -> row.EnumerateArray() |> Seq.map (fun v -> v.GetDouble()) |> Array.ofSeq) |> Array.ofSeq
    Assert.Equal(Array2D.length1 x, rows.Length)
    for t in 0 .. rows.Length - 1 do
        Assert.Equal(Array2D.length2 x, rows[t].Length)
        for j in 0 .. rows[t].Length - 1 do near $"d/dx[{t}][{j}]" expected.Inputs[t, j] (rows[t][j])

[<Fact>]
let ``--grads writes the oracle's gradients of the spike count for every built-in and surrogate`` () =
    let mutable nonzero = 0
    for n in Builtins.all do
        for surrogate in [ "rectangle:1"; "triangle:1"; "sigmoid:4"; "atan:2"; "fast-sigmoid:10" ] do
            checkGradients n surrogate (randomInputs 3 8 3)
    // The inputs come near the thresholds: at least the smooth surrogates give nonzero input gradients.
    let g = Oracle.gradients (Neuron.withSurrogate Surrogate.sigmoid Builtins.arLif) Map.empty (randomInputs 3 8 3)
    Assert.Contains(g.Inputs |> Seq.cast<float>, fun v -> v <> 0.0)

[<Fact>]
let ``--grads on the AR-LIF worked example gives the oracle's values`` () =
    checkGradients Builtins.arLif "rectangle:1" (array2D [ [ 0.9 ]; [ 1.6 ]; [ -0.4 ]; [ 2.2 ]; [ 0.3 ] ])
    checkGradients Builtins.daLif "triangle:1" (array2D [ [ 0.9 ]; [ 1.6 ]; [ -0.4 ]; [ 2.2 ]; [ 0.3 ] ])

[<Fact>]
let ``--plot writes a well-formed SVG with a membrane panel per neuron and a raster`` () =
    use dir = new TempDir()
    let r = simulateIn dir (randomInputs 5 20 3) [ "--neuron"; "ar-lif"; "--param"; "a=0.5"; "--plot"; dir.File "trace.svg" ]
    ok r
    let svg = XDocument.Load(dir.File "trace.svg")
    let texts = svg.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "text") |> Seq.map (fun e -> e.Value) |> List.ofSeq
    for j in 0 .. 2 do Assert.Contains($"neuron {j}", texts)
    Assert.Contains("spike raster, all 3 neurons", texts)
    Assert.Contains("time step t (0 = initial state)", texts)
    // One membrane path per neuron.
    Assert.Equal(3, svg.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "path") |> Seq.length)

[<Fact>]
let ``--plot shows the membrane of the first 8 neurons and says so when there are more`` () =
    use dir = new TempDir()
    ok (simulateIn dir (randomInputs 5 6 11) [ "--neuron"; "lif"; "--plot"; dir.File "trace.svg" ])
    let svg = XDocument.Load(dir.File "trace.svg")
    let texts = svg.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "text") |> Seq.map (fun e -> e.Value) |> List.ofSeq
    Assert.Contains("neuron 7", texts)
    Assert.DoesNotContain("neuron 8", texts)
    Assert.Contains("membrane traces of neurons 0 to 7 of 11; the raster shows all", texts)
    Assert.Contains("θ = 1", texts)

[<Fact>]
let ``outputs replace existing files and leave no temporary files`` () =
    use dir = new TempDir()
    File.WriteAllText(dir.File "trace.csv", "old")
    let r = simulateIn dir (randomInputs 1 4 2) [ "--neuron"; "plif"; "--grads"; dir.File "grads.json"; "--plot"; dir.File "trace.svg" ]
    ok r
    Assert.StartsWith("t,neuron,x,s,v\n", File.ReadAllText(dir.File "trace.csv"))
    Assert.Equal<string list>([ "grads.json"; "trace.csv"; "trace.svg"; "x.csv" ], dir.Files())
    Assert.Contains("plif: 4 steps, 2 neurons", r.Out)
    Assert.Equal("", r.Err)
