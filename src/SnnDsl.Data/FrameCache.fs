namespace SnnDsl.Data

open System
open System.IO
open System.Security.Cryptography
open System.Text
open System.Text.Json
open Microsoft.Win32.SafeHandles

/// What identifies one entry of the frame cache: a dataset split integrated one way from a given set of
/// source files (their names, sizes and modification times, hashed into Fingerprint).
type FrameCacheKey =
    { /// Registry name of the dataset, e.g. "cifar10-dvs".
      Dataset: string
      /// The split: "train", "test" or a named one such as "test-paper".
      Split: string
      /// Number of frames T per sample.
      Frames: int
      /// SplitBy's text: number, time or duration:<us>.
      Method: string
      /// The sensor the events were integrated on.
      Sensor: SensorSize
      /// The hash of the source files' paths, sizes and modification times (FrameCache.fingerprint).
      Fingerprint: string }

/// One verified cache file opened for reading: the labels, and each sample's blob read on demand.
[<Sealed>]
type FrameCacheEntry internal (path: string, handle: SafeFileHandle, labels: int[], offsets: int64[], classNames: string[]) =
    /// The cache file.
    member _.Path = path
    /// The label of every sample.
    member _.Labels = labels
    /// The class names recorded with the entry.
    member _.ClassNames = classNames
    /// The encoded frames of sample index (a fresh array; safe from any thread).
    member _.ReadBlob(index: int) : byte[] =
        let length = int (offsets[index + 1] - offsets[index])
        let blob = Array.zeroCreate<byte> length
        let mutable got = 0
        while got < length do
            let n = RandomAccess.Read(handle, Span<byte>(blob, got, length - got), offsets[index] + int64 got)
            if n = 0 then raise (DataFileException(path, $"truncated: sample {index} ends after {got} of {length} bytes"))
            got <- got + n
        blob

/// The frame cache: one file per (dataset, split, frames, method, source fingerprint) holding every sample's
/// integrated frames (FrameCodec blobs), written to a temporary file and renamed into place once complete,
/// and ending with a SHA-256 of all that precedes it. An entry whose checksum, layout or key does not match
/// is rebuilt, never trusted.
///
/// Layout: "SNNFRM01", the blobs, the labels (int32 each), the blob offsets (count + 1 int64), a UTF-8 JSON
/// header (the key, the count, the class names), then int32 header length, int64 index position, and the
/// 32-byte SHA-256. Integers are little-endian.
[<RequireQualifiedAccess>]
module FrameCache =
    let private magic = "SNNFRM01"B
    let private footerSize = 4 + 8 + 32

    /// The default cache folder: $SNNDSL_CACHE, else $XDG_CACHE_HOME/snndsl/frames, else ~/.cache/snndsl/frames.
    let defaultDirectory () =
        match Environment.GetEnvironmentVariable "SNNDSL_CACHE" with
        | null | "" ->
            let xdg = Environment.GetEnvironmentVariable "XDG_CACHE_HOME"
            let root =
                if String.IsNullOrEmpty xdg then
                    Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".cache")
                else xdg
            Path.Combine(root, "snndsl", "frames")
        | d -> d

    let private keyText (key: FrameCacheKey) = JsonSerializer.Serialize key

    /// The file name of an entry: readable parts and a hash of the whole key.
    let fileName (key: FrameCacheKey) =
        let hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(keyText key))).Substring(0, 16).ToLowerInvariant()
        let safe (s: string) = String(s.ToCharArray() |> Array.map (fun c -> if Char.IsLetterOrDigit c || c = '-' then c else '_'))
        $"{safe key.Dataset}-{safe key.Split}-T{key.Frames}-{safe key.Method}-{hash}.frames"

    /// A fingerprint of source files: their paths, sizes and modification times.
    let fingerprint (files: string seq) =
        use sha = IncrementalHash.CreateHash HashAlgorithmName.SHA256
        for f in files do
            let info = FileInfo f
            let size, time = if info.Exists then info.Length, info.LastWriteTimeUtc.Ticks else -1L, 0L
            sha.AppendData(Encoding.UTF8.GetBytes($"{info.FullName}\u0000{size}\u0000{time}\n"))
        Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()

    /// The JSON header of an entry.
    type Header =
        { /// The key the entry was written for; tryOpen rejects an entry written for another key.
          Key: FrameCacheKey
          /// Number of samples in the entry.
          Count: int
          /// The class names recorded with the entry, indexed by label.
          ClassNames: string[] }

    /// Opens and verifies an entry: Error says why it cannot be trusted (missing, corrupt, another key).
    let tryOpen (path: string) (key: FrameCacheKey) : Result<FrameCacheEntry, string> =
        if not (File.Exists path) then Error "no entry"
        else
            let handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read)
            let fail (why: string) =
                handle.Dispose()
                Error why
            try
                let length = RandomAccess.GetLength handle
                if length < int64 (magic.Length + footerSize) then fail $"{length} bytes is too short for an entry"
                else
                    // The checksum covers everything before it.
                    use sha = IncrementalHash.CreateHash HashAlgorithmName.SHA256
                    let buf = Array.zeroCreate<byte> (1 <<< 20)
                    let body = length - 32L
                    let mutable pos = 0L
                    while pos < body do
                        let n = RandomAccess.Read(handle, Span<byte>(buf, 0, int (min (int64 buf.Length) (body - pos))), pos)
                        if n = 0 then raise (IOException "unexpected end of file")
                        sha.AppendData(buf, 0, n)
                        pos <- pos + int64 n
                    let stored = Array.zeroCreate<byte> 32
                    RandomAccess.Read(handle, Span<byte>(stored), body) |> ignore
                    let head = Array.zeroCreate<byte> magic.Length
                    RandomAccess.Read(handle, Span<byte>(head), 0L) |> ignore
                    if head <> magic then fail "wrong magic"
                    elif sha.GetHashAndReset() <> stored then fail "checksum mismatch"
                    else
                        let foot = Array.zeroCreate<byte> 12
                        RandomAccess.Read(handle, Span<byte>(foot), body - 12L) |> ignore
                        let headerLength = BitConverter.ToInt32(foot, 0)
                        let indexPos = BitConverter.ToInt64(foot, 4)
                        let headerPos = body - 12L - int64 headerLength
                        if headerLength <= 0 || indexPos < int64 magic.Length || indexPos > headerPos then fail "corrupt footer"
                        else
                            let headerBytes = Array.zeroCreate<byte> headerLength
                            RandomAccess.Read(handle, Span<byte>(headerBytes), headerPos) |> ignore
                            let header = JsonSerializer.Deserialize<Header>(headerBytes)
                            let count = header.Count
                            if header.Key <> key then fail "written for another key"
                            elif indexPos + int64 count * 4L + int64 (count + 1) * 8L <> headerPos then fail "corrupt index"
                            else
                                let index = Array.zeroCreate<byte> (int (headerPos - indexPos))
                                RandomAccess.Read(handle, Span<byte>(index), indexPos) |> ignore
                                let labels = Array.init count (fun i -> BitConverter.ToInt32(index, 4 * i))
                                let offsets = Array.init (count + 1) (fun i -> BitConverter.ToInt64(index, 4 * count + 8 * i))
                                let ordered = Seq.forall (fun i -> offsets[i] <= offsets[i + 1]) (seq { 0 .. count - 1 })
                                if offsets[0] <> int64 magic.Length || offsets[count] <> indexPos || not ordered then
                                    fail "corrupt offsets"
                                else Ok(FrameCacheEntry(path, handle, labels, offsets, header.ClassNames))
            with
            | :? IOException | :? JsonException | :? ArgumentException as e -> fail $"unreadable ({e.Message})"

    /// Writes an entry: Add every sample in order, then Commit renames the complete file into place.
    /// Disposing without Commit removes the temporary file and leaves any previous entry untouched.
    [<Sealed>]
    type Writer(path: string, key: FrameCacheKey, classNames: string[]) =
        let file = new SnnDsl.Core.AtomicFile.Pending(path)
        let stream = file.Stream
        let sha = IncrementalHash.CreateHash HashAlgorithmName.SHA256
        let labels = ResizeArray<int>()
        let offsets = ResizeArray<int64>()
        let put (bytes: byte[]) =
            stream.Write(bytes, 0, bytes.Length)
            sha.AppendData bytes
        do put magic

        /// Appends one sample's label and encoded frames.
        member _.Add(label: int, blob: byte[]) =
            labels.Add label
            offsets.Add stream.Position
            put blob

        /// Writes the index, header and checksum, flushes to disk and renames the file into place.
        member _.Commit() =
            let indexPos = stream.Position
            offsets.Add indexPos
            let index = Array.zeroCreate<byte> (labels.Count * 4 + offsets.Count * 8)
            labels |> Seq.iteri (fun i l -> BitConverter.TryWriteBytes(Span<byte>(index, 4 * i, 4), l) |> ignore)
            offsets |> Seq.iteri (fun i o -> BitConverter.TryWriteBytes(Span<byte>(index, 4 * labels.Count + 8 * i, 8), o) |> ignore)
            put index
            let header = JsonSerializer.SerializeToUtf8Bytes({ Key = key; Count = labels.Count; ClassNames = classNames })
            put header
            put (Array.append (BitConverter.GetBytes header.Length) (BitConverter.GetBytes indexPos))
            let digest = sha.GetHashAndReset()
            stream.Write(digest, 0, digest.Length)
            file.Commit()

        interface IDisposable with
            member _.Dispose() =
                (file :> IDisposable).Dispose()
                sha.Dispose()
