using System;
using System.Collections.Generic;
using System.Linq;
using SnnDsl.Core;
using SnnDsl.Verify;
using FCase = SnnDsl.Verify.Case;
using FLaw = SnnDsl.Verify.Law;

namespace SnnDsl.CSharp;

/// <summary>One step of one column of a run, as a law sees it.</summary>
public sealed class LawStep
{
    private readonly FCase _case;
    private readonly Trace _trace;

    internal LawStep(FCase c, Trace trace, int step, int column)
    {
        _case = c;
        _trace = trace;
        Step = step;
        Column = column;
    }

    /// <summary>0-based step t.</summary>
    public int Step { get; }

    /// <summary>0-based column (independent neuron) n.</summary>
    public int Column { get; }

    /// <summary>The input X at this step.</summary>
    public double X => _case.Inputs[Step, Column];

    /// <summary>
    /// A value by name, as in the text form: a parameter's effective value, a state's value before the
    /// step, a state's value after it written with a quote (<c>"V'"</c>), or a binding's value.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The neuron has no such name.</exception>
    public double this[string name]
    {
        get
        {
            Guard.NotNull(name, nameof(name));
            var n = _case.Neuron;
            SnnDsl.Core.Expr e =
                n.Params.Any(p => p.Name == name) ? SnnDsl.Core.Expr.NewParam(name)
                : n.States.Any(s => s.Name == name) ? SnnDsl.Core.Expr.NewState(name)
                : n.Bindings.Any(b => b.Name == name) || (name.EndsWith("'") && n.States.Any(s => s.Name + "'" == name)) ? SnnDsl.Core.Expr.NewRef(name)
                : throw new KeyNotFoundException(
                    $"neuron '{n.Name}' has no parameter, state or binding '{name}' (names: {string.Join(", ", n.Params.Select(p => p.Name).Concat(n.States.Select(s => s.Name)).Concat(n.Bindings.Select(b => b.Name)))})");
            return TextLaws.eval(_case, _trace, Step, Column, e);
        }
    }
}

/// <summary>A law of your own over every step of a run, for <see cref="Verification.Verify"/>.</summary>
public sealed class StepLaw
{
    internal FLaw Build(Neuron neuron)
    {
        if (_text is { } text)
        {
            try
            {
                return TextLaws.ofText(Cases.defaults, neuron.Core, SnnDsl.Core.NeuronText.parseLaw(neuron.Core, text));
            }
            catch (SnnException e) when (e.Kind.IsUsage)
            {
                throw new ArgumentException(e.Message, "laws");
            }
        }
        var settings = Cases.defaults;
        if (_inputs is { } r) settings = Cases.withInputs(r.Min == r.Max ? Values.constant(r.Min) : Values.grid(16, r.Min, r.Max), settings);
        var cases = Cases.ofNeuron(settings, neuron.Core);
        var holds = _holds;
        var when = _when;
        return SnnDsl.Verify.LawModule.everyStep(Name, cases,
            Microsoft.FSharp.Core.FuncConvert.FromFunc<FCase, Trace, int, int, bool>((c, tr, t, j) =>
            {
                var step = new LawStep(c, tr, t, j);
                return when is not null && !when(step) || holds(step);
            }));
    }

    private readonly Func<LawStep, bool> _holds = _ => true;
    private readonly Func<LawStep, bool>? _when;
    private readonly (double Min, double Max)? _inputs;
    private readonly string? _text;

    private StepLaw(string name, string text)
    {
        Name = name;
        _text = text;
    }

    /// <summary>
    /// A law written as a neuron file writes it, e.g.
    /// <c>"law refractory: S = 1 implies S[t-1] = 0 and S[t-2] = 0"</c> (docs/verify.md): a condition over one
    /// step, the new values (<c>V'</c>) and earlier steps (<c>S[t-k]</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The text is no law line, or (when verified) names what the neuron lacks.</exception>
    public static StepLaw Written(string law)
    {
        Guard.NotNull(law, nameof(law));
        var m = System.Text.RegularExpressions.Regex.Match(law, @"^\s*law\s+([A-Za-z0-9_-]+)");
        if (!m.Success)
            throw new ArgumentException($"a law starts with 'law NAME' (e.g. law refractory: S = 1 implies S[t-1] = 0), got '{law}'", nameof(law));
        return new StepLaw(m.Groups[1].Value, law);
    }

    private StepLaw(string name, Func<LawStep, bool> holds, Func<LawStep, bool>? when, (double, double)? inputs)
    {
        Name = name;
        _holds = holds;
        _when = when;
        _inputs = inputs;
    }

    /// <summary>The law's name, as <see cref="LawResult.Law"/> reports it.</summary>
    public string Name { get; }

    /// <summary>
    /// A law that must hold at every step where <paramref name="when"/> holds (every step if null), on inputs
    /// drawn on a grid of 1/16 in [<paramref name="inputMin"/>, <paramref name="inputMax"/>] (default [-3, 3]).
    /// </summary>
    public static StepLaw EveryStep(string name, Func<LawStep, bool> holds, Func<LawStep, bool>? when = null,
        double? inputMin = null, double? inputMax = null)
    {
        Guard.Name(name, nameof(name));
        Guard.NotNull(holds, nameof(holds));
        if ((inputMin is null) != (inputMax is null))
            throw new ArgumentException("give both inputMin and inputMax, or neither", nameof(inputMin));
        if (inputMin is { } lo && inputMax is { } hi && !(lo <= hi))
            throw new ArgumentException($"inputMin {lo} is above inputMax {hi}", nameof(inputMin));
        return new StepLaw(name, holds, when, inputMin is { } a && inputMax is { } b ? (a, b) : null);
    }
}

/// <summary>How one law fared.</summary>
/// <param name="Law">The law's name, e.g. "interpreters-agree".</param>
/// <param name="Passed">True when it held on every case (or could not run here, see <paramref name="Report"/>).</param>
/// <param name="Report">One line, or for a failing law the shrunk counterexample as a table and the seed that replays it.</param>
public sealed record LawResult(string Law, bool Passed, string Report);

/// <summary>Every law's result; <see cref="AllHold"/> when none failed.</summary>
public sealed class VerificationReport
{
    internal VerificationReport(IReadOnlyList<LawResult> laws, ulong seed)
    {
        Laws = laws;
        Seed = seed;
    }

    /// <summary>One result per law, in the order they ran.</summary>
    public IReadOnlyList<LawResult> Laws { get; }

    /// <summary>The seed the cases were drawn from; the same seed draws and shrinks the same cases.</summary>
    public ulong Seed { get; }

    /// <summary>True when every law held.</summary>
    public bool AllHold => Laws.All(l => l.Passed);

    /// <summary>The report of each law, one after another (as <c>snn verify</c> prints them).</summary>
    public override string ToString() => string.Join("\n", Laws.Select(l => l.Report));
}

/// <summary>
/// Property verification of a neuron (docs/verify.md): the standard laws every neuron must obey (the
/// interpreters agree, gradients agree, multi-step is the fold of single steps, spikes are 0 or 1, outputs
/// are finite, reverse mode equals forward mode, same seed same result), the laws its file writes, and
/// laws of your own, on generated cases.
/// </summary>
public static class Verification
{
    /// <summary>
    /// Checks the neuron's laws on <paramref name="cases"/> cases per law drawn from <paramref name="seed"/>;
    /// <paramref name="only"/> restricts the run to the named laws.
    /// </summary>
    /// <exception cref="ArgumentException">A name in <paramref name="only"/> is no law of this neuron.</exception>
    public static VerificationReport Verify(this Neuron neuron, int cases = SnnDsl.Verify.LawModule.DefaultCases,
        ulong seed = SnnDsl.Verify.LawModule.DefaultSeed,
        IEnumerable<StepLaw>? laws = null, IEnumerable<string>? only = null)
    {
        Guard.NotNull(neuron, nameof(neuron));
        Guard.Positive(cases, nameof(cases));
        var extra = (laws ?? Array.Empty<StepLaw>()).Select(l => Guard.NotNull(l, nameof(laws)).Build(neuron)).ToList();
        var settings = new VerifySettings(new RunSettings(cases, seed, SnnDsl.Verify.LawModule.defaults.MaxSkipRatio,
                SnnDsl.Verify.LawModule.defaults.ShrinkBudget),
            Cases.defaults, FSharpInterop.List(only ?? Array.Empty<string>()), SnnDsl.Verify.Verify.defaults.CompiledCases);
        try
        {
            var results = SnnDsl.Verify.Verify.runAll(settings, FSharpInterop.Func<SnnDsl.Verify.LawResult>(_ => { }),
                new NeuronFile(neuron.Core, neuron.FileLaws), FSharpInterop.List(extra));
            return new VerificationReport(
                results.Select(r => new LawResult(r.Law, SnnDsl.Verify.LawModule.passed(r), SnnDsl.Verify.LawModule.describe(r))).ToArray(),
                seed);
        }
        catch (SnnException e) when (e.Kind.IsUsage)
        {
            throw new ArgumentException(e.Message, nameof(only));
        }
    }
}
