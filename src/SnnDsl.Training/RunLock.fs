namespace SnnDsl.Training

open System
open System.IO

/// One writer per run directory: an exclusive OS lock on `run.lock` inside it, held while a run trains. The
/// kernel drops the lock when the process ends, however it ends (SIGKILL included), so none goes stale.
[<RequireQualifiedAccess>]
module RunLock =
    /// The lock file's name inside the run directory.
    let fileName = "run.lock"

    /// Creates `dir` if needed and takes its lock until the result is disposed; a usage error when another
    /// run (in this process or another) holds it.
    let acquire (dir: string) : IDisposable =
        Directory.CreateDirectory dir |> ignore
        let path = Path.Combine(dir, fileName)
        try
            // FileShare.None is an exclusive flock on Unix and a share-mode lock on Windows.
            new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None) :> IDisposable
        with
        | :? UnauthorizedAccessException as e -> SnnDsl.Core.Fail.data $"cannot lock the run directory {dir}: {e.Message}"
        // Another holder: EWOULDBLOCK (11) from flock on Unix, ERROR_SHARING_VIOLATION (32) on Windows; any
        // other failure is the file system's.
        | :? IOException as e when e.HResult <> 11 && e.HResult &&& 0xFFFF <> 32 ->
            SnnDsl.Core.Fail.data $"cannot lock the run directory {dir}: {e.Message}"
        | :? IOException ->
            SnnDsl.Core.Fail.usage
                $"another run is writing into {dir} (it holds {path}); wait for it to end or choose another output directory"
