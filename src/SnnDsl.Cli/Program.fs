/// The `snn` entry point: the subcommands, dispatch, and the mapping of errors to messages and exit codes.
/// A new subcommand is a file with its Argu arguments and a `run`, plus one case here.
module SnnDsl.Cli.Program

open System
open System.IO
open Argu
open SnnDsl.Cli.NeuronsCommand
open SnnDsl.Cli.SimulateCommand
open SnnDsl.Cli.TrainCommand
open SnnDsl.Cli.EvalCommand
open SnnDsl.Cli.ReportCommand
open SnnDsl.Cli.EventsCommand
open SnnDsl.Cli.VerifyCommand
open SnnDsl.Cli.NirCommand

/// The subcommands of `snn`.
[<RequireQualifiedAccess>]
type SnnArgs =
    | [<CliPrefix(CliPrefix.None)>] Neurons of ParseResults<NeuronsArgs>
    | [<CliPrefix(CliPrefix.None)>] Simulate of ParseResults<SimulateArgs>
    | [<CliPrefix(CliPrefix.None)>] Train of ParseResults<TrainArgs>
    | [<CliPrefix(CliPrefix.None)>] Eval of ParseResults<EvalArgs>
    | [<CliPrefix(CliPrefix.None)>] Report of ParseResults<ReportArgs>
    | [<CliPrefix(CliPrefix.None)>] Events of ParseResults<EventsArgs>
    | [<CliPrefix(CliPrefix.None)>] Verify of ParseResults<VerifyArgs>
    | [<CliPrefix(CliPrefix.None)>] Nir of ParseResults<NirArgs>

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Neurons _ -> "list the built-in neurons: equations, parameters, states (or their text form)"
            | Simulate _ -> "run a neuron (built-in or .neuron file) over an input CSV; write its trace, gradients and plot"
            | Train _ -> "train a spiking network (default: small conv net, DA-LIF, embedded synthetic data)"
            | Eval _ -> "evaluate a checkpoint on its test set"
            | Report _ -> "write an HTML report comparing training runs"
            | Events _ -> "show what an event file holds (AEDAT 2/3.1/4, SHD, N-MNIST) and draw its frames"
            | Verify _ -> "check a neuron's laws on generated cases: interpreters agree, gradients, the file's own laws"
            | Nir _ -> "export a network to NIR (the Neuromorphic Intermediate Representation) or run a NIR file"

/// The argument parser (also the source of the usage text).
let parser = ArgumentParser.Create<SnnArgs>(programName = "snn")

// The command-line syntax of the subcommand named in argv (of `snn` itself when none is), for error messages.
let private syntaxFor (argv: string[]) : string * string =
    let named (p: ArgumentParser) =
        p.ParentInfo |> Option.exists (fun c -> c.CommandLineNames.Value |> List.exists (fun n -> Array.contains n argv))
    // Continuation lines are indented for a "USAGE: " prefix.
    let indent (syntax: string) = syntax.TrimEnd().Replace("\n", "\n       ")
    match parser.GetSubCommandParsers() |> List.tryFind named with
    | Some p -> indent (p.PrintCommandLineSyntax()), "snn " + List.head p.ParentInfo.Value.CommandLineNames.Value
    | None -> indent (parser.PrintCommandLineSyntax()), "snn"

/// Runs `snn` with the given arguments, writing to `out` and `err`; returns the exit code (see ExitCode).
/// Every error is one message on `err`.
let run (argv: string[]) (out: TextWriter) (err: TextWriter) : int =
    let fail (code: int) (message: string) =
        err.WriteLine(message.TrimEnd())
        code
    try
        let results = parser.ParseCommandLine(argv, raiseOnUsage = true)
        match results.GetAllResults() with
        | [ SnnArgs.Neurons args ] -> NeuronsCommand.run args out
        | [ SnnArgs.Simulate args ] -> SimulateCommand.run args out
        | [ SnnArgs.Train args ] -> TrainCommand.run args (List.ofArray argv) out err
        | [ SnnArgs.Eval args ] -> EvalCommand.run args out
        | [ SnnArgs.Report args ] -> ReportCommand.run args out
        | [ SnnArgs.Events args ] -> EventsCommand.run args out
        | [ SnnArgs.Verify args ] -> VerifyCommand.run args out
        | [ SnnArgs.Nir args ] -> NirCommand.run args out
        | _ ->
            let syntax, _ = syntaxFor argv
            fail ExitCode.UsageError $"snn: give one subcommand.\nUSAGE: {syntax}\nRun 'snn --help' for the subcommands."
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText ->
        out.Write(e.Message)
        // snn train's settings come from the settings table, not from Argu's union.
        if argv.Length > 0 && argv[0] = "train" then out.Write(TrainCommand.settingsUsage)
        ExitCode.Ok
    | :? ArguParseException as e ->
        // Argu's first line is the error; the rest is a full option listing, which --help gives instead.
        let error = (e.Message.Split('\n')[0]).Trim().Replace("ERROR: ", "")
        let syntax, command = syntaxFor argv
        fail ExitCode.UsageError $"snn: {error}\nUSAGE: {syntax}\nRun '{command} --help' for the options."
    | :? SnnDsl.Core.SnnException as e when e.Kind = SnnDsl.Core.ErrorKind.Internal ->
        fail ExitCode.InternalError $"snn: internal error: {e.Message}"
    | :? SnnDsl.Core.SnnException as e -> fail (ExitCodes.ofKind e.Kind) $"snn: {e.Message}"
    | :? IOException as e -> fail ExitCode.DataError $"snn: {e.Message}"
    | :? OperationCanceledException -> fail ExitCode.Interrupted "snn: stopped; the last checkpoint is kept (continue with --resume)"
    | e -> fail ExitCode.InternalError $"snn: internal error: {e.GetType().Name}: {e.Message}"

[<EntryPoint>]
let main argv = run argv Console.Out Console.Error
