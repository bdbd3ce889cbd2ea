namespace SnnDsl.Data

open System
open System.IO
open System.IO.Compression

/// A data file opened for sequential reading, transparently gunzipped when it starts with the gzip magic
/// (1f 8b). Every failure is reported as a DataFileException naming the file.
[<Sealed>]
type internal ByteSource private (path: string, file: FileStream, stream: Stream, gzipped: bool) =
    let mutable position = 0L

    /// Opens path; a missing file is a DataFileException.
    static member Open(path: string) =
        if not (File.Exists path) then raise (DataFileException(path, "file not found"))
        let file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 <<< 16)
        let head = Array.zeroCreate<byte> 2
        let n = file.Read(head, 0, 2)
        file.Position <- 0L
        let gz = n = 2 && head[0] = 0x1Fuy && head[1] = 0x8Buy
        let stream: Stream = if gz then new GZipStream(file, CompressionMode.Decompress) else file
        new ByteSource(path, file, stream, gz)

    member _.Path = path
    member _.Gzipped = gzipped

    /// The uncompressed length when it is known before reading: exact for a plain file; for a gzip
    /// file, the size recorded in its trailer (modulo 2^32, so only a hint).
    member _.LengthHint: int64 option =
        if not gzipped then Some file.Length
        elif file.Length >= 18L then
            let saved = file.Position
            file.Position <- file.Length - 4L
            let b = Array.zeroCreate<byte> 4
            file.ReadExactly(b, 0, 4)
            file.Position <- saved
            Some(int64 (BitConverter.ToUInt32(b, 0)))
        else None

    /// Bytes consumed so far (uncompressed).
    member _.Position = position

    /// Reads as many bytes as are available, up to buffer.Length; fewer only at the end of the data.
    member _.ReadUpTo(buffer: Span<byte>) : int =
        let mutable got = 0
        let mutable fin = false
        try
            while not fin && got < buffer.Length do
                let n = stream.Read(buffer.Slice got)
                if n = 0 then fin <- true else got <- got + n
        with :? InvalidDataException as e ->
            raise (DataFileException(path, $"corrupt gzip data after {position + int64 got} bytes ({e.Message})", e))
        position <- position + int64 got
        got

    /// Fills buffer completely, or raises a DataFileException saying that the file is truncated.
    member s.ReadExactly(buffer: Span<byte>, what: string) =
        let start = position
        let got = s.ReadUpTo buffer
        if got < buffer.Length then
            raise (DataFileException(path,
                $"truncated: {what} needs {buffer.Length} bytes at offset {start} but the data ends after {got}"))

    /// Reads a big-endian int32.
    member s.ReadInt32BigEndian(what: string) =
        let b = Array.zeroCreate<byte> 4
        s.ReadExactly(Span<byte>(b), what)
        (int b[0] <<< 24) ||| (int b[1] <<< 16) ||| (int b[2] <<< 8) ||| int b[3]

    /// True when no byte is left.
    member s.AtEnd() =
        let b = Array.zeroCreate<byte> 1
        s.ReadUpTo(Span<byte>(b)) = 0

    /// Raises a DataFileException when bytes remain after what the header promised.
    member s.ExpectEnd(promised: string) =
        let at = position
        if not (s.AtEnd()) then
            raise (DataFileException(path, $"the data is longer than {promised} ({at} bytes); more bytes follow"))

    interface IDisposable with
        member _.Dispose() =
            stream.Dispose()
            file.Dispose()
