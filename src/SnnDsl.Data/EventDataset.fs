namespace SnnDsl.Data

open System
open System.Buffers

/// Event samples held in memory, integrated into [T, polarities, H, W] frames of event counts on every access
/// (the registry's datasets integrate once instead: see FrameDataset).
[<Sealed>]
type EventDataset(name: string, classNames: string[], sensor: SensorSize, events: Events[], labels: int[], frames: int, splitBy: SplitBy) =
    inherit Dataset(name, Frames.shape sensor frames, classNames)
    do
        if frames <= 0 then invalidArg "frames" $"the number of frames must be positive, got {frames}"
        if events.Length <> labels.Length then
            invalidArg "labels" $"{events.Length} event samples but {labels.Length} labels"

    /// The sensor.
    member _.Sensor = sensor
    /// Number of frames T per sample.
    member _.Frames = frames
    /// How events are divided among frames.
    member _.SplitBy = splitBy
    /// The raw events of sample index.
    member _.Events(index: int) = events[index]

    override _.Count = events.Length
    override _.Label(index) = labels[index]
    override d.CopyPixels(index, destination) =
        d.Check(index, destination.Length)
        let counts = ArrayPool<int>.Shared.Rent destination.Length
        try
            let c = Span<int>(counts, 0, destination.Length)
            Frames.integrate sensor splitBy frames events[index] c
            for i in 0 .. c.Length - 1 do
                destination[i] <- float32 c[i]
        finally
            ArrayPool<int>.Shared.Return counts
