using System;
using System.Collections.Generic;
using FEncoding = SnnDsl.Nn.Encoding;
using SnnDsl.Nn;

namespace SnnDsl.CSharp;

/// <summary>
/// How inputs reach a network's T steps (<c>snn train --encode</c>), as snnTorch's spikegen makes them: the
/// value at every step, or spikes (rate, latency, delta). The library's <c>SnnDsl.Nn.Encoding</c>; its checks
/// and text form are the library's.
/// </summary>
public sealed class InputEncoding : IEquatable<InputEncoding>
{
    internal FEncoding Core { get; }

    private InputEncoding(FEncoding core) => Core = core;

    internal static InputEncoding Of(FEncoding core) => new(core);

    private static InputEncoding Checked(FEncoding core, string parameter)
    {
        if (EncodingModule.problem(core) is { } problem) throw new ArgumentOutOfRangeException(parameter, problem.Value);
        return new(core);
    }

    /// <summary>The valid encoder names, for <see cref="Parse"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. EncodingModule.names];

    /// <summary>The value itself at every step (the default: the first layer is the encoder); frames as they are.</summary>
    public static InputEncoding Direct { get; } = new(FEncoding.Direct);

    /// <summary>At each step a spike with probability clamp(gain x, 0, 1), independently.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The gain is not a positive number.</exception>
    public static InputEncoding Rate(double gain = EncodingModule.DefaultGain) => Checked(FEncoding.NewRate(gain), nameof(gain));

    /// <summary>One spike per value at step round((T - 1)(1 - clamp(x, 0, 1))): larger values earlier; none below the threshold. Static inputs only.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1).</exception>
    public static InputEncoding Latency(double threshold = EncodingModule.DefaultLatencyThreshold) =>
        Checked(FEncoding.NewLatency(threshold), nameof(threshold));

    /// <summary>A spike where the input rises by at least the threshold from the step before; with <paramref name="offSpikes"/> -1 where it falls by as much.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not a positive number.</exception>
    public static InputEncoding Delta(double threshold = EncodingModule.DefaultDeltaThreshold, bool offSpikes = false) =>
        Checked(FEncoding.NewDelta(threshold, offSpikes), nameof(threshold));

    /// <summary>Parses the command line's form: direct, rate[:gain], latency[:threshold], delta[:threshold[:off]].</summary>
    /// <exception cref="ArgumentException">The text names no encoder or has a bad parameter (the message says which).</exception>
    public static InputEncoding Parse(string text)
    {
        Guard.NotNull(text, nameof(text));
        return new(FSharpInterop.Unwrap(EncodingModule.parse(text), e => new ArgumentException(e, nameof(text))));
    }

    /// <inheritdoc />
    public bool Equals(InputEncoding? other) => other is not null && Core.Equals(other.Core);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as InputEncoding);

    /// <inheritdoc />
    public override int GetHashCode() => Core.GetHashCode();

    /// <summary>The command line's form, e.g. "rate:1.5", which <see cref="Parse"/> reads back.</summary>
    public override string ToString() => EncodingModule.text(Core);
}
