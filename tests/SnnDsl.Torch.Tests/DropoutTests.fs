/// Dropout: identity for p = 0 and outside training, zeros for p = 1, kept elements scaled by 1/(1-p), and a
/// drop fraction near p.
module SnnDsl.Torch.Tests.DropoutTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// Inputs with no zeros, so a zero in the output can only mean "dropped".
let input (n: int) = Array.init n (fun i -> 1.0 + float (i % 97) / 10.0)

[<Tests>]
let tests =
    testSequenced <| testList "Dropout" [
        testCase "p = 0 and training = false are the identity" <| fun () ->
            use scope = new TensorScope()
            let xs = input 1000
            let t = Tensor.FromArray(xs, [| 10; 100 |])
            assertTensor 0.0 [| 10; 100 |] xs (Nn.Dropout(t, 0.0, true))
            for p in [ 0.0; 0.5; 1.0 ] do
                assertTensor 0.0 [| 10; 100 |] xs (Nn.Dropout(t, p, false))

        testCase "p = 1 in training zeroes everything" <| fun () ->
            use scope = new TensorScope()
            assertTensor 0.0 [| 1000 |] (Array.zeroCreate 1000) (Nn.Dropout(Tensor.FromArray(input 1000), 1.0, true))

        testCase "kept elements are scaled by 1/(1-p) and about a fraction p is dropped" <| fun () ->
            use scope = new TensorScope()
            let n = 200_000
            let xs = input n
            for p in [ 0.1; 0.3; 0.5; 0.8 ] do
                for dt in [ DType.Float64; DType.Float32 ] do
                    let ys = values (Nn.Dropout(Tensor.FromArray(xs).To(dt), p, true))
                    let mutable dropped = 0
                    for i in 0 .. n - 1 do
                        if ys[i] = 0.0 then dropped <- dropped + 1
                        else
                            let expected = (if dt = DType.Float32 then float (float32 xs[i]) else xs[i]) / (1.0 - p)
                            if abs (ys[i] - expected) > 1e-6 * expected then
                                failtest ($"p = {p} {dt}: kept element {i} is {ys[i]}, expected {expected}")
                    // the binomial standard deviation of the fraction is at most 0.0012 here; allow about 8 of them
                    Expect.inRange (float dropped / float n) (p - 0.01) (p + 0.01) "float dropped / float n"

        testCase "dropout draws a fresh mask each call" <| fun () ->
            use scope = new TensorScope()
            let t = Tensor.Ones([| 10_000 |], DType.Float64)
            let a, b = values (Nn.Dropout(t, 0.5, true)), values (Nn.Dropout(t, 0.5, true))
            let same = Array.fold2 (fun acc x y -> if (x = 0.0) = (y = 0.0) then acc + 1 else acc) 0 a b
            // independent masks agree on about half of the elements
            Expect.inRange (float same / 10_000.0) 0.45 0.55 "float same / 10_000.0"

        testCase "a probability outside [0, 1] is rejected" <| fun () ->
            use scope = new TensorScope()
            let t = Tensor.Ones [| 3 |]
            for p in [ -0.1; 1.5; nan ] do
                let e = Expect.raises<TorchException> (fun () -> Nn.Dropout(t, p, true) |> ignore)
                assertMessageContains "probability" e
    ]
