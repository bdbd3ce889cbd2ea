/// To(dtype) between every pair of interest, against .NET's own conversions and a bit-level bfloat16 reference.
module SnnDsl.Torch.Tests.DTypeConversionTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

/// float32 -> bfloat16 by round-to-nearest-even on the upper 16 bits, back to float32 (finite inputs).
let bfloat16RoundTrip (x: float32) =
    let bits = BitConverter.SingleToUInt32Bits x
    let rounding = 0x7FFFu + ((bits >>> 16) &&& 1u)
    BitConverter.UInt32BitsToSingle((bits + rounding) &&& 0xFFFF0000u)

/// Finite float32 values of every magnitude, with either sign.
let genFinite32 =
    gen {
        let! seed = genSeed
        let r = Random seed
        return
            Array.init 64 (fun _ ->
                let mutable x = nanf
                while not (Single.IsFinite x) do
                    x <- BitConverter.Int32BitsToSingle(r.Next(Int32.MinValue, Int32.MaxValue))
                x)
    }

[<Tests>]
let tests =
    testSequenced <| testList "DTypeConversion" [
        lawOn 200 "float32 to bfloat16 rounds to nearest even on the upper 16 bits" <| fun () ->
            forAll genFinite32 (fun xs ->
                use scope = new TensorScope()
                let t = Tensor.FromArray(xs).To(DType.BFloat16)
                Expect.equal t.DType DType.BFloat16 "t.DType"
                let back = t.To(DType.Float32).ToArray<float32>()
                let expected = Array.map bfloat16RoundTrip xs
                for i in 0 .. xs.Length - 1 do
                    // Values that round past the largest bfloat16 become infinity in both.
                    Expect.isTrue (expected[i].Equals back[i]) ($"{xs[i]:R}: expected {expected[i]:R}, got {back[i]:R}"))

        lawOn 200 "float32 to float16 matches System.Half's correctly rounded conversion" <| fun () ->
            forAll genFinite32 (fun xs ->
                use scope = new TensorScope()
                let t = Tensor.FromArray(xs).To(DType.Float16)
                Expect.equal t.DType DType.Float16 "t.DType"
                let got = t.ToArray<Half>()
                for i in 0 .. xs.Length - 1 do
                    let expected: Half = Half.op_Explicit xs[i]
                    Expect.isTrue (expected.Equals got[i]) ($"{xs[i]:R}: expected {expected}, got {got[i]}"))

        testCase "float16 widens to float32 exactly" <| fun () ->
            use scope = new TensorScope()
            let hs = Array.init 65536 (fun i -> BitConverter.UInt16BitsToHalf(uint16 i)) |> Array.filter Half.IsFinite
            let got = Tensor.FromArray(hs).To(DType.Float32).ToArray<float32>()
            for i in 0 .. hs.Length - 1 do
                Expect.equal (got[i]) (float32 hs[i]) "got[i]"

        lawOn 200 "float64 narrows to float32 by rounding to nearest and widens back exactly" <| fun () ->
            forAll (Gen.map (fun s -> uniform (Random s) 50 -1e6 1e6) genSeed) (fun xs ->
                use scope = new TensorScope()
                let f32 = Tensor.FromArray(xs).To(DType.Float32)
                Expect.equal f32.DType DType.Float32 "f32.DType"
                Expect.equal (f32.ToArray<float32>() : float32[]) (Array.map float32 xs) "f32.ToArray<float32>()"
                Expect.equal (f32.To(DType.Float64).ToArray<float>() : float[]) (Array.map (float32 >> float) xs) "f32.To(DType.Float64).ToArray<float>()")

        lawOn 200 "floating to integer conversion truncates toward zero" <| fun () ->
            forAll (Gen.map (fun s -> uniform (Random s) 50 -1e5 1e5) genSeed) (fun (xs: float[]) ->
                use scope = new TensorScope()
                let t = Tensor.FromArray xs
                Expect.equal (t.To(DType.Int64).ToArray<int64>() : int64[]) (Array.map (fun x -> int64 (Math.Truncate(x: float))) xs) "t.To(DType.Int64).ToArray<int64>()"
                Expect.equal (t.To(DType.Int32).ToArray<int>() : int[]) (Array.map (fun x -> int (Math.Truncate(x: float))) xs) "t.To(DType.Int32).ToArray<int>()"
                let small = xs |> Array.map (fun x -> abs x % 256.0)
                Expect.equal (Tensor.FromArray(small).To(DType.UInt8).ToArray<byte>() : byte[]) (Array.map (fun x -> byte (Math.Truncate(x: float))) small) "Tensor.FromArray(small).To(DType.UInt8).ToArray<byte>()")

        testCase "conversion to bool is \"not zero\" and bool converts to 0 and 1" <| fun () ->
            use scope = new TensorScope()
            let xs = [| 0.0; -0.0; 1.0; -2.5; 1e-300; nan; infinity |]
            let b = Tensor.FromArray(xs).To(DType.Bool)
            Expect.equal b.DType DType.Bool "b.DType"
            Expect.equal (b.ToArray<bool>() : bool[]) (xs |> Array.map (fun x -> x <> 0.0)) "b.ToArray<bool>()"
            Expect.equal (b.To(DType.Float64).ToArray<float>() : float[]) ([| 0.0; 0.0; 1.0; 1.0; 1.0; 1.0; 1.0 |]) "b.To(DType.Float64).ToArray<float>()"
            Expect.equal (Tensor.FromArray([| 0L; -5L; 0L |]).To(DType.Bool).To(DType.Int64).ToArray<int64>() : int64[]) ([| 0L; 1L; 0L |]) "Tensor.FromArray([| 0L; -5L; 0L |]).To(DType.Bool).To(DType.Int64).ToArray<int64>()"

        testCase "integers widen to float64 exactly" <| fun () ->
            use scope = new TensorScope()
            let big = [| 0L; -1L; (1L <<< 53); -(1L <<< 52) + 3L; 123456789012L |]
            Expect.equal (Tensor.FromArray(big).To(DType.Float64).ToArray<float>() : float[]) (Array.map float big) "Tensor.FromArray(big).To(DType.Float64).ToArray<float>()"
            let ints = [| Int32.MinValue; -1; 0; Int32.MaxValue |]
            Expect.equal (Tensor.FromArray(ints).To(DType.Float64).ToArray<float>() : float[]) (Array.map float ints) "Tensor.FromArray(ints).To(DType.Float64).ToArray<float>()"
            Expect.equal (Tensor.FromArray([| 0uy; 255uy; 7uy |]).To(DType.Float64).ToArray<float>() : float[]) ([| 0.0; 255.0; 7.0 |]) "Tensor.FromArray([| 0uy; 255uy; 7uy |]).To(DType.Float64).ToArray<float>()"

        testCase "converting to the same dtype keeps the values" <| fun () ->
            use scope = new TensorScope()
            let xs = [| 1.5; -2.0 |]
            assertTensor 0.0 [| 2 |] xs (Tensor.FromArray(xs).To(DType.Float64))
            assertTensor 0.0 [| 2 |] xs (Tensor.FromArray(xs).To(DType.Float64, Device.Cpu))
            assertTensor 0.0 [| 2 |] xs (Tensor.FromArray(xs).To(Device.Cpu))
    ]
