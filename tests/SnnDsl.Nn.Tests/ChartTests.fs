/// SnnDsl.Charts' line chart: a standalone SVG whose curves pass through the values, with gaps at NaN.
module SnnDsl.Nn.Tests.ChartTests

open System
open System.Xml.Linq
open Expecto
open SnnDsl.Charts

let private elements (name: string) (svg: string) =
    XDocument.Parse(svg).Descendants() |> Seq.filter (fun e -> e.Name.LocalName = name) |> List.ofSeq

let private points (e: XElement) =
    e.Attribute(XName.Get "points").Value.Split(' ')
    |> Array.map (fun p -> let xy = p.Split(',') in float xy[0], float xy[1])

[<Tests>]
let tests =
    testList "charts" [
        testCase "Chart.lines draws one polyline per series, a point per value, higher values higher up, and a legend entry each" <| fun () ->
            let svg = Chart.lines "t" "x" "y" [ { Name = "rising"; Values = [ 1.0; 2.0; 3.0 ] }; { Name = "flat"; Values = [ 2.0; 2.0; 2.0 ] } ]
            let curves = elements "polyline" svg
            Expect.equal curves.Length 2 "a curve per series"
            let rising = points curves[0]
            Expect.equal rising.Length 3 "a point per value"
            Expect.isTrue (snd rising[0] > snd rising[1] && snd rising[1] > snd rising[2]) "SVG y grows downwards"
            Expect.isTrue (fst rising[0] < fst rising[2]) "x grows to the right"
            let flat = points curves[1]
            Expect.floatClose Accuracy.high (snd flat[0]) (snd rising[1]) "equal values at equal heights"
            let texts = elements "text" svg |> List.map _.Value
            for label in [ "t"; "x"; "y"; "rising"; "flat" ] do Expect.contains texts label "title, axis labels and legend"
            Expect.isEmpty (elements "script" svg) "no script"

        testCase "Chart.lines leaves a gap at a non-finite value instead of drawing through it" <| fun () ->
            let svg = Chart.lines "gap" "x" "y" [ { Name = "s"; Values = [ 1.0; 2.0; nan; 3.0; 4.0 ] } ]
            let curves = elements "polyline" svg
            Expect.equal (curves |> List.map (points >> Array.length)) [ 2; 2 ] "two runs of two points"
            Expect.isFalse (svg.Contains "NaN") "no NaN coordinate"

        testCase "Chart.lines escapes names and refuses a chart with nothing finite to draw" <| fun () ->
            let svg = Chart.lines "a < b & c" "x" "y" [ { Name = "\"q\""; Values = [ 1.0 ] } ]
            Expect.contains (elements "text" svg |> List.map _.Value) "a < b & c" "the title survives XML"
            Expect.throwsT<ArgumentException> (fun () -> Chart.lines "empty" "x" "y" [ { Name = "s"; Values = [ nan ] } ] |> ignore) "all NaN"
            Expect.throwsT<ArgumentException> (fun () -> Chart.lines "none" "x" "y" [] |> ignore) "no series"
    ]
