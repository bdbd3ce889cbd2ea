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

/// A command-line mistake; the message says what is wrong and what is valid.
exception UsageError of message: string with
    override this.Message = this.message

/// A problem with the data (input or output files); the message names the file, and the line and column.
exception DataError of message: string with
    override this.Message = this.message

/// Raising the two errors, and turning Result errors into them.
[<RequireQualifiedAccess>]
module Fail =
    /// Raises a usage error.
    let usage (message: string) : 'a = raise (UsageError message)

    /// Raises a data error.
    let data (message: string) : 'a = raise (DataError message)

    /// The Ok value, or a usage error with the Error message.
    let orUsage (r: Result<'a, string>) : 'a =
        match r with
        | Ok v -> v
        | Error e -> usage e
