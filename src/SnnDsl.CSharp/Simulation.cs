using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.FSharp.Collections;
using SnnDsl.Core;
using SnnDsl.Torch;
using TorchTensor = SnnDsl.Torch.Tensor;

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

/// <summary>The two interpreters behind <see cref="Neuron.Simulate(double[,], IReadOnlyDictionary{string, double}?, bool)"/>.</summary>
internal static class Simulation
{
    public static double[,] Column(double[] xs)
    {
        var a = new double[xs.Length, 1];
        for (var t = 0; t < xs.Length; t++) a[t, 0] = xs[t];
        return a;
    }

    private static void CheckInputs(double[,] inputs)
    {
        Guard.NotNull(inputs, nameof(inputs));
        if (inputs.GetLength(0) == 0 || inputs.GetLength(1) == 0)
            throw new ArgumentException(
                $"inputs must be [T, N] with T, N >= 1, got [{inputs.GetLength(0)}, {inputs.GetLength(1)}]", nameof(inputs));
        foreach (var v in inputs)
            if (!double.IsFinite(v)) throw new ArgumentException("inputs must be finite numbers", nameof(inputs));
    }

    /// <summary>The tensor interpreter, learnable parameters as float64 leaves (as snn simulate runs it).</summary>
    public static SimulationResult RunTensor(Neuron neuron, double[,] inputs, bool withGradients)
    {
        CheckInputs(inputs);
        var n = neuron.Core;
        int steps = inputs.GetLength(0), count = inputs.GetLength(1);
        using var scope = new TensorScope();
        var x = TorchTensor.FromArray2D(inputs, null);
        x.RequiresGrad = withGradients;
        var learnables = n.Params.Where(p => p.Learnable).Select(p =>
        {
            var t = TorchTensor.Scalar(p.Init, FSharpInterop.Some(DType.Float64), null);
            t.RequiresGrad = withGradients;
            return new KeyValuePair<string, TorchTensor>(p.Name, t);
        }).ToArray();
        var trace = TensorNeuron.trace(n, FSharpInterop.Map(learnables), x);
        var xs = x.Unbind(null);
        double[,] Table(Func<TensorStep, TValue> pick)
        {
            var table = new double[steps, count];
            for (var t = 0; t < steps; t++)
            {
                var row = TensorNeuron.materialize(xs[t], pick(trace[t])).ToArray<double>();
                for (var j = 0; j < count; j++) table[t, j] = row[j];
            }
            return table;
        }
        var spikes = Table(s => TValue.NewTensor(s.Spike));
        var states = n.States.ToDictionary(s => s.Name, s => Table(st => st.State[s.Name]));
        var values = n.Bindings.ToDictionary(b => b.Name, b => Table(st => st.Values[b.Name]));
        Dictionary<string, double>? paramGrads = null;
        double[,]? inputGrads = null;
        if (withGradients)
        {
            var total = TorchTensor.Stack(trace.Select(s => s.Spike), null).Sum(null, null);
            // Spikes that depend on nothing trainable have no graph: every gradient is 0.
            if (total.RequiresGrad) total.Backward(null, null);
            paramGrads = learnables.ToDictionary(kv => kv.Key, kv => kv.Value.Grad?.Value.ToScalar() ?? 0.0);
            inputGrads = new double[steps, count];
            var g = x.Grad?.Value.ToArray<double>();
            if (g is not null)
                for (var t = 0; t < steps; t++)
                    for (var j = 0; j < count; j++) inputGrads[t, j] = g[t * count + j];
        }
        return new SimulationResult(n.Name, (double[,])inputs.Clone(), spikes, states, values, paramGrads, inputGrads);
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
