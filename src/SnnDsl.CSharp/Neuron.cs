using System;
using System.Collections.Generic;
using System.Linq;
using SnnDsl.Core;
using FNeuron = SnnDsl.Core.Neuron;

namespace SnnDsl.CSharp;

/// <summary>
/// A neuron as data: its parameters, states and step program (charge, fire, reset, extra rules). Immutable
/// and free of native memory; the same definition is simulated on scalars, on tensors and in networks.
/// Get one from <see cref="Neurons"/>, a <see cref="NeuronBuilder"/>, a <see cref="NeuronProgramBuilder"/>,
/// the generated <c>GeneratedNeurons</c> class, or <see cref="FromFSharp"/>.
/// </summary>
public sealed class Neuron : IEquatable<Neuron>
{
    internal FNeuron Core { get; }

    /// <summary>The laws written in the neuron's file (empty unless it came from <see cref="Parse"/> or <see cref="Load"/>).</summary>
    internal Microsoft.FSharp.Collections.FSharpList<NeuronLaw> FileLaws { get; }

    internal Neuron(FNeuron core, Microsoft.FSharp.Collections.FSharpList<NeuronLaw>? laws) : this(core)
    {
        FileLaws = laws ?? Microsoft.FSharp.Collections.FSharpList<NeuronLaw>.Empty;
    }

    internal Neuron(FNeuron core)
    {
        FileLaws = Microsoft.FSharp.Collections.FSharpList<NeuronLaw>.Empty;
        try
        {
            Core = NeuronModule.check(core);
        }
        catch (InvalidNeuron e)
        {
            throw new InvalidNeuronException(e.neuron, e.problems);
        }
    }

    /// <summary>
    /// Wraps a neuron defined in F# (an <c>SnnDsl.Core.Neuron</c> value, e.g. a <c>let</c> in a module). The
    /// parameter is typed <see cref="object"/> so that this assembly's public surface has no F# types.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not an <c>SnnDsl.Core.Neuron</c>.</exception>
    /// <exception cref="InvalidNeuronException">The definition breaks the rules of the step program.</exception>
    public static Neuron FromFSharp(object definition)
    {
        Guard.NotNull(definition, nameof(definition));
        if (definition is not FNeuron n)
            throw new ArgumentException(
                $"expected an SnnDsl.Core.Neuron, got {definition.GetType().FullName}", nameof(definition));
        return new Neuron(n);
    }

    /// <summary>
    /// Reads a neuron from its text form (docs/dsl.md, "The text form"), e.g. the contents of a
    /// <c>.neuron</c> file; the laws the text writes are kept for <see cref="Verification.Verify"/>.
    /// <paramref name="source"/> names the text in error messages.
    /// </summary>
    /// <exception cref="NeuronSyntaxException">The text does not parse or names what it does not define; the
    /// exception gives the line, the column and what was expected there.</exception>
    public static Neuron Parse(string text, string source = "text")
    {
        Guard.NotNull(text, nameof(text));
        Guard.NotNull(source, nameof(source));
        try
        {
            var file = SnnDsl.Core.NeuronText.parse(source, text);
            return new Neuron(file.Neuron, file.Laws);
        }
        catch (SnnDsl.Core.NeuronSyntaxException e)
        {
            throw new NeuronSyntaxException(e.File, e.Line, e.Column, e.Problem, e.Message);
        }
    }

    /// <summary>Reads a neuron from a <c>.neuron</c> file (see <see cref="Parse"/>).</summary>
    /// <exception cref="System.IO.FileNotFoundException">There is no such file.</exception>
    /// <exception cref="NeuronSyntaxException">The file does not parse; the exception gives the line and column.</exception>
    public static Neuron Load(string path)
    {
        Guard.NotNull(path, nameof(path));
        if (!System.IO.File.Exists(path)) throw new System.IO.FileNotFoundException($"neuron file not found: {path}", path);
        return Parse(System.IO.File.ReadAllText(path), path);
    }

    /// <summary>The neuron in its text form, which <see cref="Parse"/> reads back to the same neuron.</summary>
    public string ToText() => SnnDsl.Core.Describe.text(Core);

    /// <summary>The neuron's name, e.g. "lif".</summary>
    public string Name => Core.Name;

    /// <summary>A one-line description.</summary>
    public string Description => Core.Description;

    /// <summary>The parameters, in declaration order.</summary>
    public IReadOnlyList<NeuronParameter> Parameters => Core.Params
        .Select(p => new NeuronParameter(p.Name, p.Learnable, Kinds.Of(p.Granularity), Kinds.Of(p.Squash), p.Init, p.Doc))
        .ToArray();

    /// <summary>The state variables, in declaration order (always including V).</summary>
    public IReadOnlyList<NeuronStateVariable> States =>
        Core.States.Select(s => new NeuronStateVariable(s.Name, s.Init, s.Doc)).ToArray();

    /// <summary>The step program, one line per binding (<c>H = ...</c>) and per state update (<c>V ← ...</c>).</summary>
    public IReadOnlyList<string> Equations => SnnDsl.Core.Describe.equations(Core).ToArray();

    /// <summary>The binding that is the neuron's spike output (S for charge/fire/reset neurons).</summary>
    public string Output => Core.Output;

    /// <summary>Every distinct surrogate the neuron's spikes use.</summary>
    public IReadOnlyList<Surrogate> Surrogates => SnnDsl.Core.Describe.surrogates(Core).Select(Surrogate.Of).ToArray();

    /// <summary>The equations, parameters and states as text (as <c>snn neurons</c> prints them).</summary>
    public string Describe() => SnnDsl.Core.Describe.neuron(Core);

    /// <summary>The same neuron with another initial RAW value for a parameter (option or learnable).</summary>
    /// <exception cref="ArgumentException">The neuron has no such parameter; the message lists its parameters.</exception>
    public Neuron WithParameter(string name, double rawValue)
    {
        Guard.NotNull(name, nameof(name));
        Guard.Finite(rawValue, nameof(rawValue));
        return new Neuron(FSharpInterop.Unwrap(NeuronModule.withParam(name, rawValue, Core),
            e => new ArgumentException(e, nameof(name))), FileLaws);
    }

    /// <summary>The same neuron with every spike using <paramref name="surrogate"/>.</summary>
    public Neuron WithSurrogate(Surrogate surrogate) =>
        new(NeuronModule.withSurrogate(Guard.NotNull(surrogate, nameof(surrogate)).Core, Core), FileLaws);

    /// <summary>The same dynamics under another name (and optionally another description).</summary>
    public Neuron WithName(string name, string? description = null) =>
        new(new FNeuron(Guard.Name(name, nameof(name)), description ?? Core.Description, Core.Params, Core.States,
            Core.Bindings, Core.Updates, Core.Output), FileLaws);

    /// <summary>
    /// Runs N independent neurons over <paramref name="inputs"/> [T, N] on libtorch tensors (float64, the
    /// engine networks use), from the initial state, through <paramref name="backend"/> (as
    /// <c>snn simulate</c> does). <paramref name="parameters"/> overrides initial RAW values by name. With
    /// <paramref name="withGradients"/>, the total spike count is backpropagated through the surrogate to the
    /// learnable parameters and the inputs.
    /// </summary>
    /// <exception cref="ArgumentException">Empty inputs, non-finite values or an unknown parameter name.</exception>
    public SimulationResult Simulate(double[,] inputs, IReadOnlyDictionary<string, double>? parameters = null,
        bool withGradients = false, NeuronBackend backend = NeuronBackend.Auto) =>
        Simulation.RunTensor(Configure(parameters), inputs, withGradients, backend);

    /// <summary>Runs one neuron over a sequence of inputs (T steps); the result's arrays are [T, 1].</summary>
    public SimulationResult Simulate(double[] inputs, IReadOnlyDictionary<string, double>? parameters = null,
        bool withGradients = false, NeuronBackend backend = NeuronBackend.Auto) =>
        Simulate(Simulation.Column(Guard.NotNull(inputs, nameof(inputs))), parameters, withGradients, backend);

    /// <summary>
    /// Runs the same simulation on the scalar reference interpreter (the test oracle, float64, no libtorch).
    /// Agrees with <see cref="Simulate(double[,], IReadOnlyDictionary{string, double}?, bool, NeuronBackend)"/>.
    /// </summary>
    public SimulationResult SimulateReference(double[,] inputs, IReadOnlyDictionary<string, double>? parameters = null) =>
        Simulation.RunOracle(Configure(parameters), inputs);

    private Neuron Configure(IReadOnlyDictionary<string, double>? parameters)
    {
        var n = this;
        if (parameters is null) return n;
        foreach (var kv in parameters) n = n.WithParameter(kv.Key, kv.Value);
        return n;
    }

    /// <summary>True when both neurons are the same definition (name, parameters, states and rules).</summary>
    public bool Equals(Neuron? other) => other is not null && Core.Equals(other.Core);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Neuron);

    /// <inheritdoc />
    public override int GetHashCode() => Core.GetHashCode();

    /// <summary>The name.</summary>
    public override string ToString() => Name;
}

/// <summary>Neuron text that does not parse: where (<see cref="Line"/>, <see cref="Column"/>) and what was expected.</summary>
public sealed class NeuronSyntaxException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> is the full text (every problem, each with its position).</summary>
    public NeuronSyntaxException(string source, int line, int column, string problem, string message) : base(message)
    {
        Source = source;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>The file (or the source name given to <see cref="Neuron.Parse"/>).</summary>
    public new string Source { get; }

    /// <summary>1-based line of the first problem.</summary>
    public int Line { get; }

    /// <summary>1-based column of the first problem.</summary>
    public int Column { get; }

    /// <summary>The first problem, without its position, e.g. "expected an expression, found '*'".</summary>
    public string Problem { get; }
}

/// <summary>A neuron definition that breaks the rules of the step program; <see cref="Problems"/> lists them all.</summary>
public sealed class InvalidNeuronException : InvalidOperationException
{
    /// <summary>Creates the exception for a neuron and its problems.</summary>
    public InvalidNeuronException(string neuronName, IEnumerable<string> problems)
        : base(Format(neuronName, problems))
    {
        NeuronName = neuronName;
        Problems = problems.ToArray();
    }

    /// <summary>The neuron's name.</summary>
    public string NeuronName { get; }

    /// <summary>Every problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string Format(string name, IEnumerable<string> problems) =>
        $"neuron '{name}' is invalid:\n  " + string.Join("\n  ", problems);
}
