/// Usage errors: bad names and values are ConfigErrors that list what is valid, data problems name the
/// directory or file, and nothing is written before they are found.
module SnnDsl.Nn.Tests.ConfigErrorTests

open System
open System.IO
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Data
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

/// Starts a fresh run of c and returns the exception it raises.
let private failure (c: TrainConfig) : exn =
    Expect.raisesAny<exn> (fun () -> Trainer.run c false ignore CancellationToken.None |> ignore)

/// The message of the ConfigError that a fresh run of c raises; its output directory must not exist.
let private configError (c: TrainConfig) : string =
    let e = failure c
    Expect.isFalse (Directory.Exists c.OutDir) ($"{c.OutDir} was created before the configuration was checked")
    match e with
    | Session.ConfigError msg -> msg
    | other -> failwith $"expected a ConfigError, got {other.GetType().Name}: {other.Message}"

let private bigEndian (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

[<Tests>]
let tests =
    testSequenced <| testList "ConfigError" [
        testCase "an unknown model is a ConfigError listing the models" <| fun () ->
            let msg = configError { config (freshDir "bad-model") with Model = "resnet50" }
            Expect.stringContains msg "unknown model 'resnet50'" "msg"
            Expect.stringContains msg "valid models: small-conv, vgg11, vgg13, vgg16, vggsnn, resnet18, resnet19, resnet20, fc" "msg"

        testCase "an unknown neuron is a ConfigError listing the neurons" <| fun () ->
            let msg = configError { config (freshDir "bad-neuron") with Neuron = "izhikevich" }
            Expect.stringContains msg "unknown neuron 'izhikevich'" "msg"
            Expect.stringContains msg "valid neurons: if, lif, lif-soft, leaky-lif, leaky-lif-soft, plif, alif, da-lif, ar-lif" "msg"

        testCase "an unknown dataset is a ConfigError listing the datasets" <| fun () ->
            let msg = configError { config (freshDir "bad-dataset") with Dataset = "imagenet" }
            Expect.stringContains msg "unknown dataset 'imagenet'" "msg"
            Expect.stringContains msg "valid datasets: synthetic, mnist, fashion-mnist, cifar10, cifar100, nmnist" "msg"

        testCase "bad values and neuron parameter overrides are ConfigErrors" <| fun () ->
            Expect.stringContains (configError { config (freshDir "bad-t") with Timesteps = 0 }) "--timesteps must be at least 1" "configError { config (freshDir \"bad-t\") with Timesteps = 0 }"
            Expect.stringContains (configError { config (freshDir "bad-opt") with Optimizer = "rmsprop" }) "unknown optimizer 'rmsprop'" "configError { config (freshDir \"bad-opt\") with Optimizer = \"rmsprop\" }"
            let msg = configError { config (freshDir "bad-param") with NeuronParams = [| "gamma=1" |] }
            Expect.stringContains msg "neuron 'da-lif' has no parameter 'gamma'; parameters: alpha, beta, threshold, reset" "msg"
            Expect.stringContains (configError { config (freshDir "bad-value") with NeuronParams = [| "alpha=big" |] }) "is not a finite number" "configError { config (freshDir \"bad-value\") with NeuronParams = [| \"alpha=big\" |] }"
            Expect.stringContains (configError { config (freshDir "bad-surrogate") with Surrogate = "box" }) "unknown surrogate 'box'" "configError { config (freshDir \"bad-surrogate\") with Surrogate = \"box\" }"
            if not (Torch.cudaAvailable ()) then
                Expect.stringContains (configError { config (freshDir "bad-device") with Device = "cuda" }) "CUDA is not available" "configError { config (freshDir \"bad-device\") with Device = \"cuda\" }"

        testCase "mnist with a missing data directory names that directory" <| fun () ->
            let data = freshDir "no-such-data"
            let c = { config (freshDir "mnist-missing") with Dataset = "mnist"; DataDir = data }
            let e = failure c
            Expect.isType<DataDirectoryException> e "e" |> ignore
            Expect.stringContains e.Message data "e.Message"
            Expect.stringContains e.Message "directory not found" "e.Message"
            Expect.isFalse (Directory.Exists c.OutDir) "Directory.Exists c.OutDir"

        testCase "mnist with an empty data directory names it and the files it expects" <| fun () ->
            let data = freshDir "empty-data"
            Directory.CreateDirectory data |> ignore
            let c = { config (freshDir "mnist-empty") with Dataset = "mnist"; DataDir = data }
            let e = failure c
            Expect.isType<DataDirectoryException> e "e" |> ignore
            Expect.stringContains e.Message data "e.Message"
            Expect.stringContains e.Message "train-images-idx3-ubyte" "e.Message"
            Expect.isFalse (Directory.Exists c.OutDir) "Directory.Exists c.OutDir"

        testCase "a truncated idx file is a clear error naming the file" <| fun () ->
            let data = freshDir "truncated-idx"
            Directory.CreateDirectory data |> ignore
            let images = Path.Combine(data, "train-images-idx3-ubyte")
            // The header promises 10 images of 28x28 (7,840 bytes); only 100 follow.
            File.WriteAllBytes(images, Array.concat [ bigEndian 2051; bigEndian 10; bigEndian 28; bigEndian 28; Array.zeroCreate 100 ])
            File.WriteAllBytes(Path.Combine(data, "train-labels-idx1-ubyte"), Array.append (Array.concat [ bigEndian 2049; bigEndian 10 ]) (Array.init 10 byte))
            let c = { config (freshDir "mnist-truncated") with Dataset = "mnist"; DataDir = data }
            let e = failure c
            Expect.isType<DataFileException> e "e" |> ignore
            Expect.stringContains e.Message images "e.Message"
            Expect.stringContains e.Message "truncated" "e.Message"
            Expect.stringContains e.Message "10 images of 28x28" "e.Message"
            Expect.isFalse (Directory.Exists c.OutDir) "Directory.Exists c.OutDir"

        testCase "resuming without a checkpoint and restarting over a run are ConfigErrors" <| fun () ->
            let empty = freshDir "nothing-to-resume"
            let e = Expect.raisesAny<exn> (fun () -> Trainer.run (config empty) true ignore CancellationToken.None |> ignore)
            match e with
            | Session.ConfigError msg -> Expect.stringContains msg "no checkpoint at" "msg"
            | other -> failwith $"expected a ConfigError, got {other.Message}"
            let existing = freshDir "existing-run"
            Directory.CreateDirectory existing |> ignore
            File.WriteAllBytes(checkpointPath existing, [| 0uy |])
            match failure (config existing) with
            | Session.ConfigError msg -> Expect.stringContains msg "already holds a run" "msg"
            | other -> failwith $"expected a ConfigError, got {other.Message}"
            // The existing run is left as it was.
            Expect.equal (File.ReadAllBytes(checkpointPath existing) : byte[]) ([| 0uy |]) "File.ReadAllBytes(checkpointPath existing)"
    ]
