/// `train-check`: training steps of zoo models on one device (the default small conv net on MNIST-shaped
/// data, ResNet-19 on CIFAR-10-shaped data): samples/s on the fused and the eager backend, against the same
/// network with the same neuron in the host's PyTorch (bench/reference/train_step.py --json), with both
/// sides' parameter counts compared. Data are random tensors of the dataset's shape on the device.
module SnnDsl.Bench.TrainCheck

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Backends
open SnnDsl.Nn

/// One measured configuration.
type Row =
    { Model: string
      Neuron: string
      Side: string
      T: int
      Batch: int
      MsPerStep: float
      SamplesPerS: float
      Parameters: int64 }

/// The input of each model: the default net on MNIST, ResNet-19 on CIFAR-10.
let inputOf (model: string) : InputSpec =
    match model with
    | "small-conv" -> { Channels = 1; Height = 28; Width = 28; Classes = 10 }
    | _ -> { Channels = 3; Height = 32; Width = 32; Classes = 10 }

let private sync (device: Device) = match device with Device.Cuda i -> Torch.cudaSynchronize i | Device.Cpu -> ()

/// Median ms per SGD step (momentum 0.9, lr 0.1, TET-free mean-output cross-entropy) and the parameter count.
let private snnDsl (device: Device) (model: string) (neuron: Neuron) (backend: Backend) (t: int) (batch: int) (iters: int) =
    use scope = new TensorScope()
    Torch.manualSeed 0UL
    let input = inputOf model
    let net =
        use _ = Module.CreateOn device
        Models.create model (fun c -> new SpikingLayer(neuron, c, backend = backend, RecordFiring = false) :> Module) input
    use opt = new Optimizer(OptimizerKind.Sgd(0.9, false), net.Parameters(), 0.1)
    let x = Tensor.Rand([| batch; input.Channels; input.Height; input.Width |], device = device)
    let y = (Tensor.Rand([| batch |], device = device) * float input.Classes).Floor().To(DType.Int64)
    let step () =
        use scope = new TensorScope()
        let out = net.Forward(x.Unsqueeze(0).Expand(t, batch, input.Channels, input.Height, input.Width))
        let loss = Loss.compute Loss.ce out y
        opt.ZeroGrad()
        loss.Backward()
        opt.Step()
        sync device
    for _ in 1..3 do step ()
    let times = [ for _ in 1..iters -> let sw = Stopwatch.StartNew() in step (); sw.Elapsed.TotalMilliseconds ]
    let count = net.ParameterCount()
    net.Dispose()
    Stats.median times, count

/// The same step in PyTorch: bench/reference/train_step.py --json on the same device.
let private pytorch (python: string) (script: string) (device: Device) (model: string) (neuron: string) (t: int) (batch: int) (iters: int) (threads: int) =
    let input = inputOf model
    let dev = match device with Device.Cuda _ -> "cuda" | Device.Cpu -> "cpu"
    let args =
        [ script; string threads; string iters; neuron; "--device"; dev; "--model"; model; "--batch"; string batch; "--T"; string t
          "--input"; $"{input.Channels},{input.Height},{input.Width}"; "--classes"; string input.Classes; "--json" ]
    let psi = ProcessStartInfo(python, args, RedirectStandardOutput = true, RedirectStandardError = true)
    if String.IsNullOrEmpty(Environment.GetEnvironmentVariable "OMP_WAIT_POLICY") then psi.Environment["OMP_WAIT_POLICY"] <- "PASSIVE"
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEnd()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    if p.ExitCode <> 0 then Error $"the PyTorch reference exited with {p.ExitCode}: {err.Trim()}"
    else
        use doc = JsonDocument.Parse(out)
        let r = doc.RootElement
        Ok(r.GetProperty("ms_per_step").GetDouble(), r.GetProperty("parameters").GetInt64())

/// Every model x neuron: fused, eager, PyTorch. Exit code 1 when a side failed or the parameter counts differ.
let run (device: Device) (python: string) (script: string) (models: string list) (neurons: string list) (t: int) (batch: int) (iters: int) (jsonOut: string) =
    let threads = match device with Device.Cpu -> 1 | Device.Cuda _ -> Environment.ProcessorCount
    Torch.setThreads threads
    printfn "train-check on %O: T = %d, batch %d, median of %d SGD steps after 3 warm-up steps; %s; %d thread(s)" device t batch iters (Torch.version ()) threads
    let problems = ResizeArray<string>()
    let rows =
        [ for model in models do
              for name in neurons do
                  let neuron = match Builtins.find name with Ok n -> n | Error e -> failwith e
                  let row side ms count =
                      { Model = model; Neuron = name; Side = side; T = t; Batch = batch; MsPerStep = ms
                        SamplesPerS = float batch / (ms / 1000.0); Parameters = count }
                  let mutable counts = []
                  for backend in [ Backend.Fused; Backend.Eager ] do
                      try
                          let ms, count = snnDsl device model neuron backend t batch iters
                          counts <- count :: counts
                          yield row (Backend.name backend) ms count
                      with e -> problems.Add $"{model} {name} {Backend.name backend}: {e.Message}"
                  match pytorch python script device model name t batch iters threads with
                  | Ok(ms, count) ->
                      if counts |> List.exists ((<>) count) then
                          problems.Add $"{model} {name}: SnnDsl has {List.head counts} parameters, PyTorch {count}"
                      yield row "pytorch" ms count
                  | Error why -> problems.Add $"{model} {name} pytorch: {why}" ]
    printfn "%-11s %-10s %-8s %10s %10s %12s %9s" "model" "neuron" "side" "ms/step" "samples/s" "parameters" "vs torch"
    for r in rows do
        let torch = rows |> List.tryFind (fun q -> q.Model = r.Model && q.Neuron = r.Neuron && q.Side = "pytorch")
        let ratio = match torch with Some q -> $"%.2f{r.MsPerStep / q.MsPerStep}" | None -> "-"
        printfn "%-11s %-10s %-8s %10.1f %10.1f %12d %9s" r.Model r.Neuron r.Side r.MsPerStep r.SamplesPerS r.Parameters ratio
    for p in problems do printfn "FAIL  %s" p
    if jsonOut <> "" then
        let o = {| device = string device; binding = Torch.version (); rows = rows; problems = List.ofSeq problems |}
        File.WriteAllText(jsonOut, JsonSerializer.Serialize(o, JsonSerializerOptions(WriteIndented = true)))
    if problems.Count = 0 then 0 else 1
