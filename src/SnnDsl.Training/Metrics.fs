namespace SnnDsl.Training

open System
open System.Globalization
open System.IO
open System.Text
open System.Text.Json
open System.Text.Json.Nodes

/// The effective values of one learnable neuron parameter of one spiking layer: one per channel (a per-layer
/// parameter has one). Formatted like a number ($"{v:F4}"), a single value prints as itself and a vector as
/// "mean [min, max] over n channels", so a per-channel parameter is never shown as a bare average.
type ChannelValues =
    { /// One value per channel (or per neuron); a single value for a per-layer parameter.
      Values: float[] }

    /// The mean over the channels (the value itself for a per-layer parameter).
    member v.Mean = if v.Values.Length = 0 then nan else Array.average v.Values
    /// The smallest value (NaN when there is none).
    member v.Min = if v.Values.Length = 0 then nan else Array.min v.Values
    /// The largest value (NaN when there is none).
    member v.Max = if v.Values.Length = 0 then nan else Array.max v.Values
    /// True when the parameter has more than one value (per channel or per neuron).
    member v.IsVector = v.Values.Length > 1

    /// The values of a per-channel (or per-neuron) parameter.
    static member Of(values: float[]) = { Values = values }
    /// The single value of a per-layer parameter.
    static member Scalar(value: float) = { Values = [| value |] }

    member private v.Text(format: string, provider: IFormatProvider) =
        let f (x: float) = x.ToString((if String.IsNullOrEmpty format then "G6" else format), provider)
        match v.Values with
        | [| x |] -> f x
        | xs -> $"{f v.Mean} [{f v.Min}, {f v.Max}] over {xs.Length} channels"

    override v.ToString() = v.Text("G6", CultureInfo.InvariantCulture)

    interface IFormattable with
        member v.ToString(format, provider) = v.Text(format, provider)

/// One line of metrics.jsonl: the state of a run after an epoch.
type EpochMetrics =
    { /// The epoch (1-based).
      Epoch: int
      /// The mean training loss per sample over the epoch's batches.
      TrainLoss: float
      /// The fraction of the epoch's training samples classified correctly (0..1).
      TrainAccuracy: float
      /// The mean test loss per sample after the epoch.
      TestLoss: float
      /// The fraction of test samples classified correctly after the epoch (0..1).
      TestAccuracy: float
      /// Wall-clock seconds spent training the epoch, not evaluating (a resumed epoch counts its time before a stop).
      Seconds: float
      /// The learning rate of the epoch's last training batch.
      LearningRate: float
      /// Mean spikes per neuron per step on the test set, per spiking layer (by its readable name).
      FiringRates: (string * float) list
      /// The effective values of every learnable neuron parameter, per spiking layer: one per channel.
      NeuronParams: (string * (string * ChannelValues) list) list
      /// Synaptic operations and energy per test sample.
      Energy: Energy }

/// One line of batches.jsonl: one training batch (1-based epoch and batch; Step counts batches over the run).
type BatchMetrics =
    { /// The epoch (1-based).
      Epoch: int
      /// The batch within its epoch (1-based).
      Batch: int
      /// The batch's number over the whole run (1-based): the run position's GlobalStep after it.
      Step: int64
      /// The batch's mean training loss per sample (over every rank in a data-parallel run).
      Loss: float
      /// The fraction of the batch's samples classified correctly (0..1).
      Accuracy: float
      /// The learning rate the batch was trained with (warm-up and schedule applied).
      LearningRate: float }

/// A run's metric files: metrics.jsonl (one line per epoch) and batches.jsonl (one line per training batch).
[<RequireQualifiedAccess>]
module Metrics =
    /// The file name of a run's per-epoch metrics in its run directory (one JSON object per line).
    let fileName = "metrics.jsonl"

    /// The per-batch training records of a run (one JSON object per line).
    let batchesFileName = "batches.jsonl"

    /// The metrics as one JSON object (snake_case keys, accuracies as fractions). Neuron parameters are
    /// arrays, one value per channel (one value for a per-layer parameter).
    let toJson (m: EpochMetrics) : string =
        let o = JsonObject()
        o["epoch"] <- JsonValue.Create m.Epoch
        o["train_loss"] <- JsonValue.Create m.TrainLoss
        o["train_acc"] <- JsonValue.Create m.TrainAccuracy
        o["test_loss"] <- JsonValue.Create m.TestLoss
        o["test_acc"] <- JsonValue.Create m.TestAccuracy
        o["seconds"] <- JsonValue.Create m.Seconds
        o["lr"] <- JsonValue.Create m.LearningRate
        let rates = JsonObject()
        for name, r in m.FiringRates do rates[name] <- JsonValue.Create r
        o["firing_rates"] <- rates
        let pars = JsonObject()
        for layer, ps in m.NeuronParams do
            let l = JsonObject()
            for name, v in ps do
                let a = JsonArray()
                for x in v.Values do a.Add(JsonValue.Create x)
                l[name] <- a
            pars[layer] <- l
        o["neuron_params"] <- pars
        let e = JsonObject()
        e["macs"] <- JsonValue.Create m.Energy.MacsPerSample
        e["acs"] <- JsonValue.Create m.Energy.AcsPerSample
        e["mj"] <- JsonValue.Create m.Energy.MilliJoules
        o["energy_per_sample"] <- e
        o.ToJsonString()

    let private num (o: JsonNode) (key: string) =
        match o[key] with
        | null -> nan
        | v -> v.GetValue<float>()

    /// A neuron parameter as written: an array (one value per channel) or, in files written before the
    /// values were kept per channel, one number.
    let private channelValues (node: JsonNode) =
        match node with
        | :? JsonArray as a -> ChannelValues.Of [| for x in a -> x.GetValue<float>() |]
        | v -> ChannelValues.Scalar(v.GetValue<float>())

    /// Parses one line written by toJson (or by an older version, with scalar neuron parameters).
    let ofJson (line: string) : EpochMetrics =
        let o = JsonNode.Parse line
        if isNull o then invalidArg "line" "empty metrics line"
        let pairs (node: JsonNode) =
            match node with
            | :? JsonObject as obj -> [ for KeyValue(k, v) in obj -> k, v ]
            | _ -> []
        let e = o["energy_per_sample"]
        { Epoch = o["epoch"].GetValue<int>()
          TrainLoss = num o "train_loss"
          TrainAccuracy = num o "train_acc"
          TestLoss = num o "test_loss"
          TestAccuracy = num o "test_acc"
          Seconds = num o "seconds"
          LearningRate = num o "lr"
          FiringRates = pairs o["firing_rates"] |> List.map (fun (k, v) -> k, v.GetValue<float>())
          NeuronParams = pairs o["neuron_params"] |> List.map (fun (k, v) -> k, pairs v |> List.map (fun (n, x) -> n, channelValues x))
          Energy =
            if isNull e then { MacsPerSample = nan; AcsPerSample = nan; MilliJoules = nan }
            else { MacsPerSample = num e "macs"; AcsPerSample = num e "acs"; MilliJoules = num e "mj" } }

    /// Every epoch's metrics of a run directory (missing file: none).
    let read (runDir: string) : EpochMetrics list =
        let path = Path.Combine(runDir, fileName)
        if not (File.Exists path) then []
        else
            File.ReadAllLines path
            |> Array.filter (fun l -> l.Trim() <> "")
            |> Array.mapi (fun i l ->
                try ofJson l
                with ex -> raise (InvalidDataException($"{path}, line {i + 1}: not a metrics record ({ex.Message})")))
            |> Array.toList

    /// Rewrites the file atomically keeping only epochs < keepBelow (a resumed run repeats the rest).
    let truncate (runDir: string) (keepBelow: int) =
        let kept = read runDir |> List.filter (fun m -> m.Epoch < keepBelow)
        SnnDsl.Core.AtomicFile.write (Path.Combine(runDir, fileName)) (fun s ->
            use w = new StreamWriter(s, Text.UTF8Encoding(false), leaveOpen = true)
            for m in kept do w.WriteLine(toJson m))

    /// Appends one epoch's line (flushed, so a killed run keeps it).
    let append (runDir: string) (m: EpochMetrics) =
        File.AppendAllText(Path.Combine(runDir, fileName), toJson m + "\n")

    // ------------------------------------------------------------------------------- per-batch records

    let private number (x: float) =
        if Double.IsFinite x then x.ToString("R", CultureInfo.InvariantCulture) else "null"

    /// One batch as a JSON object: {"epoch":1,"batch":3,"step":3,"loss":2.1,"acc":0.25,"lr":0.1}.
    let batchToJson (b: BatchMetrics) : string =
        $"{{\"epoch\":{b.Epoch},\"batch\":{b.Batch},\"step\":{b.Step},\"loss\":{number b.Loss},\"acc\":{number b.Accuracy},\"lr\":{number b.LearningRate}}}"

    /// Parses one line written by batchToJson.
    let batchOfJson (line: string) : BatchMetrics =
        let o = JsonNode.Parse line
        if isNull o then invalidArg "line" "empty batch line"
        let value (key: string) =
            match o[key] with
            | null -> nan
            | v -> v.GetValue<float>()
        { Epoch = o["epoch"].GetValue<int>()
          Batch = o["batch"].GetValue<int>()
          Step = o["step"].GetValue<int64>()
          Loss = value "loss"
          Accuracy = value "acc"
          LearningRate = value "lr" }

    /// The complete records of a batches file; a last line cut short by a killed process is left out.
    let private readBatchesFile (path: string) =
        let lines = File.ReadAllLines path |> Array.filter (fun l -> l.Trim() <> "")
        lines
        |> Array.mapi (fun i l ->
            try Some(batchOfJson l)
            with ex ->
                if i = lines.Length - 1 then None
                else raise (InvalidDataException($"{path}, line {i + 1}: not a batch record ({ex.Message})")))
        |> Array.choose id

    /// Every training batch recorded in a run directory, in order (missing file: none).
    let readBatches (runDir: string) : BatchMetrics list =
        let path = Path.Combine(runDir, batchesFileName)
        if File.Exists path then readBatchesFile path |> Array.toList else []

    /// The step of the last complete record of the file, and whether the file ends with a whole line.
    let private tail (path: string) =
        use s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)
        if s.Length = 0L then None, true
        else
            let n = int (min s.Length 65536L)
            s.Seek(-(int64 n), SeekOrigin.End) |> ignore
            let buffer = Array.zeroCreate<byte> n
            let mutable got = 0
            while got < n do
                let r = s.Read(buffer, got, n - got)
                if r = 0 then failwith "unexpected end of file"
                got <- got + r
            let text = Encoding.UTF8.GetString buffer
            let whole = text.EndsWith "\n"
            let last =
                text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                |> Array.rev
                |> Array.tryPick (fun l ->
                    try Some (batchOfJson l).Step
                    with _ -> None)
            last, whole

    /// Appends training-batch records to batches.jsonl in one buffered write. The trainer calls it just before
    /// each checkpoint, so the file always covers exactly the batches that a checkpoint covers (or a few more,
    /// when the process died between the two writes). A record never duplicates one already there: when the
    /// first record's step is not past the file's last step (a resumed or restarted run repeats those
    /// batches), or the file ends in a cut-short line, the file is first rewritten (atomically) without the
    /// records from that step on.
    let appendBatches (runDir: string) (records: BatchMetrics seq) =
        let records = Seq.toArray records
        if records.Length > 0 then
            let path = Path.Combine(runDir, batchesFileName)
            let first = records[0].Step
            if File.Exists path then
                let last, whole = tail path
                let stale = match last with Some s -> s >= first | None -> false
                if stale || not whole then
                    let kept = readBatchesFile path |> Array.filter (fun b -> b.Step < first)
                    SnnDsl.Core.AtomicFile.write path (fun s ->
                        use w = new StreamWriter(s, UTF8Encoding(false), 65536, leaveOpen = true)
                        for b in kept do
                            w.Write(batchToJson b)
                            w.Write('\n'))
            use s = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 65536)
            use w = new StreamWriter(s, UTF8Encoding(false), 65536)
            for b in records do
                w.Write(batchToJson b)
                w.Write('\n')
