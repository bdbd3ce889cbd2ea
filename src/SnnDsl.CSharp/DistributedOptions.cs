using System;
using SnnDsl.Training;

namespace SnnDsl.CSharp;

/// <summary>
/// Data-parallel training: this process is rank <see cref="Rank"/> of <see cref="WorldSize"/> processes that meet
/// at <see cref="Master"/> (rank 0 hosts a TCP store there), the same settings as <c>snn train --world-size W
/// --rank R --master HOST:PORT</c>. Every rank builds the same network with the same options; the batch size is
/// per rank; only rank 0 writes files (docs/distributed.md).
/// </summary>
/// <param name="Rank">This process's rank, 0 .. WorldSize - 1.</param>
/// <param name="WorldSize">The number of processes.</param>
/// <param name="Master">HOST:PORT of rank 0's store, e.g. "127.0.0.1:29500".</param>
public sealed record DistributedOptions(int Rank, int WorldSize, string Master)
{
    /// <summary>BatchNorm with statistics over every rank's batch (<c>--sync-bn</c>).</summary>
    public bool SyncBatchNorm { get; init; }

    /// <summary>How long the rendezvous and each collective wait for the other ranks (120 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The library's typed form; the exception names what is wrong.</summary>
    /// <exception cref="ArgumentException">The master is not HOST:PORT, or the rank is outside the world.</exception>
    internal WorldConfig ToCore()
    {
        if (WorldSize < 1) throw new ArgumentOutOfRangeException(nameof(WorldSize), WorldSize, "the world size must be at least 1");
        if (Rank < 0 || Rank >= WorldSize)
            throw new ArgumentOutOfRangeException(nameof(Rank), Rank, $"rank {Rank} is outside a world of {WorldSize} (valid ranks: 0..{WorldSize - 1})");
        if (!(Timeout > TimeSpan.Zero)) throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "the timeout must be positive");
        Guard.NotNull(Master, nameof(Master));
        var i = Master.LastIndexOf(':');
        if (i <= 0 || !int.TryParse(Master.AsSpan(i + 1), out var port) || port < 1 || port > 65535)
            throw new ArgumentException($"expected HOST:PORT, e.g. 10.0.0.1:29500, got '{Master}'", nameof(Master));
        return new WorldConfig(Rank, WorldSize, SnnDsl.Torch.Rendezvous.NewTcp(Master[..i], port), SyncBatchNorm, Timeout);
    }
}
