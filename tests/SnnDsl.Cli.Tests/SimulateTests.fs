/// `snn simulate` against the scalar oracle: traces, --param, --surrogate, --grads and --plot.
module SnnDsl.Cli.Tests.SimulateTests

open System
open System.IO
open System.Text.Json
open System.Xml.Linq
open Expecto
open SnnDsl.TestKit
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

let private ok (r: Outcome) = Expect.isTrue (r.Code = 0) ($"exit {r.Code}: {r.Err}")

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
    Expect.equal (root.GetProperty("neuron").GetString()) n.Name "root.GetProperty(\"neuron\").GetString()"
    Expect.equal (root.GetProperty("surrogate").GetString()) (Describe.surrogate s) "root.GetProperty(\"surrogate\").GetString()"
    Expect.equal (root.GetProperty("spikeCount").GetDouble()) expected.SpikeCount "root.GetProperty(\"spikeCount\").GetDouble()"
    let pars = root.GetProperty("params").EnumerateObject() |> Seq.map (fun p -> p.Name, p.Value.GetDouble()) |> List.ofSeq
    let learnable = n.Params |> List.filter (fun p -> p.Learnable) |> List.map (fun p -> p.Name)
    Expect.equal (List.map fst pars : string list) learnable "List.map fst pars"
    for name, g in pars do near $"d/d{name}" expected.Params[name] g
    let rows = root.GetProperty("inputs").EnumerateArray() |> Seq.map (fun row -> row.EnumerateArray() |> Seq.map (fun v -> v.GetDouble()) |> Array.ofSeq) |> Array.ofSeq
    Expect.equal rows.Length (Array2D.length1 x) "rows.Length"
    for t in 0 .. rows.Length - 1 do
        Expect.equal (rows[t].Length) (Array2D.length2 x) "rows[t].Length"
        for j in 0 .. rows[t].Length - 1 do near $"d/dx[{t}][{j}]" expected.Inputs[t, j] (rows[t][j])

[<Tests>]
let tests =
    testSequenced <| testList "Simulate" [
        testCase "the trace of every built-in equals the oracle's: spikes exactly, every state to 1e-12" <| fun () ->
            for n in Builtins.all do
                use dir = new TempDir()
                let x = randomInputs 7 12 3
                let r = simulateIn dir x [ "--neuron"; n.Name ]
                ok r
                let trace = readTrace (dir.File "trace.csv")
                let oracle = Oracle.run n Map.empty x
                let others = n.States |> List.map (fun s -> s.Name) |> List.filter ((<>) "V")
                Expect.equal (fst trace : string[]) (Array.ofList ([ "t"; "neuron"; "x"; "s"; "v" ] @ others)) "fst trace"
                Expect.equal ((snd trace).Length) (12 * 3) "(snd trace).Length"
                Expect.equal (column trace "x" : float[,]) x "column trace \"x\""
                Expect.equal (column trace "s" : float[,]) oracle.Spikes "column trace \"s\""
                expectTable $"{n.Name} V" 1e-12 oracle.States["V"] (column trace "v")
                for s in others do
                    expectTable $"{n.Name} {s}" 1e-12 oracle.States[s] (column trace s)

        testCase "--param sets fixed options and learnable parameters by their raw value" <| fun () ->
            use dir = new TempDir()
            let x = randomInputs 11 10 2
            let r = simulateIn dir x [ "--neuron"; "da-lif"; "--param"; "alpha=0.3"; "--param"; "threshold = 0.5"; "--param"; "reset=-0.25" ]
            ok r
            let trace = readTrace (dir.File "trace.csv")
            let oracle = Oracle.run Builtins.daLif (Map [ "alpha", 0.3; "threshold", 0.5; "reset", -0.25 ]) x
            Expect.equal (column trace "s" : float[,]) oracle.Spikes "column trace \"s\""
            expectTable "V" 1e-12 oracle.States["V"] (column trace "v")
            Expect.contains (Seq.cast<float> (column trace "v")) -0.25 "Seq.cast<float> (column trace \"v\")" // the hard reset went to the new value

        testCase "numbers are written so that they read back exactly" <| fun () ->
            use dir = new TempDir()
            let x = array2D [ [ 1.0 / 3.0; 0.1 + 0.2 ]; [ -1e-17; 123456.789 ] ]
            ok (simulateIn dir x [ "--neuron"; "if" ])
            let trace = readTrace (dir.File "trace.csv")
            Expect.equal (column trace "x" : float[,]) x "column trace \"x\""
            // The first step of IF from V = 0 is H = X exactly.
            Expect.equal ((column trace "v")[0, *] : float[]) ([| 1.0 / 3.0; 0.1 + 0.2 |]) "(column trace \"v\")[0, *]"

        testCase "a header row is optional, and CRLF line ends and blank lines are accepted" <| fun () ->
            use dir = new TempDir()
            let input = dir.Write("x.csv", "0.5,1.5\r\n\r\n1.25, -0.5\r\n\r\n")
            ok (snn [ "simulate"; "--neuron"; "lif"; "--input"; input; "--out"; dir.File "a.csv" ])
            let withHeader = dir.Write("y.csv", "left,right\n0.5,1.5\n1.25,-0.5\n")
            ok (snn [ "simulate"; "--neuron"; "lif"; "--input"; withHeader; "--out"; dir.File "b.csv" ])
            Expect.equal (File.ReadAllText(dir.File "b.csv")) (File.ReadAllText(dir.File "a.csv")) "File.ReadAllText(dir.File \"b.csv\")"
            let trace = readTrace (dir.File "a.csv")
            Expect.equal (column trace "x" : float[,]) (array2D [ [ 0.5; 1.5 ]; [ 1.25; -0.5 ] ]) "column trace \"x\""

        testCase "--grads writes the oracle's gradients of the spike count for every built-in and surrogate" <| fun () ->
            let mutable nonzero = 0
            for n in Builtins.all do
                for surrogate in [ "rectangle:1"; "triangle:1"; "sigmoid:4"; "atan:2"; "fast-sigmoid:10" ] do
                    checkGradients n surrogate (randomInputs 3 8 3)
            // The inputs come near the thresholds: at least the smooth surrogates give nonzero input gradients.
            let g = Oracle.gradients (Neuron.withSurrogate Surrogate.sigmoid Builtins.arLif) Map.empty (randomInputs 3 8 3)
            Expect.exists (g.Inputs |> Seq.cast<float>) (fun v -> v <> 0.0) "g.Inputs |> Seq.cast<float>"

        testCase "--grads on the AR-LIF worked example gives the oracle's values" <| fun () ->
            checkGradients Builtins.arLif "rectangle:1" (array2D [ [ 0.9 ]; [ 1.6 ]; [ -0.4 ]; [ 2.2 ]; [ 0.3 ] ])
            checkGradients Builtins.daLif "triangle:1" (array2D [ [ 0.9 ]; [ 1.6 ]; [ -0.4 ]; [ 2.2 ]; [ 0.3 ] ])

        testCase "--plot writes a well-formed SVG with a membrane panel per neuron and a raster" <| fun () ->
            use dir = new TempDir()
            let r = simulateIn dir (randomInputs 5 20 3) [ "--neuron"; "ar-lif"; "--param"; "a=0.5"; "--plot"; dir.File "trace.svg" ]
            ok r
            let svg = XDocument.Load(dir.File "trace.svg")
            let texts = svg.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "text") |> Seq.map (fun e -> e.Value) |> List.ofSeq
            for j in 0 .. 2 do Expect.contains texts ($"neuron {j}") "texts"
            Expect.contains texts "spike raster, all 3 neurons" "texts"
            Expect.contains texts "time step t (0 = initial state)" "texts"
            // One membrane path per neuron.
            Expect.equal (svg.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "path") |> Seq.length) 3 "svg.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = \"path\") |> Seq.length"

        testCase "--plot shows the membrane of the first 8 neurons and says so when there are more" <| fun () ->
            use dir = new TempDir()
            ok (simulateIn dir (randomInputs 5 6 11) [ "--neuron"; "lif"; "--plot"; dir.File "trace.svg" ])
            let svg = XDocument.Load(dir.File "trace.svg")
            let texts = svg.Descendants() |> Seq.filter (fun e -> e.Name.LocalName = "text") |> Seq.map (fun e -> e.Value) |> List.ofSeq
            Expect.contains texts "neuron 7" "texts"
            Expect.lacks texts "neuron 8" "texts"
            Expect.contains texts "membrane traces of neurons 0 to 7 of 11; the raster shows all" "texts"
            Expect.contains texts "θ = 1" "texts"

        testCase "outputs replace existing files and leave no temporary files" <| fun () ->
            use dir = new TempDir()
            File.WriteAllText(dir.File "trace.csv", "old")
            let r = simulateIn dir (randomInputs 1 4 2) [ "--neuron"; "plif"; "--grads"; dir.File "grads.json"; "--plot"; dir.File "trace.svg" ]
            ok r
            Expect.stringStarts (File.ReadAllText(dir.File "trace.csv")) ("t,neuron,x,s,v\n") "File.ReadAllText(dir.File \"trace.csv\")"
            Expect.equal (dir.Files() : string list) ([ "grads.json"; "trace.csv"; "trace.svg"; "x.csv" ]) "dir.Files()"
            Expect.stringContains r.Out "plif: 4 steps, 2 neurons" "r.Out"
            Expect.equal r.Err "" "r.Err"
    ]
