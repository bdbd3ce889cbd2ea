/// Invalid definitions are rejected with messages that name the valid choices.
module SnnDsl.Core.Tests.ValidationTests

open Xunit
open SnnDsl.Core

let private problems n =
    match Neuron.validate n with
    | Ok _ -> failwith "expected the neuron to be invalid"
    | Error ps -> String.concat "\n" ps

let private base' = Builtins.leakyLif

[<Fact>]
let ``every built-in validates`` () =
    for n in Builtins.all do
        Assert.Equal(Ok n, Neuron.validate n)

[<Fact>]
let ``an unknown Ref lists the bindings visible at that point`` () =
    let bad = { base' with Bindings = base'.Bindings @ [ { Name = "late"; Expr = Ref "nope" } ] }
    Assert.Contains("binding 'late' refers to unknown binding 'nope' (visible bindings: H, theta, S)", problems bad)

[<Fact>]
let ``a Ref to a later binding is rejected`` () =
    let bad = { base' with Bindings = { Name = "early"; Expr = Ref "S" } :: base'.Bindings }
    Assert.Contains("binding 'early' refers to unknown binding 'S' (visible bindings: none)", problems bad)

[<Fact>]
let ``unknown State and Param names list the declared ones`` () =
    let bad = { base' with Updates = [ { Name = "V"; Expr = State "W" + Param "gain" } ] }
    let text = problems bad
    Assert.Contains("update of 'V' refers to unknown state 'W' (states: V)", text)
    Assert.Contains("update of 'V' refers to unknown parameter 'gain' (parameters: decay, threshold, reset)", text)

[<Fact>]
let ``a missing V and duplicate names are reported together`` () =
    let bad =
        { base' with
            States = [ StateSpec.create "U" 0.0 "" ]
            Updates = [ { Name = "U"; Expr = Ref "H" } ]
            Bindings = base'.Bindings @ [ { Name = "decay"; Expr = Const 1.0 } ] }
    let text = problems bad
    Assert.Contains("state 'V' (the membrane potential) is missing (states: U)", text)
    Assert.Contains("name 'decay' is defined 2 times", text)

[<Fact>]
let ``a state without an update and an unknown output are errors`` () =
    let bad = { base' with States = base'.States @ [ StateSpec.create "b" 0.0 "" ]; Output = "Z" }
    let text = problems bad
    Assert.Contains("state 'b' has no update", text)
    Assert.Contains("output 'Z' is not a binding (bindings: H, theta, S)", text)

[<Fact>]
let ``compose raises InvalidNeuron with every problem`` () =
    let rules: Rules =
        { Name = "broken"; Description = ""; Params = []; States = []
          Charge = Charge.leaky (Param "decay"); Threshold = Const 1.0; Surrogate = Surrogate.rectangle
          Reset = Reset.soft; Extra = []; Updates = [ "b", Const 0.0 ] }
    let ex = Assert.Throws<InvalidNeuron>(fun () -> Neuron.compose rules |> ignore)
    Assert.Contains("neuron 'broken' is invalid", ex.Message)
    Assert.Contains("unknown parameter 'decay' (parameters: none)", ex.Message)
    Assert.Contains("update of 'b' is not a declared state (states: V)", ex.Message)

[<Fact>]
let ``unknown built-in and parameter names list the valid ones`` () =
    match Builtins.find "lfi" with
    | Error e -> Assert.Equal("unknown neuron 'lfi'; valid neurons: if, lif, lif-soft, leaky-lif, leaky-lif-soft, plif, alif, da-lif, ar-lif", e)
    | Ok _ -> failwith "expected an error"
    Assert.Equal(Ok Builtins.daLif, Builtins.find "DA-LIF")
    match Neuron.withParam "tau" 3.0 Builtins.arLif with
    | Error e -> Assert.Equal("neuron 'ar-lif' has no parameter 'tau'; parameters: a, c, decay, threshold", e)
    | Ok _ -> failwith "expected an error"
    let ex = Assert.Throws<System.ArgumentException>(fun () -> Oracle.run Builtins.lif (Map [ "decay", 0.5 ]) (array2D [ [ 1.0 ] ]) |> ignore)
    Assert.Contains("parameters: tau, threshold, reset", ex.Message)

[<Fact>]
let ``withParam changes only the initial raw value`` () =
    match Neuron.withParam "tau" 3.0 Builtins.lif with
    | Ok n ->
        Assert.Equal(3.0, (Neuron.defaults n)["tau"])
        Assert.Equal<Binding list>(Builtins.lif.Bindings, n.Bindings)
    | Error e -> failwith e
