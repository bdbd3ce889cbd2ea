/// Laws every built-in neuron obeys on random inputs.
module SnnDsl.Core.Tests.BuiltinLawTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators

// Random learnable parameters in [-2, 2]; fixed options keep their defaults.
let private withRandomLearnables (n: Neuron) =
    n.Params
    |> List.filter (fun p -> p.Learnable)
    |> List.map (fun p -> floatIn -2.0 2.0 |> Gen.map (fun v -> p.Name, v))
    |> Gen.sequenceToList
    |> Gen.map (fun kv -> n, Map.ofList kv)

let private hardReset = [ "if"; "lif"; "leaky-lif"; "plif"; "da-lif" ]
let private softReset = [ "lif-soft"; "leaky-lif-soft"; "alif" ]

[<Tests>]
let tests =
    testList "BuiltinLaw" [
        testCase "the hard and soft lists cover every built-in but ar-lif" <| fun () ->
            Expect.equal (List.sort Builtins.names : string list) (List.sort (hardReset @ softReset @ [ "ar-lif" ])) "List.sort Builtins.names"

        law "spikes of every built-in are exactly 0 or 1" <| fun () ->
            let cases = Gen.zip (builtin |> Gen.bind withRandomLearnables) (inputs 20 4 3.0)
            forAll cases (fun ((n, raw), x) ->
                Oracle.run n raw x |> fun tr -> cells tr.Spikes |> Seq.forall (fun s -> s = 0.0 || s = 1.0))

        law "after a hard reset V equals the reset value wherever S is 1" <| fun () ->
            let cases =
                gen {
                    let! n = Gen.elements (Builtins.all |> List.filter (fun n -> List.contains n.Name hardReset))
                    let! _, raw = withRandomLearnables n
                    let! reset = floatIn -1.0 0.5
                    let! x = inputs 20 4 3.0
                    return n, raw |> Map.add "reset" reset, x
                }
            forAll cases (fun (n, raw, x) ->
                let tr = Oracle.run n raw x
                let v = tr.States["V"]
                let fired = tr.Spikes |> Array2D.mapi (fun t j s -> s <> 1.0 || v[t, j] = raw["reset"])
                Seq.cast<bool> fired |> Seq.forall id)

        law "after a soft reset V equals H minus theta wherever S is 1 and H otherwise" <| fun () ->
            let cases =
                gen {
                    let! n = Gen.elements (Builtins.all |> List.filter (fun n -> List.contains n.Name softReset))
                    let! x = inputs 20 4 3.0
                    return n, x
                }
            forAll cases (fun (n, x) ->
                let tr = Oracle.run n Map.empty x
                let h, th, v = tr.Values["H"], tr.Values["theta"], tr.States["V"]
                tr.Spikes
                |> Array2D.mapi (fun t j s -> v[t, j] = (if s = 1.0 then h[t, j] - th[t, j] else h[t, j]))
                |> Seq.cast<bool> |> Seq.forall id)

        law "DA-LIF with effective alpha 1 and beta lambda equals leaky LIF with decay lambda" <| fun () ->
            let unsquashed = Builtins.daLifWith Squash.None 1.0
            let cases = Gen.zip3 (floatIn -1.0 1.0) (floatIn 0.1 2.0) (inputs 20 4 3.0)
            forAll cases (fun (lambda, vth, x) ->
                let da = Oracle.run unsquashed (Map [ "alpha", 1.0; "beta", lambda; "threshold", vth ]) x
                let lif = Oracle.run Builtins.leakyLif (Map [ "decay", lambda; "threshold", vth ]) x
                da.Spikes = lif.Spikes && da.States["V"] = lif.States["V"])

        law "DA-LIF with tanh squashing equals unsquashed DA-LIF given the tanh of the raw values" <| fun () ->
            let cases = Gen.zip3 (floatIn -3.0 3.0) (floatIn -3.0 3.0) (inputs 20 4 3.0)
            forAll cases (fun (a, b, x) ->
                let squashed = Oracle.run Builtins.daLif (Map [ "alpha", a; "beta", b ]) x
                let plain = Oracle.run (Builtins.daLifWith Squash.None 1.0) (Map [ "alpha", tanh a; "beta", tanh b ]) x
                squashed.Spikes = plain.Spikes && squashed.States["V"] = plain.States["V"])

        law "IF equals leaky LIF with decay 1" <| fun () ->
            forAll (inputs 20 4 3.0) (fun x ->
                let iF = Oracle.run Builtins.integrateAndFire Map.empty x
                let lif = Oracle.run Builtins.leakyLif (Map [ "decay", 1.0 ]) x
                iF.Spikes = lif.Spikes && iF.States["V"] = lif.States["V"])

        law "PLIF at its initial w equals decay-input LIF with tau 2" <| fun () ->
            // sigmoid(0) = 0.5 exactly and multiplying by 0.5 equals dividing by 2, so the runs are identical.
            forAll (inputs 20 4 3.0) (fun x ->
                let plif = Oracle.run Builtins.plif Map.empty x
                let lif = Oracle.run Builtins.lif Map.empty x
                plif.Spikes = lif.Spikes && plif.States["V"] = lif.States["V"])

        law "ALIF threshold at step t depends only on the spikes before t" <| fun () ->
            let cases = Gen.zip3 (floatIn 0.0 0.99) (floatIn 0.0 3.0) (inputs 20 4 4.0)
            forAll cases (fun (rho, scale, x) ->
                let tr = Oracle.run Builtins.alif (Map [ "rho", rho; "scale", scale ]) x
                let theta = tr.Values["theta"]
                // b_t = sum_{k<t} rho^(t-1-k) (1 - rho) S_k, written independently of the oracle's recurrence.
                theta
                |> Array2D.mapi (fun t j th ->
                    let b = Seq.sum (seq { for k in 0 .. t - 1 -> pown rho (t - 1 - k) * (1.0 - rho) * tr.Spikes[k, j] })
                    abs (th - (1.0 + scale * b)) <= 1e-12)
                |> Seq.cast<bool> |> Seq.forall id)

        testCase "AR-LIF keeps the spike in its reset path attached" <| fun () ->
            let v = Builtins.arLif.Updates |> List.find (fun u -> u.Name = "V")
            Expect.isFalse (Expr.fold (fun found e -> found || (match e with Detach _ -> true | _ -> false)) false v.Expr) "Expr.fold (fun found e -> found || (match e with Detach _ -> true | _ -> false)) false ..."
            let detached = Reset.apply (Reset.detached (Reset.adaptive (Ref "theta")))
            Expect.equal detached (Ref "H" - Detach(Ref "S") * Ref "theta") "detached"
    ]
