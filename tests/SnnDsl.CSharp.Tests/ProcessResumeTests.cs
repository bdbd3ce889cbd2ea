using System.Diagnostics;
using SnnDsl.Torch;

namespace SnnDsl.CSharp.Tests;

/// <summary>
/// examples/CSharpResume: a C# run stopped after some batches and resumed in a second process from the checkpoint
/// alone (Network.Load + Trainer.Resume) ends with the parameters and optimiser state of an uninterrupted run.
/// </summary>
public class ProcessResumeTests
{
    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SnnDsl.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no SnnDsl.sln above {AppContext.BaseDirectory}");
    }

    private static async Task<string> Run(params string[] arguments)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryRoot(), "examples", "CSharpResume", "bin", configuration, "net10.0", "CSharpResume.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
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
