module SnnDsl.Data.Tests.EventAugmentTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Data

let private image c h w = Array.init (c * h * w) float32

[<Tests>]
let tests =
    testList "EventAugment" [
        testCase "roll shifts circularly as torch.roll, and rolling back is the identity" <| fun () ->
            // 1 x 2 x 3: [[0 1 2] [3 4 5]] rolled by (dy 1, dx 1) -> [[5 3 4] [2 0 1]].
            let dst = Array.zeroCreate<float32> 6
            Augment.roll (1, 2, 3) 1 1 (ReadOnlySpan(image 1 2 3)) (Span dst)
            Expect.equal (dst : float32[]) ([| 5.0f; 3.0f; 4.0f; 2.0f; 0.0f; 1.0f |]) "dst"
            let shapes =
                gen {
                    let! c = Gen.choose (1, 3)
                    let! h = Gen.choose (1, 9)
                    let! w = Gen.choose (1, 9)
                    let! dy = Gen.choose (-12, 12)
                    let! dx = Gen.choose (-12, 12)
                    return c, h, w, dy, dx
                }
            let law (c, h, w, dy, dx) =
                let src = image c h w
                let a = Array.zeroCreate<float32> src.Length
                let b = Array.zeroCreate<float32> src.Length
                Augment.roll (c, h, w) dy dx (ReadOnlySpan src) (Span a)
                Augment.roll (c, h, w) -dy -dx (ReadOnlySpan a) (Span b)
                b = src && (Array.sort a = Array.sort src)
            checkOn 200 shapes law

        testCase "rotating by 0 is the identity and by 180 degrees mirrors both axes" <| fun () ->
            let c, h, w = 2, 5, 6
            let src = image c h w
            let a = Array.zeroCreate<float32> src.Length
            Augment.affine (c, h, w) 0.0 0.0 (ReadOnlySpan src) (Span a)
            Expect.equal (a : float32[]) src "a"
            Augment.affine (c, h, w) 180.0 0.0 (ReadOnlySpan src) (Span a)
            for ch in 0 .. c - 1 do
                for y in 0 .. h - 1 do
                    for x in 0 .. w - 1 do
                        Expect.equal (a[(ch * h + y) * w + x]) (src[(ch * h + (h - 1 - y)) * w + (w - 1 - x)]) "a[(ch * h + y) * w + x]"

        testCase "a shear moves rows in proportion to their distance from the centre" <| fun () ->
            // 1 x 3 x 5, shear 45 degrees (tan = 1), centre (2, 1): row y takes src[y, x - (y - 1)] (0 outside).
            let src = image 1 3 5
            let a = Array.zeroCreate<float32> 15
            Augment.affine (1, 3, 5) 0.0 45.0 (ReadOnlySpan src) (Span a)
            Expect.equal (a : float32[]) ([| 1.0f; 2.0f; 3.0f; 4.0f; 0.0f; 5.0f; 6.0f; 7.0f; 8.0f; 9.0f; 0.0f; 10.0f; 11.0f; 12.0f; 13.0f |]) "a"

        testCase "event augmentation moves all T frames of a sample alike and is a function of the seed" <| fun () ->
            let t, c, h, w = 4, 2, 8, 8
            let frame = Array.init (c * h * w) (fun i -> float32 (i * 7 % 13))
            let sample = Array.concat (List.replicate t frame)
            let run seed =
                let s = Array.copy sample
                Augment.geometric Augmentation.Events (Rng(uint64 seed)) (t * c, h, w) (Span s) (Span(Array.zeroCreate s.Length))
                s
            for seed in 1..20 do
                let a = run seed
                Expect.equal (run seed : float32[]) a "run seed"
                for k in 1 .. t - 1 do
                    Expect.equal (a[k * c * h * w .. (k + 1) * c * h * w - 1] : float32[]) (a[.. c * h * w - 1]) "a[k * c * h * w .. (k + 1) * c * h * w - 1]"
            Expect.isTrue ([ 1..20 ] |> List.map run |> List.distinct |> List.length > 10) "20 seeds should give many different transforms"
    ]
