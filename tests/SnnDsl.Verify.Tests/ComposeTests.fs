/// Composition with a value bound before the charge, and a definition written with one `open`.
module SnnDsl.Verify.Tests.ComposeTests

open System.IO
open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core // the only open a definition needs: X, V, spike, bind, update, the combinators
open SnnDsl.Core.Tests.Generators
open SnnDsl.TestKit

let private examples = SnnDsl.TestKit.Repo.examples

/// The current-based LIF of examples/lif-syn.neuron, written with the combinators: the synaptic current is
/// bound once, read by the charge and by the update.
let lifSyn =
    let current, iT = bind "I_t" (Param "a" * State "I" + X)
    Neuron.compose
        { Name = "lif-syn"; Description = "current-based LIF"
          Params =
            [ ParamSpec.option "a" 0.8 "synaptic decay"; ParamSpec.option "b" 0.9 "membrane decay"
              ParamSpec.learnable "vth" 1.0 "firing threshold" |> ParamSpec.per Granularity.PerChannel ]
          States = [ StateSpec.create "I" 0.0 "synaptic current"; StateSpec.create "V" 0.0 "membrane potential" ]
          Charge = Param "b" * V + iT
          Threshold = Threshold.constant (Param "vth")
          Surrogate = Surrogate.atan
          Reset = Reset.soft
          Extra = [ current ]
          Updates = [ update "I" iT ] }

[<Tests>]
let tests =
    testList "compose" [
        test "an extra the charge reads is bound before H and computed once" {
            Expect.equal (lifSyn.Bindings |> List.map (fun b -> b.Name)) [ "I_t"; "H"; "theta"; "S" ] "I_t first"
            let p = Program.lower Program.learnable lifSyn
            let adds = p.Nodes |> Array.filter (fun n -> match n with Node.Op(Prim.Binary BinaryOp.Add, _) -> true | _ -> false)
            Expect.equal adds.Length 2 "a * I + X and b * V + I_t: the current is computed once"
        }

        test "extras the charge and threshold do not read stay after S (AR-LIF keeps its order)" {
            Expect.equal (Builtins.arLif.Bindings |> List.map (fun b -> b.Name)) [ "H"; "theta"; "S"; "g"; "M_t" ] "AR-LIF"
        }

        lawOn 200 "the composed synaptic LIF and the one in examples/lif-syn.neuron give the same spikes and states" <| fun () ->
            let file = NeuronText.loadNeuron (Path.Combine(examples, "lif-syn.neuron"))
            forAll (Gen.zip (inputs 16 4 3.0) (floatIn 0.2 2.0)) (fun (x, vth) ->
                let raw = Map [ "vth", [| vth |] ]
                let a = Oracle.runWith lifSyn raw Map.empty x
                let b = Oracle.runWith file raw Map.empty x
                a.Spikes = b.Spikes && a.States = b.States)
    ]
