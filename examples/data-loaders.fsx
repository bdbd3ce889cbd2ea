// The data layer: load each dataset by name, build training and test loaders, and time the loading and
// the loaders' throughput (batch 32).
// Run after building: dotnet fsi examples/data-loaders.fsx [dataDir]   (default ../shared/data)
// A dataset whose files are missing is reported as skipped. SNNDSL_QUICK=1 times 100 batches instead of 1000.
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Core.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Torch.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Data.dll"
#r "../src/SnnDsl.Training/bin/Release/net10.0/SnnDsl.Training.dll"

open System.Diagnostics
open System.IO
open SnnDsl.Torch
open SnnDsl.Data
open SnnDsl.Training // the loaders' batches as tensors

let dataDir =
    match fsi.CommandLineArgs |> Array.tail with
    | [| d |] -> d
    | _ -> Path.Combine(__SOURCE_DIRECTORY__, "..", "..", "shared", "data")

let timed f =
    let sw = Stopwatch.StartNew()
    let r = f ()
    r, sw.Elapsed.TotalSeconds

/// Batches per second over up to maxBatches of epoch 0, tensors included (each batch freed by its scope).
let throughput (loader: DataLoader) maxBatches =
    let mutable n = 0
    let sw = Stopwatch.StartNew()
    use cts = new System.Threading.CancellationTokenSource()
    try
        loader.ForEach(0, (fun b ->
            n <- n + 1
            if n = maxBatches then cts.Cancel()), cancellationToken = cts.Token)
    with :? System.OperationCanceledException -> ()
    float n / sw.Elapsed.TotalSeconds

let augmentationFor (d: Dataset) =
    if d.SampleShape[0] = 3 then Augmentation.Standard // CIFAR: crop 32 with padding 4, flip
    else { Augmentation.None with CropPadding = 2 }      // digits: a small shift, no flip

let maxBatches = if System.Environment.GetEnvironmentVariable "SNNDSL_QUICK" = "1" then 100 else 1000

printfn "%s, %d thread(s)" (Torch.version ()) (Torch.threads ()) // loads libtorch before any timing

for name in Datasets.names do
    try
        let train, loadTrain = timed (fun () -> Datasets.load name dataDir true)
        let test, loadTest = timed (fun () -> Datasets.load name dataDir false)
        printfn "%-14s loaded train %.2f s, test %.2f s: %O" name loadTrain loadTest train
        let trainLoader = DataLoader(train, LoaderOptions.Train(32, 1L, augmentationFor train))
        let testLoader = DataLoader(test, LoaderOptions.Test 256)
        printfn "%-14s train loader %.0f batches/s (augmented), test loader %d batches of up to 256"
            name (throughput trainLoader maxBatches) testLoader.BatchesPerEpoch
    with e -> printfn "%-14s skipped: %s" name e.Message
