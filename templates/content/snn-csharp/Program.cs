// SnnApp: a spiking network in C# with SnnDsl.
//
//   dotnet run            first run: trains one epoch on the synthetic dataset and saves network.snnt;
//                         later runs: load network.snnt and predict
//   dotnet run -- --fresh train again from scratch
//
// Two neurons: lif-vth, written here with the builder, and my-lif, written as text in my-lif.neuron (an
// AdditionalFile: the source generator gives it GeneratedNeurons.MyLif and NetworkBuilder.SpikingMyLif()).
using SnnDsl.CSharp;
using SnnDsl.CSharp.Generated;

const string checkpoint = "network.snnt";
const int timesteps = 4;

// Synthetic: procedural shapes of 10 classes, generated in memory (no download).
var data = Datasets.Synthetic(trainCount: 512, testCount: 128);

if (args.Contains("--fresh") && File.Exists(checkpoint)) File.Delete(checkpoint);

if (!File.Exists(checkpoint))
{
    // H = decay * V + X, theta = a learnable threshold, S = spike(H - theta) with an atan surrogate, V = H - theta * S.
    var lifVth = NeuronBuilder.Create("lif-vth")
        .WithDescription("leaky LIF with a learnable threshold, soft reset")
        .Leaky(decay: 0.5)
        .Threshold(1.0, learnable: true)
        .Fire(Surrogate.Atan())
        .SoftReset()
        .Build();
    Console.WriteLine(lifVth.Describe());
    Console.WriteLine(GeneratedNeurons.MyLif.Describe());

    using var network = NetworkBuilder.For(data.Train)
        .Conv2d(8, kernelSize: 3).BatchNorm2d().Spiking(lifVth).AvgPool2d(2)
        .Conv2d(16, kernelSize: 3).BatchNorm2d().SpikingMyLif().AvgPool2d(2)
        .Flatten().Linear(data.Train.Classes)
        .Build(seed: 1);
    Console.WriteLine(network);

    using var trainer = new Trainer(network, new TrainingOptions { Epochs = 1, Timesteps = timesteps, BatchSize = 32 });
    var epoch = trainer.Fit(data).Final;
    Console.WriteLine($"epoch {epoch.Epoch}: train loss {epoch.TrainLoss:F4}, test accuracy {epoch.TestAccuracy:F4}, {epoch.Seconds:F1} s");
    network.Save(checkpoint);
    Console.WriteLine($"saved {checkpoint}; run again to load it and predict");
    return 0;
}

// The checkpoint alone rebuilds the network: its layers, both neurons and the learned parameters.
using var loaded = Network.Load(checkpoint);
Console.WriteLine($"loaded {checkpoint}: {loaded}");
var count = Math.Min(32, data.Test.Count);
var pixels = Enumerable.Range(0, count).SelectMany(data.Test.GetSample).ToArray();
using var images = Tensor.FromArray(pixels, new[] { count }.Concat(data.Test.SampleShape).ToArray());
var predicted = loaded.Predict(images, timesteps);
var correct = predicted.Where((label, i) => label == data.Test.GetLabel(i)).Count();
Console.WriteLine($"predicted: {string.Join(" ", predicted)}");
Console.WriteLine($"{correct}/{count} test images predicted correctly");
return 0;
