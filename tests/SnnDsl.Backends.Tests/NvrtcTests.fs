/// The generated CUDA source compiled by NVIDIA's own compiler, NVRTC (SnnDsl.Backends.Nvrtc), on a machine
/// without a GPU: every built-in, every `.neuron` example and random neurons of the laws' generator (those
/// that use every operation among them), for sm_80 and sm_90, with the options the shim passes.
module SnnDsl.Backends.Tests.NvrtcTests

open System
open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Backends
open SnnDsl.Core.Tests

let private archs = [ "compute_80"; "compute_90" ]

let private expectCompiles (n: Neuron) =
    let source = Nvrtc.cudaSource n
    for arch in archs do
        match Nvrtc.compile n.Name arch source with
        | Ok ptx ->
            for f in Nvrtc.entries do
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
            match Nvrtc.version () with
            | Ok(major, minor) -> Expect.isTrue (major > 11 || (major = 11 && minor >= 8)) $"NVRTC {major}.{minor}"
            | Error why -> failtest why

        testCase "a CUDA source with an error is refused with NVRTC's log naming the line" <| fun () ->
            match Nvrtc.compile "broken" "compute_80" "extern \"C\" __global__ void k(float* x) { x[0] = undefined_name; }\n" with
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
