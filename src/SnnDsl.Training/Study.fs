namespace SnnDsl.Training

open System
open System.Diagnostics
open System.IO
open System.Text
open System.Threading

/// One cell of a study's grid: a named configuration (its seed and output directory are the study's).
type StudyCell =
    { /// The cell's folder under the study's Root and its label in the tables.
      Name: string
      /// The cell's training configuration; the study replaces its Seed and OutDir for each run.
      Config: TrainConfig }

/// A study: a grid of cells, each trained once per seed. Every run is an ordinary run directory
/// `Root/<cell>/seed<k>`, so running a study again skips finished runs and resumes a stopped one exactly.
type Study =
    { /// The study's name, the title of its Markdown section and of its figure.
      Name: string
      /// The folder that holds every run directory of the study and its reports.
      Root: string
      /// The grid's cells, in the order of the tables.
      Cells: StudyCell list
      /// The seeds every cell is trained with, one run each.
      Seeds: int64 list }

/// Where one run of a study stands.
[<RequireQualifiedAccess>]
type RunState =
    /// metrics.jsonl has all the configured epochs: the run is not trained again.
    | Finished
    /// A checkpoint exists: the run resumes from it.
    | Stopped
    /// Neither finished nor checkpointed: the run starts afresh.
    | NotStarted

/// Mean and sample standard deviation of a set of values.
type Summary =
    { /// The mean (NaN when there is no value).
      Mean: float
      /// The sample standard deviation, with n - 1 (NaN for fewer than two values).
      Std: float
      /// The number of values.
      Count: int }

    /// The summary of these values.
    static member Of(xs: float seq) =
        let xs = Seq.toArray xs
        let n = xs.Length
        let mean = if n = 0 then nan else Array.average xs
        let std = if n < 2 then nan else sqrt ((xs |> Array.sumBy (fun x -> (x - mean) ** 2.0)) / float (n - 1))
        { Mean = mean; Std = std; Count = n }

/// One learnable neuron parameter of one spiking layer: its effective value after each epoch, the mean over
/// channels, then over seeds.
type ParameterTrack =
    { /// The neuron parameter's name.
      Parameter: string
      /// The spiking layer's readable name (as in the metrics).
      Layer: string
      /// The value after each epoch that every finished seed reached, mean over channels and seeds.
      Values: float list }

/// The final-epoch results of one cell over its seeds.
type CellResult =
    { /// The cell's name.
      Cell: string
      /// Final test accuracy per seed, in the study's seed order (NaN for a run that has not finished).
      Accuracies: float list
      /// Final test accuracy (a fraction, 0..1) over the finished seeds.
      Accuracy: Summary
      /// Test accuracy after each epoch, mean over the finished seeds (the epochs all of them reached).
      AccuracyByEpoch: float list
      /// Mean firing rate per spiking layer over the seeds.
      FiringRates: (string * Summary) list
      /// Energy per sample (mJ) over the seeds.
      MilliJoules: Summary
      /// Each learnable neuron parameter's track, per layer.
      ParameterTracks: ParameterTrack list }

/// A paired comparison of two cells over the seeds both finished: the mean difference of their final test
/// accuracies (b - a) with a 95% confidence interval from Student's t.
type PairedComparison =
    { /// The name of cell a, the baseline.
      A: string
      /// The name of cell b, compared against a.
      B: string
      /// The number of seeds both cells finished.
      Pairs: int
      /// The mean of b's final test accuracy minus a's, as a fraction (NaN with no pair).
      MeanDifference: float
      /// The lower end of the 95% interval (NaN for fewer than two pairs).
      Low: float
      /// The upper end of the 95% interval (NaN for fewer than two pairs).
      High: float }

/// Running a study's grid (skipping finished runs, resuming stopped ones) and summing up its results:
/// per-cell summaries over the seeds, paired comparisons, a Markdown table, a figure and the HTML report.
[<RequireQualifiedAccess>]
module Study =
    /// The run directory of a cell and seed.
    let runDir (study: Study) (cell: StudyCell) (seed: int64) = Path.Combine(study.Root, cell.Name, $"seed{seed}")

    /// The configuration of a cell's run with this seed.
    let config (study: Study) (cell: StudyCell) (seed: int64) =
        { cell.Config with Seed = seed; OutDir = Some(runDir study cell seed) }

    /// Whether a run has finished its epochs, stopped with a checkpoint, or not started.
    let state (study: Study) (cell: StudyCell) (seed: int64) =
        let dir = runDir study cell seed
        let epochs = if File.Exists(Path.Combine(dir, Metrics.fileName)) then (Metrics.read dir).Length else 0
        if epochs >= cell.Config.Epochs then RunState.Finished
        elif File.Exists(Path.Combine(dir, Checkpoint.fileName)) then RunState.Stopped
        else RunState.NotStarted

    /// Settings of a saved configuration that say how a run ran, not what it computed: they may differ
    /// between a run and its cell.
    let private howItRan = set [ "DataDir"; "CacheDir"; "NoCache"; "Device"; "Backend"; "Threads"; "CheckpointEvery"; "OutDir" ]

    /// The settings in which the run already in a cell's directory (finished or stopped) differs from the
    /// cell, as "<setting>: <run's> in the run, <cell's> in the study"; empty when it fits or has not started.
    let mismatches (study: Study) (cell: StudyCell) (seed: int64) : string list =
        let path = Path.Combine(runDir study cell seed, Checkpoint.fileName)
        if not (File.Exists path) then []
        else
            let printed (c: TrainConfig) = TrainSettings.print c |> Map.ofList
            let saved = printed (fst (Checkpoint.readHeader path))
            let wanted = printed (config study cell seed)
            let text (v: SettingValue option) =
                match v with
                | None -> "(not set)"
                | Some(SettingValue.Texts xs) -> "[" + String.Join(", ", xs) + "]"
                | Some(SettingValue.Text s) when s.Contains '\n' -> "(text of " + string (s.Split('\n').Length) + " lines)"
                | Some v -> string v
            [ for name in TrainSettings.names do
                  let a, b = saved.TryFind name, wanted.TryFind name
                  if not (howItRan.Contains name) && a <> b then yield $"{name}: {text a} in the run, {text b} in the study" ]

    /// Runs every unfinished run of the study, cell by cell and seed by seed, resuming stopped ones; `log`
    /// gets one line per run with the study's progress and an estimate of the time left (from the runs
    /// trained in this sitting).
    let run (study: Study) (log: string -> unit) (ct: CancellationToken) =
        let runs = [ for c in study.Cells do for s in study.Seeds -> c, s ]
        let total = runs.Length
        // Runs trained with other settings (the script's budget or cells changed since) would mix into
        // the tables silently: refuse before training anything.
        let stale =
            [ for cell, seed in runs do
                  match mismatches study cell seed with
                  | [] -> ()
                  | diffs ->
                      let what = String.Join("; ", diffs)
                      yield $"{runDir study cell seed} ({what})" ]
        if not stale.IsEmpty then
            SnnDsl.Core.Fail.usage (
                $"study {study.Name}: {stale.Length} run(s) in {study.Root} were trained with other settings than the study's; "
                + "delete them or choose another root: " + String.Join(" | ", stale))
        let clock = Stopwatch.StartNew()
        let mutable trained = 0
        runs
        |> List.iteri (fun i (cell, seed) ->
            let label = $"[{i + 1}/{total}] {cell.Name} seed {seed}"
            match state study cell seed with
            | RunState.Finished -> log $"{label}: finished earlier"
            | st ->
                let c = config study cell seed
                let metrics = Trainer.run c (st = RunState.Stopped) ignore ct
                trained <- trained + 1
                let left = runs.Length - i - 1
                let eta = clock.Elapsed.TotalSeconds / float trained * float left
                let acc = metrics |> List.tryLast |> Option.map (fun m -> m.TestAccuracy) |> Option.defaultValue nan
                log $"{label}: test accuracy {acc:F4}; {clock.Elapsed.TotalMinutes:F1} min so far, about {eta / 60.0:F1} min left")

    /// The results of every cell over its finished seeds.
    let aggregate (study: Study) : CellResult list =
        [ for cell in study.Cells ->
              let finished =
                  study.Seeds
                  |> List.map (fun s ->
                      if state study cell s = RunState.Finished then Some(Metrics.read (runDir study cell s)) else None)
              let lasts = finished |> List.choose (Option.map List.last)
              let layers = match lasts with m :: _ -> m.FiringRates |> List.map fst | [] -> []
              let all = finished |> List.choose id
              // The mean over the finished seeds of a per-epoch value, for the epochs all of them reached.
              let epochMeans (value: EpochMetrics -> float) =
                  match all with
                  | [] -> []
                  | _ ->
                      let epochs = all |> List.map List.length |> List.min
                      [ for e in 0 .. epochs - 1 -> all |> List.averageBy (fun ms -> value ms[e]) ]
              let tracks =
                  match lasts with
                  | [] -> []
                  | last :: _ ->
                      [ for layer, ps in last.NeuronParams do
                            for p, _ in ps ->
                                let value (m: EpochMetrics) = m.NeuronParams |> List.find (fst >> (=) layer) |> snd |> List.find (fst >> (=) p) |> snd |> _.Mean
                                { Parameter = p; Layer = layer; Values = epochMeans value } ]
              { Cell = cell.Name
                Accuracies = finished |> List.map (Option.map (fun ms -> (List.last ms).TestAccuracy) >> Option.defaultValue nan)
                Accuracy = Summary.Of(lasts |> List.map _.TestAccuracy)
                AccuracyByEpoch = epochMeans _.TestAccuracy
                FiringRates = layers |> List.mapi (fun i l -> l, Summary.Of(lasts |> List.map (fun m -> snd m.FiringRates[i])))
                MilliJoules = Summary.Of(lasts |> List.map _.Energy.MilliJoules)
                ParameterTracks = tracks } ]

    /// Student's t quantile for a two-sided 95% interval with df degrees of freedom.
    let private t95 (df: int) =
        let table = [| 12.706; 4.303; 3.182; 2.776; 2.571; 2.447; 2.365; 2.306; 2.262; 2.228; 2.201; 2.179; 2.160; 2.145; 2.131 |]
        if df < 1 then nan elif df <= table.Length then table[df - 1] elif df < 30 then 2.06 else 1.96

    /// The paired comparison of cell b against cell a over the seeds both finished.
    let paired (results: CellResult list) (a: string) (b: string) : PairedComparison =
        let find n = results |> List.find (fun r -> r.Cell = n)
        let d =
            List.zip (find a).Accuracies (find b).Accuracies
            |> List.filter (fun (x, y) -> Double.IsFinite x && Double.IsFinite y)
            |> List.map (fun (x, y) -> y - x)
        let s = Summary.Of d
        let half = if s.Count < 2 then nan else t95 (s.Count - 1) * s.Std / sqrt (float s.Count)
        { A = a; B = b; Pairs = s.Count; MeanDifference = s.Mean; Low = s.Mean - half; High = s.Mean + half }

    let private pct (x: float) = if Double.IsFinite x then (100.0 * x).ToString("F2", Globalization.CultureInfo.InvariantCulture) else "-"

    let private f4 (x: float) = if Double.IsFinite x then x.ToString("F4", Globalization.CultureInfo.InvariantCulture) else "-"

    /// Up to this many spiking layers, the firing rates are columns of the main table; past it, rows of their own.
    let private inlineLayers = 4

    /// A Markdown section: accuracy mean ± std per cell (and per epoch), firing rates per layer, energy, the
    /// paired comparisons (b against a) of `pairs`, and the learnable parameters' tracks over the epochs.
    let markdown (study: Study) (results: CellResult list) (pairs: (string * string) list) (command: string) =
        let sb = StringBuilder()
        let line (s: string) = sb.AppendLine s |> ignore
        let row (cells: string seq) = line ("| " + String.Join(" | ", cells) + " |")
        let rule n = line ("|" + String.replicate n "---|")
        line $"### {study.Name}"
        line ""
        let seedList = String.Join(", ", study.Seeds)
        line $"Reproduce: `{command}`. Seeds: {seedList}."
        line ""
        let layers = results |> List.collect (fun r -> r.FiringRates |> List.map fst) |> List.distinct
        let rate (r: CellResult) l = r.FiringRates |> List.tryFind (fst >> (=) l) |> Option.map (fun (_, s) -> s.Mean) |> Option.defaultValue nan
        let wide = layers.Length > inlineLayers
        let firingHeads = if wide then [ "firing, mean over layers" ] else layers |> List.map (fun l -> $"firing {l}")
        row ([ "cell"; "test accuracy, percent (mean ± std)"; "per seed"; "mean per epoch" ] @ firingHeads @ [ "energy mJ/sample" ])
        rule (5 + firingHeads.Length)
        for r in results do
            let rates =
                if wide then [ f4 (if r.FiringRates.IsEmpty then nan else r.FiringRates |> List.averageBy (fun (_, s) -> s.Mean)) ]
                else layers |> List.map (rate r >> f4)
            row ([ r.Cell; $"{pct r.Accuracy.Mean} ± {pct r.Accuracy.Std}"; String.Join(", ", r.Accuracies |> List.map pct)
                   String.Join(", ", r.AccuracyByEpoch |> List.map pct) ]
                 @ rates @ [ r.MilliJoules.Mean.ToString("E3", Globalization.CultureInfo.InvariantCulture) ])
        if wide then
            line ""
            line "Firing rate per spiking layer (spikes per neuron per step on the test set, mean over seeds):"
            line ""
            row ("layer" :: (results |> List.map _.Cell))
            rule (1 + results.Length)
            for l in layers do
                row (l :: (results |> List.map (fun r -> f4 (rate r l))))
        if not pairs.IsEmpty then
            line ""
            line "Paired differences of test accuracy (same seeds; 95% interval from Student's t):"
            line ""
            row [ "b - a"; "pairs"; "mean difference (percentage points)"; "95% interval" ]
            rule 4
            for a, b in pairs do
                let p = paired results a b
                row [ $"{b} - {a}"; string p.Pairs; pct p.MeanDifference; $"[{pct p.Low}, {pct p.High}]" ]
        for r in results |> List.filter (fun r -> not r.ParameterTracks.IsEmpty) do
            // One row per layer, one column per parameter.
            let ps = r.ParameterTracks |> List.map _.Parameter |> List.distinct
            let ls = r.ParameterTracks |> List.map _.Layer |> List.distinct
            line ""
            line $"Learnable parameters of {r.Cell}: effective value after each epoch (mean over channels and seeds):"
            line ""
            row ("layer" :: ps)
            rule (1 + ps.Length)
            for l in ls do
                row (l :: [ for p in ps -> match r.ParameterTracks |> List.tryFind (fun t -> t.Parameter = p && t.Layer = l) with
                                           | Some t -> String.Join(" → ", t.Values |> List.map f4)
                                           | None -> "-" ])
        sb.ToString()
