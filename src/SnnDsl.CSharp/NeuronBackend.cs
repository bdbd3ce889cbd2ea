using FBackend = SnnDsl.Backends.Backend;

namespace SnnDsl.CSharp;

/// <summary>
/// Which interpreter runs a neuron on tensors: the same choice as <c>--backend</c> on the command line.
/// </summary>
public enum NeuronBackend
{
    /// <summary>Fused kernels where they apply, else eager (a one-line notice says why).</summary>
    Auto,
    /// <summary>One libtorch call per operation and step.</summary>
    Eager,
    /// <summary>Fused multi-step kernels generated from the neuron, with their derived backward.</summary>
    Fused,
}

internal static class NeuronBackends
{
    public static FBackend ToCore(this NeuronBackend backend) => backend switch
    {
        NeuronBackend.Eager => FBackend.Eager,
        NeuronBackend.Fused => FBackend.Fused,
        NeuronBackend.Auto => FBackend.Auto,
        _ => throw new System.ArgumentOutOfRangeException(nameof(backend), backend, "unknown backend"),
    };
}
