namespace SnnDsl.Cli

/// The exit codes of `snn`.
[<RequireQualifiedAccess>]
module ExitCode =
    /// Success (and `--help`).
    [<Literal>]
    let Ok = 0

    /// The data was at fault: a missing, unreadable or malformed input file, an output that cannot be written.
    [<Literal>]
    let DataError = 1

    /// The command line was at fault: an unknown subcommand, option, neuron, parameter or surrogate, a
    /// missing argument, a malformed value.
    [<Literal>]
    let UsageError = 2

    /// Anything else (a bug, or libtorch failing); the message says what happened.
    [<Literal>]
    let InternalError = 3

    /// Stopped by Ctrl+C (SIGINT), after saving what could be saved: 128 + 2, as shells report it.
    [<Literal>]
    let Interrupted = 130

/// Where a kind of error leads: the one mapping of SnnException kinds to exit codes.
[<RequireQualifiedAccess>]
module ExitCodes =
    /// The exit code of an error of this kind.
    let ofKind (kind: SnnDsl.Core.ErrorKind) =
        match kind with
        | SnnDsl.Core.ErrorKind.Usage -> ExitCode.UsageError
        | SnnDsl.Core.ErrorKind.Data -> ExitCode.DataError
        | SnnDsl.Core.ErrorKind.Native
        | SnnDsl.Core.ErrorKind.Internal -> ExitCode.InternalError
