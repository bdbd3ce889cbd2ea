/// The reusable gradient check: autograd's gradient of a float64 function equals its central finite difference.
module SnnDsl.Torch.Tests.FiniteDiff

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// Step of the central difference.
let eps = 1e-6

/// Compares autograd with central finite differences for f applied to leaves built from `inputs`.
/// A non-scalar output is reduced to the scalar sum(out * w) with fixed random weights w, so every output
/// element contributes with its own weight. The finite differences evaluate f in a no-grad scope on fresh
/// leaves and take the weighted sum in .NET, so they share nothing with the backward pass.
/// Passes when |autograd - fd| <= rtol * max(|autograd|, |fd|) + atol for every input element.
let checkWith (rtol: float) (atol: float) (f: Tensor[] -> Tensor) (inputs: Nd list) =
    use scope = new TensorScope()
    let inputs = List.toArray inputs
    let leaves =
        inputs
        |> Array.map (fun a ->
            let t = Nd.toTensor a
            t.RequiresGrad <- true
            t)
    let out = f leaves
    Expect.equal out.DType DType.Float64 "out.DType"
    let weights = uniform (Random 7919) (int out.NumElements) 0.5 1.5
    let loss = (out * Tensor.FromArray(weights, out.Shape)).Sum()
    loss.Backward()
    let analytic =
        leaves
        |> Array.map (fun l ->
            match l.Grad with
            | Some g -> values g
            | None -> Array.zeroCreate (int l.NumElements))

    let lossAt (data: float[][]) =
        use inner = new TensorScope()
        use _ = Autograd.noGrad ()
        let o = f (Array.map2 (fun (a: Nd) d -> Tensor.FromArray(d, a.Shape)) inputs data)
        Array.fold2 (fun acc v w -> acc + v * w) 0.0 (values o) weights

    let data = inputs |> Array.map (fun a -> Array.copy a.Data)
    for i in 0 .. inputs.Length - 1 do
        for j in 0 .. data[i].Length - 1 do
            let x = data[i][j]
            data[i][j] <- x + eps
            let plus = lossAt data
            data[i][j] <- x - eps
            let minus = lossAt data
            data[i][j] <- x
            let fd = (plus - minus) / (2.0 * eps)
            let a = analytic[i][j]
            if not (abs (a - fd) <= rtol * max (abs a) (abs fd) + atol) then
                failtest ($"input {i} element {j} (x = {x:R}): autograd gives {a:R}, central difference gives {fd:R} (|diff| = {abs (a - fd):E3})")

/// The default tolerance: 1e-6 relative, with a 1e-7 floor for gradients near zero.
let check (f: Tensor[] -> Tensor) (inputs: Nd list) = checkWith 1e-6 1e-7 f inputs

/// Uniform inputs in [lo, hi).
let nd (r: Random) (shape: int[]) lo hi = { Shape = shape; Data = uniform r (Nd.size shape) lo hi }

/// Inputs with 0.1 <= |x| < 1.6, away from the kinks at zero.
let ndAway (r: Random) (shape: int[]) = { Shape = shape; Data = awayFromZero r (Nd.size shape) 0.1 1.5 }

/// Runs `check` on the inputs `draw` makes from each of three seeds.
let gradCheck (f: Tensor[] -> Tensor) (draw: Random -> Nd list) =
    for seed in [ 1; 2; 3 ] do
        check f (draw (Random seed))
