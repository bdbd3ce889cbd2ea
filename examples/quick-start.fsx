// Quick start: pick a built-in neuron, simulate it, build the default small conv SNN with it and train it
// briefly on the embedded synthetic dataset (no download). 10 to 40 s on a shared 2-core machine.
// Run after a Release build (dotnet fsi build.fsx build):  dotnet fsi examples/quick-start.fsx
// examples/notebooks/01-quick-start.ipynb is the same code as a .NET Interactive notebook, from packages.
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Backends.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Nn.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Data.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Training.dll"

open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Data
open SnnDsl.Training

// 1. A built-in neuron: DA-LIF, H = beta * V + alpha * X with learnable alpha and beta.
let neuron =
    match Builtins.find "da-lif" with
    | Ok n -> n
    | Error e -> failwith e
printfn "%s\n" (Describe.neuron neuron)

// 2. Simulate one neuron for six steps on the scalar oracle (inputs are [T, N]).
let inputs = array2D [ [ 0.5 ]; [ 0.9 ]; [ 1.4 ]; [ 0.2 ]; [ 1.1 ]; [ 1.6 ] ]
let trace = Oracle.run neuron Map.empty inputs
printfn "t  X     H      S  V"
for t in 0 .. Array2D.length1 inputs - 1 do
    printfn "%d  %.2f  %.3f  %.0f  %.3f" (t + 1) inputs[t, 0] trace.Values["H"].[t, 0] trace.Spikes[t, 0] trace.States["V"].[t, 0]

// 3. The default small conv SNN (conv-BN-spike x 2, pooling, linear) with a DA-LIF layer per conv.
Torch.manualSeed 1UL // libtorch runs on one thread here; Torch.setThreads n uses more
let T = 4
let train = Datasets.load "synthetic" "" true
let test = Datasets.load "synthetic" "" false
let input = { Channels = 1; Height = 28; Width = 28; Classes = train.NumClasses }
let model = Models.smallConv (fun channels -> new SpikingLayer(neuron, channels)) input
printfn "\nsmall-conv: %d parameters, %d train / %d test samples (%s)" (model.ParameterCount()) train.Count test.Count (String.concat ", " train.ClassNames)

// Direct encoding: the same image at each of the T steps, [N, C, H, W] -> [T, N, C, H, W].
let encode (x: Tensor) = x.Unsqueeze(0).Expand(T, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3])

// 4. Train one epoch on 1,280 samples: SGD, momentum 0.9, learning rate 0.1, mean-output cross entropy.
let optimizer = new Optimizer(OptimizerKind.Sgd(0.9, false), model.Parameters(), 0.1)
let trainLoader = new DataLoader(train, { LoaderOptions.Train(32, 1L) with Limit = Some 1280 })
let batchLosses = ResizeArray<float>()
model.Train true
for batch in trainLoader.Batches(0) do
    use scope = new TensorScope() // frees this batch's tensors (the graph included) at the end
    use batch = batch
    let loss = Loss.compute Loss.ce (model.Forward(encode batch.X)) batch.Y
    optimizer.ZeroGrad()
    loss.Backward()
    optimizer.Step()
    batchLosses.Add(loss.ToScalar())
    if (batch.Index + 1) % 10 = 0 then printfn "batch %2d  loss %.3f" (batch.Index + 1) (loss.ToScalar())

// 5. Test accuracy on the 500 test samples, and the decays each spiking layer learned.
model.Eval()
let mutable correct = 0L
let testLoader = new DataLoader(test, LoaderOptions.Test 100)
for batch in testLoader.Batches(0) do
    use scope = new TensorScope()
    use batch = batch
    use _ = Autograd.noGrad ()
    correct <- correct + Loss.correct (model.Forward(encode batch.X)) batch.Y
printfn "test accuracy %.3f (%d / %d)" (float correct / float test.Count) correct test.Count
for path, m in model.NamedModules() do
    match m with
    | :? SpikingLayer as s ->
        let learned = s.EffectiveParameters() |> List.map (fun (p, v) -> $"{p} = {v:F3}") |> String.concat ", "
        printfn "spiking layer %s learned %s" path learned
    | _ -> ()

// 6. The training loss of every batch as a line chart: a standalone SVG drawn by SnnDsl.Charts (no script,
//    no network, no chart package), which opens in any browser and shows inline in a notebook.
#r "../src/SnnDsl.Charts/bin/Release/net10.0/SnnDsl.Charts.dll"
open SnnDsl.Charts
let lossChart =
    Chart.lines "quick start: training loss per batch" "batch" "loss" [ { Name = "training loss"; Values = List.ofSeq batchLosses } ]
let chartPath =
    match System.Environment.GetEnvironmentVariable "SNNDSL_OUT" with
    | null | "" -> System.IO.Path.Combine(__SOURCE_DIRECTORY__, "..", "runs", "quick-start", "loss.svg")
    | dir -> System.IO.Path.Combine(dir, "quick-start-loss.svg")
System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName chartPath) |> ignore
System.IO.File.WriteAllText(chartPath, lossChart)
printfn "wrote %s (%d batches)" chartPath batchLosses.Count
