module SnnDsl.Data.Tests.CifarTests

open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles

let private writeCifar10 (dir: string) (gz: bool) =
    let ext = if gz then ".gz" else ""
    for i in 1..5 do
        write (Path.Combine(dir, $"data_batch_{i}.bin{ext}")) gz (cifarRecords (Array.init 4 (fun k -> [| byte ((i + k) % 10) |])))
    write (Path.Combine(dir, $"test_batch.bin{ext}")) gz (cifarRecords (Array.init 10 (fun k -> [| byte k |])))

[<Tests>]
let tests =
    testList "Cifar" [
        yield! theory "cifar-10 records give labels and channel planes" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            write (dir.File "b.bin") gz (cifarRecords [| [| 3uy |]; [| 9uy |]; [| 0uy |] |])
            let r = Cifar.read Cifar.Cifar10 (dir.File "b.bin")
            Expect.equal r.Count 3 "r.Count"
            Expect.equal (r.Labels : byte[]) ([| 3uy; 9uy; 0uy |]) "r.Labels"
            Expect.equal r.Pixels.Length (3 * 3072) "r.Pixels.Length"
            // Record 1, green plane, row 2, column 5 = pixel byte 1024 + 2*32 + 5 of the record.
            Expect.equal (r.Pixels[3072 + 1024 + 69]) (byte ((1 + 1024 + 69) % 256)) "r.Pixels[3072 + 1024 + 69]"

        yield! theory "cifar-100 records use the fine label, the second byte" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            write (dir.File "train.bin") gz (cifarRecords [| [| 19uy; 99uy |]; [| 4uy; 30uy |] |])
            let r = Cifar.read Cifar.Cifar100 (dir.File "train.bin")
            Expect.equal (r.Labels : byte[]) ([| 99uy; 30uy |]) "r.Labels"
            Expect.equal (r.Pixels[3072 + 7]) (byte ((1 + 7) % 256)) "r.Pixels[3072 + 7]"

        yield! theory "a cifar file cut inside a record is truncated" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            let bytes = cifarRecords [| [| 1uy |]; [| 2uy |] |]
            write (dir.File "b.bin") gz bytes[.. bytes.Length - 11]
            let e = raisesWith<DataFileException> (fun () -> Cifar.read Cifar.Cifar10 (dir.File "b.bin"))
            containsAll e.Message [ dir.File "b.bin"; "truncated" ]

        testCase "cifar labels out of range are rejected" <| fun () ->
            use dir = new TempDir()
            write (dir.File "a.bin") false (cifarRecords [| [| 1uy |]; [| 10uy |] |])
            let e = raisesWith<DataFileException> (fun () -> Cifar.read Cifar.Cifar10 (dir.File "a.bin"))
            containsAll e.Message [ "label 10 of record 1"; "0..9" ]
            write (dir.File "b.bin") true (cifarRecords [| [| 1uy; 100uy |] |])
            let e = raisesWith<DataFileException> (fun () -> Cifar.read Cifar.Cifar100 (dir.File "b.bin"))
            containsAll e.Message [ "label 100 of record 0"; "0..99" ]
            write (dir.File "c.bin") true (cifarRecords [| [| 20uy; 1uy |] |])
            let e = raisesWith<DataFileException> (fun () -> Cifar.read Cifar.Cifar100 (dir.File "c.bin"))
            containsAll e.Message [ "coarse label 20" ]

        testCase "the cifar10 registry entry concatenates the five batches and normalises" <| fun () ->
            use dir = new TempDir()
            let sub = Path.Combine(dir.Path, "cifar10")
            Directory.CreateDirectory sub |> ignore
            writeCifar10 sub true
            let d = Datasets.load "cifar10" dir.Path true
            Expect.equal d.Count 20 "d.Count"
            Expect.equal (d.SampleShape : int[]) ([| 3; 32; 32 |]) "d.SampleShape"
            Expect.equal (d.ClassNames[0]) "airplane" "d.ClassNames[0]"
            Expect.equal (d.Label 4) 2 "d.Label 4" // batch 2, record 0
            let s = d.Sample 5 // batch 2, record 1: pixel k = (1 + k) mod 256
            let n = Normalization.Cifar10
            for k in [ 0; 1023; 1024; 2048; 3071 ] do
                let c = k / 1024
                let expected = (float32 ((1 + k) % 256) / 255.0f - n.Mean[c]) / n.Std[c]
                Expect.equalRounded 5 (s[k]) expected "s[k]"
            let raw = Datasets.loadWith { DatasetOptions.Default with Normalize = false } "cifar10" dir.Path false
            Expect.equal raw.Count 10 "raw.Count"
            Expect.equal ((raw.Sample 0)[3]) (float32 (3 % 256) / 255.0f) "(raw.Sample 0)[3]"

        testCase "the cifar100 registry entry reads train.bin with 100 class names" <| fun () ->
            use dir = new TempDir()
            write (dir.File "train.bin") false (cifarRecords [| [| 0uy; 42uy |]; [| 1uy; 7uy |] |])
            let d = Datasets.load "cifar100" dir.Path true
            Expect.equal (d.Count, d.NumClasses) (2, 100) "(d.Count, d.NumClasses)"
            Expect.equal (d.Labels : int[]) ([| 42; 7 |]) "d.Labels"
            Expect.equal (d.ClassNames[0]) "apple" "d.ClassNames[0]"
            Expect.equal (d.ClassNames[99]) "worm" "d.ClassNames[99]"
    ]
