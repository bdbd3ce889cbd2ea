/// Training objectives (docs/science.md, "Training objectives") against per-step hand computations.
module SnnDsl.Nn.Tests.LossTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Nn.Tests.Helpers

let private steps, batch, classes = 3, 4, 5
let private outputs = gaussian 40 (steps * batch * classes) |> Array.map (fun v -> 2.0 * v)
let private labels = [| 3; 0; 4; 1 |]

let private compute loss =
    use _ = new TensorScope()
    use y = Tensor.FromArray(Array.map int64 labels)
    scalar (Loss.compute loss (tensor [| steps; batch; classes |] outputs) y)

/// O_t as a [N, classes] array.
let private step t = timeSlice steps t outputs

/// The mean over time of the outputs, [N, classes].
let private meanOutput = Array.init (batch * classes) (fun i -> (Array.init steps (fun t -> (step t)[i]) |> Array.average))

/// (1 - lambda) mean_t CE(O_t, y) + lambda mean_t MSE(O_t, phi), one step at a time.
let private tetByHand lambda phi eps =
    let ce = Array.init steps (fun t -> Naive.crossEntropy (step t) classes labels eps) |> Array.average
    let mse = Array.init steps (fun t -> step t |> Array.averageBy (fun o -> (o - phi) * (o - phi))) |> Array.average
    (1.0 - lambda) * ce + lambda * mse

[<Tests>]
let tests =
    testSequenced <| testList "Loss" [
        testCase "mean-output cross entropy is the cross entropy of the time-mean output" <| fun () ->
            expectNear 1e-5 1e-5 (Naive.crossEntropy meanOutput classes labels 0.0) (compute Loss.ce)

        testCase "mean-output cross entropy with label smoothing follows PyTorch's smoothed target" <| fun () ->
            expectNear 1e-5 1e-5 (Naive.crossEntropy meanOutput classes labels 0.1) (compute (Loss.MeanOutputCrossEntropy 0.1))

        testCase "TET equals (1 - lambda) mean_t CE(O_t, y) + lambda mean_t MSE(O_t, phi)" <| fun () ->
            for lambda, phi in [ 0.05, 1.0; 0.2, 1.0; 0.5, -0.5; 1.0, 0.0 ] do
                expectNear 1e-5 1e-5 (tetByHand lambda phi 0.0) (compute (Loss.Tet(lambda, phi, 0.0)))

        testCase "TET with lambda = 0 is the mean of the per-step cross entropies, not the CE of the mean" <| fun () ->
            let perStep = tetByHand 0.0 1.0 0.0
            expectNear 1e-5 1e-5 perStep (compute (Loss.Tet(0.0, 1.0, 0.0)))
            Expect.isTrue (abs (perStep - Naive.crossEntropy meanOutput classes labels 0.0) > 1e-3) "abs (perStep - Naive.crossEntropy meanOutput classes labels 0.0) > 1e-3"

        testCase "TET with label smoothing smooths every step's cross entropy" <| fun () ->
            expectNear 1e-5 1e-5 (tetByHand 0.05 1.0 0.1) (compute (Loss.Tet(0.05, 1.0, 0.1)))

        testCase "the AR-LIF TET setting is lambda 0.05 and phi 1" <| fun () ->
            Expect.equal Loss.tet (Loss.Tet(0.05, 1.0, 0.0)) "Loss.tet"

        testCase "count MSE compares spike counts over T with T x one-hot" <| fun () ->
            let counts = Array.init (batch * classes) (fun i -> Array.init steps (fun t -> (step t)[i]) |> Array.sum)
            let target i = if labels[i / classes] = i % classes then float steps else 0.0
            let expected = counts |> Array.mapi (fun i c -> (c - target i) ** 2.0) |> Array.average
            expectNear 1e-5 1e-5 expected (compute Loss.CountMse)

        testCase "the prediction is the time-mean of the outputs" <| fun () ->
            use _ = new TensorScope()
            let p = Loss.prediction (tensor [| steps; batch; classes |] outputs)
            Expect.equal (p.Shape : int[]) ([| batch; classes |]) "p.Shape"
            expectClose 1e-6 1e-6 meanOutput (values p)

        testCase "losses reject outputs that are not T x N x classes" <| fun () ->
            use _ = new TensorScope()
            use y = Tensor.FromArray([| 0L |])
            let msg = throwsMessage<System.ArgumentException> (fun () -> Loss.compute Loss.ce (Tensor.Zeros([| 1; 5 |])) y |> ignore)
            Expect.stringContains msg "expected outputs [T, N, classes]" "msg"
            Expect.stringContains msg "1, 5" "msg"

        testCase "Loss.parse knows ce, tet and mse and lists them otherwise" <| fun () ->
            Expect.equal (Loss.parse "CE") (Ok Loss.ce) "Loss.parse \"CE\""
            Expect.equal (Loss.parse " tet ") (Ok Loss.tet) "Loss.parse \" tet \""
            Expect.equal (Loss.parse "mse") (Ok Loss.CountMse) "Loss.parse \"mse\""
            match Loss.parse "hinge" with
            | Error e -> Expect.stringContains e "valid losses: ce, tet, mse" "e"
            | Ok _ -> failwith "hinge should not parse"

        lawOn 60 "TET equals its per-step definition for any T, N, classes, lambda, phi and smoothing" <| fun () ->
            let cases =
                gen {
                    let! t = Gen.choose (1, 4)
                    let! n = Gen.choose (1, 4)
                    let! c = Gen.choose (2, 6)
                    let! labels = Gen.arrayOfLength n (Gen.choose (0, c - 1))
                    let! lambda = Gen.choose (0, 20) |> Gen.map (fun k -> float k / 20.0)
                    let! phi = Gen.choose (-4, 8) |> Gen.map (fun k -> float k / 4.0)
                    let! eps = Gen.elements [ 0.0; 0.1 ]
                    let! seed = Gen.choose (0, 100000)
                    return t, n, c, labels, lambda, phi, eps, seed
                }
            forAll cases (fun (t, n, c, labels, lambda, phi, eps, seed) ->
                use _ = new TensorScope()
                let o = gaussian seed (t * n * c) |> Array.map (fun v -> 3.0 * v)
                let stepOf k = timeSlice t k o
                let ce = Array.init t (fun k -> Naive.crossEntropy (stepOf k) c labels eps) |> Array.average
                let mse = Array.init t (fun k -> stepOf k |> Array.averageBy (fun v -> (v - phi) ** 2.0)) |> Array.average
                use y = Tensor.FromArray(Array.map int64 labels)
                let actual = scalar (Loss.compute (Loss.Tet(lambda, phi, eps)) (tensor [| t; n; c |] o) y)
                expectNear 1e-5 1e-5 ((1.0 - lambda) * ce + lambda * mse) actual)
    ]
