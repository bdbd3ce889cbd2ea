/// Invalid definitions are rejected with messages that name the valid choices.
module SnnDsl.Core.Tests.ValidationTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Core

let private problems n =
    match Neuron.validate n with
    | Ok _ -> failwith "expected the neuron to be invalid"
    | Error ps -> String.concat "\n" ps

let private base' = Builtins.leakyLif

[<Tests>]
let tests =
    testList "Validation" [
        testCase "every built-in validates" <| fun () ->
            for n in Builtins.all do
                Expect.equal (Neuron.validate n) (Ok n) "Neuron.validate n"

        testCase "an unknown Ref lists the bindings visible at that point" <| fun () ->
            let bad = { base' with Bindings = base'.Bindings @ [ { Name = "late"; Expr = Ref "nope" } ] }
            Expect.stringContains (problems bad) "binding 'late' refers to unknown binding 'nope' (visible bindings: H, theta, S)" "problems bad"

        testCase "a Ref to a later binding is rejected" <| fun () ->
            let bad = { base' with Bindings = { Name = "early"; Expr = Ref "S" } :: base'.Bindings }
            Expect.stringContains (problems bad) "binding 'early' refers to unknown binding 'S' (visible bindings: none)" "problems bad"

        testCase "unknown State and Param names list the declared ones" <| fun () ->
            let bad = { base' with Updates = [ { Name = "V"; Expr = State "W" + Param "gain" } ] }
            let text = problems bad
            Expect.stringContains text "update of 'V' refers to unknown state 'W' (states: V)" "text"
            Expect.stringContains text "update of 'V' refers to unknown parameter 'gain' (parameters: decay, threshold, reset)" "text"

        testCase "a missing V and duplicate names are reported together" <| fun () ->
            let bad =
                { base' with
                    States = [ StateSpec.create "U" 0.0 "" ]
                    Updates = [ { Name = "U"; Expr = Ref "H" } ]
                    Bindings = base'.Bindings @ [ { Name = "decay"; Expr = Const 1.0 } ] }
            let text = problems bad
            Expect.stringContains text "state 'V' (the membrane potential) is missing (states: U)" "text"
            Expect.stringContains text "name 'decay' is defined 2 times" "text"

        testCase "a state without an update and an unknown output are errors" <| fun () ->
            let bad = { base' with States = base'.States @ [ StateSpec.create "b" 0.0 "" ]; Output = "Z" }
            let text = problems bad
            Expect.stringContains text "state 'b' has no update" "text"
            Expect.stringContains text "output 'Z' is not a binding (bindings: H, theta, S)" "text"

        testCase "compose raises InvalidNeuron with every problem" <| fun () ->
            let rules: Rules =
                { Name = "broken"; Description = ""; Params = []; States = []
                  Charge = Charge.leaky (Param "decay"); Threshold = Const 1.0; Surrogate = Surrogate.rectangle
                  Reset = Reset.soft; Extra = []; Updates = [ "b", Const 0.0 ] }
            let ex = Expect.raises<InvalidNeuron> (fun () -> Neuron.compose rules |> ignore)
            Expect.stringContains ex.Message "neuron 'broken' is invalid" "ex.Message"
            Expect.stringContains ex.Message "unknown parameter 'decay' (parameters: none)" "ex.Message"
            Expect.stringContains ex.Message "update of 'b' is not a declared state (states: V)" "ex.Message"

        testCase "unknown built-in and parameter names list the valid ones" <| fun () ->
            match Builtins.find "lfi" with
            | Error e -> Expect.equal e "unknown neuron 'lfi'; valid neurons: if, lif, lif-soft, leaky-lif, leaky-lif-soft, plif, alif, da-lif, ar-lif" "e"
            | Ok _ -> failwith "expected an error"
            Expect.equal (Builtins.find "DA-LIF") (Ok Builtins.daLif) "Builtins.find \"DA-LIF\""
            match Neuron.withParam "tau" 3.0 Builtins.arLif with
            | Error e -> Expect.equal e "neuron 'ar-lif' has no parameter 'tau'; parameters: a, c, decay, threshold" "e"
            | Ok _ -> failwith "expected an error"
            let ex = Expect.raises<System.ArgumentException> (fun () -> Oracle.run Builtins.lif (Map [ "decay", 0.5 ]) (array2D [ [ 1.0 ] ]) |> ignore)
            Expect.stringContains ex.Message "parameters: tau, threshold, reset" "ex.Message"

        testCase "withParam changes only the initial raw value" <| fun () ->
            match Neuron.withParam "tau" 3.0 Builtins.lif with
            | Ok n ->
                Expect.equal ((Neuron.defaults n)["tau"]) 3.0 "(Neuron.defaults n)[\"tau\"]"
                Expect.equal (n.Bindings : Binding list) Builtins.lif.Bindings "n.Bindings"
            | Error e -> failwith e
    ]
