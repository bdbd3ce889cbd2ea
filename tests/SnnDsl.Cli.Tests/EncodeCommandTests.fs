/// `snn train --encode`, `--input-scale` and `--input-shift` end to end: a neuron in millivolts is reported
/// dead and comes alive when the data is scaled to its units; a rate-encoded run stores its encoding and
/// `snn eval` of its checkpoint repeats its test accuracy exactly.
module SnnDsl.Cli.Tests.EncodeCommandTests

open System.IO
open System.Text.RegularExpressions
open Expecto
open SnnDsl.TestKit
open SnnDsl.Training
open SnnDsl.Cli.Tests.Cli

/// Izhikevich (2003), regular spiking, in millivolts and milliseconds: at rest at -65 mV, it needs an input
/// of several mV per step to reach its 30 mV peak, which inputs of order 1 never give.
let izhikevich =
    """neuron izhikevich "Izhikevich (2003), regular spiking, in millivolts and milliseconds (dt = 1 ms)"
option a = 0.02  "recovery rate"
option b = 0.2   "recovery sensitivity to V"
option c = -65   "reset potential (mV)"
option d = 8     "recovery jump after a spike"
state  V = -65   "membrane potential (mV)"
state  u = -13   "recovery variable (b * c)"
H = V + 0.04 * V * V + 5 * V + 140 - u + X
S = spike[atan 2](H - 30)
V <- c * S + H * (1 - S)
u <- u + a * (b * V - u) + d * S
"""

/// A one-epoch run on the synthetic dataset unless `extra` names another.
let private run (dir: TempDir) (name: string) (extra: string list) =
    let dataset = if List.contains "--dataset" extra then [] else [ "--dataset"; "synthetic" ]
    [ "train"; "--limit-train"; "128"; "--limit-test"; "64"; "--batch-size"; "32"
      "--epochs"; "1"; "--threads"; "1"; "--seed"; "3"; "--no-report"; "--out"; dir.File name ] @ dataset @ extra

let private firing (out: string) =
    let m = Regex.Match(out, @"firing spike1 (\d\.\d+)")
    Expect.isTrue m.Success $"an epoch line with spike1's rate:\n{out}"
    float m.Groups[1].Value

[<Tests>]
let tests =
    testSequenced <| testList "Encode command" [
        testCase "an Izhikevich neuron in millivolts on unscaled data is warned dead after the first batch and at the epoch; --input-scale brings it to life" <| fun () ->
            use dir = new TempDir()
            let file = dir.File "izhikevich.neuron"
            File.WriteAllText(file, izhikevich)
            // fc's first spiking layer sees a linear map of the pixels, with no BatchNorm to undo their scale.
            let plain = snn (run dir "plain" [ "--model"; "fc"; "--neuron-file"; file ])
            Expect.equal plain.Code 0 plain.Err
            Expect.stringContains plain.Out "warning: spike1 (after fc1) fired 0.0000 of its steps in the first training batch: the layer is dead" "after the first batch"
            Expect.stringContains plain.Out "warning: spike1 (after fc1) fired 0.0000 of its steps on the test set: the layer is dead" "at the epoch"
            Expect.stringContains plain.Out "--input-scale" "what to try"
            Expect.equal (firing plain.Out) 0.0 "dead"
            let scaled = snn (run dir "scaled" [ "--model"; "fc"; "--neuron-file"; file; "--input-scale"; "100" ])
            Expect.equal scaled.Code 0 scaled.Err
            Expect.isTrue (firing scaled.Out > 0.01) $"scaled to millivolts, the first layer fires:\n{scaled.Out}"
            Expect.isFalse (scaled.Out.Contains "spike1 (after fc1) fired 0.0000") "no dead warning for it"

        testCase "a rate-encoded run stores its encoding in the checkpoint and snn eval repeats its test accuracy exactly" <| fun () ->
            use dir = new TempDir()
            let r = snn (run dir "rate" [ "--encode"; "rate:1.5"; "--timesteps"; "4" ])
            Expect.equal r.Code 0 r.Err
            let checkpoint = Path.Combine(dir.File "rate", Checkpoint.fileName)
            let config, _ = Checkpoint.readHeader checkpoint
            Expect.equal config.Encoding (SnnDsl.Nn.Encoding.Rate 1.5) "the stored encoding"
            let accuracy = Regex.Match(r.Out, @"final test accuracy (\d\.\d{4})").Groups[1].Value
            for _ in 1 .. 2 do
                let e = snn [ "eval"; "--checkpoint"; checkpoint ]
                Expect.equal e.Code 0 e.Err
                Expect.stringContains e.Out $"test accuracy {accuracy}" "the same spikes, the same accuracy"

        testCase "--encode, --input-scale and --input-shift refuse bad values as usage errors naming the cause" <| fun () ->
            use dir = new TempDir()
            for flags, phrase in
                [ [ "--encode"; "poisson" ], "valid encodings: direct, rate[:gain], latency[:threshold], delta[:threshold[:off]]"
                  [ "--encode"; "rate:0" ], "rate encoding's gain must be a positive number"
                  [ "--input-scale"; "0" ], "the input scale must be a finite non-zero number"
                  [ "--input-shift"; "Infinity" ], "the input shift must be a finite number"
                  [ "--encode"; "latency"; "--dataset"; "nmnist"; "--data-dir"; dir.Path ], "nmnist's samples already are in time" ] do
                let r = snn (run dir "bad" flags)
                Expect.equal r.Code 2 $"{flags}: exit 2 (usage), stderr: {r.Err}"
                Expect.stringContains r.Err phrase $"{flags}"
                Expect.isFalse (r.Err.Contains "   at ") "no stack trace"
    ]
