namespace SnnDsl.Core

open System
open System.IO
open System.Text

/// Writing files so that no reader ever sees a half-written one: each file is written to a temporary file
/// beside its target, flushed to disk, and renamed over the target only once complete (a reader sees the old
/// file or the new one). The one writer behind checkpoints, tensor files, frame caches, metrics, reports and
/// the CLI's outputs.
[<RequireQualifiedAccess>]
module AtomicFile =
    let private utf8 = UTF8Encoding(false)

    let private tryDelete (path: string) =
        if File.Exists path then
            try File.Delete path with _ -> ()

    /// A file being written: write to Stream, then Commit renames it into place (Seal alone flushes and closes
    /// it, for callers that commit several files together). Disposing without Commit removes the temporary
    /// file and leaves any previous target untouched. Creates the target's missing directories; I/O failures
    /// surface as the .NET exceptions that caused them.
    [<Sealed>]
    type Pending(path: string) =
        let full = Path.GetFullPath path
        let dir = Path.GetDirectoryName full
        do if not (Directory.Exists dir) then Directory.CreateDirectory dir |> ignore
        let temp = Path.Combine(dir, $".{Path.GetFileName full}.{Guid.NewGuid():N}.tmp")
        let stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 <<< 16)
        let mutable sealedUp = false
        let mutable committed = false

        /// The target, as given.
        member _.Path = path

        /// Where to write the content (valid until Seal or Commit).
        member _.Stream = stream :> Stream

        /// Flushes the content to disk and closes the temporary file; the target is not touched yet.
        member _.Seal() =
            if not sealedUp then
                stream.Flush(true)
                stream.Dispose()
                sealedUp <- true

        /// Seals the file and renames it over the target.
        member this.Commit() =
            if not committed then
                this.Seal()
                File.Move(temp, full, true)
                committed <- true

        interface IDisposable with
            member _.Dispose() =
                stream.Dispose()
                if not committed then tryDelete temp

    /// Runs a write, turning I/O failures into a data error that names the file.
    let private guard (path: string) (action: unit -> 'a) : 'a =
        try action ()
        with
        | :? IOException | :? UnauthorizedAccessException as e ->
            raise (SnnException(ErrorKind.Data, $"cannot write '{path}': {e.Message}", e))

    /// Fails with a data error unless `path` can be created: its directory exists and it is not a directory.
    /// For front ends to check before any work, so that a typo in an output path costs nothing.
    let checkWritable (what: string) (path: string) =
        let full = Path.GetFullPath path
        if Directory.Exists full then Fail.data $"cannot write the {what} to '{path}': it is a directory"
        let dir = Path.GetDirectoryName full
        if not (Directory.Exists dir) then Fail.data $"cannot write the {what} to '{path}': directory '{dir}' does not exist"

    /// Writes path atomically, the content written by `content` to a stream; an I/O failure is a data error
    /// naming the file, and any failure leaves the previous file (if any) untouched and no temporary file.
    let write (path: string) (content: Stream -> unit) =
        guard path (fun () ->
            use pending = new Pending(path)
            content pending.Stream
            pending.Commit())

    /// Writes bytes to path atomically.
    let writeBytes (path: string) (bytes: byte[]) = write path (fun s -> s.Write(bytes, 0, bytes.Length))

    /// Writes text to path atomically, as UTF-8 without a byte-order mark.
    let writeText (path: string) (text: string) = writeBytes path (utf8.GetBytes text)

    /// Writes every (path, text) pair as UTF-8: all to temporary files first, then renamed over the targets,
    /// so a failed write touches no target. An I/O failure is a data error naming the file.
    let writeAll (files: (string * string) list) =
        let pending = ResizeArray<Pending>()
        try
            for path, text in files do
                guard path (fun () ->
                    let p = new Pending(path)
                    pending.Add p
                    let bytes = utf8.GetBytes text
                    p.Stream.Write(bytes, 0, bytes.Length)
                    p.Seal())
            for p in pending do
                guard p.Path (fun () -> p.Commit())
        finally
            for p in pending do
                (p :> IDisposable).Dispose()
