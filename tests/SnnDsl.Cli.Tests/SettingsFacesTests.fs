/// One bad training setting, fed to the three faces of the library: `snn train` (a usage error, exit 2), F#
/// (`Session.create`, a usage SnnException) and the C# facade (`TrainingOptions.Validate`, which `new Trainer`
/// calls: ArgumentOutOfRangeException naming the property). All three refuse it with the library's one
/// message, `TrainConfig.problems`'s.
module SnnDsl.Cli.Tests.SettingsFacesTests

open System
open Expecto
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Training
open SnnDsl.Cli.Tests.Cli

type private Case =
    { Setting: string
      Flags: string list
      FSharp: TrainConfig -> TrainConfig
      CSharp: SnnDsl.CSharp.TrainingOptions -> unit
      Message: string }

let private cases =
    [ { Setting = "Momentum"
        Flags = [ "--optimizer"; "sgd"; "--momentum"; "1.5" ]
        FSharp = fun c -> { c with Optimizer = OptimizerKind.sgd 1.5 }
        CSharp = fun o -> o.Optimizer <- SnnDsl.CSharp.OptimizerKind.Sgd; o.Momentum <- 1.5
        Message = "the SGD momentum must be in [0, 1), got 1.5" }
      { Setting = "TetLambda"
        Flags = [ "--loss"; "tet"; "--tet-lambda"; "3" ]
        FSharp = fun c -> { c with Loss = Loss.Tet(3.0, Loss.tetPhi, 0.0) }
        CSharp = fun o -> o.Loss <- SnnDsl.CSharp.LossFunction.Tet; o.TetLambda <- 3.0
        Message = "TET's lambda must be in [0, 1], got 3" }
      { Setting = "LabelSmoothing"
        Flags = [ "--loss"; "ce"; "--label-smoothing"; "1" ]
        FSharp = fun c -> { c with Loss = Loss.MeanOutputCrossEntropy 1.0 }
        CSharp = fun o -> o.Loss <- SnnDsl.CSharp.LossFunction.CrossEntropy; o.LabelSmoothing <- 1.0
        Message = "the label smoothing must be in [0, 1), got 1" }
      { Setting = "InputScale"
        Flags = [ "--input-scale"; "0" ]
        FSharp = fun c -> { c with InputScale = 0.0 }
        CSharp = fun o -> o.InputScale <- 0.0
        Message = "the input scale must be a finite non-zero number, got 0" }
      { Setting = "InputShift"
        Flags = [ "--input-shift"; "NaN" ]
        FSharp = fun c -> { c with InputShift = nan }
        CSharp = fun o -> o.InputShift <- nan
        Message = "the input shift must be a finite number, got NaN" }
      { Setting = "BatchSize"
        Flags = [ "--batch-size"; "0" ]
        FSharp = fun c -> { c with BatchSize = 0 }
        CSharp = fun o -> o.BatchSize <- 0
        Message = "the batch size must be at least 1, got 0" }
      { Setting = "LearningRate"
        Flags = [ "--lr"; "NaN" ]
        FSharp = fun c -> { c with LearningRate = nan }
        CSharp = fun o -> o.LearningRate <- nan
        Message = "the learning rate must be a positive number, got NaN" }
      { Setting = "WarmupEpochs"
        Flags = [ "--warmup"; "-1" ]
        FSharp = fun c -> { c with WarmupEpochs = -1.0 }
        CSharp = fun o -> o.WarmupEpochs <- -1.0
        Message = "the warm-up must be a finite number of epochs >= 0, got -1" }
      { Setting = "CheckpointEvery"
        Flags = [ "--checkpoint-every"; "-1" ]
        FSharp = fun c -> { c with CheckpointEvery = -1 }
        CSharp = fun o -> o.CheckpointEvery <- -1
        Message = "checkpoint-every must be >= 0, got -1" } ]

[<Tests>]
let tests =
    testSequenced <| testList "Settings faces" [
        for case in cases ->
            testCase $"a bad {case.Setting} is refused alike by snn train, F# Session.create and C# TrainingOptions" <| fun () ->
                use dir = new SnnDsl.TestKit.TempDir()
                let cli = snn ([ "train"; "--dataset"; "synthetic"; "--no-report"; "--out"; dir.File "run" ] @ case.Flags)
                Expect.equal cli.Code 2 $"snn train exits with the usage code\n{cli.Err}"
                Expect.stringContains cli.Err case.Message "snn train's message"
                let fsharp =
                    try
                        Session.create (case.FSharp TrainConfig.defaults) |> ignore
                        None
                    with :? SnnException as e -> Some e
                Expect.isSome fsharp "Session.create refuses the configuration"
                Expect.equal fsharp.Value.Kind ErrorKind.Usage "F#'s error kind"
                Expect.stringContains fsharp.Value.Message case.Message "F#'s message"
                let options = SnnDsl.CSharp.TrainingOptions()
                case.CSharp options
                let csharp =
                    try
                        options.Validate()
                        None
                    with e -> Some e
                match csharp with
                | None -> failtest "C#'s TrainingOptions.Validate accepted the setting"
                | Some(:? ArgumentOutOfRangeException as e) ->
                    Expect.equal e.ParamName case.Setting "C# names the property"
                    Expect.stringContains e.Message case.Message "C#'s message"
                | Some e -> failtest $"C# raised {e.GetType().Name}, not ArgumentOutOfRangeException: {e.Message}"
    ]
