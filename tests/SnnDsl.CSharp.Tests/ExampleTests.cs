using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SnnDsl.CSharp.Tests;

/// <summary>examples/CSharpConsumer, built with the solution, runs to the end and prints its accuracy.</summary>
public class ExampleTests
{
    [Fact]
    public async Task CSharpConsumer_trains_on_synthetic_data_and_prints_its_accuracy()
    {
        var dll = Helpers.ExampleDll("CSharpConsumer");
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
