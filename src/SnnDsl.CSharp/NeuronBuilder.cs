using System;
using System.Collections.Generic;
using System.Linq;
using SnnDsl.Core;
using FExpr = SnnDsl.Core.Expr;
using FNeuron = SnnDsl.Core.Neuron;

namespace SnnDsl.CSharp;

/// <summary>Parameters and states declared so far by a builder, in declaration order.</summary>
internal sealed class Declarations
{
    public List<ParamSpec> Params { get; } = new();
    public List<StateSpec> States { get; } = new();

    public void Option(string name, double value, string? doc) =>
        Params.Add(ParamSpecModule.option(Guard.Name(name, nameof(name)), Guard.Finite(value, nameof(value)), doc ?? ""));

    public void Learnable(string name, double initialRaw, string? doc, Squash squash, Granularity granularity) =>
        Params.Add(ParamSpecModule.per(Kinds.ToCore(granularity), ParamSpecModule.squashed(Kinds.ToCore(squash),
            ParamSpecModule.learnable(Guard.Name(name, nameof(name)), Guard.Finite(initialRaw, nameof(initialRaw)), doc ?? ""))));

    /// <summary>Declares a conventionally named parameter (learnable or option) and returns Param(name).</summary>
    public Expr Named(string name, double value, bool learnable, Squash squash, Granularity granularity, string doc, string argument)
    {
        Guard.Finite(value, argument);
        if (learnable) Learnable(name, value, doc, squash, granularity);
        else
        {
            if (squash != Squash.None || granularity != Granularity.PerLayer)
                throw new ArgumentException("squash and granularity apply to learnable parameters only (pass learnable: true)", nameof(squash));
            Option(name, value, doc);
        }
        return Expr.Param(name);
    }

    public void State(string name, double initial, string? doc) =>
        States.Add(StateSpecModule.create(Guard.Name(name, nameof(name)), Guard.Finite(initial, nameof(initial)), doc ?? ""));

    public void State(string name, Expr initial, string? doc) =>
        States.Add(StateSpecModule.initFrom(Guard.NotNull(initial, nameof(initial)).Core,
            StateSpecModule.create(Guard.Name(name, nameof(name)), 0.0, doc ?? "")));

    public void Domain(string state, double low, double high, bool integer)
    {
        var i = States.FindIndex(s => s.Name == state);
        if (i < 0)
            throw new ArgumentException($"no state '{state}' is declared (states: {string.Join(", ", States.Select(s => s.Name))}); declare it with State first", nameof(state));
        States[i] = StateSpecModule.within(Guard.Finite(low, nameof(low)), Guard.Finite(high, nameof(high)), integer, States[i]);
    }
}

/// <summary>
/// Builds a charge / fire / reset neuron the way the F# combinators do: H = charge, theta = threshold,
/// S = Θ(H - theta) with a surrogate, then extra bindings, then V ← reset and the extra states' updates.
/// Methods that take a number declare the conventional parameter (<c>decay</c>, <c>tau</c>,
/// <c>threshold</c>, <c>reset</c>) as an option, or as a learnable value with <c>learnable: true</c>;
/// methods that take an <see cref="Expr"/> use it as written. Values given for learnable parameters are RAW:
/// rules see squash(raw).
/// </summary>
/// <example><code>
/// var lifVth = NeuronBuilder.Create("lif-vth")
///     .Leaky(decay: 0.5)
///     .Threshold(1.0, learnable: true)
///     .Fire(Surrogate.Atan())
///     .SoftReset()
///     .Build();
/// </code></example>
public sealed class NeuronBuilder
{
    private readonly string _name;
    private string _description = "";
    private readonly Declarations _decl = new();
    private FExpr? _charge;
    private FExpr? _threshold;
    private Reset? _reset;
    private Surrogate _surrogate = Surrogate.Rectangle();
    private readonly List<Tuple<string, FExpr>> _extra = new();
    private readonly List<Tuple<string, FExpr>> _updates = new();

    private NeuronBuilder(string name) => _name = name;

    /// <summary>Starts a neuron named <paramref name="name"/> (no spaces; e.g. "lif-vth").</summary>
    public static NeuronBuilder Create(string name) => new(Guard.Name(name, nameof(name)));

    /// <summary>Sets the one-line description.</summary>
    public NeuronBuilder WithDescription(string description)
    {
        _description = Guard.NotNull(description, nameof(description));
        return this;
    }

    // ---------------------------------------------------------------- parameters and states

    /// <summary>Declares a fixed option (one per layer, unsquashed); rules read it with <c>Expr.Param(name)</c>.</summary>
    public NeuronBuilder Option(string name, double value, string? doc = null)
    {
        _decl.Option(name, value, doc);
        return this;
    }

    /// <summary>Declares a learnable parameter with its initial RAW value; rules see squash(raw).</summary>
    public NeuronBuilder Learnable(string name, double initialRaw, string? doc = null, Squash squash = Squash.None,
        Granularity granularity = Granularity.PerLayer)
    {
        _decl.Learnable(name, initialRaw, doc, squash, granularity);
        return this;
    }

    /// <summary>Declares an extra state (V is added automatically); give its rule with <see cref="Update"/>.</summary>
    public NeuronBuilder State(string name, double initial = 0.0, string? doc = null)
    {
        _decl.State(name, initial, doc);
        return this;
    }

    // ---------------------------------------------------------------- charge

    /// <summary>Any charge rule: H = <paramref name="charge"/> (from V, X, parameters and states).</summary>
    public NeuronBuilder Charge(Expr charge)
    {
        _charge = Guard.NotNull(charge, nameof(charge)).Core;
        return this;
    }

    /// <summary>Integrate-and-fire charge, no leak: H = V + X.</summary>
    public NeuronBuilder Integrate()
    {
        _charge = SnnDsl.Core.Charge.integrate;
        return this;
    }

    /// <summary>Leaky charge H = decay * V + X, declaring the parameter <c>decay</c>.</summary>
    public NeuronBuilder Leaky(double decay, bool learnable = false, Squash squash = Squash.None,
        Granularity granularity = Granularity.PerLayer) =>
        Leaky(_decl.Named("decay", decay, learnable, squash, granularity, "leak factor beta = 1 - 1/tau", nameof(decay)));

    /// <summary>Leaky charge H = beta * V + X with any expression for beta.</summary>
    public NeuronBuilder Leaky(Expr beta)
    {
        _charge = SnnDsl.Core.Charge.leaky(Guard.NotNull(beta, nameof(beta)).Core);
        return this;
    }

    /// <summary>Decay-input charge H = V + (X - V) / tau leaking towards 0, declaring the parameter <c>tau</c>.</summary>
    public NeuronBuilder DecayInput(double tau) => DecayInput(tau, Expr.Const(0.0));

    /// <summary>Decay-input charge H = V + (X - (V - restPotential)) / tau, declaring the parameter <c>tau</c>.</summary>
    public NeuronBuilder DecayInput(double tau, Expr restPotential) =>
        DecayInput(_decl.Named("tau", Guard.Positive(tau, nameof(tau)), false, Squash.None, Granularity.PerLayer,
            "membrane time constant", nameof(tau)), restPotential);

    /// <summary>Decay-input charge H = V + (X - (V - restPotential)) / tau with any expressions.</summary>
    public NeuronBuilder DecayInput(Expr tau, Expr restPotential)
    {
        _charge = SnnDsl.Core.Charge.decayInput(Guard.NotNull(tau, nameof(tau)).Core,
            Guard.NotNull(restPotential, nameof(restPotential)).Core);
        return this;
    }

    /// <summary>Decay-input charge written with the rate k = 1/tau: H = V + (X - (V - restPotential)) * k (PLIF).</summary>
    public NeuronBuilder DecayInputRate(Expr rate, Expr restPotential)
    {
        _charge = SnnDsl.Core.Charge.decayInputRate(Guard.NotNull(rate, nameof(rate)).Core,
            Guard.NotNull(restPotential, nameof(restPotential)).Core);
        return this;
    }

    /// <summary>DA-LIF's dual decay: H = beta * V + alpha * X.</summary>
    public NeuronBuilder DualAdaptive(Expr alpha, Expr beta)
    {
        _charge = SnnDsl.Core.Charge.dualAdaptive(Guard.NotNull(alpha, nameof(alpha)).Core, Guard.NotNull(beta, nameof(beta)).Core);
        return this;
    }

    // ---------------------------------------------------------------- threshold and fire

    /// <summary>
    /// A threshold theta = threshold, declaring the parameter <c>threshold</c>: a fixed option, or with
    /// <paramref name="learnable"/> a trained value (<paramref name="value"/> is then its initial RAW value).
    /// </summary>
    public NeuronBuilder Threshold(double value, bool learnable = false, Squash squash = Squash.None,
        Granularity granularity = Granularity.PerLayer) =>
        Threshold(_decl.Named("threshold", value, learnable, squash, granularity, "firing threshold V_th", nameof(value)));

    /// <summary>Any threshold rule theta (of X, states, parameters and <c>Ref("H")</c>), e.g. AR-LIF's input-dependent one.</summary>
    public NeuronBuilder Threshold(Expr theta)
    {
        _threshold = Guard.NotNull(theta, nameof(theta)).Core;
        return this;
    }

    /// <summary>ALIF's adaptive threshold theta = baseThreshold + scale * adaptation (adaptation usually a state).</summary>
    public NeuronBuilder AdaptiveThreshold(Expr baseThreshold, Expr scale, Expr adaptation)
    {
        _threshold = SnnDsl.Core.Threshold.adaptive(Guard.NotNull(baseThreshold, nameof(baseThreshold)).Core,
            Guard.NotNull(scale, nameof(scale)).Core, Guard.NotNull(adaptation, nameof(adaptation)).Core);
        return this;
    }

    /// <summary>The surrogate gradient of the spike S = Θ(H - theta) (rectangle(1) unless set, as the built-ins).</summary>
    public NeuronBuilder Fire(Surrogate surrogate)
    {
        _surrogate = Guard.NotNull(surrogate, nameof(surrogate));
        return this;
    }

    // ---------------------------------------------------------------- reset

    /// <summary>Hard reset V = value * S + H * (1 - S), declaring the option <c>reset</c> = <paramref name="value"/>.</summary>
    public NeuronBuilder HardReset(double value = 0.0, bool detachSpike = false) =>
        HardReset(_decl.Named("reset", value, false, Squash.None, Granularity.PerLayer, "hard-reset value V_reset", nameof(value)), detachSpike);

    /// <summary>Hard reset to any expression; <paramref name="detachSpike"/> stops the gradient through S in the reset.</summary>
    public NeuronBuilder HardReset(Expr value, bool detachSpike = false) =>
        SetReset(ResetModule.hard(Guard.NotNull(value, nameof(value)).Core), detachSpike);

    /// <summary>Soft reset V = H - theta * S (subtract the threshold).</summary>
    public NeuronBuilder SoftReset(bool detachSpike = false) => SetReset(ResetModule.soft, detachSpike);

    /// <summary>Adaptive reset V = H - S * amount (AR-LIF); amount may refer to H, theta, S and extra bindings.</summary>
    public NeuronBuilder AdaptiveReset(Expr amount, bool detachSpike = false) =>
        SetReset(ResetModule.adaptive(Guard.NotNull(amount, nameof(amount)).Core), detachSpike);

    /// <summary>No reset: V = H.</summary>
    public NeuronBuilder NoReset() => SetReset(ResetModule.none, false);

    private NeuronBuilder SetReset(Reset reset, bool detach)
    {
        _reset = detach ? ResetModule.detached(reset) : reset;
        return this;
    }

    // ---------------------------------------------------------------- extra rules

    /// <summary>An extra binding computed after S (in call order); later rules read it with <c>Expr.Ref(name)</c>.</summary>
    public NeuronBuilder Bind(string name, Expr value)
    {
        _extra.Add(Tuple.Create(Guard.Name(name, nameof(name)), Guard.NotNull(value, nameof(value)).Core));
        return this;
    }

    /// <summary>The new value of an extra state declared with <see cref="State"/>.</summary>
    public NeuronBuilder Update(string state, Expr value)
    {
        _updates.Add(Tuple.Create(Guard.Name(state, nameof(state)), Guard.NotNull(value, nameof(value)).Core));
        return this;
    }

    /// <summary>Composes and validates the neuron.</summary>
    /// <exception cref="InvalidOperationException">No charge, threshold or reset rule was given.</exception>
    /// <exception cref="InvalidNeuronException">The rules refer to unknown names, names clash, or a state has no update.</exception>
    public Neuron Build()
    {
        var missing = new List<string>();
        if (_charge is null) missing.Add("a charge rule (Integrate, Leaky, DecayInput, DecayInputRate, DualAdaptive or Charge)");
        if (_threshold is null) missing.Add("a threshold (Threshold or AdaptiveThreshold)");
        if (_reset is null) missing.Add("a reset (HardReset, SoftReset, AdaptiveReset or NoReset)");
        if (missing.Count > 0)
            throw new InvalidOperationException($"neuron '{_name}' needs " + string.Join(", ", missing));
        var rules = new Rules(_name, _description, FSharpInterop.List(_decl.Params), FSharpInterop.List(_decl.States),
            _charge!, _threshold!, _surrogate.Core, _reset!, FSharpInterop.List(_extra), FSharpInterop.List(_updates));
        FNeuron composed;
        try
        {
            composed = RulesModule.compose(rules);
        }
        catch (InvalidNeuron e)
        {
            throw new InvalidNeuronException(e.neuron, e.problems);
        }
        return new Neuron(composed);
    }
}

/// <summary>
/// Builds a neuron directly as its step program, for dynamics that do not fit charge / fire / reset:
/// ordered bindings (each may refer to earlier ones with <c>Expr.Ref</c>), one update per state (V
/// included), and the binding that is the spike output.
/// </summary>
public sealed class NeuronProgramBuilder
{
    private readonly string _name;
    private string _description = "";
    private readonly Declarations _decl = new();
    private readonly List<Binding> _bindings = new();
    private readonly List<Binding> _updates = new();
    private string _output = "S";

    private NeuronProgramBuilder(string name) => _name = name;

    /// <summary>Starts a program for a neuron named <paramref name="name"/>.</summary>
    public static NeuronProgramBuilder Create(string name) => new(Guard.Name(name, nameof(name)));

    /// <summary>Sets the one-line description.</summary>
    public NeuronProgramBuilder WithDescription(string description)
    {
        _description = Guard.NotNull(description, nameof(description));
        return this;
    }

    /// <summary>Declares a fixed option.</summary>
    public NeuronProgramBuilder Option(string name, double value, string? doc = null)
    {
        _decl.Option(name, value, doc);
        return this;
    }

    /// <summary>Declares a learnable parameter with its initial RAW value.</summary>
    public NeuronProgramBuilder Learnable(string name, double initialRaw, string? doc = null, Squash squash = Squash.None,
        Granularity granularity = Granularity.PerLayer)
    {
        _decl.Learnable(name, initialRaw, doc, squash, granularity);
        return this;
    }

    /// <summary>Declares a state variable; the program must declare V.</summary>
    public NeuronProgramBuilder State(string name, double initial = 0.0, string? doc = null)
    {
        _decl.State(name, initial, doc);
        return this;
    }

    /// <summary>Declares a state whose initial value is a formula over fixed options, e.g.
    /// <c>State("u", Expr.Param("b") * Expr.Param("c"))</c> (<c>state u = b * c</c> in a neuron file).</summary>
    public NeuronProgramBuilder State(string name, Expr initial, string? doc = null)
    {
        _decl.State(name, initial, doc);
        return this;
    }

    /// <summary>Declares the values a state takes, [<paramref name="low"/>, <paramref name="high"/>], integers only
    /// when <paramref name="integer"/> (<c>state r = 0 in 0..3 integer</c>): verification draws its initial values
    /// from it and checks that the dynamics stay in it.</summary>
    public NeuronProgramBuilder Domain(string state, double low, double high, bool integer = false)
    {
        _decl.Domain(state, low, high, integer);
        return this;
    }

    /// <summary>Appends a binding of the step (evaluated in order).</summary>
    public NeuronProgramBuilder Bind(string name, Expr value)
    {
        _bindings.Add(new Binding(Guard.Name(name, nameof(name)), Guard.NotNull(value, nameof(value)).Core));
        return this;
    }

    /// <summary>A state's new value (all updates apply together at the end of the step).</summary>
    public NeuronProgramBuilder Update(string state, Expr value)
    {
        _updates.Add(new Binding(Guard.Name(state, nameof(state)), Guard.NotNull(value, nameof(value)).Core));
        return this;
    }

    /// <summary>The binding that is the spike output ("S" unless set).</summary>
    public NeuronProgramBuilder Output(string binding)
    {
        _output = Guard.Name(binding, nameof(binding));
        return this;
    }

    /// <summary>Validates and returns the neuron.</summary>
    /// <exception cref="InvalidNeuronException">Every problem of the program, at once.</exception>
    public Neuron Build() =>
        new(new FNeuron(_name, _description, FSharpInterop.List(_decl.Params), FSharpInterop.List(_decl.States),
            FSharpInterop.List(_bindings), FSharpInterop.List(_updates), _output));
}
