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

    /// <summary>How long the rendezvous and each collective wait for the other ranks (<c>--dist-timeout</c>; the settings table's default, 120 s).</summary>
    public TimeSpan Timeout { get; init; } =
        TimeSpan.FromSeconds(((SettingValue.Number)TrainSettings.defaultOf("DistTimeout").Value).Item);
}
