namespace SnnDsl.Training

open System
open System.Globalization
open System.IO
open System.Text

/// `snn report`: one HTML page comparing runs: loss and accuracy curves, firing rate per layer, learnable
/// neuron parameters per layer over training (as in the DA-LIF and AR-LIF papers' Figure 3), and an energy
/// table. Several runs are overlaid.
[<RequireQualifiedAccess>]
module Report =
    type Run = { Name: string; Dir: string; Config: TrainConfig option; Epochs: EpochMetrics list }

    /// Reads a run directory (metrics.jsonl and, when present, the checkpoint's configuration).
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
        { Name = name; Dir = dir; Config = config; Epochs = epochs }

    let private n (v: float) = v.ToString("0.####", CultureInfo.InvariantCulture)
    /// Text for HTML element content (run names come from directory names, which may hold markup).
    let private esc (s: string) = s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")
    let private series name (points: (int * float) list) : SvgChart.Series =
        { Name = name; Points = points |> List.map (fun (e, v) -> float e, v) }

    let private curve (runs: Run list) (pick: EpochMetrics -> float) suffix =
        runs |> List.map (fun r -> series (r.Name + suffix) (r.Epochs |> List.map (fun m -> m.Epoch, pick m)))

    /// The whole HTML page.
    let html (runs: Run list) : string =
        let sb = StringBuilder()
        let add (s: string) = sb.Append(s).Append('\n') |> ignore
        add "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SnnDsl training report</title>"
        add "<style>body{font-family:sans-serif;margin:24px;max-width:1200px} table{border-collapse:collapse} td,th{border:1px solid #bbb;padding:4px 8px;text-align:right} th{background:#eee} .charts{display:flex;flex-wrap:wrap;gap:12px}</style></head><body>"
        add "<h1>SnnDsl training report</h1>"
        add "<h2>Runs</h2><table><tr><th>run</th><th>dataset</th><th>model</th><th>neuron</th><th>T</th><th>epochs</th><th>final test acc</th><th>best test acc</th><th>train s/epoch</th></tr>"
        for r in runs do
            let last = List.last r.Epochs
            let best = r.Epochs |> List.map (fun m -> m.TestAcc) |> List.max
            let cfg (pick: TrainConfig -> string) = r.Config |> Option.map pick |> Option.defaultValue "?" |> esc
            let secs = r.Epochs |> List.averageBy (fun m -> m.Seconds)
            add $"<tr><td style=\"text-align:left\">{esc r.Name}</td><td>{cfg TrainConfig.datasetName}</td><td>{cfg TrainConfig.modelName}</td><td>{cfg TrainConfig.neuronName}</td><td>{cfg (fun c -> string c.Timesteps)}</td><td>{last.Epoch}</td><td>{n last.TestAcc}</td><td>{n best}</td><td>{n secs}</td></tr>"
        add "</table>"
        add "<h2>Loss and accuracy</h2><div class=\"charts\">"
        add (SvgChart.lines "Loss" "epoch" "loss" (curve runs (fun m -> m.TrainLoss) " train" @ curve runs (fun m -> m.TestLoss) " test"))
        add (SvgChart.lines "Accuracy" "epoch" "accuracy" (curve runs (fun m -> m.TrainAcc) " train" @ curve runs (fun m -> m.TestAcc) " test"))
        add "</div><h2>Firing rate per spiking layer (test set)</h2><div class=\"charts\">"
        for r in runs do
            let layers = r.Epochs |> List.collect (fun m -> m.FiringRates |> List.map fst) |> List.distinct
            let s =
                layers
                |> List.map (fun layer ->
                    series ("layer " + layer) (r.Epochs |> List.choose (fun m -> m.FiringRates |> List.tryFind (fst >> (=) layer) |> Option.map (fun (_, v) -> m.Epoch, v))))
            add (SvgChart.lines r.Name "epoch" "spikes / neuron / step" s)
        add "</div><h2>Learnable neuron parameters per layer (effective values)</h2><div class=\"charts\">"
        for r in runs do
            let keys =
                r.Epochs
                |> List.collect (fun m -> m.NeuronParams |> List.collect (fun (layer, ps) -> ps |> List.map (fun (p, _) -> layer, p)))
                |> List.distinct
            if not keys.IsEmpty then
                let s =
                    keys
                    |> List.map (fun (layer, p) ->
                        series $"{p} @ {layer}" (r.Epochs |> List.choose (fun m ->
                            m.NeuronParams |> List.tryFind (fst >> (=) layer) |> Option.bind (fun (_, ps) -> ps |> List.tryFind (fst >> (=) p)) |> Option.map (fun (_, v) -> m.Epoch, v))))
                add (SvgChart.lines r.Name "epoch" "effective value" s)
        add "</div><h2>Energy per sample (last epoch; E = 4.6 pJ x MAC + 0.9 pJ x AC)</h2>"
        add "<table><tr><th>run</th><th>test acc</th><th>mean firing rate</th><th>MACs</th><th>ACs</th><th>energy (mJ)</th></tr>"
        for r in runs do
            let m = List.last r.Epochs
            let rate = if m.FiringRates.IsEmpty then nan else m.FiringRates |> List.averageBy snd
            let mj = m.Energy.MilliJoules.ToString("0.######", CultureInfo.InvariantCulture)
            let macs = m.Energy.MacsPerSample.ToString("N0", CultureInfo.InvariantCulture)
            let acs = m.Energy.AcsPerSample.ToString("N0", CultureInfo.InvariantCulture)
            add $"<tr><td style=\"text-align:left\">{esc r.Name}</td><td>{n m.TestAcc}</td><td>{n rate}</td><td>{macs}</td><td>{acs}</td><td>{mj}</td></tr>"
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
