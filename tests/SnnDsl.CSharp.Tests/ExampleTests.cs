using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SnnDsl.CSharp.Tests;

/// <summary>examples/CSharpConsumer, built with the solution, runs to the end and prints its accuracy.</summary>
public class ExampleTests
{
    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SnnDsl.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no SnnDsl.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task CSharpConsumer_trains_on_synthetic_data_and_prints_its_accuracy()
    {
        // The example is built in the same configuration as this assembly (bin/<Configuration>/net10.0).
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryRoot(), "examples", "CSharpConsumer", "bin", configuration, "net10.0", "CSharpConsumer.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var errors = await stderr;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{stdout}\n{errors}");
        var m = Regex.Match(stdout, @"test accuracy: (\d\.\d{4})\s*$");
        Assert.True(m.Success, "no accuracy line at the end:\n" + stdout);
        var accuracy = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(accuracy, 0.3, 1.0);
        Assert.Contains("lif-vth: leaky LIF with a learnable threshold", stdout);
        Assert.Contains("64/64 predictions agree", stdout);
    }
}
