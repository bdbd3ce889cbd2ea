namespace SnnDsl.Torch

open System
open System.Runtime.InteropServices
open SnnDsl.Torch.Native

/// What the shim needs to know of a step program to run a generated kernel over tensors.
type FusedSpec =
    { /// The neuron's name, used in the shim's and this binding's error messages.
      Name: string
      /// Per runtime parameter: 0 per layer, 1 per channel, 2 per neuron.
      Granularity: int[]
      /// Per state, its constant initial value.
      InitialStates: float[]
      /// How many values a trace records.
      Records: int
      /// The interpreting kernel's bytecode; empty for a compiled kernel.
      Code: byte[]
      /// CUDA source of the same program, or null.
      CudaSource: string }

[<Sealed>]
type private FusedHandle(raw: nativeint) as this =
    inherit SafeHandle(IntPtr.Zero, true)
    do this.SetHandle raw
    override this.IsInvalid = this.handle = IntPtr.Zero
    override this.ReleaseHandle() = snn_fused_free this.handle = 0

/// A generated kernel library bound to one step program, run by the shim over tensors with autograd
/// (its backward is the kernel's derived backward). Dispose releases the binding; runs still in an
/// autograd graph keep the kernel alive.
[<Sealed>]
type FusedKernel private (handle: FusedHandle, spec: FusedSpec) =
    /// Loads a kernel library (a shared object built from generated source) for one program.
    static member Load(path: string, spec: FusedSpec) : FusedKernel =
        Runtime.ensure ()
        let mutable p = 0n
        let code = if isNull spec.Code then [||] else spec.Code
        Errors.check
            "fused_load"
            (snn_fused_load (path, spec.Name, spec.Granularity.Length, spec.Granularity, spec.InitialStates.Length,
                             spec.InitialStates, spec.Records, code, int64 code.Length, spec.CudaSource, &p))
        new FusedKernel(new FusedHandle(p), spec)

    /// True when this shim runs fused kernels on CUDA tensors.
    static member CudaAvailable =
        Runtime.ensure ()
        let mutable r = 0
        Errors.check "fused_cuda_available" (snn_fused_cuda_available &r)
        r <> 0

    /// How many input views fused runs have copied so far in this process (the usual views are not).
    static member ViewCopies =
        Runtime.ensure ()
        let mutable n = 0L
        Errors.check "fused_view_copies" (snn_fused_view_copies &n)
        n

    /// The description of the program this kernel was loaded for.
    member _.Spec = spec

    /// Runs the program over x [T, N, ...] with raw parameters (one per runtime parameter) and initial
    /// states (null: the constant). Returns the output [T, N, ...], the final states (when asked) and the
    /// trace's recorded values [T, N, ...] (when asked).
    member _.Run(x: Tensor, pars: Tensor[], init: Tensor[], wantFinal: bool, wantRecords: bool) : Tensor * Tensor[] * Tensor[] =
        if handle.IsClosed then raise (ObjectDisposedException("FusedKernel", $"the fused kernel of '{spec.Name}' was disposed"))
        if pars.Length <> spec.Granularity.Length then
            invalidArg "pars" $"fused neuron '{spec.Name}' takes {spec.Granularity.Length} parameter(s), got {pars.Length}"
        if init.Length <> spec.InitialStates.Length then
            invalidArg "init" $"fused neuron '{spec.Name}' has {spec.InitialStates.Length} state(s), got {init.Length}"
        let ph = pars |> Array.map (fun t -> t.Raw)
        let ih = init |> Array.map (fun t -> if isNull t then 0n else t.Raw)
        let finals = if wantFinal then Array.zeroCreate<nativeint> spec.InitialStates.Length else null
        let records = if wantRecords then Array.zeroCreate<nativeint> spec.Records else null
        let mutable out = 0n
        let status = snn_fused_run (handle.DangerousGetHandle(), x.H, ph, ih, &out, finals, records)
        GC.KeepAlive pars
        GC.KeepAlive init
        GC.KeepAlive handle
        Errors.check "fused_run" status
        let wrap (hs: nativeint[]) = if isNull hs then [||] else hs |> Array.map Tensor.OfRaw
        Tensor.OfRaw out, wrap finals, wrap records

    interface IDisposable with
        member _.Dispose() = handle.Dispose()
