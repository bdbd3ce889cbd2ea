// Shared by the study scripts (study-*.fsx): the references, the budget and running a study.
// A study is a grid of training runs written as data (Study.Cells x Study.Seeds); each run is an ordinary
// run directory, so running a study again skips the finished runs and resumes a stopped one exactly.
// SNNDSL_QUICK=1 is the tests' tiny budget: the embedded synthetic dataset, 128 training and 64 test samples,
// 2 seeds, 1 thread. Results go to $SNNDSL_OUT/<study> when SNNDSL_OUT is set, else runs/studies/<study>.
#r "../../src/SnnDsl.Verify/bin/Release/net10.0/FParsecCS.dll"
#r "../../src/SnnDsl.Verify/bin/Release/net10.0/FParsec.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Backends.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Nn.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Data.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Training.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Charts.dll"
#r "../../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Report.dll"

open System
open System.IO
open SnnDsl.Core
open SnnDsl.Data
open SnnDsl.Nn
open SnnDsl.Training
open SnnDsl.Report

let quick = Environment.GetEnvironmentVariable "SNNDSL_QUICK" = "1"
let repoRoot = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, "..", ".."))

/// A text setting, or the script stops with the parser's message.
let setting (r: Result<'a, string>) =
    match r with
    | Ok v -> v
    | Error message -> failwith message

/// The data of a study: the named dataset from ../shared/data, or the synthetic set under the tiny budget.
let data (dataset: DatasetName) (trainSamples: int) (testSamples: int) (c: TrainConfig) =
    if quick then
        { c with Dataset = DataSource.Registry DatasetName.Synthetic; DataDir = ""; LimitTrain = 128; LimitTest = 64; Threads = 1 }
    else
        { c with
            Dataset = DataSource.Registry dataset
            DataDir = Path.Combine(repoRoot, "..", "shared", "data", DatasetName.name dataset)
            LimitTrain = trainSamples
            LimitTest = testSamples }

/// The seeds of a study: at least 3, or 2 under the tiny budget.
let seeds = if quick then [ 1L; 2L ] else [ 1L; 2L; 3L ]

/// The folder of a study's runs.
let studyRoot (name: string) =
    match Environment.GetEnvironmentVariable "SNNDSL_OUT" with
    | null | "" -> Path.Combine(repoRoot, "runs", "studies", name)
    | dir -> Path.Combine(dir, name)

/// A neuron from its text form.
let neuronOfText (source: string) (text: string) = NeuronText.parseNeuron source text

/// A built-in neuron by name.
let builtin (name: string) = setting (Builtins.find name)

/// DA-LIF with alpha, beta or both fixed at their initial effective value tanh(1) instead of learned (both
/// fixed: a LIF that charges H = 0.76 V + 0.76 X), named `name`: the variants of DA-LIF's ablation.
let daLifVariant (name: string) (fixAlpha: bool) (fixBeta: bool) =
    let fixedAt = "0.7615941559557649" // tanh(1)
    let text =
        (SnnDsl.Core.Describe.text Builtins.daLif).Replace("neuron da-lif ", $"neuron {name} ")
        |> fun t -> if fixAlpha then t.Replace("learn  alpha = 1 tanh", $"option alpha = {fixedAt}") else t
        |> fun t -> if fixBeta then t.Replace("learn  beta = 1 tanh", $"option beta = {fixedAt}") else t
    neuronOfText name text

/// The budget of a study's runs: the zoo model, epochs, and training and test samples per epoch.
type Budget = { Model: ZooModel; Epochs: int; TrainSamples: int; TestSamples: int }

/// A run's configuration at this budget: `config`'s neuron, loss and T, trained on `dataset`.
let budgeted (dataset: DatasetName) (budget: Budget) (config: TrainConfig) =
    data dataset budget.TrainSamples budget.TestSamples { config with Model = Some budget.Model; Epochs = budget.Epochs; CheckpointEvery = 100 }

/// A cell of one neuron and loss on `dataset` at T = 4 and this budget.
let cellOf (dataset: DatasetName) (budget: Budget) (name: string) (neuron: Neuron) (loss: Loss) =
    { Name = name
      Config = budgeted dataset budget { TrainConfig.defaults with Neuron = neuron; Loss = loss; Timesteps = 4 } }

/// A cell of one built-in neuron and loss on `dataset` at T = 4 and this budget.
let cell (dataset: DatasetName) (budget: Budget) (name: string) (neuron: string) (loss: Loss) =
    cellOf dataset budget name (builtin neuron) loss

/// Runs the study (skipping finished runs), then writes its report.html and results.md; prints the table.
let runStudy (study: Study) (pairs: (string * string) list) (command: string) =
    printfn "study %s: %d cells x %d seeds into %s" study.Name study.Cells.Length study.Seeds.Length study.Root
    Study.run study (printfn "%s") Threading.CancellationToken.None
    let results = Study.aggregate study
    let html, md = StudyReport.write study results pairs command
    printfn "%s" (File.ReadAllText md)
    printfn "wrote %s and %s" html md
    results
