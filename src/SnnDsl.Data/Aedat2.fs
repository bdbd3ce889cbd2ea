namespace SnnDsl.Data

open System
open System.Buffers.Binary
open System.IO

/// Reader of AEDAT 2.0 (jAER) files, the format of CIFAR10-DVS: '#' header lines, then big-endian
/// (uint32 address, uint32 timestamp in microseconds) pairs. A DVS128 address holds x = (a & 0xFE) >> 1,
/// y = (a & 0x7F00) >> 8 and polarity p = a & 1.
[<RequireQualifiedAccess>]
module Aedat2 =
    /// The magic at the start of the file.
    [<Literal>]
    let Magic = "#!AER-DAT2"
    /// Bytes per event.
    [<Literal>]
    let EventBytes = 8
    /// The DVS128 sensor of CIFAR10-DVS.
    let sensor = { Width = 128; Height = 128; Polarities = 2 }

    /// Reads every event of a file, streaming it in 64 KiB blocks into arrays sized from the file length.
    /// With remap, applies SpikingJelly's CIFAR10-DVS orientation: x' = 127 - y, y' = 127 - x, p' = 1 - p.
    let read (remap: bool) (path: string) : Events =
        if not (File.Exists path) then raise (DataFileException(path, "file not found"))
        use stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 <<< 16)
        AedatHeader.expectMagic path stream Magic
        AedatHeader.read path stream None |> ignore
        let start = stream.Position
        let bytes = stream.Length - start
        if bytes % int64 EventBytes <> 0L then
            let cut = start + bytes - bytes % int64 EventBytes
            raise (DataFileException(path,
                $"truncated: the event at offset {cut} has {bytes % int64 EventBytes} of its {EventBytes} bytes"))
        let n = int (bytes / int64 EventBytes)
        let xs = Array.zeroCreate<uint16> n
        let ys = Array.zeroCreate<uint16> n
        let ps = Array.zeroCreate<byte> n
        let ts = Array.zeroCreate<int64> n
        let block = Array.zeroCreate<byte> (8192 * EventBytes)
        let mutable k = 0
        while k < n do
            let take = min (n - k) (block.Length / EventBytes)
            stream.ReadExactly(block, 0, take * EventBytes)
            for i in 0 .. take - 1 do
                let s = ReadOnlySpan<byte>(block, i * EventBytes, EventBytes)
                let a = BinaryPrimitives.ReadUInt32BigEndian s
                let x = int ((a &&& 0xFEu) >>> 1)
                let y = int ((a &&& 0x7F00u) >>> 8)
                let p = int (a &&& 1u)
                if remap then
                    xs[k + i] <- uint16 (127 - y)
                    ys[k + i] <- uint16 (127 - x)
                    ps[k + i] <- byte (1 - p)
                else
                    xs[k + i] <- uint16 x
                    ys[k + i] <- uint16 y
                    ps[k + i] <- byte p
                ts[k + i] <- int64 (BinaryPrimitives.ReadUInt32BigEndian(s.Slice 4))
            k <- k + take
        EventCounter.add (int64 n)
        { X = xs; Y = ys; P = ps; T = ts }
