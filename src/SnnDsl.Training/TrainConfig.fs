namespace SnnDsl.Training

open System
open System.Text.Json
open System.Text.Json.Serialization

/// Everything that defines a training run. Saved in every checkpoint, so `--resume` and `snn eval` rebuild
/// exactly the same model and data pipeline.
[<CLIMutable>]
type TrainConfig =
    { Dataset: string
      DataDir: string
      Model: string
      Neuron: string
      /// The neuron's text form (`snn train --neuron-file`; every checkpoint stores the text of the neuron it
      /// trained): when given, the neuron is read from it and `Neuron` is only its name. Null or empty in
      /// older checkpoints and for `--neuron NAME`: the built-in of that name.
      NeuronText: string
      /// Raw values for neuron parameters, e.g. ["decay=0.25"].
      NeuronParams: string[]
      /// e.g. "rectangle:1"; empty keeps the neuron's own surrogate.
      Surrogate: string
      Timesteps: int
      Epochs: int
      BatchSize: int
      LearningRate: float
      /// sgd | adam | adamw
      Optimizer: string
      Momentum: float
      WeightDecay: float
      /// ce | tet | mse
      Loss: string
      TetLambda: float
      LabelSmoothing: float
      /// cosine | step | constant
      Schedule: string
      WarmupEpochs: float
      /// 0 disables clipping.
      ClipGradNorm: float
      Augment: bool
      /// Event datasets: how events are divided among the Timesteps frames: number | time | duration:<us>
      /// (null or empty, as in checkpoints written before it existed: number).
      SplitBy: string
      /// Event-camera frames resized to R x R; 0: 48 for vggsnn on cifar10-dvs and dvs-gesture, else the sensor's size.
      Resize: int
      /// The frame cache folder of event datasets; null or empty: the default ($SNNDSL_CACHE or ~/.cache/snndsl/frames).
      CacheDir: string
      /// Keep integrated event frames in memory instead of the frame cache.
      NoCache: bool
      /// CIFAR10-DVS's split: paper (the first 100 recordings of each class for test) or 9:1; null or empty: paper.
      DataSplit: string
      LimitTrain: int
      LimitTest: int
      Seed: int64
      Device: string
      /// eager | fused | auto: which tensor interpreter runs the neurons (null in older checkpoints: auto).
      Backend: string
      Threads: int
      /// Batches between mid-epoch checkpoints (0: only at the end of each epoch).
      CheckpointEvery: int
      /// Every spiking layer checks that its input is finite (a data error names how many values are not).
      CheckFinite: bool
      OutDir: string }

[<RequireQualifiedAccess>]
module TrainConfig =
    /// The defaults of `snn train`: the small conv net with DA-LIF on the embedded synthetic dataset.
    let defaults =
        { Dataset = "synthetic"
          DataDir = ""
          Model = "small-conv"
          Neuron = "da-lif"
          NeuronText = ""
          NeuronParams = [||]
          Surrogate = ""
          Timesteps = 4
          Epochs = 3
          BatchSize = 32
          LearningRate = 0.1
          Optimizer = "sgd"
          Momentum = 0.9
          WeightDecay = 0.0
          Loss = "ce"
          TetLambda = 0.05
          LabelSmoothing = 0.0
          Schedule = "cosine"
          WarmupEpochs = 0.0
          ClipGradNorm = 0.0
          Augment = false
          SplitBy = "number"
          Resize = 0
          CacheDir = ""
          NoCache = false
          DataSplit = "paper"
          LimitTrain = 0
          LimitTest = 0
          Seed = 1L
          Device = "cpu"
          Backend = "auto"
          Threads = 0
          CheckpointEvery = 50
          CheckFinite = false
          OutDir = "runs/default" }

    let private options = JsonSerializerOptions(WriteIndented = true)

    let toJson (c: TrainConfig) = JsonSerializer.Serialize(c, options)

    let ofJson (json: string) : TrainConfig =
        let c = JsonSerializer.Deserialize<TrainConfig>(json, options)
        if isNull (box c) then invalidArg "json" "empty training configuration"
        c

    /// Problems with a configuration that do not need the data or the model to find.
    let validate (c: TrainConfig) : string list =
        [ if c.Timesteps < 1 then $"--timesteps must be at least 1, got {c.Timesteps}"
          if c.Epochs < 1 then $"--epochs must be at least 1, got {c.Epochs}"
          if c.BatchSize < 1 then $"--batch-size must be at least 1, got {c.BatchSize}"
          if not (c.LearningRate > 0.0) || Double.IsInfinity c.LearningRate then $"--lr must be a positive number, got {c.LearningRate}"
          if not (List.contains c.Optimizer [ "sgd"; "adam"; "adamw" ]) then $"unknown optimizer '{c.Optimizer}'; valid optimizers: sgd, adam, adamw"
          if not (List.contains c.Loss [ "ce"; "tet"; "mse" ]) then $"unknown loss '{c.Loss}'; valid losses: ce, tet, mse"
          if not (List.contains c.Schedule [ "cosine"; "step"; "constant" ]) then $"unknown schedule '{c.Schedule}'; valid schedules: cosine, step, constant"
          if c.LimitTrain < 0 || c.LimitTest < 0 then "--limit-train and --limit-test must be >= 0"
          if c.Threads < 0 then $"--threads must be >= 0, got {c.Threads}"
          if not (String.IsNullOrEmpty c.Backend) then
              match SnnDsl.Backends.Backend.parse c.Backend with
              | Ok _ -> ()
              | Error e -> e
          if c.CheckpointEvery < 0 then "--checkpoint-every must be >= 0"
          match SnnDsl.Data.SplitBy.parse (if String.IsNullOrWhiteSpace c.SplitBy then "number" else c.SplitBy) with
          | Error e -> e
          | Ok _ -> ()
          if c.Resize < 0 then $"--resize must be >= 0, got {c.Resize}"
          if not (List.contains (if String.IsNullOrWhiteSpace c.DataSplit then "paper" else c.DataSplit) [ "paper"; "9:1" ]) then
              $"unknown --data-split '{c.DataSplit}'; valid splits: paper, 9:1" ]
