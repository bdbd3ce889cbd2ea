module SnnDsl.Data.Tests.ResizeTests

open System
open Xunit
open SnnDsl.Data

let private resize (inH, inW) (outH, outW) (src: float32[]) =
    let dst = Array.zeroCreate<float32> (src.Length / (inH * inW) * outH * outW)
    Resize.planes (src.Length / (inH * inW)) (inH, inW) (outH, outW) (ReadOnlySpan src) (Span dst)
    dst

[<Fact>]
let ``resizing to the same size is the identity`` () =
    let src = Array.init (2 * 5 * 7) float32
    Assert.Equal<float32[]>(src, resize (5, 7) (5, 7) src)

[<Fact>]
let ``shrinking by 2 uses the widened triangle filter, as PIL's antialiased bilinear`` () =
    // Row [0, 0, 8, 8] to 2 columns: output 0 has centre 1 and taps x = 0, 1, 2 with weights 0.75, 0.75, 0.25
    // (normalised by 1.75): 8 * 0.25 / 1.75 = 1.142857; by symmetry output 1 = 8 - 1.142857.
    let out = resize (1, 4) (1, 2) [| 0.0f; 0.0f; 8.0f; 8.0f |]
    Assert.Equal(8.0f * 0.25f / 1.75f, out[0], 5)
    Assert.Equal(8.0f - 8.0f * 0.25f / 1.75f, out[1], 5)

[<Fact>]
let ``a constant image stays constant from 128 x 128 to 48 x 48`` () =
    let out = resize (128, 128) (48, 48) (Array.create (2 * 128 * 128) 3.0f)
    Assert.Equal(2 * 48 * 48, out.Length)
    Assert.All(out, fun v -> Assert.Equal(3.0f, v, 4))
