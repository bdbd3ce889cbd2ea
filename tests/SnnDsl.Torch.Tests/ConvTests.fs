/// conv2d (stride, padding, dilation, groups, bias, non-square kernels) against naive loops.
module SnnDsl.Torch.Tests.ConvTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// out[n, o, i, j] = b[o] + Σ_{c, u, v} x[n, g*Cg + c, i*s - p + u*d, j*s - p + v*d] * w[o, c, u, v], where g is
/// o's group and out-of-range x reads as zero (padding).
let naiveConv2d (x: Nd) (w: Nd) (bias: float[] option) stride padding dilation groups =
    let n, cIn, h, wd = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
    let cOut, cg, kh, kw = w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
    Expect.equal (cg * groups) cIn "cg * groups"
    let outSize size k = (size + 2 * padding - dilation * (k - 1) - 1) / stride + 1
    let oh, ow = outSize h kh, outSize wd kw
    let perGroup = cOut / groups
    Nd.init [| n; cOut; oh; ow |] (fun c ->
        let b, o, i, j = c[0], c[1], c[2], c[3]
        let g = o / perGroup
        let mutable s = match bias with Some bs -> bs[o] | None -> 0.0
        for ci in 0 .. cg - 1 do
            for u in 0 .. kh - 1 do
                for v in 0 .. kw - 1 do
                    let y, z = i * stride - padding + u * dilation, j * stride - padding + v * dilation
                    if y >= 0 && y < h && z >= 0 && z < wd then
                        s <- s + Nd.get x [| b; g * cg + ci; y; z |] * Nd.get w [| o; ci; u; v |]
        s)

type ConvCase =
    { X: Nd
      W: Nd
      Bias: float[] option
      Stride: int
      Padding: int
      Dilation: int
      Groups: int }

let genConvCase =
    gen {
        let! n = Gen.choose (1, 2)
        let! groups = Gen.choose (1, 3)
        let! cg = Gen.choose (1, 2)
        let! perGroup = Gen.choose (1, 2)
        let! kh = Gen.choose (1, 3)
        let! kw = Gen.choose (1, 3)
        let! stride = Gen.choose (1, 2)
        let! padding = Gen.choose (0, 2)
        let! dilation = Gen.choose (1, 2)
        let! h = Gen.choose (max 1 (dilation * (kh - 1) + 1 - 2 * padding), 7)
        let! w = Gen.choose (max 1 (dilation * (kw - 1) + 1 - 2 * padding), 7)
        let! withBias = Gen.elements [ false; true ]
        let! seed = genSeed
        let r = Random seed
        return
            { X = Nd.random r [| n; groups * cg; h; w |]
              W = Nd.random r [| groups * perGroup; cg; kh; kw |]
              Bias = (if withBias then Some(uniform r (groups * perGroup) -1.0 1.0) else None)
              Stride = stride
              Padding = padding
              Dilation = dilation
              Groups = groups }
    }

let conv (c: ConvCase) (x: Tensor) (w: Tensor) =
    match c.Bias with
    | Some b -> Nn.Conv2d(x, w, Tensor.FromArray b, c.Stride, c.Padding, c.Dilation, c.Groups)
    | None -> Nn.Conv2d(x, w, stride = c.Stride, padding = c.Padding, dilation = c.Dilation, groups = c.Groups)

[<Tests>]
let tests =
    testSequenced <| testList "Conv" [
        law "conv2d equals the naive sum over the receptive field (float64)" <| fun () ->
            forAll genConvCase (fun c ->
                use scope = new TensorScope()
                let expected = naiveConv2d c.X c.W c.Bias c.Stride c.Padding c.Dilation c.Groups
                assertTensor 1e-12 expected.Shape expected.Data (conv c (Nd.toTensor c.X) (Nd.toTensor c.W)))

        lawOn 100 "conv2d in float32 agrees with the naive float64 sum to single precision" <| fun () ->
            forAll genConvCase (fun c ->
                use scope = new TensorScope()
                let x32 = { c.X with Data = c.X.Data |> Array.map (float32 >> float) }
                let w32 = { c.W with Data = c.W.Data |> Array.map (float32 >> float) }
                let c = { c with Bias = c.Bias |> Option.map (Array.map (float32 >> float)); X = x32; W = w32 }
                let expected = naiveConv2d c.X c.W c.Bias c.Stride c.Padding c.Dilation c.Groups
                let y =
                    match c.Bias with
                    | Some b ->
                        Nn.Conv2d(Nd.toTensor(c.X).To(DType.Float32), Nd.toTensor(c.W).To(DType.Float32), Tensor.FromArray(Array.map float32 b), c.Stride, c.Padding, c.Dilation, c.Groups)
                    | None -> conv c (Nd.toTensor(c.X).To(DType.Float32)) (Nd.toTensor(c.W).To(DType.Float32))
                Expect.equal y.DType DType.Float32 "y.DType"
                assertShape expected.Shape y
                expectClose 1e-5 1e-5 expected.Data (values y))

        testCase "conv2d defaults to stride 1, no padding, no dilation, one group" <| fun () ->
            use scope = new TensorScope()
            let r = Random 3
            let x, w = Nd.random r [| 1; 2; 5; 4 |], Nd.random r [| 3; 2; 3; 2 |]
            let expected = naiveConv2d x w None 1 0 1 1
            assertTensor 1e-12 [| 1; 3; 3; 3 |] expected.Data (Nn.Conv2d(Nd.toTensor x, Nd.toTensor w))
    ]
