namespace SnnDsl.Data

open System

/// How the events of a sample are divided among T frames (SpikingJelly's split_by, plus its fixed-duration
/// integration).
[<RequireQualifiedAccess>]
type SplitBy =
    /// Equal event counts: with N events and di = N / T (integer division), frame j takes events
    /// [j*di, (j+1)*di) and the last frame [(T-1)*di, N), the remainder included (all events when N < T).
    | Number
    /// Equal time windows: with dt = (t_last - t_first) / T (integer division, at least 1 us), frame j takes
    /// the events from the first to the last one whose timestamp lies in [t_first + j*dt, t_first + (j+1)*dt),
    /// and the last frame everything from its first event on (the remainder included).
    | Time
    /// Windows of a fixed duration in microseconds: a frame starts at the first event not yet taken, t_l, and
    /// takes the events with t - t_l <= duration; a sample gives as many frames as it needs, and a dataset of
    /// T frames keeps the first T (empty frames after the last one).
    | Duration of microseconds: int64

    /// "number", "time" or "duration:<us>".
    override s.ToString() =
        match s with
        | Number -> "number"
        | Time -> "time"
        | Duration d -> $"duration:{d}"

/// Parsing split names.
[<RequireQualifiedAccess>]
module SplitBy =
    /// Parses "number", "time" or "duration:<microseconds>" (case-insensitive); the error lists the forms.
    let parse (text: string) : Result<SplitBy, string> =
        let s = if isNull text then "" else text.Trim().ToLowerInvariant()
        match s with
        | "number" -> Ok SplitBy.Number
        | "time" -> Ok SplitBy.Time
        | _ when s.StartsWith "duration:" ->
            match Int64.TryParse(s.Substring 9) with
            | true, d when d > 0L -> Ok(SplitBy.Duration d)
            | _ -> Error $"split-by '{text}': the duration must be a positive number of microseconds, e.g. duration:50000"
        | _ -> Error $"split-by '{text}': valid values are number, time and duration:<microseconds>"

/// Integration of events into frames of per-pixel event counts, as SpikingJelly's
/// integrate_events_by_fixed_frames_number (split by number or time) and integrate_events_by_fixed_duration
/// do it: a sample becomes [T, polarities, height, width], channel = polarity, row = y, column = x.
[<RequireQualifiedAccess>]
module Frames =
    /// The shape of T frames of a sensor: [T, polarities, height, width].
    let shape (sensor: SensorSize) (frames: int) = [| frames; sensor.Polarities; sensor.Height; sensor.Width |]

    /// Every fixed-duration window of timestamps t as [start, end) index ranges (none when t is empty).
    let durationSegments (duration: int64) (t: int64[]) : struct (int * int)[] =
        if duration <= 0L then invalidArg "duration" $"the window duration must be positive, got {duration}"
        let n = t.Length
        let segs = ResizeArray<struct (int * int)>()
        let mutable left = 0
        while left < n do
            let tl = t[left]
            let mutable right = left
            while right < n && t[right] - tl <= duration do
                right <- right + 1
            segs.Add(struct (left, right))
            left <- right
        segs.ToArray()

    /// The [start, end) range of event indices that each of the T frames integrates.
    let segments (splitBy: SplitBy) (frames: int) (t: int64[]) : struct (int * int)[] =
        if frames <= 0 then invalidArg "frames" $"the number of frames must be positive, got {frames}"
        let n = t.Length
        match splitBy with
        | SplitBy.Number ->
            let di = n / frames
            Array.init frames (fun j -> if j = frames - 1 then struct (j * di, n) else struct (j * di, (j + 1) * di))
        | SplitBy.Time when n = 0 -> Array.create frames (struct (0, 0))
        | SplitBy.Time ->
            let t0 = t[0]
            // A sample shorter than T microseconds gets 1 us windows (SpikingJelly fails there).
            let dt = max 1L ((t[n - 1] - t0) / int64 frames)
            let first = Array.create frames -1
            let last = Array.create frames -1
            for k in 0 .. n - 1 do
                let d = t[k] - t0
                if d >= 0L && d / dt < int64 frames then
                    let w = int (d / dt)
                    if first[w] < 0 then first[w] <- k
                    last[w] <- k
            Array.init frames (fun j ->
                if j < frames - 1 then
                    if first[j] < 0 then struct (0, 0) else struct (first[j], last[j] + 1)
                else
                    // The last frame runs to the end; with its window empty, from the first later event.
                    let start =
                        if first[j] >= 0 then first[j]
                        else
                            let tl = t0 + int64 j * dt
                            match Array.tryFindIndex (fun v -> v >= tl) t with
                            | Some k -> k
                            | None -> n
                    struct (start, n))
        | SplitBy.Duration d ->
            let all = durationSegments d t
            Array.init frames (fun j -> if j < all.Length then all[j] else struct (n, n))

    /// Writes the event counts of T frames into dst (length T * sensor.FrameSize), overwriting it. An event
    /// outside the sensor is an ArgumentException naming it.
    let integrate (sensor: SensorSize) (splitBy: SplitBy) (frames: int) (events: Events) (dst: Span<int>) =
        let frameSize = sensor.FrameSize
        if dst.Length <> frames * frameSize then
            invalidArg "dst" $"{frames} frames of {sensor} need {frames * frameSize} cells but dst holds {dst.Length}"
        dst.Clear()
        let w, h, plane = sensor.Width, sensor.Height, sensor.Width * sensor.Height
        let xs, ys, ps = events.X, events.Y, events.P
        let segs = segments splitBy frames events.T
        for f in 0 .. frames - 1 do
            let struct (lo, hi) = segs[f]
            let baseIndex = f * frameSize
            for k in lo .. hi - 1 do
                let x, y, p = int xs[k], int ys[k], int ps[k]
                if x >= w || y >= h || p >= sensor.Polarities then
                    invalidArg "events" $"event {k} at x={x}, y={y}, p={p} lies outside the {sensor} sensor"
                let pos = baseIndex + p * plane + y * w + x
                dst[pos] <- dst[pos] + 1

    /// The counts of T frames as a new int array of shape [T, polarities, height, width].
    let counts (sensor: SensorSize) (splitBy: SplitBy) (frames: int) (events: Events) : int[] =
        let a = Array.zeroCreate<int> (frames * sensor.FrameSize)
        integrate sensor splitBy frames events (Span<int>(a))
        a

    /// The frames as a new float32 array of shape [T, polarities, height, width].
    let toArray (sensor: SensorSize) (splitBy: SplitBy) (frames: int) (events: Events) : float32[] =
        counts sensor splitBy frames events |> Array.map float32
