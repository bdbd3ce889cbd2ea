namespace SnnDsl.Cli

open System
open SnnDsl.Charts
open SnnDsl.Core
open SnnDsl.Backends

/// The figure of `snn simulate --plot`: per neuron (up to 8) the membrane trace with its threshold and
/// spikes, then a spike raster of every neuron.
[<RequireQualifiedAccess>]
module TracePlot =
    /// How many neurons get a membrane panel.
    let maxPanels = 8

    let private width = 860.0
    let private left = 72.0
    let private right = 28.0
    let private plotWidth = width - left - right
    let private panelTitle = 26.0
    let private panelHeight = 140.0
    let private panelFooter = 30.0

    let private membraneColour = "#1f77b4"
    let private thresholdColour = "#e6550d"
    let private spikeColour = "#d62728"
    let private axisColour = "#444444"
    let private gridColour = "#e8e8e8"

    // The x ticks (time steps, integers) shared by every panel; 0 is the initial state.
    let private timeTicks (T: int) =
        let step = max 1.0 (Svg.tickStep (float T) 10)
        step, Svg.ticksWith step 0.0 (float T)

    let private xAxis (xOf: float -> float) (T: int) (bottom: float) =
        let step, ticks = timeTicks T
        [ yield Svg.line left bottom (left + plotWidth) bottom [ "stroke", axisColour ]
          for t in ticks do
              yield Svg.line (xOf t) bottom (xOf t) (bottom + 4.0) [ "stroke", axisColour ]
              yield Svg.text (xOf t) (bottom + 16.0) (Svg.tickLabel step t) [ "text-anchor", "middle"; "fill", axisColour ] ]

    // One neuron's panel: y axis with grid, threshold, membrane sawtooth (V_{t-1} charges to H_t, resets to
    // V_t), spike markers at H_t.
    let private panel (s: Simulation) (j: int) (top: float) (xOf: float -> float) =
        let T, _ = Simulation.size s
        let v = s.States |> List.find (fun (n, _) -> n = "V") |> snd
        let v0 = s.Neuron.States |> List.find (fun st -> st.Name = "V") |> fun st -> st.Init
        let h = s.Values.TryFind "H"
        let theta = s.Values.TryFind "theta"
        let column (a: float[,]) = Array.init T (fun t -> a[t, j])
        let vs = column v
        let hs = h |> Option.map column
        let ths = theta |> Option.map column
        let spikes = column s.Spikes
        let all = Array.concat [ [| v0 |]; vs; defaultArg hs [||]; defaultArg ths [||] ]
        let lo0, hi0 = Array.min all, Array.max all
        let pad = if hi0 - lo0 < 1e-12 then 1.0 else 0.08 * (hi0 - lo0)
        let lo, hi = lo0 - pad, hi0 + pad
        let plotTop = top + panelTitle
        let bottom = plotTop + panelHeight
        let yOf (u: float) = bottom - (u - lo) / (hi - lo) * panelHeight
        let yStep = Svg.tickStep (hi - lo) 5
        let count = spikes |> Array.sumBy id |> int
        // Membrane: from V_{t-1} at t - 1 up to H_t at t, then down to V_t at t (the reset).
        let membrane =
            let d = Text.StringBuilder($"M{Svg.num (xOf 0.0)},{Svg.num (yOf v0)}")
            for t in 0 .. T - 1 do
                let x = Svg.num (xOf (float (t + 1)))
                match hs with
                | Some hs -> d.Append($" L{x},{Svg.num (yOf hs[t])} L{x},{Svg.num (yOf vs[t])}") |> ignore
                | None -> d.Append($" L{x},{Svg.num (yOf vs[t])}") |> ignore
            d.ToString()
        [ yield
              Svg.text left (top + 16.0) $"neuron {j}" [ "font-weight", "bold" ]
          yield
              Svg.text (left + 70.0) (top + 16.0) (if count = 1 then "1 spike" else $"{count} spikes") [ "fill", "#666666" ]
          // Horizontal grid and y ticks.
          for u in Svg.ticksWith yStep lo hi do
              yield Svg.line left (yOf u) (left + plotWidth) (yOf u) [ "stroke", gridColour ]
              yield Svg.line (left - 4.0) (yOf u) left (yOf u) [ "stroke", axisColour ]
              yield Svg.text (left - 7.0) (yOf u + 4.0) (Svg.tickLabel yStep u) [ "text-anchor", "end"; "fill", axisColour ]
          yield Svg.line left plotTop left bottom [ "stroke", axisColour ]
          yield!
              xAxis xOf T bottom
          yield
              Svg.text 18.0 (plotTop + panelHeight / 2.0) "potential"
                  [ "text-anchor", "middle"; "fill", axisColour
                    "transform", $"rotate(-90 18 {Svg.num (plotTop + panelHeight / 2.0)})" ]
          // Threshold: a constant line, or theta_t per step when it varies.
          match ths with
          | Some th when th |> Array.forall (fun u -> u = th[0]) ->
              yield Svg.line left (yOf th[0]) (left + plotWidth) (yOf th[0]) [ "stroke", thresholdColour; "stroke-width", "1.5"; "stroke-dasharray", "6 4" ]
              yield Svg.text (left + plotWidth - 2.0) (yOf th[0] - 5.0) ("θ = " + Csv.number th[0]) [ "text-anchor", "end"; "fill", thresholdColour ]
          | Some th ->
              let points = th |> Array.mapi (fun t u -> xOf (float (t + 1)), yOf u)
              yield Svg.polyline points [ "stroke", thresholdColour; "stroke-width", "1"; "stroke-dasharray", "3 3"; "opacity", "0.8" ]
              let half = min 7.0 (plotWidth / float T * 0.35)
              for x, y in points do
                  yield Svg.line (max left (x - half)) y (min (left + plotWidth) (x + half)) y [ "stroke", thresholdColour; "stroke-width", "2.5" ]
          | None -> ()
          yield Svg.path membrane [ "stroke", membraneColour; "stroke-width", "1.6"; "stroke-linejoin", "round" ]
          // Spikes: a dot where the membrane crossed the threshold (at H_t, or at V_t without H).
          for t in 0 .. T - 1 do
              if spikes[t] = 1.0 then
                  let u = match hs with Some hs -> hs[t] | None -> vs[t]
                  yield Svg.circle (xOf (float (t + 1))) (yOf u) 4.0 [ "fill", spikeColour; "stroke", "white"; "stroke-width", "1" ] ]

    // Every neuron's spikes: one row per neuron, a bar per spike.
    let private raster (s: Simulation) (top: float) (xOf: float -> float) =
        let T, N = Simulation.size s
        let rowHeight = if N <= 10 then 16.0 else max 1.0 (min 16.0 (240.0 / float N))
        let plotTop = top + panelTitle
        let height = rowHeight * float N
        let bottom = plotTop + height
        let barWidth = max 1.0 (min 3.0 (plotWidth / float T * 0.5))
        let rowY j = plotTop + (float j + 0.5) * rowHeight
        let rowStep = if N <= 10 then 1.0 else max 1.0 (Svg.tickStep (float N) 8)
        [ yield Svg.text left (top + 16.0) (if N = 1 then "spike raster" else $"spike raster, all {N} neurons") [ "font-weight", "bold" ]
          yield Svg.rect left plotTop plotWidth height [ "fill", "#fafafa"; "stroke", gridColour ]
          for j in Svg.ticksWith rowStep 0.0 (float (N - 1)) do
              let y = rowY (int j)
              yield Svg.line (left - 4.0) y left y [ "stroke", axisColour ]
              yield Svg.text (left - 7.0) (y + 4.0) (string (int j)) [ "text-anchor", "end"; "fill", axisColour ]
          yield Svg.line left plotTop left bottom [ "stroke", axisColour ]
          yield!
              xAxis xOf T bottom
          yield
              Svg.text 18.0 (plotTop + height / 2.0) "neuron"
                  [ "text-anchor", "middle"; "fill", axisColour; "transform", $"rotate(-90 18 {Svg.num (plotTop + height / 2.0)})" ]
          for t in 0 .. T - 1 do
              for j in 0 .. N - 1 do
                  if s.Spikes[t, j] = 1.0 then
                      let y = rowY j
                      let half = max 0.5 (rowHeight * 0.4)
                      yield Svg.line (xOf (float (t + 1))) (y - half) (xOf (float (t + 1))) (y + half) [ "stroke", "#222222"; "stroke-width", Svg.num barWidth ]
          yield
              Svg.text (left + plotWidth / 2.0) (bottom + 36.0) "time step t (0 = initial state)" [ "text-anchor", "middle"; "fill", axisColour ] ],
        bottom + 48.0

    let private legend (y: float) =
        let item x (sample: string list) (label: string) = sample @ [ Svg.text (x + 30.0) (y + 4.0) label [ "fill", "#333333" ] ]
        [ yield! item left [ Svg.line left y (left + 24.0) y [ "stroke", membraneColour; "stroke-width", "2" ] ] "membrane: V(t-1) charges to H(t), resets to V(t)"
          yield!
              item (left + 330.0) [ Svg.line (left + 330.0) y (left + 354.0) y [ "stroke", thresholdColour; "stroke-width", "1.5"; "stroke-dasharray", "6 4" ] ] "threshold θ"
          yield! item (left + 450.0) [ Svg.circle (left + 462.0) y 4.0 [ "fill", spikeColour ] ] "spike (S = 1)" ]

    /// The SVG document for a run.
    let render (s: Simulation) : string =
        let T, N = Simulation.size s
        let xOf (t: float) = left + t / float T * plotWidth
        let shown = min N maxPanels
        let pars =
            s.Neuron.Params |> List.map (fun p -> $"{p.Name} = {Csv.number p.Init}") |> String.concat ", "
        let surrogate = Describe.surrogates s.Neuron |> List.map Describe.surrogate |> String.concat ", "
        let sizes = (if T = 1 then "1 step" else $"{T} steps") + ", " + (if N = 1 then "1 neuron" else $"{N} neurons")
        let header =
            [ Svg.text left 26.0 $"{s.Neuron.Name}: membrane potential, threshold and spikes" [ "font-size", "16"; "font-weight", "bold" ]
              Svg.text left 46.0 $"{sizes}; raw parameters {pars}; surrogate {surrogate}" [ "fill", "#555555" ]
              if shown < N then
                  Svg.text left 64.0 $"membrane traces of neurons 0 to {shown - 1} of {N}; the raster shows all" [ "fill", "#555555" ] ]
        let legendY = if shown < N then 86.0 else 70.0
        let panelsTop = legendY + 14.0
        let panelBlock = panelTitle + panelHeight + panelFooter
        let panels = [ for j in 0 .. shown - 1 -> panel s j (panelsTop + float j * panelBlock) xOf ]
        let rasterElements, bottom = raster s (panelsTop + float shown * panelBlock) xOf
        Svg.document width (bottom + 8.0) (header @ legend legendY @ List.concat panels @ rasterElements)
