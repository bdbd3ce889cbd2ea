/// TensorFile: every dtype and shape round-trips; writes are atomic; damaged or missing files raise exceptions
/// that name the file.
module SnnDsl.Torch.Tests.TensorFileTests

open System
open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Torch.Tests.Helpers

let shapes = [ [||]; [| 0 |]; [| 5 |]; [| 2; 3 |]; [| 2; 0; 3 |]; [| 1; 2; 3; 4 |] ]

/// A tensor of each dtype and shape with random contents, and its elements as doubles.
let sample (r: Random) (dt: DType) (shape: int[]) =
    let n = Nd.size shape
    let t =
        match dt with
        | DType.Float32 -> Tensor.FromArray(Array.init n (fun _ -> float32 (r.NextDouble() - 0.5)), shape)
        | DType.Float64 -> Tensor.FromArray(Array.init n (fun _ -> r.NextDouble() - 0.5), shape)
        | DType.Float16 -> Tensor.FromArray(Array.init n (fun _ -> toHalf (r.NextDouble() * 100.0)), shape)
        | DType.BFloat16 -> Tensor.FromArray(Array.init n (fun _ -> float32 (r.Next 256 - 128)), shape).To(DType.BFloat16)
        | DType.Int64 -> Tensor.FromArray(Array.init n (fun _ -> r.NextInt64()), shape)
        | DType.Int32 -> Tensor.FromArray(Array.init n (fun _ -> r.Next()), shape)
        | DType.UInt8 -> Tensor.FromArray(Array.init n (fun _ -> byte (r.Next 256)), shape)
        | DType.Bool -> Tensor.FromArray(Array.init n (fun _ -> r.Next 2 = 1), shape)
    t

/// The raw elements as bytes, for an exact comparison of any dtype (bfloat16 via float32, exact for it).
let contents (t: Tensor) =
    match t.DType with
    | DType.BFloat16 -> values t |> Array.collect BitConverter.GetBytes
    | DType.Float32 -> t.ToArray<float32>() |> Array.collect BitConverter.GetBytes
    | DType.Float64 -> t.ToArray<float>() |> Array.collect BitConverter.GetBytes
    | DType.Float16 -> t.ToArray<Half>() |> Array.collect BitConverter.GetBytes
    | DType.Int64 -> t.ToArray<int64>() |> Array.collect BitConverter.GetBytes
    | DType.Int32 -> t.ToArray<int>() |> Array.collect BitConverter.GetBytes
    | DType.UInt8 -> t.ToArray<byte>()
    | DType.Bool -> t.ToArray<bool>() |> Array.map (fun b -> if b then 1uy else 0uy)

let savedFile (dir: TempDir) =
    use scope = new TensorScope()
    let path = dir.File "t.snnt"
    TensorFile.save path [ "w", Tensor.Arange(0.0, 32.0, dtype = DType.Float32); "b", Tensor.Ones([| 3 |], DType.Int64) ]
    path

let assertCorrupt (path: string) (fragment: string) =
    let live = ScopeTests.settledLiveTensors ()
    let e = Expect.raises<InvalidDataException> (fun () -> TensorFile.load path Device.Cpu |> ignore)
    assertMessageContains path e
    assertMessageContains fragment e
    // tensors read before the damage was found are freed
    Expect.equal (Torch.liveTensors ()) live "Torch.liveTensors ()"

/// Rewrites the CRC-32 trailer so a structurally damaged body passes the checksum.
let withValidChecksum (body: byte[]) =
    let table =
        Array.init 256 (fun n ->
            let mutable c = uint32 n
            for _ in 0..7 do
                c <- if c &&& 1u <> 0u then 0xEDB88320u ^^^ (c >>> 1) else c >>> 1
            c)
    let mutable c = 0xFFFFFFFFu
    for b in body do
        c <- table[int ((c ^^^ uint32 b) &&& 0xFFu)] ^^^ (c >>> 8)
    Array.append body (BitConverter.GetBytes(~~~c))

[<Tests>]
let tests =
    testSequenced <| testList "TensorFile" [
        testCase "every dtype and shape round-trips, names and order included" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let r = Random 17
            let items =
                [ for dt in CreationTests.allDTypes do
                      for shape in shapes -> $"{dt}/{shapeText shape}", sample r dt shape ]
            let path = dir.File "all.snnt"
            TensorFile.save path items
            let loaded = TensorFile.load path Device.Cpu
            Expect.equal loaded.Length items.Length "loaded.Length"
            for (name, t), (name', t') in Seq.zip items loaded do
                Expect.equal name' name "name'"
                Expect.equal t'.DType t.DType "t'.DType"
                assertShape t.Shape t'
                Expect.equal (contents t' : byte[]) (contents t) "contents t'"
                Expect.equal t'.Device Device.Cpu "t'.Device"

        testCase "values are saved, not views or autograd state" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let a = Nd.random (Random 3) [| 3; 4 |]
            let x = Nd.toTensor a
            x.RequiresGrad <- true
            let path = dir.File "w.snnt"
            // a non-contiguous view is written in logical order
            TensorFile.save path [ "transposed", x.Transpose(0, 1); "x", x ]
            let loaded = TensorFile.load path Device.Cpu |> Map.ofArray
            let expected = Nd.init [| 4; 3 |] (fun c -> Nd.get a [| c[1]; c[0] |])
            assertTensor 0.0 [| 4; 3 |] expected.Data loaded["transposed"]
            assertTensor 0.0 [| 3; 4 |] a.Data loaded["x"]
            Expect.isFalse loaded["x"].RequiresGrad "loaded[\"x\"].RequiresGrad"

        testCase "duplicate names are refused" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let t = Tensor.Ones [| 1 |]
            Expect.raises<ArgumentException> (fun () -> TensorFile.save (dir.File "d.snnt") [ "a", t; "a", t ]) |> ignore
            Expect.isEmpty dir.Entries "dir.Entries"

        testCase "saving replaces an existing file whole and leaves no temporary file" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let path = dir.File "m.snnt"
            TensorFile.save path [ "big", Tensor.Ones([| 1000 |], DType.Float64) ]
            TensorFile.save path [ "small", Tensor.Full([| 2 |], 3.0, DType.Float64) ]
            // the file is byte for byte what a fresh save writes: nothing of the bigger file remains
            let fresh = dir.File "fresh.snnt"
            TensorFile.save fresh [ "small", Tensor.Full([| 2 |], 3.0, DType.Float64) ]
            Expect.equal (File.ReadAllBytes path : byte[]) (File.ReadAllBytes fresh) "File.ReadAllBytes path"
            Expect.equal (dir.Entries : string[]) ([| "fresh.snnt"; "m.snnt" |]) "dir.Entries"
            let loaded = TensorFile.load path Device.Cpu
            Expect.equal (fst loaded[0]) "small" "fst loaded[0]"
            expectExact [| 3.0; 3.0 |] (values (snd loaded[0]))

        testCase "a write that fails leaves the old file intact and no temporary file" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let path = dir.File "keep.snnt"
            TensorFile.save path [ "x", Tensor.Ones [| 4 |] ]
            let before = File.ReadAllBytes path
            Expect.raises<InvalidOperationException> (fun () ->
                SnnDsl.Core.AtomicFile.write path (fun s ->
                    s.Write(Array.zeroCreate 10, 0, 10)
                    invalidOp "disk full")) |> ignore
            Expect.equal (File.ReadAllBytes path : byte[]) before "File.ReadAllBytes path"
            Expect.equal (dir.Entries : string[]) ([| "keep.snnt" |]) "dir.Entries"

        testCase "saving creates missing directories" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let path = Path.Combine(dir.Path, "a", "b", "c.snnt")
            TensorFile.save path [ "x", Tensor.Ones [| 1 |] ]
            Expect.isTrue (File.Exists path) "File.Exists path"

        testCase "a truncated file raises an exception naming it" <| fun () ->
            use dir = new TempDir()
            let path = savedFile dir
            let bytes = File.ReadAllBytes path
            for keep in [ bytes.Length - 1; bytes.Length / 2; 20; 10; 0 ] do
                File.WriteAllBytes(path, bytes[.. keep - 1])
                assertCorrupt path "corrupt"

        testCase "a flipped byte anywhere raises an exception naming the file" <| fun () ->
            use dir = new TempDir()
            let path = savedFile dir
            let bytes = File.ReadAllBytes path
            for i in [ 0; 5; 12; bytes.Length / 2; bytes.Length - 8; bytes.Length - 1 ] do
                let damaged = Array.copy bytes
                damaged[i] <- damaged[i] ^^^ 0x10uy
                File.WriteAllBytes(path, damaged)
                assertCorrupt path "corrupt"

        testCase "a missing file raises FileNotFoundException naming it" <| fun () ->
            use dir = new TempDir()
            let path = dir.File "absent.snnt"
            let e = Expect.raises<FileNotFoundException> (fun () -> TensorFile.load path Device.Cpu |> ignore)
            assertMessageContains path e
            Expect.equal e.FileName path "e.FileName"

        testCase "a file with a valid checksum but a damaged structure raises an exception naming it" <| fun () ->
            use dir = new TempDir()
            let path = savedFile dir
            let file = File.ReadAllBytes path
            let body = file[.. file.Length - 5]
            // the first tensor's dtype byte: magic(4) version(4) count(4) name length(2) name "w"(1)
            let badDtype = Array.copy body
            badDtype[15] <- 99uy
            File.WriteAllBytes(path, withValidChecksum badDtype)
            assertCorrupt path "dtype"
            // a byte count that does not match the shape: dtype(1) ndim(1) size(8) follow, then the count
            let badCount = Array.copy body
            BitConverter.GetBytes(4L).CopyTo(badCount, 25)
            File.WriteAllBytes(path, withValidChecksum badCount)
            assertCorrupt path "tensor 'w' has 4 bytes for shape [32] (128 expected)"
            // an impossible (negative) size
            let negative = Array.copy body
            BitConverter.GetBytes(-32L).CopyTo(negative, 17)
            File.WriteAllBytes(path, withValidChecksum negative)
            assertCorrupt path "corrupt"
            // a body that ends in the middle of the second tensor
            File.WriteAllBytes(path, withValidChecksum body[.. body.Length - 5])
            assertCorrupt path "end of data"
            // a newer format version
            let version = Array.copy body
            version[4] <- 2uy
            File.WriteAllBytes(path, withValidChecksum version)
            assertCorrupt path "version"

        testCase "names of any script round-trip" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let path = dir.File "u.snnt"
            let names = [ "权重"; "bias/β"; ""; "layer.0.weight" ]
            TensorFile.save path [ for n in names -> n, Tensor.Ones [| 1 |] ]
            Expect.equal (TensorFile.load path Device.Cpu |> Array.map fst |> List.ofArray : string list) names "TensorFile.load path Device.Cpu |> Array.map fst |> List.ofArray"

        // The format stores a name's length in 16 bits and the rank in 8: what does not fit is refused when saving,
        // rather than written as a file that cannot be read back.
        testCase "a name longer than 65535 bytes or a rank above 255 is refused when saving" <| fun () ->
            use dir = new TempDir()
            use scope = new TensorScope()
            let path = dir.File "big.snnt"
            let e = Expect.raises<ArgumentException> (fun () -> TensorFile.save path [ String('n', 70_000), Tensor.Ones [| 1 |] ])
            assertMessageContains "65535" e
            let deep = Tensor.Ones(Array.create 256 1)
            let e = Expect.raises<ArgumentException> (fun () -> TensorFile.save path [ "deep", deep ])
            assertMessageContains "255" e
            Expect.isEmpty dir.Entries "dir.Entries"
            // the largest of each still round-trips
            let longest = String('n', 65_535)
            TensorFile.save path [ longest, Tensor.Ones(Array.create 255 1) ]
            let loaded = TensorFile.load path Device.Cpu
            Expect.equal (fst loaded[0]) longest "fst loaded[0]"
            Expect.equal ((snd loaded[0]).Dim) 255 "(snd loaded[0]).Dim"
    ]
