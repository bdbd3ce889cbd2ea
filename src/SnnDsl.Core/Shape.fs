namespace SnnDsl.Core

open System

/// Shapes in messages: the one formatter that every layer (and the C# facade) uses.
[<RequireQualifiedAccess>]
module Shape =
    /// A shape as text, e.g. "[2, 3, 8, 8]" (an int[] interpolated directly prints as "System.Int32[]").
    let text (shape: int seq) = "[" + String.Join(", ", shape) + "]"
