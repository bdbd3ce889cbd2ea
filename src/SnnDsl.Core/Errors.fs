namespace SnnDsl.Core

open System

/// What kind of failure an SnnException reports; front ends map each kind to one exit code.
[<RequireQualifiedAccess>]
type ErrorKind =
    /// The caller asked for something invalid: a bad name, option, shape, neuron definition or setting.
    | Usage
    /// The data is wrong: a missing, truncated or corrupt file, a non-finite value where numbers are due.
    | Data
    /// libtorch, the shim, a compiler or the operating system failed underneath a valid request.
    | Native
    /// A bug in SnnDsl itself.
    | Internal

/// The root of every error SnnDsl raises on purpose. `Kind` says whose problem it is; the message names
/// the problem and what is valid.
type SnnException(kind: ErrorKind, message: string, inner: exn) =
    inherit Exception(message, inner)
    new(kind, message) = SnnException(kind, message, null)
    /// Whose problem it is.
    member _.Kind = kind

/// Raising SnnExceptions of each kind.
[<RequireQualifiedAccess>]
module Fail =
    /// Raises a usage error.
    let usage (message: string) : 'a = raise (SnnException(ErrorKind.Usage, message))
    /// Raises a data error.
    let data (message: string) : 'a = raise (SnnException(ErrorKind.Data, message))
    /// Raises a native error.
    let native (message: string) : 'a = raise (SnnException(ErrorKind.Native, message))
    /// Raises an internal error (a bug).
    let internalError (message: string) : 'a = raise (SnnException(ErrorKind.Internal, message))

    /// The Ok value, or a usage error with the Error message.
    let orUsage (r: Result<'a, string>) : 'a =
        match r with
        | Ok v -> v
        | Error e -> usage e
