/// In-place updates (what optimisers and initialisers use) against .NET arithmetic.
module SnnDsl.Torch.Tests.InPlaceTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// Three random arrays of one shape (the third bounded away from zero, as a divisor) and a scalar.
let genCase =
    gen {
        let! shape = genShape 0 3 5
        let! seed = genSeed
        let r = Random seed
        let n = Nd.size shape
        return shape, uniform r n -1.0 1.0, uniform r n -1.0 1.0, awayFromZero r n 0.5 1.0, r.NextDouble() * 4.0 - 2.0
    }

[<Tests>]
let tests =
    testSequenced <| testList "InPlace" [
        law "add, mul, addcmul, addcdiv, copy and fill update the tensor itself" <| fun () ->
            forAll genCase (fun (shape, t, a, b, s) ->
                use scope = new TensorScope()
                let fresh () = Tensor.FromArray(t, shape)
                let ta, tb = Tensor.FromArray(a, shape), Tensor.FromArray(b, shape)
                let check (name: string) (expected: float[]) (update: Tensor -> unit) =
                    let x = fresh ()
                    let view = x.Alias()
                    update x
                    try
                        expectClose 1e-15 1e-16 expected (values x)
                        // in place: another handle to the same storage sees the change
                        expectClose 1e-15 1e-16 expected (values view)
                    with e ->
                        failwith $"{name}: {e.Message}"
                check "add_" (Array.map2 (fun x y -> x + y) t a) (fun x -> x.AddInPlace ta)
                check "add_ alpha" (Array.map2 (fun x y -> x + s * y) t a) (fun x -> x.AddInPlace(ta, s))
                check "mul_" (Array.map (fun x -> x * s) t) (fun x -> x.MulInPlace s)
                check "addcmul_" (Array.map3 (fun x y z -> x + s * y * z) t a b) (fun x -> x.AddcmulInPlace(ta, tb, s))
                check "addcdiv_" (Array.map3 (fun x y z -> x + s * y / z) t a b) (fun x -> x.AddcdivInPlace(ta, tb, s))
                check "copy_" a (fun x -> x.CopyFrom ta)
                check "fill_" (Array.create t.Length s) (fun x -> x.Fill s))

        testCase "copy broadcasts and converts the dtype" <| fun () ->
            use scope = new TensorScope()
            let x = Tensor.Zeros([| 2; 3 |], DType.Float64)
            x.CopyFrom(Tensor.FromArray [| 1.5f; -2.0f; 4.0f |])
            expectExact [| 1.5; -2.0; 4.0; 1.5; -2.0; 4.0 |] (values x)

        testCase "uniform_ and normal_ fill with the requested distribution" <| fun () ->
            use scope = new TensorScope()
            let x = Tensor.Empty([| 100_000 |], DType.Float64)
            x.UniformInPlace(-3.0, 5.0)
            let u = values x
            for v in u do Expect.inRange v -3.0 5.0 "v"
            // mean 1, standard error 2.31 / sqrt(1e5) = 0.0073
            Expect.inRange (Array.average u) 0.95 1.05 "Array.average u"
            x.NormalInPlace(2.0, 0.5)
            let g = values x
            let m = Array.average g
            Expect.inRange m 1.99 2.01 "m"
            Expect.inRange (sqrt (g |> Array.averageBy (fun v -> (v - m) ** 2.0))) 0.49 0.51 "sqrt (g |> Array.averageBy (fun v -> (v - m) ** 2.0))"

        testCase "updating a leaf that requires grad needs a no-grad scope" <| fun () ->
            use scope = new TensorScope()
            let w = Tensor.Ones([| 3 |], DType.Float64)
            w.RequiresGrad <- true
            (w * w).Sum().Backward()
            let e = Expect.raises<TorchException> (fun () -> w.AddInPlace(w.Grad.Value, -0.1))
            assertMessageContains "in-place" e
            do
                use _ = Autograd.noGrad ()
                w.AddInPlace(w.Grad.Value, -0.1)
            // an SGD step: w - 0.1 * 2w
            expectClose 1e-15 0.0 [| 0.8; 0.8; 0.8 |] (values w)
            Expect.isTrue w.RequiresGrad "w.RequiresGrad"
            Expect.isTrue w.IsLeaf "w.IsLeaf"
    ]
