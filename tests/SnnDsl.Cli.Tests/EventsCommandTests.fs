/// `snn events` on files from the independent writers, and `snn train` on event datasets with the frame cache
/// cold and warm (the warm run parses no event: EventCounter does not move).
module SnnDsl.Cli.Tests.EventsCommandTests

open System
open System.IO
open System.IO.Compression
open System.Text.Json
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli
open SnnDsl.Data.Tests.EventWriters

let private evs = [ ev 1 2 1 1000L; ev 3 4 0 1010L; ev 10 20 1 2000L; ev 10 20 1 2001L; ev 127 127 0 3000L ]

let private repoRoot = SnnDsl.TestKit.Repo.root

let private ok (r: Outcome) = Expect.isTrue (r.Code = ExitCode.Ok) ($"exit {r.Code}: {r.Err}")

let private json (r: Outcome) =
    ok r
    JsonDocument.Parse(r.Out.Trim()).RootElement

/// The RGB pixels of a PNG written by `snn events`, read back with the PNG layout (one IDAT here).
let private readPng (path: string) =
    let b = File.ReadAllBytes path
    Expect.equal (b[.. 7] : byte[]) ([| 0x89uy; 0x50uy; 0x4Euy; 0x47uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |]) "b[.. 7]"
    // The file ends with the IEND chunk, whose CRC-32 is the well-known AE 42 60 82.
    Expect.equal (b[b.Length - 12 ..] : byte[]) ([| 0uy; 0uy; 0uy; 0uy; 0x49uy; 0x45uy; 0x4Euy; 0x44uy; 0xAEuy; 0x42uy; 0x60uy; 0x82uy |]) "b[b.Length - 12 ..]"
    let be (o: int) = (int b[o] <<< 24) ||| (int b[o + 1] <<< 16) ||| (int b[o + 2] <<< 8) ||| int b[o + 3]
    let w, h = be 16, be 20
    let idatLength = be 33
    Expect.equal (Text.Encoding.ASCII.GetString(b, 37, 4)) "IDAT" "Text.Encoding.ASCII.GetString(b, 37, 4)"
    use z = new ZLibStream(new MemoryStream(b, 41, idatLength), CompressionMode.Decompress)
    use raw = new MemoryStream()
    z.CopyTo raw
    let rows = raw.ToArray()
    Expect.equal rows.Length (h * (1 + 3 * w)) "rows.Length"
    w, h, (fun x y -> let i = y * (1 + 3 * w) + 1 + 3 * x in rows[i], rows[i + 1], rows[i + 2])

// ---------------------------------------------------------------- snn train on event data

/// A DVS-shaped CIFAR10-DVS tree: 10 classes x 10 recordings of 128 x 128 AEDAT 2.0 events, each class a
/// bright bar at its own row so that the classes differ.
let private writeDvs (root: string) =
    for label, c in Array.indexed EventDatasets.cifar10DvsClasses do
        let d = Directory.CreateDirectory(Path.Combine(root, c)).FullName
        for i in 0..9 do
            let events = [ for k in 0..199 -> ev ((k * 7 + i) % 128) (label * 12 + k % 4) (k % 2) (int64 (k * 100)) ]
            File.WriteAllBytes(Path.Combine(d, $"cifar10_{c}_{i}.aedat"), aedat2 events)

let private trainTwice (dataset: string) (dataDir: string) (extra: string list) =
    use dir = new TempDir()
    let args run =
        [ "train"; "--dataset"; dataset; "--data-dir"; dataDir; "--epochs"; "1"; "--batch-size"; "16"; "--threads"; "1"
          "--cache-dir"; dir.File "cache"; "--no-report"; "--out"; dir.File run ] @ extra
    let before = EventCounter.parsedEvents ()
    let cold = snn (args "cold")
    ok cold
    let parsed = EventCounter.parsedEvents () - before
    let mid = EventCounter.parsedEvents ()
    let warm = snn (args "warm")
    ok warm
    Expect.isTrue (parsed > 0L) "the cold run parses events"
    Expect.equal (EventCounter.parsedEvents () - mid) 0L "EventCounter.parsedEvents () - mid"
    Expect.stringContains cold.Out "frames integrated and cached (no entry)" "cold.Out"
    Expect.stringContains warm.Out "frames reused from the cache" "warm.Out"
    Expect.stringContains warm.Out "final test accuracy" "warm.Out"

[<Tests>]
let tests =
    testSequenced <| testList "EventsCommand" [
        testCase "events prints format, sensor, count, time span and ON/OFF counts" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "r.aedat4", aedat4 Lz4 [ evs[.. 1]; evs[2 ..] ])
            let r = snn [ "events"; dir.File "r.aedat4" ]
            ok r
            for f in [ "aedat4 (lz4)"; "128 x 128"; "events    5"; "t_first   1000 us"; "t_last    3000 us"; "on / off  3 / 2" ] do
                Expect.stringContains r.Out f "r.Out"

        testCase "events --json gives one object with the documented keys for every format" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "a.aedat", aedat2 evs)
            File.WriteAllBytes(dir.File "g.aedat", aedat31 (polarityPackets 2 evs))
            File.WriteAllBytes(dir.File "c.aedat4", aedat4 Zstd [ evs ])
            File.WriteAllBytes(dir.File "n.bin", nmnist [ ev 1 2 1 5L; ev 33 33 0 9L ])
            shd (dir.File "s.h5") [ [| 0.001f; 0.002f |], [| 5us; 6us |], 3 ] (Array.init 20 string)
            let expect file format width height events tFirst tLast on off =
                let o = json (snn [ "events"; dir.File file; "--json" ])
                let names = [ for p in o.EnumerateObject() -> p.Name ]
                Expect.equal (names : string list) ([ "format"; "width"; "height"; "events"; "t_first"; "t_last"; "on"; "off" ]) "names"
                Expect.equal (o.GetProperty("format").GetString()) format "o.GetProperty(\"format\").GetString()"
                Expect.equal (o.GetProperty("width").GetInt32(), o.GetProperty("height").GetInt32(), o.GetProperty("events").GetInt32()) (width, height, events) "(o.GetProperty(\"width\").GetInt32(), o.GetProperty(\"height\").GetInt32(), o.GetProperty(\"..."
                Expect.equal (o.GetProperty("t_first").GetInt64(), o.GetProperty("t_last").GetInt64()) (tFirst, tLast) "(o.GetProperty(\"t_first\").GetInt64(), o.GetProperty(\"t_last\").GetInt64())"
                Expect.equal (o.GetProperty("on").GetInt32(), o.GetProperty("off").GetInt32()) (on, off) "(o.GetProperty(\"on\").GetInt32(), o.GetProperty(\"off\").GetInt32())"
            expect "a.aedat" "aedat2" 128 128 5 1000L 3000L 3 2
            expect "g.aedat" "aedat3.1" 128 128 5 1000L 3000L 3 2
            expect "c.aedat4" "aedat4" 128 128 5 1000L 3000L 3 2
            expect "n.bin" "nmnist" 34 34 2 5L 9L 1 1
            expect "s.h5" "hdf5-shd" 700 1 2 1000L 2000L 0 2

        testCase "events --frames --out draws the integrated frames as a PNG strip or an SVG" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "r.aedat4", aedat4 NoCompression [ evs ])
            let r = snn [ "events"; dir.File "r.aedat4"; "--frames"; "2"; "--split-by"; "number"; "--out"; dir.File "s.png" ]
            ok r
            let w, h, pixel = readPng (dir.File "s.png")
            Expect.equal (w, h) (2 * 128 + 2, 128) "(w, h)" // two 128 x 128 frames, 2 pixels apart
            // Frame 1 (events 2..4) has two ON events at (10, 20): the brightest red; frame 0 an OFF event at (3, 4).
            Expect.equal (pixel (130 + 10) 20) (255uy, 0uy, 0uy) "pixel (130 + 10) 20"
            let r0, g0, b0 = pixel 3 4
            Expect.isTrue (r0 = 0uy && g0 = 0uy && b0 > 0uy) ($"OFF pixel is ({r0}, {g0}, {b0})")
            Expect.equal (pixel 50 50) (20uy, 20uy, 20uy) "pixel 50 50"
            ok (snn [ "events"; dir.File "r.aedat4"; "--frames"; "2"; "--split-by"; "time"; "--out"; dir.File "s.svg" ])
            let svg = File.ReadAllText(dir.File "s.svg")
            // By time: dt = (3000 - 1000) / 2 = 1000: frame 0 = t < 2000 (2 events), frame 1 the other 3.
            for f in [ "<svg"; "data:image/png;base64,"; "frame 0: 2 events"; "frame 1: 3 events" ] do
                Expect.stringContains svg f "svg"

        testCase "events rejects bad files with exit 1 and bad options with exit 2" <| fun () ->
            use dir = new TempDir()
            let bytes = aedat4 Lz4 [ evs ]
            File.WriteAllBytes(dir.File "t.aedat4", bytes[.. bytes.Length - 4])
            File.WriteAllText(dir.File "x.dat", "hello")
            File.WriteAllBytes(dir.File "r.aedat4", bytes)
            let data (args: string list) (fragments: string list) =
                let r = snn ("events" :: args)
                Expect.isTrue (r.Code = ExitCode.DataError) ($"exit {r.Code}: {r.Err}")
                for f in fragments do Expect.stringContains r.Err f "r.Err"
            data [ dir.File "missing.aedat" ] [ "missing.aedat"; "not found" ]
            data [ dir.File "t.aedat4" ] [ "t.aedat4"; "truncated"; "offset" ]
            data [ dir.File "x.dat" ] [ "x.dat"; "unknown event format" ]
            let usage (args: string list) (fragment: string) =
                let r = snn ("events" :: dir.File "r.aedat4" :: args)
                Expect.isTrue (r.Code = ExitCode.UsageError) ($"exit {r.Code}: {r.Err}")
                Expect.stringContains r.Err fragment "r.Err"
            usage [ "--frames"; "2" ] "--frames needs --out"
            usage [ "--frames"; "2"; "--out"; dir.File "s.jpg" ] ".png or .svg"
            usage [ "--frames"; "2"; "--split-by"; "count"; "--out"; dir.File "s.png" ] "valid values are number, time"
            usage [ "--frames"; "0"; "--out"; dir.File "s.png" ] "at least 1"

        testCase "snn train on a DVS-shaped set builds the frame cache cold and parses nothing warm" <| fun () ->
            use data = new TempDir()
            writeDvs data.Path
            trainTwice "cifar10-dvs" data.Path [ "--frames"; "2"; "--split-by"; "time"; "--resize"; "32"; "--data-split"; "9:1"; "--augment" ]

        testCase "snn train on the N-MNIST subset runs through the frame cache" <| fun () ->
            let shared = Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "data"))
            if Directory.Exists(Path.Combine(shared, "nmnist-small")) then
                trainTwice "nmnist" shared [ "--timesteps"; "4"; "--limit-train"; "128"; "--limit-test"; "64" ]

        testCase "snn train rejects a bad split method, data split or a model that cannot read SHD" <| fun () ->
            use data = new TempDir()
            let r = snn [ "train"; "--dataset"; "cifar10-dvs"; "--data-dir"; data.Path; "--split-by"; "count" ]
            Expect.isTrue (r.Code = ExitCode.UsageError) r.Err
            Expect.stringContains r.Err "valid values are number, time" "r.Err"
            let r = snn [ "train"; "--dataset"; "cifar10-dvs"; "--data-dir"; data.Path; "--data-split"; "8:2" ]
            Expect.isTrue (r.Code = ExitCode.UsageError) r.Err
            Expect.stringContains r.Err "valid splits: paper, 9:1" "r.Err"
            let r = snn [ "train"; "--dataset"; "shd"; "--data-dir"; data.Path ]
            Expect.isTrue (r.Code = ExitCode.UsageError) r.Err
            Expect.stringContains r.Err "use the model fc" "r.Err"
            let r = snn [ "train"; "--dataset"; "cifar10-dvs"; "--data-dir"; data.Path; "--timesteps"; "4"; "--frames"; "5" ]
            Expect.isTrue (r.Code = ExitCode.UsageError) r.Err
            let r = snn [ "train"; "--dataset"; "cifar10-dvs"; "--data-dir"; data.Path; "--out"; Path.Combine(data.Path, "run") ]
            Expect.isTrue (r.Code = ExitCode.DataError) r.Err
            Expect.stringContains r.Err "airplane/*.aedat[4]" "r.Err"
    ]
