/// NVIDIA's runtime compiler, NVRTC, called from .NET: it compiles CUDA C++ to PTX and needs no GPU, so the
/// generated CUDA kernels can be checked on any machine with libnvrtc (Debian's non-free `libnvrtc11.2`;
/// `dotnet fsi build.fsx deps` installs it). The tests compile every kernel with it (NvrtcTests) and
/// `SnnDsl.Bench ptx` writes the PTX that bench/cuda-lint.sh gives to ptxas. The shim compiles the same
/// source with the same options when it runs on a GPU (fused_cuda.cpp).
module SnnDsl.Backends.Nvrtc

open System
open System.Runtime.InteropServices
open System.Text
open SnnDsl.Core

module private Native =
    [<Literal>]
    let Lib = "libnvrtc.so.11.2"

    [<DllImport(Lib)>]
    extern int nvrtcVersion(int& major, int& minor)

    [<DllImport(Lib)>]
    extern int nvrtcCreateProgram(nativeint& prog, string src, string name, int numHeaders, nativeint headers, nativeint includeNames)

    [<DllImport(Lib)>]
    extern int nvrtcCompileProgram(nativeint prog, int numOptions, string[] options)

    [<DllImport(Lib)>]
    extern int nvrtcGetProgramLogSize(nativeint prog, unativeint& size)

    [<DllImport(Lib)>]
    extern int nvrtcGetProgramLog(nativeint prog, byte[] log)

    [<DllImport(Lib)>]
    extern int nvrtcGetPTXSize(nativeint prog, unativeint& size)

    [<DllImport(Lib)>]
    extern int nvrtcGetPTX(nativeint prog, byte[] ptx)

    [<DllImport(Lib)>]
    extern int nvrtcDestroyProgram(nativeint& prog)

/// NVRTC's version, or why it cannot be loaded.
let version () : Result<int * int, string> =
    try
        let mutable major, minor = 0, 0
        Native.nvrtcVersion(&major, &minor) |> ignore
        Ok(major, minor)
    with
    | :? DllNotFoundException as e ->
        Error $"libnvrtc cannot be loaded ({e.Message}); run `dotnet fsi build.fsx deps`, which installs Debian's libnvrtc11.2"

let private text (bytes: byte[]) = Encoding.UTF8.GetString(bytes).TrimEnd('\000')

// NVRTC's two outputs are read alike: their size, then their bytes.
let private read (size: unativeint) (get: byte[] -> int) =
    let bytes = Array.zeroCreate<byte> (int size)
    get bytes |> ignore
    text bytes

let private logSize (prog: nativeint) =
    let mutable n = 0un
    Native.nvrtcGetProgramLogSize(prog, &n) |> ignore
    n

let private ptxSize (prog: nativeint) =
    let mutable n = 0un
    Native.nvrtcGetPTXSize(prog, &n) |> ignore
    n

/// The options the shim passes besides the architecture (fused_cuda.cpp).
let options = [ "--std=c++14" ]

/// The PTX of a CUDA source for one virtual architecture (e.g. "compute_90"), or NVRTC's log.
let compile (name: string) (arch: string) (source: string) : Result<string, string> =
    let mutable prog = 0n
    let created = Native.nvrtcCreateProgram(&prog, source, name + ".cu", 0, 0n, 0n)
    if created <> 0 then Error $"nvrtcCreateProgram returned {created}"
    else
        try
            let opts = Array.ofList (("--gpu-architecture=" + arch) :: options)
            let r = Native.nvrtcCompileProgram(prog, opts.Length, opts)
            let handle = prog
            if r <> 0 then Error(read (logSize handle) (fun b -> Native.nvrtcGetProgramLog(handle, b)))
            else Ok(read (ptxSize handle) (fun b -> Native.nvrtcGetPTX(handle, b)))
        finally
            Native.nvrtcDestroyProgram(&prog) |> ignore

/// The CUDA source of a neuron as the fused backend makes it (learnable parameters read at run time).
let cudaSource (n: Neuron) = Codegen.cudaKernel (Schedule.plan (Program.lower Program.learnable n))

/// The four kernels the shim looks up in a module.
let entries = [ "snn_forward_f32"; "snn_forward_f64"; "snn_backward_f32"; "snn_backward_f64" ]
