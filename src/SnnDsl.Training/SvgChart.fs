namespace SnnDsl.Training

open System
open System.Text

/// Minimal hand-written SVG line charts (no plotting library is available here).
[<RequireQualifiedAccess>]
module SvgChart =
    type Series = { Name: string; Points: (float * float) list }

    let private palette = [| "#1f77b4"; "#d62728"; "#2ca02c"; "#ff7f0e"; "#9467bd"; "#8c564b"; "#e377c2"; "#17becf"; "#7f7f7f"; "#bcbd22" |]

    let private f = Svg.num
    let private escape = Svg.escape

    /// Round tick values covering [lo, hi], about `count` of them, with their labels.
    let private ticks (lo: float) (hi: float) (count: int) =
        let step = Svg.tickStep (if hi > lo then hi - lo else 1.0) count
        Svg.ticksWith step lo hi |> List.map (fun v -> v, Svg.tickLabel step v)

    /// A line chart with axes, ticks, a title and a legend; non-finite points are skipped.
    let lines (title: string) (xLabel: string) (yLabel: string) (series: Series list) : string =
        let width, height = 560.0, 320.0
        let left, right, top, bottom = 64.0, 150.0, 32.0, 44.0
        let pts = series |> List.collect (fun s -> s.Points) |> List.filter (fun (x, y) -> Double.IsFinite x && Double.IsFinite y)
        let sb = StringBuilder()
        let add (s: string) = sb.Append(s).Append('\n') |> ignore
        add $"""<svg xmlns="http://www.w3.org/2000/svg" width="{f width}" height="{f height}" viewBox="0 0 {f width} {f height}" font-family="sans-serif" font-size="11">"""
        add $"""<text x="{f (width / 2.0)}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{escape title}</text>"""
        if pts.IsEmpty then
            add $"""<text x="{f (width / 2.0)}" y="{f (height / 2.0)}" text-anchor="middle">no data</text>"""
        else
            let xs, ys = List.map fst pts, List.map snd pts
            let x0, x1 = List.min xs, List.max xs
            let y0, y1 =
                let lo, hi = List.min ys, List.max ys
                if hi - lo < 1e-12 then lo - 0.5, hi + 0.5 else lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
            let x1 = if x1 = x0 then x0 + 1.0 else x1
            let px x = left + (x - x0) / (x1 - x0) * (width - left - right)
            let py y = height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)
            add $"""<rect x="{f left}" y="{f top}" width="{f (width - left - right)}" height="{f (height - top - bottom)}" fill="none" stroke="#444"/>"""
            for t, label in ticks y0 y1 5 do
                add $"""<line x1="{f left}" x2="{f (width - right)}" y1="{f (py t)}" y2="{f (py t)}" stroke="#ddd"/>"""
                add $"""<text x="{f (left - 6.0)}" y="{f (py t + 4.0)}" text-anchor="end">{label}</text>"""
            // Epoch axes: whole numbers only.
            let integral = xs |> List.forall (fun x -> x = round x)
            let xTicks =
                if integral then ticks x0 x1 6 |> List.filter (fun (t, _) -> t = round t) |> List.map (fun (t, _) -> t, string (int64 t))
                else ticks x0 x1 6
            for t, label in xTicks do
                add $"""<line x1="{f (px t)}" x2="{f (px t)}" y1="{f (height - bottom)}" y2="{f (height - bottom + 4.0)}" stroke="#444"/>"""
                add $"""<text x="{f (px t)}" y="{f (height - bottom + 16.0)}" text-anchor="middle">{label}</text>"""
            add $"""<text x="{f ((left + width - right) / 2.0)}" y="{f (height - 8.0)}" text-anchor="middle">{escape xLabel}</text>"""
            add $"""<text transform="translate(14 {f ((top + height - bottom) / 2.0)}) rotate(-90)" text-anchor="middle">{escape yLabel}</text>"""
            series
            |> List.iteri (fun i s ->
                let colour = palette[i % palette.Length]
                let dash = if i >= palette.Length then " stroke-dasharray=\"4 3\"" else ""
                let good = s.Points |> List.filter (fun (x, y) -> Double.IsFinite x && Double.IsFinite y)
                let path = good |> List.map (fun (x, y) -> $"{f (px x)},{f (py y)}") |> String.concat " "
                if good.Length > 1 then
                    add $"""<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.8"{dash}/>"""
                for x, y in good do
                    add $"""<circle cx="{f (px x)}" cy="{f (py y)}" r="2.5" fill="{colour}"/>"""
                let ly = top + 12.0 + float i * 15.0
                add $"""<line x1="{f (width - right + 10.0)}" x2="{f (width - right + 28.0)}" y1="{f (ly - 4.0)}" y2="{f (ly - 4.0)}" stroke="{colour}" stroke-width="2"{dash}/>"""
                add $"""<text x="{f (width - right + 32.0)}" y="{f ly}">{escape s.Name}</text>""")
        add "</svg>"
        sb.ToString()
