namespace SnnDsl.Data

open System
open System.Buffers
open System.Buffers.Binary
open System.IO
open System.Xml.Linq
open Google.FlatBuffers
open K4os.Compression.LZ4.Streams

/// Reader of AEDAT 4.0 files (the DV software's format, in which Tonic distributes CIFAR10-DVS): the line
/// "#!AER-DAT4.0\r\n", an int32 length and that many bytes of an IOHeader FlatBuffer (compression, data table
/// position, XML info node naming the streams and their sizes), then packets of int32 stream id, int32 size
/// and size bytes: a size-prefixed FlatBuffer, LZ4-frame or Zstd compressed as the header says. Event packets
/// (identifier "EVTS") hold a vector of 16-byte structs: int64 t (microseconds), int16 x, int16 y, bool on.
[<RequireQualifiedAccess>]
module Aedat4 =
    /// The first line of the file.
    [<Literal>]
    let Magic = "#!AER-DAT4.0\r\n"

    /// The compression of packets, as IOHeader's enum numbers it.
    type Compression =
        /// Packets are stored uncompressed.
        | None = 0
        /// LZ4 frame compression.
        | Lz4 = 1
        /// LZ4 frame compression at the high-compression level (decoded like Lz4).
        | Lz4High = 2
        /// Zstandard compression.
        | Zstd = 3
        /// Zstandard compression at a high level (decoded like Zstd).
        | ZstdHigh = 4

    /// The compression's name as output prints it ("none", "lz4", "lz4-high", "zstd", "zstd-high").
    let compressionName (c: Compression) =
        match c with
        | Compression.None -> "none"
        | Compression.Lz4 -> "lz4"
        | Compression.Lz4High -> "lz4-high"
        | Compression.Zstd -> "zstd"
        | Compression.ZstdHigh -> "zstd-high"
        | other -> $"compression {int other}"

    /// What the IOHeader says.
    type Header =
        { /// How every packet is compressed.
          Compression: Compression
          /// The offset of the data table indexing the packets, where the packets end; -1 when the header gives none.
          DataTablePosition: int64
          /// The id of the first event stream, and its sensor when the info node gives its size.
          EventStream: int
          /// The size of that stream's sensor (2 polarities), when its info node gives sizeX and sizeY.
          Sensor: SensorSize option
          /// Where the first packet starts.
          DataStart: int64 }

    let private corrupt (path: string) (what: string) = raise (DataFileException(path, what))

    /// Reads a field of a FlatBuffers table: the absolute position of its data, or 0 when absent.
    let private field (bb: ByteBuffer) (table: int) (slot: int) =
        let t = Table(table, bb)
        let o = t.__offset slot
        if o = 0 then 0 else table + o

    let private parseInfo (path: string) (xml: string) : int * SensorSize option =
        let doc =
            try XDocument.Parse xml
            with e -> corrupt path $"corrupt header: the info node is not XML ({e.Message})"
        let attr (node: XElement) (key: string) =
            node.Elements(XName.Get "attr") |> Seq.tryFind (fun a -> (a.Attribute(XName.Get "key") |> Option.ofObj |> Option.map _.Value) = Some key)
            |> Option.map (fun a -> a.Value.Trim())
        let named (node: XElement) (name: string) =
            node.Elements(XName.Get "node") |> Seq.tryFind (fun n -> (n.Attribute(XName.Get "name") |> Option.ofObj |> Option.map _.Value) = Some name)
        let outInfo = doc.Descendants(XName.Get "node") |> Seq.tryFind (fun n -> (n.Attribute(XName.Get "name") |> Option.ofObj |> Option.map _.Value) = Some "outInfo")
        match outInfo with
        | None -> corrupt path "corrupt header: the info node has no outInfo node listing the streams"
        | Some outInfo ->
            let streams =
                outInfo.Elements(XName.Get "node")
                |> Seq.choose (fun s ->
                    match Int32.TryParse(s.Attribute(XName.Get "name") |> Option.ofObj |> Option.map _.Value |> Option.defaultValue ""), attr s "typeIdentifier" with
                    | (true, id), Some kind -> Some(id, kind, s)
                    | _ -> None)
                |> List.ofSeq
            match streams |> List.tryFind (fun (_, kind, _) -> kind = "EVTS") with
            | None ->
                let kinds = streams |> List.map (fun (id, k, _) -> $"{id}:{k}") |> String.concat ", "
                corrupt path $"no event stream (EVTS) in the header; streams: [{kinds}]"
            | Some(id, _, node) ->
                let size =
                    match named node "info" with
                    | Some info ->
                        match attr info "sizeX" |> Option.map Int32.TryParse, attr info "sizeY" |> Option.map Int32.TryParse with
                        | Some(true, w), Some(true, h) when w > 0 && h > 0 && w <= 32768 && h <= 32768 ->
                            Some { Width = w; Height = h; Polarities = 2 }
                        | _ -> None
                    | None -> None
                id, size

    /// Reads the magic and IOHeader, leaving the stream at the first packet.
    let readHeader (path: string) (stream: Stream) : Header =
        AedatHeader.expectMagic path stream Magic
        stream.Position <- int64 Magic.Length
        let lenBytes = Array.zeroCreate<byte> 4
        if stream.ReadAtLeast(Span<byte>(lenBytes), 4, false) < 4 then
            corrupt path $"truncated: the header length at offset {Magic.Length} is cut"
        let length = BinaryPrimitives.ReadInt32LittleEndian(ReadOnlySpan<byte>(lenBytes))
        let remaining = stream.Length - stream.Position
        if length < 8 || int64 length > remaining then
            corrupt path $"truncated or corrupt: the IOHeader at offset {Magic.Length + 4} claims {length} bytes but {remaining} remain"
        let buf = Array.zeroCreate<byte> (4 + length)
        Array.blit lenBytes 0 buf 0 4
        stream.ReadExactly(buf, 4, length)
        let bb = ByteBuffer(buf)
        let verifier = Verifier(bb, Options())
        let ok =
            try
                verifier.VerifyBuffer(null, true, VerifyTableAction(fun v pos ->
                    v.VerifyTableStart pos
                    && v.VerifyField(pos, 4s, 4UL, 4UL, false)
                    && v.VerifyField(pos, 6s, 8UL, 8UL, false)
                    && v.VerifyString(pos, 8s, false)
                    && v.VerifyTableEnd pos))
            with _ -> false
        if not ok then corrupt path $"corrupt header: the IOHeader at offset {Magic.Length + 4} is not a valid FlatBuffer"
        let root = 4 + bb.GetInt 4
        let compressionAt = field bb root 4
        let compression = if compressionAt = 0 then 0 else bb.GetInt compressionAt
        if compression < 0 || compression > 4 then
            corrupt path $"corrupt header: unknown compression {compression} (expected 0 none, 1-2 LZ4, 3-4 Zstd)"
        let tableAt = field bb root 6
        let dataTable = if tableAt = 0 then -1L else bb.GetLong tableAt
        let infoAt = field bb root 8
        if infoAt = 0 then corrupt path "corrupt header: the IOHeader has no info node"
        let info = Table(root, bb).__string infoAt
        let stream', sensor = parseInfo path info
        { Compression = enum<Compression> compression
          DataTablePosition = dataTable
          EventStream = stream'
          Sensor = sensor
          DataStart = stream.Position }

    let private decompress (path: string) (offset: int64) (compression: Compression) (src: byte[]) (length: int) (out: ArrayBufferWriter<byte>) =
        out.ResetWrittenCount()
        try
            match compression with
            | Compression.None -> out.Write(ReadOnlySpan<byte>(src, 0, length))
            | Compression.Lz4
            | Compression.Lz4High -> LZ4Frame.Decode(ReadOnlySpan<byte>(src, 0, length), out, 0) |> ignore
            | _ ->
                use input = new MemoryStream(src, 0, length, false)
                use z = new ZstdSharp.DecompressionStream(input)
                let mutable fin = false
                while not fin do
                    let span = out.GetSpan(1 <<< 16)
                    let n = z.Read span
                    if n = 0 then fin <- true else out.Advance n
        with
        | :? DataFileException -> reraise ()
        | e -> corrupt path $"corrupt packet at offset {offset}: its {compression} data does not decompress ({e.Message})"

    /// Decodes one decompressed event packet (a size-prefixed "EVTS" FlatBuffer), calling onEvent x y p t.
    let private decodeEvents (path: string) (offset: int64) (data: ReadOnlyMemory<byte>) (onEvent: int -> int -> int -> int64 -> unit) =
        let bytes = data.ToArray()
        let bb = ByteBuffer(bytes)
        let ok =
            try
                bytes.Length >= 12
                && bytes[8] = byte 'E' && bytes[9] = byte 'V' && bytes[10] = byte 'T' && bytes[11] = byte 'S'
                && Verifier(bb, Options()).VerifyBuffer("EVTS", true, VerifyTableAction(fun v pos ->
                    v.VerifyTableStart pos && v.VerifyVectorOfData(pos, 4s, 16UL, false) && v.VerifyTableEnd pos))
            with _ -> false
        if not ok then
            corrupt path $"corrupt packet at offset {offset}: expected a size-prefixed EventPacket FlatBuffer with identifier EVTS"
        let root = 4 + bb.GetInt 4
        let t = Table(root, bb)
        let o = t.__offset 4
        if o = 0 then 0
        else
            let start = t.__vector(o)
            let n = t.__vector_len(o)
            let span = ReadOnlySpan<byte>(bytes)
            for i in 0 .. n - 1 do
                let e = span.Slice(start + 16 * i, 16)
                let time = BinaryPrimitives.ReadInt64LittleEndian e
                let x = int (BinaryPrimitives.ReadInt16LittleEndian(e.Slice 8))
                let y = int (BinaryPrimitives.ReadInt16LittleEndian(e.Slice 10))
                if x < 0 || y < 0 then corrupt path $"corrupt packet at offset {offset}: event {i} has negative coordinates ({x}, {y})"
                onEvent x y (if e[12] <> 0uy then 1 else 0) time
            n

    /// Streams every event of the file's first event stream to onEvent x y p t, packet by packet; returns the header.
    let iter (path: string) (onEvent: int -> int -> int -> int64 -> unit) : Header =
        if not (File.Exists path) then raise (DataFileException(path, "file not found"))
        use stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 <<< 16)
        let header = readHeader path stream
        let stop = if header.DataTablePosition > 0L then min header.DataTablePosition stream.Length else stream.Length
        let head = Array.zeroCreate<byte> 8
        let mutable packet = Array.zeroCreate<byte> (1 <<< 16)
        let out = ArrayBufferWriter<byte>(1 <<< 16)
        let mutable parsed = 0L
        while stream.Position < stop do
            let offset = stream.Position
            let got = stream.ReadAtLeast(Span<byte>(head), 8, false)
            if got < 8 then corrupt path $"truncated: the packet header at offset {offset} has {got} of its 8 bytes"
            let id = BinaryPrimitives.ReadInt32LittleEndian(ReadOnlySpan<byte>(head))
            let size = BinaryPrimitives.ReadInt32LittleEndian(ReadOnlySpan<byte>(head, 4, 4))
            let remaining = stop - stream.Position
            if size < 0 || int64 size > remaining then
                corrupt path $"truncated: the packet at offset {offset} (stream {id}) claims {size} bytes but {remaining} remain"
            if id <> header.EventStream then stream.Seek(int64 size, SeekOrigin.Current) |> ignore
            else
                if packet.Length < size then packet <- Array.zeroCreate<byte> size
                stream.ReadExactly(packet, 0, size)
                decompress path offset header.Compression packet size out
                parsed <- parsed + int64 (decodeEvents path offset out.WrittenMemory onEvent)
        EventCounter.add parsed
        header

    /// Reads every event of the first event stream, and the header.
    let readWithHeader (path: string) : Events * Header =
        let b = EventBuilder(1 <<< 16)
        let header = iter path (fun x y p t -> b.Add(x, y, p, t))
        b.ToEvents(), header

    /// Reads every event of the first event stream.
    let read (path: string) : Events = fst (readWithHeader path)
