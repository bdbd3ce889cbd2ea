namespace SnnDsl.Backends

open System
open SnnDsl.Core
open SnnDsl.Torch

/// Derivatives of the total spike count of a run, by autograd through the surrogate.
type SpikeGradients =
    { /// The sum of all spikes.
      SpikeCount: float
      /// d(sum of spikes)/d(raw value) of each learnable parameter, in declaration order.
      Params: (string * float) list
      /// d(sum of spikes)/d(x[t, n]), [T, N].
      Inputs: float[,] }

/// A run of N independent neurons over T steps, copied out of the tensors into [T, N] arrays.
type Simulation =
    { /// The neuron that was simulated.
      Neuron: Neuron
      /// The interpreter that ran it ("eager", "fused").
      Interpreter: string
      /// The inputs x[t, n], [T, N].
      Inputs: float[,]
      /// Each neuron's spike at each step, [T, N].
      Spikes: float[,]
      /// Each state's value after each step, in declaration order (V is the membrane after reset).
      States: (string * float[,]) list
      /// Each binding's value at each step (for the built-ins H, the membrane before reset, and theta).
      Values: Map<string, float[,]>
      /// The derivatives of the total spike count, when the run asked for them.
      Gradients: SpikeGradients option }

/// Simulating a neuron on float64 tensors, the one algorithm behind `snn simulate` and the C# facade's
/// `Neuron.Simulate`: learnable parameters at their raw initial values (one scalar each, shared by all N
/// neurons), fixed options from the definition.
[<RequireQualifiedAccess>]
module Simulation =
    /// Steps T and neurons N of a run.
    let size (s: Simulation) = Array2D.length1 s.Inputs, Array2D.length2 s.Inputs

    /// Fails with a data error naming the first input that is not a finite number, or an empty input.
    let checkInputs (inputs: float[,]) =
        if isNull inputs then nullArg "inputs"
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        if T = 0 || N = 0 then Fail.usage $"inputs must be [T, N] with T, N >= 1, got [{T}, {N}]"
        for t in 0 .. T - 1 do
            for j in 0 .. N - 1 do
                if not (Double.IsFinite inputs[t, j]) then
                    Fail.data $"inputs must be finite numbers; x[{t}, {j}] (step {t + 1}, neuron {j}) is {inputs[t, j]}"

    let private table (t: Tensor) : float[,] =
        let shape = t.Shape
        let flat = t.Detach().ToArray<float>()
        Array2D.init shape[0] shape[1] (fun i j -> flat[i * shape[1] + j])

    /// Runs `n` over inputs [T, N] through the chosen backend; with `withGradients`, also backpropagates the
    /// total spike count to the learnable parameters and the inputs.
    let run (backend: Backend) (n: Neuron) (inputs: float[,]) (withGradients: bool) : Simulation =
        checkInputs inputs
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        // One scalar per parameter for the whole run: every parameter is per layer here.
        let shared = { n with Params = n.Params |> List.map (fun p -> { p with Granularity = Granularity.PerLayer }) }
        let runner = NeuronRunner(shared, backend)
        use scope = new TensorScope()
        let x = Tensor.FromArray2D inputs
        x.RequiresGrad <- withGradients
        let learnables =
            [ for p in shared.Params do
                  if p.Learnable then
                      let t = Tensor.Scalar(p.Init, DType.Float64)
                      t.RequiresGrad <- withGradients
                      yield p.Name, t ]
        let raw = Map.ofList learnables
        let interpreter = runner.InterpreterFor(raw, x)
        let trace = runner.Trace(raw, None, x)
        let gradients =
            if not withGradients then None
            else
                let total = trace.Spikes.Sum()
                // Spikes that depend on nothing trainable have no graph: every gradient is 0.
                if total.RequiresGrad then total.Backward()
                let grad (t: Tensor) = t.Grad |> Option.map (fun g -> g.ToArray<float>())
                Some
                    { SpikeCount = total.ToScalar()
                      Params = learnables |> List.map (fun (name, t) -> name, (match grad t with Some g -> g[0] | None -> 0.0))
                      Inputs =
                        match grad x with
                        | Some g -> Array2D.init T N (fun t j -> g[t * N + j])
                        | None -> Array2D.zeroCreate T N }
        { Neuron = n
          Interpreter = interpreter.Name
          Inputs = Array2D.copy inputs
          Spikes = table trace.Spikes
          States = trace.States |> List.map (fun (name, t) -> name, table t)
          Values = trace.Values |> List.map (fun (name, t) -> name, table t) |> Map.ofList
          Gradients = gradients }
