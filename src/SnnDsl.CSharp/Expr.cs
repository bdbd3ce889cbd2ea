using System;
using FExpr = SnnDsl.Core.Expr;
using UnaryOp = SnnDsl.Core.UnaryOp;
using BinaryOp = SnnDsl.Core.BinaryOp;
using Comparison = SnnDsl.Core.Comparison;

namespace SnnDsl.CSharp;

/// <summary>
/// One rule of a neuron's step as an expression tree: the input X, previous state values, parameters,
/// constants, earlier bindings and the operations between them. Trees compare by structure.
/// </summary>
/// <example><code>var h = Expr.Param("decay") * Expr.V + Expr.X;   // H = decay * V + X</code></example>
public sealed class Expr : IEquatable<Expr>
{
    internal FExpr Core { get; }

    internal Expr(FExpr core) => Core = core;

    /// <summary>The input current X_t of this step.</summary>
    public static Expr X { get; } = new(FExpr.Input);

    /// <summary>The membrane potential at the end of the previous step, <c>State("V")</c>.</summary>
    public static Expr V { get; } = new(FExpr.NewState("V"));

    /// <summary>The value the state <paramref name="name"/> held at the end of the previous step.</summary>
    public static Expr State(string name) => new(FExpr.NewState(Guard.Name(name, nameof(name))));

    /// <summary>The effective value squash(raw) of the parameter <paramref name="name"/>.</summary>
    public static Expr Param(string name) => new(FExpr.NewParam(Guard.Name(name, nameof(name))));

    /// <summary>A finite constant.</summary>
    public static Expr Const(double value) => new(FExpr.NewConst(Guard.Finite(value, nameof(value))));

    /// <summary>An earlier binding of the same step, e.g. <c>Ref("H")</c>, <c>Ref("theta")</c>, <c>Ref("S")</c>.</summary>
    public static Expr Ref(string name) => new(FExpr.NewRef(Guard.Name(name, nameof(name))));

    /// <summary>A constant (lets numbers mix with expressions: <c>2.0 * Expr.Param("vth")</c>).</summary>
    public static implicit operator Expr(double value) => Const(value);

    /// <summary>tanh(e).</summary>
    public static Expr Tanh(Expr e) => Unary(UnaryOp.Tanh, e, nameof(e));

    /// <summary>The logistic σ(e) = 1 / (1 + exp(-e)).</summary>
    public static Expr Sigmoid(Expr e) => Unary(UnaryOp.Sigmoid, e, nameof(e));

    /// <summary>exp(e).</summary>
    public static Expr Exp(Expr e) => Unary(UnaryOp.Exp, e, nameof(e));

    /// <summary>The natural logarithm of e.</summary>
    public static Expr Log(Expr e) => Unary(UnaryOp.Log, e, nameof(e));

    /// <summary>max(e, 0).</summary>
    public static Expr Relu(Expr e) => Unary(UnaryOp.Relu, e, nameof(e));

    /// <summary>|e|.</summary>
    public static Expr Abs(Expr e) => Unary(UnaryOp.Abs, e, nameof(e));

    /// <summary>The elementwise minimum (a tie picks <paramref name="a"/>, value and gradient).</summary>
    public static Expr Min(Expr a, Expr b) => Binary(BinaryOp.Min, a, b);

    /// <summary>The elementwise maximum (a tie picks <paramref name="a"/>, value and gradient).</summary>
    public static Expr Max(Expr a, Expr b) => Binary(BinaryOp.Max, a, b);

    /// <summary>Θ(e) forward (1 for e &gt;= 0), the surrogate's derivative backward.</summary>
    public static Expr Spike(Surrogate surrogate, Expr e) =>
        new(FExpr.NewSpike(Guard.NotNull(surrogate, nameof(surrogate)).Core, Guard.NotNull(e, nameof(e)).Core));

    /// <summary>Θ(e) with the library's default surrogate (atan 2), as <c>spike(e)</c> in a neuron file.</summary>
    public static Expr Spike(Expr e) => new(SnnDsl.Core.ExprModule.fire(Guard.NotNull(e, nameof(e)).Core));

    /// <summary>The square root of e.</summary>
    public static Expr Sqrt(Expr e) => Unary(UnaryOp.Sqrt, e, nameof(e));

    /// <summary>The largest integer not above e; no gradient flows through it.</summary>
    public static Expr Floor(Expr e) => Unary(UnaryOp.Floor, e, nameof(e));

    /// <summary><paramref name="a"/> raised to the power <paramref name="b"/> (<c>a ^ b</c> in a neuron file).</summary>
    public static Expr Pow(Expr a, Expr b) => Binary(BinaryOp.Pow, a, b);

    /// <summary>min(max(e, lo), hi).</summary>
    public static Expr Clamp(Expr e, Expr lo, Expr hi) => Min(Max(e, lo), hi);

    /// <summary>1 where a &lt; b, else 0; no gradient (also the operator <c>&lt;</c>).</summary>
    public static Expr Lt(Expr a, Expr b) => Compare(Comparison.Lt, a, b);

    /// <summary>1 where a &lt;= b, else 0; no gradient.</summary>
    public static Expr Le(Expr a, Expr b) => Compare(Comparison.Le, a, b);

    /// <summary>1 where a &gt; b, else 0; no gradient.</summary>
    public static Expr Gt(Expr a, Expr b) => Compare(Comparison.Gt, a, b);

    /// <summary>1 where a &gt;= b, else 0; no gradient.</summary>
    public static Expr Ge(Expr a, Expr b) => Compare(Comparison.Ge, a, b);

    /// <summary>1 where a = b, else 0; no gradient (a method: <c>==</c> keeps comparing trees).</summary>
    public static Expr Eq(Expr a, Expr b) => Compare(Comparison.Eq, a, b);

    /// <summary>1 where a &lt;&gt; b, else 0; no gradient.</summary>
    public static Expr Ne(Expr a, Expr b) => Compare(Comparison.Ne, a, b);

    /// <summary><paramref name="whenTrue"/> where <paramref name="condition"/> is not 0, else <paramref name="whenFalse"/> (torch.where).</summary>
    public static Expr Where(Expr condition, Expr whenTrue, Expr whenFalse) =>
        new(FExpr.NewWhere(Guard.NotNull(condition, nameof(condition)).Core, Guard.NotNull(whenTrue, nameof(whenTrue)).Core,
            Guard.NotNull(whenFalse, nameof(whenFalse)).Core));

    /// <summary>1 where both are non-zero, else 0 (also the operator <c>&amp;</c>).</summary>
    public static Expr And(Expr a, Expr b) => Binary(BinaryOp.And, a, b);

    /// <summary>1 where either is non-zero, else 0 (also the operator <c>|</c>).</summary>
    public static Expr Or(Expr a, Expr b) => Binary(BinaryOp.Or, a, b);

    /// <summary>1 where e is 0, else 0 (also the operator <c>!</c>).</summary>
    public static Expr Not(Expr e) => Unary(UnaryOp.Not, e, nameof(e));

    /// <summary>The value of e with its gradient stopped.</summary>
    public static Expr Detach(Expr e) => new(FExpr.NewDetach(Guard.NotNull(e, nameof(e)).Core));

    /// <summary>a + b.</summary>
    public static Expr operator +(Expr a, Expr b) => Binary(BinaryOp.Add, a, b);

    /// <summary>a - b.</summary>
    public static Expr operator -(Expr a, Expr b) => Binary(BinaryOp.Sub, a, b);

    /// <summary>a * b.</summary>
    public static Expr operator *(Expr a, Expr b) => Binary(BinaryOp.Mul, a, b);

    /// <summary>a / b.</summary>
    public static Expr operator /(Expr a, Expr b) => Binary(BinaryOp.Div, a, b);

    /// <summary>-a.</summary>
    public static Expr operator -(Expr a) => Unary(UnaryOp.Neg, a, nameof(a));

    /// <summary>1 where a &lt; b, else 0 (no gradient).</summary>
    public static Expr operator <(Expr a, Expr b) => Lt(a, b);

    /// <summary>1 where a &gt; b, else 0 (no gradient).</summary>
    public static Expr operator >(Expr a, Expr b) => Gt(a, b);

    /// <summary>1 where a &lt;= b, else 0 (no gradient).</summary>
    public static Expr operator <=(Expr a, Expr b) => Le(a, b);

    /// <summary>1 where a &gt;= b, else 0 (no gradient).</summary>
    public static Expr operator >=(Expr a, Expr b) => Ge(a, b);

    /// <summary>Logical and of two conditions.</summary>
    public static Expr operator &(Expr a, Expr b) => And(a, b);

    /// <summary>Logical or of two conditions.</summary>
    public static Expr operator |(Expr a, Expr b) => Or(a, b);

    /// <summary>Logical not of a condition.</summary>
    public static Expr operator !(Expr a) => Not(a);

    private static Expr Compare(Comparison c, Expr a, Expr b) =>
        new(FExpr.NewCompare(c, Guard.NotNull(a, nameof(a)).Core, Guard.NotNull(b, nameof(b)).Core));

    private static Expr Unary(UnaryOp op, Expr e, string name) => new(FExpr.NewUnary(op, Guard.NotNull(e, name).Core));

    private static Expr Binary(BinaryOp op, Expr a, Expr b) =>
        new(FExpr.NewBinary(op, Guard.NotNull(a, nameof(a)).Core, Guard.NotNull(b, nameof(b)).Core));

    /// <inheritdoc />
    public bool Equals(Expr? other) => other is not null && Core.Equals(other.Core);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Expr);

    /// <inheritdoc />
    public override int GetHashCode() => Core.GetHashCode();

    /// <summary>The expression in infix notation, e.g. <c>decay * V + X</c>.</summary>
    public override string ToString() => SnnDsl.Core.Describe.expr(Core);
}
