using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using SnnDsl.Core;

namespace SnnDsl.CSharp;

/// <summary>
/// The built-in neurons (docs/dsl.md, section 5). All use the rectangle(1) surrogate so that comparisons
/// differ only in the neuron; <see cref="Neuron.WithSurrogate"/> swaps it.
/// </summary>
public static class Neurons
{
    /// <summary>"if": integrate-and-fire, H = V + X, hard reset.</summary>
    public static Neuron IntegrateAndFire { get; } = new(Builtins.integrateAndFire);

    /// <summary>"lif": decay-input LIF leaking towards V_reset, hard reset (SpikingJelly's LIFNode).</summary>
    public static Neuron Lif { get; } = new(Builtins.lif);

    /// <summary>"lif-soft": decay-input LIF, soft reset.</summary>
    public static Neuron LifSoft { get; } = new(Builtins.lifSoft);

    /// <summary>"leaky-lif": H = decay * V + X, hard reset.</summary>
    public static Neuron LeakyLif { get; } = new(Builtins.leakyLif);

    /// <summary>"leaky-lif-soft": H = decay * V + X, soft reset.</summary>
    public static Neuron LeakyLifSoft { get; } = new(Builtins.leakyLifSoft);

    /// <summary>"plif": parametric LIF with learnable 1/tau = σ(w), hard reset.</summary>
    public static Neuron Plif { get; } = new(Builtins.plif);

    /// <summary>"alif": adaptive-threshold LIF, theta = threshold + scale * b, soft reset.</summary>
    public static Neuron Alif { get; } = new(Builtins.alif);

    /// <summary>"da-lif": dual adaptive LIF, H = beta * V + alpha * X with learnable tanh-squashed decays.</summary>
    public static Neuron DaLif { get; } = new(Builtins.daLif);

    /// <summary>"ar-lif": adaptive-reset LIF with an input-dependent threshold and a reset memory M.</summary>
    public static Neuron ArLif { get; } = new(Builtins.arLif);

    /// <summary>Every built-in, in listing order.</summary>
    public static IReadOnlyList<Neuron> All { get; } = Builtins.all.Select(n => new Neuron(n)).ToArray();

    /// <summary>The built-in names: if, lif, lif-soft, leaky-lif, leaky-lif-soft, plif, alif, da-lif, ar-lif.</summary>
    public static IReadOnlyList<string> Names { get; } = Builtins.names.ToArray();

    /// <summary>The built-in named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No built-in has that name; the message lists the valid names.</exception>
    public static Neuron Find(string name)
    {
        Guard.NotNull(name, nameof(name));
        return TryFind(name, out var neuron)
            ? neuron
            : throw new ArgumentException($"unknown neuron '{name}'; valid neurons: {string.Join(", ", Names)}", nameof(name));
    }

    /// <summary>The built-in named <paramref name="name"/>, if there is one.</summary>
    public static bool TryFind(string name, [NotNullWhen(true)] out Neuron? neuron)
    {
        Guard.NotNull(name, nameof(name));
        neuron = All.FirstOrDefault(n => n.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));
        return neuron is not null;
    }

    /// <summary>PLIF with initial time constant <paramref name="initialTau"/> (&gt; 1): w0 = -ln(tau0 - 1).</summary>
    public static Neuron PlifWith(double initialTau)
    {
        if (!(initialTau > 1.0) || !double.IsFinite(initialTau))
            throw new ArgumentOutOfRangeException(nameof(initialTau), initialTau, "the initial tau must be a finite number above 1");
        return new(Builtins.plifWith(initialTau));
    }

    /// <summary>DA-LIF with a chosen squashing and initial RAW value of alpha and beta.</summary>
    public static Neuron DaLifWith(Squash squash, double initialRaw) =>
        new(Builtins.daLifWith(Kinds.ToCore(squash), Guard.Finite(initialRaw, nameof(initialRaw))));
}
