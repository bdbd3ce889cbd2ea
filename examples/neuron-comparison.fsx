// Trains LIF, DA-LIF and AR-LIF with equal budgets and writes a comparison table (accuracy, firing rate,
// energy) plus an HTML report overlaying the runs.
//   dotnet fsi examples/neuron-comparison.fsx                      # Fashion-MNIST, small budget
//   dotnet fsi examples/neuron-comparison.fsx -- --dataset cifar10 --model vgg11 --epochs 10 --limit-train 0
// Options: --dataset --data-dir --model --epochs --timesteps --limit-train --limit-test --threads --out
// SNNDSL_QUICK=1 is a small budget for the tests (a few seconds per neuron): the synthetic dataset unless
// --dataset is given, 1 epoch on 320 training and 160 test samples, 1 thread. Without --out the results go
// to $SNNDSL_OUT/neuron-comparison when SNNDSL_OUT is set, else runs/neuron-comparison.
// A checkpoint stores its neuron as text; reading it back parses that text with FParsec.
#r "../src/SnnDsl.Verify/bin/Release/net10.0/FParsecCS.dll"
#r "../src/SnnDsl.Verify/bin/Release/net10.0/FParsec.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Backends.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Nn.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Data.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Training.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Charts.dll"
#r "../src/SnnDsl.Report/bin/Release/net10.0/SnnDsl.Report.dll"

open System
open System.IO
open SnnDsl.Training
open SnnDsl.Report

let args = fsi.CommandLineArgs |> Array.skip 1 |> Array.filter ((<>) "--")
let arg name fallback =
    match Array.tryFindIndex ((=) name) args with
    | Some i when i + 1 < args.Length -> args[i + 1]
    | _ -> fallback

let quick = Environment.GetEnvironmentVariable "SNNDSL_QUICK" = "1"
let repoRoot = Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, ".."))
let dataset = arg "--dataset" (if quick then "synthetic" else "fashion-mnist")
let defaultDataDir = if dataset = "synthetic" then "" else Path.Combine(repoRoot, "..", "shared", "data", dataset)
let outRoot =
    match Environment.GetEnvironmentVariable "SNNDSL_OUT" with
    | null | "" -> arg "--out" (Path.Combine(repoRoot, "runs", "neuron-comparison"))
    | dir -> arg "--out" (Path.Combine(dir, "neuron-comparison"))
let baseConfig =
    { TrainConfig.defaults with
        Dataset = DataSource.Registry(SnnDsl.Data.DatasetName.parse dataset |> Result.defaultWith failwith)
        DataDir = arg "--data-dir" defaultDataDir
        Model = Some(SnnDsl.Nn.ZooModel.parse (arg "--model" (if dataset = "cifar10" then "vgg11" else "small-conv")) |> Result.defaultWith failwith)
        Epochs = int (arg "--epochs" "1")
        Timesteps = int (arg "--timesteps" "4")
        LimitTrain = int (arg "--limit-train" (if quick then "320" else "6000"))
        LimitTest = int (arg "--limit-test" (if quick then "160" else "2000"))
        Threads = int (arg "--threads" (if quick then "1" else "0"))
        Augment = (dataset = "cifar10") }

// Equal budgets: same model, data, epochs, optimiser and seed; only the neuron (and its loss) differs.
// AR-LIF is trained with TET as its authors do; the others with mean-output cross entropy.
let runs =
    [ "lif", "ce"; "da-lif", "ce"; "ar-lif", "tet" ]
    |> List.map (fun (neuron, loss) ->
        let dir = Path.Combine(outRoot, neuron)
        if Directory.Exists dir then Directory.Delete(dir, true)
        let setting r = r |> Result.defaultWith failwith
        let config =
            { baseConfig with
                Neuron = setting (Setting.neuron neuron "" [] "")
                Loss = setting (Setting.loss loss SnnDsl.Nn.Loss.tetLambda 0.0)
                OutDir = Some dir }
        printfn "training %s (%s loss) on %s ..." neuron loss dataset
        let metrics =
            Trainer.run config false (function
                | BatchDone(e, i, n, l, _, r) when i % 50 = 0 || i = n -> printf "\r  epoch %d batch %d/%d loss %.3f %.0f samples/s   " e i n l r
                | EpochDone m -> printfn "\n  epoch %d: test accuracy %.4f" m.Epoch m.TestAccuracy
                | _ -> ()) Threading.CancellationToken.None
        neuron, dir, List.last metrics)

let table =
    [ yield "| neuron | test acc | mean firing rate | ACs / sample | MACs / sample | energy (mJ) | train s |"
      yield "|---|---|---|---|---|---|---|"
      for neuron, _, m in runs do
          let rate = m.FiringRates |> List.averageBy snd
          yield $"| {neuron} | {m.TestAccuracy:F4} | {rate:F4} | {m.Energy.AcsPerSample:N0} | {m.Energy.MacsPerSample:N0} | {m.Energy.MilliJoules:F5} | {m.Seconds:F0} |" ]
    |> String.concat "\n"

Directory.CreateDirectory outRoot |> ignore
File.WriteAllText(Path.Combine(outRoot, "comparison.md"), table + "\n")
Report.write (Path.Combine(outRoot, "report.html")) (runs |> List.map (fun (_, d, _) -> d))
printfn "\n%s\n\nwrote %s and %s" table (Path.Combine(outRoot, "comparison.md")) (Path.Combine(outRoot, "report.html"))
