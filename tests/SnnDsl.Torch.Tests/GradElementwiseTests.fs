/// Autograd of arithmetic, elementwise math and reductions equals central finite differences (float64).
/// Inputs are kept away from kinks (relu and abs at 0, ties of max/min) and singularities (log, sqrt, 1/x at 0).
module SnnDsl.Torch.Tests.GradElementwiseTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Torch.Tests.Helpers
open SnnDsl.Torch.Tests.FiniteDiff

[<Tests>]
let tests =
    testSequenced <| testList "GradElementwise" [
        testCase "the checker rejects a gradient that is not the derivative" <| fun () ->
            // The spike's backward (here, ones) is deliberately not the derivative of its step forward (which is 0).
            let wrong () = FiniteDiff.check (fun t -> Nn.Spike(t[0], Tensor.OnesLike t[0])) [ ndAway (Random 1) [| 5 |] ]
            Expect.raisesAny<AssertException> wrong |> ignore

        testCase "tensor-tensor arithmetic with broadcasting" <| fun () ->
            let draw r = [ nd r [| 3; 1; 4 |] -2.0 2.0; { Shape = [| 2; 1 |]; Data = awayFromZero r 2 0.5 1.5 } ]
            gradCheck (fun t -> t[0] + t[1]) draw
            gradCheck (fun t -> t[0] - t[1]) draw
            gradCheck (fun t -> t[0] * t[1]) draw
            gradCheck (fun t -> t[0] / t[1]) draw
            gradCheck (fun t -> -(t[0] * t[0] * t[1])) draw

        testCase "tensor-scalar and scalar-tensor arithmetic" <| fun () ->
            let draw r = [ ndAway r [| 2; 3 |] ]
            gradCheck (fun t -> t[0] + 1.5) draw
            gradCheck (fun t -> 1.5 + t[0]) draw
            gradCheck (fun t -> t[0] - 1.5) draw
            gradCheck (fun t -> 1.5 - t[0]) draw
            gradCheck (fun t -> t[0] * -2.5) draw
            gradCheck (fun t -> -2.5 * t[0]) draw
            gradCheck (fun t -> t[0] / 3.0) draw
            gradCheck (fun t -> 3.0 / t[0]) draw

        testCase "exp, log, tanh, sigmoid, sqrt" <| fun () ->
            gradCheck (fun t -> t[0].Exp()) (fun r -> [ nd r [| 3; 4 |] -2.0 2.0 ])
            gradCheck (fun t -> t[0].Log()) (fun r -> [ nd r [| 3; 4 |] 0.2 3.0 ])
            gradCheck (fun t -> t[0].Tanh()) (fun r -> [ nd r [| 3; 4 |] -2.0 2.0 ])
            gradCheck (fun t -> t[0].Sigmoid()) (fun r -> [ nd r [| 3; 4 |] -3.0 3.0 ])
            gradCheck (fun t -> t[0].Sqrt()) (fun r -> [ nd r [| 3; 4 |] 0.2 3.0 ])

        testCase "relu and abs away from zero" <| fun () ->
            gradCheck (fun t -> t[0].Relu()) (fun r -> [ ndAway r [| 4; 5 |] ])
            gradCheck (fun t -> t[0].Abs()) (fun r -> [ ndAway r [| 4; 5 |] ])

        testCase "pow with a tensor or a scalar exponent" <| fun () ->
            gradCheck (fun t -> Tensor.Pow(t[0], t[1])) (fun r -> [ nd r [| 2; 3 |] 0.3 2.0; nd r [| 2; 3 |] -2.0 2.0 ])
            for e in [ 2.0; 3.0; 2.5; -1.5 ] do
                gradCheck (fun t -> Tensor.Pow(t[0], e)) (fun r -> [ nd r [| 2; 3 |] 0.3 2.0 ])

        testCase "maximum and minimum route the gradient to the larger or smaller operand" <| fun () ->
            let draw (r: Random) =
                let a = nd r [| 3; 4 |] -1.0 1.0
                // b differs from a by at least 0.05, far more than the finite-difference step
                [ a; { a with Data = Array.map2 (+) a.Data (awayFromZero r 12 0.05 0.5) } ]
            gradCheck (fun t -> Tensor.Maximum(t[0], t[1])) draw
            gradCheck (fun t -> Tensor.Minimum(t[0], t[1])) draw
            gradCheck (fun t -> Tensor.Maximum(t[0], 0.3)) (fun r -> [ { Shape = [| 6 |]; Data = awayFromZero r 6 0.1 1.0 |> Array.map ((+) 0.3) } ])

        testCase "max and min of everything and max over a dim" <| fun () ->
            let draw (r: Random) = [ { Shape = [| 3; 4 |]; Data = distinct r 12 0.1 } ]
            gradCheck (fun t -> t[0].Max()) draw
            gradCheck (fun t -> t[0].Min()) draw
            gradCheck (fun t -> fst (t[0].Max(1))) draw
            gradCheck (fun t -> fst (t[0].Max(0, true))) draw

        testCase "sum and mean, of everything and over dims" <| fun () ->
            let draw r = [ nd r [| 2; 3; 4 |] -1.0 1.0 ]
            gradCheck (fun t -> t[0].Sum()) draw
            gradCheck (fun t -> t[0].Mean()) draw
            gradCheck (fun t -> t[0].Sum([| 0; 2 |])) draw
            gradCheck (fun t -> t[0].Mean(1, true)) draw
            gradCheck (fun t -> t[0].Mean([| -1 |])) draw

        testCase "clamp passes the gradient inside the bounds only" <| fun () ->
            // values at least 0.05 away from the bounds -0.5 and 0.5
            let draw (r: Random) =
                [ { Shape = [| 12 |]; Data = Array.init 12 (fun i -> [| -0.9; -0.2; 0.1; 0.8 |][i % 4] + 0.1 * r.NextDouble() - 0.05) } ]
            gradCheck (fun t -> t[0].Clamp(-0.5, 0.5)) draw
    ]
