/// The kit's laws: they hold for the built-ins and for random neurons on every interpreter (these are the
/// laws the project's own tests check, defined once in SnnDsl.Verify), and they catch what is wrong:
/// a wrong interpreter, a wrong gradient, a broken reset, a neuron that is not finite.
module SnnDsl.Verify.Tests.KitTests

open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Verify
open SnnDsl.TestKit
open SnnDsl.Core.Tests

let private examples = SnnDsl.TestKit.Repo.examples

/// The built-ins with their options varied over sensible ranges too.
let builtinSettings =
    [ "tau", Values.range 1.0 4.0; "threshold", Values.range 0.2 2.0; "reset", Values.range -1.0 0.5
      "decay", Values.range 0.0 1.0; "rho", Values.range 0.0 0.99; "scale", Values.range 0.0 3.0 ]
    |> List.fold (fun s (name, g) -> Cases.withParam name g s) Cases.defaults

let builtins = Cases.ofNeurons builtinSettings (Gen.elements Builtins.all)

/// Random neurons of the shared generator, every parameter varied in [-1.5, 1.5], inputs on a 1/1000 grid.
let randoms =
    let settings =
        [ "p0"; "p1"; "p2" ] |> List.fold (fun s name -> Cases.withParam name (Values.range -1.5 1.5) s) (Cases.withInputs (Values.range -3.0 3.0) Cases.defaults)
    Cases.ofNeurons { settings with MaxSteps = 12 } (Generators.neuron Generators.everything)

let private failure (r: LawResult) =
    match r.Outcome with
    | Outcome.Failed f -> f
    | other -> failtest $"expected {r.Law} to fail, got %A{other}"

let private tensors = Interpreter.tensors

[<Tests>]
let tests =
    testList "kit" [
        testList "the standard laws hold for every built-in" [
            test "interpreters-agree: eager and fused-interpreted equal the oracle" { verifyOn 150 (Laws.interpretersAgree tensors Laws.tolerance.Values builtins) }
            test "gradients-agree: autograd and the fused backward equal forward mode" { verifyOn 100 (Laws.gradientsAgree tensors Laws.tolerance.Gradients builtins) }
            test "multi-step-is-fold" { verifyOn 100 (Laws.multiStepIsFold (Interpreter.oracle :: tensors) builtins) }
            test "spikes-binary" { verifyOn 100 (Laws.spikesBinary tensors builtins) }
            test "finite" { verifyOn 200 (Laws.finite builtins) }
            test "reverse-equals-forward" { verifyOn 200 (Laws.reverseEqualsForward Laws.tolerance.Gradients builtins) }
            test "same-seed-same-result" { verifyOn 30 (Laws.sameSeedSameResult tensors builtins) }
            test "compiled kernels equal the oracle, values and gradients (a bounded sample)" {
                let cases = Cases.allAsTensors builtins
                verifyOn 12 (Laws.interpretersAgree [ Interpreter.fused ] Laws.tolerance.Values cases)
                verifyOn 12 (Laws.gradientsAgree [ Interpreter.fused ] Laws.tolerance.Gradients cases)
            }
        ]

        testList "the standard laws hold for random neurons" [
            test "interpreters-agree" { verifyOn 150 (Laws.interpretersAgree tensors Laws.tolerance.Values randoms) }
            test "gradients-agree" { verifyOn 100 (Laws.gradientsAgree tensors Laws.tolerance.Gradients randoms) }
            test "multi-step-is-fold" { verifyOn 100 (Laws.multiStepIsFold tensors randoms) }
            test "spikes-binary and finite" {
                verifyOn 100 (Laws.spikesBinary tensors randoms)
                verifyOn 200 (Laws.finite randoms)
            }
            test "reverse-equals-forward" { verifyOn 200 (Laws.reverseEqualsForward Laws.tolerance.Gradients randoms) }
        ]

        testList "the standard laws hold for random neurons that use every operation (comparisons, where, and, or, not, floor, sqrt, pow, clamp)" [
            let everyOp =
                let settings = [ "p0"; "p1"; "p2" ] |> List.fold (fun s name -> Cases.withParam name (Values.range -1.5 1.5) s) (Cases.withInputs (Values.range -3.0 3.0) Cases.defaults)
                Cases.ofNeurons { settings with MaxSteps = 10 } Generators.everyOperation
            test "interpreters-agree: eager and fused-interpreted equal the oracle" { verifyOn 100 (Laws.interpretersAgree tensors Laws.tolerance.Values everyOp) }
            test "gradients-agree: autograd and the fused backward equal forward mode" { verifyOn 60 (Laws.gradientsAgree tensors Laws.tolerance.Gradients everyOp) }
            test "reverse-equals-forward and finite" {
                verifyOn 100 (Laws.reverseEqualsForward Laws.tolerance.Gradients everyOp)
                verifyOn 100 (Laws.finite everyOp)
            }
            test "compiled kernels equal the oracle, values and gradients (a bounded sample)" {
                let cases = Cases.allAsTensors everyOp
                verifyOn 6 (Laws.interpretersAgree [ Interpreter.fused ] Laws.tolerance.Values cases)
                verifyOn 6 (Laws.gradientsAgree [ Interpreter.fused ] Laws.tolerance.Gradients cases)
            }
        ]

        test "Theorem 1 holds for the soft-reset leaky LIF on the oracle, eager and fused-interpreted, and fails for the hard-reset one" {
            for interp in Interpreter.oracle :: tensors do
                verifyOn 150 (BuiltinLaws.theorem1 interp (BuiltinLaws.theorem1Cases Builtins.leakyLifSoft))
            let f = failure (Law.check 200 (BuiltinLaws.theorem1 Interpreter.oracle (BuiltinLaws.theorem1Cases Builtins.leakyLif)))
            Expect.stringContains f.Reason "; Theorem 1 gives" f.Reason
        }

        test "the Theorem 1 cases exercise both spiking and silent steps" {
            let spikes =
                Gen.sampleWithSeed (Rnd 1UL) 50 100 (BuiltinLaws.theorem1Cases Builtins.leakyLifSoft)
                |> Seq.collect (fun c -> Seq.cast<float> (Interpreter.oracle.Trace c).Spikes)
            let rate = Seq.average spikes
            Expect.isTrue (rate > 0.1 && rate < 0.9) $"firing rate {rate}"
        }

        test "after a hard reset V is the reset value wherever S is 1; after a soft reset V is H - theta, else H" {
            let hard = Cases.ofNeurons builtinSettings (Gen.elements [ Builtins.integrateAndFire; Builtins.lif; Builtins.leakyLif; Builtins.plif; Builtins.daLif ])
            let soft = Cases.ofNeurons builtinSettings (Gen.elements [ Builtins.lifSoft; Builtins.leakyLifSoft; Builtins.alif ])
            for interp in Interpreter.oracle :: tensors do
                verifyOn 100 (BuiltinLaws.hardReset interp hard)
                verifyOn 100 (BuiltinLaws.softReset interp soft)
            // The broken twin's reset is caught by the soft-reset law too.
            let broken = NeuronText.loadNeuron (Path.Combine(examples, "lif-syn-broken.neuron"))
            let renamed = { broken with Bindings = broken.Bindings @ [ { Name = "theta"; Expr = Param "vth" } ] }
            failure (Law.check 100 (BuiltinLaws.softReset Interpreter.oracle (Cases.ofNeuron Cases.defaults renamed))) |> ignore
        }

        test "a wrong interpreter is caught: states off by 1e-9" {
            let off = { Interpreter.eager with Name = "off"; Trace = fun c -> let tr = Interpreter.eager.Trace c in { tr with States = tr.States |> Map.map (fun _ v -> Array2D.map ((+) 1e-9) v) } }
            let f = failure (Law.check 50 (Laws.interpretersAgree [ off ] Laws.tolerance.Values builtins))
            Expect.stringContains f.Reason "at t = 1: oracle" f.Reason
            Expect.equal (f.Case.Steps, f.Case.Columns) (1, 1) "shrunk to one step of one neuron"
        }

        test "a wrong gradient is caught: dJ/dX scaled by 1.001" {
            let scaled = { Interpreter.eager with Name = "scaled"; Gradients = fun w c -> let g = Interpreter.eager.Gradients w c in { g with Inputs = Array2D.map ((*) 1.001) g.Inputs } }
            let f = failure (Law.check 50 (Laws.gradientsAgree [ scaled ] Laws.tolerance.Gradients builtins))
            Expect.stringContains f.Reason "dJ/dX at t = " f.Reason
        }

        test "a neuron that takes the log of its input is not finite, and the counterexample is shrunk to X = 0" {
            let n = NeuronText.parseNeuron "log" "neuron log\nstate V = 0\nH = log(X)\nS = spike[atan](H)\nV <- H\n"
            let f = failure (Law.check 100 (Laws.finite (Cases.ofNeuron Cases.defaults n)))
            Expect.equal f.Case.Inputs (array2D [ [ 0.0 ] ]) "X = 0"
            Expect.stringContains f.Reason "H at t = 1 is -Infinity" f.Reason
        }

        test "a broken reset fails its file law with a counterexample a reader can check by hand" {
            let file = NeuronText.load (Path.Combine(examples, "lif-syn-broken.neuron"))
            let results = Verify.run { Verify.defaults with Only = [ "reset-lowers-V" ] } file
            let r = List.exactlyOne results
            let f = failure r
            Expect.equal f.Reason "S = 1 implies V' < H fails at t = 1: H = 1, V' = 2, S = 1" "the reason"
            let table = Table.render f.Case f.At
            Expect.equal table
                (String.concat "\n"
                    [ "neuron lif-syn-broken, 1 step(s) x 1 column(s)"
                      "parameters: a = 0.8, b = 0.9, vth = 1"
                      "initial states: I = 0, V = 0"
                      "(X: input; a state name with ' is its value after the step)"
                      "t  X  I_t  H  S  I'  V'"
                      "1  1    1  1  1   1   2  <-" ])
                "the table"
            Expect.stringContains (Law.describe r) "replay with seed 1" "the seed"
        }

        test "the same seed draws and shrinks the same cases; another seed draws others" {
            let file = NeuronText.load (Path.Combine(examples, "lif-syn-broken.neuron"))
            let once seed = Verify.run { Verify.defaults with Only = [ "reset-lowers-V" ]; Run = { Law.defaults with Seed = seed } } file |> List.map Law.describe
            Expect.equal (once 7UL) (once 7UL) "seed 7 twice"
            let sample seed = Gen.sampleWithSeed (Rnd seed) 50 5 builtins |> Array.map (fun c -> c.Inputs)
            Expect.notEqual (sample 7UL) (sample 8UL) "seeds 7 and 8"
        }

        test "a law that needs a positive threshold states it as a precondition" {
            let settings =
                { Cases.defaults with RandomInitial = false; Input = Values.constant 0.0 }
                |> Cases.withParam "threshold" (Values.dyadic -1.0 1.0)
            let silent = Law.everyStep "silent-under-zero-input" (Cases.ofNeuron settings Builtins.leakyLifSoft) (fun _ tr t j -> tr.Spikes[t, j] = 0.0)
            let f = failure (Law.check 100 silent)
            Expect.isLessThanOrEqual (f.Case.Param "threshold") 0.0 "fails only where threshold <= 0"
            verifyOn 100 (silent |> Law.requires (fun c -> c.Param "threshold" > 0.0))
            match (Law.check 10 (silent |> Law.requires (fun _ -> false))).Outcome with
            | Outcome.Exhausted(0, _) -> ()
            | other -> failtest $"a precondition that never holds exhausts the cases, got %A{other}"
        }

        lawOn 100 "a kit law as an FsCheck property holds under Expecto.FsCheck (spikes-binary of the built-ins)" <| fun () ->
            Law.toProperty (Laws.spikesBinary tensors builtins)

        test "snn verify's law list is the standard laws and the file's, and an unknown name lists them" {
            let file = NeuronText.load (Path.Combine(examples, "lif-syn.neuron"))
            let names = Verify.laws Verify.defaults file |> List.map (fun l -> l.Name)
            Expect.equal names (Verify.standardNames @ [ "reset-lowers-V" ]) "names"
            try
                Verify.run { Verify.defaults with Only = [ "nope" ] } file |> ignore
                failtest "no error"
            with :? SnnException as e -> Expect.stringContains e.Message "no law 'nope' for neuron 'lif-syn'; laws: interpreters-agree" e.Message
        }
    ]
