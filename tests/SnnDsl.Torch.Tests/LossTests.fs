/// softmax, log_softmax, cross entropy (with and without label smoothing; mean, sum, none), MSE and one-hot,
/// against hand computations.
module SnnDsl.Torch.Tests.LossTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// log_softmax of one row: x_i - max - log Σ_j exp(x_j - max).
let logSoftmaxRow (xs: float[]) =
    let m = Array.max xs
    let lse = m + log (xs |> Array.sumBy (fun x -> exp (x - m)))
    xs |> Array.map (fun x -> x - lse)

/// Applies a row function along dim of a.
let alongDim (a: Nd) (dim: int) (f: float[] -> float[]) =
    let out = Array.zeroCreate a.Data.Length
    let n = a.Shape[dim]
    for i in 0 .. a.Data.Length - 1 do
        let c = Nd.unravel a.Shape i
        if c[dim] = 0 then
            let idx = Array.init n (fun k -> Nd.ravel a.Shape (Array.updateAt dim k c))
            Array.iter2 (fun j v -> out[j] <- v) idx (f (idx |> Array.map (fun j -> a.Data[j])))
    { a with Data = out }

let genNdDim =
    gen {
        let! shape = genShape 1 3 5
        let! dim = Gen.choose (0, shape.Length - 1)
        let! seed = genSeed
        return { Shape = shape; Data = uniform (Random seed) (Nd.size shape) -10.0 10.0 }, dim
    }

type CeCase = { Logits: Nd; Target: int64[]; Smoothing: float }

let genCeCase =
    gen {
        let! n = Gen.choose (1, 6)
        let! classes = Gen.choose (2, 6)
        let! seed = genSeed
        let! smoothing = Gen.elements [ 0.0; 0.0; 0.1; 0.25; 1.0 ]
        let r = Random seed
        return
            { Logits = { Shape = [| n; classes |]; Data = uniform r (n * classes) -4.0 4.0 }
              Target = Array.init n (fun _ -> int64 (r.Next classes))
              Smoothing = smoothing }
    }

/// Per-sample loss: -(1 - ε) log p[y] - (ε / C) Σ_c log p[c].
let ceRef (c: CeCase) =
    let classes = c.Logits.Shape[1]
    Array.init c.Target.Length (fun i ->
        let logp = logSoftmaxRow c.Logits.Data[i * classes .. (i + 1) * classes - 1]
        -(1.0 - c.Smoothing) * logp[int c.Target[i]] - c.Smoothing / float classes * Array.sum logp)

[<Tests>]
let tests =
    testSequenced <| testList "Loss" [
        law "log_softmax and softmax normalise along dim" <| fun () ->
            forAll genNdDim (fun (a, dim) ->
                use scope = new TensorScope()
                let t = Nd.toTensor a
                let expected = alongDim a dim logSoftmaxRow
                assertTensor 1e-12 a.Shape expected.Data (Nn.LogSoftmax(t, dim))
                assertTensor 1e-12 a.Shape (Array.map exp expected.Data) (Nn.Softmax(t, dim))
                // negative dims count from the end
                assertTensor 1e-12 a.Shape expected.Data (Nn.LogSoftmax(t, dim - a.Shape.Length)))

        testCase "log_softmax is stable for large logits" <| fun () ->
            use scope = new TensorScope()
            let xs = [| 1000.0; 1001.0; -1000.0 |]
            assertTensor 1e-12 [| 3 |] (logSoftmaxRow xs) (Nn.LogSoftmax(Tensor.FromArray xs, 0))
            for v in values (Nn.LogSoftmax(Tensor.FromArray(Array.map float32 xs), 0)) do Expect.isFalse (Double.IsNaN v) "Double.IsNaN v"

        law "cross entropy is the mean, sum or list of -log p[target], mixed with the uniform target by label smoothing" <| fun () ->
            forAll genCeCase (fun c ->
                use scope = new TensorScope()
                let logits, target = Nd.toTensor c.Logits, Tensor.FromArray c.Target
                let perSample = ceRef c
                let n = c.Target.Length
                let ce reduction = Nn.CrossEntropy(logits, target, c.Smoothing, reduction)
                assertTensor 1e-12 [| n |] perSample (ce Reduction.NoReduction)
                assertTensor 1e-12 [||] [| Array.sum perSample |] (ce Reduction.Sum)
                assertTensor 1e-12 [||] [| Array.average perSample |] (ce Reduction.Mean))

        lawOn 100 "cross entropy defaults to the mean without smoothing" <| fun () ->
            forAll genCeCase (fun c ->
                use scope = new TensorScope()
                let expected = ceRef { c with Smoothing = 0.0 } |> Array.average
                assertTensor 1e-12 [||] [| expected |] (Nn.CrossEntropy(Nd.toTensor c.Logits, Tensor.FromArray c.Target)))

        law "mse is the mean, sum or list of squared differences" <| fun () ->
            forAll (Gen.zip (genShape 0 3 5) genSeed) (fun (shape, seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let n = Nd.size shape
                let a, b = uniform r n -2.0 2.0, uniform r n -2.0 2.0
                let sq = Array.map2 (fun x y -> (x - y) * (x - y)) a b
                let ta, tb = Tensor.FromArray(a, shape), Tensor.FromArray(b, shape)
                assertTensor 1e-12 shape sq (Nn.Mse(ta, tb, Reduction.NoReduction))
                assertTensor 1e-12 [||] [| Array.sum sq |] (Nn.Mse(ta, tb, Reduction.Sum))
                assertTensor 1e-12 [||] [| Array.average sq |] (Nn.Mse(ta, tb, Reduction.Mean))
                assertTensor 1e-12 [||] [| Array.average sq |] (Nn.Mse(ta, tb)))

        lawOn 200 "one_hot puts a single 1 at each index" <| fun () ->
            forAll (Gen.zip3 (Gen.choose (0, 8)) (Gen.choose (1, 6)) genSeed) (fun (n, classes, seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let idx = Array.init n (fun _ -> int64 (r.Next classes))
                let t = Nn.OneHot(Tensor.FromArray idx, classes)
                Expect.equal t.DType DType.Int64 "t.DType"
                assertShape [| n; classes |] t
                let expected = Array.init (n * classes) (fun k -> if int64 (k % classes) = idx[k / classes] then 1L else 0L)
                Expect.equal (t.ToArray<int64>() : int64[]) expected "t.ToArray<int64>()")

        testCase "label smoothing outside [0, 1] and targets out of range are rejected" <| fun () ->
            use scope = new TensorScope()
            let logits, target = Tensor.Zeros [| 2; 3 |], Tensor.FromArray [| 0L; 2L |]
            for bad in [ -0.1; 1.5; nan ] do
                let e = Expect.raises<TorchException> (fun () -> Nn.CrossEntropy(logits, target, bad) |> ignore)
                assertMessageContains "label smoothing" e
            let e = Expect.raises<TorchException> (fun () -> Nn.CrossEntropy(logits, Tensor.FromArray [| 0L; 3L |]) |> ignore)
            assertMessageContains "out of bounds" e
    ]
