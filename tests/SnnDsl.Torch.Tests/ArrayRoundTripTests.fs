/// FromArray / ToArray / CopyTo for every .NET element type, bit for bit, and the dtype each one maps to.
module SnnDsl.Torch.Tests.ArrayRoundTripTests

open System
open System.Runtime.InteropServices
open Xunit
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
    property 150 (genData element) (fun (shape, data: 'T[]) ->
        use scope = new TensorScope()
        let t = Tensor.FromArray(data, shape)
        Assert.Equal(expected, t.DType)
        assertShape shape t
        Assert.Equal(int64 data.Length, t.NumElements)
        Assert.Equal<byte>(bytesOf data, bytesOf (t.ToArray<'T>()))
        let buffer = Array.zeroCreate<'T> data.Length
        t.CopyTo(Span<'T>(buffer))
        Assert.Equal<byte>(bytesOf data, bytesOf buffer))

let bits64 (r: Random) = r.NextInt64(Int64.MinValue, Int64.MaxValue)

[<Fact>]
let ``float32 arrays round-trip bit for bit`` () =
    roundTrips DType.Float32 (fun r -> BitConverter.Int32BitsToSingle(r.Next(Int32.MinValue, Int32.MaxValue)))

[<Fact>]
let ``float64 arrays round-trip bit for bit`` () =
    roundTrips DType.Float64 (fun r -> BitConverter.Int64BitsToDouble(bits64 r))

[<Fact>]
let ``float16 (System.Half) arrays round-trip bit for bit`` () =
    roundTrips DType.Float16 (fun r -> BitConverter.UInt16BitsToHalf(uint16 (r.Next 65536)))

[<Fact>]
let ``int64 arrays round-trip`` () = roundTrips DType.Int64 bits64

[<Fact>]
let ``int32 arrays round-trip`` () = roundTrips DType.Int32 (fun r -> r.Next(Int32.MinValue, Int32.MaxValue))

[<Fact>]
let ``uint8 arrays round-trip`` () = roundTrips DType.UInt8 (fun r -> byte (r.Next 256))

[<Fact>]
let ``bool arrays round-trip`` () = roundTrips DType.Bool (fun r -> r.Next 2 = 1)

[<Fact>]
let ``each dtype's element size is the size of its .NET element type`` () =
    Assert.Equal(sizeof<float32>, DType.OfType<float32>().ElementSize)
    Assert.Equal(sizeof<float>, DType.OfType<float>().ElementSize)
    Assert.Equal(sizeof<Half>, DType.OfType<Half>().ElementSize)
    Assert.Equal(sizeof<int64>, DType.OfType<int64>().ElementSize)
    Assert.Equal(sizeof<int>, DType.OfType<int>().ElementSize)
    Assert.Equal(sizeof<byte>, DType.OfType<byte>().ElementSize)
    Assert.Equal(sizeof<bool>, DType.OfType<bool>().ElementSize)
    Assert.Equal(2, DType.BFloat16.ElementSize)
    Assert.Throws<ArgumentException>(fun () -> DType.OfType<decimal>() |> ignore) |> ignore

[<Fact>]
let ``tensors without elements round-trip`` () =
    use scope = new TensorScope()
    for shape in [ [| 0 |]; [| 2; 0 |]; [| 0; 3; 1 |] ] do
        let t = Tensor.FromArray(Array.empty<float32>, shape)
        assertShape shape t
        Assert.Equal(0L, t.NumElements)
        Assert.Empty(t.ToArray<float32>())
        t.CopyTo(Span<float32>.Empty)

[<Fact>]
let ``FromArray without a shape is 1-d and FromArray2D is row-major`` () =
    use scope = new TensorScope()
    assertTensor 0.0 [| 3 |] [| 1.0; 2.0; 3.0 |] (Tensor.FromArray [| 1.0; 2.0; 3.0 |])
    let m = Array2D.init 3 4 (fun i j -> float (10 * i + j))
    let t = Tensor.FromArray2D m
    assertShape [| 3; 4 |] t
    let flat = values t
    for i in 0..2 do
        for j in 0..3 do
            Assert.Equal(m[i, j], flat[4 * i + j])

[<Fact>]
let ``ToScalar reads the single element of every dtype`` () =
    use scope = new TensorScope()
    Assert.Equal(-1.5, Tensor.FromArray([| -1.5f |], [||]).ToScalar())
    Assert.Equal(Math.PI, Tensor.FromArray([| Math.PI |], [| 1; 1 |]).ToScalar())
    Assert.Equal(float (toHalf 0.333), Tensor.FromArray([| toHalf 0.333 |]).ToScalar())
    Assert.Equal(-(2.0 ** 40.0), Tensor.FromArray([| -(1L <<< 40) |]).ToScalar())
    Assert.Equal(-7.0, Tensor.FromArray([| -7 |]).ToScalar())
    Assert.Equal(200.0, Tensor.FromArray([| 200uy |]).ToScalar())
    Assert.Equal(1.0, Tensor.FromArray([| true |]).ToScalar())
    Assert.Equal(0.0, Tensor.FromArray([| false |]).ToScalar())
    Assert.Equal(0.5, Tensor.FromArray([| 0.5f |]).To(DType.BFloat16).ToScalar())

[<Fact>]
let ``ToString prints the elements and the type, whole`` () =
    use scope = new TensorScope()
    let text = Tensor.FromArray([| 1.5; -2.25 |]).ToString()
    Assert.Contains("1.5000", text)
    Assert.Contains("-2.2500", text)
    Assert.Contains("Double", text)
    Assert.DoesNotContain("\000", text)
    // long outputs are not cut at some buffer size
    let long = Tensor.Arange(0.0, 3000.0, dtype = DType.Int64).ToString()
    Assert.Contains("2999", long)
    Assert.Contains("Long", long)
