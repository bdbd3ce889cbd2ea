// A C# training run that stops and resumes exactly, in another process, from its checkpoint alone.
//
//   dotnet run --project examples/CSharpResume -c Release -- train DIR [--stop-after N]
//       builds a small conv SNN (DA-LIF) and trains it for 2 epochs on 512 embedded synthetic images, writing a
//       checkpoint into DIR after every batch; with --stop-after it stops after N batches, as a killed run would
//   dotnet run --project examples/CSharpResume -c Release -- resume DIR
//       rebuilds the network from DIR/checkpoint.snnt alone (Network.Load), restores the optimiser and the
//       position (Trainer.Resume) and trains the remaining batches and epochs
//
// A run stopped and resumed ends with the parameters of an uninterrupted run, bit for bit (the C# tests check it).
using SnnDsl.CSharp;

const string usage = "usage: CSharpResume train DIR [--stop-after N] | resume DIR";
if (args.Length < 2 || args[0] is not ("train" or "resume"))
{
    Console.Error.WriteLine(usage);
    return 2;
}
var dir = Path.GetFullPath(args[1]);
var stopAfter = args.Length == 4 && args[2] == "--stop-after" && int.TryParse(args[3], out var n) && n > 0 ? n : 0;
if (args.Length != 2 && stopAfter == 0)
{
    Console.Error.WriteLine(usage);
    return 2;
}

// The data is generated in code, the same in every process.
var data = Datasets.Synthetic(trainCount: 512, testCount: 128, seed: 3);
var checkpoint = Path.Combine(dir, "checkpoint.snnt");

Network network;
Trainer trainer;
if (args[0] == "train")
{
    network = NetworkBuilder.For(data.Train)
        .Conv2d(8, kernelSize: 3).BatchNorm2d().Spiking(Neurons.DaLif).AvgPool2d(2)
        .Conv2d(16, kernelSize: 3).BatchNorm2d().Spiking(Neurons.DaLif).AvgPool2d(2)
        .Flatten().Linear(data.Train.Classes)
        .Build(seed: 1);
    var options = new TrainingOptions
    {
        Epochs = 2, Timesteps = 2, BatchSize = 32, Threads = 1, OutputDirectory = dir, CheckpointEvery = 1,
    };
    trainer = new Trainer(network, options);
}
else
{
    // Everything comes from the file: the architecture, the neurons, the parameters, the options, the
    // optimiser's state and where the run stood.
    network = Network.Load(checkpoint);
    trainer = Trainer.Resume(network, checkpoint);
}

using (network)
using (trainer)
using (var cts = new CancellationTokenSource())
{
    var progress = new Stopper(stopAfter, cts);
    try
    {
        var result = trainer.Fit(data, progress, cts.Token);
        Console.WriteLine($"finished: {result.Epochs.Count} epoch(s) trained in this process, test accuracy {result.Final.TestAccuracy:F4}");
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"stopped after {stopAfter} batches; the checkpoint in {dir} holds the run");
    }
}
return 0;

/// <summary>Cancels the run after a number of batches (0: never); reports arrive on the training thread.</summary>
sealed class Stopper(int stopAfter, CancellationTokenSource cts) : IProgress<TrainingProgress>
{
    private int _batches;

    public void Report(TrainingProgress p)
    {
        if (p.Phase == TrainingPhase.Training && ++_batches == stopAfter) cts.Cancel();
    }
}
