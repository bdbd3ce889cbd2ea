/// The model zoo (docs/science.md, "Architectures"): every model builds and maps [T, N, C, H, W] to [T, N, classes];
/// parameter counts follow from the architectures.
module SnnDsl.Nn.Tests.ModelZooTests

open System
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Nn.Tests.Helpers

let private spiking neuron : SpikingFactory = fun ch -> new SpikingLayer(neuron, ch) :> Module

let private inputFor (name: string) =
    match name with
    | "small-conv" -> { Channels = 1; Height = 28; Width = 28; Classes = 7 }
    | "vggsnn" | "resnet20" -> { Channels = 2; Height = 48; Width = 48; Classes = 7 }
    | "fc" -> { Channels = 1; Height = 1; Width = 700; Classes = 7 }
    | _ -> { Channels = 3; Height = 32; Width = 32; Classes = 7 }

// Parameter counts by hand: conv without bias, BN weight and bias, linear with bias.
let private conv cin cout k = int64 (cin * cout * k * k)
let private bn c = int64 (2 * c)
let private linear i o = int64 (i * o + o)

[<Tests>]
let tests =
    testSequenced <| testList "ModelZoo" [
        testCase "every model of the zoo maps one sample at one step to one output per class" <| fun () ->
            Expect.equal (Models.names : string list) ([ "small-conv"; "vgg11"; "vgg13"; "vgg16"; "vggsnn"; "resnet18"; "resnet19"; "resnet20"; "fc" ]) "Models.names"
            for name in Models.names do
                let input = inputFor name
                use model = Models.create name (spiking Builtins.daLif) input
                model.Eval()
                use _ = Autograd.noGrad ()
                use _ = new TensorScope()
                let y = model.Forward(Tensor.Rand([| 1; 1; input.Channels; input.Height; input.Width |]))
                Expect.isTrue (y.Shape = [| 1; 1; 7 |]) ($"{name}: output shape {String.Join(',', y.Shape)}")
                for v in values y do Expect.isTrue (Double.IsFinite v) ($"{name}: non-finite output")

        testCase "the small conv net trains on a batch of several steps" <| fun () ->
            use model = Models.create "small-conv" (spiking Builtins.daLif) (inputFor "small-conv")
            use _ = new TensorScope()
            let y = model.Forward(Tensor.Rand([| 2; 3; 1; 28; 28 |]))
            Expect.equal (y.Shape : int[]) ([| 2; 3; 7 |]) "y.Shape"
            use labels = Tensor.FromArray([| 0L; 1L; 2L |])
            (Loss.compute Loss.ce y labels).Backward()
            for name, p in model.NamedParameters() do
                Expect.isTrue p.Grad.IsSome ($"{name} got no gradient")

        testCase "ResNet-20 with a 2-channel event stem has the parameters of its architecture" <| fun () ->
            let basic cin cout =
                conv cin cout 3 + bn cout + conv cout cout 3 + bn cout
                + (if cin <> cout then conv cin cout 1 + bn cout else 0L)
            let expected =
                conv 2 16 3 + bn 16
                + 3L * basic 16 16
                + basic 16 32 + 2L * basic 32 32
                + basic 32 64 + 2L * basic 64 64
                + linear 64 11
            use model = Models.resnet20 (spiking Builtins.lif) { Channels = 2; Height = 128; Width = 128; Classes = 11 }
            Expect.equal (model.ParameterCount()) expected "model.ParameterCount()"

        testCase "the fully connected SNN for SHD has the parameters of its description" <| fun () ->
            use model = Models.fc (spiking Builtins.lif) { Channels = 1; Height = 1; Width = 700; Classes = 20 }
            Expect.equal (model.ParameterCount()) (linear 700 256 + linear 256 256 + linear 256 20) "model.ParameterCount()"

        testCase "ResNet-19 has the parameters of its architecture" <| fun () ->
            let basic cin cout =
                conv cin cout 3 + bn cout + conv cout cout 3 + bn cout
                + (if cin <> cout then conv cin cout 1 + bn cout else 0L)
            let classes = 10
            let expected =
                conv 3 128 3 + bn 128
                + 3L * basic 128 128
                + basic 128 256 + 2L * basic 256 256
                + basic 256 512 + basic 512 512
                + linear 512 256 + linear 256 classes
            Expect.equal expected 12_697_994L "expected"
            let input = { Channels = 3; Height = 32; Width = 32; Classes = classes }
            do
                use lif = Models.resnet19 (spiking Builtins.lif) input
                Expect.equal (lif.ParameterCount()) expected "lif.ParameterCount()"
            // DA-LIF adds alpha and beta to each of its 18 spiking layers (stem, two per block, FC).
            use da = Models.resnet19 (spiking Builtins.daLif) input
            Expect.equal (da.ParameterCount()) (expected + 2L * 18L) "da.ParameterCount()"

        testCase "VGG-11 has the parameters of its architecture" <| fun () ->
            let convs = [ 3, 64; 64, 128; 128, 256; 256, 256; 256, 512; 512, 512; 512, 512; 512, 512 ]
            let classes = 10
            // Five 2x2 pools take 32x32 to 1x1 before the classifier.
            let expected = (convs |> List.sumBy (fun (i, o) -> conv i o 3 + bn o)) + linear 512 classes
            Expect.equal expected 9_228_362L "expected"
            let input = { Channels = 3; Height = 32; Width = 32; Classes = classes }
            do
                use lif = Models.vgg "vgg11" (spiking Builtins.lif) input
                Expect.equal (lif.ParameterCount()) expected "lif.ParameterCount()"
            use da = Models.vgg "vgg11" (spiking Builtins.daLif) input
            Expect.equal (da.ParameterCount()) (expected + 2L * 8L) "da.ParameterCount()"

        testCase "the small conv net has the parameters of its description" <| fun () ->
            use model = Models.smallConv (spiking Builtins.lif) { Channels = 1; Height = 28; Width = 28; Classes = 10 }
            let expected = conv 1 32 3 + bn 32 + conv 32 64 3 + bn 64 + linear (64 * 7 * 7) 10
            Expect.equal (model.ParameterCount()) expected "model.ParameterCount()"

        testCase "an unknown model name lists the valid ones and aliases are accepted" <| fun () ->
            let msg = throwsMessage<ArgumentException> (fun () -> Models.create "resnet50" (spiking Builtins.lif) (inputFor "vgg11") |> ignore)
            Expect.stringContains msg "unknown model 'resnet50'" "msg"
            Expect.stringContains msg "small-conv, vgg11, vgg13, vgg16, vggsnn, resnet18, resnet19, resnet20, fc" "msg"
            use m = Models.create " SmallConv " (spiking Builtins.lif) (inputFor "small-conv")
            Expect.isTrue (m.ParameterCount() > 0L) "m.ParameterCount() > 0L"

        testCase "a VGG on too small an input says how large it must be" <| fun () ->
            let msg =
                throwsMessage<ArgumentException> (fun () ->
                    Models.vgg "vgg11" (spiking Builtins.lif) { Channels = 3; Height = 16; Width = 16; Classes = 10 } |> ignore)
            Expect.stringContains msg "vgg11 needs inputs of at least 32 pixels" "msg"
    ]
