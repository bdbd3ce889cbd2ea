/// Every tensor interpreter on float64 tensors computes what the scalar oracle computes.
module SnnDsl.Backends.Tests.OracleAgreementTests

open Expecto
open SnnDsl.TestKit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Core.Tests.Generators
open SnnDsl.Backends
open SnnDsl.Backends.Tests.Tensors

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

/// Random raw values for every parameter of a neuron (fixed options too).
let builtinValues (n: Neuron) =
    n.Params |> List.map (fun p -> rawFor p.Name |> Gen.map (fun v -> p.Name, v)) |> Gen.sequenceToList |> Gen.map Map.ofList

/// A built-in, a random raw value for every parameter (fixed options too) and a random surrogate.
let builtinWithParams: Gen<Neuron * Map<string, float>> =
    gen {
        let! n = builtin
        let! s = surrogate
        let! values = builtinValues n
        return Neuron.withSurrogate s n, values
    }

/// The built-ins a compiled kernel is tested on, a bounded set of programs (one compiler run each): every
/// built-in with its own surrogate, and leaky LIF with each of the other surrogates at its default.
let compiledBuiltins: Neuron list =
    Builtins.all
    @ [ for _, s in Surrogate.all |> List.tail -> Neuron.withSurrogate s Builtins.leakyLif |> fun n -> { n with Name = $"leaky-lif-{fst (Surrogate.describe s)}" } ]

/// A compiled-kernel case: a built-in of `compiledBuiltins` with every parameter given as a tensor, so
/// random values do not make new programs.
let compiledBuiltinWithParams: Gen<Neuron * Map<string, float>> =
    gen {
        let! n = Gen.elements compiledBuiltins
        let! values = builtinValues n
        return n, values
    }

/// Splits raw values into those given to the interpreter as tensors and those written into the
/// definition with Neuron.withParam (which the interpreter then folds in as constants, like the CLI).
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

/// Built-in cases for an interpreter: random surrogates and split parameters, except for the compiled
/// kernels (every parameter a tensor, a bounded set of programs).
let builtinCases (interp: string) : Gen<(Neuron * Map<string, float>) * (Neuron * Map<string, float>)> =
    if interp = "fused" then compiledBuiltinWithParams |> Gen.map (fun nr -> nr, nr)
    else builtinWithParams |> Gen.bind (fun nr -> split nr |> Gen.map (fun s -> nr, s))

/// Tensor run (split parameters) against the oracle run (all raw values given).
let agree (interp: ITensorInterpreter) (tol: float) ((n: Neuron, raw: Map<string, float>), (defined: Neuron, tensors: Map<string, float>), x: float[,]) =
    expectSameTrace tol (Oracle.run n raw x) (tensorRunWith interp defined tensors x)

/// A random neuron, random raw values, and the split of those values between tensors and the definition.
let randomCases =
    gen {
        let! n = neuron everything
        let! raw = rawParams n
        let! split = split (n, raw)
        let! x = inputs 12 4 3.0
        return (n, raw), split, x
    }

[<Tests>]
let tests =
    testList "OracleAgreement" [
        // 300 cases, not DefaultCases: the compiled rows draw from 13 neurons, and 100 cases would leave one of
        // them out in about 1 run in 200; 300 in under 1 in 10^9.
        yield! lawRowsOn 300 "every built-in on tensors equals the oracle: spikes exactly, states and bindings to 1e-12" [ "eager"; "fused"; "fused-interpreted" ] <| fun (interp: string) ->
            let cases = Gen.zip (builtinCases interp) (inputs 20 5 3.0) |> Gen.map (fun ((a, b), x) -> a, b, x)
            forAll cases (agree (interpreter interp) 1e-12)

        yield! lawRows "every built-in agrees with the oracle at its default parameters" [ "eager"; "fused"; "fused-interpreted" ] <| fun (interp: string) ->
            forAll (Gen.zip builtin (inputs 20 5 3.0)) (fun (n, x) ->
                expectSameTrace 1e-12 (Oracle.run n Map.empty x) (tensorRunWith (interpreter interp) n Map.empty x))

        yield! lawRows "random neuron definitions on tensors equal the oracle: spikes exactly, states and bindings to 1e-12" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            forAll randomCases (agree (interpreter interp) 1e-12)

        lawOn 6 "random neuron definitions in compiled fused kernels equal the oracle (a bounded sample, one compile each)" <| fun () ->
            forAll randomCases (agree Interpreters.fused 1e-12)

        yield! lawRows "a single tensor step from a given state returns the oracle's spike, state and bindings" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let cases =
                gen {
                    let! n = neuron everything
                    let! raw = rawParams n
                    let! state = n.States |> List.map (fun s -> floatIn -2.0 2.0 |> Gen.map (fun v -> s.Name, v)) |> Gen.sequenceToList
                    let! x = floatIn -3.0 3.0
                    return n, raw, Map.ofList state, x
                }
            forAll cases (fun (n, raw, state, x) ->
                use scope = new SnnDsl.Torch.TensorScope()
                let expected = Oracle.step n raw state x
                let xt = SnnDsl.Torch.Tensor.FromArray([| x |], [| 1; 1 |])
                let tensorState = state |> Map.map (fun _ v -> TValue.Tensor(SnnDsl.Torch.Tensor.FromArray [| v |]))
                let p = programFor n raw
                let spikes, next = (interpreter interp).Run(p, rawTensors raw, Some tensorState, xt)
                let near what (e: float) (a: float) =
                    if not (near (1e-12 * max 1.0 (abs e)) e a) then failwith $"{what}: oracle %.17g{e}, tensor %.17g{a}"
                if (elements spikes)[0] <> expected.Spike then failwith $"spike: oracle {expected.Spike}, tensor {(elements spikes)[0]}"
                for KeyValue(k, v) in expected.State do
                    let got = valueAt (xt.Select(0, 0)) next[k]
                    near $"state {k}" v got[0])
    ]
