/// The epoch line a person reads: each spiking layer's firing rate by name, energy in µJ per sample, and a
/// warning for a layer that is dead (fires nothing on the test set) or saturated (fires at nearly every step).
module SnnDsl.Cli.Tests.EpochLineTests

open Expecto
open SnnDsl.Training
open SnnDsl.Cli

let private metrics (rates: (string * float) list) : EpochMetrics =
    { Epoch = 2
      TrainLoss = 0.5
      TrainAccuracy = 0.8
      TestLoss = 0.6
      TestAccuracy = 0.75
      Seconds = 12.3
      LearningRate = 0.1
      FiringRates = rates
      NeuronParams = []
      Energy = { MacsPerSample = 1e6; AcsPerSample = 2e6; MilliJoules = 6.912e-3 } }

[<Tests>]
let tests =
    testList "Epoch line" [
        testCase "the epoch line names each spiking layer's firing rate and gives µJ per sample" <| fun () ->
            let line = TrainProgress.epochLine (metrics [ "spike1 (after conv1)", 0.1239; "spike2 (after fc1)", 0.0935 ])
            Expect.stringContains line "firing spike1 0.1239, spike2 0.0935" "the rates by layer"
            Expect.stringContains line "| 6.912 µJ/sample" "the energy in microjoules"
            Expect.isFalse (line.Contains "E-0") "no exponent notation"

        testCase "a layer firing nothing on the test set is reported dead and one firing at every step saturated, by name" <| fun () ->
            let warnings =
                TrainProgress.epochWarnings (metrics [ "spike1 (after conv1)", 0.0; "spike2 (after conv2)", 0.12; "spike3 (after fc1)", 1.0 ])
            Expect.equal warnings.Length 2 $"one warning per bad layer: {warnings}"
            Expect.stringContains warnings[0] "spike1 (after conv1)" "the dead layer's name"
            Expect.stringContains warnings[0] "dead" "dead"
            Expect.stringContains warnings[0] "threshold" "what to check"
            Expect.stringContains warnings[1] "spike3 (after fc1)" "the saturated layer's name"
            Expect.stringContains warnings[1] "saturated" "saturated"

        testCase "a healthy network gets no warning" <| fun () ->
            Expect.isEmpty (TrainProgress.epochWarnings (metrics [ "spike1 (after conv1)", 0.05; "spike2 (after fc1)", 0.3 ])) "warnings"
    ]
