/// `snn neurons` and the help texts.
module SnnDsl.Cli.Tests.NeuronsTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Core
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli

[<Tests>]
let tests =
    testSequenced <| testList "Neurons" [
        testCase "snn neurons describes every built-in: equations, parameters and states" <| fun () ->
            let r = snn [ "neurons" ]
            Expect.equal r.Code ExitCode.Ok "r.Code"
            Expect.equal r.Err "" "r.Err"
            for n in Builtins.all do
                Expect.stringContains r.Out (Describe.neuron n) "r.Out"
            Expect.stringContains r.Out "alpha      raw 1, alpha = tanh(alpha_raw), learnable, per layer" "r.Out"
            Expect.stringContains r.Out "decay      raw 0.5, decay = raw, fixed, per layer" "r.Out"
            Expect.stringContains r.Out "M  initially 0: reset memory" "r.Out"
            Expect.stringContains r.Out "rectangle:1, triangle:1, sigmoid:4, atan:2, fast-sigmoid:10" "r.Out"

        testCase "snn neurons NAME shows only the named built-ins" <| fun () ->
            let r = snn [ "neurons"; "DA-LIF"; "if" ]
            Expect.equal r.Code ExitCode.Ok "r.Code"
            Expect.stringContains r.Out (Describe.neuron Builtins.daLif) "r.Out"
            Expect.stringContains r.Out (Describe.neuron Builtins.integrateAndFire) "r.Out"
            Expect.stringLacks r.Out "ar-lif:" "r.Out"

        testCase "snn neurons with an unknown name lists the valid ones" <| fun () ->
            let r = snn [ "neurons"; "hh" ]
            Expect.equal r.Code ExitCode.UsageError "r.Code"
            Expect.stringContains r.Err "unknown neuron 'hh'; valid neurons: if, lif" "r.Err"

        testCase "--help prints the usage on stdout and exits 0" <| fun () ->
            let top = snn [ "--help" ]
            Expect.equal top.Code ExitCode.Ok "top.Code"
            Expect.stringContains top.Out "USAGE: snn [--help] [<subcommand> [<options>]]" "top.Out"
            Expect.stringContains top.Out "simulate <options>" "top.Out"
            let sim = snn [ "simulate"; "--help" ]
            Expect.equal sim.Code ExitCode.Ok "sim.Code"
            for option in [ "--neuron <name>"; "--param <name=value>"; "--surrogate <name[:param]>"; "--input <x.csv>"; "--out <trace.csv>"; "--grads <grads.json>"; "--plot <trace.svg>" ] do
                Expect.stringContains sim.Out option "sim.Out"
    ]
