namespace SnnDsl.Report

open System
open System.Globalization
open System.IO
open System.Text
open Plotly.NET
open SnnDsl.Training

/// `snn report`: one HTML page comparing runs, with interactive Plotly.NET charts (plotly.js is embedded
/// once in the page, so it opens offline): loss and accuracy per epoch beside the per-batch training curves,
/// firing rate per layer, learnable neuron parameters per layer over training (as in the DA-LIF and AR-LIF
/// papers' Figure 3; per-channel parameters as their mean with a min-max band), and an energy table.
/// Several runs are overlaid.
[<RequireQualifiedAccess>]
module Report =
    /// One run directory as the report shows it.
    type Run =
        { /// The run's label in legends and tables: the directory's name and, when known, the neuron's.
          Name: string
          /// The run directory it was read from.
          Dir: string
          /// The configuration stored in the run's checkpoint; None when the directory has no checkpoint.
          Config: TrainConfig option
          /// The per-epoch metrics of metrics.jsonl, in order.
          Epochs: EpochMetrics list
          /// The training batches of batches.jsonl (empty for runs written before it existed).
          Batches: BatchMetrics list }

    /// Reads a run directory (metrics.jsonl, batches.jsonl and, when present, the checkpoint's configuration).
    let readRun (dir: string) : Run =
        if not (Directory.Exists dir) then raise (DirectoryNotFoundException($"run directory not found: {dir}"))
        let epochs = Metrics.read dir
        if epochs.IsEmpty then raise (InvalidDataException($"{dir} has no {Metrics.fileName} (not a finished training run?)"))
        let checkpoint = Path.Combine(dir, Checkpoint.fileName)
        let config = if File.Exists checkpoint then Some(fst (Checkpoint.readHeader checkpoint)) else None
        let name =
            match config with
            | Some c -> $"{Path.GetFileName(Path.TrimEndingDirectorySeparator dir)} ({TrainConfig.neuronName c})"
            | None -> Path.GetFileName(Path.TrimEndingDirectorySeparator dir)
        { Name = name; Dir = dir; Config = config; Epochs = epochs; Batches = Metrics.readBatches dir }

    /// The plotly.js that Plotly.NET ships (an embedded resource of its assembly), for pages that must work offline.
    let plotlyJs: Lazy<string> =
        lazy
            (let assembly = typeof<GenericChart>.Assembly
             let name =
                 assembly.GetManifestResourceNames()
                 |> Array.tryFind (fun n -> n.StartsWith "Plotly.NET.plotly-" && n.EndsWith ".min.js")
                 |> Option.defaultWith (fun () -> failwith "Plotly.NET carries no plotly.js resource")
             use s = assembly.GetManifestResourceStream name
             use r = new StreamReader(s)
             r.ReadToEnd())

    let private n (v: float) = v.ToString("0.####", CultureInfo.InvariantCulture)
    /// Text for HTML element content (run names come from directory names, which may hold markup).
    let private esc (s: string) = s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")

    let private palette = [| "#1f77b4"; "#d62728"; "#2ca02c"; "#ff7f0e"; "#9467bd"; "#8c564b"; "#e377c2"; "#17becf"; "#7f7f7f"; "#bcbd22" |]
    let private colour i = palette[i % palette.Length]

    /// The colour with an alpha, for bands.
    let private translucent (hex: string) =
        let c k = Convert.ToInt32(hex.Substring(k, 2), 16)
        $"rgba({c 1},{c 3},{c 5},0.18)"

    let private finite (points: (float * float) seq) =
        points |> Seq.filter (fun (x, y) -> Double.IsFinite x && Double.IsFinite y) |> Array.ofSeq

    /// One line trace.
    let private line (name: string) (colourHex: string) (dashed: bool) (markers: bool) (points: (float * float) seq) =
        let p = finite points
        Chart.Line(
            x = Array.map fst p,
            y = Array.map snd p,
            Name = name,
            ShowMarkers = markers,
            LineColor = Color.fromString colourHex,
            MarkerColor = Color.fromString colourHex,
            LineWidth = (if markers then 2.0 else 1.2),
            LineDash = (if dashed then StyleParam.DrawingStyle.Dash else StyleParam.DrawingStyle.Solid)
        )

    /// A shaded band between lower and upper values (drawn under the lines), with one legend entry.
    let private band (name: string) (colourHex: string) (points: (float * float * float) list) =
        let p = points |> List.filter (fun (x, lo, hi) -> Double.IsFinite x && Double.IsFinite lo && Double.IsFinite hi)
        let xs = p |> List.map (fun (x, _, _) -> x)
        [ Chart.Line(x = xs, y = (p |> List.map (fun (_, _, hi) -> hi)), Name = name, ShowLegend = false, LineWidth = 0.0,
                     LineColor = Color.fromString (translucent colourHex))
          Chart.Line(x = xs, y = (p |> List.map (fun (_, lo, _) -> lo)), Name = name, LineWidth = 0.0,
                     LineColor = Color.fromString (translucent colourHex), Fill = StyleParam.Fill.ToNext_y,
                     FillColor = Color.fromString (translucent colourHex)) ]

    /// A chart with a title and axis labels, as HTML: a div and the script that draws it with the page's plotly.js.
    /// Texts in the figure's JSON are escaped so that no run name can end the script element.
    let private render (id: string) (title: string) (xLabel: string) (yLabel: string) (traces: GenericChart list) =
        if traces.IsEmpty then $"<div class=\"chart empty\"><b>{esc title}</b><br>no data</div>"
        else
            let figure =
                Chart.combine traces
                |> Chart.withTitle title
                |> Chart.withXAxisStyle (TitleText = xLabel)
                |> Chart.withYAxisStyle (TitleText = yLabel)
                |> Chart.withSize (600, 380)
                |> GenericChart.toFigureJson
            let json = figure.Replace("<", "\\u003c").Replace(">", "\\u003e").Replace("&", "\\u0026")
            $"<div id=\"{id}\" class=\"chart\"></div>\n<script>(function () {{ var f = {json}; Plotly.newPlot('{id}', f.data, f.layout, {{ displaylogo: false }}); }})();</script>"

    /// The x position of each batch in epochs (batch b of epoch e at e - 1 + b / batches per epoch), so per-batch
    /// curves share the axis of the per-epoch ones.
    let private batchX (batches: BatchMetrics list) =
        let perEpoch = if batches.IsEmpty then 1 else batches |> List.map (fun b -> b.Batch) |> List.max
        fun (b: BatchMetrics) -> float (b.Epoch - 1) + float b.Batch / float perEpoch

    /// The whole HTML page.
    let html (runs: Run list) : string =
        let sb = StringBuilder()
        let add (s: string) = sb.Append(s).Append('\n') |> ignore
        let charts = ref 0
        let chart title xLabel yLabel traces =
            charts.Value <- charts.Value + 1
            add (render $"chart{charts.Value}" title xLabel yLabel traces)
        let indexed = List.indexed runs
        add "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SnnDsl training report</title>"
        add "<style>body{font-family:sans-serif;margin:24px;max-width:1300px} table{border-collapse:collapse} td,th{border:1px solid #bbb;padding:4px 8px;text-align:right} th{background:#eee} .charts{display:flex;flex-wrap:wrap;gap:12px} .chart{width:600px;height:380px} .empty{border:1px dashed #bbb;padding:12px;box-sizing:border-box} .note{color:#555}</style>"
        // plotly.js itself, once for every chart of the page: the report opens without a network.
        add "<script type=\"text/javascript\">"
        add plotlyJs.Value
        add "</script></head><body>"
        add "<h1>SnnDsl training report</h1>"
        add "<p class=\"note\">The charts are interactive: hover for values, drag to zoom, double-click to reset, click a legend entry to hide it.</p>"
        add "<h2>Runs</h2><table><tr><th>run</th><th>dataset</th><th>model</th><th>neuron</th><th>T</th><th>epochs</th><th>final test accuracy</th><th>best test accuracy</th><th>train s/epoch</th></tr>"
        for r in runs do
            let last = List.last r.Epochs
            let best = r.Epochs |> List.map (fun m -> m.TestAccuracy) |> List.max
            let cfg (pick: TrainConfig -> string) = r.Config |> Option.map pick |> Option.defaultValue "?" |> esc
            let secs = r.Epochs |> List.averageBy (fun m -> m.Seconds)
            add $"<tr><td style=\"text-align:left\">{esc r.Name}</td><td>{cfg TrainConfig.datasetName}</td><td>{cfg TrainConfig.modelName}</td><td>{cfg TrainConfig.neuronName}</td><td>{cfg (fun c -> string c.Timesteps)}</td><td>{last.Epoch}</td><td>{n last.TestAccuracy}</td><td>{n best}</td><td>{n secs}</td></tr>"
        add "</table>"
        let perEpoch (pick: EpochMetrics -> float) (r: Run) = r.Epochs |> List.map (fun m -> float m.Epoch, pick m)
        let perBatch (pick: BatchMetrics -> float) (r: Run) =
            let x = batchX r.Batches
            r.Batches |> List.map (fun b -> x b, pick b)
        let noBatches = runs |> List.filter (fun r -> r.Batches.IsEmpty) |> List.map (fun r -> esc r.Name)
        add "<h2>Loss and accuracy</h2>"
        add "<p class=\"note\">Left: per epoch (train: solid, mean over the epoch's batches; test: dashed, after the epoch). Right: every training batch (batches.jsonl), on the same epoch axis.</p>"
        if not noBatches.IsEmpty then
            let names = String.Join(", ", noBatches)
            add $"<p class=\"note\">No per-batch records (no batches.jsonl) for: {names}.</p>"
        add "<div class=\"charts\">"
        chart "Loss per epoch" "epoch" "loss"
            [ for i, r in indexed do
                  line (r.Name + " train") (colour i) false true (perEpoch (fun m -> m.TrainLoss) r)
                  line (r.Name + " test") (colour i) true true (perEpoch (fun m -> m.TestLoss) r) ]
        chart "Training loss per batch" "epoch" "loss"
            [ for i, r in indexed do
                  if not r.Batches.IsEmpty then line (r.Name + " train (batch)") (colour i) false false (perBatch (fun b -> b.Loss) r) ]
        chart "Accuracy per epoch" "epoch" "accuracy"
            [ for i, r in indexed do
                  line (r.Name + " train") (colour i) false true (perEpoch (fun m -> m.TrainAccuracy) r)
                  line (r.Name + " test") (colour i) true true (perEpoch (fun m -> m.TestAccuracy) r) ]
        chart "Training accuracy per batch" "epoch" "accuracy"
            [ for i, r in indexed do
                  if not r.Batches.IsEmpty then line (r.Name + " train (batch)") (colour i) false false (perBatch (fun b -> b.Accuracy) r) ]
        add "</div><h2>Firing rate per spiking layer (test set)</h2><div class=\"charts\">"
        for r in runs do
            let layers = r.Epochs |> List.collect (fun m -> m.FiringRates |> List.map fst) |> List.distinct
            chart $"{r.Name}: firing rate" "epoch" "spikes / neuron / step"
                [ for j, layer in List.indexed layers ->
                      line layer (colour j) false true
                          (r.Epochs |> List.choose (fun m -> m.FiringRates |> List.tryFind (fst >> (=) layer) |> Option.map (fun (_, v) -> float m.Epoch, v))) ]
        add "</div><h2>Learnable neuron parameters per layer (effective values)</h2>"
        add "<p class=\"note\">A per-layer parameter is one line. A per-channel parameter is drawn as the mean over its channels (line) with the band from the smallest to the largest channel's value; metrics.jsonl holds every channel's value.</p><div class=\"charts\">"
        for r in runs do
            let parameters =
                r.Epochs |> List.collect (fun m -> m.NeuronParams |> List.collect (fun (_, ps) -> ps |> List.map fst)) |> List.distinct
            for p in parameters do
                let layers =
                    r.Epochs
                    |> List.collect (fun m -> m.NeuronParams |> List.filter (fun (_, ps) -> ps |> List.exists (fst >> (=) p)) |> List.map fst)
                    |> List.distinct
                let values layer =
                    r.Epochs
                    |> List.choose (fun m ->
                        m.NeuronParams
                        |> List.tryFind (fst >> (=) layer)
                        |> Option.bind (fun (_, ps) -> ps |> List.tryFind (fst >> (=) p))
                        |> Option.map (fun (_, v) -> float m.Epoch, v))
                chart $"{r.Name}: {p}" "epoch" $"{p} (effective value)"
                    [ for j, layer in List.indexed layers do
                          let vs = values layer
                          let channels = vs |> List.map (fun (_, v) -> v.Values.Length) |> List.max
                          if channels > 1 then
                              yield! band $"{layer} min-max over {channels} channels" (colour j) (vs |> List.map (fun (x, v) -> x, v.Min, v.Max))
                              yield line $"{layer} mean of {channels} channels" (colour j) false true (vs |> List.map (fun (x, v) -> x, v.Mean))
                          else
                              yield line layer (colour j) false true (vs |> List.map (fun (x, v) -> x, v.Mean)) ]
        add "</div><h2>Energy per sample (last epoch; E = 4.6 pJ x MAC + 0.9 pJ x AC)</h2>"
        add "<table><tr><th>run</th><th>test accuracy</th><th>mean firing rate</th><th>MACs</th><th>ACs</th><th>energy (mJ)</th></tr>"
        for r in runs do
            let m = List.last r.Epochs
            let rate = if m.FiringRates.IsEmpty then nan else m.FiringRates |> List.averageBy snd
            let mj = m.Energy.MilliJoules.ToString("0.######", CultureInfo.InvariantCulture)
            let macs = m.Energy.MacsPerSample.ToString("N0", CultureInfo.InvariantCulture)
            let acs = m.Energy.AcsPerSample.ToString("N0", CultureInfo.InvariantCulture)
            add $"<tr><td style=\"text-align:left\">{esc r.Name}</td><td>{n m.TestAccuracy}</td><td>{n rate}</td><td>{macs}</td><td>{acs}</td><td>{mj}</td></tr>"
        add "</table></body></html>"
        sb.ToString()

    /// Writes the report for the given run directories to outPath (atomically).
    let write (outPath: string) (runDirs: string list) =
        if runDirs.IsEmpty then invalidArg "runDirs" "give at least one run directory"
        let runs = runDirs |> List.map readRun
        let page = html runs
        SnnDsl.Core.AtomicFile.write outPath (fun s ->
            let bytes = UTF8Encoding(false).GetBytes page
            s.Write(bytes, 0, bytes.Length))
