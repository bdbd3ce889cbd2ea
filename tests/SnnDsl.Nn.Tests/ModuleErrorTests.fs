/// The F# API's errors name the problem as the C# facade's do: a disposed module says it was disposed (not
/// that a TensorScope freed a tensor), an input of another dtype than the model's parameters is a usage error
/// that names both dtypes (not libtorch's bare "expected scalar type").
module SnnDsl.Nn.Tests.ModuleErrorTests

open System
open Expecto
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn

let private spiking neuron : SpikingFactory = fun ch -> new SpikingLayer(neuron, ch) :> Module

let private mnist = { Channels = 1; Height = 28; Width = 28; Classes = 10 }

/// The usage error that f raises.
let private usageError (f: unit -> unit) : string =
    match Expect.throwsC f id with
    | :? SnnException as e ->
        Expect.equal e.Kind ErrorKind.Usage $"a usage error: {e.Message}"
        e.Message
    | other -> failtest $"expected an SnnException, got {other.GetType().Name}: {other.Message}"

/// The ObjectDisposedException that f raises.
let private disposedError (f: unit -> unit) : ObjectDisposedException =
    match Expect.throwsC f id with
    | :? ObjectDisposedException as e -> e
    | other -> failtest $"expected an ObjectDisposedException, got {other.GetType().Name}: {other.Message}"

[<Tests>]
let tests =
    testSequenced <| testList "ModuleErrors" [
        testCase "Forward on a disposed model says the model was disposed, not that a TensorScope freed a tensor" <| fun () ->
            use _ = new TensorScope()
            let model = Models.smallConv (spiking Builtins.lif) mnist
            model.Dispose()
            Expect.isTrue model.IsDisposed "IsDisposed"
            let e = disposedError (fun () -> model.Forward(Tensor.Rand([| 1; 1; 1; 28; 28 |])) |> ignore)
            Expect.stringContains e.Message "Sequential was disposed" "names the module"
            Expect.isFalse (e.Message.Contains "TensorScope") $"does not blame a TensorScope: {e.Message}"

        testCase "a disposed layer names itself, and disposing twice is harmless" <| fun () ->
            use _ = new TensorScope()
            let layer = new Linear(4, 2)
            layer.Dispose()
            layer.Dispose()
            let e = disposedError (fun () -> layer.Forward(Tensor.Rand([| 1; 1; 4 |])) |> ignore)
            Expect.stringContains e.Message "Linear(4->2) was disposed" "names the layer"

        testCase "a float64 input to a float32 model is a usage error naming both dtypes and the first layer" <| fun () ->
            use _ = new TensorScope()
            use model = Models.smallConv (spiking Builtins.lif) mnist
            let msg = usageError (fun () -> model.Forward(Tensor.Rand([| 1; 1; 1; 28; 28 |], DType.Float64)) |> ignore)
            Expect.stringContains msg "Conv2d(1->32" "names the layer"
            Expect.stringContains msg "the input is float64 but the model's parameters are float32" "names both dtypes"
            Expect.isFalse (msg.Contains "expected scalar type") $"not libtorch's message: {msg}"

        testCase "Linear, BatchNorm and a spiking layer with learnable parameters check the input's dtype" <| fun () ->
            use _ = new TensorScope()
            use linear = new Linear(3, 2)
            use bn = new BatchNorm(3)
            use spike = new SpikingLayer(Builtins.daLif, 3)
            let x = Tensor.Rand([| 2; 1; 3 |], DType.Float64)
            for m in [ linear :> Module; bn; spike ] do
                let msg = usageError (fun () -> m.Forward x |> ignore)
                Expect.stringContains msg "the input is float64 but the model's parameters are float32" (m.Describe())
            // The same layers accept float32 inputs.
            let y = linear.Forward(x.To(DType.Float32))
            Expect.equal y.Shape [| 2; 1; 2 |] "float32 runs"
    ]
