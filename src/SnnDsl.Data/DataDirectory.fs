namespace SnnDsl.Data

open System.IO

/// Finds a dataset's files under a data directory: either the directory itself or one of the dataset's
/// conventional subfolders (e.g. <dataDir>/mnist) holds them, each plain or gzipped.
module internal DataDirectory =
    /// The existing path of name in dir, plain or with ".gz" appended.
    let tryFile (dir: string) (name: string) =
        [ Path.Combine(dir, name); Path.Combine(dir, name + ".gz") ] |> List.tryFind File.Exists

    /// The directory that holds every required file (with gzipped, a ".gz" copy of each is accepted),
    /// or a DataDirectoryException naming the directory and listing all the dataset's files.
    let resolve (dataset: string) (dataDir: string) (subfolders: string list) (gzipped: bool) (all: string list) (required: string list) =
        let full = Path.GetFullPath dataDir
        let expected = if gzipped then all |> List.map (fun n -> n + "[.gz]") else all
        let exists dir n = if gzipped then (tryFile dir n).IsSome else File.Exists(Path.Combine(dir, n))
        if not (Directory.Exists full) then
            raise (DataDirectoryException(full, dataset, expected, "directory not found"))
        let candidates =
            (subfolders |> List.map (fun s -> Path.Combine(full, s))) @ [ full ]
            |> List.filter Directory.Exists
        let missing dir = required |> List.filter (fun n -> not (exists dir n))
        match candidates |> List.tryFind (fun d -> List.isEmpty (missing d)) with
        | Some dir -> dir
        | None ->
            // Report the candidate closest to complete (a subfolder before the root on ties).
            let best = candidates |> List.minBy (fun d -> (missing d).Length)
            let looked =
                if subfolders.IsEmpty then ""
                else
                    let subs = subfolders |> List.map (fun s -> s + "/") |> String.concat ", "
                    $" (looked in {full} and its subfolders {subs})"
            let miss = missing best |> String.concat ", "
            raise (DataDirectoryException(best, dataset, expected, $"missing {miss}{looked}"))

    /// The path of a file that resolve found.
    let file (dir: string) (name: string) =
        match tryFile dir name with
        | Some p -> p
        | None -> raise (DataFileException(Path.Combine(dir, name), "file not found"))
