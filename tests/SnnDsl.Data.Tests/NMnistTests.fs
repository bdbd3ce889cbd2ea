module SnnDsl.Data.Tests.NMnistTests

open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles

let known = [ (0, 0, 0, 0); (33, 1, 1, 255); (5, 33, 1, 65536); (17, 9, 0, 0x7FFFFF) ]

let private writeSubset (dir: string) =
    File.WriteAllText(Path.Combine(dir, "train1K.txt"), "#sample #class\n1\t3\n2\t8\n")
    File.WriteAllText(Path.Combine(dir, "test100.txt"), "#sample #class\n60001\t0\n")
    write (Path.Combine(dir, "1.bs2")) false (events [ (1, 2, 1, 10); (1, 2, 1, 20); (3, 4, 0, 30) ])
    write (Path.Combine(dir, "2.bs2")) false (events [ (0, 0, 0, 0) ])
    write (Path.Combine(dir, "60001.bs2")) false (events [])

[<Tests>]
let tests =
    testList "NMnist" [
        yield! theory "events decode to the written coordinates, polarities and timestamps" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            write (dir.File "1.bs2") gz (events known)
            let e = NMnist.readEvents (dir.File "1.bs2")
            Expect.equal e.Count 4 "e.Count"
            Expect.equal (e.X : uint16[]) ([| 0us; 33us; 5us; 17us |]) "e.X"
            Expect.equal (e.Y : uint16[]) ([| 0us; 1us; 33us; 9us |]) "e.Y"
            Expect.equal (e.P : byte[]) ([| 0uy; 1uy; 1uy; 0uy |]) "e.P"
            Expect.equal (e.T : int64[]) ([| 0L; 255L; 65536L; 0x7FFFFFL |]) "e.T"

        testCase "an event file that is not whole events is truncated" <| fun () ->
            use dir = new TempDir()
            write (dir.File "1.bs2") false (events known).[.. 17]
            let e = raisesWith<DataFileException> (fun () -> NMnist.readEvents (dir.File "1.bs2"))
            containsAll e.Message [ dir.File "1.bs2"; "18 bytes"; "5-byte events"; "offset 15" ]

        testCase "an event outside the sensor is corrupt" <| fun () ->
            use dir = new TempDir()
            write (dir.File "2.bs2") false (events [ (1, 1, 0, 5); (34, 2, 0, 6) ])
            let e = raisesWith<DataFileException> (fun () -> NMnist.readEvents (dir.File "2.bs2"))
            containsAll e.Message [ "event 1 at (34, 2)"; "34x34" ]

        testCase "label files skip comments and reject bad lines and classes" <| fun () ->
            use dir = new TempDir()
            File.WriteAllText(dir.File "l.txt", "#sample #class\n1\t5\n2 0\n\n7\t9\n")
            Expect.equal (NMnist.readLabels 10 (dir.File "l.txt") : (int * int)[]) ([| (1, 5); (2, 0); (7, 9) |]) "NMnist.readLabels 10 (dir.File \"l.txt\")"
            File.WriteAllText(dir.File "bad.txt", "1\t5\n2\t10\n")
            let e = raisesWith<DataFileException> (fun () -> NMnist.readLabels 10 (dir.File "bad.txt"))
            containsAll e.Message [ dir.File "bad.txt"; "line 2"; "class 10"; "0..9" ]
            File.WriteAllText(dir.File "junk.txt", "1 five\n")
            let e = raisesWith<DataFileException> (fun () -> NMnist.readLabels 10 (dir.File "junk.txt"))
            containsAll e.Message [ "line 1"; "1 five" ]
            File.WriteAllText(dir.File "twice.txt", "1 1\n1 2\n")
            let e = raisesWith<DataFileException> (fun () -> NMnist.readLabels 10 (dir.File "twice.txt"))
            containsAll e.Message [ "sample 1 is listed twice" ]

        testCase "the nmnist registry entry integrates the listed samples into frames" <| fun () ->
            use dir = new TempDir()
            writeSubset dir.Path
            let opts = { DatasetOptions.Default with Frames = 3; NoCache = true }
            let d = Datasets.loadWith opts "nmnist" dir.Path true
            Expect.equal (d.Count, d.NumClasses) (2, 10) "(d.Count, d.NumClasses)"
            Expect.equal (d.SampleShape : int[]) ([| 3; 2; 34; 34 |]) "d.SampleShape"
            Expect.equal (d.Labels : int[]) ([| 3; 8 |]) "d.Labels"
            let s = d.Sample 0 // 3 events, T = 3: one event per frame
            let at t p y x = s[((t * 2 + p) * 34 + y) * 34 + x]
            Expect.equal (at 0 1 2 1, at 1 1 2 1, at 2 0 4 3) (1.0f, 1.0f, 1.0f) "(at 0 1 2 1, at 1 1 2 1, at 2 0 4 3)"
            Expect.equal (Array.sum s) 3.0f "Array.sum s"
            let test = Datasets.loadWith opts "nmnist" dir.Path false
            Expect.equal test.Count 1 "test.Count"
            Expect.equal (Array.sum (test.Sample 0)) 0.0f "Array.sum (test.Sample 0)"

        testCase "a sample listed in the labels but absent is named" <| fun () ->
            use dir = new TempDir()
            writeSubset dir.Path
            File.Delete(dir.File "2.bs2")
            let e = raisesWith<DataFileException> (fun () -> Datasets.load "nmnist" dir.Path true)
            containsAll e.Message [ dir.File "2.bs2"; "not found"; "train1K.txt" ]
    ]
