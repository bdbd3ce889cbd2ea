/// The fault suite: a table of bad inputs (case -> expected exit code and a phrase of the message) for every
/// dataset reader, the checkpoint header, the CLI's numbers, simulate inputs and event files; `.neuron`
/// mutants; a full disk; SIGKILL at random points; two runs into one directory. No case may exit 3 or print
/// a stack trace. docs/cli.md's exit codes cite this table.
module SnnDsl.Cli.Tests.FaultSuiteTests

open System
open System.Diagnostics
open System.IO
open System.IO.Compression
open System.Text
open System.Text.Json.Nodes
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Training
open SnnDsl.Cli
open SnnDsl.Cli.Tests.Cli
open SnnDsl.Data.Tests.EventWriters

/// One row of the table: the arguments of `snn` (after writing its files into the directory), the exit
/// code expected and a phrase the message must hold.
type Fault = { Case: string; Args: TempDir -> string list; Code: int; Phrase: string }

let private fault case code phrase args = { Case = case; Args = args; Code = code; Phrase = phrase }

/// What is wrong with an outcome for a row (None: nothing).
let private verdict (row: Fault) (r: Outcome) =
    if r.Code <> row.Code then Some $"{row.Case}: exit {r.Code}, expected {row.Code}; stderr: {r.Err.Trim()}"
    elif not (r.Err.Contains row.Phrase) then Some $"{row.Case}: stderr lacks '{row.Phrase}': {r.Err.Trim()}"
    elif r.Err.Contains "   at " || r.Err.Contains "internal error" then Some $"{row.Case}: a stack trace or an internal error: {r.Err}"
    else None

/// Runs every row (each in its own directory) and fails once, listing every row that went wrong.
let private runTable (rows: Fault list) =
    let problems =
        rows
        |> List.choose (fun row ->
            use dir = new TempDir()
            verdict row (snn (row.Args dir)))
    Expect.isEmpty problems (String.Join("\n", problems))

// ---------------------------------------------------------------- files

let private be (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]
let private idxImages n = Array.concat [ be 2051; be n; be 28; be 28; Array.init (n * 784) (fun i -> byte (i % 251)) ]
let private idxLabels n = Array.concat [ be 2049; be n; Array.init n (fun i -> byte (i % 10)) ]
let private gzip (bytes: byte[]) =
    use ms = new MemoryStream()
    (use z = new GZipStream(ms, CompressionLevel.Fastest) in z.Write(bytes, 0, bytes.Length))
    ms.ToArray()
let private cifar10 n = Array.init (n * 3073) (fun i -> if i % 3073 = 0 then byte (i / 3073 % 10) else byte (i % 256))

/// A MNIST folder whose four files are good (3 samples each) except those `replace` gives.
let private mnist (dir: TempDir) (replace: (string * byte[]) list) =
    let data = Directory.CreateDirectory(dir.File "mnist").FullName
    let good =
        [ "train-images-idx3-ubyte", idxImages 3; "train-labels-idx1-ubyte", idxLabels 3
          "t10k-images-idx3-ubyte", idxImages 3; "t10k-labels-idx1-ubyte", idxLabels 3 ]
    for name, bytes in good do
        match replace |> List.tryFind (fun (n, _) -> n = name || n = name + ".gz") with
        | Some(n, b) -> File.WriteAllBytes(Path.Combine(data, n), b)
        | None -> File.WriteAllBytes(Path.Combine(data, name), bytes)
    data

/// A CIFAR-10 folder: 5 training batches of 2 records and a test batch, or the files `replace` gives.
let private cifar (dir: TempDir) (replace: (string * byte[]) list) =
    let data = Directory.CreateDirectory(dir.File "cifar10").FullName
    for name in [ for i in 1..5 -> $"data_batch_{i}.bin" ] @ [ "test_batch.bin" ] do
        match replace |> List.tryFind (fun (n, _) -> n = name || n = name + ".gz") with
        | Some(n, b) -> File.WriteAllBytes(Path.Combine(data, n), b)
        | None -> File.WriteAllBytes(Path.Combine(data, name), cifar10 2)
    data

let private train (dataset: string) (data: string) (dir: TempDir) =
    [ "train"; "--dataset"; dataset; "--data-dir"; data; "--epochs"; "1"; "--threads"; "1"; "--no-report"; "--out"; dir.File "run" ]

let private readers =
    [ fault "mnist: an idx file of 0 images (and 0 labels)" 1 "holds 0 samples" (fun d ->
          train "mnist" (mnist d [ "train-images-idx3-ubyte", idxImages 0; "train-labels-idx1-ubyte", idxLabels 0 ]) d)
      fault "mnist: an empty image file" 1 "truncated" (fun d -> train "mnist" (mnist d [ "train-images-idx3-ubyte", [||] ]) d)
      fault "mnist: a gzip of an empty file" 1 "truncated" (fun d -> train "mnist" (mnist d [ "train-images-idx3-ubyte.gz", gzip [||] ]) d)
      fault "mnist: a truncated image file" 1 "truncated" (fun d ->
          train "mnist" (mnist d [ "train-images-idx3-ubyte", (idxImages 3)[.. 1000] ]) d)
      fault "mnist: a truncated gzip" 1 "train-images-idx3-ubyte.gz" (fun d ->
          let gz = gzip (idxImages 3)
          train "mnist" (mnist d [ "train-images-idx3-ubyte.gz", gz[.. gz.Length / 2] ]) d)
      fault "mnist: an oversized label file" 1 "too long" (fun d ->
          train "mnist" (mnist d [ "train-labels-idx1-ubyte", Array.append (idxLabels 3) [| 1uy; 2uy |] ]) d)
      fault "mnist: a header promising 2^31 images" 1 "implausible" (fun d ->
          train "mnist" (mnist d [ "train-images-idx3-ubyte", Array.concat [ be 2051; be Int32.MaxValue; be 28; be 28 ] ]) d)
      fault "mnist: a bad magic number" 1 "bad magic number" (fun d ->
          train "mnist" (mnist d [ "t10k-labels-idx1-ubyte", Array.append (be 7) (be 0) ]) d)
      fault "fashion-mnist without --data-dir" 2 "--data-dir" (fun d ->
          [ "train"; "--dataset"; "fashion-mnist"; "--epochs"; "1"; "--out"; d.File "run" ])
      fault "mnist: a --data-dir that does not exist" 1 "directory not found" (fun d -> train "mnist" (d.File "nowhere") d)
      fault "cifar10: an empty test_batch.bin" 1 "holds 0 samples" (fun d -> train "cifar10" (cifar d [ "test_batch.bin", [||] ]) d)
      fault "cifar10: a gzip of an empty test_batch.bin" 1 "holds 0 samples" (fun d ->
          train "cifar10" (cifar d [ "test_batch.bin.gz", gzip [||] ]) d)
      fault "cifar10: a truncated record" 1 "truncated" (fun d -> train "cifar10" (cifar d [ "data_batch_3.bin", (cifar10 2)[.. 4000] ]) d)
      fault "cifar10: a label out of range" 1 "out of range" (fun d ->
          let b = cifar10 2
          b[3073] <- 42uy
          train "cifar10" (cifar d [ "data_batch_1.bin", b ]) d)
      fault "cifar10: a truncated gzip" 1 "data_batch_2.bin.gz" (fun d ->
          let gz = gzip (cifar10 2)
          train "cifar10" (cifar d [ "data_batch_2.bin.gz", gz[.. gz.Length / 2] ]) d)
      fault "nmnist: an empty folder" 1 "nmnist" (fun d -> train "nmnist" (Directory.CreateDirectory(d.File "n")).FullName d)
      fault "shd: an empty folder" 1 "shd" (fun d -> [ "train"; "--dataset"; "shd"; "--model"; "fc"; "--data-dir"; (Directory.CreateDirectory(d.File "s")).FullName; "--out"; d.File "run" ]) ]

// ---------------------------------------------------------------- event files

let private events (name: string) (bytes: byte[]) (extra: string list) (dir: TempDir) =
    File.WriteAllBytes(dir.File name, bytes)
    "events" :: dir.File name :: extra

let private eventFiles =
    let evs = [ ev 1 2 1 1000L; ev 3 4 0 1010L; ev 10 20 1 2000L ]
    let a2 = aedat2 evs
    let a4 = aedat4 Lz4 [ evs ]
    let nm = nmnist evs
    [ fault "events: an empty .aedat" 1 "e.aedat" (events "e.aedat" [||] [])
      fault "events: an empty .aedat4" 1 "e.aedat4" (events "e.aedat4" [||] [])
      fault "events: a text file" 1 "unknown event format" (events "x.dat" (Encoding.ASCII.GetBytes "hello") [])
      fault "events: a truncated AEDAT 2.0 event" 1 "t.aedat" (events "t.aedat" a2[.. a2.Length - 3] [])
      fault "events: a truncated AEDAT 4" 1 "truncated" (events "t.aedat4" a4[.. a4.Length - 4] [])
      fault "events: a truncated N-MNIST event" 1 "t.bin" (events "t.bin" nm[.. nm.Length - 2] [])
      fault "events: an empty .h5" 1 "e.h5" (events "e.h5" [||] [])
      fault "events: an HDF5 signature and nothing else" 1 "s.h5" (events "s.h5" [| 0x89uy; 0x48uy; 0x44uy; 0x46uy; 0x0Duy; 0x0Auy; 0x1Auy; 0x0Auy |] [])
      fault "events --frames 100000 on a short recording" 2 "at most 256 frames" (fun d ->
          events "r.aedat" a2 [ "--frames"; "100000"; "--out"; d.File "s.png" ] d)
      fault "events --frames -1" 2 "at least 1" (fun d -> events "r.aedat" a2 [ "--frames"; "-1"; "--out"; d.File "s.png" ] d)
      fault "events --sample 5 of an AEDAT file" 2 "--sample picks a sample of an SHD/SSC file" (events "r.aedat" a2 [ "--sample"; "5" ])
      fault "events: a missing file" 1 "not found" (fun d -> [ "events"; d.File "nope.aedat" ]) ]

// ---------------------------------------------------------------- CLI numbers and simulate inputs

// 2 batches of 16 at T = 2: a few seconds when a row is not refused early.
let private tiny (out: string) =
    [ "train"; "--dataset"; "synthetic"; "--limit-train"; "32"; "--limit-test"; "16"; "--batch-size"; "16"
      "--timesteps"; "2"; "--threads"; "1"; "--seed"; "5"; "--no-report"; "--out"; out ]

let private cliNumbers =
    // The flag's value replaces tiny's where tiny sets it (Argu takes each flag once).
    let rec replace flag value args =
        match args with
        | f :: _ :: rest when f = flag -> f :: value :: rest
        | a :: rest -> a :: replace flag value rest
        | [] -> [ flag; value ]
    let t flag value phrase = fault $"train {flag} {value}" 2 phrase (fun (d: TempDir) -> replace flag value (tiny (d.File "run")))
    [ t "--epochs" "0" "epochs must be at least 1"
      t "--epochs" "-3" "epochs must be at least 1"
      t "--epochs" "many" "--epochs"
      t "--batch-size" "0" "batch size must be at least 1"
      t "--timesteps" "0" "timesteps must be at least 1"
      t "--lr" "-0.1" "learning rate must be a positive number"
      t "--lr" "NaN" "learning rate must be a positive number"
      t "--lr" "Infinity" "learning rate must be a positive number"
      t "--momentum" "1.5" "momentum must be in [0, 1)"
      t "--weight-decay" "-1" "weight decay"
      t "--label-smoothing" "1" "label smoothing must be in [0, 1)"
      t "--tet-lambda" "2" "lambda must be in [0, 1]"
      t "--warmup" "-1" "warm-up"
      t "--clip" "-2" "clip"
      t "--threads" "-1" "threads must be >= 0"
      t "--limit-train" "-5" "sample limit must be >= 0"
      t "--checkpoint-every" "-1" "checkpoint-every must be >= 0"
      t "--resize" "-4" "resize must be >= 0"
      t "--seed" "x" "--seed"
      t "--dist-timeout" "-1" "--dist-timeout"
      t "--encode" "poisson" "unknown encoding 'poisson'"
      t "--encode" "latency:2" "threshold must be in [0, 1)"
      t "--input-scale" "0" "input scale must be a finite non-zero number"
      t "--input-shift" "NaN" "input shift must be a finite number"
      fault "train --world-size 2 --rank 5" 2 "rank 5 is outside" (fun d ->
          tiny (d.File "run") @ [ "--world-size"; "2"; "--rank"; "5"; "--master"; "127.0.0.1:29999" ])
      fault "train --master host:99999" 2 "port must be a number" (fun d ->
          tiny (d.File "run") @ [ "--world-size"; "2"; "--rank"; "0"; "--master"; "h:99999" ])
      fault "simulate: an empty input" 1 "no data" (fun d ->
          [ "simulate"; "--neuron"; "lif"; "--input"; d.Write("x.csv", ""); "--out"; d.File "o.csv" ])
      fault "simulate: a NaN input" 1 "is NaN" (fun d ->
          [ "simulate"; "--neuron"; "lif"; "--input"; d.Write("x.csv", "1,NaN\n"); "--out"; d.File "o.csv" ])
      fault "simulate: a binary input" 1 "x.csv" (fun d ->
          File.WriteAllBytes(d.File "x.csv", [| 0uy; 255uy; 10uy; 7uy |])
          [ "simulate"; "--neuron"; "lif"; "--input"; d.File "x.csv"; "--out"; d.File "o.csv" ])
      fault "simulate: --param tau=1e999" 2 "not a finite number" (fun d ->
          [ "simulate"; "--neuron"; "lif"; "--param"; "tau=1e999"; "--input"; d.Write("x.csv", "1\n"); "--out"; d.File "o.csv" ]) ]

// ---------------------------------------------------------------- checkpoint header

/// A finished one-epoch run's checkpoint, trained once for the header rows and copied into each row's
/// directory.
let private goodCheckpoint =
    lazy
        use dir = new TempDir()
        let r = snn (tiny dir.Path @ [ "--epochs"; "1" ])
        if r.Code <> 0 then failwith $"the tiny run failed: {r.Err}"
        File.ReadAllBytes(dir.File Checkpoint.fileName)

/// The checkpoint with one JSON entry ("config" or "position") edited, written with a valid checksum.
let private edited (entry: string) (edit: JsonNode -> unit) (dir: TempDir) =
    let run = Directory.CreateDirectory(dir.File "run").FullName
    let path = Path.Combine(run, Checkpoint.fileName)
    File.WriteAllBytes(path, goodCheckpoint.Force())
    let entries = TensorFile.load path Device.Cpu
    try
        let rewritten =
            entries
            |> Array.map (fun (n, t) ->
                if n = entry then
                    let node = JsonNode.Parse(Encoding.UTF8.GetString(t.ToArray<byte>()))
                    edit node
                    n, Tensor.FromArray(Encoding.UTF8.GetBytes(node.ToJsonString()))
                else n, t)
        TensorFile.save path rewritten
    finally
        for _, t in entries do t.Dispose()
    path

let private header =
    // value: the field's new JSON text.
    let set (key: string) (value: string) (node: JsonNode) = node[key] <- JsonNode.Parse value
    let rows (entry: string) (key: string) (value: string) (phrase: string) =
        [ fault $"eval: checkpoint {entry}.{key} = {value}" 1 phrase (fun d -> [ "eval"; "--checkpoint"; edited entry (set key value) d ])
          fault $"train --resume: checkpoint {entry}.{key} = {value}" 1 phrase (fun d ->
              edited entry (set key value) d |> ignore
              tiny (d.File "run") @ [ "--resume"; "--epochs"; "2" ]) ]
    List.concat
        [ rows "position" "Epoch" "-1" "completed epochs are -1"
          rows "position" "NextBatch" "-7" "next batch is -7"
          rows "position" "GlobalStep" "-1" "global step is -1"
          rows "position" "Seen" "-2" "samples seen are -2"
          rows "position" "Correct" "1000000" "correct count is 1000000"
          rows "position" "Seconds" "-1.5" "seconds are -1.5"
          rows "position" "Epoch" "\"one\"" "run position is not valid JSON"
          rows "config" "Epochs" "0" "epochs must be at least 1"
          rows "config" "BatchSize" "-4" "batch size must be at least 1"
          rows "config" "Timesteps" "0" "timesteps must be at least 1"
          rows "config" "LearningRate" "-1.0" "learning rate must be a positive number"
          rows "config" "Threads" "-2" "threads must be >= 0" ]

[<Tests>]
let tests =
    testSequenced <| testList "FaultSuite" [
        testCase "every dataset reader's bad file is a data error naming it (empty, zero-item, truncated, oversized)" <| fun () ->
            runTable readers
        testCase "every bad event file is a data error and every bad events option a usage error" <| fun () ->
            runTable eventFiles
        testCase "every out-of-range CLI number and bad simulate input exits 1 or 2 naming the cause" <| fun () ->
            runTable cliNumbers
        testCase "every numeric checkpoint header field is validated after the checksum (exit 1 naming the field)" <| fun () ->
            runTable header
    ]
