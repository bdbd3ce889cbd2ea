/// The one settings table (`TrainSettings.all`): the command line, a checkpoint's JSON and the defaults are
/// all read through its rows, so a value means the same whichever face gives it.
module SnnDsl.Nn.Tests.SettingsTableTests

open System
open Expecto
open SnnDsl.Core
open SnnDsl.Data
open SnnDsl.Nn
open SnnDsl.Training

/// A configuration in which every stored setting differs from its default.
let private varied : TrainConfig =
    { TrainConfig.defaults with
        Dataset = DataSource.Registry DatasetName.FashionMnist
        DataDir = "/data/fm"
        Model = Some ZooModel.Vgg11
        Neuron = Neuron.configure [ "threshold=0.5" ] (Some "atan:3") Builtins.plif |> Result.defaultWith failwith
        Timesteps = 6
        Encoding = Encoding.Rate 0.5
        InputScale = 40.0
        InputShift = -2.5
        Epochs = 7
        BatchSize = 12
        LearningRate = 0.003
        Optimizer = OptimizerKind.sgd 0.5
        WeightDecay = 1e-4
        Loss = Loss.Tet(0.1, Loss.tetPhi, 0.05)
        Schedule = Schedule.Step(2, 0.5)
        WarmupEpochs = 1.5
        ClipGradNorm = 2.0
        Augment = true
        SplitBy = SplitBy.Duration 5000L
        Resize = 32
        CacheDir = "/tmp/frames"
        NoCache = true
        DataSplit = Cifar10DvsSplit.NineToOne
        LimitTrain = 100
        LimitTest = 50
        Seed = 99L
        Device = SnnDsl.Torch.Device.Cuda 1
        Backend = SnnDsl.Backends.Backend.Eager
        Threads = 3
        CheckpointEvery = 7
        CheckFinite = true
        OutDir = Some "/tmp/run" }

/// The command-line tokens that give a setting this value.
let private tokens (s: TrainSetting) (v: SettingValue) =
    match s.Flag, v with
    | None, _ -> []
    | Some f, SettingValue.Switch true -> [ "--" + f ]
    | Some _, SettingValue.Switch false -> []
    | Some f, SettingValue.Texts xs -> xs |> List.collect (fun x -> [ "--" + f; x ])
    | Some f, v -> [ "--" + f; string v ]

let private built (given: string -> SettingValue option) =
    match TrainSettings.build given with
    | c, [] -> c
    | _, p :: _ -> failtest $"{p.Setting}: {p.Message}"

[<Tests>]
let tests =
    testList "settings table" [
        testCase "every row has a unique name and flag, a doc, and a default unless its absence means something" <| fun () ->
            let names = TrainSettings.all |> List.map _.Name
            Expect.equal (List.distinct names) names "names are unique"
            let flags = TrainSettings.all |> List.choose _.Flag
            Expect.equal (List.distinct flags) flags "flags are unique"
            for s in TrainSettings.all do
                Expect.isNotEmpty s.Doc $"{s.Name} has a doc"
            let optional = TrainSettings.all |> List.filter (fun s -> s.Default.IsNone) |> List.map _.Name
            Expect.equal optional [ "NeuronFile"; "Frames"; "WorldSize"; "Rank"; "Master" ] "the settings without a default"

        testCase "the defaults are the rows' defaults: snn train's small conv net with DA-LIF on synthetic data" <| fun () ->
            let d = TrainConfig.defaults
            Expect.equal (d.Dataset, d.Model, d.Neuron.Name) (DataSource.Registry DatasetName.Synthetic, Some ZooModel.SmallConv, "da-lif") "data, model, neuron"
            Expect.equal (d.Timesteps, d.Epochs, d.BatchSize, d.LearningRate) (4, 3, 32, 0.1) "numbers"
            Expect.equal (d.Optimizer, d.Loss, d.Schedule) (OptimizerKind.sgd 0.9, Loss.ce, Schedule.Cosine 0.0) "optimizer, loss, schedule"
            Expect.equal (d.CheckpointEvery, d.World, d.OutDir) (50, None, Some "runs/default") "checkpoints, world, output"

        testCase "a value read from its flag equals the same value read from a checkpoint's JSON, for every stored setting" <| fun () ->
            let printed = TrainSettings.print varied |> Map.ofList
            for s in TrainSettings.all do
                // The optimizer stays SGD so that the momentum is set (ConfigErrorTests round-trips AdamW).
                if s.Stored && (s.Print TrainConfig.defaults).IsSome && s.Name <> "Optimizer" then
                    Expect.notEqual (s.Print varied) (s.Print TrainConfig.defaults) $"{s.Name}: the varied configuration sets it (or the row is not tested)"
            // The neuron travels on the command line as a built-in's name, its parameters and surrogate.
            let line =
                [ for s in TrainSettings.all do
                      if s.Stored && s.Name <> "NeuronText" && s.Name <> "Neuron" then
                          yield! printed.TryFind s.Name |> Option.map (tokens s) |> Option.defaultValue [] ]
            let fromCli =
                match TrainSettings.ofCommandLine (line @ [ "--neuron"; "plif"; "--param"; "threshold=0.5"; "--surrogate"; "atan:3" ]) with
                | Ok given -> built given.TryFind
                | Error e -> failtest e
            let fromJson = TrainConfig.ofJson "test" (TrainConfig.toJson varied)
            Expect.equal (TrainSettings.print fromCli) (TrainSettings.print varied) "the command line gives the varied configuration"
            Expect.equal (TrainSettings.print fromJson) (TrainSettings.print varied) "the JSON gives it too"

        testCase "a checkpoint's configuration in the form before the table (every field of the old record) reads unchanged" <| fun () ->
            let old =
                """{ "Dataset": "mnist", "DataDir": "/d", "Model": "custom", "Neuron": "lif", "NeuronText": "",
                     "NeuronParams": [ "tau=3" ], "Surrogate": "sigmoid:4", "Timesteps": 5, "Encoding": "", "InputScale": null,
                     "InputShift": 0.0, "Epochs": 2, "BatchSize": 8, "LearningRate": 0.05, "Optimizer": "adam", "Momentum": 0.0,
                     "WeightDecay": 0.0, "Loss": "mse", "TetLambda": 0.05, "LabelSmoothing": 0.0, "Schedule": "step:1:0.5",
                     "WarmupEpochs": 0.0, "ClipGradNorm": 0.0, "Augment": false, "SplitBy": "time", "Resize": 0, "CacheDir": "",
                     "NoCache": false, "DataSplit": "paper", "LimitTrain": 10, "LimitTest": 5, "Seed": 3, "Device": "cpu",
                     "Backend": "fused", "Threads": 1, "CheckpointEvery": 0, "CheckFinite": false, "OutDir": "" }"""
            let c = TrainConfig.ofJson "old" old
            Expect.equal (c.Dataset, c.Model, c.Neuron.Name) (DataSource.Registry DatasetName.Mnist, None, "lif") "data, model, neuron"
            let lif = Neuron.configure [ "tau=3" ] (Some "sigmoid:4") Builtins.lif |> Result.defaultWith failwith
            Expect.equal (Describe.text c.Neuron) (Describe.text lif) "the neuron with its parameter and surrogate"
            Expect.equal (c.Encoding, c.InputScale) (Encoding.Direct, 1.0) "encoding, scale"
            Expect.equal (c.Optimizer, c.Loss, c.Schedule, c.SplitBy) (OptimizerKind.adam, Loss.CountMse, Schedule.Step(1, 0.5), SplitBy.Time) "typed settings"
            Expect.equal (c.Backend, c.OutDir, c.LimitTrain) (SnnDsl.Backends.Backend.Fused, None, 10) "backend, output, limit"

        testCase "a value that does not read names its setting: on the command line by its flag, in a file by its name" <| fun () ->
            Expect.equal (TrainSettings.ofCommandLine [ "--epochs"; "many" ]) (Error "--epochs: expected a whole number, got 'many'") "flag"
            Expect.equal (TrainSettings.ofCommandLine [ "--epochs" ]) (Error "--epochs: needs a value <n>") "missing value"
            Expect.equal (TrainSettings.ofCommandLine [ "--epochs"; "1"; "--epochs"; "2" ]) (Error "--epochs is given more than once") "twice"
            Expect.equal (TrainSettings.ofCommandLine [ "--epochs=4" ] |> Result.map (Map.toList)) (Ok [ "Epochs", SettingValue.Whole 4L ]) "--flag=value"
            Expect.equal (TrainSettings.ofCommandLine [ "--out"; "--augment" ]) (Error "--out: needs a value <dir>, but was followed by --augment") "a flag is no value"
            Expect.equal (TrainSettings.ofCommandLine [ "--input-shift"; "-2.5" ] |> Result.map Map.toList) (Ok [ "InputShift", SettingValue.Number -2.5 ]) "a negative number is a value"
            Expect.isOk (TrainSettings.ofCommandLine [ "--augment"; "--augment" ]) "a switch may repeat"
            let message =
                try
                    TrainConfig.ofJson "cfg.json" """{ "Loss": "hinge" }""" |> ignore
                    ""
                with :? SnnException as e when e.Kind = ErrorKind.Data -> e.Message
            Expect.stringContains message "cfg.json: Loss: unknown loss 'hinge'" "file"

        testCase "a world's bad master or timeout is that setting's problem, not an exception or the world size's" <| fun () ->
            let world master timeout =
                let given = Map.ofList [ "WorldSize", SettingValue.Whole 2L; "Rank", SettingValue.Whole 0L
                                         "Master", SettingValue.Text master; "DistTimeout", SettingValue.Number timeout ]
                let _, problems = TrainSettings.build given.TryFind
                problems |> List.map (fun p -> p.Setting, p.Cause)
            Expect.equal (world "localhost" 120.0) [ "Master", ProblemCause.Unreadable ] "a master without a port"
            Expect.equal (world "h:99999" 120.0) [ "Master", ProblemCause.Unreadable ] "a port out of range"
            Expect.equal (world "h:1" nan) [ "DistTimeout", ProblemCause.OutOfRange ] "a NaN timeout"
            Expect.equal (world "h:1" infinity) [ "DistTimeout", ProblemCause.OutOfRange ] "an infinite timeout"
            Expect.equal (world "h:1" 30.0) [] "a good world"
    ]
