/// The hand-computed 5-step traces of tests/SnnDsl.Core.Tests/WorkedExampleTests.fs (same inputs, same
/// numbers, from an independent python3 calculation of the equations of docs/science.md), reproduced by `snn simulate`
/// through its output CSV.
module SnnDsl.Cli.Tests.WorkedExampleTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Cli.Tests.Cli

// x_t = 0.9, 1.6, -0.4, 2.2, 0.3: one neuron.
let private inputs = "x\n0.9\n1.6\n-0.4\n2.2\n0.3\n"

// Runs snn simulate and returns the trace's columns as single-neuron arrays.
let private simulate (args: string list) =
    use dir = new TempDir()
    let input = dir.Write("x.csv", inputs)
    let r = snn ([ "simulate"; "--input"; input; "--out"; dir.File "trace.csv" ] @ args)
    Expect.isTrue (r.Code = 0) ($"exit {r.Code}: {r.Err}")
    let trace = readTrace (dir.File "trace.csv")
    fun name -> (column trace name)[*, 0]

let private expect (name: string) (expected: float[]) (actual: float[]) =
    Expect.equal actual.Length expected.Length "actual.Length"
    for t in 0 .. expected.Length - 1 do
        Expect.isTrue (abs (actual[t] - expected[t]) <= 1e-12) ($"{name} at step {t + 1}: expected {expected[t]}, got {actual[t]}")

[<Tests>]
let tests =
    testSequenced <| testList "WorkedExample" [
        testCase "snn simulate reproduces the hand-computed AR-LIF trace with a = 0 and c = 1" <| fun () ->
            let col = simulate [ "--neuron"; "ar-lif" ]
            Expect.equal (col "x" : float[]) ([| 0.9; 1.6; -0.4; 2.2; 0.3 |]) "col \"x\""
            Expect.equal (col "t" : float[]) ([| 1.0; 2.0; 3.0; 4.0; 5.0 |]) "col \"t\""
            expect "S" [| 0.0; 1.0; 0.0; 1.0; 0.0 |] (col "s")
            expect "M" [| -0.7109495026250039; 0.7125919395947431; -0.11534040122377537; 0.8887442494429825; -0.06391003335974332 |] (col "M")
            expect "V" [| 0.9; 0.37902636945309753; -0.21048681527345126; 0.3861256305905558; 0.4930628152952779 |] (col "v")

        testCase "snn simulate reproduces the hand-computed AR-LIF trace with a = 0.5 and c = -0.7 set by --param" <| fun () ->
            let col = simulate [ "--neuron"; "ar-lif"; "--param"; "a=0.5"; "--param"; "c=-0.7" ]
            expect "S" [| 0.0; 1.0; 0.0; 1.0; 0.0 |] (col "s")
            expect "M" [| -0.7109495026250039; 0.2959704821896797; -0.23274346935894308; 0.7085934738376977; -0.25721082324726946 |] (col "M")
            expect "V" [| 0.9; 0.05062397424859855; -0.37468801287570075; -0.10834194239191453; 0.24582902880404273 |] (col "v")

        testCase "snn simulate reproduces the hand-computed DA-LIF trace with alpha = beta = tanh 1" <| fun () ->
            let col = simulate [ "--neuron"; "da-lif" ]
            expect "S" [| 0.0; 1.0; 0.0; 1.0; 0.0 |] (col "s")
            expect "V" [| 0.6854347403601884; 0.0; -0.30463766238230594; 0.0; 0.22847824678672946 |] (col "v")
    ]
