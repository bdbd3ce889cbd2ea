namespace SnnDsl.Data

open System
open SnnDsl.Core

/// A data file that cannot be read as promised: missing, truncated, corrupt, or inconsistent.
type DataFileException(path: string, problem: string, inner: exn) =
    inherit SnnException(ErrorKind.Data, $"{path}: {problem}", inner)
    new(path, problem) = DataFileException(path, problem, null)
    /// The file at fault.
    member _.Path = path
    /// What is wrong with it, without the path.
    member _.Problem = problem

/// A data directory that does not hold the files a dataset needs.
type DataDirectoryException(directory: string, dataset: string, expected: string list, problem: string) =
    inherit SnnException(
        ErrorKind.Data, $"""{directory}: {problem}; the {dataset} dataset expects these files there: {String.Join(", ", expected)}""")
    /// The directory that was searched.
    member _.Directory = directory
    /// The dataset that was being loaded.
    member _.Dataset = dataset
    /// The file names the dataset needs (a ".gz" copy of each is accepted where noted).
    member _.Expected = expected

/// The loader's background worker failed while assembling a batch; the original exception is inside, and
/// its kind is this one's (a data error when it was not an SnnException).
type DataLoaderException(message: string, inner: exn) =
    inherit SnnException(
        (match inner with
         | :? SnnException as e -> e.Kind
         | _ -> ErrorKind.Data),
        message,
        inner)
