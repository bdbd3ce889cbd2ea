/// `snn train`: trains a model with a DSL neuron, writing metrics.jsonl, checkpoints and a report.
module SnnDsl.Cli.TrainCommand

open SnnDsl.Core
open System
open System.IO
open System.Threading
open Argu
open Spectre.Console
open SnnDsl.Training
open SnnDsl.Report

/// The arguments of `snn train` that are not training settings; every other flag is a setting of
/// `TrainSettings.all` (its flag, documentation and default come from there, see `settingsUsage`).
[<RequireQualifiedAccess>]
type TrainArgs =
    | Resume
    | No_Report
    | [<Unique; EqualsAssignmentOrSpaced>] Nproc of n: int
    | [<GatherUnrecognized; Hidden>] Setting of flag_or_value: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Resume -> "continue the run in --out from its checkpoint, exactly where it stopped"
            | No_Report -> "do not write report.html at the end"
            | Nproc _ -> "data-parallel: start N ranks on this machine, each with its share of --threads (docs/distributed.md)"
            | Setting _ -> "a training setting (see SETTINGS)"

/// The SETTINGS section of `snn train --help`: one entry per setting of the table, laid out as Argu lays
/// out OPTIONS (the text from column 26, wrapped at 80).
let settingsUsage : string =
    let gutter, width = 26, 80
    let wrap (text: string) =
        let lines = ResizeArray<string>()
        let line = Text.StringBuilder()
        for word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries) do
            if line.Length > 0 && gutter + line.Length + 1 + word.Length > width then
                lines.Add(line.ToString())
                line.Clear() |> ignore
            if line.Length > 0 then line.Append(' ') |> ignore
            line.Append(word) |> ignore
        lines.Add(line.ToString())
        List.ofSeq lines
    let entry (name: string, doc: string) =
        let first, rest =
            match wrap doc with
            | first :: rest -> first, rest
            | [] -> "", []
        let head =
            if name.Length + 4 < gutter - 1 then [ "    " + name.PadRight(gutter - 4) + first ]
            else [ "    " + name; String(' ', gutter) + first ]
        head @ [ for r in rest -> String(' ', gutter) + r ]
    let body = TrainSettings.all |> List.choose TrainSettings.usage |> List.collect entry
    "\nSETTINGS (--name value or --name=value; each is also a key of a checkpoint's\nconfiguration and a C# TrainingOptions name):\n\n"
    + String.Join("\n", body) + "\n"

/// The configuration the arguments describe: each flag's text is read by its setting's row, once, into the
/// typed configuration; a value that does not read, or is out of range, is a usage error naming the flag.
let configOf (args: ParseResults<TrainArgs>) : TrainConfig =
    let flagOf (name: string) =
        match TrainSettings.tryFind name |> Option.bind _.Flag with
        | Some f -> "--" + f
        | None -> name
    match TrainSettings.ofCommandLine (args.GetResults TrainArgs.Setting) with
    | Error e -> Fail.usage e
    | Ok given ->
        match TrainSettings.build given.TryFind with
        | _, p :: _ -> Fail.usage $"{flagOf p.Setting}: {p.Message}"
        | config, [] -> config

/// The threads of a command line that `--nproc` shares among its ranks (each rank reads the rest itself).
let private threadsOf (args: ParseResults<TrainArgs>) : int =
    match TrainSettings.ofCommandLine (args.GetResults TrainArgs.Setting) with
    | Error e -> Fail.usage e
    | Ok given ->
        match given.TryFind "Threads" with
        | Some(SettingValue.Whole n) when n >= 0L && n <= 4096L -> int n
        | Some v -> Fail.usage $"--threads must be a whole number >= 0, got {v}"
        | None -> 0

/// Runs the command (`argv`: the whole command line, which `--nproc` passes on to its ranks).
let run (args: ParseResults<TrainArgs>) (argv: string list) (out: TextWriter) (err: TextWriter) : int =
  match args.TryGetResult TrainArgs.Nproc with
  | Some n -> Launcher.run n (threadsOf args) argv out err
  | None ->
    let config = configOf args
    if config.OutDir.IsNone then Fail.usage "--out needs a directory (the run writes its metrics, checkpoints and report there)"
    use cancel = new CancellationTokenSource()
    // Ctrl+C stops after the current batch; the last checkpoint stays valid for --resume.
    let onCancel = ConsoleCancelEventHandler(fun _ e -> e.Cancel <- true; cancel.Cancel())
    Console.CancelKeyPress.AddHandler onCancel
    try
        let interactive = Object.ReferenceEquals(out, Console.Out) && AnsiConsole.Profile.Capabilities.Interactive && not Console.IsOutputRedirected
        let outDir = defaultArg config.OutDir ""
        // The library refuses too, naming the setting; the CLI names its flags.
        if not (args.Contains TrainArgs.Resume) && File.Exists(Path.Combine(outDir, Checkpoint.fileName)) then
            Fail.usage $"{outDir} already holds a run (checkpoint.snnt); use --resume to continue it or choose another --out"
        let metrics =
            TrainProgress.withProgress out interactive (fun observe -> Trainer.run config (args.Contains TrainArgs.Resume) observe cancel.Token)
        // In a data-parallel run rank 0 writes the files.
        if not (args.Contains TrainArgs.No_Report) && config.World |> Option.forall (fun w -> w.Rank = 0) then
            let report = Path.Combine(outDir, "report.html")
            Report.write report [ outDir ]
            out.WriteLine($"wrote {Path.Combine(outDir, Metrics.fileName)}, {Path.Combine(outDir, Checkpoint.fileName)} and {report}")
        match List.tryLast metrics with
        | Some m -> out.WriteLine($"final test accuracy {m.TestAccuracy:F4} after {m.Epoch} epoch(s)")
        | None -> out.WriteLine("nothing to do: the run had already finished its epochs")
        ExitCode.Ok
    finally
        Console.CancelKeyPress.RemoveHandler onCancel
