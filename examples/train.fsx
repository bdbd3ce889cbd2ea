// Trains a spiking network with the Trainer API (SnnDsl.Training) and prints the metrics of every epoch.
// By default: the small conv SNN with DA-LIF on the embedded synthetic dataset, 3 epochs (under a minute on
// 2 cores). Given a data directory, Fashion-MNIST instead (1 epoch on the full set takes several minutes;
// --limit-train 6000 makes it about a tenth of that).
//   dotnet fsi examples/train.fsx
//   dotnet fsi examples/train.fsx -- --data-dir ../shared/data/fashion-mnist --epochs 1 --limit-train 6000
// Options: --data-dir --dataset --model --neuron --epochs --timesteps --limit-train --limit-test --threads
//          --out --resume.
// The run directory (metrics.jsonl, checkpoint.snnt) is --out, else $SNNDSL_OUT/train when SNNDSL_OUT is
// set, else runs/train-fsx (replaced on each run unless --resume). SNNDSL_QUICK=1 shrinks the run to about
// ten seconds for the tests: 2 epochs on 320 training and 160 test samples, 1 thread (libtorch's threads
// spin when another process holds a core).
// A checkpoint stores its neuron as text; reading it back parses that text with FParsec.
#r "../src/SnnDsl.Verify/bin/Release/net10.0/FParsecCS.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/FParsec.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Backends.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Nn.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Data.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Training.dll"

open System
open System.IO
open System.Threading
open SnnDsl.Training

let args = fsi.CommandLineArgs |> Array.skip 1 |> Array.filter ((<>) "--")
let arg name fallback =
    match Array.tryFindIndex ((=) name) args with
    | Some i when i + 1 < args.Length -> args[i + 1]
    | _ -> fallback
let quick = Environment.GetEnvironmentVariable "SNNDSL_QUICK" = "1"
let resume = Array.contains "--resume" args

let dataDir = arg "--data-dir" ""
let outDir =
    match arg "--out" "", Environment.GetEnvironmentVariable "SNNDSL_OUT" with
    | "", (null | "") -> Path.Combine(__SOURCE_DIRECTORY__, "..", "runs", "train-fsx")
    | "", dir -> Path.Combine(dir, "train")
    | dir, _ -> dir
    |> Path.GetFullPath

// Text arguments become typed settings here, once; a bad one stops the script with the parser's message.
let setting (r: Result<'a, string>) =
    match r with
    | Ok v -> v
    | Error message ->
        eprintfn "train.fsx: %s" message
        exit 2

let config =
    { TrainConfig.defaults with
        Dataset = DataSource.Registry(setting (SnnDsl.Data.DatasetName.parse (arg "--dataset" (if dataDir = "" then "synthetic" else "fashion-mnist"))))
        DataDir = dataDir
        Model = Some(setting (SnnDsl.Nn.ZooModel.parse (arg "--model" "small-conv")))
        Neuron = setting (Setting.neuron (arg "--neuron" "da-lif") "" [] "")
        Epochs = int (arg "--epochs" (if quick then "2" elif dataDir = "" then "3" else "1"))
        Timesteps = int (arg "--timesteps" "4")
        LimitTrain = int (arg "--limit-train" (if quick then "320" else "0"))
        LimitTest = int (arg "--limit-test" (if quick then "160" else "0"))
        Threads = int (arg "--threads" (if quick then "1" else "0"))
        OutDir = Some outDir }

// The default directory is this script's own: start it afresh. Any other one is left to the trainer, which
// refuses to overwrite a run (use --resume to continue it).
if not resume && outDir = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, "..", "runs", "train-fsx")) && Directory.Exists outDir then
    Directory.Delete(outDir, true)

printfn "training %s with %s on %s, T = %d, %d epoch(s), into %s"
    (TrainConfig.modelName config) config.Neuron.Name (TrainConfig.datasetName config) config.Timesteps config.Epochs outDir

let onEvent event =
    match event with
    | Started(session, position) ->
        printfn "%d parameters; %d training and %d test batches of %d; starting at epoch %d"
            (session.Model.ParameterCount()) session.Train.BatchesPerEpoch session.Test.BatchesPerEpoch
            config.BatchSize (position.Epoch + 1)
    | BatchDone(epoch, i, n, loss, _, rate) when i % 20 = 0 || i = n ->
        printf "\r  epoch %d batch %d/%d  loss %.3f  %.0f samples/s   " epoch i n loss rate
    | EpochDone m ->
        printfn "\nepoch %d: train loss %.4f acc %.4f | test loss %.4f acc %.4f | lr %.4f | %.1f s"
            m.Epoch m.TrainLoss m.TrainAccuracy m.TestLoss m.TestAccuracy m.LearningRate m.Seconds
        for layer, rate in m.FiringRates do
            printfn "  firing rate %-22s %.4f" layer rate
        for layer, pars in m.NeuronParams do
            printfn "  neuron %-27s %s" layer (pars |> List.map (fun (p, v) -> $"{p} = {v:F4}") |> String.concat ", ")
        printfn "  energy per sample: %.0f MACs, %.0f ACs, %.5f mJ" m.Energy.MacsPerSample m.Energy.AcsPerSample m.Energy.MilliJoules
    | _ -> ()

let metrics =
    try Trainer.run config resume onEvent CancellationToken.None
    with
    | :? SnnDsl.Core.SnnException as e when e.Kind = SnnDsl.Core.ErrorKind.Usage ->
        eprintfn "train.fsx: %s" e.Message
        exit 2
    | :? SnnDsl.Data.DataDirectoryException as e ->
        eprintfn "train.fsx: %s" e.Message
        exit 1

let last = List.last metrics
printfn "final test accuracy %.4f after %d epoch(s); metrics in %s" last.TestAccuracy last.Epoch (Path.Combine(outDir, "metrics.jsonl"))
