// Event readers and frame integration: events per second read (decoded from a file) and integrated
// (SpikingJelly's split by number and by time into T = 10 frames) for each format, on synthetic files
// written by the tests' independent writers (tests/SnnDsl.Data.Tests/EventWriters.fs).
//   dotnet build tests/SnnDsl.Data.Tests -c Release && dotnet fsi bench/events.fsx [events=1000000] [rounds=3]
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/SnnDsl.Data.dll"
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/SnnDsl.Data.Tests.dll"
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/Google.FlatBuffers.dll"
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/K4os.Compression.LZ4.dll"
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/K4os.Compression.LZ4.Streams.dll"
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/K4os.Hash.xxHash.dll"
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/ZstdSharp.dll"
#r "../tests/SnnDsl.Data.Tests/bin/Release/net10.0/PureHDF.dll"

open System
open System.Diagnostics
open System.IO
open SnnDsl.Data
open SnnDsl.Data.Tests.EventWriters

let argOr i (d: string) = if fsi.CommandLineArgs.Length > i then fsi.CommandLineArgs[i] else d
let n, rounds = int (argOr 1 "1000000"), int (argOr 2 "3")
let dir = Path.Combine(Path.GetTempPath(), $"snndsl-events-bench-{Guid.NewGuid():N}")
Directory.CreateDirectory dir |> ignore

let rng = Random 7
let events side = [ for k in 0 .. n - 1 -> ev (rng.Next side) (rng.Next side) (rng.Next 2) (int64 k * 3L) ]
let camera = events 128
let write name (bytes: byte[]) =
    let p = Path.Combine(dir, name)
    File.WriteAllBytes(p, bytes)
    p
let files =
    [ "aedat2", write "a.aedat" (aedat2 camera), (fun p -> Aedat2.read true p), Aedat2.sensor
      "aedat3.1", write "g.aedat" (aedat31 (polarityPackets 4096 camera)), Aedat31.read, { Width = 128; Height = 128; Polarities = 2 }
      "aedat4 lz4", write "l.aedat4" (aedat4 Lz4 (List.chunkBySize 4096 camera)), Aedat4.read, Aedat2.sensor
      "aedat4 zstd", write "z.aedat4" (aedat4 Zstd (List.chunkBySize 4096 camera)), Aedat4.read, Aedat2.sensor
      "nmnist", write "n.bin" (nmnist (events 34 |> List.map (fun e -> { e with T = e.T % 8388608L }))), NMnist.readEvents, NMnist.sensor ]
let shdPath = Path.Combine(dir, "shd_train.h5")
let perSample = 10000
let shdSamples = n / perSample
shd shdPath [ for s in 0 .. shdSamples - 1 ->
                Array.init perSample (fun k -> float32 k * 1e-4f), Array.init perSample (fun _ -> uint16 (rng.Next 700)), s % 20 ] (Array.init 20 string)

let best (f: unit -> unit) =
    [ for _ in 1 .. rounds -> (let sw = Stopwatch.StartNew() in f (); sw.Elapsed.TotalSeconds) ] |> List.min

printfn "| format | file MB | read (M events/s) | integrate by number, T=10 (M events/s) | integrate by time, T=10 (M events/s) |"
printfn "|---|---|---|---|---|"
let row name (bytes: int64) (count: int) (read: unit -> Events) sensor =
    let e = read ()
    if e.Count <> count then failwith $"{name}: read {e.Count} of {count} events"
    let tRead = best (fun () -> read () |> ignore)
    let integrate split = best (fun () -> Frames.counts sensor split 10 e |> ignore)
    let m (s: float) = float count / s / 1e6
    printfn "| %s | %.1f | %.1f | %.1f | %.1f |" name (float bytes / 1e6) (m tRead) (m (integrate SplitBy.Number)) (m (integrate SplitBy.Time))
for name, path, read, sensor in files do
    row name (FileInfo path).Length n (fun () -> read path) sensor
row "hdf5-shd" (FileInfo shdPath).Length n (fun () ->
        use f = Shd.openFile shdPath
        let parts = Array.init f.Count f.Events
        { X = parts |> Array.collect _.X; Y = parts |> Array.collect _.Y; P = parts |> Array.collect _.P; T = parts |> Array.collect _.T })
    Shd.sensor
Directory.Delete(dir, true)
