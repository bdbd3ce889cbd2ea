/// `snn simulate`: runs a neuron (a built-in or a .neuron file) over an input CSV on float64 tensors (through the chosen backend)
/// and writes the trace, and optionally the spike-count gradients and a plot.
module SnnDsl.Cli.SimulateCommand

open System
open System.Globalization
open System.IO
open Argu
open SnnDsl.Core
open SnnDsl.Backends
open SnnDsl.Torch

/// The arguments of `snn simulate`.
[<RequireQualifiedAccess>]
type SimulateArgs =
    | [<Unique>] Neuron of name: string
    | [<Unique>] Neuron_File of ``file.neuron``: string
    | Param of ``name=value``: string
    | [<Unique>] Surrogate of ``name[:param]``: string
    | [<Mandatory; Unique>] Input of ``x.csv``: string
    | [<Mandatory; Unique>] Out of ``trace.csv``: string
    | [<Unique>] Grads of ``grads.json``: string
    | [<Unique>] Plot of ``trace.svg``: string
    | [<Unique>] Backend of ``eager|fused|auto``: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Neuron _ -> "the built-in neuron to run (list them with `snn neurons`)"
            | Neuron_File _ -> "run the neuron of this file instead (its text form, docs/dsl.md)"
            | Param _ -> "set a parameter's raw value, learnable or fixed; repeatable"
            | Surrogate _ -> "the surrogate gradient: rectangle:1, triangle:1, sigmoid:4, atan:2 or fast-sigmoid:10 (default: the neuron's)"
            | Input _ -> "inputs: one row per time step, one column per neuron; an optional header row is skipped"
            | Out _ -> "write the trace as CSV: t,neuron,x,s,v and one column per further state"
            | Grads _ -> "write d(sum of spikes)/d(each learnable raw parameter) and d/d(each input) as JSON"
            | Plot _ -> "write an SVG of the membrane, threshold and spikes of up to 8 neurons, and a raster of all"
            | Backend _ -> "eager | fused | auto: fused kernels where they apply, else eager [auto]"

/// The neuron the arguments describe: the built-in or the file's, with the --param values and the --surrogate.
let neuronOf (args: ParseResults<SimulateArgs>) : Neuron =
    (NeuronSource.resolve (args.TryGetResult SimulateArgs.Neuron) (args.TryGetResult SimulateArgs.Neuron_File)).Neuron
    |> Neuron.configure (args.GetResults SimulateArgs.Param) (args.TryGetResult SimulateArgs.Surrogate)
    |> Fail.orUsage

/// Runs the command; every output is computed before any file is written, then all are written atomically.
let run (args: ParseResults<SimulateArgs>) (out: TextWriter) : int =
    let neuron = neuronOf args
    let backend = args.TryGetResult SimulateArgs.Backend |> Option.map (Backend.parse >> Fail.orUsage) |> Option.defaultValue Backend.Auto
    let inputPath = args.GetResult SimulateArgs.Input
    let outputs =
        [ "trace", Some(args.GetResult SimulateArgs.Out)
          "gradients", args.TryGetResult SimulateArgs.Grads
          "plot", args.TryGetResult SimulateArgs.Plot ]
        |> List.choose (fun (what, p) -> p |> Option.map (fun p -> what, p))
    let fullPath (p: string) = Path.GetFullPath p
    match outputs |> List.countBy (snd >> fullPath) |> List.tryFind (fun (_, k) -> k > 1) with
    | Some(p, _) -> Fail.usage $"two outputs would both be written to '{p}'; give --out, --grads and --plot different paths"
    | None -> ()
    let inputs = Csv.readInputs inputPath
    for what, path in outputs do
        AtomicFile.checkWritable what path
    let sim = Simulation.run backend neuron inputs (args.Contains SimulateArgs.Grads)
    let files =
        [ yield args.GetResult SimulateArgs.Out, Csv.trace sim
          match args.TryGetResult SimulateArgs.Grads, sim.Gradients with
          | Some path, Some g -> yield path, Json.gradients sim g
          | _ -> ()
          match args.TryGetResult SimulateArgs.Plot with
          | Some path -> yield path, TracePlot.render sim
          | None -> () ]
    AtomicFile.writeAll files
    let T, N = Simulation.size sim
    let spikes = Seq.cast<float> sim.Spikes |> Seq.sum
    let count k word = if k = 1 then $"1 {word}" else $"{k} {word}s"
    let written = files |> List.map fst |> String.concat ", "
    let steps, neurons, spikes = count T "step", count N "neuron", count (int spikes) "spike"
    out.WriteLine($"{neuron.Name}: {steps}, {neurons}, {spikes}; wrote {written}")
    ExitCode.Ok
