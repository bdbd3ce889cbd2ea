/// `snn nir`: export a checkpoint's network to a NIR file, or run a NIR file on an input CSV (docs/nir.md).
module SnnDsl.Cli.NirCommand

open System
open System.IO
open System.Text
open Argu
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Training
open SnnDsl.Nir

/// The arguments of `snn nir export`.
[<RequireQualifiedAccess>]
type NirExportArgs =
    | [<Mandatory; Unique>] Checkpoint of file: string
    | [<Mandatory; Unique>] Out of file: string
    | [<Unique>] Dt of dt: float

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Checkpoint _ -> "a checkpoint.snnt (or a saved network) whose network to export"
            | Out _ -> "the .nir file to write"
            | Dt _ -> "the time step that makes the discrete decays continuous [1]"

/// The arguments of `snn nir run`.
[<RequireQualifiedAccess>]
type NirRunArgs =
    | [<MainCommand; Mandatory; Unique>] File of file: string
    | [<Mandatory; Unique>] Input of csv: string
    | [<Mandatory; Unique>] Out of csv: string
    | [<Unique>] Dt of dt: float
    | [<Unique>] Backend of ``eager|fused|auto``: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | File _ -> "the .nir file"
            | Input _ -> "CSV: one row per time step, one column per input element"
            | Out _ -> "CSV to write: one row per time step, one column per output element"
            | Dt _ -> "the forward-Euler time step [1]"
            | Backend _ -> "neurons' interpreter: eager | fused | auto [auto]"

/// The subcommands of `snn nir`.
[<RequireQualifiedAccess>]
type NirArgs =
    | [<CliPrefix(CliPrefix.None)>] Export of ParseResults<NirExportArgs>
    | [<CliPrefix(CliPrefix.None)>] Run of ParseResults<NirRunArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Export _ -> "write a checkpoint's network as a NIR graph (HDF5, nir.write's layout)"
            | Run _ -> "import a NIR graph as a network and run it on an input CSV"

let private dtOf (dt: float option) =
    match dt with
    | Some v when not (Double.IsFinite v) || v <= 0.0 -> Fail.usage $"--dt must be a positive number, got {v}"
    | Some v -> v
    | None -> 1.0

let private outputCsv (values: float[,]) =
    let sb = StringBuilder()
    let cols = Array2D.length2 values
    sb.AppendLine(String.Join(",", [ for j in 0 .. cols - 1 -> $"out{j}" ])) |> ignore
    for t in 0 .. Array2D.length1 values - 1 do
        sb.AppendLine(String.Join(",", [ for j in 0 .. cols - 1 -> Csv.number values[t, j] ])) |> ignore
    sb.ToString()

let private export (args: ParseResults<NirExportArgs>) (out: TextWriter) =
    let path = args.GetResult NirExportArgs.Checkpoint
    if not (File.Exists path) then Fail.data $"checkpoint not found: {path}"
    let target = args.GetResult NirExportArgs.Out
    AtomicFile.checkWritable "--out" target
    let dt = dtOf (args.TryGetResult NirExportArgs.Dt)
    let spec, net = Checkpoint.loadNetwork path Device.Cpu SnnDsl.Backends.Backend.Eager
    use _ = net
    let input, _ = NetworkSpec.io spec
    let graph = NirExport.ofModule dt input net
    NirFile.write target graph
    out.WriteLine($"wrote {target}: {graph.Nodes.Length} nodes, {graph.Edges.Length} edges (dt = {dt})")
    ExitCode.Ok

let private runGraph (args: ParseResults<NirRunArgs>) (out: TextWriter) =
    let file = args.GetResult NirRunArgs.File
    let input = args.GetResult NirRunArgs.Input
    let target = args.GetResult NirRunArgs.Out
    if not (File.Exists input) then Fail.data $"input not found: {input}"
    AtomicFile.checkWritable "--out" target
    let dt = dtOf (args.TryGetResult NirRunArgs.Dt)
    let backend =
        match SnnDsl.Backends.Backend.parse (args.GetResult(NirRunArgs.Backend, defaultValue = "auto")) with
        | Ok b -> b
        | Error e -> Fail.usage $"--backend: {e}"
    let inputs = Csv.parseInputs input (File.ReadAllText input)
    let outputs = NirRun.runFile backend dt file inputs
    AtomicFile.writeText target (outputCsv outputs)
    out.WriteLine($"wrote {target}: {Array2D.length1 outputs} steps x {Array2D.length2 outputs} outputs")
    ExitCode.Ok

/// Runs `snn nir export` or `snn nir run`.
let run (args: ParseResults<NirArgs>) (out: TextWriter) : int =
    match args.GetAllResults() with
    | [ NirArgs.Export a ] -> export a out
    | [ NirArgs.Run a ] -> runGraph a out
    | _ -> Fail.usage "snn nir: give one of export, run (see 'snn nir --help')"
