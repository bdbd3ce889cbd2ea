using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using SnnDsl.Data;
using FDataset = SnnDsl.Data.Dataset;

namespace SnnDsl.CSharp;

/// <summary>
/// One split of a labelled dataset in managed memory: float32 samples of a fixed shape, [C, H, W] for
/// images or [T, C, H, W] for event frames. Nothing to dispose.
/// </summary>
public sealed class Dataset
{
    internal FDataset Core { get; }

    internal Dataset(FDataset core) => Core = core;

    /// <summary>The name with the split, e.g. "fashion-mnist/train".</summary>
    public string Name => Core.Name;

    /// <summary>Number of samples.</summary>
    public int Count => Core.Count;

    /// <summary>The shape of one sample (a copy).</summary>
    public int[] SampleShape => Core.SampleShape;

    /// <summary>Number of classes.</summary>
    public int Classes => Core.NumClasses;

    /// <summary>The class names, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames => Core.ClassNames;

    /// <summary>True for event data ([T, C, H, W] samples, time first).</summary>
    public bool IsTemporal => Core.IsTemporal;

    /// <summary>
    /// For event datasets, where the integrated frames came from: reused from the frame cache (no event parsed),
    /// integrated now and cached, or integrated in memory; null for other datasets.
    /// </summary>
    public string? FrameSource => Core is FrameDataset f ? f.Source.ToString() : null;

    /// <summary>Sample <paramref name="index"/> as the model sees it (normalised where the dataset does so).</summary>
    public float[] GetSample(int index) => Core.Sample(CheckIndex(index));

    /// <summary>The label of sample <paramref name="index"/>, 0 .. Classes - 1.</summary>
    public int GetLabel(int index) => Core.Label(CheckIndex(index));

    private int CheckIndex(int index) =>
        index >= 0 && index < Count ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name} has samples 0..{Count - 1}");

    /// <summary>Name, size, sample shape and classes.</summary>
    public override string ToString() => Core.ToString();
}

/// <summary>A training split and a test split of the same dataset.</summary>
/// <param name="Train">The training split.</param>
/// <param name="Test">The test split.</param>
public sealed record TrainTestData(Dataset Train, Dataset Test);

/// <summary>How the events of a sample are divided among its frames (SpikingJelly's split_by).</summary>
public enum EventSplit
{
    /// <summary>Equal event counts; the last frame also takes the remainder.</summary>
    Number,
    /// <summary>Equal time windows of (t_last - t_first) / T; the last frame also takes the remainder.</summary>
    Time,
}

/// <summary>How CIFAR10-DVS, which ships no split, is divided into train and test.</summary>
public enum Cifar10DvsSplit
{
    /// <summary>The papers' split: recordings 0..99 of each class are the test set.</summary>
    Paper,
    /// <summary>SpikingJelly's 9:1 split in file-name order.</summary>
    NineToOne,
}

/// <summary>Options for loading datasets; each dataset reads the ones that concern it.</summary>
public sealed class DatasetOptions
{
    /// <summary>Normalise CIFAR pixels with the usual per-channel mean and std (default true; MNIST-style sets stay in [0, 1]).</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>Number of frames T of event datasets (N-MNIST, CIFAR10-DVS, DVS128 Gesture, SHD, SSC); default 10.</summary>
    public int Frames { get; set; } = 10;

    /// <summary>How events are divided among the frames (default by number).</summary>
    public EventSplit SplitBy { get; set; } = EventSplit.Number;

    /// <summary>Fixed-duration windows of this many microseconds instead of <see cref="SplitBy"/>; null (default) uses SplitBy.</summary>
    public long? WindowMicroseconds { get; set; }

    /// <summary>Resize event-camera frames to this side (e.g. 48 for VGGSNN); 0 (default) keeps the sensor's size.</summary>
    public int Resize { get; set; }

    /// <summary>The frame cache folder; null (default) uses $SNNDSL_CACHE or ~/.cache/snndsl/frames.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Read and write the frame cache (default true); false integrates the frames in memory.</summary>
    public bool UseCache { get; set; } = true;

    /// <summary>How CIFAR10-DVS is split (default: the papers' split).</summary>
    public Cifar10DvsSplit Cifar10DvsSplit { get; set; } = Cifar10DvsSplit.Paper;

    /// <summary>Samples of the synthetic training split (default 2,000).</summary>
    public int SyntheticTrainCount { get; set; } = SnnDsl.Data.Synthetic.DefaultTrainCount;

    /// <summary>Samples of the synthetic test split (default 500).</summary>
    public int SyntheticTestCount { get; set; } = SnnDsl.Data.Synthetic.DefaultTestCount;

    /// <summary>Seed of the synthetic dataset (its two splits derive different seeds from it).</summary>
    public long SyntheticSeed { get; set; } = SnnDsl.Data.Synthetic.DefaultSeed;

    internal SnnDsl.Data.DatasetOptions ToCore()
    {
        Guard.Positive(Frames, nameof(Frames));
        Guard.NotNegative(SyntheticTrainCount, nameof(SyntheticTrainCount));
        Guard.NotNegative(SyntheticTestCount, nameof(SyntheticTestCount));
        Guard.NotNegative(Resize, nameof(Resize));
        if (WindowMicroseconds is <= 0)
            throw new ArgumentOutOfRangeException(nameof(WindowMicroseconds), WindowMicroseconds, "the window must be positive");
        var split = WindowMicroseconds is { } us ? SnnDsl.Data.SplitBy.NewDuration(us)
            : SplitBy == EventSplit.Time ? SnnDsl.Data.SplitBy.Time : SnnDsl.Data.SplitBy.Number;
        var cifarSplit = Cifar10DvsSplit == Cifar10DvsSplit.NineToOne ? SnnDsl.Data.Cifar10DvsSplit.NineToOne : SnnDsl.Data.Cifar10DvsSplit.Paper;
        return new SnnDsl.Data.DatasetOptions(Normalize, Frames, split, SyntheticTrainCount, SyntheticTestCount, SyntheticSeed,
            Resize, CacheDirectory ?? "", !UseCache, cifarSplit);
    }
}

/// <summary>A dataset that could not be read: a missing directory, missing or corrupt files.</summary>
public sealed class DatasetException : IOException
{
    /// <summary>Creates the exception with the message of the underlying failure.</summary>
    public DatasetException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Datasets by name: synthetic (embedded, no files), mnist, fashion-mnist, cifar10, cifar100, and the event
/// datasets nmnist, cifar10-dvs, dvs-gesture, shd and ssc (integrated into frames once, through the frame cache).
/// </summary>
public static class Datasets
{
    /// <summary>The valid dataset names.</summary>
    public static IReadOnlyList<string> Names { get; } = SnnDsl.Data.Datasets.names.ToArray();

    /// <summary>
    /// Loads both splits of dataset <paramref name="name"/> (case-insensitive) from
    /// <paramref name="dataDirectory"/>: the dataset's folder, or a folder holding it under its usual name
    /// (e.g. <c>data/fashion-mnist</c>). "synthetic" needs no directory.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the valid ones), or no directory for a dataset on disk.</exception>
    /// <exception cref="DatasetException">The directory or its files are missing or unreadable.</exception>
    public static TrainTestData Load(string name, string? dataDirectory = null, DatasetOptions? options = null) =>
        new(LoadSplit(name, train: true, dataDirectory, options), LoadSplit(name, train: false, dataDirectory, options));

    /// <summary>Loads one split (<paramref name="train"/> true for the training split).</summary>
    public static Dataset LoadSplit(string name, bool train, string? dataDirectory = null, DatasetOptions? options = null)
    {
        Guard.NotNull(name, nameof(name));
        var key = name.Trim().ToLowerInvariant();
        if (!Names.Contains(key))
            throw new ArgumentException($"unknown dataset '{name}'; valid datasets: {string.Join(", ", Names)}", nameof(name));
        if (key != "synthetic" && string.IsNullOrWhiteSpace(dataDirectory))
            throw new ArgumentException($"the {key} dataset is read from files: give its data directory", nameof(dataDirectory));
        var core = (options ?? new DatasetOptions()).ToCore();
        try
        {
            return new Dataset(SnnDsl.Data.Datasets.loadWith(core, key, dataDirectory ?? "", train));
        }
        catch (Exception e) when (e is DataDirectoryException or DataFileException or IOException)
        {
            throw new DatasetException(e.Message, e);
        }
    }

    /// <summary>
    /// The embedded synthetic dataset: 10 classes of procedural 28x28 shapes, balanced, generated from
    /// <paramref name="seed"/> (train and test from different derived seeds).
    /// </summary>
    public static TrainTestData Synthetic(int trainCount = SnnDsl.Data.Synthetic.DefaultTrainCount,
        int testCount = SnnDsl.Data.Synthetic.DefaultTestCount, long seed = SnnDsl.Data.Synthetic.DefaultSeed)
    {
        Guard.NotNegative(trainCount, nameof(trainCount));
        Guard.NotNegative(testCount, nameof(testCount));
        return new(new Dataset(SnnDsl.Data.Synthetic.train(trainCount, seed)), new Dataset(SnnDsl.Data.Synthetic.test(testCount, seed)));
    }
}
