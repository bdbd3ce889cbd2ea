/// The module tree: hierarchical names, modes, ownership of parameters, construction device, and the
/// messages of shape errors.
module SnnDsl.Nn.Tests.ModuleTreeTests

open System
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Nn.Tests.Helpers

let private daLif ch = new SpikingLayer(Builtins.daLif, ch) :> Module

[<Tests>]
let tests =
    testSequenced <| testList "ModuleTree" [
        testCase "parameters and buffers are registered under hierarchical dotted names" <| fun () ->
            use model =
                new Sequential(
                    [ new Conv2d(1, 2, 3) :> Module
                      new BatchNorm(2)
                      daLif 2
                      new Sequential([ new Flatten() :> Module; new Linear(3, 2) ]) ])
            let names = model.NamedParameters() |> List.map fst
            Expect.equal (names : string list) ([ "0.weight"; "1.weight"; "1.bias"; "2.alpha"; "2.beta"; "3.1.weight"; "3.1.bias" ]) "names"
            let buffers = model.NamedBuffers() |> List.map fst
            Expect.equal (buffers : string list) ([ "1.running_mean"; "1.running_var" ]) "buffers"
            let modules = model.NamedModules() |> List.map fst
            Expect.equal (modules : string list) ([ ""; "0"; "1"; "2"; "3"; "3.0"; "3.1" ]) "modules"
            // 2*1*3*3 + 2 + 2 + 2 (alpha, beta) + 3*2 + 2
            Expect.equal (model.ParameterCount()) (18L + 4L + 2L + 8L) "model.ParameterCount()"

        testCase "a residual block names its paths main and shortcut" <| fun () ->
            use block = Blocks.basicBlock daLif 2 4 2
            let names = block.NamedParameters() |> List.map fst
            Expect.contains names "0.main.0.weight" "names"
            Expect.contains names "0.main.2.alpha" "names"
            Expect.contains names "0.shortcut.0.weight" "names"
            Expect.contains names "0.shortcut.1.bias" "names"
            Expect.contains names "1.beta" "names"
            Expect.contains (block.NamedBuffers() |> List.map fst) "0.shortcut.1.running_var" "block.NamedBuffers() |> List.map fst"

        testCase "parameters are leaves that require grad and buffers do not" <| fun () ->
            use model = new Sequential([ new Conv2d(1, 2, 3) :> Module; new BatchNorm(2); daLif 2 ])
            for name, p in model.NamedParameters() do
                Expect.isTrue p.RequiresGrad ($"{name} should require grad")
                Expect.isTrue p.IsLeaf ($"{name} should be a leaf")
            for name, b in model.NamedBuffers() do
                Expect.isFalse b.RequiresGrad ($"{name} should not require grad")

        testCase "Train and Eval reach every module of the tree" <| fun () ->
            use model = Blocks.basicBlock daLif 2 2 1
            let modes () = model.NamedModules() |> List.map (fun (_, m) -> m.IsTraining)
            for m in modes () do Expect.isTrue m "m"
            model.Eval()
            for m in modes () do Expect.isFalse m "m"
            model.Train true
            for m in modes () do Expect.isTrue m "m"

        testCase "parameters built inside a TensorScope outlive it while temporaries do not" <| fun () ->
            let model, temporary =
                use _ = new TensorScope()
                let t = Tensor.Ones([| 2 |])
                let m = new Sequential([ new Conv2d(1, 2, 3) :> Module; new BatchNorm(2); daLif 2 ])
                m, t
            Expect.isTrue temporary.IsDisposed "temporary.IsDisposed"
            for name, p in model.NamedParameters() @ model.NamedBuffers() do
                Expect.isFalse p.IsDisposed ($"{name} was freed by the scope it was created in")
            do
                use _ = new TensorScope()
                let y = model.Forward(Tensor.Ones([| 1; 1; 1; 4; 4 |]))
                Expect.equal (y.Shape : int[]) ([| 1; 1; 2; 4; 4 |]) "y.Shape"
            model.Dispose()
            for name, p in model.NamedParameters() @ model.NamedBuffers() do
                Expect.isTrue p.IsDisposed ($"{name} survived the model's Dispose")

        testCase "disposing a model that has run forwards releases every tensor it holds" <| fun () ->
            GC.Collect()
            GC.WaitForPendingFinalizers()
            let before = Torch.liveTensors ()
            do
                use model = Models.smallConv (fun ch -> new SpikingLayer(Builtins.daLif, ch)) { Channels = 1; Height = 8; Width = 8; Classes = 3 }
                use _ = new TensorScope()
                model.Forward(Tensor.Rand([| 2; 2; 1; 8; 8 |])) |> ignore
                model.Forward(Tensor.Rand([| 2; 2; 1; 8; 8 |])) |> ignore
            Expect.equal (Torch.liveTensors ()) before "Torch.liveTensors ()"

        testCase "Module.CreateOn sets the construction device for this thread until disposed" <| fun () ->
            Expect.equal Module.ConstructionDevice Device.Cpu "Module.ConstructionDevice"
            do
                use _ = Module.CreateOn(Device.Cuda 0)
                Expect.equal Module.ConstructionDevice (Device.Cuda 0) "Module.ConstructionDevice"
                let other = ref Device.Cpu
                let th = Thread(fun () -> other.Value <- Module.ConstructionDevice)
                th.Start()
                th.Join()
                Expect.equal other.Value Device.Cpu "other.Value"
                do
                    use _ = Module.CreateOn Device.Cpu
                    Expect.equal Module.ConstructionDevice Device.Cpu "Module.ConstructionDevice"
                Expect.equal Module.ConstructionDevice (Device.Cuda 0) "Module.ConstructionDevice"
            Expect.equal Module.ConstructionDevice Device.Cpu "Module.ConstructionDevice"

        testCase "layers built under CreateOn put parameters, buffers and neuron parameters on that device" <| fun () ->
            let device = if Torch.cudaAvailable () then Device.Cuda 0 else Device.Cpu
            let model =
                use _ = Module.CreateOn device
                new Sequential([ new Conv2d(1, 2, 3, bias = true) :> Module; new BatchNorm(2); daLif 2; new Flatten(); new Linear(32, 3) ])
            use _ = model
            for name, t in model.NamedParameters() @ model.NamedBuffers() do
                Expect.isTrue (t.Device = device) ($"{name} is on {t.Device}, expected {device}")
            use _ = new TensorScope()
            let y = model.Forward(Tensor.Ones([| 2; 1; 1; 4; 4 |], device = device))
            Expect.equal (y.Shape : int[]) ([| 2; 1; 3 |]) "y.Shape"

        testCase "shape errors name the layer, what it expects and what it got" <| fun () ->
            use _ = new TensorScope()
            use conv = new Conv2d(3, 8, 3)
            let m1 = throwsMessage<ArgumentException> (fun () -> conv.Forward(Tensor.Zeros([| 2; 3; 8; 8 |])) |> ignore)
            Expect.stringContains m1 "Conv2d expects [T, N, C, H, W]" "m1"
            Expect.stringContains m1 "2, 3, 8, 8" "m1"
            let m2 = throwsMessage<ArgumentException> (fun () -> conv.Forward(Tensor.Zeros([| 1; 2; 4; 8; 8 |])) |> ignore)
            Expect.stringContains m2 "Conv2d(3->8) got 4 input channels" "m2"
            use lin = new Linear(10, 2)
            let m3 = throwsMessage<ArgumentException> (fun () -> lin.Forward(Tensor.Zeros([| 1; 2; 9 |])) |> ignore)
            Expect.stringContains m3 "Linear(10->2) got 9 input features" "m3"
            use bn = new BatchNorm(4)
            let m4 = throwsMessage<ArgumentException> (fun () -> bn.Forward(Tensor.Zeros([| 1; 2; 3; 5; 5 |])) |> ignore)
            Expect.stringContains m4 "BatchNorm(4) expects [T, N, 4, ...]" "m4"
            let m5 = throwsMessage<ArgumentException> (fun () -> Time.merged id (Tensor.Zeros([| 5 |])) |> ignore)
            Expect.stringContains m5 "expected an input [T, N, ...]" "m5"
            use spiking = new SpikingLayer(Builtins.lif, 4)
            let m6 = throwsMessage<ArgumentException> (fun () -> spiking.Forward(Tensor.Zeros([| 5 |])) |> ignore)
            Expect.stringContains m6 "expected an input [T, N, ...]" "m6"
    ]
