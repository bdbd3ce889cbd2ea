/// NeuronRunner's checks: parameter tensors of the wrong shape and (opt-in) non-finite inputs get SnnDsl
/// errors that name the problem.
module SnnDsl.Verify.Tests.RunnerTests

open Expecto
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Backends
open SnnDsl.Training

let private perChannel =
    { Builtins.daLif with Params = Builtins.daLif.Params |> List.map (fun p -> if p.Learnable then ParamSpec.per Granularity.PerChannel p else p) }

let private error (f: unit -> unit) =
    try
        f ()
        failtest "no error"
    with :? SnnException as e -> e

[<Tests>]
let tests =
    testList "runner" [
        test "a [1, C] parameter tensor where [C] is due is a usage error naming both shapes" {
            use scope = new TensorScope()
            let runner = NeuronRunner(perChannel, Backend.Eager)
            let x = Tensor.Randn([| 2; 4; 3 |])
            let e = error (fun () -> runner.Run(Map [ "alpha", Tensor.Ones([| 1; 3 |]); "beta", Tensor.Ones([| 3 |]) ], None, x) |> ignore)
            Expect.equal e.Kind ErrorKind.Usage "a usage error"
            Expect.equal e.Message "neuron 'da-lif': parameter 'alpha' is per channel, so its tensor must be [C] = [3] for inputs [2, 4, 3], got [1, 3]" "the message"
            let spikes, _ = runner.Run(Map [ "alpha", Tensor.Ones([| 3 |]); "beta", Tensor.Ones([| 3 |]) ], None, x)
            Expect.equal spikes.Shape [| 2; 4; 3 |] "[C] runs"
        }

        test "with CheckFinite a NaN input is a data error; without, the run goes on" {
            use scope = new TensorScope()
            let runner = NeuronRunner(Builtins.lif, Backend.Eager)
            let x = Tensor.FromArray([| 0.5; nan; 1.5; 2.0 |], [| 2; 2 |])
            runner.Run(Map.empty, None, x) |> ignore
            runner.CheckFinite <- true
            let e = error (fun () -> runner.Run(Map.empty, None, x) |> ignore)
            Expect.equal e.Kind ErrorKind.Data "a data error"
            Expect.stringContains e.Message "1 of the 4 input values are NaN or infinite" e.Message
        }

        test "TrainConfig.CheckFinite (snn train --check-finite) turns the check on in every spiking layer" {
            let config = { TrainConfig.defaults with CheckFinite = true; LimitTrain = 32; LimitTest = 32; Timesteps = 2; Threads = 1 }
            use session = Session.create config
            let layers = Trainer.spikingLayers session.Model
            Expect.isNonEmpty layers "spiking layers"
            for name, l in layers do
                Expect.isTrue l.CheckFinite name
        }
    ]
