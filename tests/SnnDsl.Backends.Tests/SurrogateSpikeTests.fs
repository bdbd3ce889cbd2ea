/// The eager spike (Eager.spike: the shim's surrogate-agnostic op with dΘ/dx from Ops.surrogateRule): forward
/// exactly Θ(x) (1 for x >= 0), backward the surrogate derivative of docs/science.md ("Surrogate gradients"),
/// written out here independently, at the edges of each surrogate's support, in float64 and float32.
module SnnDsl.Backends.Tests.SurrogateSpikeTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Backends
open SnnDsl.Torch.Tests.Helpers

/// docs/science.md, "Surrogate gradients": dS/dx at x = V - threshold.
let specDerivative (s: Surrogate) (x: float) =
    match s with
    // (1/a) * 1(|x| < a/2)
    | Surrogate.Rectangle a -> if abs x < a / 2.0 then 1.0 / a else 0.0
    // (1/gamma^2) * max(0, gamma - |x|)
    | Surrogate.Triangle g -> if abs x >= g then 0.0 else (g - abs x) / (g * g)
    // alpha * σ(alpha x) * (1 - σ(alpha x)) = alpha * e / (1 + e)^2 with e = exp(-alpha x)
    | Surrogate.Sigmoid a ->
        let e = Math.Exp(-a * x)
        a * e / ((1.0 + e) * (1.0 + e))
    // (alpha/2) / (1 + (pi/2 * alpha * x)^2)
    | Surrogate.Atan a -> a / 2.0 / (1.0 + Math.Pow(Math.PI / 2.0 * a * x, 2.0))
    // 1 / (beta * |x| + 1)^2
    | Surrogate.FastSigmoid b -> Math.Pow(b * abs x + 1.0, -2.0)

let surrogates =
    [ Surrogate.rectangle; Surrogate.Rectangle 0.5; Surrogate.Rectangle 3.0
      Surrogate.triangle; Surrogate.Triangle 0.5; Surrogate.Triangle 2.0
      Surrogate.sigmoid; Surrogate.Sigmoid 1.0; Surrogate.Sigmoid 10.0
      Surrogate.atan; Surrogate.Atan 0.5; Surrogate.Atan 5.0
      Surrogate.fastSigmoid; Surrogate.FastSigmoid 2.0; Surrogate.FastSigmoid 25.0 ]

/// A grid over [-3, 3], zero of both signs, the support's edges and their neighbouring floats (of the given
/// precision: `round` maps a double to the nearest value of the tensor's dtype).
let grid (s: Surrogate) (round: float -> float) (next: float -> float) (prev: float -> float) =
    let edges =
        match s with
        | Surrogate.Rectangle a -> [ a / 2.0 ]
        | Surrogate.Triangle g -> [ g ]
        | _ -> [ 1.0 ]
    [| yield! Array.init 121 (fun i -> float (i - 60) * 0.05)
       yield 0.0
       yield -0.0
       yield 1e-30
       yield -1e-30
       for e in edges do
           let e = round e
           yield! [ e; -e; next e; -(next e); prev e; -(prev e) ] |]
    |> Array.map round

let grid64 s = grid s id Math.BitIncrement Math.BitDecrement

let grid32 s =
    grid s (float32 >> float) (fun x -> float (MathF.BitIncrement(float32 x))) (fun x -> float (MathF.BitDecrement(float32 x)))

/// dΘ/dx from autograd: the gradient of sum(spike(x)).
let spikeGrad (s: Surrogate) (x: Tensor) =
    x.RequiresGrad <- true
    let y = Eager.spike s x
    y.Sum().Backward()
    y, values x.Grad.Value

[<Tests>]
let tests =
    testSequenced <| testList "Surrogate spike" [
        testCase "the defaults are those of docs/science.md" <| fun () ->
            Expect.equal Surrogate.rectangle (Surrogate.Rectangle 1.0) "Surrogate.rectangle"
            Expect.equal Surrogate.triangle (Surrogate.Triangle 1.0) "Surrogate.triangle"
            Expect.equal Surrogate.sigmoid (Surrogate.Sigmoid 4.0) "Surrogate.sigmoid"
            Expect.equal Surrogate.atan (Surrogate.Atan 2.0) "Surrogate.atan"
            Expect.equal Surrogate.fastSigmoid (Surrogate.FastSigmoid 10.0) "Surrogate.fastSigmoid"

        lawOn 200 "forward is exactly the Heaviside step, 1 at zero" <| fun () ->
            let gen = Gen.zip (Gen.elements surrogates) genSeed
            forAll gen (fun (s, seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let xs = Array.append (grid64 s) (uniform r 50 -5.0 5.0)
                let step = xs |> Array.map (fun x -> if x >= 0.0 then 1.0 else 0.0)
                for dt in [ DType.Float64; DType.Float32 ] do
                    let x = Tensor.FromArray(xs, [| xs.Length |]).To(dt)
                    let y = Eager.spike s x
                    Expect.equal y.DType dt "y.DType"
                    // float32 rounding never moves a value across zero
                    assertTensor 0.0 [| xs.Length |] step y)

        testCase "backward in float64 is the documented surrogate derivative, including 0 at the support's edges" <| fun () ->
            use scope = new TensorScope()
            for s in surrogates do
                let xs = grid64 s
                let _, g = spikeGrad s (Tensor.FromArray xs)
                try
                    // σ(1 - σ) loses relative accuracy in the tails (1 - σ cancels); 1e-14 absolute covers it
                    expectClose 1e-12 1e-14 (Array.map (specDerivative s) xs) g
                with e ->
                    failwith $"{s}: {e.Message}"

        testCase "the support edges give exactly zero" <| fun () ->
            use scope = new TensorScope()
            let at (s: Surrogate) (xs: float[]) = snd (spikeGrad s (Tensor.FromArray xs))
            // rectangle: 1(|x| < a/2) is 0 at |x| = a/2 and 1/a just inside
            for a in [ 1.0; 0.5; 3.0 ] do
                let h = a / 2.0
                expectExact [| 0.0; 0.0; 1.0 / a; 1.0 / a; 0.0; 0.0 |] (at (Surrogate.Rectangle a) [| h; -h; Math.BitDecrement h; -(Math.BitDecrement h); Math.BitIncrement h; 2.0 * a |])
            // triangle: max(0, gamma - |x|) is 0 at |x| = gamma and beyond
            for g in [ 1.0; 0.5; 2.0 ] do
                let grad = at (Surrogate.Triangle g) [| g; -g; Math.BitIncrement g; 5.0 * g; 0.0 |]
                expectExact [| 0.0; 0.0; 0.0; 0.0 |] grad[0..3]
                expectClose 1e-15 0.0 [| 1.0 / g |] [| grad[4] |]

        testCase "backward in float32 is the documented surrogate derivative to single precision" <| fun () ->
            use scope = new TensorScope()
            for s in surrogates do
                let xs = grid32 s
                let y, g = spikeGrad s (Tensor.FromArray(Array.map float32 xs))
                Expect.equal y.DType DType.Float32 "y.DType"
                try
                    expectClose 1e-5 1e-6 (Array.map (specDerivative s) xs) g
                    // the support's edges are exact in float32 too
                    match s with
                    | Surrogate.Rectangle a | Surrogate.Triangle a ->
                        for i in 0 .. xs.Length - 1 do
                            let outside = (match s with Surrogate.Rectangle _ -> abs xs[i] >= a / 2.0 | _ -> abs xs[i] >= a)
                            if outside then Expect.isTrue (g[i] = 0.0) ($"x = {xs[i]}: gradient {g[i]} outside the support")
                    | _ -> ()
                with e ->
                    failwith $"{s}: {e.Message}"

        testCase "Ops.surrogateDerivative agrees with the documented formulas" <| fun () ->
            for s in surrogates do
                let xs = Array.append (grid64 s) (uniform (Random 4) 200 -4.0 4.0)
                expectClose 1e-12 1e-14 (Array.map (specDerivative s) xs) (Array.map (Ops.surrogateDerivative s) xs)
                Expect.equal (Array.map Surrogate.heaviside xs : float[]) (xs |> Array.map (fun x -> if x >= 0.0 then 1.0 else 0.0)) "Array.map Surrogate.heaviside xs"

        lawOn 100 "the upstream gradient multiplies the surrogate (chain rule through affine input and weights)" <| fun () ->
            let gen = Gen.zip (Gen.elements surrogates) genSeed
            forAll gen (fun (s, seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let xs, ws = uniform r 40 -2.0 2.0, uniform r 40 -1.5 1.5
                let x = Tensor.FromArray xs
                x.RequiresGrad <- true
                // loss = Σ w * Θ(2x - 0.25)  =>  dloss/dx = w * S'(2x - 0.25) * 2
                (Eager.spike s (x * 2.0 - 0.25) * Tensor.FromArray ws).Sum().Backward()
                let expected = Array.map2 (fun x w -> w * specDerivative s (2.0 * x - 0.25) * 2.0) xs ws
                expectClose 1e-12 1e-14 expected (values x.Grad.Value))

        testCase "the forward value enters the product rule as the exact step" <| fun () ->
            use scope = new TensorScope()
            for s in surrogates do
                let xs = uniform (Random 9) 30 -1.0 1.0
                let x = Tensor.FromArray xs
                x.RequiresGrad <- true
                // loss = Σ Θ(x) e^x  =>  dloss/dx = S'(x) e^x + Θ(x) e^x
                (Eager.spike s x * x.Exp()).Sum().Backward()
                let expected = xs |> Array.map (fun v -> specDerivative s v * exp v + (if v >= 0.0 then exp v else 0.0))
                expectClose 1e-12 1e-14 expected (values x.Grad.Value)

        testCase "spike rejects integer inputs and surrogates with a parameter that is not positive and finite" <| fun () ->
            use scope = new TensorScope()
            let e = Expect.raises<TorchException> (fun () -> Eager.spike Surrogate.rectangle (Tensor.FromArray [| 1L; -1L |]) |> ignore)
            assertMessageContains "floating" e
            for bad in [ Surrogate.Rectangle 0.0; Surrogate.Triangle -1.0; Surrogate.Sigmoid nan; Surrogate.Atan infinity ] do
                let e = Expect.raises<SnnException> (fun () -> Eager.spike bad (Tensor.Zeros [| 2 |]) |> ignore)
                assertMessageContains "positive" e
    ]
