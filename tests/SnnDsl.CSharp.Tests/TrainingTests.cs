using static SnnDsl.CSharp.Tests.Helpers;

namespace SnnDsl.CSharp.Tests;

/// <summary>Training and evaluation through the facade: results, progress, cancellation, files, misuse.</summary>
public class TrainingTests
{
    private static readonly TrainTestData Data = Datasets.Synthetic(trainCount: 480, testCount: 200);
    private static readonly TrainTestData LearningData = Datasets.Synthetic(trainCount: 960, testCount: 200);

    private static TrainingOptions Quick(int epochs = 1) => new() { Epochs = epochs, Timesteps = 4, BatchSize = 32, Threads = 2, Schedule = LearningRateSchedule.Constant };

    [Fact]
    public void One_epoch_with_a_learnable_threshold_trains_the_threshold_and_learns()
    {
        using var net = SmallNet(LifVth()).Build(seed: 1);
        var before = net.NeuronParameters();
        Assert.Equal(new[] { "threshold", "threshold" }, before.Select(p => p.Parameter));
        Assert.All(before, p => Assert.Equal(1.0, p.Value, 6));
        var options = Quick();
        options.BatchSize = 16;
        using var trainer = new Trainer(net, options);
        var progress = new ListProgress();

        var result = trainer.Fit(LearningData, progress);

        var epoch = Assert.Single(result.Epochs);
        Assert.Null(result.OutputDirectory);
        Assert.Equal(1, epoch.Epoch);
        // Chance is 0.1; this small network reaches about 0.75 here.
        Assert.True(epoch.TestAccuracy > 0.4, $"test accuracy {epoch.TestAccuracy}");
        Assert.True(epoch.TrainLoss < Math.Log(10), $"train loss {epoch.TrainLoss}");
        Assert.True(epoch.Seconds > 0);
        Assert.Equal(2, epoch.FiringRates.Count);
        Assert.All(epoch.FiringRates, r => Assert.InRange(r.Rate, 1e-4, 0.9));
        Assert.True(epoch.Energy.MacsPerSample > 0);

        var after = net.NeuronParameters();
        // One threshold per layer: the results hold it as a vector of one value.
        Assert.Equal(after.Select(p => (p.Layer, p.Parameter, p.Value)),
            epoch.NeuronParameters.Select(p => (p.Layer, p.Parameter, Assert.Single(p.Values))));
        Assert.Equal(new[] { "spike1 (after conv1)", "spike2 (after conv2)" }, epoch.FiringRates.Select(r => r.Layer));
        Assert.All(after, p => Assert.True(Math.Abs(p.Value - 1.0) > 1e-4, $"{p.Layer} {p.Parameter} stayed at {p.Value}"));

        // Progress: every training batch in order, every test batch, then the epoch.
        var training = progress.Reports.Where(p => p.Phase == TrainingPhase.Training).ToList();
        Assert.Equal(Enumerable.Range(1, 60), training.Select(p => p.Batch)); // 960 / 16
        Assert.All(training, p =>
        {
            Assert.Equal(60, p.Batches);
            Assert.Equal(1, p.Epoch);
            Assert.True(double.IsFinite(p.Loss) && p.SamplesPerSecond > 0);
            Assert.InRange(p.Accuracy, 0, 1);
        });
        var evaluating = progress.Reports.Where(p => p.Phase == TrainingPhase.Evaluating).ToList();
        Assert.Equal(Enumerable.Range(1, 13), evaluating.Select(p => p.Batch)); // 200 / 16, rounded up
        var done = progress.Reports[^1];
        Assert.Equal(TrainingPhase.EpochCompleted, done.Phase);
        Assert.Equal(epoch.TestAccuracy, done.Accuracy);
        Assert.Equal(epoch.TestAccuracy, done.EpochResult!.TestAccuracy);
        Assert.Equal(epoch.NeuronParameters, done.EpochResult.NeuronParameters);
    }

    [Fact]
    public void Per_channel_parameters_are_reported_per_channel_not_averaged()
    {
        var neuron = NeuronBuilder.Create("lif-vth-channel").Leaky(decay: 0.5)
            .Threshold(1.0, learnable: true, granularity: Granularity.PerChannel).Fire(Surrogate.Atan()).SoftReset().Build();
        using var net = SmallNet(neuron).Build(seed: 1);
        var options = Quick();
        options.LimitTrain = 160;
        using var trainer = new Trainer(net, options);
        var epoch = Assert.Single(trainer.Fit(Data).Epochs);
        Assert.Equal(new[] { 4, 8 }, epoch.NeuronParameters.Select(p => p.Values.Count)); // the conv layers' channels
        Assert.All(epoch.NeuronParameters, p =>
        {
            Assert.True(p.IsPerChannel);
            Assert.True(p.Max > p.Min, $"{p.Layer}: every channel kept the same threshold");
            Assert.Equal(p.Values.Average(), p.Mean, 12);
        });
        var eval = trainer.Evaluate(Data.Test);
        Assert.Equal(epoch.NeuronParameters, eval.NeuronParameters);
    }

    [Fact]
    public void Evaluate_agrees_with_the_networks_own_predictions()
    {
        using var net = SmallNet(Neurons.Lif).Build(seed: 4);
        using var trainer = new Trainer(net, Quick());
        var progress = new ListProgress();
        var eval = trainer.Evaluate(Data.Test, progress);
        using var images = Images(Data.Test, Data.Test.Count);
        var predicted = net.Predict(images, timesteps: 4);
        var correct = predicted.Where((p, i) => p == Data.Test.GetLabel(i)).Count();
        Assert.Equal((double)correct / Data.Test.Count, eval.Accuracy, 12);
        Assert.Equal(7, progress.Reports.Count);
        Assert.All(progress.Reports, p => Assert.Equal(TrainingPhase.Evaluating, p.Phase));
    }

    [Fact]
    public void Cancellation_stops_training_with_OperationCanceledException()
    {
        using var net = SmallNet(Neurons.DaLif).Build(seed: 1);
        using var trainer = new Trainer(net, Quick(epochs: 3));
        using var cts = new CancellationTokenSource();
        var progress = new ListProgress(p =>
        {
            if (p.Phase == TrainingPhase.Training && p.Batch == 2) cts.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(Data, progress, cts.Token));
        Assert.Equal(2, progress.Reports.Count);
        // The trainer is free again and the network usable.
        var eval = trainer.Evaluate(Data.Test);
        Assert.InRange(eval.Accuracy, 0, 1);
    }

    [Fact]
    public async Task FitAsync_runs_in_the_background_and_cancels()
    {
        using var net = SmallNet(Neurons.Lif).Build(seed: 1);
        using var trainer = new Trainer(net, Quick(epochs: 2));
        using var cts = new CancellationTokenSource();
        var thread = Environment.CurrentManagedThreadId;
        var trainingThread = -1;
        var progress = new ListProgress(p =>
        {
            trainingThread = Environment.CurrentManagedThreadId;
            if (p.Batch == 3) cts.Cancel();
        });
        var task = trainer.FitAsync(Data, progress, cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.True(task.IsCanceled);
        Assert.NotEqual(thread, trainingThread);
        Assert.Equal(3, progress.Reports.Count);
    }

    [Fact]
    public void An_output_directory_keeps_metrics_and_a_checkpoint_that_loads()
    {
        var dir = Directory.CreateTempSubdirectory("snndsl-cs-fit-").FullName;
        try
        {
            using var net = SmallNet(LifVth()).Build(seed: 1);
            var options = Quick();
            options.OutputDirectory = dir;
            options.LimitTrain = 64;
            options.LimitTest = 32;
            using var trainer = new Trainer(net, options);
            var result = trainer.Fit(Data);
            Assert.Equal(Path.GetFullPath(dir), result.OutputDirectory);
            Assert.Single(File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")));
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir, "batches.jsonl")).Length); // 64 samples in batches of 32
            using var reloaded = Network.Load(Path.Combine(dir, "checkpoint.snnt"));
            using var x = TimeMajor(Data.Test, 3, 2);
            using var a = net.Forward(x);
            using var b = reloaded.Forward(x);
            Assert.Equal(a.ToFloatArray(), b.ToFloatArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Bad_options_name_the_option()
    {
        using var net = SmallNet(Neurons.Lif).Build(seed: 1);
        Assert.Equal("BatchSize", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(net, new TrainingOptions { BatchSize = 0 })).ParamName);
        Assert.Equal("LabelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(net, new TrainingOptions { LabelSmoothing = 1 })).ParamName);
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(net, new TrainingOptions { LearningRate = double.NaN })).ParamName);
        Assert.Equal("network", Assert.Throws<ArgumentNullException>(() => new Trainer(null!)).ParamName);
    }

    [Fact]
    public void Data_that_does_not_fit_the_network_is_refused_before_training()
    {
        using var rgb = new NetworkBuilder(3, 28, 28).Conv2d(2, 3).Spiking(Neurons.Lif).Flatten().Linear(10).Build(seed: 1);
        using var trainer = new Trainer(rgb, Quick());
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(Data));
        Assert.Equal("data", e.ParamName);
        Assert.Contains("expects samples [3, 28, 28]", e.Message);
        Assert.Contains("[1, 28, 28]", e.Message);
        using var five = new NetworkBuilder(1, 28, 28).Conv2d(2, 3).Spiking(Neurons.Lif).Flatten().Linear(5).Build(seed: 1);
        using var t5 = new Trainer(five, Quick());
        Assert.Contains("10 classes but the network has 5 outputs", Assert.Throws<ArgumentException>(() => t5.Evaluate(Data.Test)).Message);
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => t5.Fit(null!)).ParamName);
        var empty = Datasets.Synthetic(trainCount: 0, testCount: 10);
        using var small = SmallNet(Neurons.Lif).Build(seed: 1);
        using var t = new Trainer(small, Quick());
        Assert.Contains("no samples", Assert.Throws<ArgumentException>(() => t.Fit(empty)).Message);
    }

    [Fact]
    public void A_disposed_trainer_refuses_work()
    {
        using var net = SmallNet(Neurons.Lif).Build(seed: 1);
        var trainer = new Trainer(net, Quick());
        trainer.Dispose();
        trainer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => trainer.Fit(Data));
        Assert.Throws<ObjectDisposedException>(() => trainer.Evaluate(Data.Test));
    }

    [Fact]
    public void Rate_encoded_training_from_CSharp_evaluates_repeatably_and_dead_layers_are_warned()
    {
        using var net = SmallNet(Neurons.Lif).Build(seed: 2);
        var options = Quick();
        options.Encoding = InputEncoding.Rate(1.0);
        options.LimitTrain = 160;
        using var trainer = new Trainer(net, options);
        var epoch = Assert.Single(trainer.Fit(Data).Epochs);
        var first = trainer.Evaluate(Data.Test);
        var second = trainer.Evaluate(Data.Test);
        Assert.Equal(first.Accuracy, second.Accuracy, 12);
        Assert.Equal(first.Loss, second.Loss, 12);
        Assert.Equal(epoch.TestAccuracy, first.Accuracy, 12);

        // A threshold of 1000 is never reached: both spiking layers are dead, and the epoch says so by name.
        using var dead = SmallNet(Neurons.Lif.WithParameter("threshold", 1000)).Build(seed: 2);
        using var deadTrainer = new Trainer(dead, Quick());
        var deadEpoch = Assert.Single(deadTrainer.Fit(Data).Epochs);
        Assert.Equal(2, deadEpoch.Warnings.Count);
        Assert.All(deadEpoch.Warnings, w => Assert.Contains("the layer is dead", w));
    }

    [Fact]
    public void Bad_encodings_are_refused_naming_the_parameter_and_Predict_refuses_latency_for_frames()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => InputEncoding.Latency(1.5));
        Assert.Equal("threshold", e.ParamName);
        Assert.Contains("latency encoding's threshold must be in [0, 1), got 1.5", e.Message);
        Assert.Contains("valid encodings", Assert.Throws<ArgumentException>(() => InputEncoding.Parse("poisson")).Message);
        Assert.Equal(InputEncoding.Delta(0.25, true), InputEncoding.Parse(InputEncoding.Delta(0.25, true).ToString()));
        var options = Quick();
        options.InputScale = double.NaN;
        Assert.Equal("InputScale", Assert.Throws<ArgumentOutOfRangeException>(options.Validate).ParamName);

        using var net = SmallNet(Neurons.Lif).Build(seed: 2);
        using var frames = TimeMajor(Data.Test, count: 2, steps: 3);
        var p = Assert.Throws<ArgumentException>(() => net.Predict(frames, 3, InputEncoding.Latency()));
        Assert.Contains("needs static inputs", p.Message);
        using var images = Images(Data.Test, 2);
        Assert.Equal(2, net.Predict(images, 4, InputEncoding.Delta()).Length);
    }
}
