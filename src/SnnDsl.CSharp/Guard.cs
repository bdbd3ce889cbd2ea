using System;
using System.Collections.Generic;
using System.Linq;

namespace SnnDsl.CSharp;

/// <summary>Argument checks with the parameter's name in every exception.</summary>
internal static class Guard
{
    public static T NotNull<T>(T? value, string name) where T : class =>
        value ?? throw new ArgumentNullException(name);

    public static string Name(string? value, string name)
    {
        if (value is null) throw new ArgumentNullException(name);
        if (value.Length == 0 || value.Any(char.IsWhiteSpace) || value == "X")
            throw new ArgumentException($"'{value}' is not a valid name (empty, 'X' or containing spaces)", name);
        return value;
    }

    public static double Finite(double value, string name) =>
        double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, "the value must be a finite number");

    public static double Positive(double value, string name) =>
        double.IsFinite(value) && value > 0
            ? value
            : throw new ArgumentOutOfRangeException(name, value, "the value must be a positive finite number");

    public static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "the value must be positive");

    public static int NotNegative(int value, string name) =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value, "the value must not be negative");

    public static void NotDisposed(bool disposed, object owner)
    {
        if (disposed) throw new ObjectDisposedException(owner.GetType().Name, $"this {owner.GetType().Name} was disposed");
    }
}

/// <summary>Shapes as text, e.g. "[2, 3, 28, 28]": the library's one formatter.</summary>
internal static class ShapeText
{
    public static string Of(IEnumerable<int> shape) => SnnDsl.Core.Shape.text(shape);
}
