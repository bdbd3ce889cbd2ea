// libtorch's generator and thread count are process-wide: tests that train or seed run one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace SnnDsl.CSharp.Tests;

/// <summary>Helpers shared by the tests.</summary>
internal static class Helpers
{
    /// <summary>The repository root: the nearest ancestor of the test assembly holding SnnDsl.sln (the C# twin of
    /// the F# TestKit's Repo.root, which a C# project cannot reference without FSharp.Core and Expecto).</summary>
    public static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SnnDsl.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no SnnDsl.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>A file under examples/.</summary>
    public static string Example(string file) => Path.Combine(Root, "examples", file);

    /// <summary>The built DLL of an example program under examples/, in this assembly's configuration.</summary>
    public static string ExampleDll(string name)
    {
        // Examples are built in the same configuration as this assembly (bin/<Configuration>/net10.0).
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(Root, "examples", name, "bin", configuration, "net10.0", name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");
        return dll;
    }

    /// <summary>Deterministic inputs [T, N] in roughly [-0.5, 2].</summary>
    public static double[,] Inputs(int steps, int neurons, int seed = 7)
    {
        var rng = new Random(seed);
        var x = new double[steps, neurons];
        for (var t = 0; t < steps; t++)
            for (var j = 0; j < neurons; j++) x[t, j] = rng.NextDouble() * 2.5 - 0.5;
        return x;
    }

    /// <summary>The largest absolute difference between two tables of the same size.</summary>
    public static double MaxDiff(double[,] a, double[,] b)
    {
        Assert.Equal(a.GetLength(0), b.GetLength(0));
        Assert.Equal(a.GetLength(1), b.GetLength(1));
        var d = 0.0;
        for (var t = 0; t < a.GetLength(0); t++)
            for (var j = 0; j < a.GetLength(1); j++) d = Math.Max(d, Math.Abs(a[t, j] - b[t, j]));
        return d;
    }

    /// <summary>Asserts two simulations agree on spikes and on every state and binding.</summary>
    public static void SameRun(SimulationResult expected, SimulationResult actual, double tolerance = 1e-12)
    {
        Assert.Equal(0.0, MaxDiff(expected.Spikes, actual.Spikes));
        Assert.Equal(expected.States.Keys.OrderBy(k => k), actual.States.Keys.OrderBy(k => k));
        foreach (var (name, table) in expected.States) Assert.True(MaxDiff(table, actual.States[name]) <= tolerance, $"state {name}");
        Assert.Equal(expected.Values.Keys.OrderBy(k => k), actual.Values.Keys.OrderBy(k => k));
        foreach (var (name, table) in expected.Values) Assert.True(MaxDiff(table, actual.Values[name]) <= tolerance, $"binding {name}");
    }

    /// <summary>A float32 batch [N, C, H, W] of the first samples of a dataset.</summary>
    public static Tensor Images(Dataset data, int count)
    {
        var pixels = Enumerable.Range(0, count).SelectMany(data.GetSample).ToArray();
        return Tensor.FromArray(pixels, new[] { count }.Concat(data.SampleShape).ToArray());
    }

    /// <summary>The same images repeated over T steps: [T, N, C, H, W].</summary>
    public static Tensor TimeMajor(Dataset data, int count, int steps)
    {
        var one = Enumerable.Range(0, count).SelectMany(data.GetSample).ToArray();
        var pixels = Enumerable.Repeat(one, steps).SelectMany(a => a).ToArray();
        return Tensor.FromArray(pixels, new[] { steps, count }.Concat(data.SampleShape).ToArray());
    }

    /// <summary>A small two-layer conv SNN for 28x28 grey images.</summary>
    public static NetworkBuilder SmallNet(Neuron neuron, int classes = 10) =>
        new NetworkBuilder(1, 28, 28)
            .Conv2d(4, kernelSize: 3).BatchNorm2d().Spiking(neuron).AvgPool2d(2)
            .Conv2d(8, kernelSize: 3).BatchNorm2d().Spiking(neuron).AvgPool2d(2)
            .Flatten().Linear(classes);

    /// <summary>LIF with a learnable threshold, built with the facade.</summary>
    public static Neuron LifVth() =>
        NeuronBuilder.Create("lif-vth").Leaky(decay: 0.5).Threshold(1.0, learnable: true).Fire(Surrogate.Atan()).SoftReset().Build();
}

/// <summary>Collects progress reports synchronously, in order (Progress&lt;T&gt; would post them elsewhere).</summary>
internal sealed class ListProgress : IProgress<TrainingProgress>
{
    private readonly Action<TrainingProgress>? _onReport;

    public ListProgress(Action<TrainingProgress>? onReport = null) => _onReport = onReport;

    public List<TrainingProgress> Reports { get; } = new();

    public void Report(TrainingProgress value)
    {
        Reports.Add(value);
        _onReport?.Invoke(value);
    }
}
