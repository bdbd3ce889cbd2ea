/// Autograd through views and joins (reshape, permute, cat, stack, narrow, slice, select, index_select, unbind,
/// split, expand, ...) equals central finite differences (float64).
module SnnDsl.Torch.Tests.GradShapeTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers
open SnnDsl.Torch.Tests.FiniteDiff

let draw1 (r: Random) = [ nd r [| 2; 3; 4 |] -1.0 1.0 ]

/// Shape ops are linear, so each is followed by a nonlinearity to make the check depend on where every
/// gradient element lands.
let then' (t: Tensor) = t * t + t

[<Tests>]
let tests =
    testSequenced <| testList "GradShape" [
        testCase "reshape, view, flatten, squeeze and unsqueeze" <| fun () ->
            gradCheck (fun t -> then' (t[0].Reshape(4, 6))) draw1
            gradCheck (fun t -> then' (t[0].View(-1, 2))) draw1
            gradCheck (fun t -> then' (t[0].Flatten(1))) draw1
            gradCheck (fun t -> then' (t[0].Unsqueeze(1).Squeeze())) draw1

        testCase "permute and transpose" <| fun () ->
            gradCheck (fun t -> then' (t[0].Permute(2, 0, 1))) draw1
            gradCheck (fun t -> then' (t[0].Transpose(0, 2))) draw1

        testCase "cat and stack" <| fun () ->
            let draw (r: Random) = [ nd r [| 2; 3 |] -1.0 1.0; nd r [| 2; 1 |] -1.0 1.0; nd r [| 2; 2 |] -1.0 1.0 ]
            gradCheck (fun t -> then' (Tensor.Cat(t, 1))) draw
            let same (r: Random) = [ nd r [| 2; 3 |] -1.0 1.0; nd r [| 2; 3 |] -1.0 1.0 ]
            gradCheck (fun t -> then' (Tensor.Stack(t, 1))) same

        testCase "narrow, slice with a step, select and t[a..b]" <| fun () ->
            gradCheck (fun t -> then' (t[0].Narrow(2, 1, 2))) draw1
            gradCheck (fun t -> then' (t[0].Slice(2, 0, 4, 2))) draw1
            gradCheck (fun t -> then' (t[0].Select(1, -1))) draw1
            gradCheck (fun t -> then' (t[0][1..2, 0..1])) (fun r -> [ nd r [| 3; 4 |] -1.0 1.0 ])

        testCase "index_select accumulates the gradient of repeated indices" <| fun () ->
            use scope = new TensorScope()
            let index = Tensor.FromArray [| 2L; 0L; 2L; 2L |]
            gradCheck (fun t -> then' (t[0].IndexSelect(1, index))) draw1

        testCase "unbind, split and chunk" <| fun () ->
            // each piece gets its own weight, so a gradient sent to the wrong piece fails
            let weighted (pieces: Tensor[]) = pieces |> Array.mapi (fun i p -> then' p * float (i + 1)) |> Array.reduce (fun a b -> a + b)
            gradCheck (fun t -> weighted (t[0].Unbind 1)) draw1
            gradCheck (fun t -> weighted (t[0].Split(3, 2) |> Array.map (fun p -> p.Sum(2)))) draw1
            gradCheck (fun t -> weighted (t[0].Chunk(2, 1) |> Array.map (fun p -> p.Sum(1)))) draw1

        testCase "expand sums the gradient over the repeated dims" <| fun () ->
            gradCheck (fun t -> then' (t[0].Expand(3, 2, 4))) (fun r -> [ nd r [| 2; 1 |] -1.0 1.0 ])
    ]
