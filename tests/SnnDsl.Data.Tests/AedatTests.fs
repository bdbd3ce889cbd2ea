/// The AEDAT 2.0, 3.1 and 4.0 readers against files from the independent writers (EventWriters).
module SnnDsl.Data.Tests.AedatTests

open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles
open SnnDsl.Data.Tests.EventWriters

let private asTuples (e: Events) = [ for k in 0 .. e.Count - 1 -> int e.X[k], int e.Y[k], int e.P[k], e.T[k] ]

let private sample = [ ev 0 0 0 0L; ev 127 5 1 10L; ev 3 127 1 20L; ev 64 64 0 4294967295L ]

// ---------------------------------------------------------------- AEDAT 2.0

// ---------------------------------------------------------------- AEDAT 3.1

let private overflowing =
    [ ev 1 2 1 100L; ev 127 127 0 2147483647L; ev 5 6 1 2147483648L; ev 7 8 0 2147483650L; ev 9 10 1 4294967296L ]

// ---------------------------------------------------------------- AEDAT 4

let private chunks = [ [ ev 1 2 1 1000L; ev 3 4 0 1010L ]; [ ev 127 0 1 5000000000L; ev 0 127 0 5000000001L; ev 9 9 1 5000000002L ] ]

[<Tests>]
let tests =
    testList "Aedat" [
        testCase "AEDAT 2 events come back raw, or remapped as SpikingJelly remaps CIFAR10-DVS" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "a.aedat", aedat2 sample)
            let raw = Aedat2.read false (dir.File "a.aedat")
            Expect.equal (asTuples raw : (int * int * int * int64) list) ([ 0, 0, 0, 0L; 127, 5, 1, 10L; 3, 127, 1, 20L; 64, 64, 0, 4294967295L ]) "asTuples raw"
            let remapped = Aedat2.read true (dir.File "a.aedat")
            // x' = 127 - y, y' = 127 - x, p' = 1 - p
            Expect.equal (asTuples remapped : (int * int * int * int64) list) ([ 127, 127, 1, 0L; 122, 0, 0, 10L; 0, 124, 0, 20L; 63, 63, 1, 4294967295L ]) "asTuples remapped"

        testCase "a truncated AEDAT 2 file names the offset of the cut event" <| fun () ->
            use dir = new TempDir()
            let bytes = aedat2 sample
            File.WriteAllBytes(dir.File "t.aedat", bytes[.. bytes.Length - 4])
            let e = raisesWith<DataFileException> (fun () -> Aedat2.read true (dir.File "t.aedat"))
            containsAll e.Message [ dir.File "t.aedat"; "truncated"; $"offset {bytes.Length - 8}"; "5 of its 8 bytes" ]

        testCase "a file without the AEDAT 2 magic is rejected naming what was expected" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "m.aedat", Array.append "#!AER-DAT3.1\r\n"B (Array.zeroCreate 16))
            let e = raisesWith<DataFileException> (fun () -> Aedat2.read true (dir.File "m.aedat"))
            containsAll e.Message [ "wrong magic"; "#!AER-DAT2"; "offset 0"; "#!AER-DAT3" ]

        testCase "AEDAT 3.1 packets with a timestamp overflow give 64-bit times, skipping other packets and invalid events" <| fun () ->
            use dir = new TempDir()
            let first = polarityPacket 0 [ overflowing[0], true; ev 50 50 1 150L, false; overflowing[1], true ]
            let second = polarityPacket 1 [ overflowing[2], true; overflowing[3], true ]
            let third = polarityPacket 2 [ overflowing[4], true ]
            File.WriteAllBytes(dir.File "g.aedat", aedat31 [ first; specialPacket 3; second; third ])
            let e, sensor = Aedat31.readWithHeader (dir.File "g.aedat")
            Expect.equal (asTuples e : (int * int * int * int64) list) (overflowing |> List.map (fun v -> v.X, v.Y, v.P, v.T)) "asTuples e"
            Expect.equal sensor (Some { Width = 128; Height = 128; Polarities = 2 }) "sensor"

        testCase "a truncated AEDAT 3.1 packet names its offset and the bytes it needs" <| fun () ->
            use dir = new TempDir()
            let header = aedat31 []
            let p1 = polarityPacket 0 [ overflowing[0], true ]
            let p2 = polarityPacket 0 [ overflowing[1], true; overflowing[0], true ]
            let bytes = aedat31 [ p1; p2 ]
            File.WriteAllBytes(dir.File "t.aedat", bytes[.. bytes.Length - 5])
            let e = raisesWith<DataFileException> (fun () -> Aedat31.read (dir.File "t.aedat"))
            containsAll e.Message [ dir.File "t.aedat"; "truncated"; $"offset {header.Length + p1.Length}"; "needs 16 bytes"; "12 remain" ]
            File.WriteAllBytes(dir.File "h.aedat", bytes[.. header.Length + p1.Length + 9])
            let e = raisesWith<DataFileException> (fun () -> Aedat31.read (dir.File "h.aedat"))
            containsAll e.Message [ "packet header"; $"offset {header.Length + p1.Length}"; "10 of its 28 bytes" ]

        testCase "AEDAT 3.1 rejects a wrong magic, a missing end of header and polarity events of the wrong size" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "m.aedat", aedat2 sample)
            containsAll (raisesWith<DataFileException> (fun () -> Aedat31.read (dir.File "m.aedat"))).Message [ "wrong magic"; "#!AER-DAT3.1" ]
            File.WriteAllBytes(dir.File "e.aedat", Array.append "#!AER-DAT3.1\r\n#Format: RAW\r\n"B (polarityPacket 0 []))
            containsAll (raisesWith<DataFileException> (fun () -> Aedat31.read (dir.File "e.aedat"))).Message [ "#!END-HEADER"; "offset 28" ]
            let bad = polarityPacket 0 [ overflowing[0], true ]
            bad[4] <- 12uy // event size 12
            File.WriteAllBytes(dir.File "s.aedat", aedat31 [ Array.append bad (Array.zeroCreate 4) ])
            containsAll (raisesWith<DataFileException> (fun () -> Aedat31.read (dir.File "s.aedat"))).Message [ "8 bytes"; "says 12" ]

        yield! theory "AEDAT 4 event packets decode under every compression, skipping other streams" [ NoCompression; Lz4; Lz4High; Zstd; ZstdHigh ] <| fun (compression: int) ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "c.aedat4", aedat4 compression chunks)
            let e, header = Aedat4.readWithHeader (dir.File "c.aedat4")
            Expect.equal (asTuples e : (int * int * int * int64) list) (chunks |> List.concat |> List.map (fun v -> v.X, v.Y, v.P, v.T)) "asTuples e"
            Expect.equal header.Sensor (Some { Width = 128; Height = 128; Polarities = 2 }) "header.Sensor"
            Expect.equal header.Compression (enum<Aedat4.Compression> compression) "header.Compression"
            Expect.equal header.EventStream 0 "header.EventStream"

        yield! theory "a truncated AEDAT 4 file names the packet that is cut" [ Lz4; Zstd ] <| fun (compression: int) ->
            use dir = new TempDir()
            let bytes = aedat4 compression chunks
            let lastBody = compress compression (eventPacketFlatBuffer chunks[1])
            let lastOffset = bytes.Length - lastBody.Length - 8
            File.WriteAllBytes(dir.File "t.aedat4", bytes[.. bytes.Length - 6])
            let e = raisesWith<DataFileException> (fun () -> Aedat4.read (dir.File "t.aedat4"))
            containsAll e.Message [ dir.File "t.aedat4"; "truncated"; $"offset {lastOffset}"; $"claims {lastBody.Length} bytes" ]

        testCase "AEDAT 4 rejects a wrong magic, corrupt compressed data and a packet that is not an EventPacket" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "m.aedat4", aedat31 [])
            containsAll (raisesWith<DataFileException> (fun () -> Aedat4.read (dir.File "m.aedat4"))).Message [ "wrong magic"; "#!AER-DAT4.0" ]
            for compression in [ Lz4; Zstd ] do
                let body = compress compression (eventPacketFlatBuffer chunks[0])
                let bad = aedat4With compression 128 128 [ 0, eventPacketFlatBuffer chunks[0] ]
                for i in bad.Length - body.Length .. bad.Length - body.Length + 3 do bad[i] <- bad[i] ^^^ 0x5Auy // the frame's magic
                File.WriteAllBytes(dir.File "z.aedat4", bad)
                let e = raisesWith<DataFileException> (fun () -> Aedat4.read (dir.File "z.aedat4"))
                containsAll e.Message [ dir.File "z.aedat4"; "corrupt packet at offset" ]
            let wrongId = eventPacketFlatBuffer chunks[0]
            wrongId[11] <- byte 'X' // identifier EVTX
            File.WriteAllBytes(dir.File "i.aedat4", aedat4With NoCompression 128 128 [ 0, wrongId ])
            containsAll (raisesWith<DataFileException> (fun () -> Aedat4.read (dir.File "i.aedat4"))).Message [ "EVTS"; "corrupt packet" ]

        testCase "the AEDAT 4 header gives the sensor size of the event stream" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "s.aedat4", aedat4With Zstd 640 480 [ 0, eventPacketFlatBuffer [ ev 639 479 1 7L ] ])
            let e, header = Aedat4.readWithHeader (dir.File "s.aedat4")
            Expect.equal header.Sensor (Some { Width = 640; Height = 480; Polarities = 2 }) "header.Sensor"
            Expect.equal (asTuples e : (int * int * int * int64) list) ([ 639, 479, 1, 7L ]) "asTuples e"
    ]
