namespace SnnDsl.Interactive

open System
open System.Globalization
open System.Net
open SnnDsl.Core
open SnnDsl.Charts
open SnnDsl.Nn
open SnnDsl.Verify
open SnnDsl.Data
open SnnDsl.Training

/// A standalone SVG document (what SnnDsl.Charts draws) that a notebook shows as the picture itself.
type Figure =
    /// The SVG document's text.
    | Figure of svg: string

/// HTML for what a notebook shows: a neuron's equations and states, a simulated trace as a chart, a
/// network's layers, a law table with its counterexample, the charts of a training run. Plain strings with
/// inline SVG: they render with no script and no network. The kernel extension (extension.dib in the
/// package) registers them as the text/html formatters of those types.
[<RequireQualifiedAccess>]
module Html =
    let private enc (s: string) = WebUtility.HtmlEncode s
    let private num (v: float) = v.ToString("G6", CultureInfo.InvariantCulture)
    let private style =
        "<style>.snndsl table{border-collapse:collapse;margin:4px 0}.snndsl td,.snndsl th{border:1px solid #ddd;"
        + "padding:2px 8px;text-align:left;font-family:monospace}.snndsl th{background:#f4f4f4}"
        + ".snndsl .fail{color:#b00020;font-weight:bold}.snndsl .pass{color:#1b7f3b}</style>"
    // An SVG document as an element inside HTML: without its XML declaration.
    let private svg (document: string) =
        if document.StartsWith "<?xml" then document.Substring(document.IndexOf('\n') + 1) else document
    let private box (body: string) = $"<div class=\"snndsl\">{style}{body}</div>"
    let private table (header: string list) (rows: string list list) =
        let cells tag (r: string list) = r |> List.map (fun c -> $"<{tag}>{c}</{tag}>") |> String.concat ""
        "<table><tr>" + cells "th" header + "</tr>" + (rows |> List.map (fun r -> "<tr>" + cells "td" r + "</tr>") |> String.concat "") + "</table>"

    /// A neuron: its name and description, the step program (bindings and state updates), its surrogate,
    /// and tables of its parameters and states.
    let neuron (n: Neuron) : string =
        let pars =
            [ for p in n.Params ->
                  [ enc p.Name; num p.Init; enc (Describe.effective p); (if p.Learnable then "learnable" else "fixed")
                    (match p.Granularity with
                     | Granularity.PerLayer -> "per layer"
                     | Granularity.PerChannel -> "per channel"
                     | Granularity.PerNeuron -> "per neuron")
                    enc p.Doc ] ]
        let states = [ for s in n.States -> [ enc s.Name; num s.Init; enc s.Doc ] ]
        box (
            $"<b>{enc n.Name}</b>: {enc n.Description}"
            + "<pre>" + enc (String.concat "\n" (Describe.equations n)) + "</pre>"
            + $"<div>output <code>{enc n.Output}</code>; surrogate "
            + (Describe.surrogates n |> List.map (Describe.surrogate >> enc) |> String.concat ", ") + "</div>"
            + (if pars.IsEmpty then "" else table [ "parameter"; "raw default"; "effective"; "kind"; "granularity"; "doc" ] pars)
            + (if states.IsEmpty then "" else table [ "state"; "initially"; "doc" ] states))

    /// The chart of a simulated trace: for each of the first `columns` neurons, every state and binding over
    /// time except the spike, with a dot where the neuron fired (a standalone SVG each).
    let traceChart (columns: int) (trace: Trace) : string =
        let T, N = Array2D.length1 trace.Spikes, Array2D.length2 trace.Spikes
        if T = 0 || N = 0 then box "<i>an empty trace (no step or no neuron)</i>"
        else
            let spikeNames = set [ "S" ]
            let charts =
                [ for j in 0 .. min N columns - 1 ->
                      let series =
                          [ for KeyValue(name, v) in trace.Values do
                                if not (spikeNames.Contains name) then yield { Name = name; Values = [ for t in 0 .. T - 1 -> v[t, j] ] }
                            for KeyValue(name, v) in trace.States do
                                if not (trace.Values.ContainsKey name) then yield { Name = name; Values = [ for t in 0 .. T - 1 -> v[t, j] ] } ]
                      let spikes = [ for t in 0 .. T - 1 do if trace.Spikes[t, j] <> 0.0 then yield t + 1 ]
                      let count = spikes.Length
                      let title = $"neuron {j}: " + (if count = 1 then "1 spike" else $"{count} spikes") + $" in {T} steps"
                      svg (Chart.linesWithMarks title "time step t" "value" series spikes) ]
            let more = if N > columns then $"<div>the first {columns} of {N} neurons</div>" else ""
            box (String.concat "" charts + more)

    /// A network: one row per module (path, type, parameters and their shapes), and the total.
    let network (m: Module) : string =
        let rows =
            [ for path, child in m.NamedModules() ->
                  let own = child.NamedParameters() |> List.filter (fun (n, _) -> not (n.Contains "."))
                  let shapes = own |> List.map (fun (n, t) -> $"{n} [{String.Join(',', t.Shape)}]") |> String.concat ", "
                  [ enc (if path = "" then "(root)" else path); enc (child.GetType().Name)
                    string (own |> List.sumBy (fun (_, t) -> t.NumElements)); enc shapes ] ]
        box (table [ "module"; "type"; "parameters"; "shapes" ] rows + $"<div>{m.ParameterCount()} parameters in all</div>")

    /// A law table: each law's outcome, and for a failing law its shrunk counterexample as `snn verify`
    /// prints it, with the seed that replays it.
    let laws (results: LawResult list) : string =
        let rows =
            [ for r in results ->
                  match r.Outcome with
                  | Outcome.Passed cases -> [ enc r.Law; "<span class=\"pass\">passed</span>"; $"{cases} cases" ]
                  | Outcome.Failed c ->
                      [ enc r.Law; "<span class=\"fail\">FAILED</span>"
                        enc c.Reason + $" (case {c.CaseNumber}, shrunk {c.Shrinks} times, seed {r.Seed})"
                        + "<pre>" + enc (Table.render c.Case c.At) + "</pre>" ]
                  | Outcome.Exhausted(passed, skipped) -> [ enc r.Law; "exhausted"; $"{passed} passed, {skipped} skipped" ]
                  | Outcome.NotRun why -> [ enc r.Law; "not run"; enc why ] ]
        let failed = results |> List.filter (fun r -> match r.Outcome with Outcome.Failed _ -> true | _ -> false) |> List.length
        box (table [ "law"; "outcome"; "detail" ] rows
             + $"<div>{results.Length - failed} of {results.Length} laws hold</div>")

    /// A training run's charts, one per epoch list: loss (train and test), accuracy, and the firing rate of
    /// each spiking layer over the epochs.
    let epochs (ms: EpochMetrics list) : string =
        if ms.IsEmpty then box "<i>no epoch yet</i>"
        else
            let s name f = { Name = name; Values = ms |> List.map f }
            let layers = (List.last ms).FiringRates |> List.map fst
            let rate l (m: EpochMetrics) = m.FiringRates |> List.tryFind (fst >> (=) l) |> Option.map snd |> Option.defaultValue nan
            let last = List.last ms
            box (
                svg (Chart.lines "loss" "epoch" "loss" [ s "train" _.TrainLoss; s "test" _.TestLoss ])
                + svg (Chart.lines "accuracy" "epoch" "accuracy" [ s "train" _.TrainAccuracy; s "test" _.TestAccuracy ])
                + (if layers.IsEmpty then "" else svg (Chart.lines "firing rate" "epoch" "spikes per neuron and step" [ for l in layers -> s l (rate l) ]))
                + $"<div>epoch {last.Epoch}: test accuracy {num last.TestAccuracy}, test loss {num last.TestLoss}</div>")

    /// A figure, inline.
    let figure (Figure document) : string = svg document

    /// Integrated event frames side by side as one SVG document: ON events red, OFF events blue, brighter for
    /// more events (scaled to the busiest pixel), `counts` laid out [frame, polarity, y, x] as Frames.counts
    /// gives. Fails with ArgumentException when `counts` does not hold that many cells.
    let framesFigure (sensor: SensorSize) (frames: int) (counts: int[]) : Figure =
        if counts.Length <> frames * sensor.FrameSize then
            invalidArg (nameof counts) $"{counts.Length} counts for {frames} frames of {sensor} (expected {frames * sensor.FrameSize})"
        let w, h = sensor.Width, sensor.Height
        let cell = max 1.0 (96.0 / float (max w h))
        let gap = 6.0
        let peak = float (max 1 (Array.max (Array.append counts [| 0 |])))
        let plane = w * h
        let pixels =
            [ for f in 0 .. frames - 1 do
                  let ox = float f * (float w * cell + gap)
                  for y in 0 .. h - 1 do
                      for x in 0 .. w - 1 do
                          let at p = if p < sensor.Polarities then counts[f * sensor.FrameSize + p * plane + y * w + x] else 0
                          let off, on = at 0, at 1
                          if on + off > 0 then
                              let level (c: int) = int (64.0 + 191.0 * float c / peak)
                              let colour = $"rgb({(if on > 0 then level on else 0)},0,{(if off > 0 then level off else 0)})"
                              yield Svg.rect (ox + float x * cell) (float y * cell) cell cell [ "fill", colour ] ]
        let width = float frames * (float w * cell + gap) - gap
        let backgrounds = [ for f in 0 .. frames - 1 -> Svg.rect (float f * (float w * cell + gap)) 0.0 (float w * cell) (float h * cell) [ "fill", "#141414" ] ]
        Figure(Svg.document width (float h * cell) (backgrounds @ pixels))

    /// Integrated event frames side by side, inline (framesFigure).
    let frames (sensor: SensorSize) (frames: int) (counts: int[]) : string = box (figure (framesFigure sensor frames counts))
