// Simulates LIF, DA-LIF and AR-LIF on the same input current and writes one SVG: the input, then per neuron
// the membrane (V(t-1) charges to H(t), resets to V(t)), its threshold and its spikes, then a raster.
// Run after a Release build:
//   dotnet fsi examples/simulate-and-plot.fsx [--out plot.svg] [--neurons lif,da-lif,ar-lif] [--steps 60]
// Without --out the figure goes to $SNNDSL_OUT/simulate-and-plot.svg when SNNDSL_OUT is set, else to
// runs/simulate-and-plot/traces.svg (runs/ is ignored by git).
#r "../src/SnnDsl.Backends/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Backends/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Backends/bin/Release/net10.0/SnnDsl.Backends.dll"
#r "../src/SnnDsl.Charts/bin/Release/net10.0/SnnDsl.Charts.dll"

open System
open System.IO
open SnnDsl.Core
open SnnDsl.Charts

let args = fsi.CommandLineArgs |> Array.skip 1 |> Array.filter ((<>) "--")
let arg name fallback =
    match Array.tryFindIndex ((=) name) args with
    | Some i when i + 1 < args.Length -> args[i + 1]
    | _ -> fallback

let outPath =
    match arg "--out" "", Environment.GetEnvironmentVariable "SNNDSL_OUT" with
    | "", (null | "") -> Path.Combine(__SOURCE_DIRECTORY__, "..", "runs", "simulate-and-plot", "traces.svg")
    | "", dir -> Path.Combine(dir, "simulate-and-plot.svg")
    | path, _ -> path
    |> Path.GetFullPath
let neurons =
    arg "--neurons" "lif,da-lif,ar-lif"
    |> _.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
    |> Array.map (fun name -> match Builtins.find name with Ok n -> n | Error e -> failwith e)
    // AR-LIF's threshold is threshold + tanh(a) * tanh(X); a = 0.5 (default 0) makes it follow the input.
    |> Array.map (fun n -> if n.Name = "ar-lif" then Result.defaultWith failwith (Neuron.withParam "a" 0.5 n) else n)
let T = int (arg "--steps" "60")

// The input current: a slow sine around 0.5, with a strong pulse every 20 steps.
let current = Array.init T (fun t -> 0.5 + 0.4 * sin (2.0 * Math.PI * float t / 30.0) + (if t % 20 = 10 then 1.2 else 0.0))
let inputs = Array2D.init T 1 (fun t _ -> current[t])

// One column per step: the membrane before reset (H), the threshold, the spike and the membrane after reset.
type Run = { Neuron: Neuron; H: float[]; Theta: float[]; S: float[]; V: float[] }
let runs =
    [ for n in neurons ->
          let trace = Oracle.run n Map.empty inputs
          let col (a: float[,]) = Array.init T (fun t -> a[t, 0])
          { Neuron = n; H = col trace.Values["H"]; Theta = col trace.Values["theta"]; S = col trace.Spikes; V = col trace.States["V"] } ]

for r in runs do
    let count = Array.sum r.S
    printfn "%-14s %3.0f spikes in %d steps (rate %.3f), membrane in [%.3f, %.3f]"
        r.Neuron.Name count T (count / float T) (Array.min r.V) (Array.max r.H)

// The figure, drawn with the project's SVG helpers (SnnDsl.Charts.Svg, no dependency but FSharp.Core).
let width, left, plotWidth, panelHeight = 860.0, 72.0, 760.0, 120.0
let xOf (t: float) = left + t / float T * plotWidth

/// A titled panel with a y axis for [lo, hi]; `draw` gets the value-to-y map.
let panel (top: float) (title: string) (lo: float) (hi: float) (draw: (float -> float) -> string list) =
    let pad = max 1e-6 (0.08 * (hi - lo))
    let lo, hi = lo - pad, hi + pad
    let bottom = top + 22.0 + panelHeight
    let yOf (u: float) = bottom - (u - lo) / (hi - lo) * panelHeight
    let step = Svg.tickStep (hi - lo) 4
    [ yield Svg.text left (top + 14.0) title [ ("font-weight", "bold") ]
      for u in Svg.ticksWith step lo hi do
          yield Svg.line left (yOf u) (left + plotWidth) (yOf u) [ ("stroke", "#e8e8e8") ]
          yield Svg.text (left - 6.0) (yOf u + 4.0) (Svg.tickLabel step u) [ "text-anchor", "end"; "fill", "#444" ]
      yield Svg.line left (top + 22.0) left bottom [ ("stroke", "#444") ]
      yield Svg.line left bottom (left + plotWidth) bottom [ ("stroke", "#444") ]
      yield! draw yOf ]

let inputPanel =
    panel 40.0 "input current X(t)" (min 0.0 (Array.min current)) (Array.max current) (fun yOf ->
        [ Svg.polyline [ for t in 0 .. T - 1 -> (xOf (float (t + 1)), yOf current[t]) ] [ "stroke", "#2ca02c"; "stroke-width", "1.6" ] ])

let neuronPanel (i: int) (r: Run) =
    let lo = Array.min (Array.concat [ [| 0.0 |]; r.V; r.H; r.Theta ])
    let hi = Array.max (Array.concat [ r.H; r.Theta ])
    // Parameters set away from the built-in's defaults go into the title.
    let builtin = Builtins.find r.Neuron.Name |> Result.defaultWith failwith
    let changed = [ for p, d in List.zip r.Neuron.Params builtin.Params do if p.Init <> d.Init then $"{p.Name} = {p.Init}" ]
    let title = r.Neuron.Name + (if changed.IsEmpty then "" else " (" + String.concat ", " changed + ")") + $": {Array.sum r.S:F0} spikes"
    panel (40.0 + float (i + 1) * 170.0) title lo hi (fun yOf ->
        let membrane =
            "M" + Svg.num (xOf 0.0) + "," + Svg.num (yOf 0.0)
            + String.concat "" [ for t in 0 .. T - 1 -> $" L{Svg.num (xOf (float (t + 1)))},{Svg.num (yOf r.H[t])} L{Svg.num (xOf (float (t + 1)))},{Svg.num (yOf r.V[t])}" ]
        [ yield Svg.polyline [ for t in 0 .. T - 1 -> (xOf (float (t + 1)), yOf r.Theta[t]) ] [ "stroke", "#e6550d"; "stroke-dasharray", "5 3" ]
          yield Svg.path membrane [ "stroke", "#1f77b4"; "stroke-width", "1.4" ]
          for t in 0 .. T - 1 do
              if r.S[t] = 1.0 then yield Svg.circle (xOf (float (t + 1))) (yOf r.H[t]) 3.5 [ ("fill", "#d62728") ] ])

let rasterTop = 40.0 + float (runs.Length + 1) * 170.0
let raster =
    [ yield Svg.text left (rasterTop + 14.0) "spike raster" [ ("font-weight", "bold") ]
      for i, r in List.indexed runs do
          let y = rasterTop + 34.0 + float i * 18.0
          yield Svg.text (left - 6.0) (y + 4.0) r.Neuron.Name [ "text-anchor", "end"; "fill", "#444" ]
          for t in 0 .. T - 1 do
              if r.S[t] = 1.0 then yield Svg.line (xOf (float (t + 1))) (y - 7.0) (xOf (float (t + 1))) (y + 7.0) [ "stroke", "#222"; "stroke-width", "2" ]
      let bottom = rasterTop + 26.0 + float runs.Length * 18.0
      let step = Svg.tickStep (float T) 10
      for t in Svg.ticksWith step 0.0 (float T) do
          yield Svg.text (xOf t) (bottom + 14.0) (Svg.tickLabel step t) [ "text-anchor", "middle"; "fill", "#444" ]
      yield Svg.text (left + plotWidth / 2.0) (bottom + 32.0) "time step t" [ "text-anchor", "middle"; "fill", "#444" ] ]

let header =
    [ Svg.text left 24.0 "Membrane (blue), threshold (dashed orange) and spikes (red) on one input" [ "font-size", "15"; "font-weight", "bold" ] ]
let height = rasterTop + 70.0 + float runs.Length * 18.0
let svg = Svg.document width height (header @ inputPanel @ List.concat (List.mapi neuronPanel runs) @ raster)
Directory.CreateDirectory(Path.GetDirectoryName outPath) |> ignore
File.WriteAllText(outPath, svg)
printfn "wrote %s (%d bytes)" outPath svg.Length
