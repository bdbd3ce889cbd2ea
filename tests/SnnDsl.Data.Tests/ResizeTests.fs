module SnnDsl.Data.Tests.ResizeTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data

let private resize (inH, inW) (outH, outW) (src: float32[]) =
    let dst = Array.zeroCreate<float32> (src.Length / (inH * inW) * outH * outW)
    Resize.planes (src.Length / (inH * inW)) (inH, inW) (outH, outW) (ReadOnlySpan src) (Span dst)
    dst

[<Tests>]
let tests =
    testList "Resize" [
        testCase "resizing to the same size is the identity" <| fun () ->
            let src = Array.init (2 * 5 * 7) float32
            Expect.equal (resize (5, 7) (5, 7) src : float32[]) src "resize (5, 7) (5, 7) src"

        testCase "shrinking by 2 uses the widened triangle filter, as PIL's antialiased bilinear" <| fun () ->
            // Row [0, 0, 8, 8] to 2 columns: output 0 has centre 1 and taps x = 0, 1, 2 with weights 0.75, 0.75, 0.25
            // (normalised by 1.75): 8 * 0.25 / 1.75 = 1.142857; by symmetry output 1 = 8 - 1.142857.
            let out = resize (1, 4) (1, 2) [| 0.0f; 0.0f; 8.0f; 8.0f |]
            Expect.equalRounded 5 (out[0]) (8.0f * 0.25f / 1.75f) "out[0]"
            Expect.equalRounded 5 (out[1]) (8.0f - 8.0f * 0.25f / 1.75f) "out[1]"

        testCase "a constant image stays constant from 128 x 128 to 48 x 48" <| fun () ->
            let out = resize (128, 128) (48, 48) (Array.create (2 * 128 * 128) 3.0f)
            Expect.equal out.Length (2 * 48 * 48) "out.Length"
            for v in out do Expect.equalRounded 4 v 3.0f "v"
    ]
