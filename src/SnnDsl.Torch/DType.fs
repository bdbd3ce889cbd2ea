namespace SnnDsl.Torch

open System

/// Element types a Tensor can hold.
[<RequireQualifiedAccess>]
type DType =
    /// 32-bit IEEE floating point (.NET float32); the default dtype.
    | Float32
    /// 64-bit IEEE floating point (.NET float).
    | Float64
    /// 16-bit IEEE half precision (.NET Half).
    | Float16
    /// 16-bit brain floating point (float32's exponent range, 8-bit mantissa).
    | BFloat16
    /// 64-bit signed integer (.NET int64), the dtype of class indices.
    | Int64
    /// 32-bit signed integer (.NET int).
    | Int32
    /// 8-bit unsigned integer (.NET byte).
    | UInt8
    /// Boolean, one byte per element (.NET bool).
    | Bool

    /// The shim's dtype code (snn_dtype in snndsl.h).
    member internal d.Code =
        match d with
        | Float32 -> 0 | Float64 -> 1 | Float16 -> 2 | BFloat16 -> 3
        | Int64 -> 4 | Int32 -> 5 | UInt8 -> 6 | Bool -> 7

    static member internal OfCode(code: int) =
        match code with
        | 0 -> Float32 | 1 -> Float64 | 2 -> Float16 | 3 -> BFloat16
        | 4 -> Int64 | 5 -> Int32 | 6 -> UInt8 | 7 -> Bool
        | c -> invalidArg "code" $"unknown dtype code {c}"

    /// Bytes per element.
    member d.ElementSize =
        match d with
        | Float64 | Int64 -> 8
        | Float32 | Int32 -> 4
        | Float16 | BFloat16 -> 2
        | UInt8 | Bool -> 1

    /// True for the floating-point types (those that can require gradients).
    member d.IsFloatingPoint =
        match d with
        | Float32 | Float64 | Float16 | BFloat16 -> true
        | _ -> false

    override d.ToString() =
        match d with
        | Float32 -> "float32" | Float64 -> "float64" | Float16 -> "float16" | BFloat16 -> "bfloat16"
        | Int64 -> "int64" | Int32 -> "int32" | UInt8 -> "uint8" | Bool -> "bool"

    /// The dtype whose elements are the .NET type 'T (float32, float, Half, int64, int, byte, bool).
    static member OfType<'T>() : DType =
        let t = typeof<'T>
        if t = typeof<float32> then Float32
        elif t = typeof<float> then Float64
        elif t = typeof<Half> then Float16
        elif t = typeof<int64> then Int64
        elif t = typeof<int> then Int32
        elif t = typeof<byte> then UInt8
        elif t = typeof<bool> then Bool
        else invalidArg "T" $"no tensor dtype holds elements of .NET type {t.Name}"

/// Where a tensor lives: the CPU or a CUDA device by index.
[<RequireQualifiedAccess>]
type Device =
    /// Host memory ("cpu").
    | Cpu
    /// The CUDA device with this index ("cuda:N").
    | Cuda of index: int

    member internal d.TypeCode = match d with Cpu -> 0 | Cuda _ -> 1
    member internal d.IndexCode = match d with Cpu -> 0 | Cuda i -> i

    override d.ToString() = match d with Cpu -> "cpu" | Cuda i -> $"cuda:{i}"

    /// Parses "cpu", "cuda" (= cuda:0) or "cuda:N".
    static member Parse(text: string) =
        match text.Trim().ToLowerInvariant() with
        | "cpu" -> Cpu
        | "cuda" -> Cuda 0
        | s when s.StartsWith "cuda:" ->
            match Int32.TryParse(s.Substring 5) with
            | true, i when i >= 0 -> Cuda i
            | _ -> invalidArg "text" $"bad device '{text}': expected cpu, cuda or cuda:N"
        | _ -> invalidArg "text" $"bad device '{text}': expected cpu, cuda or cuda:N"

/// The device that tensor creation uses when it is given none (set by Torch.setDefaultDevice; CPU at start).
module internal DefaultDevice =
    let mutable current = Device.Cpu
