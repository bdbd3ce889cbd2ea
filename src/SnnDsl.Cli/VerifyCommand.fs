/// `snn verify`: checks the laws every neuron must obey, and those its file writes, on generated cases;
/// one line per law, with the shrunk counterexample and its seed when one fails.
module SnnDsl.Cli.VerifyCommand

open System.IO
open Argu
open SnnDsl.Core
open SnnDsl.Verify

/// The arguments of `snn verify`.
[<RequireQualifiedAccess>]
type VerifyArgs =
    | [<Unique>] Neuron_File of ``file.neuron``: string
    | [<Unique>] Neuron of name: string
    | Law of name: string
    | [<Unique>] Cases of n: int
    | [<Unique>] Seed of seed: uint64

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Neuron_File _ -> "the neuron to verify, in its text form (docs/dsl.md), with the laws it writes"
            | Neuron _ -> "a built-in neuron to verify instead (see `snn neurons`)"
            | Law _ -> "check only this law; repeatable (default: every standard law and every law of the file)"
            | Cases _ -> $"cases per law [{Law.DefaultCases}]"
            | Seed _ -> $"seed of the cases; the same seed draws and shrinks the same cases [{Law.DefaultSeed}]"

/// Runs the command: exit 0 when every law holds, 1 when one fails, 2 for a bad file or argument.
let run (args: ParseResults<VerifyArgs>) (out: TextWriter) : int =
    let file = NeuronSource.resolve (args.TryGetResult VerifyArgs.Neuron) (args.TryGetResult VerifyArgs.Neuron_File)
    let cases = args.GetResult(VerifyArgs.Cases, defaultValue = Law.DefaultCases)
    if cases < 1 then Fail.usage $"--cases must be at least 1, got {cases}"
    let seed = args.GetResult(VerifyArgs.Seed, defaultValue = Law.DefaultSeed)
    let settings =
        { Verify.defaults with
            Run = { Law.defaults with Cases = cases; Seed = seed }
            Only = args.GetResults VerifyArgs.Law }
    out.WriteLine($"verifying {file.Neuron.Name}: {cases} cases per law, seed {seed}")
    let results =
        Verify.runWith settings (fun r -> out.WriteLine(Law.describe r); out.Flush()) file
    let failed = results |> List.filter (Law.passed >> not) |> List.length
    if failed = 0 then
        out.WriteLine($"all {results.Length} laws hold")
        ExitCode.Ok
    else
        out.WriteLine($"{failed} of {results.Length} laws fail; replay with --seed {seed}")
        ExitCode.DataError
