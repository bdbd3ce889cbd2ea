using System;
using System.Collections.Generic;
using System.Linq;
using TorchSurrogate = SnnDsl.Core.Surrogate;
using SnnDsl.Core;

namespace SnnDsl.CSharp;

/// <summary>
/// A surrogate gradient for the spike: the forward is always the Heaviside step Θ(x) (1 for x &gt;= 0); the
/// backward uses this function's derivative. x is the distance to the threshold, H - theta.
/// </summary>
public sealed class Surrogate : IEquatable<Surrogate>
{
    internal TorchSurrogate Core { get; }

    private Surrogate(TorchSurrogate core) => Core = core;

    internal static Surrogate Of(TorchSurrogate core) => new(core);

    /// <summary>The name as the command line writes it: rectangle, triangle, sigmoid, atan or fast-sigmoid.</summary>
    public string Name => SurrogateModule.describe(Core).Item1;

    /// <summary>The surrogate's width or sharpness parameter.</summary>
    public double Parameter => SurrogateModule.describe(Core).Item2;

    /// <summary>The valid surrogate names, for <see cref="Parse"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = SurrogateModule.all.Select(p => p.Item1).ToArray();

    /// <summary>Rectangle: (1/width) inside |x| &lt; width/2, 0 outside (the built-ins' surrogate, width 1).</summary>
    public static Surrogate Rectangle(double width = SurrogateModule.DefaultRectangleWidth) =>
        new(TorchSurrogate.NewRectangle(Guard.Positive(width, nameof(width))));

    /// <summary>Triangle: max(0, gamma - |x|) / gamma².</summary>
    public static Surrogate Triangle(double gamma = SurrogateModule.DefaultTriangleGamma) =>
        new(TorchSurrogate.NewTriangle(Guard.Positive(gamma, nameof(gamma))));

    /// <summary>Sigmoid: alpha σ(alpha x)(1 - σ(alpha x)).</summary>
    public static Surrogate Sigmoid(double alpha = SurrogateModule.DefaultSigmoidAlpha) =>
        new(TorchSurrogate.NewSigmoid(Guard.Positive(alpha, nameof(alpha))));

    /// <summary>Arctangent: (alpha/2) / (1 + (π/2 alpha x)²).</summary>
    public static Surrogate Atan(double alpha = SurrogateModule.DefaultAtanAlpha) =>
        new(TorchSurrogate.NewAtan(Guard.Positive(alpha, nameof(alpha))));

    /// <summary>SuperSpike's fast sigmoid: 1 / (beta |x| + 1)².</summary>
    public static Surrogate FastSigmoid(double beta = SurrogateModule.DefaultFastSigmoidBeta) =>
        new(TorchSurrogate.NewFastSigmoid(Guard.Positive(beta, nameof(beta))));

    /// <summary>Parses "name" or "name:parameter", e.g. "sigmoid:4"; an unknown name lists the valid ones.</summary>
    /// <exception cref="ArgumentException">The text names no surrogate or has a bad parameter.</exception>
    public static Surrogate Parse(string text)
    {
        Guard.NotNull(text, nameof(text));
        return new(FSharpInterop.Unwrap(SurrogateModule.parse(text), e => new ArgumentException(e, nameof(text))));
    }

    /// <summary>The derivative dΘ/dx that the backward pass uses at x.</summary>
    public double Derivative(double x) => SnnDsl.Core.Ops.surrogateDerivative(Core, x);

    /// <inheritdoc />
    public bool Equals(Surrogate? other) => other is not null && Core.Equals(other.Core);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Surrogate);

    /// <inheritdoc />
    public override int GetHashCode() => Core.GetHashCode();

    /// <summary>The name with its parameter, e.g. "atan(2)".</summary>
    public override string ToString() => SnnDsl.Core.Describe.surrogate(Core);
}
