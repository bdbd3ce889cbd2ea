namespace SnnDsl.Data

open System
open System.Buffers.Binary
open System.IO

/// Reader of AEDAT 3.1 files (the format of DVS128 Gesture): '#' header lines ending with "#!END-HEADER",
/// then little-endian packets of a 28-byte header (int16 type, int16 source, int32 event size, int32
/// timestamp offset, int32 timestamp overflow, int32 capacity, int32 number, int32 valid) and capacity x size
/// bytes of events. Polarity events (type 1) are 8 bytes: uint32 data (bit 0 valid, bit 1 polarity,
/// y = (d >> 2) & 0x7FFF, x = (d >> 17) & 0x7FFF) and int32 timestamp, which with the packet's overflow
/// gives the 64-bit time (overflow << 31) | timestamp in microseconds.
[<RequireQualifiedAccess>]
module Aedat31 =
    /// The magic at the start of the file.
    [<Literal>]
    let Magic = "#!AER-DAT3.1"
    /// The last header line.
    [<Literal>]
    let EndHeader = "#!END-HEADER"
    /// Bytes of a packet header.
    [<Literal>]
    let PacketHeaderBytes = 28
    /// The event type of polarity events.
    [<Literal>]
    let PolarityType = 1s

    /// The sensor a header names (DVS128, DAVIS240, DAVIS346), if any.
    let sensorOfHeader (lines: string list) : SensorSize option =
        let text = String.Join("\n", lines).ToUpperInvariant()
        if text.Contains "DVS128" then Some { Width = 128; Height = 128; Polarities = 2 }
        elif text.Contains "DAVIS240" then Some { Width = 240; Height = 180; Polarities = 2 }
        elif text.Contains "DAVIS346" then Some { Width = 346; Height = 260; Polarities = 2 }
        else None

    /// Streams every valid polarity event of a file to onEvent x y p t, packet by packet (other packet
    /// types are skipped; events whose valid bit is clear are dropped); returns the header lines.
    let iter (path: string) (onEvent: int -> int -> int -> int64 -> unit) : string list =
        if not (File.Exists path) then raise (DataFileException(path, "file not found"))
        use stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 <<< 16)
        AedatHeader.expectMagic path stream Magic
        let header = AedatHeader.read path stream (Some EndHeader)
        let length = stream.Length
        let head = Array.zeroCreate<byte> PacketHeaderBytes
        let mutable data = Array.zeroCreate<byte> (1 <<< 16)
        let mutable parsed = 0L
        let mutable fin = false
        while not fin do
            let offset = stream.Position
            let got = stream.ReadAtLeast(Span<byte>(head), PacketHeaderBytes, false)
            if got = 0 then fin <- true
            elif got < PacketHeaderBytes then
                raise (DataFileException(path,
                    $"truncated: the packet header at offset {offset} has {got} of its {PacketHeaderBytes} bytes"))
            else
                let h = ReadOnlySpan<byte>(head)
                let kind = BinaryPrimitives.ReadInt16LittleEndian h
                let size = BinaryPrimitives.ReadInt32LittleEndian(h.Slice 4)
                let overflow = BinaryPrimitives.ReadInt32LittleEndian(h.Slice 12)
                let capacity = BinaryPrimitives.ReadInt32LittleEndian(h.Slice 16)
                let number = BinaryPrimitives.ReadInt32LittleEndian(h.Slice 20)
                if size <= 0 || capacity < 0 || number < 0 || number > capacity || overflow < 0 then
                    raise (DataFileException(path,
                        $"corrupt packet header at offset {offset}: event size {size}, capacity {capacity}, number {number}, overflow {overflow}"))
                let bytes = int64 size * int64 capacity
                let remaining = length - stream.Position
                if bytes > remaining then
                    raise (DataFileException(path,
                        $"truncated: the packet at offset {offset} needs {bytes} bytes of events ({capacity} x {size}) but {remaining} remain"))
                if kind <> PolarityType then stream.Seek(bytes, SeekOrigin.Current) |> ignore
                else
                    if size <> 8 then
                        raise (DataFileException(path,
                            $"corrupt packet at offset {offset}: polarity events are 8 bytes, this packet says {size}"))
                    if data.Length < int bytes then data <- Array.zeroCreate<byte> (int bytes)
                    stream.ReadExactly(data, 0, int bytes)
                    let high = int64 overflow <<< 31
                    for i in 0 .. number - 1 do
                        let e = ReadOnlySpan<byte>(data, i * 8, 8)
                        let d = BinaryPrimitives.ReadUInt32LittleEndian e
                        if d &&& 1u = 1u then
                            let t = high ||| int64 (BinaryPrimitives.ReadUInt32LittleEndian(e.Slice 4))
                            onEvent (int ((d >>> 17) &&& 0x7FFFu)) (int ((d >>> 2) &&& 0x7FFFu)) (int ((d >>> 1) &&& 1u)) t
                            parsed <- parsed + 1L
        EventCounter.add parsed
        header

    /// Reads every valid polarity event of a file, and the sensor its header names (if any).
    let readWithHeader (path: string) : Events * SensorSize option =
        if not (File.Exists path) then raise (DataFileException(path, "file not found"))
        let b = EventBuilder(int (min (int64 Int32.MaxValue / 2L) ((FileInfo path).Length / 8L)) |> max 16 |> min (1 <<< 20))
        let header = iter path (fun x y p t -> b.Add(x, y, p, t))
        b.ToEvents(), sensorOfHeader header

    /// Reads every valid polarity event of a file.
    let read (path: string) : Events = fst (readWithHeader path)
