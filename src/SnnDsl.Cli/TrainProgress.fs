/// Progress display for training runs: Spectre.Console bars in a terminal, plain lines in logs.
module SnnDsl.Cli.TrainProgress

open System
open System.IO
open Spectre.Console
open SnnDsl.Training

let private f4 (v: float) = v.ToString("0.0000", Globalization.CultureInfo.InvariantCulture)

/// One line per finished epoch.
let epochLine (m: EpochMetrics) =
    let rates = m.FiringRates |> List.map (fun (_, r) -> f4 r) |> String.concat " "
    $"epoch {m.Epoch}: train loss {f4 m.TrainLoss} acc {f4 m.TrainAccuracy} | test loss {f4 m.TestLoss} acc {f4 m.TestAccuracy} | {m.Seconds:F1} s | firing {rates} | {m.Energy.MilliJoules:E3} mJ/sample"

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
                    | Started _
                    | CheckpointWritten _ -> ()))
    else
        let mutable lastPrint = DateTime.MinValue
        let mutable batchSize = 1
        body (fun ev ->
            match ev with
            | BatchDone(epoch, index, batches, loss, acc, rate) ->
                // At most one line every 5 seconds, plus the last batch of the epoch.
                if index = batches || (DateTime.UtcNow - lastPrint).TotalSeconds >= 5.0 then
                    lastPrint <- DateTime.UtcNow
                    let eta = if rate > 0.0 then float ((batches - index) * batchSize) / rate else 0.0
                    out.WriteLine($"epoch {epoch} batch {index}/{batches} ({100 * index / batches}%%) loss {f4 loss} acc {acc:F2} {rate:F0} samples/s, epoch ETA {eta:F0} s")
            | Evaluating(epoch, _) -> out.WriteLine($"epoch {epoch}: evaluating")
            | EpochDone m -> out.WriteLine(epochLine m)
            | Started(session, position) ->
                let c = session.Config
                batchSize <- c.BatchSize
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
