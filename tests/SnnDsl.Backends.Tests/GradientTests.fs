/// Autograd through every interpreter (libtorch's for eager, the derived backward for fused) equals the
/// oracle's forward-mode gradients.
module SnnDsl.Backends.Tests.GradientTests

open Expecto
open SnnDsl.TestKit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Core.Tests.Generators
open SnnDsl.Backends.Tests.Tensors
open SnnDsl.Backends.Tests.OracleAgreementTests
open SnnDsl.Torch
open SnnDsl.Backends

let private tol = 1e-9

let private near what (e: float) (a: float) =
    if not (near (tol * max 1.0 (abs e)) e a) then failwith $"{what}: oracle %.17g{e}, autograd %.17g{a}"

/// d(sum of spikes)/d(raw parameters given as tensors) and d/d(inputs) by backward, against Oracle.gradients.
let expectOracleGradientsWith (interp: ITensorInterpreter) ((n: Neuron, raw: Map<string, float>), (defined: Neuron, tensors: Map<string, float>), x: float[,]) =
    let expected = Oracle.gradients n raw x
    use scope = new TensorScope()
    let pars = tensors |> Map.map (fun _ v -> let t = scalar v in t.RequiresGrad <- true; t)
    let xt = ofArray2 x
    xt.RequiresGrad <- true
    let spikes, _ = interp.Run(programFor defined tensors, pars, None, xt)
    let total = spikes.Sum()
    if total.ToScalar() <> expected.SpikeCount then
        failwith $"spike count: oracle {expected.SpikeCount}, tensor {total.ToScalar()}"
    // A run whose spikes do not depend on anything that requires grad has no graph: all gradients are 0.
    if total.RequiresGrad then total.Backward()
    let gradOf (t: Tensor) = t.Grad |> Option.map elements
    let inputGrad =
        match gradOf xt with
        | Some g -> Array2D.init (Array2D.length1 x) (Array2D.length2 x) (fun i j -> g[i * Array2D.length2 x + j])
        | None -> Array2D.zeroCreate (Array2D.length1 x) (Array2D.length2 x)
    for t in 0 .. Array2D.length1 x - 1 do
        for j in 0 .. Array2D.length2 x - 1 do
            near $"d/dx[{t + 1}, {j}]" expected.Inputs[t, j] inputGrad[t, j]
    for KeyValue(name, p) in pars do
        let g = match gradOf p with Some g -> g[0] | None -> 0.0
        near $"d/d{name}" expected.Params[name] g

/// The same through the eager interpreter.
let expectOracleGradients cases = expectOracleGradientsWith Interpreters.eager cases

/// The learnable parameters as tensors, the fixed options written into the definition.
let private learnablesAsTensors (n: Neuron, raw: Map<string, float>) =
    let learnable name = n.Params |> List.exists (fun p -> p.Name = name && p.Learnable)
    let defined =
        raw |> Map.fold (fun n k v -> if learnable k then n else (match Neuron.withParam k v n with Ok n -> n | Error e -> failwith e)) n
    defined, raw |> Map.filter (fun k _ -> learnable k)

let private randomGradientCases =
    gen {
        let! n = neuron everything
        let! raw = rawParams n
        let! split = split (n, raw)
        let! x = inputs 10 3 3.0
        return (n, raw), split, x
    }

// h = min(a, b) or max(a, b) where a and b tie but have different derivatives: the oracle follows the
// operand it picks (the left one), and so must autograd (libtorch's minimum/maximum split a tie's gradient).
let private tie (op: BinaryOp) (left: Expr) (right: Expr) : Neuron =
    { Name = "tie"; Description = ""; Params = [ ParamSpec.learnable "p" 1.0 "" ]
      States = [ StateSpec.create "V" 0.0 "" ]
      Bindings = [ { Name = "h"; Expr = Binary(op, left, right) }; { Name = "S"; Expr = Spike(Surrogate.Triangle 4.0, Ref "h") } ]
      Updates = [ { Name = "V"; Expr = Ref "h" } ]; Output = "S" }

[<Tests>]
let tests =
    testList "Gradient" [
        yield! lawRows "autograd through every built-in equals the oracle's forward-mode gradients for learnable parameters and inputs" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let cases =
                gen {
                    let! nr = builtinWithParams
                    let! x = inputs 16 4 3.0
                    return nr, learnablesAsTensors nr, x
                }
            forAll cases (expectOracleGradientsWith (interpreter interp))

        yield! lawRows "autograd through every built-in equals the oracle when every parameter is a tensor" [ "eager"; "fused"; "fused-interpreted" ] <| fun (interp: string) ->
            let cases =
                gen {
                    let! nr = if interp = "fused" then compiledBuiltinWithParams else builtinWithParams
                    let! x = inputs 16 4 3.0
                    return nr, (fst nr, snd nr), x
                }
            forAll cases (expectOracleGradientsWith (interpreter interp))

        yield! lawRows "autograd through random neuron definitions equals the oracle's forward-mode gradients" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            forAll randomGradientCases (expectOracleGradientsWith (interpreter interp))

        lawOn 6 "the derived backward of random neurons in compiled fused kernels equals forward mode (a bounded sample)" <| fun () ->
            forAll randomGradientCases (expectOracleGradientsWith Interpreters.fused)

        testCase "the gradient cases exercise nonzero surrogate gradients" <| fun () ->
            // Guards the laws above against inputs that never come near a threshold (all-zero gradients).
            let sample = Gen.sample 100 (Gen.zip builtinWithParams (inputs 16 4 3.0))
            let nonzero =
                sample
                |> Seq.filter (fun ((n, raw), x) -> Oracle.gradients n raw x |> fun g -> cells g.Inputs |> Seq.exists ((<>) 0.0))
                |> Seq.length
            Expect.inRange nonzero 50 100 "nonzero"

        yield! theory "min and max ties send the gradient to the left operand, as in the oracle" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            // At X = 1 and p = 1: X * 2 - 1 = 1 = X and p * X = X; each pair ties with different derivatives.
            let x = array2D [ [ 1.0; 1.0 ] ]
            for op in [ BinaryOp.Min; BinaryOp.Max ] do
                for left, right in
                    [ Input * 2.0 - 1.0, Input
                      Input, Input * 2.0 - 1.0
                      Param "p" * Input, Input
                      Input, Param "p" * Input
                      Input, Const 1.0
                      Const 1.0, Input ] do
                    let n = tie op left right
                    expectOracleGradientsWith (interpreter interp) ((n, Map [ "p", 1.0 ]), (n, Map [ "p", 1.0 ]), x)
    ]
