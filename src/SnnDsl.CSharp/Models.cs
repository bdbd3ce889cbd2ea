using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.FSharp.Core;
using SnnDsl.Nn;
using FModule = SnnDsl.Nn.Module;
using FSpikingLayer = SnnDsl.Nn.SpikingLayer;
using FModels = SnnDsl.Nn.Models;

namespace SnnDsl.CSharp;

/// <summary>
/// The model zoo: small-conv (the default for 28x28 inputs), vgg11, vgg13, vgg16, vggsnn, resnet18 and
/// resnet19, each driven by any neuron.
/// </summary>
public static class Models
{
    /// <summary>The model names accepted by <see cref="Create(string, Neuron, int, int, int, int, int?, string)"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = FModels.names.ToArray();

    /// <summary>
    /// Builds the model <paramref name="name"/> for inputs [channels, height, width] and
    /// <paramref name="classes"/> outputs, with every spiking layer running <paramref name="neuron"/>.
    /// <paramref name="seed"/> seeds the initial weights; <paramref name="device"/> is "cpu" or "cuda[:N]".
    /// </summary>
    /// <exception cref="ArgumentException">Unknown model name (the message lists the valid ones) or inputs too small for it.</exception>
    public static Network Create(string name, Neuron neuron, int channels, int height, int width, int classes,
        int? seed = null, string device = "cpu")
    {
        Guard.NotNull(name, nameof(name));
        Guard.NotNull(neuron, nameof(neuron));
        Guard.Positive(channels, nameof(channels));
        Guard.Positive(height, nameof(height));
        Guard.Positive(width, nameof(width));
        Guard.Positive(classes, nameof(classes));
        var key = name.Trim().ToLowerInvariant();
        if (!Names.Contains(key) && key != "smallconv")
            throw new ArgumentException($"unknown model '{name}'; valid models: {string.Join(", ", Names)}", nameof(name));
        var perNeuron = neuron.Parameters.FirstOrDefault(p => p.Learnable && p.Granularity == Granularity.PerNeuron);
        if (perNeuron is not null)
            throw new ArgumentException(
                $"zoo models take neurons without per-neuron parameters ('{neuron.Name}' has '{perNeuron.Name}'); build the network with NetworkBuilder", nameof(neuron));
        // Checked here because the zoo notices a too-small input only after creating some layers.
        var side = MinimumSide(key);
        if (height < side || width < side)
            throw new ArgumentException($"{key} needs inputs of at least {side}x{side} pixels, got {height}x{width}", nameof(height));
        var dev = Devices.Parse(device, nameof(device));
        var input = new InputSpec(channels, height, width, classes);
        var spec = NetworkSpec.NewZoo(ZooModelModule.parse(key).ResultValue, neuron.Core, input);
        return Construction.Create(seed, dev, spec);
    }

    // Each 2x2 pool (or stride-2 stage) halves the side; the classifier needs at least one pixel left.
    private static int MinimumSide(string model) => model switch
    {
        "small-conv" or "smallconv" => 4,
        "vgg11" or "vgg13" or "vgg16" => 32,
        "vggsnn" => 16,
        "resnet18" => 8,
        _ => 1,
    };

    /// <summary>Builds the model for the samples and classes of <paramref name="dataset"/>.</summary>
    public static Network Create(string name, Neuron neuron, Dataset dataset, int? seed = null, string device = "cpu")
    {
        Guard.NotNull(dataset, nameof(dataset));
        var s = dataset.SampleShape;
        var chw = s.Length == 4 ? s.Skip(1).ToArray() : s;
        return Create(name, neuron, chw[0], chw[1], chw[2], dataset.Classes, seed, device);
    }
}
