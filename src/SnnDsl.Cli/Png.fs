namespace SnnDsl.Cli

open System
open System.IO
open System.IO.Compression

/// A minimal PNG encoder (8-bit RGB, no interlace): signature, IHDR, one zlib-compressed IDAT, IEND, each
/// chunk with its CRC-32. No image library needed.
[<RequireQualifiedAccess>]
module Png =
    /// The CRC-32 table (polynomial 0xEDB88320) of the PNG specification.
    let private table =
        Array.init 256 (fun n ->
            let mutable c = uint32 n
            for _ in 0..7 do
                c <- if c &&& 1u <> 0u then 0xEDB88320u ^^^ (c >>> 1) else c >>> 1
            c)

    /// CRC-32 of bytes, as PNG chunks use it.
    let crc32 (bytes: ReadOnlySpan<byte>) =
        let mutable c = 0xFFFFFFFFu
        for b in bytes do
            c <- table[int ((c ^^^ uint32 b) &&& 0xFFu)] ^^^ (c >>> 8)
        c ^^^ 0xFFFFFFFFu

    let private be (v: uint32) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

    let private chunk (out: Stream) (kind: string) (data: byte[]) =
        out.Write(be (uint32 data.Length))
        let typed = Array.append (Text.Encoding.ASCII.GetBytes kind) data
        out.Write(typed)
        out.Write(be (crc32 (ReadOnlySpan typed)))

    /// Encodes width x height RGB pixels (row-major, 3 bytes each).
    let encode (width: int) (height: int) (rgb: byte[]) : byte[] =
        if width <= 0 || height <= 0 || rgb.Length <> width * height * 3 then
            invalidArg "rgb" $"{width} x {height} RGB pixels need {width * height * 3} bytes, got {rgb.Length}"
        use out = new MemoryStream()
        out.Write([| 0x89uy; 0x50uy; 0x4Euy; 0x47uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |])
        chunk out "IHDR" (Array.concat [ be (uint32 width); be (uint32 height); [| 8uy; 2uy; 0uy; 0uy; 0uy |] ])
        let idat =
            use z = new MemoryStream()
            (use zl = new ZLibStream(z, CompressionLevel.Optimal, true)
             for y in 0 .. height - 1 do
                 zl.WriteByte 0uy // filter: none
                 zl.Write(rgb, y * width * 3, width * 3))
            z.ToArray()
        chunk out "IDAT" idat
        chunk out "IEND" [||]
        out.ToArray()
