namespace SnnDsl.Torch

open System
open System.IO
open System.Reflection
open System.Runtime.InteropServices

/// Loads the native shim once per process and tunes the allocator.
module internal Runtime =
    /// glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (32 MiB): tensors below it are reused from the heap.
    let mmapThreshold = 32L * 1024L * 1024L
    /// Do not hand freed heap memory back to the kernel until 1 GiB is free at the top.
    let trimThreshold = 1024L * 1024L * 1024L

    [<DllImport("libc", EntryPoint = "setenv")>]
    extern int private setenv(string name, string value, int overwrite)

    /// libgomp's threads spin between parallel regions by default. When another thread wants a core (the
    /// data loader, a second process, tests run side by side) that spinning made a 2-thread training step
    /// about 4x slower here (900 against 220 ms under load). Passive waiting puts them to sleep at once.
    /// libgomp reads the variable when it loads, so this runs before the shim (and libtorch) is loaded;
    /// an OMP_WAIT_POLICY the user set is kept. (.NET's SetEnvironmentVariable does not reach C's environ.)
    let private preferPassiveOpenMpWait () =
        if OperatingSystem.IsLinux() && String.IsNullOrEmpty(Environment.GetEnvironmentVariable "OMP_WAIT_POLICY") then
            setenv ("OMP_WAIT_POLICY", "PASSIVE", 0) |> ignore

    /// The runtime identifier under which the SnnDsl.Torch package ships the shim.
    let private packageRid =
        match RuntimeInformation.ProcessArchitecture with
        | Architecture.Arm64 -> "linux-arm64"
        | _ -> "linux-x64"

    let private resolve (name: string) (assembly: Assembly) (path: DllImportSearchPath Nullable) : nativeint =
        if name <> Native.Lib then 0n
        else
            // SNNDSL_NATIVE_LIB names the shim explicitly (e.g. one built against a CUDA libtorch); else it lies
            // beside this assembly (this repository's builds, RID-specific apps), or where a portable app keeps
            // the SnnDsl.Torch package's runtime asset.
            let candidates =
                [ match Environment.GetEnvironmentVariable "SNNDSL_NATIVE_LIB" with
                  | null | "" -> ()
                  | p -> p
                  let dir = Path.GetDirectoryName assembly.Location
                  if not (String.IsNullOrEmpty dir) then
                      Path.Combine(dir, "libsnndsl_native.so")
                      Path.Combine(dir, "runtimes", packageRid, "native", "libsnndsl_native.so") ]
            candidates
            |> List.tryPick (fun p ->
                match NativeLibrary.TryLoad p with
                | true, h -> Some h
                | _ -> None)
            |> Option.defaultValue 0n

    let private init =
        lazy
            (preferPassiveOpenMpWait ()
             NativeLibrary.SetDllImportResolver(typeof<TorchException>.Assembly, DllImportResolver resolve)
             // SNNDSL_MALLOC=default keeps glibc's defaults, =mmap keeps mmap for blocks of 32 MiB and more
             // (for benchmarks that compare the settings); otherwise no block is mmapped (docs/architecture.md).
             match Environment.GetEnvironmentVariable "SNNDSL_MALLOC" with
             | "default" -> ()
             | "mmap" -> Errors.check "init" (Native.snn_init (mmapThreshold, trimThreshold, -1))
             | _ -> Errors.check "init" (Native.snn_init (mmapThreshold, trimThreshold, 0)))

    /// Idempotent; every public entry point that reaches the shim calls it first.
    let ensure () = init.Force()
