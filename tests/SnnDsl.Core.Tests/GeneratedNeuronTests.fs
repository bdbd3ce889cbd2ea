/// The random-neuron generator only makes neurons the language accepts and the oracle can run.
module SnnDsl.Core.Tests.GeneratedNeuronTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators

let private finite (a: float[,]) = cells a |> Seq.forall System.Double.IsFinite

[<Tests>]
let tests =
    testList "GeneratedNeuron" [
        law "every generated neuron validates and the oracle yields finite values" <| fun () ->
            let cases = Gen.zip (neuron everything) (inputs 12 3 3.0)
            forAll cases (fun (n, x) ->
                let tr = Oracle.run n Map.empty x
                let g = Oracle.gradients n Map.empty x
                Neuron.validate n = Ok n
                && finite tr.Spikes
                && Seq.forall finite tr.States.Values
                && Seq.forall finite tr.Values.Values
                && finite g.Inputs
                && Seq.forall System.Double.IsFinite g.Params.Values)

        law "spiking generated neurons output only 0 and 1" <| fun () ->
            forAll (Gen.zip (neuron everything) (inputs 12 3 3.0)) (fun (n, x) ->
                cells (Oracle.run n Map.empty x).Spikes |> Seq.forall (fun s -> s = 0.0 || s = 1.0))

        law "a generated neuron's description has one line per binding and update" <| fun () ->
            forAll (neuron everything) (fun n ->
                (Describe.equations n).Length = n.Bindings.Length + n.Updates.Length)

        testCase "a law that is false is reported as a failure" <| fun () ->
            // The harness itself must be able to fail, or every law above would be vacuous.
            Expect.raisesAny<exn> (fun () -> check (floatIn -1.0 1.0) (fun x -> x < 0.9)) |> ignore
    ]
