/// Matmul (every rank combination torch.matmul accepts) and Linear, against a naive triple loop.
module SnnDsl.Torch.Tests.MatmulTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// C[i, j] = Σ_k A[i, k] B[k, j] for row-major A [n, m] and B [m, p].
let naiveMatmul (a: float[]) (b: float[]) n m p =
    Array.init (n * p) (fun ij ->
        let i, j = ij / p, ij % p
        let mutable s = 0.0
        for k in 0 .. m - 1 do
            s <- s + a[i * m + k] * b[k * p + j]
        s)

let genSizes = Gen.three (Gen.choose (1, 6))

[<Tests>]
let tests =
    testSequenced <| testList "Matmul" [
        law "matrix times matrix is the triple loop" <| fun () ->
            forAll (Gen.zip genSizes genSeed) (fun ((n, m, p), seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let a, b = uniform r (n * m) -1.0 1.0, uniform r (m * p) -1.0 1.0
                let c = Tensor.Matmul(Tensor.FromArray(a, [| n; m |]), Tensor.FromArray(b, [| m; p |]))
                assertTensor 1e-12 [| n; p |] (naiveMatmul a b n m p) c)

        lawOn 200 "vectors: dot product, matrix-vector and vector-matrix" <| fun () ->
            forAll (Gen.zip genSizes genSeed) (fun ((n, m, _), seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let a, v, w = uniform r (n * m) -1.0 1.0, uniform r m -1.0 1.0, uniform r n -1.0 1.0
                let ta = Tensor.FromArray(a, [| n; m |])
                assertTensor 1e-12 [||] [| Array.fold2 (fun s x y -> s + x * y) 0.0 v v |] (Tensor.Matmul(Tensor.FromArray v, Tensor.FromArray v))
                assertTensor 1e-12 [| n |] (naiveMatmul a v n m 1) (Tensor.Matmul(ta, Tensor.FromArray v))
                assertTensor 1e-12 [| m |] (naiveMatmul w a 1 n m) (Tensor.Matmul(Tensor.FromArray w, ta)))

        lawOn 200 "batched matmul multiplies matrix by matrix per batch, broadcasting a 2-d operand" <| fun () ->
            forAll (Gen.zip3 genSizes (Gen.choose (1, 4)) genSeed) (fun ((n, m, p), batch, seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let a, b = uniform r (batch * n * m) -1.0 1.0, uniform r (batch * m * p) -1.0 1.0
                let ta = Tensor.FromArray(a, [| batch; n; m |])
                let expected =
                    Array.init batch (fun k -> naiveMatmul a[k * n * m .. (k + 1) * n * m - 1] b[k * m * p .. (k + 1) * m * p - 1] n m p)
                    |> Array.concat
                assertTensor 1e-12 [| batch; n; p |] expected (Tensor.Matmul(ta, Tensor.FromArray(b, [| batch; m; p |])))
                let b0 = b[.. m * p - 1]
                let broadcast = Array.init batch (fun k -> naiveMatmul a[k * n * m .. (k + 1) * n * m - 1] b0 n m p) |> Array.concat
                assertTensor 1e-12 [| batch; n; p |] broadcast (Tensor.Matmul(ta, Tensor.FromArray(b0, [| m; p |]))))

        lawOn 100 "float32 matmul agrees with the float64 triple loop to single precision" <| fun () ->
            forAll (Gen.zip genSizes genSeed) (fun ((n, m, p), seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let a = uniform r (n * m) -1.0 1.0 |> Array.map (float32 >> float)
                let b = uniform r (m * p) -1.0 1.0 |> Array.map (float32 >> float)
                let c = Tensor.Matmul(Tensor.FromArray(Array.map float32 a, [| n; m |]), Tensor.FromArray(Array.map float32 b, [| m; p |]))
                Expect.equal c.DType DType.Float32 "c.DType"
                expectClose 1e-5 1e-6 (naiveMatmul a b n m p) (values c))

        law "linear is x W^T + b over the leading dims" <| fun () ->
            let gen = Gen.zip3 (Gen.three (Gen.choose (1, 5))) (Gen.elements [ false; true ]) genSeed
            forAll gen (fun ((batch, inF, outF), withBias, seed) ->
                use scope = new TensorScope()
                let r = Random seed
                let x, w, b = uniform r (2 * batch * inF) -1.0 1.0, uniform r (outF * inF) -1.0 1.0, uniform r outF -1.0 1.0
                let wT = Array.init (inF * outF) (fun ij -> let i, j = ij / outF, ij % outF in w[j * inF + i])
                let expected =
                    naiveMatmul x wT (2 * batch) inF outF
                    |> Array.mapi (fun ij v -> if withBias then v + b[ij % outF] else v)
                let tx, tw = Tensor.FromArray(x, [| 2; batch; inF |]), Tensor.FromArray(w, [| outF; inF |])
                let y = if withBias then Nn.Linear(tx, tw, Tensor.FromArray b) else Nn.Linear(tx, tw)
                assertTensor 1e-12 [| 2; batch; outF |] expected y)
    ]
