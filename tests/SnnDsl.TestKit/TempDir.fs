namespace SnnDsl.TestKit

open System
open System.IO

/// A fresh temporary directory for one test, deleted with everything in it on Dispose.
type TempDir() =
    let path = Path.Combine(Path.GetTempPath(), "snndsl-tests-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore

    /// The directory.
    member _.Path = path

    /// The full path of name inside the directory.
    member _.File(name: string) = Path.Combine(path, name)

    /// Writes a text file inside the directory and returns its path.
    member this.Write(name: string, text: string) =
        let p = this.File name
        File.WriteAllText(p, text)
        p

    /// The names of the files in the directory, sorted.
    member _.Files() = Directory.GetFiles path |> Array.map Path.GetFileName |> Array.sort |> List.ofArray

    /// The names of the files and folders in the directory, sorted.
    member _.Entries = Directory.GetFileSystemEntries path |> Array.map Path.GetFileName |> Array.sort

    interface IDisposable with
        member _.Dispose() = try Directory.Delete(path, true) with _ -> ()
