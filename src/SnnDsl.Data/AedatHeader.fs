namespace SnnDsl.Data

open System
open System.IO
open System.Text

/// The text header of AEDAT 2.0 and 3.1 files: lines that start with '#', each ending in '\n'.
module internal AedatHeader =
    /// Longest header line accepted (a longer one means the file is not an AEDAT file).
    let private maxLine = 1 <<< 16

    /// Reads one '\n'-terminated line from stream (the terminator included), or raises naming the offset.
    let private readLine (path: string) (stream: Stream) (offset: int64) =
        let sb = StringBuilder()
        let mutable fin = false
        while not fin do
            let b = stream.ReadByte()
            if b < 0 then raise (DataFileException(path, $"truncated: the header line at offset {offset} has no end of line"))
            sb.Append(char b) |> ignore
            if b = int '\n' then fin <- true
            elif sb.Length > maxLine then
                raise (DataFileException(path, $"corrupt header: the line at offset {offset} is longer than {maxLine} bytes"))
        sb.ToString()

    /// Checks that the file starts with magic (e.g. "#!AER-DAT2"), reading nothing else.
    let expectMagic (path: string) (stream: Stream) (magic: string) =
        let head = Array.zeroCreate<byte> magic.Length
        let n = stream.ReadAtLeast(Span<byte>(head), head.Length, false)
        let found = Encoding.ASCII.GetString(head, 0, n)
        if found <> magic then
            let shown = String(found |> Seq.map (fun c -> if Char.IsControl c || int c > 126 then '.' else c) |> Array.ofSeq)
            raise (DataFileException(path, $"wrong magic: expected \"{magic}\" at offset 0, found \"{shown}\""))
        stream.Position <- 0L

    /// Reads the header lines: every line starting with '#' (until endLine, when given, which is included).
    /// Leaves the stream at the first byte of data and returns the lines without their line ends.
    let read (path: string) (stream: Stream) (endLine: string option) : string list =
        let lines = ResizeArray<string>()
        let mutable fin = false
        while not fin do
            let offset = stream.Position
            let b = stream.ReadByte()
            if b <> int '#' then
                if endLine.IsSome then
                    raise (DataFileException(path, $"corrupt header: expected \"{endLine.Value}\" before the data at offset {offset}"))
                stream.Position <- offset
                fin <- true
            else
                stream.Position <- offset
                let line = (readLine path stream offset).TrimEnd('\r', '\n')
                lines.Add line
                if endLine = Some line then fin <- true
        List.ofSeq lines
