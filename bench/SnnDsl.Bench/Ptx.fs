/// `ptx`: the PTX of every built-in's and every `.neuron` example's CUDA kernel, compiled by NVRTC as the
/// shim compiles it, written to a folder (with the CUDA source beside it) for bench/cuda-lint.sh to give to
/// ptxas. Needs no GPU, only libnvrtc.
module SnnDsl.Bench.Ptx

open System.IO
open SnnDsl.Core
open SnnDsl.Backends

/// The built-ins, then the examples found in `examples` (sorted by file name).
let neurons (examples: string) : Neuron list =
    let files = if Directory.Exists examples then Directory.GetFiles(examples, "*.neuron") |> Array.sort else [||]
    Builtins.all @ [ for f in files -> NeuronText.loadNeuron f ]

/// Writes NAME.cu and NAME.ARCH.ptx for each neuron into `out`; exit code 1 when one does not compile.
let run (examples: string) (arch: string) (out: string) : int =
    match Nvrtc.version () with
    | Error why ->
        eprintfn "ptx: %s" why
        2
    | Ok(major, minor) ->
        Directory.CreateDirectory out |> ignore
        let results =
            [ for n in neurons examples do
                  let source = Nvrtc.cudaSource n
                  File.WriteAllText(Path.Combine(out, n.Name + ".cu"), source)
                  match Nvrtc.compile n.Name arch source with
                  | Ok ptx ->
                      File.WriteAllText(Path.Combine(out, $"{n.Name}.{arch}.ptx"), ptx)
                      printfn "ptx: %s (%s, %d bytes)" n.Name arch ptx.Length
                      yield true
                  | Error log ->
                      eprintfn "ptx: NVRTC could not compile %s for %s:\n%s" n.Name arch log
                      yield false ]
        printfn "ptx: NVRTC %d.%d, %d of %d kernels compiled into %s" major minor (List.filter id results).Length results.Length out
        if List.forall id results then 0 else 1
