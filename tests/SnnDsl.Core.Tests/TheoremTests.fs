/// AR-LIF Theorem 1 (docs/science.md, "Theorem 1"): a soft-reset leaky neuron needs no membrane state.
module SnnDsl.Core.Tests.TheoremTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators


// Dyadic values keep every sum exact, so the two computations must agree bit for bit.
let private cases =
    gen {
        let! lambda = Gen.elements [ 0.25; 0.5; 0.75 ]
        let! theta = Gen.choose (1, 16) |> Gen.map (fun k -> float k / 8.0)
        let! t = Gen.choose (1, 16)
        let! n = Gen.choose (1, 4)
        let! sixteenths = Gen.arrayOfLength (t * n) (Gen.choose (-48, 64))
        return lambda, theta, Array2D.init t n (fun i j -> float sixteenths[i * n + j] / 16.0)
    }

[<Tests>]
let tests =
    testList "Theorem" [
        law "soft reset spike train equals the input output recurrence of Theorem 1" <| fun () ->
            forAll cases (fun (lambda, theta, x) ->
                let tr = Oracle.run Builtins.leakyLifSoft (Map [ "decay", lambda; "threshold", theta ]) x
                Seq.forall (fun j -> tr.Spikes[*, j] = Theorems.arLifTheorem1 lambda theta x[*, j]) (seq { 0 .. Array2D.length2 x - 1 }))

        testCase "the Theorem 1 cases exercise both spiking and silent steps" <| fun () ->
            // Guards the law above against a generator that never (or always) fires.
            let sample = Gen.sample 200 cases
            let spikes =
                sample |> Seq.collect (fun (l, th, x) -> cells (Oracle.run Builtins.leakyLifSoft (Map [ "decay", l; "threshold", th ]) x).Spikes)
            let rate = Seq.average spikes
            Expect.inRange rate 0.1 0.9 "rate"
    ]
