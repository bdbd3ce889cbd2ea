namespace SnnDsl.Report

open System
open System.IO
open System.Text
open SnnDsl.Charts
open SnnDsl.Training

/// A study's figures and reports: the accuracy figure (SVG), the Markdown tables and the HTML report of
/// every finished run (Report.write).
[<RequireQualifiedAccess>]
module StudyReport =
    /// A standalone SVG of the final test accuracy per cell: each seed as a dot, the mean as a bar with
    /// ± one standard deviation (the figure docs/results.md shows).
    let accuracyFigure (study: Study) (results: CellResult list) : string =
        let rowH, left, right, top = 22.0, 260.0, 40.0, 40.0
        let plotW = 420.0
        let width = left + plotW + right
        let height = top + rowH * float results.Length + 50.0
        let values = results |> List.collect (fun r -> r.Accuracies |> List.filter Double.IsFinite) |> List.map ((*) 100.0)
        let lo, hi =
            match values with
            | [] -> 0.0, 100.0
            | vs ->
                let a, b = List.min vs, List.max vs
                let pad = max 0.5 ((b - a) * 0.15)
                a - pad, b + pad
        let step = Svg.tickStep (hi - lo) 6
        let x v = left + (v - lo) / (hi - lo) * plotW
        let children =
            [ yield Svg.text (width / 2.0) 20.0 (study.Name + ": final test accuracy in percent; seeds as dots, mean ± std") [ "text-anchor", "middle"; "font-size", "13" ]
              for t in Svg.ticksWith step lo hi do
                  yield Svg.line (x t) top (x t) (height - 40.0) [ "stroke", "#ddd" ]
                  yield Svg.text (x t) (height - 24.0) (Svg.tickLabel step t) [ "text-anchor", "middle"; "font-size", "11" ]
              for i, r in List.indexed results do
                  let y = top + rowH * (float i + 0.5)
                  yield Svg.text (left - 8.0) (y + 4.0) r.Cell [ "text-anchor", "end"; "font-size", "12" ]
                  if Double.IsFinite r.Accuracy.Mean then
                      let m = 100.0 * r.Accuracy.Mean
                      let sd = if Double.IsFinite r.Accuracy.Std then 100.0 * r.Accuracy.Std else 0.0
                      yield Svg.line (x (m - sd)) y (x (m + sd)) y [ "stroke", "#1f77b4"; "stroke-width", "2" ]
                      yield Svg.rect (x m - 1.5) (y - 7.0) 3.0 14.0 [ "fill", "#1f77b4" ]
                  for a in r.Accuracies |> List.filter Double.IsFinite do
                      yield Svg.circle (x (100.0 * a)) y 3.0 [ "fill", "none"; "stroke", "#d62728" ] ]
        Svg.document width height children

    /// Writes the study's HTML report (every finished run overlaid) and its Markdown table into Root.
    let write (study: Study) (results: CellResult list) (pairs: (string * string) list) (command: string) =
        let dirs = [ for c in study.Cells do for s in study.Seeds do if Study.state study c s = RunState.Finished then yield Study.runDir study c s ]
        let html = Path.Combine(study.Root, "report.html")
        if not dirs.IsEmpty then Report.write html dirs
        let md = Path.Combine(study.Root, "results.md")
        SnnDsl.Core.AtomicFile.write md (fun s ->
            let bytes = UTF8Encoding(false).GetBytes(Study.markdown study results pairs command)
            s.Write(bytes, 0, bytes.Length))
        SnnDsl.Core.AtomicFile.write (Path.Combine(study.Root, "accuracy.svg")) (fun s ->
            let bytes = UTF8Encoding(false).GetBytes(accuracyFigure study results)
            s.Write(bytes, 0, bytes.Length))
        html, md
