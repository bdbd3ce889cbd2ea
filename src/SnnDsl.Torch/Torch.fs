namespace SnnDsl.Torch

open System
open SnnDsl.Torch.Native

/// Process-wide engine controls: threads, seeds, devices, live-tensor count.
[<RequireQualifiedAccess>]
module Torch =
    /// The libtorch version the shim was built against, e.g. "libtorch 1.13.0".
    let version () =
        Runtime.ensure ()
        let buf = Array.zeroCreate<byte> 128
        Errors.check "version" (snn_version (buf, int64 buf.Length))
        Text.Encoding.UTF8.GetString(buf).TrimEnd('\000')

    /// Number of tensor handles alive in the process (for leak checks).
    let liveTensors () =
        Runtime.ensure ()
        let mutable n = 0L
        Errors.check "live_tensors" (snn_live_tensors &n)
        n

    /// Sets the intra-op thread count of libtorch and of OpenBLAS's own pool.
    let setThreads (n: int) =
        Runtime.ensure ()
        Errors.check "set_num_threads" (snn_set_num_threads n)

    /// libtorch's intra-op thread count.
    let threads () =
        Runtime.ensure ()
        let mutable n = 0
        Errors.check "get_num_threads" (snn_get_num_threads &n)
        n

    /// Seeds libtorch's generators (CPU and CUDA).
    let manualSeed (seed: uint64) =
        Runtime.ensure ()
        Errors.check "manual_seed" (snn_manual_seed seed)

    /// True when this libtorch has CUDA and a GPU is visible.
    let cudaAvailable () =
        Runtime.ensure ()
        let mutable r = 0
        Errors.check "cuda_is_available" (snn_cuda_is_available &r)
        r <> 0

    /// Number of visible CUDA devices (0 without CUDA).
    let cudaDeviceCount () =
        Runtime.ensure ()
        let mutable r = 0
        Errors.check "cuda_device_count" (snn_cuda_device_count &r)
        r

    /// The device tensors are created on when a creation function (Zeros, Randn, FromArray, ...) is given
    /// none, as torch.set_default_device: process-wide, CPU at start. A CUDA device must be visible.
    let setDefaultDevice (device: Device) =
        match device with
        | Device.Cuda i ->
            let n = cudaDeviceCount ()
            if not (cudaAvailable ()) || i >= n then
                invalidArg "device" $"cannot make {device} the default device: this libtorch sees {n} CUDA device(s) ({version ()})"
        | Device.Cpu -> ()
        DefaultDevice.current <- device

    /// The device creation functions use when given none (Torch.setDefaultDevice).
    let defaultDevice () = DefaultDevice.current

    /// Waits until every kernel queued on the CUDA device has run (for timing); an error without CUDA.
    let cudaSynchronize (device: int) =
        Runtime.ensure ()
        Errors.check "cuda_synchronize" (snn_cuda_synchronize device)

    /// Test hook: makes the shim throw a C++ exception of the given kind (0 std::runtime_error,
    /// 1 c10::Error, 2 an int, 3 a type not derived from std::exception); it must surface as TorchException.
    let internal debugThrow (kind: int) =
        Runtime.ensure ()
        Errors.check "debug_throw" (snn_debug_throw kind)
