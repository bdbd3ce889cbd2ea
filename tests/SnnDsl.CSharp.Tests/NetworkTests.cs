using static SnnDsl.CSharp.Tests.Helpers;

namespace SnnDsl.CSharp.Tests;

/// <summary>Building networks, running them, saving and loading them, and what happens when they are misused.</summary>
public class NetworkTests
{
    private static readonly TrainTestData Data = Datasets.Synthetic(trainCount: 64, testCount: 32);

    [Fact]
    public void Builder_tracks_shapes_and_forward_gives_time_first_outputs()
    {
        var b = SmallNet(Neurons.Lif);
        Assert.Equal(new[] { 10 }, b.CurrentShape);
        Assert.Equal(10, b.Layers.Count);
        using var net = b.Build(seed: 1);
        Assert.Equal(new[] { 1, 28, 28 }, net.InputShape);
        Assert.Equal(10, net.Classes);
        using var x = TimeMajor(Data.Test, count: 3, steps: 2);
        using var y = net.Forward(x);
        Assert.Equal(new[] { 2, 3, 10 }, y.Shape);
        Assert.All(y.ToFloatArray(), v => Assert.True(float.IsFinite(v)));
        var predictions = net.Predict(Images(Data.Test, 3), timesteps: 2);
        Assert.Equal(3, predictions.Length);
        Assert.All(predictions, p => Assert.InRange(p, 0, 9));
    }

    [Fact]
    public void Same_seed_same_weights()
    {
        using var a = SmallNet(Neurons.Lif).Build(seed: 5);
        using var b = SmallNet(Neurons.Lif).Build(seed: 5);
        using var c = SmallNet(Neurons.Lif).Build(seed: 6);
        Assert.Equal(a.GetParameter("0.weight"), b.GetParameter("0.weight"));
        Assert.NotEqual(a.GetParameter("0.weight"), c.GetParameter("0.weight"));
    }

    [Fact]
    public void Zoo_models_run_any_neuron()
    {
        Assert.Contains("small-conv", Models.Names);
        using var net = Models.Create("small-conv", NeuronBuilder.Create("n").Leaky(0.25).Threshold(0.8).HardReset().Build(), Data.Train, seed: 2);
        Assert.Equal(2, net.SpikingLayers.Count);
        Assert.All(net.SpikingLayers, l => Assert.Equal("n", l.Neuron.Name));
        using var x = TimeMajor(Data.Test, 2, 2);
        using var y = net.Forward(x);
        Assert.Equal(new[] { 2, 2, 10 }, y.Shape);
    }

    [Fact]
    public void Save_then_load_gives_identical_outputs()
    {
        var path = Path.Combine(Path.GetTempPath(), $"snndsl-cs-{Guid.NewGuid():N}.snnt");
        try
        {
            using var x = TimeMajor(Data.Test, 4, 3);
            using var a = SmallNet(Neurons.DaLif).Build(seed: 11);
            a.Save(path);
            using var b = SmallNet(Neurons.DaLif).Build(seed: 12);
            using (var before = b.Forward(x))
            using (var reference = a.Forward(x))
                Assert.NotEqual(reference.ToFloatArray(), before.ToFloatArray());
            b.LoadParameters(path);
            using var ya = a.Forward(x);
            using var yb = b.Forward(x);
            Assert.Equal(ya.ToFloatArray(), yb.ToFloatArray());
            Assert.Equal(a.GetParameter("2.alpha"), b.GetParameter("2.alpha"));
            // The file alone rebuilds the network: architecture, neurons and parameters.
            using var c = Network.Load(path);
            using var yc = c.Forward(x);
            Assert.Equal(ya.ToFloatArray(), yc.ToFloatArray());
            Assert.Equal(a.Layers, c.Layers);
            Assert.Equal(a.InputShape, c.InputShape);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Loading_into_another_structure_or_a_missing_file_is_a_clear_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"snndsl-cs-{Guid.NewGuid():N}.snnt");
        try
        {
            using var a = SmallNet(Neurons.Lif).Build(seed: 1);
            a.Save(path);
            using var wider = new NetworkBuilder(1, 28, 28).Conv2d(6, 3).BatchNorm2d().Spiking(Neurons.Lif).AvgPool2d(2)
                .Conv2d(8, 3).BatchNorm2d().Spiking(Neurons.Lif).AvgPool2d(2).Flatten().Linear(10).Build();
            var e = Assert.Throws<SnnDsl.Core.SnnException>(() => wider.LoadParameters(path));
            Assert.Equal(SnnDsl.Core.ErrorKind.Data, e.Kind);
            Assert.Contains("0.weight", e.Message);
            Assert.Contains("[6, 1, 3, 3]", e.Message);
            // A network of another neuron: the first mismatching layer is named, nothing loads silently.
            using var plif = SmallNet(Neurons.Plif).Build(seed: 1);
            var other = Assert.Throws<SnnDsl.Core.SnnException>(() => plif.LoadParameters(path));
            Assert.Contains("spiking layer '2'", other.Message);
            Assert.Contains("lif", other.Message);
            var missing = Assert.Throws<SnnDsl.Core.SnnException>(() => a.LoadParameters(path + ".missing"));
            Assert.Contains(path + ".missing", missing.Message);
            Assert.Throws<SnnDsl.Core.SnnException>(() => Network.Load(path + ".missing"));
            // A truncated file is a data error naming the file.
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var truncated = Assert.Throws<SnnDsl.Core.SnnException>(() => Network.Load(path));
            Assert.Equal(SnnDsl.Core.ErrorKind.Data, truncated.Kind);
            Assert.Contains(path, truncated.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Wrong_input_shapes_name_the_expected_and_the_actual_shape()
    {
        using var net = SmallNet(Neurons.Lif).Build(seed: 1);
        using var rgb = Tensor.Zeros(2, 3, 3, 28, 28);
        var e = Assert.Throws<ArgumentException>(() => net.Forward(rgb));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("[T, N, 1, 28, 28]", e.Message);
        Assert.Contains("[2, 3, 3, 28, 28]", e.Message);
        using var flat = Tensor.Zeros(3, 784);
        var p = Assert.Throws<ArgumentException>(() => net.Predict(flat));
        Assert.Equal("images", p.ParamName);
        Assert.Contains("[3, 784]", p.Message);
        using var doubles = Tensor.FromArray(new double[784], 1, 1, 1, 28, 28);
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => net.Forward(doubles)).Message);
        using var empty = Tensor.Zeros(0, 3, 1, 28, 28);
        Assert.Contains("at least one step and one sample", Assert.Throws<ArgumentException>(() => net.Forward(empty)).Message);
        using var layer = new SpikingLayer(Neurons.Lif, 4);
        using var scalar = Tensor.Zeros(5);
        Assert.Contains("[T, N, ...]", Assert.Throws<ArgumentException>(() => layer.Forward(scalar)).Message);
    }

    [Fact]
    public void Per_channel_and_per_neuron_parameters_get_their_shapes()
    {
        Neuron WithThreshold(Granularity g) =>
            NeuronBuilder.Create("vth-" + g).Leaky(0.5).Threshold(1.0, learnable: true, granularity: g).SoftReset().Build();
        using var channels = new SpikingLayer(WithThreshold(Granularity.PerChannel), 4);
        using var three = Tensor.Zeros(2, 1, 3, 5, 5);
        var e = Assert.Throws<ArgumentException>(() => channels.Forward(three));
        Assert.Contains("[T, N, 4, ...]", e.Message);
        Assert.Contains("[2, 1, 3, 5, 5]", e.Message);
        using var four = Tensor.FromArray(Enumerable.Repeat(0.7f, 2 * 4 * 25).ToArray(), 2, 1, 4, 5, 5);
        using var spikes = channels.Forward(four);
        Assert.Equal(new[] { 2, 1, 4, 5, 5 }, spikes.Shape);
        // 0.7, then 0.35 + 0.7 = 1.05: every neuron fires at the second step only.
        Assert.Equal(100, spikes.ToFloatArray().Sum());

        var perNeuron = WithThreshold(Granularity.PerNeuron);
        Assert.Equal("perNeuronShape", Assert.Throws<ArgumentException>(() => new SpikingLayer(perNeuron, 4)).ParamName);
        Assert.Equal("neuron", Assert.Throws<ArgumentException>(() => Models.Create("small-conv", perNeuron, 1, 28, 28, 10)).ParamName);
        using var net = new NetworkBuilder(1, 8, 8).Conv2d(2, 3).Spiking(perNeuron).Flatten().Linear(3).Build(seed: 1);
        Assert.Equal(2 * 8 * 8, net.GetParameter("1.threshold").Length);
        using var x = Tensor.Zeros(2, 1, 1, 8, 8);
        using var y = net.Forward(x);
        Assert.Equal(new[] { 2, 1, 3 }, y.Shape);
    }

    [Fact]
    public void Tensor_data_must_fit_its_shape()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[10], 3, 4));
        Assert.Equal("data", e.ParamName);
        Assert.Contains("[3, 4] holds 12 elements but the data has 10", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, -1));
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => Tensor.FromArray((float[])null!, 1)).ParamName);
        using var vector = Tensor.FromArray(new[] { 1f, 2f, 3f });
        Assert.Equal(new[] { 3 }, vector.Shape);
        using var t = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, 2, 3);
        Assert.Equal(new[] { 2, 3 }, t.Shape);
        Assert.Equal("float64", t.ElementType);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, t.ToFloatArray());
    }

    [Fact]
    public void Builder_misuse_is_reported_where_it_happens()
    {
        var b = new NetworkBuilder(1, 28, 28).Conv2d(4, 3).Flatten();
        Assert.Contains("[C, H, W]", Assert.Throws<InvalidOperationException>(() => b.Conv2d(4, 3)).Message);
        Assert.Contains("call Flatten() first", Assert.Throws<InvalidOperationException>(() => new NetworkBuilder(1, 28, 28).Linear(10)).Message);
        Assert.Contains("ends at [4, 28, 28]", Assert.Throws<InvalidOperationException>(() => new NetworkBuilder(1, 28, 28).Conv2d(4, 3).Build()).Message);
        Assert.Contains("too small", Assert.Throws<InvalidOperationException>(() => new NetworkBuilder(1, 4, 4).AvgPool2d(8)).Message);
        Assert.Equal("outChannels", Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkBuilder(1, 4, 4).Conv2d(0, 3)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => new NetworkBuilder(1, 4, 4).Dropout(1.0)).ParamName);
        Assert.Equal("neuron", Assert.Throws<ArgumentNullException>(() => new NetworkBuilder(1, 4, 4).Spiking(null!)).ParamName);
        Assert.Equal("device", Assert.Throws<ArgumentException>(() => SmallNet(Neurons.Lif).Build(device: "tpu")).ParamName);
    }

    [Fact]
    public void Unknown_models_and_too_small_inputs_are_clear_errors()
    {
        var e = Assert.Throws<ArgumentException>(() => Models.Create("resnet50", Neurons.Lif, 1, 28, 28, 10));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("valid models: small-conv, vgg11", e.Message);
        var small = Assert.Throws<ArgumentException>(() => Models.Create("vgg11", Neurons.Lif, 1, 28, 28, 10));
        Assert.Contains("at least 32x32", small.Message);
        Assert.Equal("classes", Assert.Throws<ArgumentOutOfRangeException>(() => Models.Create("small-conv", Neurons.Lif, 1, 28, 28, 0)).ParamName);
    }

    [Fact]
    public void Disposed_objects_throw_ObjectDisposedException()
    {
        var net = SmallNet(Neurons.Lif).Build(seed: 1);
        using var x = TimeMajor(Data.Test, 1, 1);
        net.Dispose();
        net.Dispose(); // idempotent
        Assert.True(net.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => net.Forward(x));
        Assert.Throws<ObjectDisposedException>(() => net.ParameterCount);
        Assert.Throws<ObjectDisposedException>(() => net.Save("unused.snnt"));
        Assert.Throws<ObjectDisposedException>(() => new Trainer(net));
        var t = Tensor.Zeros(2);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        Assert.Throws<ObjectDisposedException>(() => t.ToFloatArray());
        Assert.Throws<ObjectDisposedException>(() => net.Forward(t));
        var layer = new SpikingLayer(Neurons.Lif, 2);
        layer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => layer.FiringRate);
    }

    [Fact]
    public void Forward_frees_everything_it_does_not_return()
    {
        using var net = SmallNet(Neurons.ArLif).Build(seed: 1);
        using var x = TimeMajor(Data.Test, 2, 2);
        using (net.Forward(x)) { }
        var before = SnnRuntime.LiveTensors;
        for (var i = 0; i < 20; i++)
        {
            using var y = net.Forward(x);
            using var images = Images(Data.Test, 2);
            _ = net.Predict(images, 2);
        }
        // Finalizers of earlier tests' garbage may lower the count; a leak raises it by 20 or more.
        Assert.True(SnnRuntime.LiveTensors <= before, $"{SnnRuntime.LiveTensors - before} tensors more than before");
    }
}
