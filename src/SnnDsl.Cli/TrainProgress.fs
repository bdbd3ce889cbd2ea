/// Progress display for training runs: Spectre.Console bars in a terminal, plain lines in logs.
module SnnDsl.Cli.TrainProgress

open System
open System.IO
open Spectre.Console
open SnnDsl.Training

let private f4 (v: float) = v.ToString("0.0000", Globalization.CultureInfo.InvariantCulture)

/// A spiking layer's short name: "spike2" of "spike2 (after conv2)".
let private shortName (layer: string) = match layer.IndexOf ' ' with -1 -> layer | i -> layer.Substring(0, i)

/// One line per finished epoch: losses, accuracies, seconds, each spiking layer's firing rate by name, and
/// the energy estimate per sample in microjoules.
let epochLine (m: EpochMetrics) =
    let rates = m.FiringRates |> List.map (fun (layer, r) -> $"{shortName layer} {f4 r}") |> String.concat ", "
    let firing = if List.isEmpty m.FiringRates then "" else $" | firing {rates}"
    let microJoules = (m.Energy.MilliJoules * 1000.0).ToString("0.###", Globalization.CultureInfo.InvariantCulture)
    $"epoch {m.Epoch}: train loss {f4 m.TrainLoss} acc {f4 m.TrainAccuracy} | test loss {f4 m.TestLoss} acc {f4 m.TestAccuracy} | {m.Seconds:F1} s{firing} | {microJoules} µJ/sample"

/// Warnings for the layers of an epoch that are dead or saturated on the test set (`Firing.warnings`).
let epochWarnings (m: EpochMetrics) = Firing.warnings "on the test set" m.FiringRates

/// Warnings for the layers dead or saturated in the run's first training batch.
let firstBatchWarnings (rates: (string * float) list) = Firing.warnings "in the first training batch" rates

/// Runs `body` with an observer that draws progress: animated bars when the console is interactive,
/// otherwise a plain line every `every` batches (so CI logs show progress too).
let withProgress (out: TextWriter) (interactive: bool) (body: (TrainEvent -> unit) -> 'a) : 'a =
    if interactive then
        AnsiConsole
            .Progress()
            .AutoClear(false)
            .Columns(
                TaskDescriptionColumn(),
                ProgressBarColumn(),
                PercentageColumn(),
                RemainingTimeColumn(),
                SpinnerColumn()
            )
            .Start(fun ctx ->
                let mutable task: ProgressTask = null
                body (fun ev ->
                    match ev with
                    | BatchDone(epoch, index, batches, loss, acc, rate) ->
                        if isNull task || task.Description.StartsWith "eval" || not (task.Description.StartsWith $"epoch {epoch} ") then
                            task <- ctx.AddTask($"epoch {epoch} ", maxValue = float batches)
                            task.Value <- float (index - 1)
                        task.Value <- float index
                        task.Description <- $"epoch {epoch} loss {loss:F3} acc {acc:F2} {rate:F0} samples/s"
                    | Evaluating(epoch, batches) ->
                        if not (isNull task) then task.Value <- task.MaxValue
                        task <- ctx.AddTask($"eval {epoch}", maxValue = float (max 1 batches))
                    | EvalBatchDone _ -> if not (isNull task) then task.Increment 1.0
                    | EpochDone m ->
                        if not (isNull task) then task.Value <- task.MaxValue
                        AnsiConsole.MarkupLine(Markup.Escape(epochLine m))
                        for w in epochWarnings m do AnsiConsole.MarkupLine("[yellow]" + Markup.Escape w + "[/]")
                    | FirstBatchFiring rates ->
                        for w in firstBatchWarnings rates do AnsiConsole.MarkupLine("[yellow]" + Markup.Escape w + "[/]")
                    | Started _
                    | CheckpointWritten _ -> ()))
    else
        let mutable lastPrint = DateTime.MinValue
        // The ETA counts from the end of the epoch's first batch: that batch also compiles the fused kernels
        // (or loads them), which the later ones do not repeat.
        let mutable firstDone = DateTime.MinValue
        body (fun ev ->
            match ev with
            | BatchDone(epoch, index, batches, loss, acc, rate) ->
                let now = DateTime.UtcNow
                if index = 1 then firstDone <- now
                // At most one line every 5 seconds, plus the last batch of the epoch.
                if index = batches || (now - lastPrint).TotalSeconds >= 5.0 then
                    lastPrint <- now
                    let eta =
                        if index = batches then "epoch done"
                        elif index < 2 || firstDone = DateTime.MinValue then "epoch ETA after the next batch"
                        else
                            let perBatch = (now - firstDone).TotalSeconds / float (index - 1)
                            $"epoch ETA {perBatch * float (batches - index):F0} s"
                    out.WriteLine($"epoch {epoch} batch {index}/{batches} ({100 * index / batches}%%) loss {f4 loss} acc {acc:F2} {rate:F0} samples/s, {eta}")
            | Evaluating(epoch, _) -> out.WriteLine($"epoch {epoch}: evaluating")
            | EpochDone m ->
                out.WriteLine(epochLine m)
                for w in epochWarnings m do out.WriteLine w
            | FirstBatchFiring rates -> for w in firstBatchWarnings rates do out.WriteLine w
            | Started(session, position) ->
                let c = session.Config
                let where = if position.Epoch > 0 || position.NextBatch > 0 then $" (resuming at epoch {position.Epoch + 1}, batch {position.NextBatch + 1})" else ""
                let model = match c.Model with Some m -> SnnDsl.Nn.ZooModel.name m | None -> "a network built in code"
                let neuron = if isNull (box c.Neuron) then "no spiking layer" else c.Neuron.Name
                out.WriteLine($"training {model} with {neuron} on {DataSource.text c.Dataset}: T={c.Timesteps}, {session.Train.SampleCount} train / {session.Test.SampleCount} test samples, {session.Model.ParameterCount():N0} parameters{where}")
                for d in [ session.Train.Dataset; session.Test.Dataset ] do
                    match d with
                    | :? SnnDsl.Data.FrameDataset as f -> out.WriteLine($"{d.Name}: {f.Source}")
                    | _ -> ()
            | EvalBatchDone _
            | CheckpointWritten _ -> ())
