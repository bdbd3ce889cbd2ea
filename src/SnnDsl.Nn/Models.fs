namespace SnnDsl.Nn

open System
open SnnDsl.Torch

/// What a model needs to know about its input.
type InputSpec =
    { /// Channels per sample (C of [C, H, W]).
      Channels: int
      /// Height of a sample in pixels.
      Height: int
      /// Width of a sample in pixels.
      Width: int
      /// How many classes the model outputs.
      Classes: int }

/// The model zoo (docs/science.md, "Architectures"). Every model maps [T, N, C, H, W] to outputs [T, N, classes] and takes
/// the spiking layer to use as a factory.
[<RequireQualifiedAccess>]
module Models =
    /// The default small conv SNN for 28x28 inputs: conv3x3(C->32)+BN+spike, avgpool 2,
    /// conv3x3(32->64)+BN+spike, avgpool 2, linear(64*H/4*W/4 -> classes).
    let smallConv (spiking: SpikingFactory) (input: InputSpec) : Module =
        new Sequential(
            [ new Conv2d(input.Channels, 32, 3, padding = 1); new BatchNorm(32); spiking 32; new AvgPool2d(2)
              new Conv2d(32, 64, 3, padding = 1); new BatchNorm(64); spiking 64; new AvgPool2d(2)
              new Flatten(); new Linear(64 * (input.Height / 4) * (input.Width / 4), input.Classes) ]
        )

    let private vggConfigs =
        dict
            [ "vgg11", [ 64; 0; 128; 0; 256; 256; 0; 512; 512; 0; 512; 512; 0 ]
              "vgg13", [ 64; 64; 0; 128; 128; 0; 256; 256; 0; 512; 512; 0; 512; 512; 0 ]
              "vgg16", [ 64; 64; 0; 128; 128; 0; 256; 256; 256; 0; 512; 512; 512; 0; 512; 512; 512; 0 ]
              // VGGSNN (CIFAR10-DVS, 48x48): 64, 128, P, 256, 256, P, 512, 512, P, 512, 512, P, FC.
              "vggsnn", [ 64; 128; 0; 256; 256; 0; 512; 512; 0; 512; 512; 0 ] ]

    /// VGG with BN (0 in the config = 2x2 average pool), then a linear classifier on the flattened map.
    let vgg (name: string) (spiking: SpikingFactory) (input: InputSpec) : Module =
        let config = vggConfigs[name]
        let layers = ResizeArray<Module>()
        let mutable channels = input.Channels
        let mutable h, w = input.Height, input.Width
        for c in config do
            if c = 0 then
                layers.Add(new AvgPool2d(2))
                h <- h / 2
                w <- w / 2
            else
                layers.Add(Blocks.convBnSpike spiking channels c 1)
                channels <- c
        if h < 1 || w < 1 then invalidArg "input" $"{name} needs inputs of at least {pown 2 (config |> List.filter ((=) 0) |> List.length)} pixels"
        layers.Add(new Flatten())
        layers.Add(new Linear(channels * h * w, input.Classes))
        new Sequential(layers)

    /// ResNet-19 (tdBN / TET): conv3x3(128)+BN+spike; BasicBlocks 3x128, 3x256 (stride 2), 2x512 (stride 2);
    /// global average pool; FC 256 + spike; FC classes.
    let resnet19 (spiking: SpikingFactory) (input: InputSpec) : Module =
        let layers = ResizeArray<Module>([ Blocks.convBnSpike spiking input.Channels 128 1 ])
        let mutable cin = 128
        for cout, blocks, stride in [ 128, 3, 1; 256, 3, 2; 512, 2, 2 ] do
            for i in 0 .. blocks - 1 do
                layers.Add(Blocks.basicBlock spiking cin cout (if i = 0 then stride else 1))
                cin <- cout
        layers.AddRange([ new AdaptiveAvgPool2d(1, 1) :> Module; new Flatten(); new Linear(512, 256); spiking 256; new Linear(256, input.Classes) ])
        new Sequential(layers)

    /// ResNet-20 (He et al.'s CIFAR ResNet with tdBN/TET BasicBlocks): conv3x3(C->16)+BN+spike, so a
    /// 2-channel event stem when C = 2; three stages of 3 BasicBlocks of 16, 32 (stride 2) and 64 (stride 2)
    /// channels; global average pool; FC classes.
    let resnet20 (spiking: SpikingFactory) (input: InputSpec) : Module =
        let layers = ResizeArray<Module>([ Blocks.convBnSpike spiking input.Channels 16 1 ])
        let mutable cin = 16
        for cout, stride in [ 16, 1; 32, 2; 64, 2 ] do
            for i in 0..2 do
                layers.Add(Blocks.basicBlock spiking cin cout (if i = 0 then stride else 1))
                cin <- cout
        layers.AddRange([ new AdaptiveAvgPool2d(1, 1) :> Module; new Flatten(); new Linear(64, input.Classes) ])
        new Sequential(layers)

    /// A small fully connected SNN (SHD/SSC, or any input flattened): linear(C*H*W -> 256) + spike,
    /// linear(256 -> 256) + spike, linear(256 -> classes).
    let fc (spiking: SpikingFactory) (input: InputSpec) : Module =
        let features = input.Channels * input.Height * input.Width
        new Sequential(
            [ new Flatten() :> Module; new Linear(features, 256); spiking 256; new Linear(256, 256); spiking 256
              new Linear(256, input.Classes) ]
        )

    /// Pre-activation ResNet-18 (AR-LIF, CIFAR): conv3x3(64) stem, blocks [2, 2, 2, 2] of 64..512 channels,
    /// BN + spike, AvgPool(4), FC.
    let resnet18 (spiking: SpikingFactory) (input: InputSpec) : Module =
        let layers = ResizeArray<Module>([ new Conv2d(input.Channels, 64, 3, padding = 1) :> Module ])
        let mutable cin = 64
        for cout, stride in [ 64, 1; 128, 2; 256, 2; 512, 2 ] do
            for i in 0..1 do
                layers.Add(Blocks.preActBlock spiking cin cout (if i = 0 then stride else 1))
                cin <- cout
        let side = input.Height / 8
        let pool = max 1 (min 4 side)
        layers.AddRange([ new BatchNorm(512) :> Module; spiking 512; new AvgPool2d(pool); new Flatten() ])
        let outSide = side / pool
        layers.Add(new Linear(512 * outSide * outSide, input.Classes))
        new Sequential(layers)

    /// Model names accepted by `create`.
    let names = [ "small-conv"; "vgg11"; "vgg13"; "vgg16"; "vggsnn"; "resnet18"; "resnet19"; "resnet20"; "fc" ]

    /// Builds a model by name; an unknown name lists the valid ones.
    let create (name: string) (spiking: SpikingFactory) (input: InputSpec) : Module =
        match name.Trim().ToLowerInvariant() with
        | "small-conv" | "smallconv" -> smallConv spiking input
        | "vgg11" | "vgg13" | "vgg16" | "vggsnn" as n -> vgg n spiking input
        | "resnet18" -> resnet18 spiking input
        | "resnet19" -> resnet19 spiking input
        | "resnet20" -> resnet20 spiking input
        | "fc" -> fc spiking input
        | other ->
            let valid = String.Join(", ", names)
            invalidArg "name" $"unknown model '{other}'; valid models: {valid}"
