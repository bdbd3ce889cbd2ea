/// Max, average and adaptive average pooling against naive loops over the windows.
module SnnDsl.Torch.Tests.PoolTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// Output size of a pooling window sweep; in ceil mode the last window must start inside the input or the
/// left padding (PyTorch's rule).
let pooledSize size k s p ceilMode =
    let span = size + 2 * p - k
    let o = (if ceilMode then (span + s - 1) / s else span / s) + 1
    if ceilMode && (o - 1) * s >= size + p then o - 1 else o

type PoolCase =
    { X: Nd
      Kernel: int
      Stride: int
      Padding: int
      CeilMode: bool }

let genPoolCase =
    gen {
        let! n = Gen.choose (1, 2)
        let! c = Gen.choose (1, 3)
        let! k = Gen.choose (1, 3)
        let! s = Gen.choose (1, 3)
        let! p = Gen.choose (0, k / 2)
        let! h = Gen.choose (k, 8)
        let! w = Gen.choose (k, 8)
        let! ceilMode = Gen.elements [ false; true ]
        let! seed = genSeed
        return
            { X = { Shape = [| n; c; h; w |]; Data = distinct (Random seed) (n * c * h * w) 0.1 }
              Kernel = k
              Stride = s
              Padding = p
              CeilMode = ceilMode }
    }

/// Applies `window` to the in-range elements of every window, with the window's start (ys, xs) and its end
/// clipped to the padded input (ye, xe), as PyTorch counts them for the divisor.
let naivePool (c: PoolCase) (window: float list -> int -> float) (countIncludePad: bool) =
    let n, ch, h, w = c.X.Shape[0], c.X.Shape[1], c.X.Shape[2], c.X.Shape[3]
    let oh = pooledSize h c.Kernel c.Stride c.Padding c.CeilMode
    let ow = pooledSize w c.Kernel c.Stride c.Padding c.CeilMode
    Nd.init [| n; ch; oh; ow |] (fun o ->
        let y0, x0 = o[2] * c.Stride - c.Padding, o[3] * c.Stride - c.Padding
        let y1, x1 = min (y0 + c.Kernel) (h + c.Padding), min (x0 + c.Kernel) (w + c.Padding)
        let padded = (y1 - y0) * (x1 - x0)
        let inside =
            [ for y in max 0 y0 .. min h y1 - 1 do
                  for x in max 0 x0 .. min w x1 - 1 do
                      Nd.get c.X [| o[0]; o[1]; y; x |] ]
        window inside (if countIncludePad then padded else inside.Length))

[<Tests>]
let tests =
    testSequenced <| testList "Pool" [
        law "max pooling takes the largest element of each window (padding never wins)" <| fun () ->
            forAll genPoolCase (fun c ->
                use scope = new TensorScope()
                let expected = naivePool c (fun xs _ -> List.max xs) true
                let y = Nn.MaxPool2d(Nd.toTensor c.X, c.Kernel, c.Stride, c.Padding, c.CeilMode)
                assertTensor 0.0 expected.Shape expected.Data y)

        law "average pooling divides the window sum by its padded size or by its element count" <| fun () ->
            forAll genPoolCase (fun c ->
                use scope = new TensorScope()
                for includePad in [ true; false ] do
                    let expected = naivePool c (fun xs count -> List.sum xs / float count) includePad
                    let y = Nn.AvgPool2d(Nd.toTensor c.X, c.Kernel, c.Stride, c.Padding, c.CeilMode, includePad)
                    assertTensor 1e-12 expected.Shape expected.Data y)

        lawOn 100 "2x2 average pooling of even-sized inputs (the tiled CPU path) equals the window means, float32 too" <| fun () ->
            let gen =
                gen {
                    let! n = Gen.choose (1, 3)
                    let! c = Gen.choose (1, 3)
                    let! h = Gen.choose (1, 5)
                    let! w = Gen.choose (1, 5)
                    let! transpose = Gen.elements [ false; true ]
                    return n, c, 2 * h, 2 * w, transpose
                }
            forAll gen (fun (n, c, h, w, transpose) ->
                use scope = new TensorScope()
                let x = { Shape = [| n; c; h; w |]; Data = distinct (Random(n * 1000 + c * 100 + h * 10 + w)) (n * c * h * w) 0.1 }
                let case = { X = x; Kernel = 2; Stride = 2; Padding = 0; CeilMode = false }
                let expected = naivePool case (fun xs count -> List.sum xs / float count) true
                // A transposed (non-contiguous) view of the transposed data is the same tensor, laid out differently.
                let input =
                    if transpose then Nd.toTensor(Nd.init [| n; c; w; h |] (fun i -> Nd.get x [| i[0]; i[1]; i[3]; i[2] |])).Transpose(2, 3)
                    else Nd.toTensor x
                assertTensor 1e-12 expected.Shape expected.Data (Nn.AvgPool2d(input, 2))
                use single = Nn.AvgPool2d(input.To(DType.Float32), 2)
                assertTensor 1e-6 expected.Shape expected.Data (single.To(DType.Float64)))

        testCase "pooling strides default to the kernel size" <| fun () ->
            use scope = new TensorScope()
            let x = { Shape = [| 1; 1; 4; 6 |]; Data = distinct (Random 11) 24 0.1 }
            let c = { X = x; Kernel = 2; Stride = 2; Padding = 0; CeilMode = false }
            let mx = naivePool c (fun xs _ -> List.max xs) true
            let avg = naivePool c (fun xs n -> List.sum xs / float n) true
            assertTensor 0.0 [| 1; 1; 2; 3 |] mx.Data (Nn.MaxPool2d(Nd.toTensor x, 2))
            assertTensor 1e-12 [| 1; 1; 2; 3 |] avg.Data (Nn.AvgPool2d(Nd.toTensor x, 2))

        law "adaptive average pooling averages the bins floor(i*H/o) .. ceil((i+1)*H/o)" <| fun () ->
            let gen =
                gen {
                    let! n = Gen.choose (1, 2)
                    let! c = Gen.choose (1, 3)
                    let! h = Gen.choose (1, 9)
                    let! w = Gen.choose (1, 9)
                    let! oh = Gen.choose (1, 6)
                    let! ow = Gen.choose (1, 6)
                    let! seed = genSeed
                    return Nd.random (Random seed) [| n; c; h; w |], oh, ow
                }
            forAll gen (fun (x, oh, ow) ->
                use scope = new TensorScope()
                let h, w = x.Shape[2], x.Shape[3]
                let bin i size outSize = (i * size) / outSize, ((i + 1) * size + outSize - 1) / outSize
                let expected =
                    Nd.init [| x.Shape[0]; x.Shape[1]; oh; ow |] (fun o ->
                        let y0, y1 = bin o[2] h oh
                        let x0, x1 = bin o[3] w ow
                        let cells = [ for y in y0 .. y1 - 1 do for z in x0 .. x1 - 1 -> Nd.get x [| o[0]; o[1]; y; z |] ]
                        List.average cells)
                assertTensor 1e-12 expected.Shape expected.Data (Nn.AdaptiveAvgPool2d(Nd.toTensor x, oh, ow)))
    ]
