namespace SnnDsl.Training

open System
open System.IO
open System.Text.Json
open System.Text.Json.Nodes

/// One line of metrics.jsonl: the state of a run after an epoch.
type EpochMetrics =
    { Epoch: int
      TrainLoss: float
      TrainAcc: float
      TestLoss: float
      TestAcc: float
      Seconds: float
      LearningRate: float
      /// Mean spikes per neuron per step on the test set, per spiking layer (by path).
      FiringRates: (string * float) list
      /// Effective value of every learnable neuron parameter, per spiking layer.
      NeuronParams: (string * (string * float) list) list
      Energy: Energy }

[<RequireQualifiedAccess>]
module Metrics =
    let fileName = "metrics.jsonl"

    /// The metrics as one JSON object (snake_case keys, accuracies as fractions).
    let toJson (m: EpochMetrics) : string =
        let o = JsonObject()
        o["epoch"] <- JsonValue.Create m.Epoch
        o["train_loss"] <- JsonValue.Create m.TrainLoss
        o["train_acc"] <- JsonValue.Create m.TrainAcc
        o["test_loss"] <- JsonValue.Create m.TestLoss
        o["test_acc"] <- JsonValue.Create m.TestAcc
        o["seconds"] <- JsonValue.Create m.Seconds
        o["lr"] <- JsonValue.Create m.LearningRate
        let rates = JsonObject()
        for name, r in m.FiringRates do rates[name] <- JsonValue.Create r
        o["firing_rates"] <- rates
        let pars = JsonObject()
        for layer, ps in m.NeuronParams do
            let l = JsonObject()
            for name, v in ps do l[name] <- JsonValue.Create v
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

    /// Parses one line written by toJson.
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
          TrainAcc = num o "train_acc"
          TestLoss = num o "test_loss"
          TestAcc = num o "test_acc"
          Seconds = num o "seconds"
          LearningRate = num o "lr"
          FiringRates = pairs o["firing_rates"] |> List.map (fun (k, v) -> k, v.GetValue<float>())
          NeuronParams = pairs o["neuron_params"] |> List.map (fun (k, v) -> k, pairs v |> List.map (fun (n, x) -> n, x.GetValue<float>()))
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
