namespace SnnDsl.Torch

open System
open System.Runtime.InteropServices
open SnnDsl.Core

/// An error raised inside libtorch or the shim, carrying libtorch's own message and the operation's name.
type TorchException(operation: string, message: string) =
    inherit SnnException(ErrorKind.Native, $"{operation}: {message}")
    /// The SnnDsl operation that failed (e.g. "matmul").
    member _.Operation = operation
    /// libtorch's message, without its C++ backtrace.
    member _.NativeMessage = message

module internal Errors =
    let lastError () =
        match Marshal.PtrToStringUTF8(Native.snn_last_error ()) with
        | null | "" -> "unknown error (the shim reported failure without a message)"
        | s -> s

    /// Raises a TorchException when a shim call reported failure.
    let inline check (operation: string) (status: int) =
        if status <> 0 then raise (TorchException(operation, lastError ()))
