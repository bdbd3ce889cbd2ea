/// The shim's spike op, which knows no surrogate: forward exactly Θ(x) (1 for x >= 0); backward the incoming
/// gradient times the derivative tensor it is given; without one, no gradient. The surrogates' derivatives
/// are SnnDsl.Backends' (tests/SnnDsl.Backends.Tests/SurrogateSpikeTests.fs).
module SnnDsl.Torch.Tests.SpikeOpTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

[<Tests>]
let tests =
    testSequenced <| testList "Spike op" [
        lawOn 200 "forward is exactly the Heaviside step, 1 at zero, with a derivative or without, in float64 and float32" <| fun () ->
            forAll genSeed (fun seed ->
                use scope = new TensorScope()
                let xs = Array.append [| 0.0; -0.0; 1e-30; -1e-30 |] (uniform (Random seed) 50 -5.0 5.0)
                let step = xs |> Array.map (fun x -> if x >= 0.0 then 1.0 else 0.0)
                for dt in [ DType.Float64; DType.Float32 ] do
                    let x = Tensor.FromArray(xs, [| xs.Length |]).To(dt)
                    for y in [ Nn.Spike x; Nn.Spike(x, Tensor.OnesLike x) ] do
                        Expect.equal y.DType dt "y.DType"
                        assertTensor 0.0 [| xs.Length |] step y)

        lawOn 100 "backward is the incoming gradient times the given derivative, exactly" <| fun () ->
            forAll genSeed (fun seed ->
                use scope = new TensorScope()
                let r = Random seed
                let xs, ds, ws = uniform r 40 -2.0 2.0, uniform r 40 0.0 3.0, uniform r 40 -1.5 1.5
                let x = Tensor.FromArray xs
                x.RequiresGrad <- true
                // loss = Σ w Θ(x)  =>  dloss/dx = w d
                (Nn.Spike(x, Tensor.FromArray ds) * Tensor.FromArray ws).Sum().Backward()
                expectExact (Array.map2 (*) ws ds) (values x.Grad.Value))

        testCase "without a derivative the spike is outside the graph" <| fun () ->
            use scope = new TensorScope()
            let x = Tensor.FromArray [| -1.0; 0.5 |]
            x.RequiresGrad <- true
            Expect.isFalse (Nn.Spike x).RequiresGrad "no gradient flows"

        testCase "spike rejects integer inputs and a derivative of another shape or dtype" <| fun () ->
            use scope = new TensorScope()
            let e = Expect.raises<TorchException> (fun () -> Nn.Spike(Tensor.FromArray [| 1L; -1L |]) |> ignore)
            assertMessageContains "floating" e
            let x = Tensor.Zeros [| 3 |]
            for bad in [ Tensor.Zeros [| 2 |]; Tensor.Zeros([| 3 |], DType.Float64) ] do
                let e = Expect.raises<TorchException> (fun () -> Nn.Spike(x, bad) |> ignore)
                assertMessageContains "the derivative must have the input's shape, dtype and device" e
    ]
