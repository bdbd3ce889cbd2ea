/// The SHD/SSC HDF5 reader against files written with PureHDF in the published layout.
module SnnDsl.Data.Tests.ShdTests

open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles
open SnnDsl.Data.Tests.EventWriters

let private keys = Array.init 20 (fun i -> $"class-{i}")

[<Tests>]
let tests =
    testList "Shd" [
        testCase "SHD samples read back as unit, time in microseconds and label" <| fun () ->
            use dir = new TempDir()
            shd (dir.File "shd_train.h5") [ [| 0.0f; 0.25f; 1.2f |], [| 0us; 699us; 35us |], 7; [||], [||], 19 ] keys
            use f = Shd.openFile (dir.File "shd_train.h5")
            Expect.equal f.Count 2 "f.Count"
            Expect.equal (f.Labels : int[]) ([| 7; 19 |]) "f.Labels"
            Expect.equal f.Keys (Some keys) "f.Keys"
            let e = f.Events 0
            Expect.equal (e.X : uint16[]) ([| 0us; 699us; 35us |]) "e.X"
            Expect.equal (e.T : int64[]) ([| 0L; 250000L; 1200000L |]) "e.T"
            for v in Array.append e.Y (Array.map uint16 e.P) do Expect.equal v 0us "v"
            Expect.equal ((f.Events 1).Count) 0 "(f.Events 1).Count"

        testCase "an SHD file that is not HDF5, lacks a dataset, is truncated or has a unit out of range is named" <| fun () ->
            use dir = new TempDir()
            File.WriteAllBytes(dir.File "x.h5", aedat2 [])
            containsAll (raisesWith<DataFileException> (fun () -> Shd.openFile (dir.File "x.h5"))).Message [ "wrong magic"; "HDF5" ]
            let f = PureHDF.H5File()
            f["labels"] <- box [| 1us |]
            f.Write(dir.File "l.h5")
            containsAll (raisesWith<DataFileException> (fun () -> Shd.openFile (dir.File "l.h5"))).Message [ "missing dataset 'spikes/times'" ]
            shd (dir.File "ok.h5") [ [| 0.1f |], [| 3us |], 1 ] keys
            let bytes = File.ReadAllBytes(dir.File "ok.h5")
            File.WriteAllBytes(dir.File "t.h5", bytes[.. bytes.Length / 3])
            let e = raisesWith<DataFileException> (fun () -> use f = Shd.openFile (dir.File "t.h5") in box (f.Events 0))
            containsAll e.Message [ dir.File "t.h5" ]
            shd (dir.File "u.h5") [ [| 0.1f |], [| 700us |], 1 ] keys
            use f = Shd.openFile (dir.File "u.h5")
            containsAll (raisesWith<DataFileException> (fun () -> box (f.Events 0))).Message [ "unit 700"; "0..699" ]
    ]
