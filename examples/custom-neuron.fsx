// Defines a new neuron in ten lines, runs it through the scalar oracle and on libtorch tensors (eager and
// in a fused kernel compiled from the same definition), and takes its surrogate gradients.
// Run after a Release build:  dotnet fsi examples/custom-neuron.fsx
#r "../src/SnnDsl.Backends/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Backends/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Backends/bin/Release/net10.0/SnnDsl.Backends.dll"

open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Backends

/// Leaky LIF with a learnable threshold, kept in (0, 2) by a sigmoid: theta = 2 * sigmoid(vth_raw).
let lifVth =
    Neuron.compose
        { Name = "lif-vth"; Description = "leaky LIF with a learnable, positive threshold; soft reset"
          Params = [ ParamSpec.option "decay" 0.5 "leak factor"
                     ParamSpec.learnable "vth" 0.0 "threshold / 2, squashed" |> ParamSpec.squashed Squash.Sigmoid ]
          Charge = Charge.leaky (Param "decay")               // H = decay * V + X
          Threshold = Threshold.constant (2.0 * Param "vth") // theta = 2 * sigmoid(vth_raw)
          Reset = Reset.soft                                  // V = H - theta * S
          Surrogate = Surrogate.atan
          States = []; Extra = []; Updates = [] }

printfn "%s\n" (Describe.neuron lifVth)

// One neuron, five steps (T = 5, N = 1).
let inputs = array2D [ [ 0.9 ]; [ 1.6 ]; [ -0.4 ]; [ 2.2 ]; [ 0.3 ] ]
let trace = Oracle.run lifVth Map.empty inputs
printfn "%4s %8s %8s %8s %4s %8s" "t" "X" "H" "theta" "S" "V"
for t in 0 .. Array2D.length1 inputs - 1 do
    printfn "%4d %8.4f %8.4f %8.4f %4.0f %8.4f"
        (t + 1) inputs[t, 0] trace.Values["H"].[t, 0] trace.Values["theta"].[t, 0] trace.Spikes[t, 0] trace.States["V"].[t, 0]

// Surrogate gradients of the spike count, by forward mode.
let g = Oracle.gradients lifVth Map.empty inputs
printfn "\nspike count %g; d/d vth_raw = %.6f; d/d decay = %.6f" g.SpikeCount g.Params["vth"] g.Params["decay"]
printfn "d/dX = %A" [ for t in 0 .. Array2D.length1 inputs - 1 -> System.Math.Round(g.Inputs[t, 0], 6) ]

// The same definition on libtorch tensors (float64, [T, N]), with the learnable threshold as a tensor: once
// on the eager backend, once in a fused kernel generated from the definition (compiled on first use).
do
    use scope = new TensorScope()
    let x = Tensor.FromArray2D inputs
    let onOracle = [| for t in 0 .. Array2D.length1 inputs - 1 -> trace.Spikes[t, 0] |]
    for backend in [ Backend.Eager; Backend.Fused ] do
        let raw = Map.ofList [ ("vth", Tensor.Scalar(0.0, DType.Float64)) ]
        let spikes, _ = NeuronRunner(lifVth, backend).Run(raw, None, x)
        let onTensors = spikes.ToArray<float>()
        if onTensors <> onOracle then failwithf "%A spikes %A differ from the oracle's %A" backend onTensors onOracle
        printfn "libtorch tensors (%s backend) give the oracle's spikes: %A" (Backend.name backend) onTensors
