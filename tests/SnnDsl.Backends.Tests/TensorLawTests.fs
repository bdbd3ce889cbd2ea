/// The laws of the built-ins (docs/neurons.md), checked on the tensor interpreters themselves.
module SnnDsl.Backends.Tests.TensorLawTests

open Expecto
open SnnDsl.TestKit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Core.Tests.Generators
open SnnDsl.Backends.Tests.Tensors
open SnnDsl.Backends.Tests.OracleAgreementTests

let private hardReset = [ "if"; "lif"; "leaky-lif"; "plif"; "da-lif" ]

let private allCells (p: float -> bool) (a: float[,]) = cells a |> Seq.forall p

// Dyadic values keep every sum exact, so the state recurrence and the closed form must agree bit for bit.
let private dyadic =
    gen {
        let! lambda = Gen.elements [ 0.25; 0.5; 0.75 ]
        let! theta = Gen.choose (1, 16) |> Gen.map (fun k -> float k / 8.0)
        let! t = Gen.choose (1, 16)
        let! n = Gen.choose (1, 6)
        let! sixteenths = Gen.arrayOfLength (t * n) (Gen.choose (-48, 64))
        let! asTensors = Gen.elements [ true; false ]
        return lambda, theta, Array2D.init t n (fun i j -> float sixteenths[i * n + j] / 16.0), asTensors
    }

[<Tests>]
let tests =
    testList "TensorLaw" [
        yield! lawRows "tensor spikes of every built-in and every random neuron are exactly 0 or 1" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let anyNeuron = Gen.oneof [ builtinWithParams; neuron everything |> Gen.bind (fun n -> rawParams n |> Gen.map (fun r -> n, r)) ]
            forAll (Gen.zip (anyNeuron |> Gen.bind split) (inputs 20 5 3.0)) (fun ((n, raw), x) ->
                (tensorRunWith (interpreter interp) n raw x).Spikes |> allCells (fun s -> s = 0.0 || s = 1.0))

        yield! lawRows "after a hard reset on tensors V equals the reset value wherever S is 1" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let cases =
                gen {
                    let! n = Gen.elements (Builtins.all |> List.filter (fun n -> List.contains n.Name hardReset))
                    let! _, raw = builtinWithParams |> Gen.filter (fun (b, _) -> b.Name = n.Name)
                    let! split = split (n, raw)
                    let! x = inputs 20 5 3.0
                    return raw["reset"], split, x
                }
            forAll cases (fun (reset, (n, tensors), x) ->
                let tr = tensorRunWith (interpreter interp) n tensors x
                let v = tr.States["V"]
                tr.Spikes |> Array2D.mapi (fun t j s -> s <> 1.0 || v[t, j] = reset) |> Seq.cast<bool> |> Seq.forall id)

        testCase "the hard reset cases fire often enough to test the reset" <| fun () ->
            let fired =
                Gen.sample 100 (Gen.zip builtinWithParams (inputs 20 5 3.0))
                |> Seq.filter (fun ((n, raw), x) -> List.contains n.Name hardReset && cells (Oracle.run n raw x).Spikes |> Seq.contains 1.0)
                |> Seq.length
            Expect.inRange fired 20 100 "fired"

        yield! lawRows "after a soft reset on tensors V equals H minus theta wherever S is 1 and H otherwise" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let soft = Builtins.all |> List.filter (fun n -> List.contains n.Name [ "lif-soft"; "leaky-lif-soft"; "alif" ])
            forAll (Gen.zip (Gen.elements soft) (inputs 20 5 3.0)) (fun (n, x) ->
                let tr = tensorRunWith (interpreter interp) n Map.empty x
                let h, th, v = tr.Values["H"], tr.Values["theta"], tr.States["V"]
                tr.Spikes
                |> Array2D.mapi (fun t j s -> v[t, j] = (if s = 1.0 then h[t, j] - th[t, j] else h[t, j]))
                |> Seq.cast<bool> |> Seq.forall id)

        yield! lawRows "DA-LIF with alpha 1 and beta lambda equals leaky LIF with decay lambda on tensors" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let unsquashed = Builtins.daLifWith Squash.None 1.0
            let cases = Gen.zip3 (floatIn -1.0 1.0) (floatIn 0.1 2.0) (Gen.zip (inputs 20 5 3.0) (Gen.elements [ true; false ]))
            forAll cases (fun (lambda, vth, (x, asTensors)) ->
                let da =
                    if asTensors then
                        // alpha and beta as learnable tensors, the way training sees them.
                        tensorRunWith (interpreter interp) (Neuron.withParam "threshold" vth unsquashed |> Result.toOption |> Option.get) (Map [ "alpha", 1.0; "beta", lambda ]) x
                    else tensorRunWith (interpreter interp) unsquashed (Map [ "alpha", 1.0; "beta", lambda; "threshold", vth ]) x
                let lif = tensorRunWith (interpreter interp) Builtins.leakyLif (Map [ "decay", lambda; "threshold", vth ]) x
                da.Spikes = lif.Spikes && da.States["V"] = lif.States["V"])

        yield! lawRows "DA-LIF with tanh squashing on tensors equals unsquashed DA-LIF given the tanh of the raw values" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let cases = Gen.zip3 (floatIn -3.0 3.0) (floatIn -3.0 3.0) (inputs 20 5 3.0)
            forAll cases (fun (a, b, x) ->
                let squashed = tensorRunWith (interpreter interp) Builtins.daLif (Map [ "alpha", a; "beta", b ]) x
                // tanh evaluated by libtorch, as the eager squashed run does, so both eager runs see the same effective
                // values bit for bit; a fused kernel evaluates tanh itself (libm), within an ulp of libtorch's.
                let tanhT v = (scalar v).Tanh().ToScalar()
                let plain = tensorRunWith (interpreter interp) (Builtins.daLifWith Squash.None 1.0) (Map [ "alpha", tanhT a; "beta", tanhT b ]) x
                let tol = if interp = "eager" then 0.0 else 1e-12
                let near (e: float[,]) (g: float[,]) = Seq.forall2 (fun (u: float) v -> near (tol * max 1.0 (abs u)) u v) (cells e) (cells g)
                squashed.Spikes = plain.Spikes && near squashed.States["V"] plain.States["V"])

        yield! lawRows "soft reset spike train on tensors equals the input output recurrence of Theorem 1" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            forAll dyadic (fun (lambda, theta, x, asTensors) ->
                let raw = Map [ "decay", lambda; "threshold", theta ]
                let tr =
                    if asTensors then tensorRunWith (interpreter interp) Builtins.leakyLifSoft raw x
                    else
                        let n = raw |> Map.fold (fun n k v -> Neuron.withParam k v n |> Result.toOption |> Option.get) Builtins.leakyLifSoft
                        tensorRunWith (interpreter interp) n Map.empty x
                Seq.forall (fun j -> tr.Spikes[*, j] = Theorems.arLifTheorem1 lambda theta x[*, j]) (seq { 0 .. Array2D.length2 x - 1 }))

        yield! theory "the Theorem 1 tensor cases exercise both spiking and silent steps" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let spikes =
                Gen.sample 100 dyadic
                |> Seq.collect (fun (l, th, x, _) -> cells (tensorRunWith (interpreter interp) Builtins.leakyLifSoft (Map [ "decay", l; "threshold", th ]) x).Spikes)
            Expect.inRange (Seq.average spikes) 0.1 0.9 "Seq.average spikes"
    ]
