module SnnDsl.Data.Tests.AugmentTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Data

let private image (c: int) (h: int) (w: int) = Array.init (c * h * w) (fun i -> float32 (i + 1))

let private crop shape p dy dx (src: float32[]) =
    let dst = Array.create src.Length nanf
    Augment.crop shape p dy dx (ReadOnlySpan src) (Span dst)
    dst

[<Tests>]
let tests =
    testList "Augment" [
        testCase "crop keeps the shape and takes the window shifted by (dy - padding, dx - padding)" <| fun () ->
            let c, h, w, p = 3, 8, 6, 2
            let src = image c h w
            for dy in 0 .. 2 * p do
                for dx in 0 .. 2 * p do
                    let dst = crop (c, h, w) p dy dx src
                    Expect.equal dst.Length src.Length "dst.Length"
                    for ch in 0 .. c - 1 do
                        for y in 0 .. h - 1 do
                            for x in 0 .. w - 1 do
                                let sy, sx = y + dy - p, x + dx - p
                                let expected = if sy < 0 || sy >= h || sx < 0 || sx >= w then 0.0f else src[(ch * h + sy) * w + sx]
                                Expect.equal (dst[(ch * h + y) * w + x]) expected "dst[(ch * h + y) * w + x]"

        testCase "the padding of a corner crop is zeros and the centre crop is the identity" <| fun () ->
            let src = image 1 32 32
            let dst = crop (1, 32, 32) 4 0 0 src // the top-left corner of the padded image
            for y in 0..31 do
                for x in 0..31 do
                    if y < 4 || x < 4 then Expect.equal (dst[y * 32 + x]) 0.0f "dst[y * 32 + x]"
                    else Expect.equal (dst[y * 32 + x]) (src[(y - 4) * 32 + x - 4]) "dst[y * 32 + x]"
            Expect.equal (crop (1, 32, 32) 4 4 4 src : float32[]) src "crop (1, 32, 32) 4 4 4 src"

        testCase "padding wider than the image gives an all-zero crop" <| fun () ->
            for v in crop (1, 3, 3) 5 0 0 (image 1 3 3) do Expect.equal v 0.0f "v"

        testCase "flipping twice is the identity and once mirrors each row" <| fun () ->
            let shapes =
                gen {
                    let! c = Gen.choose (1, 3)
                    let! h = Gen.choose (1, 9)
                    let! w = Gen.choose (1, 9)
                    let! seed = Gen.choose (0, 1000000)
                    return c, h, w, seed
                }
            let law (c, h, w, seed) =
                let rng = Rng(uint64 seed)
                let src = Array.init (c * h * w) (fun _ -> float32 (rng.NextDouble()))
                let a = Array.copy src
                Augment.flipHorizontal (c, h, w) (Span a)
                let mirrored = a |> Array.mapi (fun i v -> v = src[(i / w) * w + (w - 1 - i % w)]) |> Array.forall id
                Augment.flipHorizontal (c, h, w) (Span a)
                mirrored && a = src
            checkOn 200 shapes law

        testCase "cutout zeroes exactly the hole in every channel, clipped at the border" <| fun () ->
            let c, h, w = 2, 10, 12
            for (size, cy, cx) in [ (4, 5, 6); (4, 0, 0); (6, 9, 11); (3, 4, 4); (20, 5, 5) ] do
                let a = Array.create (c * h * w) 1.0f
                Augment.cutoutAt (c, h, w) size cy cx (Span a)
                for ch in 0 .. c - 1 do
                    for y in 0 .. h - 1 do
                        for x in 0 .. w - 1 do
                            let inHole = y >= cy - size / 2 && y < cy + size / 2 && x >= cx - size / 2 && x < cx + size / 2
                            Expect.equal (a[(ch * h + y) * w + x]) (if inHole then 0.0f else 1.0f) "a[(ch * h + y) * w + x]"
            let a = Array.create (c * h * w) 1.0f
            Augment.cutoutAt (c, h, w) 4 5 6 (Span a)
            Expect.equal (a |> Array.filter ((=) 0.0f) |> Array.length) (c * 16) "a |> Array.filter ((=) 0.0f) |> Array.length"

        testCase "no augmentation leaves a sample unchanged and the random one is seeded" <| fun () ->
            let src = image 3 8 8
            let a = Array.copy src
            let scratch = Array.zeroCreate src.Length
            Augment.geometric Augmentation.None (Rng 1UL) (3, 8, 8) (Span a) (Span scratch)
            Augment.erase Augmentation.None (Rng 1UL) (3, 8, 8) (Span a)
            Expect.equal (a : float32[]) src "a"
            let run seed =
                let b = Array.copy src
                let rng = Rng(uint64 seed)
                Augment.geometric Augmentation.StandardCutout rng (3, 8, 8) (Span b) (Span scratch)
                Augment.erase { Augmentation.StandardCutout with CutoutSize = 2 } rng (3, 8, 8) (Span b)
                b
            Expect.equal (run 7 : float32[]) (run 7) "run 7"
            Expect.isTrue ([ 1..20 ] |> List.exists (fun s -> run s <> run 7)) "[ 1..20 ] |> List.exists (fun s -> run s <> run 7)"
    ]
