// The default model's training step through SnnDsl against the same network with the same neuron in PyTorch eager
// (bench/reference/train_step.py over bench/reference/neurons.py, Debian's python3-torch: the same libtorch), in one
// run, rounds interleaved. The neuron is leaky-lif, da-lif, plif or ar-lif (the ones neurons.py writes).
//   dotnet fsi bench/train-step.fsx [threads=1] [rounds=3] [iters=20] [neuron=leaky-lif] [backend=auto]
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Backends.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Nn.dll"

open System
open System.Diagnostics
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Backends

let argOr i (d: string) = if fsi.CommandLineArgs.Length > i then fsi.CommandLineArgs[i] else d
let threads, rounds, iters, neuronName = int (argOr 1 "1"), int (argOr 2 "3"), int (argOr 3 "20"), argOr 4 "leaky-lif"
let backend = match Backend.parse (argOr 5 "auto") with Ok b -> b | Error e -> failwith e
let python = "/usr/bin/python3"
let reference = IO.Path.Combine(__SOURCE_DIRECTORY__, "reference", "train_step.py")

Torch.setThreads threads
Torch.manualSeed 0UL
let neuron = match Builtins.find neuronName with Ok n -> n | Error e -> failwith e
let model =
    Models.smallConv (fun c -> new SpikingLayer(neuron, c, backend = backend, RecordFiring = false) :> Module) { Channels = 1; Height = 28; Width = 28; Classes = 10 }
let opt = new Optimizer(OptimizerKind.Sgd(0.9, false), model.Parameters(), 0.1)
let x = TensorScope.Forget(Tensor.Rand([| 32; 1; 28; 28 |]))
let y = TensorScope.Forget((Tensor.Rand([| 32 |]) * 10.0).Floor().To(DType.Int64))

let step () =
    use scope = new TensorScope()
    let out = model.Forward(x.Unsqueeze(0).Expand(4, 32, 1, 28, 28))
    let loss = Loss.compute Loss.ce out y
    opt.ZeroGrad()
    loss.Backward()
    opt.Step()

let median (xs: float seq) = let a = Seq.sort xs |> Seq.toArray in a[a.Length / 2]

let snnDsl () =
    for _ in 1..5 do step ()
    median [ for _ in 1..iters -> let sw = Stopwatch.StartNew() in step (); sw.Elapsed.TotalMilliseconds ]

let pytorch () =
    let psi = ProcessStartInfo(python, $"\"{reference}\" {threads} {iters} {neuron.Name}", RedirectStandardOutput = true, RedirectStandardError = true)
    // SnnDsl asks libgomp for passive waiting unless OMP_WAIT_POLICY is set; the reference runs the same way.
    if String.IsNullOrEmpty(Environment.GetEnvironmentVariable "OMP_WAIT_POLICY") then psi.Environment["OMP_WAIT_POLICY"] <- "PASSIVE"
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEnd()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    if p.ExitCode <> 0 then failwith $"the PyTorch reference failed (is python3-torch installed for {python}?):\n{err}"
    float (out.Trim())

printfn "train step, small-conv, T=4, batch 32, %s (%s backend), %d thread(s): ms/step (median of %d steps)" neuron.Name (Backend.name backend) threads iters
let results =
    [ for r in 1..rounds do
          let a = snnDsl ()
          let b = pytorch ()
          printfn "round %d: SnnDsl %.1f  PyTorch %.1f  ratio %.3f" r a b (a / b)
          yield a, b ]
let a, b = median (List.map fst results), median (List.map snd results)
printfn "median: SnnDsl %.1f ms, PyTorch %.1f ms, ratio %.3f (target <= 0.6)" a b (a / b)
