/// Every mistake gives one clear message on stderr, a non-zero exit code (2 for the command line, 1 for the
/// data) and no output file.
module SnnDsl.Cli.Tests.BadInputTests

open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli

// Runs `snn simulate` on the given CSV text with extra arguments (default neuron lif).
let private simulate (csv: string) (args: string list) =
    use dir = new TempDir()
    let input = dir.Write("x.csv", csv)
    let args = if List.contains "--neuron" args then args else [ "--neuron"; "lif" ] @ args
    let r = snn ([ "simulate"; "--input"; input; "--out"; dir.File "trace.csv"; "--grads"; dir.File "g.json"; "--plot"; dir.File "p.svg" ] @ args)
    // Whatever went wrong, nothing was written: the input is the only file.
    if r.Code <> 0 then Expect.equal (dir.Files() : string list) ([ "x.csv" ]) "dir.Files()"
    r

let private fails (code: int) (fragments: string list) (r: Outcome) =
    Expect.equal r.Code code "r.Code"
    Expect.equal r.Out "" "r.Out"
    for f in fragments do Expect.stringContains r.Err f "r.Err"
    // One message: no stack trace.
    Expect.stringLacks r.Err "   at " "r.Err"

let private good = "0.5,1.0\n1.5,0.25\n"

[<Tests>]
let tests =
    testSequenced <| testList "BadInput" [
        testCase "an unknown neuron lists the valid ones" <| fun () ->
            simulate good [ "--neuron"; "lfi" ]
            |> fails ExitCode.UsageError [ "unknown neuron 'lfi'"; "valid neurons: if, lif, lif-soft, leaky-lif, leaky-lif-soft, plif, alif, da-lif, ar-lif" ]

        testCase "an unknown parameter lists the neuron's parameters" <| fun () ->
            simulate good [ "--neuron"; "ar-lif"; "--param"; "tau=2" ]
            |> fails ExitCode.UsageError [ "neuron 'ar-lif' has no parameter 'tau'"; "parameters: a, c, decay, threshold" ]

        testCase "a malformed --param says what it expects" <| fun () ->
            simulate good [ "--param"; "tau" ] |> fails ExitCode.UsageError [ "a parameter assignment is NAME=VALUE"; "'tau'" ]
            simulate good [ "--param"; "tau=fast" ] |> fails ExitCode.UsageError [ "'fast' is not a finite number" ]
            simulate good [ "--param"; "tau=NaN" ] |> fails ExitCode.UsageError [ "'NaN' is not a finite number" ]

        testCase "an unknown surrogate lists the valid ones" <| fun () ->
            simulate good [ "--surrogate"; "gauss:2" ]
            |> fails ExitCode.UsageError [ "unknown surrogate 'gauss'"; "valid surrogates: rectangle, triangle, sigmoid, atan, fast-sigmoid" ]
            simulate good [ "--surrogate"; "atan:-1" ] |> fails ExitCode.UsageError [ "surrogate 'atan' needs a positive number after ':'" ]

        testCase "a ragged CSV names the line and column" <| fun () ->
            simulate "a,b\n0.5,1.0\n1.5,0.25,2\n" []
            |> fails ExitCode.DataError [ "x.csv: line 3, column 3: unexpected extra value '2'"; "every row must have 2 columns, as the header on line 1" ]
            simulate "0.5,1.0\n\n1.5\n" []
            |> fails ExitCode.DataError [ "x.csv: line 3, column 2: missing value"; "every row must have 2, as line 1" ]

        testCase "a non-numeric value names the line and column" <| fun () ->
            simulate "0.5,1.0\n1.5,abc\n" [] |> fails ExitCode.DataError [ "x.csv: line 2, column 2: 'abc' is not a number" ]
            simulate "0.5,1.0\n,1.5\n" [] |> fails ExitCode.DataError [ "x.csv: line 2, column 1: empty value" ]
            simulate "0,5;1,0\n" [] |> fails ExitCode.DataError [ "no data rows after the header on line 1" ]

        testCase "NaN and infinite inputs are rejected with their line and column" <| fun () ->
            simulate "0.5,1.0\n1.5,NaN\n" [] |> fails ExitCode.DataError [ "x.csv: line 2, column 2: 'NaN' is NaN; inputs must be finite numbers" ]
            simulate "0.5,1.0\n-Infinity,0\n" [] |> fails ExitCode.DataError [ "x.csv: line 2, column 1: '-Infinity' is infinite" ]
            simulate "1e400,1.0\n" [] |> fails ExitCode.DataError [ "x.csv: line 1, column 1: '1e400' is infinite" ]

        testCase "an empty input is rejected" <| fun () ->
            simulate "" [] |> fails ExitCode.DataError [ "x.csv: no data" ]
            simulate "left,right\n" [] |> fails ExitCode.DataError [ "no data rows after the header on line 1" ]

        testCase "a missing input file is named" <| fun () ->
            use dir = new TempDir()
            let missing = dir.File "nope.csv"
            snn [ "simulate"; "--neuron"; "lif"; "--input"; missing; "--out"; dir.File "trace.csv" ]
            |> fails ExitCode.DataError [ $"input file '{missing}' does not exist" ]
            Expect.isEmpty (dir.Files()) "dir.Files()"

        testCase "an output in a missing directory is named and nothing is written" <| fun () ->
            use dir = new TempDir()
            let input = dir.Write("x.csv", good)
            let plot = Path.Combine(dir.Path, "no-such-dir", "p.svg")
            snn [ "simulate"; "--neuron"; "lif"; "--input"; input; "--out"; dir.File "trace.csv"; "--plot"; plot ]
            |> fails ExitCode.DataError [ $"cannot write the plot to '{plot}'"; "does not exist" ]
            Expect.equal (dir.Files() : string list) ([ "x.csv" ]) "dir.Files()"

        testCase "two outputs on the same path are refused" <| fun () ->
            use dir = new TempDir()
            let input = dir.Write("x.csv", good)
            snn [ "simulate"; "--neuron"; "lif"; "--input"; input; "--out"; dir.File "o"; "--plot"; dir.File "o" ]
            |> fails ExitCode.UsageError [ "two outputs would both be written to" ]

        testCase "a missing or unknown argument is a usage error with the usage text" <| fun () ->
            snn [ "simulate"; "--neuron"; "lif"; "--out"; "o.csv" ] |> fails ExitCode.UsageError [ "snn: missing argument '--input'"; "USAGE: snn simulate"; "Run 'snn simulate --help' for the options" ]
            snn [ "simulate"; "--neuron"; "lif"; "--input"; "x.csv"; "--out"; "o.csv"; "--frobnicate" ] |> fails ExitCode.UsageError [ "unrecognized argument: '--frobnicate'" ]
            snn [ "fly" ] |> fails ExitCode.UsageError [ "unrecognized argument: 'fly'" ]
            snn [] |> fails ExitCode.UsageError [ "give one subcommand"; "USAGE: snn" ]
    ]
