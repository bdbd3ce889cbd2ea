/// Training objectives (SPEC section 5) against per-step hand computations.
module SnnDsl.Nn.Tests.LossTests

open Xunit
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

[<Fact>]
let ``mean-output cross entropy is the cross entropy of the time-mean output`` () =
    assertNear 1e-5 (Naive.crossEntropy meanOutput classes labels 0.0) (compute Loss.ce)

[<Fact>]
let ``mean-output cross entropy with label smoothing follows PyTorch's smoothed target`` () =
    assertNear 1e-5 (Naive.crossEntropy meanOutput classes labels 0.1) (compute (Loss.MeanOutputCrossEntropy 0.1))

/// (1 - lambda) mean_t CE(O_t, y) + lambda mean_t MSE(O_t, phi), one step at a time.
let private tetByHand lambda phi eps =
    let ce = Array.init steps (fun t -> Naive.crossEntropy (step t) classes labels eps) |> Array.average
    let mse = Array.init steps (fun t -> step t |> Array.averageBy (fun o -> (o - phi) * (o - phi))) |> Array.average
    (1.0 - lambda) * ce + lambda * mse

[<Fact>]
let ``TET equals (1 - lambda) mean_t CE(O_t, y) + lambda mean_t MSE(O_t, phi)`` () =
    for lambda, phi in [ 0.05, 1.0; 0.2, 1.0; 0.5, -0.5; 1.0, 0.0 ] do
        assertNear 1e-5 (tetByHand lambda phi 0.0) (compute (Loss.Tet(lambda, phi, 0.0)))

[<Fact>]
let ``TET with lambda = 0 is the mean of the per-step cross entropies, not the CE of the mean`` () =
    let perStep = tetByHand 0.0 1.0 0.0
    assertNear 1e-5 perStep (compute (Loss.Tet(0.0, 1.0, 0.0)))
    Assert.True(abs (perStep - Naive.crossEntropy meanOutput classes labels 0.0) > 1e-3)

[<Fact>]
let ``TET with label smoothing smooths every step's cross entropy`` () =
    assertNear 1e-5 (tetByHand 0.05 1.0 0.1) (compute (Loss.Tet(0.05, 1.0, 0.1)))

[<Fact>]
let ``the AR-LIF TET setting is lambda 0.05 and phi 1`` () =
    Assert.Equal(Loss.Tet(0.05, 1.0, 0.0), Loss.tet)

[<Fact>]
let ``count MSE compares spike counts over T with T x one-hot`` () =
    let counts = Array.init (batch * classes) (fun i -> Array.init steps (fun t -> (step t)[i]) |> Array.sum)
    let target i = if labels[i / classes] = i % classes then float steps else 0.0
    let expected = counts |> Array.mapi (fun i c -> (c - target i) ** 2.0) |> Array.average
    assertNear 1e-5 expected (compute Loss.CountMse)

[<Fact>]
let ``the prediction is the time-mean of the outputs`` () =
    use _ = new TensorScope()
    let p = Loss.prediction (tensor [| steps; batch; classes |] outputs)
    Assert.Equal<int[]>([| batch; classes |], p.Shape)
    assertClose 1e-6 meanOutput (values p)

[<Fact>]
let ``losses reject outputs that are not T x N x classes`` () =
    use _ = new TensorScope()
    use y = Tensor.FromArray([| 0L |])
    let msg = throwsMessage<System.ArgumentException> (fun () -> Loss.compute Loss.ce (Tensor.Zeros([| 1; 5 |])) y |> ignore)
    Assert.Contains("expected outputs [T, N, classes]", msg)
    Assert.Contains("1, 5", msg)

[<Fact>]
let ``Loss.parse knows ce, tet and mse and lists them otherwise`` () =
    Assert.Equal(Ok Loss.ce, Loss.parse "CE")
    Assert.Equal(Ok Loss.tet, Loss.parse " tet ")
    Assert.Equal(Ok Loss.CountMse, Loss.parse "mse")
    match Loss.parse "hinge" with
    | Error e -> Assert.Contains("valid losses: ce, tet, mse", e)
    | Ok _ -> failwith "hinge should not parse"

[<Fact>]
let ``TET equals its per-step definition for any T, N, classes, lambda, phi and smoothing`` () =
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
    Law.check 60 cases (fun (t, n, c, labels, lambda, phi, eps, seed) ->
        use _ = new TensorScope()
        let o = gaussian seed (t * n * c) |> Array.map (fun v -> 3.0 * v)
        let stepOf k = timeSlice t k o
        let ce = Array.init t (fun k -> Naive.crossEntropy (stepOf k) c labels eps) |> Array.average
        let mse = Array.init t (fun k -> stepOf k |> Array.averageBy (fun v -> (v - phi) ** 2.0)) |> Array.average
        use y = Tensor.FromArray(Array.map int64 labels)
        let actual = scalar (Loss.compute (Loss.Tet(lambda, phi, eps)) (tensor [| t; n; c |] o) y)
        assertNear 1e-5 ((1.0 - lambda) * ce + lambda * mse) actual)
