namespace SnnDsl.Data

open System

/// A data file that cannot be read as promised: missing, truncated, corrupt, or inconsistent.
type DataFileException(path: string, problem: string, inner: exn) =
    inherit Exception($"{path}: {problem}", inner)
    new(path, problem) = DataFileException(path, problem, null)
    /// The file at fault.
    member _.Path = path
    /// What is wrong with it, without the path.
    member _.Problem = problem

/// A data directory that does not hold the files a dataset needs.
type DataDirectoryException(directory: string, dataset: string, expected: string list, problem: string) =
    inherit Exception(
        $"""{directory}: {problem}; the {dataset} dataset expects these files there: {String.Join(", ", expected)}""")
    /// The directory that was searched.
    member _.Directory = directory
    /// The dataset that was being loaded.
    member _.Dataset = dataset
    /// The file names the dataset needs (a ".gz" copy of each is accepted where noted).
    member _.Expected = expected

/// The loader's background worker failed while assembling a batch; the original exception is inside.
type DataLoaderException(message: string, inner: exn) =
    inherit Exception(message, inner)
