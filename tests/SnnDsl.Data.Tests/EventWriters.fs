/// Writers of small event files in the published layouts, written from the format descriptions and sharing
/// no code with the readers (the FlatBuffers of AEDAT 4 are laid out by hand, byte by byte).
module SnnDsl.Data.Tests.EventWriters

open System
open System.Buffers
open System.Buffers.Binary
open System.IO
open System.Text

/// One event as the tests describe it: x, y, polarity (0/1), timestamp in microseconds.
type Ev = { X: int; Y: int; P: int; T: int64 }

let ev x y p t = { X = x; Y = y; P = p; T = t }

let private ascii (s: string) = Encoding.ASCII.GetBytes s

// ---------------------------------------------------------------- AEDAT 2.0 (jAER, big-endian)

/// A jAER DVS128 address: y in bits 8..14, x in bits 1..7, polarity in bit 0.
let dvs128Address (x: int) (y: int) (p: int) = (uint32 y <<< 8) ||| (uint32 x <<< 1) ||| uint32 p

/// An AEDAT 2.0 file: the jAER header lines, then big-endian (address, timestamp) pairs.
let aedat2 (evs: Ev list) =
    use ms = new MemoryStream()
    for line in [ "#!AER-DAT2.0"; "# This is a raw AE data file - do not edit"
                  "# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event"
                  "# Timestamps tick is 1 us"; "# created Tue Jan 01 00:00:00 CET 2019" ] do
        ms.Write(ascii (line + "\r\n"))
    let b = Array.zeroCreate<byte> 8
    for e in evs do
        BinaryPrimitives.WriteUInt32BigEndian(Span<byte>(b, 0, 4), dvs128Address e.X e.Y e.P)
        BinaryPrimitives.WriteUInt32BigEndian(Span<byte>(b, 4, 4), uint32 e.T)
        ms.Write(b)
    ms.ToArray()

// ---------------------------------------------------------------- AEDAT 3.1 (little-endian packets)

/// One AEDAT 3.1 packet of polarity events sharing one timestamp overflow; valid flags per event.
let polarityPacket (overflow: int) (evs: (Ev * bool) list) =
    let n = evs.Length
    let b = Array.zeroCreate<byte> (28 + 8 * n)
    let s = Span<byte>(b)
    BinaryPrimitives.WriteInt16LittleEndian(s, 1s) // polarity events
    BinaryPrimitives.WriteInt16LittleEndian(s.Slice 2, 1s) // source id
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 4, 8) // event size
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 8, 4) // offset of the timestamp inside an event
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 12, overflow)
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 16, n) // capacity
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 20, n) // number
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 24, evs |> List.filter snd |> List.length)
    for i, (e, valid) in List.indexed evs do
        let data = (uint32 e.X <<< 17) ||| (uint32 e.Y <<< 2) ||| (uint32 e.P <<< 1) ||| (if valid then 1u else 0u)
        BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(28 + 8 * i), data)
        BinaryPrimitives.WriteInt32LittleEndian(s.Slice(32 + 8 * i), int (e.T &&& 0x7FFFFFFFL))
    b

/// A packet of another type (special events, type 0) with n 8-byte events, which readers skip.
let specialPacket (n: int) =
    let b = Array.zeroCreate<byte> (28 + 8 * n)
    let s = Span<byte>(b)
    BinaryPrimitives.WriteInt16LittleEndian(s, 0s)
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 4, 8)
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 8, 4)
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 16, n)
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 20, n)
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 24, n)
    for i in 0 .. n - 1 do BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(28 + 8 * i), 0xFFFFFFFFu)
    b

/// An AEDAT 3.1 file: the text header of a DVS128 recording, then the packets.
let aedat31 (packets: byte[] list) =
    let header =
        [ "#!AER-DAT3.1"; "#Format: RAW"; "#Source 1: DVS128"; "#Start-Time: 2017-01-01 00:00:00 (TZ+0000)"; "#!END-HEADER" ]
        |> List.map (fun l -> ascii (l + "\r\n"))
    Array.concat (header @ packets)

/// Packets of polarity events, each timestamp's overflow (t >> 31) giving its packet; chunk events per packet.
let polarityPackets (chunk: int) (evs: Ev list) =
    evs
    |> List.groupBy (fun e -> int (e.T >>> 31))
    |> List.collect (fun (overflow, group) ->
        group |> List.chunkBySize chunk |> List.map (fun c -> polarityPacket overflow (c |> List.map (fun e -> e, true))))

// ---------------------------------------------------------------- AEDAT 4.0 (FlatBuffers by hand)

/// An EventPacket as a size-prefixed FlatBuffer with identifier "EVTS", laid out by hand:
/// [size][root offset]["EVTS"][vtable: 6, 8, 4][pad][table: soffset, uoffset to vector][count][16-byte structs].
let eventPacketFlatBuffer (evs: Ev list) =
    let n = evs.Length
    let total = 32 + 16 * n
    let b = Array.zeroCreate<byte> total
    let s = Span<byte>(b)
    BinaryPrimitives.WriteUInt32LittleEndian(s, uint32 (total - 4)) // size prefix
    BinaryPrimitives.WriteUInt32LittleEndian(s.Slice 4, 16u) // root table at 4 + 16 = 20
    ascii("EVTS").CopyTo(s.Slice 8)
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 12, 6us) // vtable size: 4 + 2 x 1 field
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 14, 8us) // table size
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 16, 4us) // field 0 (elements) at table + 4
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 20, 8) // table - vtable = 20 - 12
    BinaryPrimitives.WriteUInt32LittleEndian(s.Slice 24, 4u) // vector at 24 + 4 = 28
    BinaryPrimitives.WriteUInt32LittleEndian(s.Slice 28, uint32 n) // element count; structs start at 32 (8-aligned)
    for i, e in List.indexed evs do
        let o = 32 + 16 * i
        BinaryPrimitives.WriteInt64LittleEndian(s.Slice o, e.T)
        BinaryPrimitives.WriteInt16LittleEndian(s.Slice(o + 8), int16 e.X)
        BinaryPrimitives.WriteInt16LittleEndian(s.Slice(o + 10), int16 e.Y)
        b[o + 12] <- byte e.P
    b

/// The IOHeader (compression, dataTablePosition, infoNode) as a size-prefixed FlatBuffer with identifier
/// "IOHE", laid out by hand: [size][root]["IOHE"][vtable 10, 20, 4, 8, 16][pad][table][string].
let ioHeaderFlatBuffer (compression: int) (dataTablePosition: int64) (info: string) =
    let text = Encoding.UTF8.GetBytes info
    let stringAt = 44
    let total = (stringAt + 4 + text.Length + 1 + 3) / 4 * 4
    let b = Array.zeroCreate<byte> total
    let s = Span<byte>(b)
    BinaryPrimitives.WriteUInt32LittleEndian(s, uint32 (total - 4))
    BinaryPrimitives.WriteUInt32LittleEndian(s.Slice 4, 20u) // table at 24
    ascii("IOHE").CopyTo(s.Slice 8)
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 12, 10us) // vtable: 4 + 2 x 3 fields
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 14, 20us) // table size
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 16, 4us) // compression at table + 4
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 18, 8us) // dataTablePosition at table + 8 (absolute 32)
    BinaryPrimitives.WriteUInt16LittleEndian(s.Slice 20, 16us) // infoNode at table + 16
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 24, 12) // table - vtable = 24 - 12
    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 28, compression)
    BinaryPrimitives.WriteInt64LittleEndian(s.Slice 32, dataTablePosition)
    BinaryPrimitives.WriteUInt32LittleEndian(s.Slice 40, uint32 (stringAt - 40))
    BinaryPrimitives.WriteUInt32LittleEndian(s.Slice stringAt, uint32 text.Length)
    text.CopyTo(s.Slice(stringAt + 4))
    b

/// The XML info node of a recording with an event stream 0 of width x height and a trigger stream 1.
let infoNode (width: int) (height: int) =
    $"""<dv version="2.0"><node name="outInfo" path="/mainloop/Recorder/outInfo/">"""
    + $"""<node name="0" path="/mainloop/Recorder/outInfo/0/"><attr key="compression" type="string">LZ4</attr>"""
    + """<attr key="originalOutputName" type="string">events</attr><attr key="typeIdentifier" type="string">EVTS</attr>"""
    + $"""<node name="info" path="/mainloop/Recorder/outInfo/0/info/"><attr key="sizeX" type="int">{width}</attr>"""
    + $"""<attr key="sizeY" type="int">{height}</attr><attr key="source" type="string">DVXplorer</attr></node></node>"""
    + """<node name="1" path="/mainloop/Recorder/outInfo/1/"><attr key="typeIdentifier" type="string">TRIG</attr></node>"""
    + """</node></dv>"""

/// Compression numbers of the IOHeader.
let [<Literal>] NoCompression = 0
let [<Literal>] Lz4 = 1
let [<Literal>] Lz4High = 2
let [<Literal>] Zstd = 3
let [<Literal>] ZstdHigh = 4

/// Compresses a packet body as an AEDAT 4 writer does: an LZ4 frame or a Zstd frame.
let compress (compression: int) (body: byte[]) =
    match compression with
    | NoCompression -> body
    | Lz4 | Lz4High ->
        let w = ArrayBufferWriter<byte>()
        let level = if compression = Lz4 then K4os.Compression.LZ4.LZ4Level.L00_FAST else K4os.Compression.LZ4.LZ4Level.L09_HC
        K4os.Compression.LZ4.Streams.LZ4Frame.Encode(ReadOnlySpan<byte>(body), w, level, 0) |> ignore
        w.WrittenSpan.ToArray()
    | _ ->
        use c = new ZstdSharp.Compressor(if compression = Zstd then 3 else 19)
        c.Wrap(ReadOnlySpan<byte>(body)).ToArray()

/// An AEDAT 4 file: magic, IOHeader, then one packet per (stream id, body) compressed as the header says.
/// Event bodies come from eventPacketFlatBuffer; other streams' bodies are passed as they are.
let aedat4With (compression: int) (width: int) (height: int) (packets: (int * byte[]) list) =
    use ms = new MemoryStream()
    ms.Write(ascii "#!AER-DAT4.0\r\n")
    ms.Write(ioHeaderFlatBuffer compression -1L (infoNode width height))
    let head = Array.zeroCreate<byte> 8
    for stream, body in packets do
        let data = compress compression body
        BinaryPrimitives.WriteInt32LittleEndian(Span<byte>(head, 0, 4), stream)
        BinaryPrimitives.WriteInt32LittleEndian(Span<byte>(head, 4, 4), data.Length)
        ms.Write(head)
        ms.Write(data)
    ms.ToArray()

/// An AEDAT 4 file of 128 x 128 whose event packets hold the given chunks of events, with a trigger packet
/// (stream 1) between the first two.
let aedat4 (compression: int) (chunks: Ev list list) =
    let evPackets = chunks |> List.map (fun c -> 0, eventPacketFlatBuffer c)
    let trigger = 1, Array.init 24 byte
    let packets = match evPackets with first :: rest -> first :: trigger :: rest | [] -> [ trigger ]
    aedat4With compression 128 128 packets

// ---------------------------------------------------------------- SHD / SSC (HDF5)

/// An SHD-layout HDF5 file: spikes/times (variable-length float32 seconds), spikes/units (variable-length
/// uint16), labels (uint16) and extra/keys (class names).
let shd (path: string) (samples: (float32[] * uint16[] * int) list) (keys: string[]) =
    let f = PureHDF.H5File()
    let spikes = PureHDF.H5Group()
    spikes["times"] <- box (samples |> List.map (fun (t, _, _) -> t) |> Array.ofList)
    spikes["units"] <- box (samples |> List.map (fun (_, u, _) -> u) |> Array.ofList)
    f["spikes"] <- spikes
    f["labels"] <- box (samples |> List.map (fun (_, _, l) -> uint16 l) |> Array.ofList)
    let extra = PureHDF.H5Group()
    extra["keys"] <- box keys
    f["extra"] <- extra
    f.Write path

// ---------------------------------------------------------------- N-MNIST

/// One N-MNIST event: x, y, then polarity in bit 7 of byte 2 and a 23-bit big-endian timestamp.
let nmnistEvent (e: Ev) =
    [| byte e.X; byte e.Y; byte ((e.P <<< 7) ||| int ((e.T >>> 16) &&& 0x7FL)); byte (e.T >>> 8); byte e.T |]

/// An N-MNIST file.
let nmnist (evs: Ev list) = evs |> List.map nmnistEvent |> Array.concat
