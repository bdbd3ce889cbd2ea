module SnnDsl.Data.Tests.RegistryTests

open System
open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles

[<Tests>]
let tests =
    testList "Registry" [
        testCase "an unknown dataset name lists the valid names" <| fun () ->
            let e = raisesWith<SnnDsl.Core.SnnException> (fun () -> Datasets.load "imagenet" "." true)
            Expect.equal e.Kind SnnDsl.Core.ErrorKind.Usage "e.Kind"
            containsAll e.Message ("imagenet" :: Datasets.names)

        testCase "names are case-insensitive and synthetic needs no directory" <| fun () ->
            let opts = { DatasetOptions.Default with SyntheticTrain = 30; SyntheticTest = 20 }
            let d = Datasets.loadWith opts "Synthetic" "/no/such/dir" true
            Expect.equal (d.Count, d.NumClasses) (30, 10) "(d.Count, d.NumClasses)"
            Expect.equal ((Datasets.loadWith opts "synthetic" "/no/such/dir" false).Count) 20 "(Datasets.loadWith opts \"synthetic\" \"/no/such/dir\" false).Count"

        testCase "a data directory that does not exist is named with the expected files" <| fun () ->
            let missing = Path.Combine(Path.GetTempPath(), "snndsl-no-such-dir-" + Guid.NewGuid().ToString("N"))
            let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "mnist" missing true)
            containsAll e.Message [ missing; "not found"; "train-images-idx3-ubyte[.gz]"; "train-labels-idx1-ubyte[.gz]" ]

        testCase "a data directory without the files lists what it expected" <| fun () ->
            use dir = new TempDir()
            File.WriteAllText(dir.File "readme.txt", "not a dataset")
            let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "cifar10" dir.Path false)
            containsAll e.Message [ dir.Path; "test_batch.bin[.gz]"; "data_batch_1.bin[.gz]"; "cifar10/" ]
            let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "fashion-mnist" dir.Path false)
            containsAll e.Message [ dir.Path; "missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte" ]
            let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "nmnist" dir.Path true)
            containsAll e.Message [ "train1K.txt" ]
            Expect.equal e.Dataset "nmnist" "e.Dataset"

        testCase "a half-filled dataset subfolder is the one named" <| fun () ->
            use dir = new TempDir()
            let sub = Path.Combine(dir.Path, "mnist")
            Directory.CreateDirectory sub |> ignore
            writeMnist sub true 3 3
            File.Delete(Path.Combine(sub, "t10k-labels-idx1-ubyte.gz"))
            Expect.equal ((Datasets.load "mnist" dir.Path true).Count) 3 "(Datasets.load \"mnist\" dir.Path true).Count" // the training files are all there
            let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "mnist" dir.Path false)
            Expect.equal e.Directory sub "e.Directory"
            containsAll e.Message [ "missing t10k-labels-idx1-ubyte" ]

        testCase "fashion-mnist reads plain idx files from the given folder with its class names" <| fun () ->
            use dir = new TempDir()
            writeMnist dir.Path false 7 5
            let d = Datasets.load "fashion-mnist" dir.Path false
            Expect.equal d.Name "fashion-mnist/test" "d.Name"
            Expect.equal d.Count 5 "d.Count"
            Expect.equal (d.ClassNames[9]) "Ankle boot" "d.ClassNames[9]"
            Expect.isTrue d.Normalization.IsNone "d.Normalization.IsNone"
    ]
