using System;
using FGranularity = SnnDsl.Core.Granularity;
using FSquash = SnnDsl.Core.Squash;

namespace SnnDsl.CSharp;

/// <summary>How many copies of a neuron parameter a spiking layer holds.</summary>
public enum Granularity
{
    /// <summary>One value for the whole layer.</summary>
    PerLayer,
    /// <summary>One value per channel (dimension 1 of a per-step input [N, C, ...]).</summary>
    PerChannel,
    /// <summary>One value per neuron (every element of a sample).</summary>
    PerNeuron,
}

/// <summary>How a parameter's raw (trained) value maps to the effective value the rules see.</summary>
public enum Squash
{
    /// <summary>The raw value itself.</summary>
    None,
    /// <summary>tanh(raw), in (-1, 1).</summary>
    Tanh,
    /// <summary>σ(raw), in (0, 1).</summary>
    Sigmoid,
}

/// <summary>A neuron parameter: a fixed option or a learnable value; rules see squash(raw).</summary>
/// <param name="Name">The name rules refer to with <see cref="Expr.Param"/>.</param>
/// <param name="Learnable">True when training updates it; false for options.</param>
/// <param name="Granularity">How many copies a layer holds.</param>
/// <param name="Squash">The map from raw to effective value.</param>
/// <param name="InitialRaw">The initial raw value.</param>
/// <param name="Doc">What the parameter means.</param>
public sealed record NeuronParameter(string Name, bool Learnable, Granularity Granularity, Squash Squash, double InitialRaw, string Doc)
{
    /// <summary>The initial effective value, squash(<see cref="InitialRaw"/>).</summary>
    public double InitialEffective => Squash switch
    {
        Squash.Tanh => Math.Tanh(InitialRaw),
        Squash.Sigmoid => 1.0 / (1.0 + Math.Exp(-InitialRaw)),
        _ => InitialRaw,
    };
}

/// <summary>A state variable carried from one step to the next (V, ALIF's b, AR-LIF's M, ...).</summary>
/// <param name="Name">The name rules refer to with <see cref="Expr.State"/>.</param>
/// <param name="Initial">The value before the first step.</param>
/// <param name="Doc">What the state means.</param>
public sealed record NeuronStateVariable(string Name, double Initial, string Doc);

/// <summary>Conversions between the facade's enums and the F# unions.</summary>
internal static class Kinds
{
    public static FGranularity ToCore(Granularity g) => g switch
    {
        Granularity.PerLayer => FGranularity.PerLayer,
        Granularity.PerChannel => FGranularity.PerChannel,
        Granularity.PerNeuron => FGranularity.PerNeuron,
        _ => throw new ArgumentOutOfRangeException(nameof(g), g, "unknown granularity"),
    };

    public static Granularity Of(FGranularity g) =>
        g.IsPerLayer ? Granularity.PerLayer : g.IsPerChannel ? Granularity.PerChannel : Granularity.PerNeuron;

    public static FSquash ToCore(Squash s) => s switch
    {
        Squash.None => FSquash.None,
        Squash.Tanh => FSquash.Tanh,
        Squash.Sigmoid => FSquash.Sigmoid,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "unknown squash"),
    };

    public static Squash Of(FSquash s) => s.IsNone ? Squash.None : s.IsTanh ? Squash.Tanh : Squash.Sigmoid;
}
