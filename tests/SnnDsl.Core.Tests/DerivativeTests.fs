/// Forward-mode derivatives of the oracle against central finite differences and the surrogates.
module SnnDsl.Core.Tests.DerivativeTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators

let private h = 1e-6

let private allUnary = [ UnaryOp.Neg; UnaryOp.Tanh; UnaryOp.Sigmoid; UnaryOp.Exp; UnaryOp.Log; UnaryOp.Relu; UnaryOp.Abs ]
let private allBinary = [ BinaryOp.Add; BinaryOp.Sub; BinaryOp.Mul; BinaryOp.Div; BinaryOp.Min; BinaryOp.Max ]

// S = Θ(X - th), V copies S: the spike count's derivatives are exactly surrogate values.
let private threshold (s: Surrogate) : Neuron =
    { Name = "threshold-unit"; Description = ""; Params = [ ParamSpec.learnable "th" 0.0 "" ]
      States = [ StateSpec.create "V" 0.0 "" ]
      Bindings = [ { Name = "S"; Expr = Spike(s, Input - Param "th") } ]
      Updates = [ { Name = "V"; Expr = Ref "S" } ]; Output = "S" }

// Sum of the outputs over the whole run.
let private total (n: Neuron) raw x = cells (Oracle.run n raw x).Spikes |> Seq.sum

[<Tests>]
let tests =
    testList "Derivative" [
        law "every unary op's tangent equals its central finite difference away from kinks" <| fun () ->
            let cases = Gen.zip (Gen.elements allUnary) (floatIn -3.0 3.0 |> Gen.filter (fun x -> abs x > 1e-3))
            forAll cases (fun (op, x) ->
                let x = if op = UnaryOp.Log then abs x + 0.1 else x // log only of positives, away from its steep end
                let fd = (Scalar.unary op (x + h) - Scalar.unary op (x - h)) / (2.0 * h)
                let d = Dual.unary op { Value = x; Tangent = 1.0 }
                d.Value = Scalar.unary op x && near 1e-6 d.Tangent fd)

        law "every binary op's tangents equal central finite differences away from ties" <| fun () ->
            let point = floatIn -3.0 3.0
            let cases = Gen.zip3 (Gen.elements allBinary) point (point |> Gen.filter (fun y -> abs y > 1e-2))
            forAll (cases |> Gen.filter (fun (_, x, y) -> abs (x - y) > 1e-3)) (fun (op, x, y) ->
                let f a b = Scalar.binary op a b
                let dx = Dual.binary op (Dual.variable x) (Dual.constant y)
                let dy = Dual.binary op (Dual.constant x) (Dual.variable y)
                let tol = 1e-6 * (1.0 + abs dx.Tangent + abs dy.Tangent)
                near tol dx.Tangent ((f (x + h) y - f (x - h) y) / (2.0 * h))
                && near tol dy.Tangent ((f x (y + h) - f x (y - h)) / (2.0 * h)))

        law "a spike's tangent is the surrogate derivative times the incoming tangent" <| fun () ->
            forAll (Gen.zip3 surrogate (floatIn -3.0 3.0) (floatIn -2.0 2.0)) (fun (s, x, seed) ->
                let d = Dual.spike s { Value = x; Tangent = seed }
                d.Value = Surrogate.heaviside x && d.Tangent = Ops.surrogateDerivative s x * seed)

        law "detach passes the value and stops the tangent" <| fun () ->
            forAll (floatIn -3.0 3.0) (fun x -> Dual.detach (Dual.variable x) = Dual.constant x)

        law "the oracle's spike gradients are the surrogate derivative at each input" <| fun () ->
            forAll (Gen.zip3 surrogate (floatIn -1.0 1.0) (inputs 6 3 2.0)) (fun (s, th, x) ->
                let g = Oracle.gradients (threshold s) (Map [ "th", th ]) x
                let expected = x |> Array2D.map (fun xi -> Ops.surrogateDerivative s (xi - th))
                g.Inputs = expected && near 1e-12 g.Params["th"] (-(Seq.sum (cells expected))))

        law "forward-mode derivatives of smooth neurons equal central finite differences" <| fun () ->
            let cases =
                gen {
                    let! n = neuron smoothOnly
                    let! raw = rawParams n
                    let! x = inputs 6 2 2.0
                    return n, raw, x
                }
            forAll cases (fun (n, raw, x) ->
                let g = Oracle.gradients n raw x
                let scale = cells (Oracle.run n raw x).Spikes |> Seq.sumBy abs
                let agrees ad fd = near (1e-5 * (1.0 + abs ad + abs fd) + 1e-9 * scale) ad fd
                let paramOk (p: string) =
                    let at v = total n (Map.add p v raw) x
                    agrees g.Params[p] ((at (raw[p] + h) - at (raw[p] - h)) / (2.0 * h))
                let inputOk t j =
                    let at v = total n raw (Array2D.init (Array2D.length1 x) (Array2D.length2 x) (fun a b -> if (a, b) = (t, j) then v else x[a, b]))
                    agrees g.Inputs[t, j] ((at (x[t, j] + h) - at (x[t, j] - h)) / (2.0 * h))
                (Neuron.paramNames n |> List.forall paramOk)
                && Seq.forall id (seq { for t in 0 .. Array2D.length1 x - 1 do for j in 0 .. Array2D.length2 x - 1 -> inputOk t j }))

        law "the reported spike count is the sum of the run's spikes" <| fun () ->
            forAll (Gen.zip builtin (inputs 10 3 3.0)) (fun (n, x) ->
                (Oracle.gradients n Map.empty x).SpikeCount = total n Map.empty x)
    ]
