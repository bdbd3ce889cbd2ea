using SnnDsl.Torch;

namespace SnnDsl.CSharp;

/// <summary>Process-wide engine controls: threads, seeds, CUDA, and the live native tensor count.</summary>
public static class SnnRuntime
{
    /// <summary>The libtorch version the native shim was built against, e.g. "libtorch 1.13.0".</summary>
    public static string Version => Torch.Torch.version();

    /// <summary>libtorch's intra-op thread count (a trainer sets it from <see cref="TrainingOptions.Threads"/>).</summary>
    public static int Threads
    {
        get => Torch.Torch.threads();
        set => Torch.Torch.setThreads(Guard.Positive(value, nameof(value)));
    }

    /// <summary>Seeds libtorch's generators (initial weights, dropout).</summary>
    public static void Seed(long seed) => Torch.Torch.manualSeed(unchecked((ulong)seed));

    /// <summary>True when this libtorch has CUDA and a GPU is visible.</summary>
    public static bool CudaAvailable => Torch.Torch.cudaAvailable();

    /// <summary>The number of native tensors alive in the process (for leak checks).</summary>
    public static long LiveTensors => Torch.Torch.liveTensors();
}
