module SnnDsl.Data.Tests.IdxTests

open System.IO
open Expecto
open SnnDsl.TestKit
open SnnDsl.Data
open SnnDsl.Data.Tests.TestFiles

[<Tests>]
let tests =
    testList "Idx" [
        yield! theory "idx images and labels read back what was written, plain or gzipped" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            write (dir.File "img") gz (idxImages 5 4 3)
            write (dir.File "lbl") gz (idxLabels [| 3uy; 1uy; 4uy; 1uy; 5uy |])
            let images = Idx.readImages (dir.File "img")
            Expect.equal (images.Count, images.Rows, images.Columns) (5, 4, 3) "(images.Count, images.Rows, images.Columns)"
            Expect.equal (images.Pixels : byte[]) ((idxImages 5 4 3)[16..]) "images.Pixels"
            Expect.equal (Idx.readLabels (dir.File "lbl") : byte[]) ([| 3uy; 1uy; 4uy; 1uy; 5uy |]) "Idx.readLabels (dir.File \"lbl\")"

        yield! theory "a bad idx magic number is named with the file" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            let bytes = idxImages 2 28 28
            bytes[3] <- 1uy
            write (dir.File "img") gz bytes
            let e = raisesWith<DataFileException> (fun () -> Idx.readImages (dir.File "img"))
            containsAll e.Message [ dir.File "img"; "bad magic number 2049"; "2051" ]
            // A labels file given as images is caught the same way.
            write (dir.File "lbl") gz (idxLabels [| 1uy |])
            let e = raisesWith<DataFileException> (fun () -> Idx.readImages (dir.File "lbl"))
            containsAll e.Message [ "bad magic" ]

        yield! theory "a truncated idx file says it is truncated" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            let bytes = idxImages 10 28 28
            write (dir.File "img") gz bytes[.. bytes.Length - 100]
            let e = raisesWith<DataFileException> (fun () -> Idx.readImages (dir.File "img"))
            containsAll e.Message [ dir.File "img"; "truncated"; "10 images of 28x28" ]
            let labels = idxLabels (Array.create 50 1uy)
            write (dir.File "lbl") gz labels[.. labels.Length - 2]
            let e = raisesWith<DataFileException> (fun () -> Idx.readLabels (dir.File "lbl"))
            containsAll e.Message [ "truncated"; "50 labels" ]

        yield! theory "an idx file longer than its header promises is rejected" [ false; true ] <| fun (gz: bool) ->
            use dir = new TempDir()
            write (dir.File "lbl") gz (Array.append (idxLabels [| 1uy; 2uy |]) [| 0uy; 0uy |])
            let e = raisesWith<DataFileException> (fun () -> Idx.readLabels (dir.File "lbl"))
            containsAll e.Message [ dir.File "lbl"; "2 labels" ]

        testCase "a header cut short inside the dimensions is truncated" <| fun () ->
            use dir = new TempDir()
            write (dir.File "img") false (idxImages 1 2 2).[.. 9]
            let e = raisesWith<DataFileException> (fun () -> Idx.readImages (dir.File "img"))
            containsAll e.Message [ "truncated"; "row count" ]

        testCase "a corrupt gzip stream is reported with the file" <| fun () ->
            use dir = new TempDir()
            let gz = gzip (idxImages 20 28 28)
            for i in 20 .. 60 do gz[i] <- gz[i] ^^^ 0x5Auy
            File.WriteAllBytes(dir.File "img.gz", gz)
            let e = raisesWith<DataFileException> (fun () -> Idx.readImages (dir.File "img.gz"))
            Expect.equal e.Path (dir.File "img.gz") "e.Path"

        testCase "a missing file is named" <| fun () ->
            use dir = new TempDir()
            let e = raisesWith<DataFileException> (fun () -> Idx.readLabels (dir.File "nope"))
            containsAll e.Message [ dir.File "nope"; "not found" ]

        testCase "image and label counts that disagree name both files" <| fun () ->
            use dir = new TempDir()
            writeMnist dir.Path true 10 4
            write (dir.File "train-labels-idx1-ubyte.gz") true (idxLabels (Array.create 9 1uy))
            let e = raisesWith<DataFileException> (fun () -> Datasets.load "mnist" dir.Path true)
            containsAll e.Message [ "train-labels-idx1-ubyte.gz"; "9 labels"; "train-images-idx3-ubyte.gz"; "10 images" ]

        testCase "a label out of range is named with its sample" <| fun () ->
            use dir = new TempDir()
            writeMnist dir.Path false 10 4
            write (dir.File "t10k-labels-idx1-ubyte") false (idxLabels [| 0uy; 1uy; 10uy; 2uy |])
            let e = raisesWith<DataFileException> (fun () -> Datasets.load "mnist" dir.Path false)
            containsAll e.Message [ "t10k-labels-idx1-ubyte"; "label 10 of sample 2"; "0..9" ]

        testCase "mnist samples are pixels over 255 with shape 1x28x28" <| fun () ->
            use dir = new TempDir()
            writeMnist dir.Path true 12 3
            let d = Datasets.load "mnist" dir.Path true
            Expect.equal (d.Count, d.NumClasses) (12, 10) "(d.Count, d.NumClasses)"
            Expect.equal (d.SampleShape : int[]) ([| 1; 28; 28 |]) "d.SampleShape"
            let s = d.Sample 2
            let raw = (idxImages 12 28 28)[16 + 2 * 784 .. 16 + 3 * 784 - 1]
            Expect.equal (s : float32[]) (raw |> Array.map (fun b -> float32 b / 255.0f)) "s"
            Expect.equal (d.Label 2) 2 "d.Label 2"
    ]
