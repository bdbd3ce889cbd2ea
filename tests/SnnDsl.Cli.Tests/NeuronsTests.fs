/// `snn neurons` and the help texts.
module SnnDsl.Cli.Tests.NeuronsTests

open Xunit
open SnnDsl.Core
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli

[<Fact>]
let ``snn neurons describes every built-in: equations, parameters and states`` () =
    let r = snn [ "neurons" ]
    Assert.Equal(ExitCode.Ok, r.Code)
    Assert.Equal("", r.Err)
    for n in Builtins.all do
        Assert.Contains(Describe.neuron n, r.Out)
    Assert.Contains("alpha      raw 1, alpha = tanh(alpha_raw), learnable, per layer", r.Out)
    Assert.Contains("decay      raw 0.5, decay = raw, fixed, per layer", r.Out)
    Assert.Contains("M  initially 0: reset memory", r.Out)
    Assert.Contains("rectangle:1, triangle:1, sigmoid:4, atan:2, fast-sigmoid:10", r.Out)

[<Fact>]
let ``snn neurons NAME shows only the named built-ins`` () =
    let r = snn [ "neurons"; "DA-LIF"; "if" ]
    Assert.Equal(ExitCode.Ok, r.Code)
    Assert.Contains(Describe.neuron Builtins.daLif, r.Out)
    Assert.Contains(Describe.neuron Builtins.integrateAndFire, r.Out)
    Assert.DoesNotContain("ar-lif:", r.Out)

[<Fact>]
let ``snn neurons with an unknown name lists the valid ones`` () =
    let r = snn [ "neurons"; "hh" ]
    Assert.Equal(ExitCode.UsageError, r.Code)
    Assert.Contains("unknown neuron 'hh'; valid neurons: if, lif", r.Err)

[<Fact>]
let ``--help prints the usage on stdout and exits 0`` () =
    let top = snn [ "--help" ]
    Assert.Equal(ExitCode.Ok, top.Code)
    Assert.Contains("USAGE: snn [--help] [<subcommand> [<options>]]", top.Out)
    Assert.Contains("simulate <options>", top.Out)
    let sim = snn [ "simulate"; "--help" ]
    Assert.Equal(ExitCode.Ok, sim.Code)
    for option in [ "--neuron <name>"; "--param <name=value>"; "--surrogate <name[:param]>"; "--input <x.csv>"; "--out <trace.csv>"; "--grads <grads.json>"; "--plot <trace.svg>" ] do
        Assert.Contains(option, sim.Out)
