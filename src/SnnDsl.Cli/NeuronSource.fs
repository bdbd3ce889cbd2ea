/// Where a command's neuron comes from: a built-in named with --neuron, or a file given with --neuron-file.
module SnnDsl.Cli.NeuronSource

open SnnDsl.Core

/// The neuron file named by exactly one of `builtin` (a built-in's name) and `file` (a `.neuron` path);
/// neither or both is a usage error, as is an unknown name or a file that does not parse.
let resolve (builtin: string option) (file: string option) : NeuronFile =
    match builtin, file with
    | Some _, Some _ -> Fail.usage "give --neuron NAME (a built-in) or --neuron-file FILE (a .neuron file), not both"
    | None, None -> Fail.usage "give --neuron NAME (a built-in, see `snn neurons`) or --neuron-file FILE (a .neuron file, docs/dsl.md)"
    | Some name, None -> { Neuron = Builtins.find name |> Fail.orUsage; Laws = [] }
    | None, Some path -> NeuronText.load path
