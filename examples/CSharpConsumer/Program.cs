// Defines LIF with a learnable threshold through the C# facade, builds a two-layer conv SNN with it,
// trains one epoch and prints the test accuracy.
//
//   dotnet run --project examples/CSharpConsumer -c Release                      # embedded synthetic data
//   dotnet run --project examples/CSharpConsumer -c Release -- ../shared/data/fashion-mnist
//   ... -- [DATA_DIR] [--neuron NAME] [--limit-train N] [--limit-test N]
//
// --neuron picks another neuron by name from the generated layers (e.g. da-lif); Ctrl+C cancels training.
using SnnDsl.CSharp;
using SnnDsl.CSharp.Generated;

string? dataDir = null;
string? neuronName = null;
int limitTrain = 0, limitTest = 0;
const string usage = "usage: CSharpConsumer [DATA_DIR] [--neuron NAME] [--limit-train N] [--limit-test N]";
for (var i = 0; i < args.Length; i++)
{
    var flag = args[i];
    string? value = flag.StartsWith("--") && i + 1 < args.Length ? args[i + 1] : null;
    if (flag is "--help" or "-h")
    {
        Console.WriteLine(usage);
        return 0;
    }
    if (!flag.StartsWith("--"))
    {
        dataDir = flag;
        continue;
    }
    i++;
    var count = int.TryParse(value, out var n) && n >= 0 ? n : -1;
    switch (flag)
    {
        case "--neuron" when value is not null: neuronName = value; break;
        case "--limit-train" when count >= 0: limitTrain = count; break;
        case "--limit-test" when count >= 0: limitTest = count; break;
        default:
            Console.Error.WriteLine($"bad option {flag} {value}\n{usage}");
            return 2;
    }
}

// LIF with a learnable threshold: H = decay * V + X, theta = threshold (trained), soft reset.
var lifVth = NeuronBuilder.Create("lif-vth")
    .WithDescription("leaky LIF with a learnable threshold, soft reset")
    .Leaky(decay: 0.5)
    .Threshold(1.0, learnable: true)
    .Fire(Surrogate.Atan())
    .SoftReset()
    .Build();

// Any other neuron comes from the generated layers: every DSL neuron of the referenced assemblies.
var neuron = neuronName is null ? lifVth : GeneratedNeurons.All.FirstOrDefault(n => n.Name == neuronName);
if (neuron is null)
{
    Console.Error.WriteLine($"unknown neuron '{neuronName}'; generated: {string.Join(", ", GeneratedNeurons.All.Select(n => n.Name))}");
    return 2;
}
Console.WriteLine(neuron.Describe());

// Synthetic: 1,000 training and 500 test images of 10 procedural shapes, generated in memory.
var data = dataDir is null ? Datasets.Synthetic(trainCount: 1000, testCount: 500) : Datasets.Load("fashion-mnist", dataDir);
Console.WriteLine($"data: {data.Train} | {data.Test}");

NetworkBuilder Architecture() => NetworkBuilder.For(data.Train)
    .Conv2d(8, kernelSize: 3).BatchNorm2d().Spiking(neuron).AvgPool2d(2)
    .Conv2d(16, kernelSize: 3).BatchNorm2d().Spiking(neuron).AvgPool2d(2)
    .Flatten().Linear(data.Train.Classes);

using var network = Architecture().Build(seed: 1);
Console.WriteLine($"{network}");
foreach (var line in network.Layers) Console.WriteLine("  " + line);

var options = new TrainingOptions { Epochs = 1, Timesteps = 4, BatchSize = 32, LimitTrain = limitTrain, LimitTest = limitTest };
using var trainer = new Trainer(network, options);
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

TrainingResult result;
try
{
    result = trainer.Fit(data, new ConsoleProgress(), cts.Token);
}
catch (OperationCanceledException)
{
    Console.WriteLine("training cancelled");
    return 130;
}

var epoch = result.Final;
Console.WriteLine($"epoch {epoch.Epoch}: train loss {epoch.TrainLoss:F4}, train accuracy {epoch.TrainAccuracy:F4}, {epoch.Seconds:F1} s");
foreach (var rate in epoch.FiringRates) Console.WriteLine($"  firing rate {rate.Layer}: {rate.Rate:F3}");
foreach (var p in epoch.NeuronParameters)
    Console.WriteLine(p.IsPerChannel
        ? $"  {p.Layer} {p.Parameter}: mean {p.Mean:F4}, [{p.Min:F4}, {p.Max:F4}] over {p.Values.Count} channels"
        : $"  {p.Layer} {p.Parameter} = {p.Mean:F4}");

// Save, rebuild the network from the file alone, and check that both predict alike.
var path = Path.Combine(Path.GetTempPath(), $"csharp-consumer-{Environment.ProcessId}.snnt");
network.Save(path);
using (var reloaded = Network.Load(path))
{
    var count = Math.Min(64, data.Test.Count);
    var pixels = Enumerable.Range(0, count).SelectMany(data.Test.GetSample).ToArray();
    using var images = Tensor.FromArray(pixels, new[] { count }.Concat(data.Test.SampleShape).ToArray());
    var same = network.Predict(images, options.Timesteps).Zip(reloaded.Predict(images, options.Timesteps)).Count(p => p.First == p.Second);
    Console.WriteLine($"reloaded from {path}: {same}/{count} predictions agree");
}
File.Delete(path);

Console.WriteLine($"test accuracy: {epoch.TestAccuracy:F4}");
return 0;

/// <summary>Prints every tenth training batch and each epoch's end (synchronously, in order).</summary>
sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress p)
    {
        if (p.Phase == TrainingPhase.Training && (p.Batch % 10 == 0 || p.Batch == p.Batches))
            Console.WriteLine($"  epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches}: loss {p.Loss:F4}, accuracy {p.Accuracy:F3}, {p.SamplesPerSecond:F0} samples/s");
        else if (p.Phase == TrainingPhase.EpochCompleted)
            Console.WriteLine($"  epoch {p.Epoch} done: test loss {p.Loss:F4}, test accuracy {p.Accuracy:F4}");
    }
}
