using static SnnDsl.CSharp.Tests.Helpers;

namespace SnnDsl.CSharp.Tests;

/// <summary>NIR from C#: export a built network, import it back, run it; refusals are SnnExceptions.</summary>
public class NirTests
{
    private static readonly TrainTestData Data = Datasets.Synthetic(trainCount: 8, testCount: 4);

    [Fact]
    public void Nir_export_then_import_gives_the_same_outputs()
    {
        var dir = Path.Combine(Path.GetTempPath(), "snndsl-nir-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            using var net = SmallNet(Neurons.Lif).Build(seed: 3);
            var path = Path.Combine(dir, "net.nir");
            Nir.Export(net, path, dt: 0.5);
            using var back = Nir.Import(path, dt: 0.5, backend: NeuronBackend.Eager);
            Assert.Equal(net.InputShape, back.InputShape);
            using var x = TimeMajor(Data.Test, count: 2, steps: 3);
            using var a = net.Forward(x);
            using var b = back.Forward(x);
            Assert.Equal(a.Shape, b.Shape);
            var expected = a.ToFloatArray();
            var actual = b.ToFloatArray();
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Nir_export_of_ar_lif_is_a_usage_error_saying_why()
    {
        using var net = SmallNet(Neurons.ArLif).Build(seed: 1);
        var e = Assert.Throws<SnnDsl.Core.SnnException>(() => Nir.Export(net, Path.Combine(Path.GetTempPath(), "never.nir")));
        Assert.Equal(SnnDsl.Core.ErrorKind.Usage, e.Kind);
        Assert.Contains("input-dependent threshold", e.Message);
    }
}
