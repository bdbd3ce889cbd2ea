namespace SnnDsl.Data

open System
open System.IO

/// Reader of the N-MNIST binary event format (.bin / .bs2) and of the subset's label files.
[<RequireQualifiedAccess>]
module NMnist =
    /// Width and height of the ATIS sensor crop used by N-MNIST.
    [<Literal>]
    let SensorSize = 34

    /// The N-MNIST sensor: 34 x 34 pixels, 2 polarities.
    let sensor = { Width = SensorSize; Height = SensorSize; Polarities = 2 }
    /// Bytes per event.
    [<Literal>]
    let EventBytes = 5

    /// Decodes 5-byte events: byte0 = x, byte1 = y, byte2 bit 7 = polarity, byte2 bits 6..0 + byte3 +
    /// byte4 = 23-bit big-endian timestamp in microseconds. path only names the source in errors.
    let decode (path: string) (data: ReadOnlySpan<byte>) : Events =
        if data.Length % EventBytes <> 0 then
            raise (DataFileException(path,
                $"truncated or corrupt: {data.Length} bytes is not a whole number of {EventBytes}-byte events (the event at offset {data.Length - data.Length % EventBytes} has {data.Length % EventBytes} bytes)"))
        let n = data.Length / EventBytes
        let xs = Array.zeroCreate<uint16> n
        let ys = Array.zeroCreate<uint16> n
        let ps = Array.zeroCreate<byte> n
        let ts = Array.zeroCreate<int64> n
        for i in 0 .. n - 1 do
            let o = i * EventBytes
            let x = data[o]
            let y = data[o + 1]
            if int x >= SensorSize || int y >= SensorSize then
                raise (DataFileException(path,
                    $"corrupt: event {i} at ({x}, {y}) (offset {o}) lies outside the {SensorSize}x{SensorSize} sensor"))
            xs[i] <- uint16 x
            ys[i] <- uint16 y
            ps[i] <- data[o + 2] >>> 7
            ts[i] <- int64 (((int data[o + 2] &&& 0x7F) <<< 16) ||| (int data[o + 3] <<< 8) ||| int data[o + 4])
        EventCounter.add (int64 n)
        { X = xs; Y = ys; P = ps; T = ts }

    /// Reads the events of one sample file (gzipped or plain).
    let readEvents (path: string) : Events =
        use src = ByteSource.Open path
        let hint = src.LengthHint |> Option.defaultValue 0L
        if hint > int64 Array.MaxLength then raise (DataFileException(path, $"implausible size {hint} bytes"))
        if not src.Gzipped then
            let data = Array.zeroCreate<byte> (int hint)
            src.ReadExactly(Span<byte>(data), "the events")
            decode path (ReadOnlySpan<byte>(data))
        else
            use ms = new MemoryStream(int (min hint (1L <<< 20)))
            let buf = Array.zeroCreate<byte> (1 <<< 16)
            let mutable fin = false
            while not fin do
                let got = src.ReadUpTo(Span<byte>(buf))
                ms.Write(buf, 0, got)
                if got < buf.Length then fin <- true
            decode path (ReadOnlySpan<byte>(ms.GetBuffer(), 0, int ms.Length))

    /// Reads a label file of "sample class" lines (whitespace separated; lines starting with '#' and blank
    /// lines are skipped), checking that every class is below classes and no sample appears twice.
    let readLabels (classes: int) (path: string) : (int * int)[] =
        if not (File.Exists path) then raise (DataFileException(path, "file not found"))
        let seen = Collections.Generic.HashSet<int>()
        [| for lineNo, line in Seq.indexed (File.ReadLines path) do
               let s = line.Trim()
               if s.Length > 0 && not (s.StartsWith "#") then
                   let parts = s.Split([| ' '; '\t' |], StringSplitOptions.RemoveEmptyEntries)
                   let ok, sample, label =
                       match parts with
                       | [| a; b |] ->
                           match Int32.TryParse a, Int32.TryParse b with
                           | (true, a), (true, b) -> true, a, b
                           | _ -> false, 0, 0
                       | _ -> false, 0, 0
                   if not ok then
                       raise (DataFileException(path, $"line {lineNo + 1} is not \"sample class\": \"{s}\""))
                   if label < 0 || label >= classes then
                       raise (DataFileException(path,
                           $"line {lineNo + 1}: class {label} of sample {sample} is out of range 0..{classes - 1}"))
                   if not (seen.Add sample) then
                       raise (DataFileException(path, $"line {lineNo + 1}: sample {sample} is listed twice"))
                   yield sample, label |]
