/// Usage errors: bad names and values are ConfigErrors that list what is valid, data problems name the
/// directory or file, and nothing is written before they are found.
module SnnDsl.Nn.Tests.ConfigErrorTests

open System
open System.IO
open System.Threading
open Xunit
open SnnDsl.Torch
open SnnDsl.Data
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

/// Starts a fresh run of c and returns the exception it raises.
let private failure (c: TrainConfig) : exn =
    Assert.ThrowsAny<exn>(fun () -> Trainer.run c false ignore CancellationToken.None |> ignore)

/// The message of the ConfigError that a fresh run of c raises; its output directory must not exist.
let private configError (c: TrainConfig) : string =
    let e = failure c
    Assert.False(Directory.Exists c.OutDir, $"{c.OutDir} was created before the configuration was checked")
    match e with
    | Session.ConfigError msg -> msg
    | other -> failwith $"expected a ConfigError, got {other.GetType().Name}: {other.Message}"

[<Fact>]
let ``an unknown model is a ConfigError listing the models`` () =
    let msg = configError { config (freshDir "bad-model") with Model = "resnet50" }
    Assert.Contains("unknown model 'resnet50'", msg)
    Assert.Contains("valid models: small-conv, vgg11, vgg13, vgg16, vggsnn, resnet18, resnet19, resnet20, fc", msg)

[<Fact>]
let ``an unknown neuron is a ConfigError listing the neurons`` () =
    let msg = configError { config (freshDir "bad-neuron") with Neuron = "izhikevich" }
    Assert.Contains("unknown neuron 'izhikevich'", msg)
    Assert.Contains("valid neurons: if, lif, lif-soft, leaky-lif, leaky-lif-soft, plif, alif, da-lif, ar-lif", msg)

[<Fact>]
let ``an unknown dataset is a ConfigError listing the datasets`` () =
    let msg = configError { config (freshDir "bad-dataset") with Dataset = "imagenet" }
    Assert.Contains("unknown dataset 'imagenet'", msg)
    Assert.Contains("valid datasets: synthetic, mnist, fashion-mnist, cifar10, cifar100, nmnist", msg)

[<Fact>]
let ``bad values and neuron parameter overrides are ConfigErrors`` () =
    Assert.Contains("--timesteps must be at least 1", configError { config (freshDir "bad-t") with Timesteps = 0 })
    Assert.Contains("unknown optimizer 'rmsprop'", configError { config (freshDir "bad-opt") with Optimizer = "rmsprop" })
    let msg = configError { config (freshDir "bad-param") with NeuronParams = [| "gamma=1" |] }
    Assert.Contains("neuron 'da-lif' has no parameter 'gamma'; parameters: alpha, beta, threshold, reset", msg)
    Assert.Contains("is not a finite number", configError { config (freshDir "bad-value") with NeuronParams = [| "alpha=big" |] })
    Assert.Contains("unknown surrogate 'box'", configError { config (freshDir "bad-surrogate") with Surrogate = "box" })
    if not (Torch.cudaAvailable ()) then
        Assert.Contains("CUDA is not available", configError { config (freshDir "bad-device") with Device = "cuda" })

[<Fact>]
let ``mnist with a missing data directory names that directory`` () =
    let data = freshDir "no-such-data"
    let c = { config (freshDir "mnist-missing") with Dataset = "mnist"; DataDir = data }
    let e = failure c
    Assert.IsType<DataDirectoryException>(e) |> ignore
    Assert.Contains(data, e.Message)
    Assert.Contains("directory not found", e.Message)
    Assert.False(Directory.Exists c.OutDir)

[<Fact>]
let ``mnist with an empty data directory names it and the files it expects`` () =
    let data = freshDir "empty-data"
    Directory.CreateDirectory data |> ignore
    let c = { config (freshDir "mnist-empty") with Dataset = "mnist"; DataDir = data }
    let e = failure c
    Assert.IsType<DataDirectoryException>(e) |> ignore
    Assert.Contains(data, e.Message)
    Assert.Contains("train-images-idx3-ubyte", e.Message)
    Assert.False(Directory.Exists c.OutDir)

let private bigEndian (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

[<Fact>]
let ``a truncated idx file is a clear error naming the file`` () =
    let data = freshDir "truncated-idx"
    Directory.CreateDirectory data |> ignore
    let images = Path.Combine(data, "train-images-idx3-ubyte")
    // The header promises 10 images of 28x28 (7,840 bytes); only 100 follow.
    File.WriteAllBytes(images, Array.concat [ bigEndian 2051; bigEndian 10; bigEndian 28; bigEndian 28; Array.zeroCreate 100 ])
    File.WriteAllBytes(Path.Combine(data, "train-labels-idx1-ubyte"), Array.append (Array.concat [ bigEndian 2049; bigEndian 10 ]) (Array.init 10 byte))
    let c = { config (freshDir "mnist-truncated") with Dataset = "mnist"; DataDir = data }
    let e = failure c
    Assert.IsType<DataFileException>(e) |> ignore
    Assert.Contains(images, e.Message)
    Assert.Contains("truncated", e.Message)
    Assert.Contains("10 images of 28x28", e.Message)
    Assert.False(Directory.Exists c.OutDir)

[<Fact>]
let ``resuming without a checkpoint and restarting over a run are ConfigErrors`` () =
    let empty = freshDir "nothing-to-resume"
    let e = Assert.ThrowsAny<exn>(fun () -> Trainer.run (config empty) true ignore CancellationToken.None |> ignore)
    match e with
    | Session.ConfigError msg -> Assert.Contains("no checkpoint at", msg)
    | other -> failwith $"expected a ConfigError, got {other.Message}"
    let existing = freshDir "existing-run"
    Directory.CreateDirectory existing |> ignore
    File.WriteAllBytes(checkpointPath existing, [| 0uy |])
    match failure (config existing) with
    | Session.ConfigError msg -> Assert.Contains("already holds a run", msg)
    | other -> failwith $"expected a ConfigError, got {other.Message}"
    // The existing run is left as it was.
    Assert.Equal<byte[]>([| 0uy |], File.ReadAllBytes(checkpointPath existing))
