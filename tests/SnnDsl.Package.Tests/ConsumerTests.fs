/// A C# project written from scratch outside the repository, with a PackageReference to SnnDsl.CSharp only:
/// a neuron from the builder and a typed layer from a .neuron AdditionalFile, trained, saved, then loaded
/// and used in a second run. Built for linux-x64 (RID-specific: the shim lands beside the program); the
/// templates' tests build portable apps (the shim under runtimes/linux-x64/native/).
module SnnDsl.Package.Tests.ConsumerTests

open System.IO
open Expecto

let private project (version: string) = $"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
    <SelfContained>false</SelfContained>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="SnnDsl.CSharp" Version="{version}" />
    <AdditionalFiles Include="pulse.neuron" />
  </ItemGroup>
</Project>
"""

let private neuron = """neuron pulse "leaky integrate-and-fire with a learnable threshold, hard reset"
option decay = 0.6            "membrane decay"
learn  vth   = 0.8 per-channel "firing threshold"
state  V     = 0              "membrane potential"
H  = decay * V + X
S  = spike[atan 2](H - vth)
V <- H * (1 - S)
"""

let private program = """using SnnDsl.CSharp;
using SnnDsl.CSharp.Generated;

var data = Datasets.Synthetic(trainCount: 256, testCount: 64);
if (args.Length == 0)
{
    var lif = NeuronBuilder.Create("consumer-lif").Leaky(decay: 0.5).Threshold(1.0, learnable: true).Fire(Surrogate.Atan()).SoftReset().Build();
    // SpikingPulse() and GeneratedNeurons.Pulse come from pulse.neuron through the packaged generator.
    Console.WriteLine($"typed layer: {GeneratedNeurons.Pulse.Name}");
    using var network = NetworkBuilder.For(data.Train)
        .Conv2d(4, kernelSize: 3).BatchNorm2d().Spiking(lif).AvgPool2d(2)
        .Conv2d(8, kernelSize: 3).BatchNorm2d().SpikingPulse().AvgPool2d(2)
        .Flatten().Linear(data.Train.Classes).Build(seed: 1);
    using var trainer = new Trainer(network, new TrainingOptions { Epochs = 1, Timesteps = 2, BatchSize = 32 });
    var epoch = trainer.Fit(data).Final;
    Console.WriteLine($"trained epoch {epoch.Epoch}: loss {epoch.TrainLoss:F4}");
    network.Save("model.snnt");
    Console.WriteLine("saved model.snnt");
}
else
{
    using var network = Network.Load("model.snnt");
    var layers = string.Join(",", network.SpikingLayers.Select(l => l.Neuron.Name));
    var pixels = Enumerable.Range(0, 8).SelectMany(data.Test.GetSample).ToArray();
    using var images = Tensor.FromArray(pixels, new[] { 8 }.Concat(data.Test.SampleShape).ToArray());
    var predicted = network.Predict(images, 2);
    Console.WriteLine($"loaded neurons: {layers}");
    Console.WriteLine($"predicted {predicted.Length}: {string.Join(" ", predicted)}");
}
"""

[<Tests>]
let tests =
    testSequenced <| testList "consumer" [
        test "a C# project outside the repository with only a PackageReference trains, saves, then loads and predicts, with a typed layer from its .neuron file" {
            let root = Feed.folder "consumer"
            Feed.nugetConfig root |> ignore
            let app = Path.Combine(root, "Consumer")
            Directory.CreateDirectory app |> ignore
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), project Feed.version.Value)
            File.WriteAllText(Path.Combine(app, "pulse.neuron"), neuron)
            File.WriteAllText(Path.Combine(app, "Program.cs"), program)
            Dotnet.ok app [] 600 "dotnet" [ "build"; "-c"; "Release"; "-nologo"; "-v:q" ] |> ignore
            let bin = Path.Combine(app, "bin", "Release", "net10.0", "linux-x64")
            Expect.isTrue (File.Exists(Path.Combine(bin, "libsnndsl_native.so"))) "the shim beside the RID-specific program"
            // A fresh kernel cache: the fused kernels compile from the preludes inside the SnnDsl.Backends package.
            let kernels = Path.Combine(root, "kernels")
            let env = [ "SNNDSL_KERNEL_CACHE", kernels ]
            let dll = Path.Combine(bin, "Consumer.dll")
            let first = Dotnet.ok app env 600 "dotnet" [ dll ]
            Expect.stringContains first "typed layer: pulse" "the generated layer of pulse.neuron"
            Expect.stringContains first "saved model.snnt" "the first run saves"
            Expect.isTrue (File.Exists(Path.Combine(app, "model.snnt"))) "the checkpoint"
            Expect.isNonEmpty (Directory.GetFiles(kernels, "*.so", SearchOption.AllDirectories)) "a fused kernel compiled from the packaged preludes"
            let second = Dotnet.ok app env 600 "dotnet" [ dll; "predict" ]
            Expect.stringContains second "loaded neurons: consumer-lif,pulse" "the checkpoint rebuilds both neurons"
            Expect.stringContains second "predicted 8:" "the second run predicts"
        }
    ]
