/// Usage errors: bad names and values are SnnExceptions of kind Usage that list what is valid, data problems
/// name the directory or file, and nothing is written before they are found.
module SnnDsl.Nn.Tests.ConfigErrorTests

open System
open System.IO
open System.Threading
open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Data
open SnnDsl.Nn
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers
open SnnDsl.Nn.Tests.TrainingRuns

/// Starts a fresh run of c and returns the exception it raises.
let private failure (c: TrainConfig) : exn =
    Expect.raisesAny<exn> (fun () -> Trainer.run c false ignore CancellationToken.None |> ignore)

/// The message of the usage error that a fresh run of c raises; its output directory must not exist.
let private configError (c: TrainConfig) : string =
    let e = failure c
    Expect.isFalse (Directory.Exists c.OutDir.Value) ($"{c.OutDir} was created before the configuration was checked")
    match e with
    | :? SnnDsl.Core.SnnException as e when e.Kind = SnnDsl.Core.ErrorKind.Usage -> e.Message
    | other -> failwith $"expected a usage error, got {other.GetType().Name}: {other.Message}"

/// The message of a setting's parse error.
let private parseError (r: Result<'a, string>) =
    match r with
    | Error e -> e
    | Ok v -> failwith $"expected a parse error, got {v}"

let private bigEndian (v: int) = [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

[<Tests>]
let tests =
    testSequenced <| testList "configuration errors" [
        testCase "an unknown model is a parse error listing the models, and the zoo's names are the models'" <| fun () ->
            let msg = parseError (ZooModel.parse "resnet50")
            Expect.equal (ZooModel.all |> List.map ZooModel.name) Models.names "one list of models"
            Expect.stringContains msg "unknown model 'resnet50'" "msg"
            Expect.stringContains msg "valid models: small-conv, vgg11, vgg13, vgg16, vggsnn, resnet18, resnet19, resnet20, fc" "msg"

        testCase "an unknown neuron is a parse error listing the neurons" <| fun () ->
            let msg = parseError (Setting.neuron "izhikevich" "" [] "")
            Expect.stringContains msg "unknown neuron 'izhikevich'" "msg"
            Expect.stringContains msg "valid neurons: if, lif, lif-soft, leaky-lif, leaky-lif-soft, plif, alif, da-lif, ar-lif" "msg"

        testCase "an unknown dataset is a parse error listing the datasets; a session loads only the registry's" <| fun () ->
            use tmp = new TempDir()
            let msg = parseError (DatasetName.parse "imagenet")
            Expect.stringContains (configError { config (tmp.File "in-code") with Dataset = DataSource.InCode "mine" }) "passed in by a program" "in-code data"
            Expect.stringContains (configError { config (tmp.File "no-model") with Model = None }) "no model" "no model"
            Expect.stringContains msg "unknown dataset 'imagenet'" "msg"
            Expect.stringContains msg "valid datasets: synthetic, mnist, fashion-mnist, cifar10, cifar100, nmnist" "msg"

        testCase "bad values are usage errors naming the setting, bad texts parse errors saying what is valid" <| fun () ->
            use tmp = new TempDir()
            Expect.stringContains (configError { config (tmp.File "bad-t") with Timesteps = 0 }) "timesteps must be at least 1" "timesteps"
            Expect.stringContains (configError { config (tmp.File "bad-lr") with LearningRate = -1.0 }) "the learning rate must be a positive number" "learning rate"
            Expect.stringContains (parseError (Setting.optimizer "rmsprop" 0.9)) "unknown optimizer 'rmsprop'" "optimizer"
            Expect.stringContains (parseError (Setting.loss "hinge" 0.05 0.0)) "valid losses: ce, tet, mse" "loss"
            Expect.stringContains (parseError (Setting.schedule "linear" 3)) "valid schedules" "schedule"
            let msg = parseError (Setting.neuron "da-lif" "" [ "gamma=1" ] "")
            Expect.stringContains msg "neuron 'da-lif' has no parameter 'gamma'; parameters: alpha, beta, threshold, reset" "msg"
            Expect.stringContains (parseError (Setting.neuron "da-lif" "" [ "alpha=big" ] "")) "is not a finite number" "alpha=big"
            Expect.stringContains (parseError (Setting.neuron "da-lif" "" [] "box")) "unknown surrogate 'box'" "surrogate"
            if not (Torch.cudaAvailable ()) then
                Expect.stringContains (configError { config (tmp.File "bad-device") with Device = Device.Cuda 0 }) "CUDA is not available" "cuda"

        testCase "every setting survives the checkpoint's text form (print then parse gives the same configuration)" <| fun () ->
            use tmp = new TempDir()
            let c =
                { config (tmp.File "roundtrip") with
                    Neuron = SnnDsl.Core.Neuron.configure [ "threshold=0.5" ] (Some "atan:2") SnnDsl.Core.Builtins.plif |> Result.defaultWith failwith
                    Optimizer = SnnDsl.Nn.OptimizerKind.adamW
                    Loss = SnnDsl.Nn.Loss.Tet(0.1, SnnDsl.Nn.Loss.tetPhi, 0.05)
                    Schedule = SnnDsl.Nn.Schedule.Step(2, 0.5)
                    SplitBy = SplitBy.Duration 5000L
                    DataSplit = Cifar10DvsSplit.NineToOne
                    Backend = SnnDsl.Backends.Backend.Eager
                    Encoding = Encoding.Delta(0.25, true)
                    InputScale = 40.0
                    InputShift = -2.5 }
            let back = TrainConfig.ofJson "test" (TrainConfig.toJson c)
            Expect.equal back.Encoding c.Encoding "encoding"
            Expect.equal (back.InputScale, back.InputShift) (40.0, -2.5) "input scale and shift"
            Expect.equal (TrainConfig.toJson back) (TrainConfig.toJson c) "JSON"
            Expect.equal back.Optimizer c.Optimizer "optimizer"
            Expect.equal back.Loss c.Loss "loss"
            Expect.equal back.Schedule c.Schedule "schedule"
            Expect.equal back.SplitBy c.SplitBy "split"
            Expect.equal (SnnDsl.Core.Describe.text back.Neuron) (SnnDsl.Core.Describe.text c.Neuron) "neuron"

        testCase "a checkpoint's configuration written before encodings existed reads as direct, scale 1, shift 0" <| fun () ->
            use tmp = new TempDir()
            let json = TrainConfig.toJson (config (tmp.File "old"))
            let old =
                let node = System.Text.Json.Nodes.JsonNode.Parse(json).AsObject()
                for key in [ "Encoding"; "InputScale"; "InputShift" ] do node.Remove key |> ignore
                node.ToJsonString()
            Expect.isFalse (old.Contains "InputScale") "the old form has no input settings"
            let back = TrainConfig.ofJson "old" old
            Expect.equal (back.Encoding, back.InputScale, back.InputShift) (Encoding.Direct, 1.0, 0.0) "the defaults"

        testCase "bad encodings, input scales and shifts are usage errors naming the setting; latency is refused for data already in time" <| fun () ->
            use tmp = new TempDir()
            Expect.stringContains (configError { config (tmp.File "bad-rate") with Encoding = Encoding.Rate 0.0 }) "rate encoding's gain must be a positive number, got 0" "gain"
            Expect.stringContains (configError { config (tmp.File "bad-scale") with InputScale = 0.0 }) "the input scale must be a finite non-zero number, got 0" "scale"
            Expect.stringContains (configError { config (tmp.File "bad-shift") with InputShift = nan }) "the input shift must be a finite number" "shift"
            let events = { config (tmp.File "latency-events") with Dataset = DataSource.Registry DatasetName.NMnist; Encoding = Encoding.Latency 0.01 }
            Expect.stringContains (configError events) "nmnist's samples already are in time" "latency on events"
            let problems = TrainConfig.problems { config (tmp.File "p") with InputScale = infinity }
            Expect.equal (problems |> List.map _.Setting) [ "InputScale" ] "the setting named"

        testCase "mnist with a missing data directory names that directory" <| fun () ->
            use tmp = new TempDir()
            let data = tmp.File "no-such-data"
            let c = { config (tmp.File "mnist-missing") with Dataset = DataSource.Registry DatasetName.Mnist; DataDir = data }
            let e = failure c
            Expect.isType<DataDirectoryException> e "e" |> ignore
            Expect.stringContains e.Message data "e.Message"
            Expect.stringContains e.Message "directory not found" "e.Message"
            Expect.isFalse (Directory.Exists c.OutDir.Value) "Directory.Exists c.OutDir"

        testCase "mnist with an empty data directory names it and the files it expects" <| fun () ->
            use tmp = new TempDir()
            let data = tmp.File "empty-data"
            Directory.CreateDirectory data |> ignore
            let c = { config (tmp.File "mnist-empty") with Dataset = DataSource.Registry DatasetName.Mnist; DataDir = data }
            let e = failure c
            Expect.isType<DataDirectoryException> e "e" |> ignore
            Expect.stringContains e.Message data "e.Message"
            Expect.stringContains e.Message "train-images-idx3-ubyte" "e.Message"
            Expect.isFalse (Directory.Exists c.OutDir.Value) "Directory.Exists c.OutDir"

        testCase "a truncated idx file is a clear error naming the file" <| fun () ->
            use tmp = new TempDir()
            let data = tmp.File "truncated-idx"
            Directory.CreateDirectory data |> ignore
            let images = Path.Combine(data, "train-images-idx3-ubyte")
            // The header promises 10 images of 28x28 (7,840 bytes); only 100 follow.
            File.WriteAllBytes(images, Array.concat [ bigEndian 2051; bigEndian 10; bigEndian 28; bigEndian 28; Array.zeroCreate 100 ])
            File.WriteAllBytes(Path.Combine(data, "train-labels-idx1-ubyte"), Array.append (Array.concat [ bigEndian 2049; bigEndian 10 ]) (Array.init 10 byte))
            let c = { config (tmp.File "mnist-truncated") with Dataset = DataSource.Registry DatasetName.Mnist; DataDir = data }
            let e = failure c
            Expect.isType<DataFileException> e "e" |> ignore
            Expect.stringContains e.Message images "e.Message"
            Expect.stringContains e.Message "truncated" "e.Message"
            Expect.stringContains e.Message "10 images of 28x28" "e.Message"
            Expect.isFalse (Directory.Exists c.OutDir.Value) "Directory.Exists c.OutDir"

        testCase "resuming without a checkpoint and restarting over a run are usage errors" <| fun () ->
            use tmp = new TempDir()
            let empty = tmp.File "nothing-to-resume"
            let e = Expect.raisesAny<exn> (fun () -> Trainer.run (config empty) true ignore CancellationToken.None |> ignore)
            match e with
            | :? SnnDsl.Core.SnnException as e when e.Kind = SnnDsl.Core.ErrorKind.Usage -> Expect.stringContains e.Message "no checkpoint at" "msg"
            | other -> failwith $"expected a usage error, got {other.Message}"
            let existing = tmp.File "existing-run"
            Directory.CreateDirectory existing |> ignore
            File.WriteAllBytes(checkpointPath existing, [| 0uy |])
            match failure (config existing) with
            | :? SnnDsl.Core.SnnException as e when e.Kind = SnnDsl.Core.ErrorKind.Usage -> Expect.stringContains e.Message "already holds a run" "msg"
            | other -> failwith $"expected a usage error, got {other.Message}"
            // The existing run is left as it was.
            Expect.equal (File.ReadAllBytes(checkpointPath existing) : byte[]) ([| 0uy |]) "File.ReadAllBytes(checkpointPath existing)"
    ]
