namespace SnnDsl.Data

open System
open System.Buffers
open System.IO

/// Where the frames of a FrameDataset come from.
[<RequireQualifiedAccess>]
type FrameSource =
    /// A verified frame-cache entry was reused: no event was parsed.
    | Cached of path: string
    /// The events were parsed and integrated now and written to the cache (reason: why no entry was reused).
    | Built of path: string * reason: string
    /// The events were parsed and integrated now and kept in memory (the cache is off).
    | InMemory

    override s.ToString() =
        match s with
        | Cached p -> $"frames reused from the cache: {p}"
        | Built(p, why) -> $"frames integrated and cached ({why}): {p}"
        | InMemory -> "frames integrated in memory (cache off)"

/// Event samples integrated once into frames of event counts, stored compactly (FrameCodec) in the frame cache
/// or in memory, and expanded on access to float32 [T, polarities, H, W], or resized to [T, polarities, R, R].
[<Sealed>]
type FrameDataset internal
    (name: string, classNames: string[], sensor: SensorSize, frames: int, splitBy: SplitBy, labels: int[],
     read: int -> byte[], resize: int option, source: FrameSource) =
    inherit Dataset(
        name,
        (match resize with
         | Some r -> [| frames; sensor.Polarities; r; r |]
         | None -> Frames.shape sensor frames),
        classNames)
    let rawSize = frames * sensor.FrameSize
    let where = match source with FrameSource.Cached p | FrameSource.Built(p, _) -> p | FrameSource.InMemory -> name

    /// The sensor the events came from.
    member _.Sensor = sensor
    /// Number of frames T.
    member _.Frames = frames
    /// How events were divided among frames.
    member _.SplitBy = splitBy
    /// The side of the resized frames, if resized.
    member _.Resize = resize
    /// Whether the frames came from the cache, were built now, or live in memory.
    member _.Source = source

    member private _.Decode(index: int, blob: byte[], dst: Span<float32>) =
        try FrameCodec.decode (ReadOnlySpan<byte>(blob)) dst
        with FrameCodec.CorruptBlob why -> raise (DataFileException(where, $"sample {index}: corrupt frames: {why}"))

    override _.Count = labels.Length
    override _.Label(index) = labels[index]
    override d.CopyPixels(index, destination) =
        d.Check(index, destination.Length)
        let blob = read index
        match resize with
        | None -> d.Decode(index, blob, destination)
        | Some r ->
            let scratch = ArrayPool<float32>.Shared.Rent rawSize
            try
                let raw = Span<float32>(scratch, 0, rawSize)
                d.Decode(index, blob, raw)
                Resize.planes (frames * sensor.Polarities) (sensor.Height, sensor.Width) (r, r) (Span.op_Implicit raw) destination
            finally
                ArrayPool<float32>.Shared.Return scratch

/// A group of samples read together (one file, or one recording cut into several samples).
type EventSource =
    { /// The label of each sample of the group.
      Labels: int[]
      /// Reads the events of each sample of the group (as many as Labels), decoding the file(s) once.
      Read: unit -> Events[] }

/// What an event dataset split consists of, before integration.
type EventSpec =
    { /// Registry name, e.g. "cifar10-dvs".
      Dataset: string
      /// "train" or "test" (or a named split such as "test-paper").
      Split: string
      /// The sensor the events are integrated on; every event must lie inside it.
      Sensor: SensorSize
      /// Class names, indexed by label.
      ClassNames: string[]
      /// The groups of samples, in sample order.
      Sources: EventSource[]
      /// The files read, for the cache fingerprint.
      Files: string[] }

/// How event samples become frames.
type FrameOptions =
    { /// Number of frames T per sample.
      Frames: int
      /// How events are divided among the frames.
      SplitBy: SplitBy
      /// The cache folder, or None to keep the frames in memory.
      CacheDirectory: string option
      /// Resize frames to R x R on access.
      Resize: int option }

/// Integration of an EventSpec into a FrameDataset, through the frame cache.
[<RequireQualifiedAccess>]
module EventFrames =
    /// The cache key of a spec under options.
    let key (spec: EventSpec) (options: FrameOptions) : FrameCacheKey =
        { Dataset = spec.Dataset; Split = spec.Split; Frames = options.Frames; Method = string options.SplitBy
          Sensor = spec.Sensor; Fingerprint = FrameCache.fingerprint spec.Files }

    /// Integrates every source, chunk by chunk in parallel, passing (label, blob) pairs to sink in order.
    let private integrateAll (spec: EventSpec) (options: FrameOptions) (sink: int -> byte[] -> unit) =
        let chunk = max 1 (4 * Environment.ProcessorCount)
        for start in 0 .. chunk .. spec.Sources.Length - 1 do
            let part = spec.Sources[start .. min (spec.Sources.Length - 1) (start + chunk - 1)]
            let results =
                part
                |> Parallel.map (fun src ->
                    let evs = src.Read()
                    if evs.Length <> src.Labels.Length then
                        invalidOp $"{spec.Dataset}: a source promised {src.Labels.Length} samples but read {evs.Length}"
                    evs |> Array.map (fun e ->
                        let counts = Frames.counts spec.Sensor options.SplitBy options.Frames e
                        FrameCodec.encode (ReadOnlySpan<int>(counts))))
            for src, blobs in Array.zip part results do
                for label, blob in Array.zip src.Labels blobs do
                    sink label blob

    let private check (spec: EventSpec) (options: FrameOptions) =
        if options.Frames <= 0 then invalidArg "options" $"the number of frames must be positive, got {options.Frames}"
        match options.Resize with
        | Some r when r <= 0 -> invalidArg "options" $"the resize side must be positive, got {r}"
        | _ -> ()
        for src in spec.Sources do
            for l in src.Labels do
                if l < 0 || l >= spec.ClassNames.Length then
                    invalidArg "spec" $"{spec.Dataset}: label {l} is outside 0..{spec.ClassNames.Length - 1}"

    /// The frames of spec: a verified cache entry when there is one, else parsed, integrated and (with a
    /// cache folder) written to the cache first.
    let build (spec: EventSpec) (options: FrameOptions) : FrameDataset =
        check spec options
        let name = $"{spec.Dataset}/{spec.Split}"
        let make labels read source =
            FrameDataset(name, spec.ClassNames, spec.Sensor, options.Frames, options.SplitBy, labels, read, options.Resize, source)
        match options.CacheDirectory with
        | None ->
            let labels = ResizeArray<int>()
            let blobs = ResizeArray<byte[]>()
            integrateAll spec options (fun l b -> labels.Add l; blobs.Add b)
            let blobs = blobs.ToArray()
            make (labels.ToArray()) (fun i -> blobs[i]) FrameSource.InMemory
        | Some dir ->
            let k = key spec options
            let path = Path.Combine(dir, FrameCache.fileName k)
            match FrameCache.tryOpen path k with
            | Ok entry -> make entry.Labels entry.ReadBlob (FrameSource.Cached path)
            | Error why ->
                try Directory.CreateDirectory dir |> ignore
                with :? IOException | :? UnauthorizedAccessException as e ->
                    raise (DataFileException(dir, $"cannot create the frame cache folder ({e.Message}); choose another cache folder or turn the frame cache off", e))
                (try
                    use writer = new FrameCache.Writer(path, k, spec.ClassNames)
                    integrateAll spec options (fun l b -> writer.Add(l, b))
                    writer.Commit()
                 with :? UnauthorizedAccessException as e ->
                    raise (DataFileException(path, $"cannot write the frame cache ({e.Message})", e)))
                match FrameCache.tryOpen path k with
                | Ok entry -> make entry.Labels entry.ReadBlob (FrameSource.Built(path, why))
                | Error again -> raise (DataFileException(path, $"the frame cache entry just written does not verify: {again}"))
