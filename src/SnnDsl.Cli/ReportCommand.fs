/// `snn report`: an HTML page comparing training runs.
module SnnDsl.Cli.ReportCommand

open SnnDsl.Core
open System.IO
open Argu
open SnnDsl.Training
open SnnDsl.Report

/// The arguments of `snn report`.
[<RequireQualifiedAccess>]
type ReportArgs =
    | [<MainCommand; Mandatory>] Runs of run_dir: string list
    | [<Unique>] Out of file: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Runs _ -> "run directories written by `snn train` (several are overlaid)"
            | Out _ -> "the HTML file to write [report.html]"

/// Runs the command.
let run (args: ParseResults<ReportArgs>) (out: TextWriter) : int =
    let dirs = args.GetResult ReportArgs.Runs
    let path = args.GetResult(ReportArgs.Out, defaultValue = "report.html")
    for d in dirs do
        if not (Directory.Exists d) then Fail.data $"run directory not found: {d}"
    try Report.write path dirs
    with :? InvalidDataException as e -> Fail.data e.Message
    out.WriteLine($"wrote {path} ({dirs.Length} run(s))")
    ExitCode.Ok
