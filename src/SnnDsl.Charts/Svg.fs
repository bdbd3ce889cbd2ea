namespace SnnDsl.Charts

open System
open System.Globalization

/// A few SVG elements as text, and the tick arithmetic of plot axes, for the standalone static figures
/// (`snn simulate --plot`, a study's accuracy figure, examples/simulate-and-plot.fsx). No dependency but
/// FSharp.Core: what it draws opens in any browser or notebook with no network. The HTML report's
/// interactive charts are Plotly.NET's (SnnDsl.Report).
[<RequireQualifiedAccess>]
module Svg =
    let private invariant = CultureInfo.InvariantCulture

    /// A coordinate, rounded to 1/100 of a pixel.
    let num (v: float) =
        let r = Math.Round(v, 2)
        (if r = 0.0 then 0.0 else r).ToString("0.##", invariant)

    /// Text with the XML special characters escaped.
    let escape (s: string) =
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;")

    let private attrs (a: (string * string) list) =
        a |> List.map (fun (k, v) -> $" {k}=\"{escape v}\"") |> String.concat ""

    /// An empty element, written `<name attrs/>`.
    let element (name: string) (a: (string * string) list) = $"<{name}{attrs a}/>"

    /// A line from (x1, y1) to (x2, y2).
    let line x1 y1 x2 y2 a = element "line" ([ "x1", num x1; "y1", num y1; "x2", num x2; "y2", num y2 ] @ a)

    /// A rectangle.
    let rect x y w h a = element "rect" ([ "x", num x; "y", num y; "width", num w; "height", num h ] @ a)

    /// A circle.
    let circle cx cy r a = element "circle" ([ "cx", num cx; "cy", num cy; "r", num r ] @ a)

    /// An open path through the points, in order.
    let polyline (points: (float * float) seq) a =
        let p = points |> Seq.map (fun (x, y) -> num x + "," + num y) |> String.concat " "
        element "polyline" ([ "points", p; "fill", "none" ] @ a)

    /// A path with the given `d`.
    let path (d: string) a = element "path" ([ "d", d; "fill", "none" ] @ a)

    /// Text whose anchor point is (x, y).
    let text x y (content: string) a = $"<text x=\"{num x}\" y=\"{num y}\"{attrs a}>{escape content}</text>"

    /// A group of elements with shared attributes.
    let group a (children: string seq) = $"<g{attrs a}>\n" + String.concat "\n" children + "\n</g>"

    /// The whole document.
    let document (width: float) (height: float) (children: string seq) =
        String.concat
            "\n"
            [ yield "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
              yield
                  $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{num width}\" height=\"{num height}\" viewBox=\"0 0 {num width} {num height}\" "
                  + "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">"
              yield rect 0.0 0.0 width height [ "fill", "white" ]
              yield! children
              yield "</svg>"
              yield "" ]

    /// A "nice" tick step for a span: 1, 2 or 5 times a power of ten, giving at most about `count` ticks.
    let tickStep (span: float) (count: int) =
        let raw = span / float (max 1 count)
        let magnitude = Math.Pow(10.0, Math.Floor(Math.Log10 raw))
        let f = raw / magnitude
        (if f <= 1.0 then 1.0 elif f <= 2.0 then 2.0 elif f <= 5.0 then 5.0 else 10.0) * magnitude

    /// Tick values within [lo, hi] on multiples of `step`.
    let ticksWith (step: float) (lo: float) (hi: float) =
        let first = Math.Ceiling(lo / step - 1e-9)
        let last = Math.Floor(hi / step + 1e-9)
        [ for k in first .. last -> k * step ]

    /// A tick value printed with as many decimals as its step needs.
    let tickLabel (step: float) (v: float) =
        let decimals = max 0 (int (Math.Ceiling(-Math.Log10 step - 1e-9)))
        let r = Math.Round(v, decimals)
        (if r = 0.0 then 0.0 else r).ToString("F" + string decimals, invariant)
