/// Batch normalisation in training mode (batch statistics, biased variance for normalising, running statistics
/// updated with momentum and the unbiased variance) and in eval mode (running statistics), against its formula.
module SnnDsl.Torch.Tests.BatchNormTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// The elements of channel c (dim 1) of x [N, C, ...].
let channel (x: Nd) c =
    [| for i in 0 .. x.Data.Length - 1 do
           if (Nd.unravel x.Shape i)[1] = c then x.Data[i] |]

/// (x - mean) / sqrt(var + eps) * w + b per channel.
let normalise (x: Nd) (mean: float[]) (var: float[]) (w: float[]) (b: float[]) eps =
    { x with
        Data =
            x.Data
            |> Array.mapi (fun i v ->
                let c = (Nd.unravel x.Shape i)[1]
                (v - mean[c]) / sqrt (var[c] + eps) * w[c] + b[c]) }

type BnCase =
    { X: Nd
      Weight: float[]
      Bias: float[]
      RunningMean: float[]
      RunningVar: float[]
      Momentum: float
      Eps: float }

let genBnCase =
    gen {
        let! n = Gen.choose (2, 4)
        let! c = Gen.choose (1, 3)
        let! spatial = genShape 0 2 3
        let! seed = genSeed
        let! momentum = Gen.elements [ 0.1; 0.3; 0.9 ]
        let! eps = Gen.elements [ 1e-5; 1e-3 ]
        let r = Random seed
        let shape = Array.append [| n; c |] spatial
        return
            { X = { Shape = shape; Data = uniform r (Nd.size shape) -2.0 3.0 }
              Weight = uniform r c 0.5 1.5
              Bias = uniform r c -1.0 1.0
              RunningMean = uniform r c -0.5 0.5
              RunningVar = uniform r c 0.5 2.0
              Momentum = momentum
              Eps = eps }
    }

let biasedVar (xs: float[]) = let m = Array.average xs in (xs |> Array.sumBy (fun x -> (x - m) ** 2.0)) / float xs.Length
let unbiasedVar (xs: float[]) = biasedVar xs * float xs.Length / float (xs.Length - 1)

[<Tests>]
let tests =
    testSequenced <| testList "BatchNorm" [
        law "training mode normalises with batch statistics and updates the running ones with momentum" <| fun () ->
            forAll genBnCase (fun c ->
                use scope = new TensorScope()
                let channels = c.Weight.Length
                let stats = Array.init channels (channel c.X)
                let bm, bv = Array.map Array.average stats, Array.map biasedVar stats
                let expected = normalise c.X bm bv c.Weight c.Bias c.Eps
                let rm, rv = Tensor.FromArray c.RunningMean, Tensor.FromArray c.RunningVar
                let y =
                    Nn.BatchNorm(Nd.toTensor c.X, Some rm, Some rv, Tensor.FromArray c.Weight, Tensor.FromArray c.Bias,
                                 training = true, momentum = c.Momentum, eps = c.Eps)
                assertTensor 1e-10 expected.Shape expected.Data y
                let m = c.Momentum
                expectClose 1e-12 1e-14 (Array.map2 (fun r b -> (1.0 - m) * r + m * b) c.RunningMean bm) (values rm)
                expectClose 1e-12 1e-14 (Array.map2 (fun r v -> (1.0 - m) * r + m * unbiasedVar v) c.RunningVar stats) (values rv))

        law "eval mode normalises with the running statistics and leaves them unchanged" <| fun () ->
            forAll genBnCase (fun c ->
                use scope = new TensorScope()
                let expected = normalise c.X c.RunningMean c.RunningVar c.Weight c.Bias c.Eps
                let rm, rv = Tensor.FromArray c.RunningMean, Tensor.FromArray c.RunningVar
                let y =
                    Nn.BatchNorm(Nd.toTensor c.X, Some rm, Some rv, Tensor.FromArray c.Weight, Tensor.FromArray c.Bias,
                                 training = false, momentum = c.Momentum, eps = c.Eps)
                assertTensor 1e-12 expected.Shape expected.Data y
                expectExact c.RunningMean (values rm)
                expectExact c.RunningVar (values rv))

        lawOn 200 "without weight, bias or running statistics training mode is plain standardisation" <| fun () ->
            forAll genBnCase (fun c ->
                use scope = new TensorScope()
                let channels = c.Weight.Length
                let stats = Array.init channels (channel c.X)
                let ones, zeros = Array.create channels 1.0, Array.zeroCreate channels
                let expected = normalise c.X (Array.map Array.average stats) (Array.map biasedVar stats) ones zeros 1e-5
                assertTensor 1e-10 expected.Shape expected.Data (Nn.BatchNorm(Nd.toTensor c.X, None, None)))

        testCase "the defaults are training mode, momentum 0.1 and eps 1e-5" <| fun () ->
            use scope = new TensorScope()
            let x = { Shape = [| 4; 2 |]; Data = uniform (Random 2) 8 -1.0 1.0 }
            let stats = Array.init 2 (channel x)
            let rm, rv = Tensor.Zeros([| 2 |], DType.Float64), Tensor.Ones([| 2 |], DType.Float64)
            let y = Nn.BatchNorm(Nd.toTensor x, Some rm, Some rv)
            let expected = normalise x (Array.map Array.average stats) (Array.map biasedVar stats) [| 1.0; 1.0 |] [| 0.0; 0.0 |] 1e-5
            assertTensor 1e-10 [| 4; 2 |] expected.Data y
            expectClose 1e-12 0.0 (stats |> Array.map (fun s -> 0.1 * Array.average s)) (values rm)
            expectClose 1e-12 0.0 (stats |> Array.map (fun s -> 0.9 + 0.1 * unbiasedVar s)) (values rv)
    ]
