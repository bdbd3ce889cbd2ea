/// The tensor interpreter on float64 tensors computes what the scalar oracle computes.
module SnnDsl.Core.TensorTests.OracleAgreementTests

open Xunit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Core.Tests.Generators
open SnnDsl.Core.TensorTests.Tensors

/// A raw value in a range that makes sense for a built-in parameter of this name.
let rawFor (name: string) =
    match name with
    | "tau" -> floatIn 1.0 4.0
    | "threshold" -> floatIn 0.2 2.0
    | "reset" -> floatIn -1.0 0.5
    | "decay" -> floatIn 0.0 1.0
    | "rho" -> floatIn 0.0 0.99
    | "scale" -> floatIn 0.0 3.0
    | _ -> floatIn -2.0 2.0

/// A built-in, a random raw value for every parameter (fixed options too) and a random surrogate.
let builtinWithParams: Gen<Neuron * Map<string, float>> =
    gen {
        let! n = builtin
        let! s = surrogate
        let! values = n.Params |> List.map (fun p -> rawFor p.Name |> Gen.map (fun v -> p.Name, v)) |> Gen.sequenceToList
        return Neuron.withSurrogate s n, Map.ofList values
    }

/// Splits raw values into those given to the interpreter as tensors and those written into the
/// definition with Neuron.withParam (which the interpreter then reads as plain numbers, like the CLI).
let split (n: Neuron, raw: Map<string, float>) : Gen<Neuron * Map<string, float>> =
    gen {
        let! asTensor = Gen.listOfLength raw.Count (Gen.elements [ true; false ])
        let chosen = List.zip (Map.toList raw) asTensor
        let defined =
            chosen
            |> List.filter (snd >> not)
            |> List.fold (fun n ((name, v), _) -> match Neuron.withParam name v n with Ok n -> n | Error e -> failwith e) n
        return defined, chosen |> List.filter snd |> List.map fst |> Map.ofList
    }

/// Tensor run (split parameters) against the oracle run (all raw values given).
let agree (tol: float) ((n: Neuron, raw: Map<string, float>), (defined: Neuron, tensors: Map<string, float>), x: float[,]) =
    expectSameTrace tol (Oracle.run n raw x) (tensorRun defined tensors x)

[<Fact>]
let ``every built-in on tensors equals the oracle: spikes exactly, states and bindings to 1e-12`` () =
    let cases =
        gen {
            let! nr = builtinWithParams
            let! split = split nr
            let! x = inputs 20 5 3.0
            return nr, split, x
        }
    Law.checkAsserts cases (agree 1e-12)

[<Fact>]
let ``every built-in agrees with the oracle at its default parameters`` () =
    Law.checkAsserts (Gen.zip builtin (inputs 20 5 3.0)) (fun (n, x) ->
        expectSameTrace 1e-12 (Oracle.run n Map.empty x) (tensorRun n Map.empty x))

[<Fact>]
let ``random neuron definitions on tensors equal the oracle: spikes exactly, states and bindings to 1e-12`` () =
    let cases =
        gen {
            let! n = neuron everything
            let! raw = rawParams n
            let! split = split (n, raw)
            let! x = inputs 12 4 3.0
            return (n, raw), split, x
        }
    Law.checkAsserts cases (agree 1e-12)

[<Fact>]
let ``a single tensor step returns the oracle's spike, state and bindings`` () =
    let cases =
        gen {
            let! n = neuron everything
            let! raw = rawParams n
            let! state = n.States |> List.map (fun s -> floatIn -2.0 2.0 |> Gen.map (fun v -> s.Name, v)) |> Gen.sequenceToList
            let! x = floatIn -3.0 3.0
            return n, raw, Map.ofList state, x
        }
    Law.checkAsserts cases (fun (n, raw, state, x) ->
        use scope = new SnnDsl.Torch.TensorScope()
        let expected = Oracle.step n raw state x
        let xt = SnnDsl.Torch.Tensor.FromArray [| x |]
        let tensorState = state |> Map.map (fun _ v -> TValue.Tensor(SnnDsl.Torch.Tensor.FromArray [| v |]))
        let got = TensorNeuron.step n (TensorNeuron.effective n (rawTensors raw) 1) tensorState xt
        let one (v: TValue) = (valueAt xt v)[0]
        let near what (e: float) (a: float) =
            if not (Law.near (1e-12 * max 1.0 (abs e)) e a) then failwith $"{what}: oracle %.17g{e}, tensor %.17g{a}"
        if (elements got.Spike)[0] <> expected.Spike then failwith $"spike: oracle {expected.Spike}, tensor {(elements got.Spike)[0]}"
        for KeyValue(k, v) in expected.State do near $"state {k}" v (one got.State[k])
        for KeyValue(k, v) in expected.Values do near $"binding {k}" v (one got.Values[k]))
