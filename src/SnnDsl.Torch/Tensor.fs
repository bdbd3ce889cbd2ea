namespace SnnDsl.Torch

#nowarn "9" // pinned native pointers for array copies

open System
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop
open SnnDsl.Torch.Native

/// A shim call that writes one new tensor handle into its out parameter.
type internal OutFn = delegate of byref<nativeint> -> int

/// Codes of the shim's elementwise ops (snn_binary_op / snn_unary_op in snndsl.h).
module internal OpCode =
    let add, sub, mul, div, pow, maximum, minimum = 0, 1, 2, 3, 4, 5, 6
    let eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, remainder, atan2 = 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
    let neg, abs, exp, log, sqrt, tanh, sigmoid, relu, sin, cos = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
    let floor, ceil, round, sign, reciprocal, logicalNot, isnan, isfinite, square = 10, 11, 12, 13, 14, 15, 16, 17, 18
    let log1p, expm1, rsqrt, heaviside = 19, 20, 21, 22

/// An n-dimensional array in libtorch, with autograd. Holds native memory: dispose it, or create it inside a
/// TensorScope that disposes it. Using a disposed tensor raises ObjectDisposedException.
[<Sealed; AllowNullLiteral>]
type Tensor private (handle: TensorHandle) as this =
    inherit ScopedResource()
    do TensorScope.Register this

    static do Runtime.ensure ()

    static let dims (shape: int[]) =
        if isNull shape then nullArg "shape"
        Array.map int64 shape

    /// The live handle, or ObjectDisposedException naming the problem.
    member internal _.H: SafeHandle =
        if handle.IsClosed then
            raise (
                ObjectDisposedException(
                    "Tensor",
                    "this tensor was disposed (by Dispose or by the TensorScope that owned it); use scope.Keep(t) to keep a tensor beyond its scope"
                )
            )
        handle :> SafeHandle

    member internal t.Raw = t.H.DangerousGetHandle()

    /// Wraps a fresh handle from the shim (null stays null: an absent gradient).
    static member internal OfRaw(p: nativeint) : Tensor =
        if p = 0n then null else new Tensor(new TensorHandle(p))

    /// Runs a shim call that returns one tensor.
    static member internal Call(op: string, f: OutFn) : Tensor =
        let mutable p = 0n
        Errors.check op (f.Invoke(&p))
        Tensor.OfRaw p

    /// Runs a shim call that returns a list of tensors through a caller buffer.
    static member internal CallMany(op: string, f: Func<nativeint[], int, int>) : Tensor[] =
        let mutable buf: nativeint[] = Array.zeroCreate 64
        let mutable n = f.Invoke(buf, buf.Length)
        if n > buf.Length then
            buf <- Array.zeroCreate n
            n <- f.Invoke(buf, buf.Length)
        Array.init n (fun i -> Tensor.OfRaw buf[i])

    override _.Release() = handle.Dispose()

    /// True once the native memory has been released.
    member _.IsDisposed = handle.IsClosed

    interface IDisposable with
        member _.Dispose() = handle.Dispose()

    /// Releases the native memory now.
    member _.Dispose() = handle.Dispose()

    // ---------------------------------------------------------------- metadata

    /// One int64 per dimension, read by a shim call (sizes or strides).
    member private t.PerDimension(what: string, read: H * int64[] * int64 -> int) =
        let buf = Array.zeroCreate<int64> t.Dim
        Errors.check what (read (t.H, buf, int64 buf.Length))
        buf

    /// The sizes of the dimensions.
    member t.Shape: int[] = t.PerDimension("shape", snn_tensor_shape) |> Array.map int

    /// Strides in elements; a stride of 0 marks a dimension broadcast by Expand (every index the same data).
    member t.Strides: int64[] = t.PerDimension("strides", snn_tensor_strides)

    /// Number of dimensions.
    member t.Dim =
        let mutable n = 0L
        Errors.check "dim" (snn_tensor_ndim (t.H, &n))
        int n

    /// Number of elements.
    member t.NumElements =
        let mutable n = 0L
        Errors.check "numel" (snn_tensor_numel (t.H, &n))
        n

    /// The element type.
    member t.DType =
        let mutable c = 0
        Errors.check "dtype" (snn_tensor_dtype (t.H, &c))
        DType.OfCode c

    /// The device that holds the data (Cpu or Cuda index).
    member t.Device =
        let mutable ty = 0
        let mutable ix = 0
        Errors.check "device" (snn_tensor_device (t.H, &ty, &ix))
        if ty = 1 then Device.Cuda ix else Device.Cpu

    /// Whether autograd records operations on this tensor (settable on leaves).
    member t.RequiresGrad
        with get () =
            let mutable r = 0
            Errors.check "requires_grad" (snn_tensor_requires_grad (t.H, &r))
            r <> 0
        and set (v: bool) = Errors.check "requires_grad" (snn_tensor_set_requires_grad (t.H, (if v then 1 else 0)))

    /// True for tensors created by the user rather than by a recorded operation.
    member t.IsLeaf =
        let mutable r = 0
        Errors.check "is_leaf" (snn_tensor_is_leaf (t.H, &r))
        r <> 0

    /// The single element as a float (any dtype; fails unless there is exactly one element).
    member t.ToScalar() =
        let mutable v = 0.0
        Errors.check "item" (snn_tensor_item (t.H, &v))
        v

    override t.ToString() =
        if handle.IsClosed then "Tensor(disposed)"
        else
            let mutable need = 0L
            Errors.check "to_string" (snn_tensor_to_string (t.H, null, 0L, &need))
            let buf = Array.zeroCreate<byte> (int need)
            Errors.check "to_string" (snn_tensor_to_string (t.H, buf, int64 buf.Length, &need))
            Text.Encoding.UTF8.GetString(buf, 0, max 0 (buf.Length - 1))

    // ---------------------------------------------------------------- creation

    static member private Spec(shape: int[], dtype: DType option, device: Device option) =
        dims shape, defaultArg dtype DType.Float32, defaultArg device DefaultDevice.current

    /// A tensor of zeros (float32 on the default device, the CPU unless Torch.setDefaultDevice moved it).
    static member Zeros(shape: int[], ?dtype: DType, ?device: Device) =
        let d, dt, dev = Tensor.Spec(shape, dtype, device)
        Tensor.Call("zeros", OutFn(fun p -> snn_zeros (d, d.Length, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// A tensor of ones.
    static member Ones(shape: int[], ?dtype: DType, ?device: Device) =
        let d, dt, dev = Tensor.Spec(shape, dtype, device)
        Tensor.Call("ones", OutFn(fun p -> snn_ones (d, d.Length, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// An uninitialised tensor (its contents are arbitrary).
    static member Empty(shape: int[], ?dtype: DType, ?device: Device) =
        let d, dt, dev = Tensor.Spec(shape, dtype, device)
        Tensor.Call("empty", OutFn(fun p -> snn_empty (d, d.Length, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// Uniform samples from [0, 1).
    static member Rand(shape: int[], ?dtype: DType, ?device: Device) =
        let d, dt, dev = Tensor.Spec(shape, dtype, device)
        Tensor.Call("rand", OutFn(fun p -> snn_rand (d, d.Length, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// Standard normal samples.
    static member Randn(shape: int[], ?dtype: DType, ?device: Device) =
        let d, dt, dev = Tensor.Spec(shape, dtype, device)
        Tensor.Call("randn", OutFn(fun p -> snn_randn (d, d.Length, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// A tensor filled with one value.
    static member Full(shape: int[], value: float, ?dtype: DType, ?device: Device) =
        let d, dt, dev = Tensor.Spec(shape, dtype, device)
        Tensor.Call("full", OutFn(fun p -> snn_full (d, d.Length, value, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// A 0-dimensional tensor holding one value.
    static member Scalar(value: float, ?dtype: DType, ?device: Device) =
        Tensor.Full([||], value, ?dtype = dtype, ?device = device)

    /// Values start, start + step, ... below stop (float32 unless told otherwise).
    static member Arange(start: float, stop: float, ?step: float, ?dtype: DType, ?device: Device) =
        let dt = defaultArg dtype DType.Float32
        let dev = defaultArg device DefaultDevice.current
        let st = defaultArg step 1.0
        Tensor.Call("arange", OutFn(fun p -> snn_arange (start, stop, st, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// Copies elements (row-major) into a new tensor of the given shape; the dtype follows 'T.
    static member FromSpan<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>
        (data: ReadOnlySpan<'T>, shape: int[], ?device: Device) : Tensor =
        let dt = DType.OfType<'T>()
        let d = dims shape
        let count = Array.fold (fun acc x -> acc * x) 1L d
        if count <> int64 data.Length then
            invalidArg "shape" $"shape {SnnDsl.Core.Shape.text shape} holds {count} elements but {data.Length} were given"
        let dev = defaultArg device DefaultDevice.current
        let nbytes = int64 data.Length * int64 dt.ElementSize
        use ptr = fixed &MemoryMarshal.GetReference data
        let addr = NativePtr.toNativeInt ptr
        Tensor.Call("from_data", OutFn(fun p -> snn_from_data (addr, nbytes, d, d.Length, dt.Code, dev.TypeCode, dev.IndexCode, &p)))

    /// Copies an array into a new tensor; without a shape the tensor is 1-dimensional.
    static member FromArray<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>
        (data: 'T[], ?shape: int[], ?device: Device) : Tensor =
        if isNull data then nullArg "data"
        Tensor.FromSpan(ReadOnlySpan<'T>(data), defaultArg shape [| data.Length |], ?device = device)

    /// Copies a 2-D array into a new [rows, cols] tensor.
    static member FromArray2D<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>
        (data: 'T[,], ?device: Device) : Tensor =
        if isNull data then nullArg "data"
        let r, c = Array2D.length1 data, Array2D.length2 data
        let flat = Array.init (r * c) (fun i -> data[i / c, i % c])
        Tensor.FromSpan(ReadOnlySpan<'T>(flat), [| r; c |], ?device = device)

    /// Copies raw bytes (row-major elements of dtype) into a new tensor.
    static member internal FromBytes(data: ReadOnlySpan<byte>, shape: int[], dtype: DType, device: Device) : Tensor =
        let d = dims shape
        use ptr = fixed &MemoryMarshal.GetReference data
        let addr = NativePtr.toNativeInt ptr
        let nbytes = int64 data.Length
        Tensor.Call("from_data", OutFn(fun p -> snn_from_data (addr, nbytes, d, d.Length, dtype.Code, device.TypeCode, device.IndexCode, &p)))

    /// Copies the raw bytes of the elements (row-major) into dst.
    member internal t.CopyBytesTo(dst: Span<byte>) =
        use ptr = fixed &MemoryMarshal.GetReference dst
        Errors.check "copy_to" (snn_tensor_copy_to (t.H, NativePtr.toNativeInt ptr, int64 dst.Length))

    /// Copies the elements (row-major) into dst, whose element type must match the dtype.
    member t.CopyTo<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>(dst: Span<'T>) =
        let want = DType.OfType<'T>()
        let have = t.DType
        if want <> have then
            invalidOp $"cannot copy a {have} tensor into a buffer of {typeof<'T>.Name} ({want}); convert with t.To(DType.{want}) first"
        let n = t.NumElements
        if int64 dst.Length <> n then
            invalidArg "dst" $"destination holds {dst.Length} elements but the tensor has {n}"
        use ptr = fixed &MemoryMarshal.GetReference dst
        Errors.check "copy_to" (snn_tensor_copy_to (t.H, NativePtr.toNativeInt ptr, n * int64 have.ElementSize))

    /// The elements (row-major) as a new array; 'T must match the dtype.
    member t.ToArray<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>() : 'T[] =
        let a = Array.zeroCreate<'T> (int t.NumElements)
        t.CopyTo(Span<'T>(a))
        a

    // ---------------------------------------------------------------- conversion

    /// The same values as another dtype.
    member t.To(dtype: DType) = Tensor.Call("to", OutFn(fun p -> snn_to (t.H, dtype.Code, -1, 0, &p)))
    /// The same values on another device.
    member t.To(device: Device) = Tensor.Call("to", OutFn(fun p -> snn_to (t.H, -1, device.TypeCode, device.IndexCode, &p)))
    /// The same values as another dtype on another device.
    member t.To(dtype: DType, device: Device) =
        Tensor.Call("to", OutFn(fun p -> snn_to (t.H, dtype.Code, device.TypeCode, device.IndexCode, &p)))
    /// A copy with its own storage (recorded by autograd).
    member t.Clone() = Tensor.Call("clone", OutFn(fun p -> snn_clone (t.H, &p)))
    /// A tensor with a contiguous layout: the same storage when already contiguous, else a copy.
    member t.Contiguous() = Tensor.Call("contiguous", OutFn(fun p -> snn_contiguous (t.H, &p)))
    /// The same storage, cut from the autograd graph.
    member t.Detach() = Tensor.Call("detach", OutFn(fun p -> snn_detach (t.H, &p)))
    /// A second handle to the same tensor (same storage, same autograd identity), with its own lifetime.
    member t.Alias() = Tensor.Call("alias", OutFn(fun p -> snn_alias (t.H, &p)))

    // ---------------------------------------------------------------- autograd

    /// Accumulates gradients of this tensor (a scalar unless grad is given) into the leaves.
    member t.Backward(?grad: Tensor, ?retainGraph: bool) =
        let g = match grad with Some g -> g.Raw | None -> 0n
        Errors.check "backward" (snn_backward (t.H, g, (if defaultArg retainGraph false then 1 else 0)))
        grad |> Option.iter GC.KeepAlive

    /// The accumulated gradient, if any (a new handle each call).
    member t.Grad: Tensor option =
        Tensor.Call("grad", OutFn(fun p -> snn_grad (t.H, &p))) |> Option.ofObj

    /// Zeroes the accumulated gradient in place (or drops it with setToNone).
    member t.ZeroGrad(?setToNone: bool) =
        Errors.check "zero_grad" (snn_zero_grad (t.H, (if defaultArg setToNone false then 1 else 0)))

    // ---------------------------------------------------------------- in-place updates (optimisers, init)

    /// t += alpha * other, in place.
    member t.AddInPlace(other: Tensor, ?alpha: float) = Errors.check "add_" (snn_add_ (t.H, other.H, defaultArg alpha 1.0))
    /// t *= s, in place.
    member t.MulInPlace(s: float) = Errors.check "mul_" (snn_mul_scalar_ (t.H, s))
    /// t += value * a * b, in place.
    member t.AddcmulInPlace(a: Tensor, b: Tensor, value: float) = Errors.check "addcmul_" (snn_addcmul_ (t.H, a.H, b.H, value))
    /// t += value * a / b, in place.
    member t.AddcdivInPlace(a: Tensor, b: Tensor, value: float) = Errors.check "addcdiv_" (snn_addcdiv_ (t.H, a.H, b.H, value))
    /// Copies src's values into t (broadcasting), in place.
    member t.CopyFrom(src: Tensor) = Errors.check "copy_" (snn_copy_ (t.H, src.H))
    /// Sets every element to value, in place.
    member t.Fill(value: float) = Errors.check "fill_" (snn_fill_ (t.H, value))
    /// Fills with uniform samples from [low, high), in place.
    member t.UniformInPlace(low: float, high: float) = Errors.check "uniform_" (snn_uniform_ (t.H, low, high))
    /// Fills with normal samples, in place.
    member t.NormalInPlace(mean: float, std: float) = Errors.check "normal_" (snn_normal_ (t.H, mean, std))

    // ---------------------------------------------------------------- elementwise

    static member internal Binary(name: string, op: int, a: Tensor, b: Tensor) =
        Tensor.Call(name, OutFn(fun p -> snn_binary (op, a.H, b.H, &p)))
    static member internal BinaryScalar(name: string, op: int, a: Tensor, s: float) =
        Tensor.Call(name, OutFn(fun p -> snn_binary_scalar (op, a.H, s, &p)))
    static member internal BinaryScalarRev(name: string, op: int, s: float, a: Tensor) =
        Tensor.Call(name, OutFn(fun p -> snn_binary_scalar_rev (op, s, a.H, &p)))
    member internal t.Unary(name: string, op: int) = Tensor.Call(name, OutFn(fun p -> snn_unary (op, t.H, &p)))

    /// Elementwise sum a + b, broadcasting; a new tensor (recorded by autograd).
    static member (+)(a: Tensor, b: Tensor) = Tensor.Binary("add", OpCode.add, a, b)
    /// Elementwise sum a + s with a scalar.
    static member (+)(a: Tensor, s: float) = Tensor.BinaryScalar("add", OpCode.add, a, s)
    /// Elementwise sum s + a with a scalar on the left.
    static member (+)(s: float, a: Tensor) = Tensor.BinaryScalarRev("add", OpCode.add, s, a)
    /// Elementwise difference a - b, broadcasting; a new tensor (recorded by autograd).
    static member (-)(a: Tensor, b: Tensor) = Tensor.Binary("sub", OpCode.sub, a, b)
    /// Elementwise difference a - s with a scalar.
    static member (-)(a: Tensor, s: float) = Tensor.BinaryScalar("sub", OpCode.sub, a, s)
    /// Elementwise difference s - a with a scalar on the left.
    static member (-)(s: float, a: Tensor) = Tensor.BinaryScalarRev("sub", OpCode.sub, s, a)
    /// Elementwise product a * b, broadcasting; a new tensor (recorded by autograd).
    static member (*)(a: Tensor, b: Tensor) = Tensor.Binary("mul", OpCode.mul, a, b)
    /// Elementwise product a * s with a scalar.
    static member (*)(a: Tensor, s: float) = Tensor.BinaryScalar("mul", OpCode.mul, a, s)
    /// Elementwise product s * a with a scalar on the left.
    static member (*)(s: float, a: Tensor) = Tensor.BinaryScalarRev("mul", OpCode.mul, s, a)
    /// Elementwise quotient a / b, broadcasting; a new tensor (recorded by autograd).
    static member (/)(a: Tensor, b: Tensor) = Tensor.Binary("div", OpCode.div, a, b)
    /// Elementwise quotient a / s with a scalar.
    static member (/)(a: Tensor, s: float) = Tensor.BinaryScalar("div", OpCode.div, a, s)
    /// Elementwise quotient s / a with a scalar on the left.
    static member (/)(s: float, a: Tensor) = Tensor.BinaryScalarRev("div", OpCode.div, s, a)
    /// Elementwise a raised to the power b, broadcasting.
    static member Pow(a: Tensor, b: Tensor) = Tensor.Binary("pow", OpCode.pow, a, b)
    /// Elementwise a raised to the scalar power s.
    static member Pow(a: Tensor, s: float) = Tensor.BinaryScalar("pow", OpCode.pow, a, s)
    /// Elementwise negation.
    static member (~-)(a: Tensor) = a.Unary("neg", OpCode.neg)

    /// Elementwise maximum (the gradient goes to the larger operand).
    static member Maximum(a: Tensor, b: Tensor) = Tensor.Binary("maximum", OpCode.maximum, a, b)
    /// Elementwise maximum with a scalar.
    static member Maximum(a: Tensor, s: float) = Tensor.BinaryScalar("maximum", OpCode.maximum, a, s)
    /// Elementwise minimum.
    static member Minimum(a: Tensor, b: Tensor) = Tensor.Binary("minimum", OpCode.minimum, a, b)
    /// Elementwise minimum with a scalar.
    static member Minimum(a: Tensor, s: float) = Tensor.BinaryScalar("minimum", OpCode.minimum, a, s)
    /// Elementwise remainder of a / b, with the sign of b (Python-style modulo).
    static member Remainder(a: Tensor, b: Tensor) = Tensor.Binary("remainder", OpCode.remainder, a, b)
    /// Elementwise atan2(a, b): the angle of the point (b, a), in (-pi, pi].
    static member Atan2(a: Tensor, b: Tensor) = Tensor.Binary("atan2", OpCode.atan2, a, b)

    /// Elementwise |t|; a new tensor.
    member t.Abs() = t.Unary("abs", OpCode.abs)
    /// Elementwise e^t; a new tensor.
    member t.Exp() = t.Unary("exp", OpCode.exp)
    /// Elementwise the natural logarithm of t; a new tensor.
    member t.Log() = t.Unary("log", OpCode.log)
    /// Elementwise log(1 + t), accurate near 0; a new tensor.
    member t.Log1p() = t.Unary("log1p", OpCode.log1p)
    /// Elementwise e^t - 1, accurate near 0; a new tensor.
    member t.Expm1() = t.Unary("expm1", OpCode.expm1)
    /// Elementwise the square root of t; a new tensor.
    member t.Sqrt() = t.Unary("sqrt", OpCode.sqrt)
    /// Elementwise 1 / sqrt(t); a new tensor.
    member t.Rsqrt() = t.Unary("rsqrt", OpCode.rsqrt)
    /// Elementwise t * t; a new tensor.
    member t.Square() = t.Unary("square", OpCode.square)
    /// Elementwise tanh(t); a new tensor.
    member t.Tanh() = t.Unary("tanh", OpCode.tanh)
    /// Elementwise 1 / (1 + e^-t); a new tensor.
    member t.Sigmoid() = t.Unary("sigmoid", OpCode.sigmoid)
    /// Elementwise max(t, 0); a new tensor.
    member t.Relu() = t.Unary("relu", OpCode.relu)
    /// Elementwise sin(t); a new tensor.
    member t.Sin() = t.Unary("sin", OpCode.sin)
    /// Elementwise cos(t); a new tensor.
    member t.Cos() = t.Unary("cos", OpCode.cos)
    /// Elementwise t rounded down; a new tensor.
    member t.Floor() = t.Unary("floor", OpCode.floor)
    /// Elementwise t rounded up; a new tensor.
    member t.Ceil() = t.Unary("ceil", OpCode.ceil)
    /// Elementwise t rounded to the nearest integer (halves to even); a new tensor.
    member t.Round() = t.Unary("round", OpCode.round)
    /// Elementwise the sign of t (-1, 0 or 1); a new tensor.
    member t.Sign() = t.Unary("sign", OpCode.sign)
    /// Elementwise 1 / t; a new tensor.
    member t.Reciprocal() = t.Unary("reciprocal", OpCode.reciprocal)
    /// Elementwise not t, as a bool tensor; a new tensor.
    member t.LogicalNot() = t.Unary("logical_not", OpCode.logicalNot)
    /// Elementwise whether t is NaN, as a bool tensor; a new tensor.
    member t.IsNaN() = t.Unary("isnan", OpCode.isnan)
    /// Elementwise whether t is finite (neither NaN nor infinite), as a bool tensor; a new tensor.
    member t.IsFinite() = t.Unary("isfinite", OpCode.isfinite)
    /// Θ(t): 1 where t >= 0, else 0, with no gradient (see Nn.spike for the surrogate version).
    member t.Heaviside() = t.Unary("heaviside", OpCode.heaviside)

    /// Limits values to [min, max]; either bound may be omitted.
    member t.Clamp(?min: float, ?max: float) =
        Tensor.Call(
            "clamp",
            OutFn(fun p -> snn_clamp (t.H, defaultArg min 0.0, (if min.IsSome then 1 else 0), defaultArg max 0.0, (if max.IsSome then 1 else 0), &p))
        )

    /// Picks a where cond is true, else b (broadcasting).
    static member Where(cond: Tensor, a: Tensor, b: Tensor) = Tensor.Call("where", OutFn(fun p -> snn_where (cond.H, a.H, b.H, &p)))

    // comparisons give bool tensors
    /// Elementwise t = o, broadcasting, as a bool tensor.
    member t.Eq(o: Tensor) = Tensor.Binary("eq", OpCode.eq, t, o)
    /// Elementwise t = s, as a bool tensor.
    member t.Eq(s: float) = Tensor.BinaryScalar("eq", OpCode.eq, t, s)
    /// Elementwise t <> o, broadcasting, as a bool tensor.
    member t.Ne(o: Tensor) = Tensor.Binary("ne", OpCode.ne, t, o)
    /// Elementwise t <> s, as a bool tensor.
    member t.Ne(s: float) = Tensor.BinaryScalar("ne", OpCode.ne, t, s)
    /// Elementwise t < o, broadcasting, as a bool tensor.
    member t.Lt(o: Tensor) = Tensor.Binary("lt", OpCode.lt, t, o)
    /// Elementwise t < s, as a bool tensor.
    member t.Lt(s: float) = Tensor.BinaryScalar("lt", OpCode.lt, t, s)
    /// Elementwise t <= o, broadcasting, as a bool tensor.
    member t.Le(o: Tensor) = Tensor.Binary("le", OpCode.le, t, o)
    /// Elementwise t <= s, as a bool tensor.
    member t.Le(s: float) = Tensor.BinaryScalar("le", OpCode.le, t, s)
    /// Elementwise t > o, broadcasting, as a bool tensor.
    member t.Gt(o: Tensor) = Tensor.Binary("gt", OpCode.gt, t, o)
    /// Elementwise t > s, as a bool tensor.
    member t.Gt(s: float) = Tensor.BinaryScalar("gt", OpCode.gt, t, s)
    /// Elementwise t >= o, broadcasting, as a bool tensor.
    member t.Ge(o: Tensor) = Tensor.Binary("ge", OpCode.ge, t, o)
    /// Elementwise t < o, broadcasting, as 1/0 in the operands' floating dtype (cheaper than Lt(o).To(dtype)).
    member t.LtMask(o: Tensor) = Tensor.Call("lt_mask", OutFn(fun p -> snn_compare_mask (OpCode.lt, t.H, o.H, &p)))
    /// Elementwise t <= o, broadcasting, as 1/0 in the operands' floating dtype.
    member t.LeMask(o: Tensor) = Tensor.Call("le_mask", OutFn(fun p -> snn_compare_mask (OpCode.le, t.H, o.H, &p)))
    /// Elementwise t > o, broadcasting, as 1/0 in the operands' floating dtype.
    member t.GtMask(o: Tensor) = Tensor.Call("gt_mask", OutFn(fun p -> snn_compare_mask (OpCode.gt, t.H, o.H, &p)))
    /// Elementwise t >= o, broadcasting, as 1/0 in the operands' floating dtype.
    member t.GeMask(o: Tensor) = Tensor.Call("ge_mask", OutFn(fun p -> snn_compare_mask (OpCode.ge, t.H, o.H, &p)))
    /// Elementwise t < s as 1/0 in t's floating dtype.
    member t.LtMask(s: float) = Tensor.Call("lt_mask", OutFn(fun p -> snn_compare_mask_scalar (OpCode.lt, t.H, s, &p)))
    /// Elementwise t <= s as 1/0 in t's floating dtype.
    member t.LeMask(s: float) = Tensor.Call("le_mask", OutFn(fun p -> snn_compare_mask_scalar (OpCode.le, t.H, s, &p)))
    /// Elementwise t > s as 1/0 in t's floating dtype.
    member t.GtMask(s: float) = Tensor.Call("gt_mask", OutFn(fun p -> snn_compare_mask_scalar (OpCode.gt, t.H, s, &p)))
    /// 1 where t = o, else 0, in t's floating dtype (no gradient; a comparison written into a float tensor).
    member t.EqMask(o: Tensor) = Tensor.Call("eq_mask", OutFn(fun p -> snn_compare_mask (OpCode.eq, t.H, o.H, &p)))
    /// 1 where t <> o, else 0, in t's floating dtype (no gradient).
    member t.NeMask(o: Tensor) = Tensor.Call("ne_mask", OutFn(fun p -> snn_compare_mask (OpCode.ne, t.H, o.H, &p)))
    /// 1 where t = s, else 0 (no gradient).
    member t.EqMask(s: float) = Tensor.Call("eq_mask", OutFn(fun p -> snn_compare_mask_scalar (OpCode.eq, t.H, s, &p)))
    /// 1 where t <> s, else 0 (no gradient).
    member t.NeMask(s: float) = Tensor.Call("ne_mask", OutFn(fun p -> snn_compare_mask_scalar (OpCode.ne, t.H, s, &p)))
    /// t := 1 where t = s, else 0 (in place, no gradient).
    member t.EqMaskInPlace(s: float) = Errors.check "eq_mask_" (snn_compare_mask_scalar_ (OpCode.eq, t.H, s))
    /// t := 1 where t <> s, else 0 (in place, no gradient).
    member t.NeMaskInPlace(s: float) = Errors.check "ne_mask_" (snn_compare_mask_scalar_ (OpCode.ne, t.H, s))
    /// Elementwise t >= s as 1/0 in t's floating dtype.
    member t.GeMask(s: float) = Tensor.Call("ge_mask", OutFn(fun p -> snn_compare_mask_scalar (OpCode.ge, t.H, s, &p)))
    /// In place: t becomes 1 where t < s, else 0 (t floating-point; no gradient).
    member t.LtMaskInPlace(s: float) = Errors.check "lt_mask_" (snn_compare_mask_scalar_ (OpCode.lt, t.H, s))
    /// In place: t becomes 1 where t <= s, else 0.
    member t.LeMaskInPlace(s: float) = Errors.check "le_mask_" (snn_compare_mask_scalar_ (OpCode.le, t.H, s))
    /// In place: t becomes 1 where t > s, else 0.
    member t.GtMaskInPlace(s: float) = Errors.check "gt_mask_" (snn_compare_mask_scalar_ (OpCode.gt, t.H, s))
    /// In place: t becomes 1 where t >= s, else 0.
    member t.GeMaskInPlace(s: float) = Errors.check "ge_mask_" (snn_compare_mask_scalar_ (OpCode.ge, t.H, s))
    /// Elementwise t >= s, as a bool tensor.
    member t.Ge(s: float) = Tensor.BinaryScalar("ge", OpCode.ge, t, s)
    /// Elementwise logical and of two bool tensors.
    member t.LogicalAnd(o: Tensor) = Tensor.Binary("logical_and", OpCode.logicalAnd, t, o)
    /// Elementwise logical or of two bool tensors.
    member t.LogicalOr(o: Tensor) = Tensor.Binary("logical_or", OpCode.logicalOr, t, o)

    // ---------------------------------------------------------------- reductions

    /// Sum of all elements (0-d), or over the given dims.
    member t.Sum(?dims: int[], ?keepDim: bool) =
        let d = defaultArg dims [||] |> Array.map int64
        Tensor.Call("sum", OutFn(fun p -> snn_sum (t.H, d, d.Length, (if defaultArg keepDim false then 1 else 0), &p)))
    /// Sum over one dim (kept as size 1 with keepDim).
    member t.Sum(dim: int, ?keepDim: bool) = t.Sum([| dim |], ?keepDim = keepDim)

    /// Mean of all elements (0-d), or over the given dims.
    member t.Mean(?dims: int[], ?keepDim: bool) =
        let d = defaultArg dims [||] |> Array.map int64
        Tensor.Call("mean", OutFn(fun p -> snn_mean (t.H, d, d.Length, (if defaultArg keepDim false then 1 else 0), &p)))
    /// Mean over one dim (kept as size 1 with keepDim).
    member t.Mean(dim: int, ?keepDim: bool) = t.Mean([| dim |], ?keepDim = keepDim)

    /// Largest element (0-d).
    member t.Max() = Tensor.Call("max", OutFn(fun p -> snn_max_all (t.H, &p)))
    /// Smallest element (0-d).
    member t.Min() = Tensor.Call("min", OutFn(fun p -> snn_min_all (t.H, &p)))
    /// Largest values along dim and their indices.
    member t.Max(dim: int, ?keepDim: bool) =
        let mutable v = 0n
        let mutable i = 0n
        Errors.check "max" (snn_max_dim (t.H, int64 dim, (if defaultArg keepDim false then 1 else 0), &v, &i))
        Tensor.OfRaw v, Tensor.OfRaw i
    /// Index of the largest element along dim (or in the flattened tensor).
    member t.Argmax(?dim: int, ?keepDim: bool) =
        Tensor.Call(
            "argmax",
            OutFn(fun p -> snn_argmax (t.H, int64 (defaultArg dim 0), (if dim.IsSome then 1 else 0), (if defaultArg keepDim false then 1 else 0), &p))
        )
    /// The p-norm of all elements.
    member t.Norm(?p: float) = Tensor.Call("norm", OutFn(fun o -> snn_norm (t.H, defaultArg p 2.0, &o)))

    // ---------------------------------------------------------------- shape

    /// The same elements in another shape (-1 infers one size); a view when the strides allow, else a copy.
    member t.Reshape([<ParamArray>] shape: int[]) =
        let d = dims shape
        Tensor.Call("reshape", OutFn(fun p -> snn_reshape (t.H, d, d.Length, &p)))
    /// A view with another shape (no copy; fails if the strides do not allow it).
    member t.View([<ParamArray>] shape: int[]) =
        let d = dims shape
        Tensor.Call("view", OutFn(fun p -> snn_view (t.H, d, d.Length, &p)))
    /// A view with the dims reordered: dim i of the result is dim order[i] of t.
    member t.Permute([<ParamArray>] order: int[]) =
        let d = dims order
        Tensor.Call("permute", OutFn(fun p -> snn_permute (t.H, d, d.Length, &p)))
    /// A view with dims dim0 and dim1 swapped.
    member t.Transpose(dim0: int, dim1: int) = Tensor.Call("transpose", OutFn(fun p -> snn_transpose (t.H, int64 dim0, int64 dim1, &p)))
    /// Removes every size-1 dim, or only the given one.
    member t.Squeeze(?dim: int) =
        Tensor.Call("squeeze", OutFn(fun p -> snn_squeeze (t.H, int64 (defaultArg dim 0), (if dim.IsNone then 1 else 0), &p)))
    /// A view with a new size-1 dim inserted at dim.
    member t.Unsqueeze(dim: int) = Tensor.Call("unsqueeze", OutFn(fun p -> snn_unsqueeze (t.H, int64 dim, &p)))
    /// The dims startDim..endDim (default: all) merged into one.
    member t.Flatten(?startDim: int, ?endDim: int) =
        Tensor.Call("flatten", OutFn(fun p -> snn_flatten (t.H, int64 (defaultArg startDim 0), int64 (defaultArg endDim -1), &p)))
    /// Broadcasts size-1 dims to the given sizes (-1 keeps a size), without copying.
    member t.Expand([<ParamArray>] shape: int[]) =
        let d = dims shape
        Tensor.Call("expand", OutFn(fun p -> snn_expand (t.H, d, d.Length, &p)))
    /// A view of length elements from start along dim.
    member t.Narrow(dim: int, start: int, length: int) =
        Tensor.Call("narrow", OutFn(fun p -> snn_narrow (t.H, int64 dim, int64 start, int64 length, &p)))
    /// Elements start <= i < stop (exclusive stop, Python style) along dim, every step-th.
    member t.Slice(dim: int, start: int, stop: int, ?step: int) =
        Tensor.Call("slice", OutFn(fun p -> snn_slice (t.H, int64 dim, int64 start, int64 stop, int64 (defaultArg step 1), &p)))
    /// The sub-tensor at index along dim (the dim is removed).
    member t.Select(dim: int, index: int) = Tensor.Call("select", OutFn(fun p -> snn_select (t.H, int64 dim, int64 index, &p)))
    /// The entries along dim at the positions of the int64 tensor index (a copy).
    member t.IndexSelect(dim: int, index: Tensor) =
        Tensor.Call("index_select", OutFn(fun p -> snn_index_select (t.H, int64 dim, index.H, &p)))
    /// t[i] selects along the first dim.
    member t.Item with get (i: int) = t.Select(0, i)
    /// t[a..b] slices the first dim (inclusive end, F# style).
    member t.GetSlice(start: int option, finish: int option) =
        let n = t.Shape[0]
        t.Slice(0, defaultArg start 0, (match finish with Some f -> f + 1 | None -> n))
    /// t[a..b, c..d] slices the first two dims.
    member t.GetSlice(s0: int option, f0: int option, s1: int option, f1: int option) =
        let shape = t.Shape
        use rows = t.Slice(0, defaultArg s0 0, (match f0 with Some f -> f + 1 | None -> shape[0]))
        rows.Slice(1, defaultArg s1 0, (match f1 with Some f -> f + 1 | None -> shape[1]))

    static member private Handles(ts: Tensor seq) =
        let arr = Seq.toArray ts
        if arr.Length = 0 then invalidArg "tensors" "expected at least one tensor, got none"
        arr, arr |> Array.map (fun t -> t.Raw)
    /// Joins tensors along an existing dim.
    static member Cat(tensors: Tensor seq, ?dim: int) =
        let keep, hs = Tensor.Handles tensors
        let r = Tensor.Call("cat", OutFn(fun p -> snn_cat (hs, hs.Length, int64 (defaultArg dim 0), &p)))
        GC.KeepAlive keep
        r
    /// Joins tensors along a new dim.
    static member Stack(tensors: Tensor seq, ?dim: int) =
        let keep, hs = Tensor.Handles tensors
        let r = Tensor.Call("stack", OutFn(fun p -> snn_stack (hs, hs.Length, int64 (defaultArg dim 0), &p)))
        GC.KeepAlive keep
        r
    /// Pieces of splitSize along dim (the last may be smaller).
    member t.Split(splitSize: int, ?dim: int) =
        Tensor.CallMany("split", Func<_, _, _>(fun buf cap ->
            let mutable n = 0
            Errors.check "split" (snn_split (t.H, int64 splitSize, int64 (defaultArg dim 0), buf, cap, &n))
            n))
    /// Up to `chunks` nearly equal pieces along dim.
    member t.Chunk(chunks: int, ?dim: int) =
        Tensor.CallMany("chunk", Func<_, _, _>(fun buf cap ->
            let mutable n = 0
            Errors.check "chunk" (snn_chunk (t.H, int64 chunks, int64 (defaultArg dim 0), buf, cap, &n))
            n))
    /// Views of every slice along dim (the dim removed). Prefer this to t[i] in time loops: its backward
    /// writes one gradient buffer instead of one full-size buffer per step.
    member t.Unbind(?dim: int) =
        Tensor.CallMany("unbind", Func<_, _, _>(fun buf cap ->
            let mutable n = 0
            Errors.check "unbind" (snn_unbind (t.H, int64 (defaultArg dim 0), buf, cap, &n))
            n))

    // ---------------------------------------------------------------- linear algebra

    /// Matrix product with broadcasting (torch.matmul).
    static member Matmul(a: Tensor, b: Tensor) = Tensor.Call("matmul", OutFn(fun p -> snn_matmul (a.H, b.H, &p)))

    // ---------------------------------------------------------------- like-constructors

    /// Zeros with t's shape, dtype and device.
    static member ZerosLike(t: Tensor) = Tensor.Zeros(t.Shape, t.DType, t.Device)
    /// Ones with t's shape, dtype and device.
    static member OnesLike(t: Tensor) = Tensor.Ones(t.Shape, t.DType, t.Device)
    /// A constant with t's shape, dtype and device.
    static member FullLike(t: Tensor, value: float) = Tensor.Full(t.Shape, value, t.DType, t.Device)
