/// Elementwise arithmetic with F# operators: tensor-tensor with broadcasting, tensor-scalar and scalar-tensor,
/// against the same arithmetic on .NET doubles and singles.
module SnnDsl.Torch.Tests.ArithmeticTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// Python's remainder: the truncated remainder, moved into the divisor's sign.
let pyRemainder (a: float) (b: float) =
    let m = a % b
    if m <> 0.0 && (m < 0.0) <> (b < 0.0) then m + b else m

let binaryOps: (string * (Tensor -> Tensor -> Tensor) * (float -> float -> float) * float) list =
    [ "+", (+), (+), 0.0
      "-", (-), (-), 0.0
      "*", (*), (*), 0.0
      "/", (/), (/), 0.0
      "pow", (fun a b -> Tensor.Pow(a, b)), (fun a b -> Math.Pow(a, b)), 1e-14
      "maximum", (fun a b -> Tensor.Maximum(a, b)), max, 0.0
      "minimum", (fun a b -> Tensor.Minimum(a, b)), min, 0.0
      "remainder", (fun a b -> Tensor.Remainder(a, b)), pyRemainder, 0.0
      "atan2", (fun a b -> Tensor.Atan2(a, b)), (fun a b -> Math.Atan2(a, b)), 1e-14 ]

/// Operands in [0.5, 2) with a random sign for b, so pow (of a positive base), division and remainder are
/// well defined and far from their singular points.
let genOperands =
    gen {
        let! out, shapes = genBroadcast 2
        let! seed = genSeed
        let r = Random seed
        let a = { Shape = shapes[0]; Data = uniform r (Nd.size shapes[0]) 0.5 2.0 }
        let b = { Shape = shapes[1]; Data = awayFromZero r (Nd.size shapes[1]) 0.5 1.5 }
        return out, a, b
    }

let genScalarCase =
    gen {
        let! shape = genShape 0 3 4
        let! seed = genSeed
        let r = Random seed
        let a = { Shape = shape; Data = uniform r (Nd.size shape) 0.5 2.0 }
        let s = (awayFromZero r 1 0.25 3.0)[0]
        return a, s
    }

[<Tests>]
let tests =
    testSequenced <| testList "Arithmetic" [
        law "binary ops broadcast and equal the .NET arithmetic element by element (float64)" <| fun () ->
            forAll genOperands (fun (out, a, b) ->
                use scope = new TensorScope()
                let ta, tb = Nd.toTensor a, Nd.toTensor b
                for name, op, reference, rtol in binaryOps do
                    let expected = (Nd.init out (fun c -> reference (broadcastGet a c) (broadcastGet b c))).Data
                    let t = op ta tb
                    Expect.isTrue (t.DType = DType.Float64) name
                    assertShape out t
                    try
                        expectClose rtol 0.0 expected (values t)
                    with e ->
                        failwith $"{name}: {e.Message}")

        lawOn 200 "float32 arithmetic is IEEE single arithmetic" <| fun () ->
            forAll genOperands (fun (out, a, b) ->
                use scope = new TensorScope()
                let ta, tb = Nd.toTensor(a).To(DType.Float32), Nd.toTensor(b).To(DType.Float32)
                let single (f: float32 -> float32 -> float32) =
                    (Nd.init out (fun c -> float (f (float32 (broadcastGet a c)) (float32 (broadcastGet b c))))).Data
                for name, op, f in [ "+", (+), (+); "-", (-), (-); "*", (*), (*); "/", (/), (/) ] do
                    let t: Tensor = op ta tb
                    Expect.equal t.DType DType.Float32 "t.DType"
                    try
                        expectClose 0.0 0.0 (single f) (values t)
                    with e ->
                        failwith $"{name}: {e.Message}")

        law "tensor-scalar and scalar-tensor operators equal the .NET arithmetic" <| fun () ->
            forAll genScalarCase (fun (a, s) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                let cases: (string * Tensor * (float -> float) * float) list =
                    [ "t + s", t + s, (fun x -> x + s), 0.0
                      "s + t", s + t, (fun x -> s + x), 0.0
                      "t - s", t - s, (fun x -> x - s), 0.0
                      "s - t", s - t, (fun x -> s - x), 0.0
                      "t * s", t * s, (fun x -> x * s), 0.0
                      "s * t", s * t, (fun x -> s * x), 0.0
                      "t / s", t / s, (fun x -> x / s), 2.5e-16
                      "s / t", s / t, (fun x -> s / x), 2.5e-16
                      "-t", -t, (fun x -> -x), 0.0
                      "pow(t, s)", Tensor.Pow(t, s), (fun x -> Math.Pow(x, s)), 1e-14
                      "pow(t, 2)", Tensor.Pow(t, 2.0), (fun x -> x * x), 0.0
                      "pow(t, 0.5)", Tensor.Pow(t, 0.5), sqrt, 1e-15
                      "maximum(t, s)", Tensor.Maximum(t, s), (fun x -> max x s), 0.0
                      "minimum(t, s)", Tensor.Minimum(t, s), (fun x -> min x s), 0.0 ]
                for name, actual, f, rtol in cases do
                    assertShape a.Shape actual
                    try
                        expectClose rtol 0.0 (Array.map f a.Data) (values actual)
                    with e ->
                        failwith $"{name}: {e.Message}")

        testCase "integer arithmetic stays integer and exact" <| fun () ->
            use scope = new TensorScope()
            let r = Random 5
            let a = Array.init 50 (fun _ -> r.NextInt64(-1_000_000_000L, 1_000_000_000L))
            let b = Array.init 50 (fun _ -> r.NextInt64(-1_000_000L, 1_000_000L))
            let ta, tb = Tensor.FromArray a, Tensor.FromArray b
            for name, t, f in [ "+", ta + tb, (+); "-", ta - tb, (-); "*", ta * tb, (*) ] do
                Expect.isTrue (t.DType = DType.Int64) name
                Expect.equal (t.ToArray<int64>() : int64[]) (Array.map2 f a b) "t.ToArray<int64>()"
            let i32 = Tensor.FromArray [| 3; -4; 5 |]
            Expect.equal ((i32 + i32).DType) DType.Int32 "(i32 + i32).DType"
            Expect.equal ((i32 + i32).ToArray<int>() : int[]) ([| 6; -8; 10 |]) "(i32 + i32).ToArray<int>()"
            // a float scalar promotes an integer tensor to the default float dtype (torch's promotion rules)
            let promoted = i32 * 0.5
            Expect.equal promoted.DType DType.Float32 "promoted.DType"
            Expect.equal (promoted.ToArray<float32>() : float32[]) ([| 1.5f; -2.0f; 2.5f |]) "promoted.ToArray<float32>()"

        // A float scalar with an integer tensor computes in the default float dtype with the scalar's exact value,
        // whichever side the scalar is on.
        testCase "a fractional scalar is not truncated against an integer tensor" <| fun () ->
            use scope = new TensorScope()
            let xs = [| -3; -2; -1; 1; 2; 5 |]
            let t = Tensor.FromArray xs
            let check (name: string) (expected: float[]) (actual: Tensor) =
                Expect.isTrue (actual.DType = DType.Float32) ($"{name}: {actual.DType}")
                try
                    expectClose 1e-7 0.0 expected (values actual)
                with e ->
                    failwith $"{name}: {e.Message}"
            check "2.5 / t" (xs |> Array.map (fun x -> 2.5 / float x)) (2.5 / t)
            check "t / 2.5" (xs |> Array.map (fun x -> float x / 2.5)) (t / 2.5)
            check "2.5 - t" (xs |> Array.map (fun x -> 2.5 - float x)) (2.5 - t)
            check "0.5 + t" (xs |> Array.map (fun x -> 0.5 + float x)) (0.5 + t)
            check "0.5 * t" (xs |> Array.map (fun x -> 0.5 * float x)) (0.5 * t)
            check "maximum(t, 0.5)" (xs |> Array.map (fun x -> max (float x) 0.5)) (Tensor.Maximum(t, 0.5))
            check "minimum(t, -1.5)" (xs |> Array.map (fun x -> min (float x) -1.5)) (Tensor.Minimum(t, -1.5))
    ]
