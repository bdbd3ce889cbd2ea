namespace SnnDsl.Data

open System

/// The compact form of one sample's integrated frames, as the frame cache stores them: the number of cells,
/// the number of non-zero cells, then for each non-zero cell the gap from the previous one and its count, all
/// as unsigned LEB128 varints. Exact for any count, and small because event frames are sparse.
[<RequireQualifiedAccess>]
module FrameCodec =
    let private writeVarint (buf: ResizeArray<byte>) (v: uint64) =
        let mutable v = v
        while v >= 0x80UL do
            buf.Add(byte (v &&& 0x7FUL) ||| 0x80uy)
            v <- v >>> 7
        buf.Add(byte v)

    /// Encodes counts (every cell >= 0).
    let encode (counts: ReadOnlySpan<int>) : byte[] =
        let buf = ResizeArray<byte>(64)
        let mutable nonZero = 0
        for c in counts do
            if c < 0 then invalidArg "counts" $"a count is negative ({c})"
            if c <> 0 then nonZero <- nonZero + 1
        writeVarint buf (uint64 counts.Length)
        writeVarint buf (uint64 nonZero)
        let mutable previous = -1
        for i in 0 .. counts.Length - 1 do
            if counts[i] <> 0 then
                writeVarint buf (uint64 (i - previous))
                writeVarint buf (uint64 counts[i])
                previous <- i
        buf.ToArray()

    /// Raised by decode on a blob that is not a valid encoding of the expected number of cells.
    exception CorruptBlob of
        /// What is wrong with the blob, e.g. where a number is cut.
        string

    let private readVarint (blob: ReadOnlySpan<byte>) (pos: byref<int>) : uint64 =
        let mutable v = 0UL
        let mutable shift = 0
        let mutable fin = false
        while not fin do
            if pos >= blob.Length then raise (CorruptBlob $"a number is cut at byte {pos} of {blob.Length}")
            if shift > 63 then raise (CorruptBlob $"a number at byte {pos} is longer than 64 bits")
            let b = blob[pos]
            pos <- pos + 1
            v <- v ||| (uint64 (b &&& 0x7Fuy) <<< shift)
            shift <- shift + 7
            if b < 0x80uy then fin <- true
        v

    /// Decodes a blob into dst (which must hold exactly the encoded number of cells) as float32 counts.
    let decode (blob: ReadOnlySpan<byte>) (dst: Span<float32>) =
        let mutable pos = 0
        let cells = readVarint blob &pos
        if cells <> uint64 dst.Length then
            raise (CorruptBlob $"it holds {cells} cells where {dst.Length} were expected")
        let nonZero = readVarint blob &pos
        if nonZero > cells then raise (CorruptBlob $"it claims {nonZero} non-zero cells of {cells}")
        dst.Clear()
        let mutable index = -1L
        for _ in 1UL .. nonZero do
            let gap = readVarint blob &pos
            index <- index + int64 gap
            if gap = 0UL || index >= int64 dst.Length then
                raise (CorruptBlob $"cell {index} is outside 0..{dst.Length - 1}")
            dst[int index] <- float32 (readVarint blob &pos)
        if pos <> blob.Length then raise (CorruptBlob $"{blob.Length - pos} bytes follow the last cell")
