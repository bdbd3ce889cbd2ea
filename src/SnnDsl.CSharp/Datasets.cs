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

/// <summary>Options for loading datasets; each dataset reads the ones that concern it.</summary>
public sealed class DatasetOptions
{
    /// <summary>Normalise CIFAR pixels with the usual per-channel mean and std (default true; MNIST-style sets stay in [0, 1]).</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>Number of frames T of event datasets (N-MNIST); default 10.</summary>
    public int Frames { get; set; } = 10;

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
        var d = SnnDsl.Data.DatasetOptions.Default;
        return new SnnDsl.Data.DatasetOptions(Normalize, Frames, d.SplitBy, SyntheticTrainCount, SyntheticTestCount, SyntheticSeed);
    }
}

/// <summary>A dataset that could not be read: a missing directory, missing or corrupt files.</summary>
public sealed class DatasetException : IOException
{
    /// <summary>Creates the exception with the message of the underlying failure.</summary>
    public DatasetException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Datasets by name: synthetic (embedded, no files), mnist, fashion-mnist, cifar10, cifar100, nmnist.</summary>
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
