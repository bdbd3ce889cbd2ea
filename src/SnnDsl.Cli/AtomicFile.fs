namespace SnnDsl.Cli

open SnnDsl.Core
open System
open System.IO
open System.Text

/// Writing output files so that no reader ever sees a half-written one: each file is written to a temporary
/// file beside its target, and the temporary files are renamed into place only once all were written.
[<RequireQualifiedAccess>]
module AtomicFile =
    let private utf8 = UTF8Encoding(false)

    /// Fails with a data error unless `path` can be created: its directory exists and it is not a directory.
    /// Checked before any work, so a typo in an output path costs nothing.
    let checkWritable (what: string) (path: string) =
        let full = Path.GetFullPath path
        if Directory.Exists full then Fail.data $"cannot write the {what} to '{path}': it is a directory"
        let dir = Path.GetDirectoryName full
        if not (Directory.Exists dir) then Fail.data $"cannot write the {what} to '{path}': directory '{dir}' does not exist"

    /// Writes every (path, text) pair as UTF-8: all to temporary files first, then renamed over the targets.
    /// When a write fails, no target is touched, the temporary files are removed and a data error names the file.
    let writeAll (files: (string * string) list) =
        let pending = ResizeArray<string * string * string>()
        let attempt (path: string) (action: unit -> unit) =
            try action ()
            with
            | :? IOException | :? UnauthorizedAccessException as e -> Fail.data $"cannot write '{path}': {e.Message}"
        try
            for path, text in files do
                let full = Path.GetFullPath path
                let temp = Path.Combine(Path.GetDirectoryName full, $".{Path.GetFileName full}.{Guid.NewGuid():N}.tmp")
                pending.Add((path, full, temp))
                attempt path (fun () -> File.WriteAllText(temp, text, utf8))
            for path, full, temp in pending do
                attempt path (fun () -> File.Move(temp, full, true))
        finally
            for _, _, temp in pending do
                if File.Exists temp then
                    try File.Delete temp with _ -> ()

    /// Writes bytes to path through a temporary file beside it, renamed into place once complete.
    let writeBytes (path: string) (bytes: byte[]) =
        let full = Path.GetFullPath path
        let temp = Path.Combine(Path.GetDirectoryName full, $".{Path.GetFileName full}.{Guid.NewGuid():N}.tmp")
        try
            try
                File.WriteAllBytes(temp, bytes)
                File.Move(temp, full, true)
            with
            | :? IOException | :? UnauthorizedAccessException as e -> Fail.data $"cannot write '{path}': {e.Message}"
        finally
            if File.Exists temp then
                try File.Delete temp with _ -> ()
