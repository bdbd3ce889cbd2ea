using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.FSharp.Collections;
using SnnDsl.Core;

namespace SnnDsl.CSharp;

/// <summary>
/// A run of N independent neurons over T steps, copied into arrays [T, N] (row t is step t).
/// </summary>
public sealed class SimulationResult
{
    internal SimulationResult(string neuronName, double[,] inputs, double[,] spikes,
        IReadOnlyDictionary<string, double[,]> states, IReadOnlyDictionary<string, double[,]> values,
        IReadOnlyDictionary<string, double>? parameterGradients, double[,]? inputGradients)
    {
        NeuronName = neuronName;
        Inputs = inputs;
        Spikes = spikes;
        States = states;
        Values = values;
        ParameterGradients = parameterGradients;
        InputGradients = inputGradients;
    }

    /// <summary>The simulated neuron's name.</summary>
    public string NeuronName { get; }

    /// <summary>Number of steps T.</summary>
    public int Steps => Inputs.GetLength(0);

    /// <summary>Number of neurons N.</summary>
    public int Neurons => Inputs.GetLength(1);

    /// <summary>The inputs X [T, N].</summary>
    public double[,] Inputs { get; }

    /// <summary>The spikes S [T, N], 0 or 1.</summary>
    public double[,] Spikes { get; }

    /// <summary>The membrane potential after each step's reset, <c>States["V"]</c>.</summary>
    public double[,] Membrane => States["V"];

    /// <summary>Each state's value after each step (V, and e.g. ALIF's b).</summary>
    public IReadOnlyDictionary<string, double[,]> States { get; }

    /// <summary>Each binding's value at each step: H (the membrane before reset), theta, S, and any extras.</summary>
    public IReadOnlyDictionary<string, double[,]> Values { get; }

    /// <summary>The total number of spikes.</summary>
    public double SpikeCount => Spikes.Cast<double>().Sum();

    /// <summary>d(spike count)/d(raw value) of each learnable parameter, when gradients were asked for.</summary>
    public IReadOnlyDictionary<string, double>? ParameterGradients { get; }

    /// <summary>d(spike count)/d(x[t, n]) [T, N], when gradients were asked for.</summary>
    public double[,]? InputGradients { get; }

    /// <summary>One neuron's column of a [T, N] table, e.g. <c>Trace(result.Membrane)</c>.</summary>
    public static double[] Trace(double[,] table, int neuron = 0)
    {
        Guard.NotNull(table, nameof(table));
        if (neuron < 0 || neuron >= table.GetLength(1))
            throw new ArgumentOutOfRangeException(nameof(neuron), neuron, $"the table has neurons 0..{table.GetLength(1) - 1}");
        return Enumerable.Range(0, table.GetLength(0)).Select(t => table[t, neuron]).ToArray();
    }
}

/// <summary>The two interpreters behind <see cref="Neuron.Simulate(double[,], IReadOnlyDictionary{string, double}?, bool, NeuronBackend)"/>.</summary>
internal static class Simulation
{
    public static double[,] Column(double[] xs)
    {
        var a = new double[xs.Length, 1];
        for (var t = 0; t < xs.Length; t++) a[t, 0] = xs[t];
        return a;
    }

    /// <summary>The library's input check (the one <c>snn simulate</c> makes), as an ArgumentException.</summary>
    private static void CheckInputs(double[,] inputs)
    {
        Guard.NotNull(inputs, nameof(inputs));
        try
        {
            SnnDsl.Backends.SimulationModule.checkInputs(inputs);
        }
        catch (SnnException e)
        {
            throw new ArgumentException(e.Message, nameof(inputs), e);
        }
    }

    /// <summary>The library's simulation on tensors (the one <c>snn simulate</c> runs).</summary>
    public static SimulationResult RunTensor(Neuron neuron, double[,] inputs, bool withGradients, NeuronBackend backend)
    {
        CheckInputs(inputs);
        var sim = SnnDsl.Backends.SimulationModule.run(backend.ToCore(), neuron.Core, inputs, withGradients);
        var g = sim.Gradients is null ? null : sim.Gradients.Value;
        return new SimulationResult(neuron.Name, (double[,])inputs.Clone(), sim.Spikes,
            sim.States.ToDictionary(s => s.Item1, s => s.Item2),
            sim.Values.ToDictionary(kv => kv.Key, kv => kv.Value),
            g?.Params.ToDictionary(p => p.Item1, p => p.Item2), g?.Inputs);
    }

    /// <summary>The scalar oracle.</summary>
    public static SimulationResult RunOracle(Neuron neuron, double[,] inputs)
    {
        CheckInputs(inputs);
        var n = neuron.Core;
        var trace = Oracle.run(n, MapModule.Empty<string, double>(), inputs);
        return new SimulationResult(n.Name, (double[,])inputs.Clone(), trace.Spikes,
            n.States.ToDictionary(s => s.Name, s => trace.States[s.Name]),
            n.Bindings.ToDictionary(b => b.Name, b => trace.Values[b.Name]), null, null);
    }
}
