module SnnDsl.Data.Tests.RegistryTests

open System
open System.IO
open Xunit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles

[<Fact>]
let ``an unknown dataset name lists the valid names`` () =
    let e = raisesWith<ArgumentException> (fun () -> Datasets.load "imagenet" "." true)
    containsAll e.Message ("imagenet" :: Datasets.names)

[<Fact>]
let ``names are case-insensitive and synthetic needs no directory`` () =
    let opts = { DatasetOptions.Default with SyntheticTrain = 30; SyntheticTest = 20 }
    let d = Datasets.loadWith opts "Synthetic" "/no/such/dir" true
    Assert.Equal((30, 10), (d.Count, d.NumClasses))
    Assert.Equal(20, (Datasets.loadWith opts "synthetic" "/no/such/dir" false).Count)

[<Fact>]
let ``a data directory that does not exist is named with the expected files`` () =
    let missing = Path.Combine(Path.GetTempPath(), "snndsl-no-such-dir-" + Guid.NewGuid().ToString("N"))
    let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "mnist" missing true)
    containsAll e.Message [ missing; "not found"; "train-images-idx3-ubyte[.gz]"; "train-labels-idx1-ubyte[.gz]" ]

[<Fact>]
let ``a data directory without the files lists what it expected`` () =
    use dir = new TempDir()
    File.WriteAllText(dir.File "readme.txt", "not a dataset")
    let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "cifar10" dir.Path false)
    containsAll e.Message [ dir.Path; "test_batch.bin[.gz]"; "data_batch_1.bin[.gz]"; "cifar10/" ]
    let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "fashion-mnist" dir.Path false)
    containsAll e.Message [ dir.Path; "missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte" ]
    let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "nmnist" dir.Path true)
    containsAll e.Message [ "train1K.txt" ]
    Assert.Equal("nmnist", e.Dataset)

[<Fact>]
let ``a half-filled dataset subfolder is the one named`` () =
    use dir = new TempDir()
    let sub = Path.Combine(dir.Path, "mnist")
    Directory.CreateDirectory sub |> ignore
    writeMnist sub true 3 3
    File.Delete(Path.Combine(sub, "t10k-labels-idx1-ubyte.gz"))
    Assert.Equal(3, (Datasets.load "mnist" dir.Path true).Count) // the training files are all there
    let e = raisesWith<DataDirectoryException> (fun () -> Datasets.load "mnist" dir.Path false)
    Assert.Equal(sub, e.Directory)
    containsAll e.Message [ "missing t10k-labels-idx1-ubyte" ]

[<Fact>]
let ``fashion-mnist reads plain idx files from the given folder with its class names`` () =
    use dir = new TempDir()
    writeMnist dir.Path false 7 5
    let d = Datasets.load "fashion-mnist" dir.Path false
    Assert.Equal("fashion-mnist/test", d.Name)
    Assert.Equal(5, d.Count)
    Assert.Equal("Ankle boot", d.ClassNames[9])
    Assert.True(d.Normalization.IsNone)
