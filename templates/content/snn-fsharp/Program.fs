// SnnApp: a spiking network in F# with SnnDsl.
//
//   dotnet run                           first run: trains one epoch on the synthetic dataset into run/;
//                                        later runs: load run/checkpoint.snnt and predict the test set
//   dotnet run -- --fresh                train again from scratch
//   dotnet run -- --fresh --neuron-file  train with my-lif.neuron (the neuron as text) instead
open System
open System.IO
open System.Threading
open SnnDsl.Core
open SnnDsl.Training

/// Leaky LIF with a learnable threshold, from the combinators: H = decay * V + X, theta = vth, soft reset.
let lifVth =
    Neuron.compose
        { Name = "lif-vth"; Description = "leaky LIF with a learnable threshold; soft reset"
          Params = [ ParamSpec.option "decay" 0.5 "leak factor"; ParamSpec.learnable "vth" 1.0 "threshold" ]
          Charge = Charge.leaky (Param "decay")
          Threshold = Threshold.constant (Param "vth")
          Reset = Reset.soft
          Surrogate = Surrogate.atan
          States = []; Extra = []; Updates = [] }

/// The same kind of neuron written as text (my-lif.neuron, copied beside the program).
let myLif = NeuronText.loadNeuron (Path.Combine(AppContext.BaseDirectory, "my-lif.neuron"))

let args = Environment.GetCommandLineArgs() |> Array.skip 1
let runDir = Path.GetFullPath "run"
let checkpoint = Path.Combine(runDir, "checkpoint.snnt")
if Array.contains "--fresh" args && Directory.Exists runDir then Directory.Delete(runDir, true)

/// Text settings become typed values once; a bad one stops here with the parser's message.
let setting (r: Result<'a, string>) =
    match r with
    | Ok v -> v
    | Error message -> failwith message

if not (File.Exists checkpoint) then
    let neuron = if Array.contains "--neuron-file" args then myLif else lifVth
    printfn "training with:\n%s\n" (Describe.neuron neuron)
    printfn "also defined, in my-lif.neuron:\n%s\n" (Describe.neuron myLif)
    let config =
        { TrainConfig.defaults with
            Dataset = DataSource.Registry(setting (SnnDsl.Data.DatasetName.parse "synthetic"))
            Model = Some(setting (SnnDsl.Nn.ZooModel.parse "small-conv"))
            Neuron = neuron
            Epochs = 1
            Timesteps = 4
            LimitTrain = 512
            LimitTest = 128
            OutDir = Some runDir }
    let onEvent event =
        match event with
        | EpochDone m ->
            printfn "epoch %d: train loss %.4f, test accuracy %.4f, %.1f s" m.Epoch m.TrainLoss m.TestAccuracy m.Seconds
        | _ -> ()
    Trainer.run config false onEvent CancellationToken.None |> ignore
    printfn "saved %s; run again to load it and predict" checkpoint
else
    // The checkpoint alone rebuilds the network (its neuron is stored as text) and predicts the test set.
    let evaluation = Trainer.evaluateCheckpoint checkpoint id ignore CancellationToken.None
    printfn "loaded %s: test accuracy %.4f" checkpoint evaluation.Accuracy
    for layer, rate in evaluation.FiringRates do
        printfn "  firing rate %-22s %.4f" layer rate
