/// Elementwise math (exp, log, tanh, sigmoid, relu, rounding, ...) against System.Math, in float64 and float32.
module SnnDsl.Torch.Tests.MathTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// log(1 + x) without cancellation (Kahan's trick; .NET has no log1p).
let log1p (x: float) =
    let u = 1.0 + x
    if u = 1.0 then x else log u * x / (u - 1.0)

/// exp(x) - 1 without cancellation (Kahan's trick).
let expm1 (x: float) =
    let u = exp x
    if u = 1.0 then x
    elif u - 1.0 = -1.0 then -1.0
    else (u - 1.0) * x / log u

/// name, op, reference, and the domain [lo, hi) its inputs are drawn from.
let unaryOps: (string * (Tensor -> Tensor) * (float -> float) * float * float) list =
    [ "neg", (fun t -> -t), (fun x -> -x), -5.0, 5.0
      "abs", (fun t -> t.Abs()), abs, -5.0, 5.0
      "exp", (fun t -> t.Exp()), exp, -20.0, 20.0
      "log", (fun t -> t.Log()), log, 1e-3, 1e3
      "log1p", (fun t -> t.Log1p()), log1p, -0.9, 10.0
      "expm1", (fun t -> t.Expm1()), expm1, -5.0, 5.0
      "sqrt", (fun t -> t.Sqrt()), sqrt, 0.0, 100.0
      "rsqrt", (fun t -> t.Rsqrt()), (fun x -> 1.0 / sqrt x), 0.01, 100.0
      "square", (fun t -> t.Square()), (fun x -> x * x), -10.0, 10.0
      "reciprocal", (fun t -> t.Reciprocal()), (fun x -> 1.0 / x), 0.1, 10.0
      "tanh", (fun t -> t.Tanh()), tanh, -5.0, 5.0
      "sigmoid", (fun t -> t.Sigmoid()), (fun x -> 1.0 / (1.0 + exp -x)), -20.0, 20.0
      "relu", (fun t -> t.Relu()), (fun x -> max 0.0 x), -5.0, 5.0
      "sin", (fun t -> t.Sin()), sin, -10.0, 10.0
      "cos", (fun t -> t.Cos()), cos, -10.0, 10.0
      "floor", (fun t -> t.Floor()), floor, -10.0, 10.0
      "ceil", (fun t -> t.Ceil()), ceil, -10.0, 10.0
      "sign", (fun t -> t.Sign()), (fun x -> float (sign x)), -5.0, 5.0
      "heaviside", (fun t -> t.Heaviside()), (fun x -> if x >= 0.0 then 1.0 else 0.0), -5.0, 5.0 ]

let genSeedAndShape = Gen.zip genSeed (genShape 0 3 6)

[<Tests>]
let tests =
    testSequenced <| testList "Math" [
        lawOn 100 "unary math equals System.Math in float64" <| fun () ->
            forAll genSeedAndShape (fun (seed, shape) ->
                use scope = new TensorScope()
                let r = Random seed
                for name, op, reference, lo, hi in unaryOps do
                    let xs = uniform r (Nd.size shape) lo hi
                    let t = op (Tensor.FromArray(xs, shape))
                    Expect.isTrue (t.DType = DType.Float64) name
                    assertShape shape t
                    try
                        expectClose 1e-14 1e-300 (Array.map reference xs) (values t)
                    with e ->
                        failwith $"{name}: {e.Message}")

        lawOn 100 "unary math equals System.Math rounded to single in float32" <| fun () ->
            forAll genSeedAndShape (fun (seed, shape) ->
                use scope = new TensorScope()
                let r = Random seed
                for name, op, reference, lo, hi in unaryOps do
                    let xs = uniform r (Nd.size shape) lo hi |> Array.map (float32 >> float)
                    let t = op (Tensor.FromArray(Array.map float32 xs, shape))
                    Expect.isTrue (t.DType = DType.Float32) name
                    try
                        // a few units in the last place of a single (vectorised float kernels are accurate to ~1 ulp)
                        expectClose 5e-7 1e-30 (Array.map (reference >> float32 >> float) xs) (values t)
                    with e ->
                        failwith $"{name}: {e.Message}")

        testCase "round takes halves to the even neighbour" <| fun () ->
            use scope = new TensorScope()
            let xs = Array.init 81 (fun i -> float (i - 40) / 4.0)
            // Math.Round's default is MidpointRounding.ToEven; spelled out here for the halves.
            let expected = xs |> Array.map (fun x -> let f = floor x in if x - f = 0.5 then (if f % 2.0 = 0.0 then f else f + 1.0) else Math.Round x)
            expectExact expected (values (Tensor.FromArray(xs).Round()))

        testCase "sign, abs, relu and heaviside at zero" <| fun () ->
            use scope = new TensorScope()
            let z = Tensor.FromArray [| 0.0; -0.0 |]
            expectExact [| 0.0; 0.0 |] (values (z.Sign()))
            expectExact [| 0.0; 0.0 |] (values (z.Abs()))
            expectExact [| 0.0; 0.0 |] (values (z.Relu()))
            // Θ(0) = 1, also for negative zero (-0.0 >= 0)
            expectExact [| 1.0; 1.0 |] (values (z.Heaviside()))

        testCase "isnan, isfinite and logical not classify special values" <| fun () ->
            use scope = new TensorScope()
            let xs = [| 0.0; 1.5; nan; infinity; -infinity; -0.0; 1e-310 |]
            let t = Tensor.FromArray xs
            Expect.equal (t.IsNaN().ToArray<bool>() : bool[]) (Array.map Double.IsNaN xs) "t.IsNaN().ToArray<bool>()"
            Expect.equal (t.IsFinite().ToArray<bool>() : bool[]) (Array.map Double.IsFinite xs) "t.IsFinite().ToArray<bool>()"
            Expect.equal (t.LogicalNot().ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> x = 0.0)) "t.LogicalNot().ToArray<bool>()"
            Expect.equal (t.IsNaN().DType) DType.Bool "t.IsNaN().DType"
    ]
