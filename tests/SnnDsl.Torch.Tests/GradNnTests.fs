/// Autograd of the NN functions (matmul, linear, conv2d, batch norm, pooling, log_softmax, cross entropy, MSE)
/// equals central finite differences (float64).
module SnnDsl.Torch.Tests.GradNnTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers
open SnnDsl.Torch.Tests.FiniteDiff

[<Tests>]
let tests =
    testSequenced <| testList "GradNn" [
        testCase "matmul: matrix, batched with broadcasting, and vector forms" <| fun () ->
            gradCheck (fun t -> Tensor.Matmul(t[0], t[1])) (fun r -> [ nd r [| 3; 4 |] -1.0 1.0; nd r [| 4; 2 |] -1.0 1.0 ])
            gradCheck (fun t -> Tensor.Matmul(t[0], t[1])) (fun r -> [ nd r [| 2; 3; 4 |] -1.0 1.0; nd r [| 4; 2 |] -1.0 1.0 ])
            gradCheck (fun t -> Tensor.Matmul(t[0], t[1])) (fun r -> [ nd r [| 3; 4 |] -1.0 1.0; nd r [| 4 |] -1.0 1.0 ])
            gradCheck (fun t -> Tensor.Matmul(t[0], t[1])) (fun r -> [ nd r [| 5 |] -1.0 1.0; nd r [| 5 |] -1.0 1.0 ])

        testCase "linear, with and without bias" <| fun () ->
            gradCheck (fun t -> Nn.Linear(t[0], t[1], t[2])) (fun r -> [ nd r [| 2; 3; 4 |] -1.0 1.0; nd r [| 5; 4 |] -1.0 1.0; nd r [| 5 |] -1.0 1.0 ])
            gradCheck (fun t -> Nn.Linear(t[0], t[1])) (fun r -> [ nd r [| 3; 4 |] -1.0 1.0; nd r [| 2; 4 |] -1.0 1.0 ])

        testCase "conv2d with stride, padding, groups and bias" <| fun () ->
            gradCheck
                (fun t -> Nn.Conv2d(t[0], t[1], t[2], stride = 2, padding = 1, groups = 2))
                (fun r -> [ nd r [| 2; 4; 5; 5 |] -1.0 1.0; nd r [| 4; 2; 3; 3 |] -1.0 1.0; nd r [| 4 |] -1.0 1.0 ])

        testCase "conv2d with dilation and a non-square kernel, without bias" <| fun () ->
            gradCheck
                (fun t -> Nn.Conv2d(t[0], t[1], padding = 2, dilation = 2))
                (fun r -> [ nd r [| 1; 2; 5; 6 |] -1.0 1.0; nd r [| 3; 2; 2; 3 |] -1.0 1.0 ])

        testCase "batch norm in training mode, through the batch statistics" <| fun () ->
            gradCheck
                (fun t -> Nn.BatchNorm(t[0], None, None, t[1], t[2], training = true))
                (fun r -> [ nd r [| 4; 3; 2; 2 |] -2.0 2.0; nd r [| 3 |] 0.5 1.5; nd r [| 3 |] -1.0 1.0 ])
            // running statistics are updated in place but do not change the training-mode output
            gradCheck
                (fun t -> Nn.BatchNorm(t[0], Some(Tensor.Zeros([| 2 |], DType.Float64)), Some(Tensor.Ones([| 2 |], DType.Float64)), training = true))
                (fun r -> [ nd r [| 5; 2 |] -2.0 2.0 ])

        testCase "batch norm in eval mode, through the running statistics" <| fun () ->
            gradCheck
                (fun t -> Nn.BatchNorm(t[0], Some(Tensor.FromArray [| 0.1; -0.2 |]), Some(Tensor.FromArray [| 0.5; 2.0 |]), t[1], t[2], training = false))
                (fun r -> [ nd r [| 3; 2; 2 |] -2.0 2.0; nd r [| 2 |] 0.5 1.5; nd r [| 2 |] -1.0 1.0 ])

        testCase "max pooling (no ties within a window)" <| fun () ->
            let draw (r: Random) = [ { Shape = [| 1; 2; 6; 6 |]; Data = distinct r 72 0.01 } ]
            gradCheck (fun t -> Nn.MaxPool2d(t[0], 2)) draw
            gradCheck (fun t -> Nn.MaxPool2d(t[0], 3, 2, 1, true)) draw

        testCase "average pooling, counting the padding or not" <| fun () ->
            let draw r = [ nd r [| 1; 2; 5; 6 |] -1.0 1.0 ]
            gradCheck (fun t -> Nn.AvgPool2d(t[0], 2)) draw
            gradCheck (fun t -> Nn.AvgPool2d(t[0], 3, 2, 1, true, true)) draw
            gradCheck (fun t -> Nn.AvgPool2d(t[0], 3, 2, 1, false, false)) draw
            // Even sizes with a 2x2 window take the shim's tiled CPU path (strided adds, upsample backward).
            let even r = [ nd r [| 2; 3; 4; 6 |] -1.0 1.0 ]
            gradCheck (fun t -> Nn.AvgPool2d(t[0], 2)) even
            gradCheck (fun t -> Nn.AvgPool2d(t[0].Transpose(2, 3), 2)) even

        testCase "adaptive average pooling with overlapping bins" <| fun () ->
            gradCheck (fun t -> Nn.AdaptiveAvgPool2d(t[0], 3, 2)) (fun r -> [ nd r [| 2; 2; 7; 5 |] -1.0 1.0 ])

        testCase "log_softmax and softmax" <| fun () ->
            gradCheck (fun t -> Nn.LogSoftmax(t[0], 1)) (fun r -> [ nd r [| 3; 5 |] -3.0 3.0 ])
            gradCheck (fun t -> Nn.LogSoftmax(t[0], 0)) (fun r -> [ nd r [| 3; 2; 2 |] -3.0 3.0 ])
            gradCheck (fun t -> Nn.Softmax(t[0], -1)) (fun r -> [ nd r [| 3; 5 |] -3.0 3.0 ])

        testCase "cross entropy, with and without label smoothing, for every reduction" <| fun () ->
            use scope = new TensorScope()
            let target = Tensor.FromArray [| 2L; 0L; 4L; 1L |]
            for smoothing in [ 0.0; 0.2 ] do
                for reduction in [ Reduction.Mean; Reduction.Sum; Reduction.NoReduction ] do
                    gradCheck (fun t -> Nn.CrossEntropy(t[0], target, smoothing, reduction)) (fun r -> [ nd r [| 4; 5 |] -3.0 3.0 ])

        testCase "mse, with respect to both input and target" <| fun () ->
            for reduction in [ Reduction.Mean; Reduction.Sum; Reduction.NoReduction ] do
                gradCheck (fun t -> Nn.Mse(t[0], t[1], reduction)) (fun r -> [ nd r [| 3; 4 |] -1.0 1.0; nd r [| 3; 4 |] -1.0 1.0 ])
    ]
