/// The generated CUDA source compiled by NVIDIA's own compiler, NVRTC, on a machine without a GPU (NVRTC
/// compiles CUDA C++ to PTX and needs no device): every built-in, every `.neuron` example and random neurons
/// of the laws' generator (those that use every operation among them), for sm_80 and sm_90, with the options
/// the shim passes (fused_cuda.cpp). `dotnet fsi build.fsx deps` installs libnvrtc (Debian's non-free).
module SnnDsl.Backends.Tests.NvrtcTests

open System
open System.IO
open System.Runtime.InteropServices
open System.Text
open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Backends
open SnnDsl.Core.Tests

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
let private version () =
    try
        let mutable major, minor = 0, 0
        Native.nvrtcVersion(&major, &minor) |> ignore
        Ok(major, minor)
    with
    | :? DllNotFoundException as e -> Error $"libnvrtc cannot be loaded ({e.Message}); run `dotnet fsi build.fsx deps`, which installs Debian's libnvrtc11.2"

let private text (bytes: byte[]) = Encoding.UTF8.GetString(bytes).TrimEnd('\000')

// NVRTC's two outputs are read alike: their size, then their bytes.
let private logSize (prog: nativeint) =
    let mutable n = 0un
    Native.nvrtcGetProgramLogSize(prog, &n) |> ignore
    n

let private ptxSize (prog: nativeint) =
    let mutable n = 0un
    Native.nvrtcGetPTXSize(prog, &n) |> ignore
    n

let private read (size: unativeint) (get: byte[] -> int) =
    let bytes = Array.zeroCreate<byte> (int size)
    get bytes |> ignore
    text bytes

/// The PTX of a CUDA source for one architecture (e.g. "compute_90"), or NVRTC's log.
let compile (name: string) (arch: string) (source: string) : Result<string, string> =
    let mutable prog = 0n
    let created = Native.nvrtcCreateProgram(&prog, source, name + ".cu", 0, 0n, 0n)
    if created <> 0 then Error $"nvrtcCreateProgram returned {created}"
    else
        try
            let r = Native.nvrtcCompileProgram(prog, 2, [| "--gpu-architecture=" + arch; "--std=c++14" |])
            let handle = prog
            if r <> 0 then Error(read (logSize handle) (fun b -> Native.nvrtcGetProgramLog(handle, b)))
            else Ok(read (ptxSize handle) (fun b -> Native.nvrtcGetPTX(handle, b)))
        finally
            Native.nvrtcDestroyProgram(&prog) |> ignore

/// The CUDA source of a neuron as the fused backend makes it (learnable parameters at run time).
let cudaSource (n: Neuron) = Codegen.cudaKernel (Schedule.plan (Program.lower Program.learnable n))

let private archs = [ "compute_80"; "compute_90" ]

let private expectCompiles (n: Neuron) =
    let source = cudaSource n
    for arch in archs do
        match compile n.Name arch source with
        | Ok ptx ->
            for f in [ "snn_forward_f32"; "snn_forward_f64"; "snn_backward_f32"; "snn_backward_f64" ] do
                Expect.stringContains ptx $".entry {f}" $"{n.Name} ({arch}): the PTX has the kernel {f} the shim looks up"
        | Error log -> failtest $"NVRTC could not compile the CUDA kernel of '{n.Name}' for {arch}:\n{log}\n--- source:\n{source}"

let private examples () =
    Directory.GetFiles(SnnDsl.TestKit.Repo.examples, "*.neuron")
    |> Array.sort
    |> Array.map NeuronText.loadNeuron

[<Tests>]
let tests =
    testSequenced <| testList "NVRTC" [
        testCase "libnvrtc loads and is at least 11.8 (sm_80 and sm_90)" <| fun () ->
            match version () with
            | Ok(major, minor) -> Expect.isTrue (major > 11 || (major = 11 && minor >= 8)) $"NVRTC {major}.{minor}"
            | Error why -> failtest why

        testCase "a CUDA source with an error is refused with NVRTC's log naming the line" <| fun () ->
            match compile "broken" "compute_80" "extern \"C\" __global__ void k(float* x) { x[0] = undefined_name; }\n" with
            | Ok _ -> failtest "compiled"
            | Error log -> Expect.stringContains log "undefined_name" log

        testCase "every built-in's CUDA kernel compiles for sm_80 and sm_90" <| fun () ->
            for n in Builtins.all do expectCompiles n

        testCase "every .neuron example's CUDA kernel compiles for sm_80 and sm_90" <| fun () ->
            let all = examples ()
            Expect.isTrue (all.Length >= 4) "the examples"
            for n in all do expectCompiles n

        testCase "the CUDA kernels of 200 random neurons compile for sm_80 and sm_90 (40 of them use every operation)" <| fun () ->
            let randoms = Gen.sampleWithSeed (Rnd 11UL) 20 160 (Generators.neuron Generators.everything)
            let everyOp = Gen.sampleWithSeed (Rnd 12UL) 20 40 Generators.everyOperation
            for n in Array.append randoms everyOp do expectCompiles n
    ]
