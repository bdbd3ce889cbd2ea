/// Moving values between float arrays, float64 tensors and the interpreters, and the assertions every
/// comparison with the oracle uses. Laws run on each interpreter by name: "eager", "fused" (a kernel
/// compiled per program) and "fused-interpreted" (the one interpreting kernel).
module SnnDsl.Backends.Tests.Tensors

open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Torch
open SnnDsl.Backends
open SnnDsl.TestKit

/// The interpreter with this name.
/// Compiled fused kernels planned to save in the forward for the backward (CostModel.save), which the
/// kernels' own model declines on this machine: the laws hold the saving kernels to the same standard.
let fusedSaving =
    { new ITensorInterpreter with
        member _.Name = "fused-saving"
        member _.WhyNot(p, x) = Fused.whyNot p x
        member _.Run(p, raw, state, x) = Fused.runWith CostModel.save p raw state x
        member _.Trace(p, raw, state, x) = Fused.trace FusedMode.Compiled p raw state x }

let interpreter (name: string) : ITensorInterpreter =
    match name with
    | "eager" -> Interpreters.eager
    | "fused" -> Interpreters.fused
    | "fused-interpreted" -> Interpreters.fusedInterpreted
    | "fused-saving" -> fusedSaving
    | other -> failwith $"no interpreter '{other}'"

/// The program an interpreter runs for these tensors: learnable parameters and every parameter given as a
/// tensor stay runtime inputs, the other options fold in.
let programFor (n: Neuron) (raw: Map<string, 'a>) = Program.lower (fun p -> p.Learnable || raw.ContainsKey p.Name) n

/// A float64 tensor [T, N] holding a [T, N] array.
let ofArray2 (a: float[,]) = Tensor.FromArray2D a

/// A 0-d float64 tensor.
let scalar (v: float) = Tensor.Scalar(v, DType.Float64)

/// The elements of a tensor of any shape, row-major, as float64.
let elements (t: Tensor) : float[] = (if t.DType = DType.Float64 then t else t.To(DType.Float64)).ToArray<float>()

/// A float64 tensor [T, N] as an array.
let toArray2 (t: Tensor) : float[,] =
    let shape = t.Shape
    if shape.Length <> 2 then invalidArg "t" $"expected a [T, N] tensor, got shape %A{shape}"
    let flat = elements t
    Array2D.init shape[0] shape[1] (fun i j -> flat[i * shape[1] + j])

/// Every raw parameter of the map as a 0-d float64 tensor (the oracle's one scalar per parameter).
let rawTensors (raw: Map<string, float>) : Map<string, Tensor> = raw |> Map.map (fun _ v -> scalar v)

/// A state value (a number is broadcast) as floats, shaped like `like`.
let valueAt (like: Tensor) (v: TValue) = elements (Eager.materialize like v)

/// A recorded run [T, N] as the oracle's Trace.
let traceTables (tr: TensorTrace) : Trace =
    { Spikes = toArray2 tr.Spikes
      States = tr.States |> List.map (fun (name, t) -> name, toArray2 t) |> Map.ofList
      Values = tr.Values |> List.map (fun (name, t) -> name, toArray2 t) |> Map.ofList }

/// Runs an interpreter on inputs [T, N] with every raw parameter in `raw` given as a 0-d tensor.
let tensorRunWith (interp: ITensorInterpreter) (n: Neuron) (raw: Map<string, float>) (x: float[,]) : Trace =
    use scope = new TensorScope()
    let xt = ofArray2 x
    traceTables (interp.Trace(programFor n raw, rawTensors raw, None, xt))

/// Runs the eager interpreter on inputs [T, N] with every raw parameter given as a 0-d tensor.
let tensorRun (n: Neuron) (raw: Map<string, float>) (x: float[,]) : Trace = tensorRunWith Interpreters.eager n raw x

/// Fails unless the tensor run equals the oracle run: spikes exactly, states and bindings to tol.
let expectSameTrace (tol: float) (oracle: Trace) (tensor: Trace) =
    expectTable "spikes" 0.0 oracle.Spikes tensor.Spikes
    for KeyValue(name, v) in oracle.States do
        expectTable $"state {name}" tol v tensor.States[name]
    for KeyValue(name, v) in oracle.Values do
        expectTable $"binding {name}" tol v tensor.Values[name]
