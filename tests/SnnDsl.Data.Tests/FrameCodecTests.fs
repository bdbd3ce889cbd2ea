module SnnDsl.Data.Tests.FrameCodecTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Data

[<Tests>]
let tests =
    testList "FrameCodec" [
        testCase "decoding an encoded frame gives back every count" <| fun () ->
            let frames =
                gen {
                    let! n = Gen.choose (0, 300)
                    let! sparse = Gen.choose (1, 10)
                    let! cells = Gen.arrayOfLength n (Gen.frequency [ sparse, Gen.constant 0; 1, Gen.choose (1, 100000) ])
                    return cells
                }
            let law (counts: int[]) =
                let blob = FrameCodec.encode (ReadOnlySpan counts)
                let back = Array.zeroCreate<float32> counts.Length
                FrameCodec.decode (ReadOnlySpan blob) (Span back)
                back = Array.map float32 counts
            checkOn 300 frames law

        testCase "a cut, padded or mis-sized blob is corrupt" <| fun () ->
            let blob = FrameCodec.encode (ReadOnlySpan [| 0; 3; 0; 0; 200; 0 |])
            let dst = Array.zeroCreate<float32> 6
            let corrupt (b: byte[]) (n: int) =
                Expect.raises<FrameCodec.CorruptBlob> (fun () -> FrameCodec.decode (ReadOnlySpan b) (Span(Array.zeroCreate<float32> n))) |> ignore
            corrupt blob[.. blob.Length - 2] 6
            corrupt (Array.append blob [| 0uy |]) 6
            corrupt blob 7
            FrameCodec.decode (ReadOnlySpan blob) (Span dst)
            Expect.equal (dst : float32[]) ([| 0.0f; 3.0f; 0.0f; 0.0f; 200.0f; 0.0f |]) "dst"
    ]
