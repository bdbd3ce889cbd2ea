/// Tiny in-process training runs on the embedded synthetic dataset, shared by the training tests.
module SnnDsl.Nn.Tests.TrainingRuns

open System
open System.IO
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers

/// small-conv with DA-LIF, T = 2, batch 32, 128 training and 64 test samples (4 + 2 batches per epoch),
/// one thread, a checkpoint after every batch.
let config (outDir: string) =
    { TrainConfig.defaults with
        Dataset = DataSource.Registry SnnDsl.Data.DatasetName.Synthetic
        Model = Some SnnDsl.Nn.ZooModel.SmallConv
        Neuron = SnnDsl.Core.Builtins.daLif
        Timesteps = 2
        Epochs = 2
        BatchSize = 32
        LimitTrain = 128
        LimitTest = 64
        Threads = 1
        CheckpointEvery = 1
        Seed = 7L
        OutDir = Some outDir }

/// Batches per training epoch of `config`.
let batchesPerEpoch = 4

/// A fresh run to completion.
let train (c: TrainConfig) = Trainer.run c false ignore CancellationToken.None

let checkpointPath (dir: string) = Path.Combine(dir, Checkpoint.fileName)

/// The bits of every tensor of a run's checkpoint (parameters, buffers, optimiser state), by name.
let checkpointBits (dir: string) : Map<string, int64[]> =
    let entries = TensorFile.load (checkpointPath dir) Device.Cpu
    try
        entries
        |> Array.filter (fun (n, _) -> n <> "config" && n <> "position")
        |> Array.map (fun (n, t) -> n, values t |> Array.map BitConverter.DoubleToInt64Bits)
        |> Map.ofArray
    finally
        for _, t in entries do t.Dispose()

/// Asserts that two runs ended with bitwise identical tensors, naming the first that differs.
let assertSameTensors (expectedDir: string) (actualDir: string) =
    let a, b = checkpointBits expectedDir, checkpointBits actualDir
    Expect.equal (b |> Map.toList |> List.map fst : string list) (a |> Map.toList |> List.map fst) "b |> Map.toList |> List.map fst"
    Expect.contains (a |> Map.keys) "param/0.weight" "a |> Map.keys"
    for KeyValue(name, bits) in a do
        if bits <> b[name] then failwith $"{name} differs between {expectedDir} and {actualDir}"

/// The metrics lines of a run without the wall-clock field, for comparing runs.
let metricsWithoutTime (dir: string) =
    Metrics.read dir |> List.map (fun m -> { m with Seconds = 0.0 })

// The reference run's folder, shared by the tests of this run (never disposed: they read it until the end).
let private shared = new TempDir()

/// The reference run: `config` trained for 2 epochs without interruption (built once, on first use).
let reference =
    lazy
        (let dir = shared.File "reference"
         let metrics = train (config dir)
         dir, metrics)
