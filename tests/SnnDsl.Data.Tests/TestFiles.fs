/// Helpers that write small data files in the real formats, and locate the shared real datasets.
module SnnDsl.Data.Tests.TestFiles

open System
open System.IO
open System.IO.Compression
open Expecto
open SnnDsl.TestKit

let gzip (bytes: byte[]) =
    use ms = new MemoryStream()
    (use gz = new GZipStream(ms, CompressionLevel.Fastest)
     gz.Write(bytes, 0, bytes.Length))
    ms.ToArray()

/// Writes bytes to path, gzipped when gz.
let write (path: string) (gz: bool) (bytes: byte[]) =
    File.WriteAllBytes(path, (if gz then gzip bytes else bytes))

let private be (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

/// An idx3 file of n images of rows x cols (pixel k of image i = (i * 7 + k) mod 256).
let idxImages (n: int) (rows: int) (cols: int) =
    Array.concat [ be 2051; be n; be rows; be cols
                   Array.init (n * rows * cols) (fun j -> byte (((j / (rows * cols)) * 7 + j % (rows * cols)) % 256)) ]

/// An idx1 file of the given labels.
let idxLabels (labels: byte[]) = Array.concat [ be 2049; be labels.Length; labels ]

/// CIFAR records: labelBytes label bytes then 3,072 pixels (pixel k of record i = (i + k) mod 256).
let cifarRecords (labels: byte[][]) =
    labels
    |> Array.mapi (fun i l -> Array.append l (Array.init 3072 (fun k -> byte ((i + k) % 256))))
    |> Array.concat

/// One N-MNIST event: x, y, polarity, 23-bit timestamp.
let event (x: int) (y: int) (p: int) (t: int) =
    [| byte x; byte y; byte ((p <<< 7) ||| ((t >>> 16) &&& 0x7F)); byte (t >>> 8); byte t |]

/// Events (x, y, p, t) encoded as an N-MNIST file.
let events (evs: (int * int * int * int) list) =
    evs |> List.map (fun (x, y, p, t) -> event x y p t) |> Array.concat

/// Writes a small MNIST-layout directory: n train / m test images of 28x28, labels i mod 10.
let writeMnist (dir: string) (gz: bool) (n: int) (m: int) =
    let ext = if gz then ".gz" else ""
    write (Path.Combine(dir, "train-images-idx3-ubyte" + ext)) gz (idxImages n 28 28)
    write (Path.Combine(dir, "train-labels-idx1-ubyte" + ext)) gz (idxLabels (Array.init n (fun i -> byte (i % 10))))
    write (Path.Combine(dir, "t10k-images-idx3-ubyte" + ext)) gz (idxImages m 28 28)
    write (Path.Combine(dir, "t10k-labels-idx1-ubyte" + ext)) gz (idxLabels (Array.init m (fun i -> byte (i % 10))))

/// The repository root (the test kit's).
let repoRoot = lazy SnnDsl.TestKit.Repo.root

/// The shared real datasets: ../shared/data relative to the repository root (SNNDSL_DATA overrides).
let realDataDir =
    lazy
        (match Environment.GetEnvironmentVariable "SNNDSL_DATA" with
         | null | "" -> Path.GetFullPath(Path.Combine(repoRoot.Value, "..", "shared", "data"))
         | d -> d)

/// Skips the calling test (with the reason) where the shared real datasets are absent.
let requireRealData () =
    if not (Directory.Exists realDataDir.Value) then skiptest $"the shared datasets are not at {realDataDir.Value}"

/// Asserts that f raises 'E and returns it.
let raisesWith<'E when 'E :> exn> (f: unit -> obj) : 'E = Expect.raises<'E> (f >> ignore)

/// Asserts that text contains every fragment.
let containsAll (text: string) (fragments: string list) =
    for f in fragments do
        Expect.isTrue (text.Contains(f: string)) ($"expected \"{f}\" in: {text}")
