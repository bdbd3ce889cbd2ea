namespace SnnDsl.Charts

open System

/// A series of a line chart: its legend name and its y values at x = 1, 2, ... (non-finite values leave a gap).
type Series =
    { /// The series' entry in the legend.
      Name: string
      /// The y values, drawn at x = 1, 2, ...
      Values: float list }

/// Whole charts as standalone SVG documents, for notebooks, scripts and reports: they carry no script and
/// need no network.
[<RequireQualifiedAccess>]
module Chart =
    /// The colours of the series, in order (repeated after ten).
    let palette =
        [| "#1f77b4"; "#d62728"; "#2ca02c"; "#ff7f0e"; "#9467bd"; "#8c564b"; "#e377c2"; "#7f7f7f"; "#bcbd22"; "#17becf" |]

    /// A line chart of the series over x = 1 .. n with a title, axis labels, ticks and a legend, and a red dot
    /// on the first series at each x of `marks` (a neuron's spikes on its membrane, say).
    /// Fails with ArgumentException when there is no series or no finite value to draw.
    let linesWithMarks (title: string) (xLabel: string) (yLabel: string) (series: Series list) (marks: int list) : string =
        let finite = series |> List.collect (fun s -> s.Values |> List.filter Double.IsFinite)
        if series.IsEmpty || finite.IsEmpty then
            invalidArg (nameof series) $"the chart '{title}' has no finite value to draw"
        let n = series |> List.map (fun s -> s.Values.Length) |> List.max
        let width, height = 720.0, 360.0
        let left, right, top, bottom = 64.0, 150.0, 36.0, 48.0
        let plotW, plotH = width - left - right, height - top - bottom
        let lo, hi =
            let a, b = List.min finite, List.max finite
            let pad = if b > a then (b - a) * 0.05 else max 1e-3 (abs a * 0.05)
            a - pad, b + pad
        let xHi = float (max 2 n)
        let xOf (x: float) = left + (x - 1.0) / (xHi - 1.0) * plotW
        let yOf (y: float) = top + (hi - y) / (hi - lo) * plotH
        let xStep = max 1.0 (Svg.tickStep (xHi - 1.0) 8)
        let yStep = Svg.tickStep (hi - lo) 6
        let axis = "#444444"
        let curve (i: int) (s: Series) =
            // One polyline per run of finite values, so a NaN shows as a gap rather than a line to zero.
            let runs =
                s.Values
                |> List.mapi (fun k v -> float (k + 1), v)
                |> List.fold (fun acc (x, v) ->
                    match acc with
                    | _ when not (Double.IsFinite v) -> [] :: acc
                    | cur :: rest -> ((x, v) :: cur) :: rest
                    | [] -> [ [ x, v ] ]) []
                |> List.map List.rev |> List.filter (fun r -> not r.IsEmpty) |> List.rev
            let colour = palette[i % palette.Length]
            [ for r in runs do
                  match r with
                  | [ x, v ] -> yield Svg.circle (xOf x) (yOf v) 2.5 [ "fill", colour ]
                  | _ -> yield Svg.polyline [ for x, v in r -> xOf x, yOf v ] [ "stroke", colour; "stroke-width", "1.6" ] ]
        let children =
            [ yield Svg.text (left + plotW / 2.0) 22.0 title [ "text-anchor", "middle"; "font-size", "14"; "font-weight", "bold" ]
              for u in Svg.ticksWith yStep lo hi do
                  yield Svg.line left (yOf u) (left + plotW) (yOf u) [ "stroke", "#e8e8e8" ]
                  yield Svg.text (left - 6.0) (yOf u + 4.0) (Svg.tickLabel yStep u) [ "text-anchor", "end"; "fill", axis ]
              for t in Svg.ticksWith xStep 1.0 xHi do
                  yield Svg.line (xOf t) (top + plotH) (xOf t) (top + plotH + 4.0) [ "stroke", axis ]
                  yield Svg.text (xOf t) (top + plotH + 17.0) (Svg.tickLabel xStep t) [ "text-anchor", "middle"; "fill", axis ]
              yield Svg.line left top left (top + plotH) [ "stroke", axis ]
              yield Svg.line left (top + plotH) (left + plotW) (top + plotH) [ "stroke", axis ]
              yield Svg.text (left + plotW / 2.0) (height - 10.0) xLabel [ "text-anchor", "middle"; "fill", axis ]
              yield Svg.text 16.0 (top + plotH / 2.0) yLabel [ "text-anchor", "middle"; "fill", axis; "transform", $"rotate(-90 16 {Svg.num (top + plotH / 2.0)})" ]
              for i, s in List.indexed series do
                  yield! curve i s
                  let y = top + 10.0 + 18.0 * float i
                  yield Svg.line (left + plotW + 14.0) y (left + plotW + 34.0) y [ "stroke", palette[i % palette.Length]; "stroke-width", "2" ]
                  yield Svg.text (left + plotW + 40.0) (y + 4.0) s.Name [ "fill", axis ]
              let first = Array.ofList series.Head.Values
              for x in marks do
                  if x >= 1 && x <= first.Length && Double.IsFinite first[x - 1] then
                      yield Svg.circle (xOf (float x)) (yOf first[x - 1]) 4.0 [ "fill", "#d62728"; "stroke", "white"; "class", "mark" ] ]
        Svg.document width height children

    /// A line chart of the series over x = 1 .. n with a title, axis labels, ticks and a legend.
    /// Fails with ArgumentException when there is no series or no finite value to draw.
    let lines (title: string) (xLabel: string) (yLabel: string) (series: Series list) : string =
        linesWithMarks title xLabel yLabel series []
