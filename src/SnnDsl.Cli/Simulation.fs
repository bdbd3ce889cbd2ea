namespace SnnDsl.Cli

open SnnDsl.Core
open SnnDsl.Torch

/// Derivatives of the total spike count of a run, by libtorch autograd through the surrogate.
type SpikeGradients =
    { /// The sum of all spikes.
      SpikeCount: float
      /// d(sum of spikes)/d(raw value) of each learnable parameter, in declaration order.
      Params: (string * float) list
      /// d(sum of spikes)/d(x[t, n]), [T, N].
      Inputs: float[,] }

/// A run of N independent neurons over T steps, copied out of the tensors into [T, N] arrays.
type Simulation =
    { Neuron: Neuron
      Inputs: float[,]
      Spikes: float[,]
      /// Each state's value after each step, in declaration order (V is the membrane after reset).
      States: (string * float[,]) list
      /// Each binding's value at each step (for the built-ins H, the membrane before reset, and theta).
      Values: Map<string, float[,]>
      Gradients: SpikeGradients option }

/// Running a neuron through the tensor interpreter (TensorNeuron) in float64.
[<RequireQualifiedAccess>]
module Simulation =
    /// Steps T and neurons N of a run.
    let size (s: Simulation) = Array2D.length1 s.Inputs, Array2D.length2 s.Inputs

    /// Runs `n` over inputs [T, N] with its learnable parameters at their raw initial values, given as float64
    /// tensors (options are read from the definition); with `withGradients`, also backpropagates the total
    /// spike count to the learnable parameters and the inputs.
    let run (n: Neuron) (inputs: float[,]) (withGradients: bool) : Simulation =
        let T, N = Array2D.length1 inputs, Array2D.length2 inputs
        use scope = new TensorScope()
        let x = Tensor.FromArray2D inputs
        x.RequiresGrad <- withGradients
        let learnables =
            [ for p in n.Params do
                  if p.Learnable then
                      let t = Tensor.Scalar(p.Init, DType.Float64)
                      t.RequiresGrad <- withGradients
                      yield p.Name, t ]
        let steps = TensorNeuron.trace n (Map.ofList learnables) x
        let xs = x.Unbind(0)
        let table (pick: TensorStep -> TValue) =
            let rows = Array.init T (fun t -> (TensorNeuron.materialize xs[t] (pick steps[t])).ToArray<float>())
            Array2D.init T N (fun t j -> rows[t][j])
        let spikes = table (fun s -> TValue.Tensor s.Spike)
        let gradients =
            if not withGradients then None
            else
                let total = Tensor.Stack(steps |> Array.map (fun s -> s.Spike)).Sum()
                // Spikes that depend on nothing trainable have no graph: every gradient is 0.
                if total.RequiresGrad then total.Backward()
                let grad (t: Tensor) = t.Grad |> Option.map (fun g -> g.ToArray<float>())
                let inputGrad =
                    match grad x with
                    | Some g -> Array2D.init T N (fun t j -> g[t * N + j])
                    | None -> Array2D.zeroCreate T N
                Some
                    { SpikeCount = total.ToScalar()
                      Params = learnables |> List.map (fun (name, t) -> name, (match grad t with Some g -> g[0] | None -> 0.0))
                      Inputs = inputGrad }
        { Neuron = n
          Inputs = inputs
          Spikes = spikes
          States = n.States |> List.map (fun s -> s.Name, table (fun st -> st.State[s.Name]))
          Values = n.Bindings |> List.map (fun b -> b.Name, table (fun st -> st.Values[b.Name])) |> Map.ofList
          Gradients = gradients }
