using System.Diagnostics;
using SnnDsl.Torch;

namespace SnnDsl.CSharp.Tests;

/// <summary>
/// examples/CSharpResume: a C# run stopped after some batches and resumed in a second process from the checkpoint
/// alone (Network.Load + Trainer.Resume) ends with the parameters and optimiser state of an uninterrupted run.
/// </summary>
public class ProcessResumeTests
{
    private static async Task<string> Run(params string[] arguments)
    {
        var dll = Helpers.ExampleDll("CSharpResume");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var errors = await stderr;
        Assert.True(process.ExitCode == 0, $"CSharpResume {string.Join(' ', arguments)}: exit code {process.ExitCode}\n{stdout}\n{errors}");
        return stdout;
    }

    /// <summary>The bits of every parameter, buffer and optimiser tensor of a checkpoint, by name.</summary>
    private static SortedDictionary<string, byte[]> Bits(string checkpoint)
    {
        var entries = TensorFile.load(checkpoint, Device.Cpu);
        try
        {
            var bits = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (name, t) in entries)
            {
                if (!(name.StartsWith("param/") || name.StartsWith("buffer/") || name.StartsWith("optim/"))) continue;
                using var d = t.To(DType.Float64);
                bits[name] = d.ToArray<double>().SelectMany(BitConverter.GetBytes).ToArray();
            }
            return bits;
        }
        finally
        {
            foreach (var (_, t) in entries) t.Dispose();
        }
    }

    [Fact]
    public async Task A_run_stopped_and_resumed_in_another_process_ends_bitwise_equal_to_an_uninterrupted_run()
    {
        var root = Directory.CreateTempSubdirectory("snndsl-cs-resume-").FullName;
        try
        {
            var whole = Path.Combine(root, "whole");
            var parts = Path.Combine(root, "parts");
            await Run("train", whole);
            // 16 batches per epoch: stop in the middle of epoch 1, then finish in a second process.
            Assert.Contains("stopped after 5 batches", await Run("train", parts, "--stop-after", "5"));
            Assert.Contains("finished: 2 epoch(s)", await Run("resume", parts));
            var expected = Bits(Path.Combine(whole, "checkpoint.snnt"));
            var actual = Bits(Path.Combine(parts, "checkpoint.snnt"));
            Assert.Equal(expected.Keys, actual.Keys);
            Assert.Contains(expected.Keys, k => k.StartsWith("optim/"));
            foreach (var (name, bits) in expected)
                Assert.True(bits.SequenceEqual(actual[name]), $"{name} differs between the uninterrupted and the resumed run");
            Assert.Equal(File.ReadAllLines(Path.Combine(whole, "metrics.jsonl")).Length, File.ReadAllLines(Path.Combine(parts, "metrics.jsonl")).Length);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}

/// <summary>Two ranks of a data-parallel run, each a thread with its own network and trainer, meeting over loopback.</summary>
public class DistributedTrainingTests
{
    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task Two_ranks_train_the_same_replicas_and_only_rank_0_writes()
    {
        var data = Datasets.Synthetic(trainCount: 128, testCount: 64, seed: 3);
        var master = $"127.0.0.1:{FreePort()}";
        var dir = Directory.CreateTempSubdirectory("snndsl-cs-dp-").FullName;
        try
        {
            float[][] Rank(int rank)
            {
                using var net = new NetworkBuilder(1, 28, 28)
                    .Conv2d(4, kernelSize: 3).BatchNorm2d().Spiking(Neurons.Lif).AvgPool2d(2)
                    .Flatten().Linear(10).Build(seed: 1 + rank); // different seeds: rank 0's weights win at the start
                var options = new TrainingOptions
                {
                    Epochs = 1, Timesteps = 2, BatchSize = 16, Threads = 1, CheckpointEvery = 0,
                    OutputDirectory = Path.Combine(dir, $"rank{rank}"),
                    Distributed = new DistributedOptions(rank, 2, master) { SyncBatchNorm = true, Timeout = TimeSpan.FromSeconds(60) },
                };
                using var trainer = new Trainer(net, options);
                var result = trainer.Fit(data);
                Assert.Single(result.Epochs);
                return net.ParameterNames.Select(net.GetParameter).ToArray();
            }
            var ranks = new[] { Task.Factory.StartNew(() => Rank(0), TaskCreationOptions.LongRunning), Task.Factory.StartNew(() => Rank(1), TaskCreationOptions.LongRunning) };
            var done = await Task.WhenAll(ranks).WaitAsync(TimeSpan.FromMinutes(3));
            Assert.Equal(done[0].Length, done[1].Length);
            for (var i = 0; i < done[0].Length; i++) Assert.Equal(done[0][i], done[1][i]);
            Assert.True(File.Exists(Path.Combine(dir, "rank0", "checkpoint.snnt")));
            Assert.False(Directory.Exists(Path.Combine(dir, "rank1")) && Directory.EnumerateFiles(Path.Combine(dir, "rank1")).Any());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bad_distributed_options_name_the_setting()
    {
        using var net = new NetworkBuilder(1, 28, 28).Flatten().Linear(10).Build();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(net, new TrainingOptions { Distributed = new DistributedOptions(2, 2, "127.0.0.1:1") }));
        Assert.Equal("Rank", e.ParamName);
        var m = Assert.Throws<ArgumentException>(() => new Trainer(net, new TrainingOptions { Distributed = new DistributedOptions(0, 2, "localhost") }));
        Assert.Contains("HOST:PORT", m.Message);
    }
}
