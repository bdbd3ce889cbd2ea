namespace SnnDsl.Torch

open System
open System.IO
open System.Text

/// Saving and loading named tensors in SnnDsl's own checked format:
/// "SNNT" magic, format version, count, then per tensor name, dtype, shape and raw little-endian bytes,
/// and a CRC-32 of everything before it. Writes are atomic (SnnDsl.Core.AtomicFile): a temporary file renamed
/// over the target.
[<RequireQualifiedAccess>]
module TensorFile =
    let private magic = "SNNT"B
    let private formatVersion = 1u

    let private crcTable =
        Array.init 256 (fun n ->
            let mutable c = uint32 n
            for _ in 0..7 do
                c <- if c &&& 1u <> 0u then 0xEDB88320u ^^^ (c >>> 1) else c >>> 1
            c)

    /// CRC-32 (IEEE) of a byte span, continuing from crc.
    let private crc32 (crc: uint32) (data: ReadOnlySpan<byte>) =
        let mutable c = ~~~crc
        for b in data do
            c <- crcTable[int ((c ^^^ uint32 b) &&& 0xFFu)] ^^^ (c >>> 8)
        ~~~c

    /// Saves named tensors (their values, not their autograd history) to path atomically.
    let save (path: string) (tensors: (string * Tensor) seq) =
        let items = Seq.toArray tensors
        let names = items |> Array.map fst
        if names |> Array.distinct |> Array.length <> names.Length then
            invalidArg "tensors" "tensor names must be unique"
        use body = new MemoryStream()
        use w = new BinaryWriter(body, Encoding.UTF8, true)
        w.Write magic
        w.Write formatVersion
        w.Write(uint32 items.Length)
        for name, t in items do
            // the format stores a name's length in 16 bits and the rank in 8 bits
            let nameBytes = Encoding.UTF8.GetBytes(name: string)
            if nameBytes.Length > int UInt16.MaxValue then
                invalidArg "tensors" $"tensor name '{name.Substring(0, 32)}...' is {nameBytes.Length} bytes long in UTF-8; at most 65535 fit"
            let shape = t.Shape
            if shape.Length > int Byte.MaxValue then
                invalidArg "tensors" $"tensor '{name}' has {shape.Length} dims; at most 255 fit"
            w.Write(uint16 nameBytes.Length)
            w.Write nameBytes
            w.Write(byte t.DType.Code)
            w.Write(byte shape.Length)
            for d in shape do
                w.Write(int64 d)
            let bytes = Array.zeroCreate<byte> (int (t.NumElements * int64 t.DType.ElementSize))
            t.CopyBytesTo(Span bytes)
            w.Write(int64 bytes.Length)
            w.Write bytes
        w.Flush()
        let crc = crc32 0u (ReadOnlySpan(body.GetBuffer(), 0, int body.Length))
        w.Write crc
        w.Flush()
        SnnDsl.Core.AtomicFile.write path (fun s -> body.WriteTo s)

    /// Loads the named tensors of a file written by save, in their saved order, onto the device.
    /// A missing, truncated or corrupt file raises InvalidDataException / FileNotFoundException naming it.
    let load (path: string) (device: Device) : (string * Tensor)[] =
        if not (File.Exists path) then raise (FileNotFoundException($"tensor file not found: {path}", path))
        let data = File.ReadAllBytes path
        let corrupt why = raise (InvalidDataException($"corrupt tensor file {path}: {why}"))
        if data.Length < 16 || not (ReadOnlySpan(data, 0, 4).SequenceEqual(ReadOnlySpan magic)) then
            corrupt "not an SnnDsl tensor file (bad magic or too short)"
        let stored = BitConverter.ToUInt32(data, data.Length - 4)
        if crc32 0u (ReadOnlySpan(data, 0, data.Length - 4)) <> stored then
            corrupt "checksum mismatch (the file is truncated or damaged)"
        use r = new BinaryReader(new MemoryStream(data, 0, data.Length - 4), Encoding.UTF8)
        r.ReadBytes 4 |> ignore
        let version = r.ReadUInt32()
        if version <> formatVersion then corrupt $"unsupported format version {version}"
        let count = int (r.ReadUInt32())
        let loaded = ResizeArray()
        try
            for _ in 1..count do
                let name = Encoding.UTF8.GetString(r.ReadBytes(int (r.ReadUInt16())))
                let dtype = DType.OfCode(int (r.ReadByte()))
                let shape = Array.init (int (r.ReadByte())) (fun _ -> int (r.ReadInt64()))
                let n = r.ReadInt64()
                let expected = (shape |> Array.fold (fun a d -> a * int64 d) 1L) * int64 dtype.ElementSize
                if n <> expected then
                    corrupt $"tensor '{name}' has {n} bytes for shape {SnnDsl.Core.Shape.text shape} ({expected} expected)"
                let bytes = r.ReadBytes(int n)
                if int64 bytes.Length <> n then raise (EndOfStreamException())
                loaded.Add((name, Tensor.FromBytes(ReadOnlySpan bytes, shape, dtype, device)))
        with e ->
            for _, t in loaded do t.Dispose()
            match e with
            | :? EndOfStreamException -> corrupt "unexpected end of data"
            // an unknown dtype code or an impossible shape: damage the checksum did not catch
            | :? ArgumentException
            | :? TorchException -> raise (InvalidDataException($"corrupt tensor file {path}: {e.Message}", e))
            | _ -> reraise ()
        loaded.ToArray()
