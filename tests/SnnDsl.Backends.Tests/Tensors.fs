/// Moving values between float arrays, float64 tensors and the two interpreters, and the assertions
/// every comparison with the oracle uses.
module SnnDsl.Core.TensorTests.Tensors

open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Torch

/// A float64 tensor [T, N] holding a [T, N] array.
let ofArray2 (a: float[,]) = Tensor.FromArray2D a

/// A 0-d float64 tensor.
let scalar (v: float) = Tensor.Scalar(v, DType.Float64)

/// The elements of a float64 tensor of any shape, row-major.
let elements (t: Tensor) : float[] = t.ToArray<float>()

/// A float64 tensor [T, N] as an array.
let toArray2 (t: Tensor) : float[,] =
    let shape = t.Shape
    if shape.Length <> 2 then invalidArg "t" $"expected a [T, N] tensor, got shape %A{shape}"
    let flat = elements t
    Array2D.init shape[0] shape[1] (fun i j -> flat[i * shape[1] + j])

/// Every raw parameter of the map as a 0-d float64 tensor (the oracle's one scalar per parameter).
let rawTensors (raw: Map<string, float>) : Map<string, Tensor> = raw |> Map.map (fun _ v -> scalar v)

/// A per-step value [N] (a number is broadcast) as floats.
let valueAt (like: Tensor) (v: TValue) = elements (TensorNeuron.materialize like v)

/// A trace of the tensor interpreter as [T, N] tables, shaped like the oracle's Trace.
let traceTables (n: Neuron) (x: Tensor) (steps: TensorStep[]) : Trace =
    let xs = x.Unbind(0)
    let table (pick: int -> float[]) =
        let rows = Array.init steps.Length pick
        Array2D.init steps.Length (Array.length rows[0]) (fun t j -> rows[t][j])
    { Spikes = table (fun t -> elements steps[t].Spike)
      States = n.States |> List.map (fun s -> s.Name, table (fun t -> valueAt xs[t] steps[t].State[s.Name])) |> Map.ofList
      Values = n.Bindings |> List.map (fun b -> b.Name, table (fun t -> valueAt xs[t] steps[t].Values[b.Name])) |> Map.ofList }

/// Runs the tensor interpreter on inputs [T, N] with every raw parameter given as a 0-d tensor.
let tensorRun (n: Neuron) (raw: Map<string, float>) (x: float[,]) : Trace =
    use scope = new TensorScope()
    let xt = ofArray2 x
    traceTables n xt (TensorNeuron.trace n (rawTensors raw) xt)

/// Fails with the first [T, N] cell where the tables differ by more than tol * max(1, |expected|)
/// (tol 0: exact equality).
let expectTable (what: string) (tol: float) (expected: float[,]) (actual: float[,]) =
    if Array2D.length1 expected <> Array2D.length1 actual || Array2D.length2 expected <> Array2D.length2 actual then
        failwith $"{what}: shape [{Array2D.length1 actual}, {Array2D.length2 actual}], expected [{Array2D.length1 expected}, {Array2D.length2 expected}]"
    for t in 0 .. Array2D.length1 expected - 1 do
        for j in 0 .. Array2D.length2 expected - 1 do
            let e, a = expected[t, j], actual[t, j]
            let ok = if tol = 0.0 then e = a else Law.near (tol * max 1.0 (abs e)) e a
            if not ok then failwith $"{what} at t = {t + 1}, neuron {j}: oracle %.17g{e}, tensor %.17g{a}"

/// Fails unless the tensor run equals the oracle run: spikes exactly, states and bindings to tol.
let expectSameTrace (tol: float) (oracle: Trace) (tensor: Trace) =
    expectTable "spikes" 0.0 oracle.Spikes tensor.Spikes
    for KeyValue(name, v) in oracle.States do
        expectTable $"state {name}" tol v tensor.States[name]
    for KeyValue(name, v) in oracle.Values do
        expectTable $"binding {name}" tol v tensor.Values[name]
