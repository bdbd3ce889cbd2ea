/// The random-neuron generator only makes neurons the language accepts and the oracle can run.
module SnnDsl.Core.Tests.GeneratedNeuronTests

open Xunit
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators

let private finite (a: float[,]) = Law.cells a |> Seq.forall System.Double.IsFinite

[<Fact>]
let ``every generated neuron validates and the oracle yields finite values`` () =
    let cases = Gen.zip (neuron everything) (inputs 12 3 3.0)
    Law.check cases (fun (n, x) ->
        let tr = Oracle.run n Map.empty x
        let g = Oracle.gradients n Map.empty x
        Neuron.validate n = Ok n
        && finite tr.Spikes
        && Seq.forall finite tr.States.Values
        && Seq.forall finite tr.Values.Values
        && finite g.Inputs
        && Seq.forall System.Double.IsFinite g.Params.Values)

[<Fact>]
let ``spiking generated neurons output only 0 and 1`` () =
    Law.check (Gen.zip (neuron everything) (inputs 12 3 3.0)) (fun (n, x) ->
        Law.cells (Oracle.run n Map.empty x).Spikes |> Seq.forall (fun s -> s = 0.0 || s = 1.0))

[<Fact>]
let ``a generated neuron's description has one line per binding and update`` () =
    Law.check (neuron everything) (fun n ->
        (Describe.equations n).Length = n.Bindings.Length + n.Updates.Length)

[<Fact>]
let ``a law that is false is reported as a failure`` () =
    // The harness itself must be able to fail, or every law above would be vacuous.
    Assert.ThrowsAny<exn>(fun () -> Law.check (floatIn -1.0 1.0) (fun x -> x < 0.9)) |> ignore
