/// FromArray / ToArray / CopyTo for every .NET element type, bit for bit, and the dtype each one maps to.
module SnnDsl.Torch.Tests.ArrayRoundTripTests

open System
open System.Runtime.InteropServices
open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let bytesOf<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (a: 'T[]) =
    MemoryMarshal.AsBytes(ReadOnlySpan<'T>(a)).ToArray()

/// A shape and random elements for it; `element` draws arbitrary bit patterns (NaNs, infinities, subnormals).
let genData (element: Random -> 'T) =
    gen {
        let! shape = genShape 0 4 5
        let! seed = genSeed
        let r = Random seed
        return shape, Array.init (Nd.size shape) (fun _ -> element r)
    }

let roundTrips<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>
    (expected: DType)
    (element: Random -> 'T)
    =
    checkOn 150 (genData element) (fun (shape, data: 'T[]) ->
        use scope = new TensorScope()
        let t = Tensor.FromArray(data, shape)
        Expect.equal t.DType expected "t.DType"
        assertShape shape t
        Expect.equal t.NumElements (int64 data.Length) "t.NumElements"
        Expect.equal (bytesOf (t.ToArray<'T>()) : byte[]) (bytesOf data) "bytesOf (t.ToArray<'T>())"
        let buffer = Array.zeroCreate<'T> data.Length
        t.CopyTo(Span<'T>(buffer))
        Expect.equal (bytesOf buffer : byte[]) (bytesOf data) "bytesOf buffer")

let bits64 (r: Random) = r.NextInt64(Int64.MinValue, Int64.MaxValue)

[<Tests>]
let tests =
    testSequenced <| testList "ArrayRoundTrip" [
        testCase "float32 arrays round-trip bit for bit" <| fun () ->
            roundTrips DType.Float32 (fun r -> BitConverter.Int32BitsToSingle(r.Next(Int32.MinValue, Int32.MaxValue)))

        testCase "float64 arrays round-trip bit for bit" <| fun () ->
            roundTrips DType.Float64 (fun r -> BitConverter.Int64BitsToDouble(bits64 r))

        testCase "float16 (System.Half) arrays round-trip bit for bit" <| fun () ->
            roundTrips DType.Float16 (fun r -> BitConverter.UInt16BitsToHalf(uint16 (r.Next 65536)))

        testCase "int64 arrays round-trip" <| fun () ->
            roundTrips DType.Int64 bits64

        testCase "int32 arrays round-trip" <| fun () ->
            roundTrips DType.Int32 (fun r -> r.Next(Int32.MinValue, Int32.MaxValue))

        testCase "uint8 arrays round-trip" <| fun () ->
            roundTrips DType.UInt8 (fun r -> byte (r.Next 256))

        testCase "bool arrays round-trip" <| fun () ->
            roundTrips DType.Bool (fun r -> r.Next 2 = 1)

        testCase "each dtype's element size is the size of its .NET element type" <| fun () ->
            Expect.equal (DType.OfType<float32>().ElementSize) (sizeof<float32>) "DType.OfType<float32>().ElementSize"
            Expect.equal (DType.OfType<float>().ElementSize) (sizeof<float>) "DType.OfType<float>().ElementSize"
            Expect.equal (DType.OfType<Half>().ElementSize) (sizeof<Half>) "DType.OfType<Half>().ElementSize"
            Expect.equal (DType.OfType<int64>().ElementSize) (sizeof<int64>) "DType.OfType<int64>().ElementSize"
            Expect.equal (DType.OfType<int>().ElementSize) (sizeof<int>) "DType.OfType<int>().ElementSize"
            Expect.equal (DType.OfType<byte>().ElementSize) (sizeof<byte>) "DType.OfType<byte>().ElementSize"
            Expect.equal (DType.OfType<bool>().ElementSize) (sizeof<bool>) "DType.OfType<bool>().ElementSize"
            Expect.equal DType.BFloat16.ElementSize 2 "DType.BFloat16.ElementSize"
            Expect.raises<ArgumentException> (fun () -> DType.OfType<decimal>() |> ignore) |> ignore

        testCase "tensors without elements round-trip" <| fun () ->
            use scope = new TensorScope()
            for shape in [ [| 0 |]; [| 2; 0 |]; [| 0; 3; 1 |] ] do
                let t = Tensor.FromArray(Array.empty<float32>, shape)
                assertShape shape t
                Expect.equal t.NumElements 0L "t.NumElements"
                Expect.isEmpty (t.ToArray<float32>()) "t.ToArray<float32>()"
                t.CopyTo(Span<float32>.Empty)

        testCase "FromArray without a shape is 1-d and FromArray2D is row-major" <| fun () ->
            use scope = new TensorScope()
            assertTensor 0.0 [| 3 |] [| 1.0; 2.0; 3.0 |] (Tensor.FromArray [| 1.0; 2.0; 3.0 |])
            let m = Array2D.init 3 4 (fun i j -> float (10 * i + j))
            let t = Tensor.FromArray2D m
            assertShape [| 3; 4 |] t
            let flat = values t
            for i in 0..2 do
                for j in 0..3 do
                    Expect.equal (flat[4 * i + j]) (m[i, j]) "flat[4 * i + j]"

        testCase "ToScalar reads the single element of every dtype" <| fun () ->
            use scope = new TensorScope()
            Expect.equal (Tensor.FromArray([| -1.5f |], [||]).ToScalar()) -1.5 "Tensor.FromArray([| -1.5f |], [||]).ToScalar()"
            Expect.equal (Tensor.FromArray([| Math.PI |], [| 1; 1 |]).ToScalar()) Math.PI "Tensor.FromArray([| Math.PI |], [| 1; 1 |]).ToScalar()"
            Expect.equal (Tensor.FromArray([| toHalf 0.333 |]).ToScalar()) (float (toHalf 0.333)) "Tensor.FromArray([| toHalf 0.333 |]).ToScalar()"
            Expect.equal (Tensor.FromArray([| -(1L <<< 40) |]).ToScalar()) (-(2.0 ** 40.0)) "Tensor.FromArray([| -(1L <<< 40) |]).ToScalar()"
            Expect.equal (Tensor.FromArray([| -7 |]).ToScalar()) -7.0 "Tensor.FromArray([| -7 |]).ToScalar()"
            Expect.equal (Tensor.FromArray([| 200uy |]).ToScalar()) 200.0 "Tensor.FromArray([| 200uy |]).ToScalar()"
            Expect.equal (Tensor.FromArray([| true |]).ToScalar()) 1.0 "Tensor.FromArray([| true |]).ToScalar()"
            Expect.equal (Tensor.FromArray([| false |]).ToScalar()) 0.0 "Tensor.FromArray([| false |]).ToScalar()"
            Expect.equal (Tensor.FromArray([| 0.5f |]).To(DType.BFloat16).ToScalar()) 0.5 "Tensor.FromArray([| 0.5f |]).To(DType.BFloat16).ToScalar()"

        testCase "ToString prints the elements and the type, whole" <| fun () ->
            use scope = new TensorScope()
            let text = Tensor.FromArray([| 1.5; -2.25 |]).ToString()
            Expect.stringContains text "1.5000" "text"
            Expect.stringContains text "-2.2500" "text"
            Expect.stringContains text "Double" "text"
            Expect.stringLacks text ("\000") "text"
            // long outputs are not cut at some buffer size
            let long = Tensor.Arange(0.0, 3000.0, dtype = DType.Int64).ToString()
            Expect.stringContains long "2999" "long"
            Expect.stringContains long "Long" "long"
    ]
