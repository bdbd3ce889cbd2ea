/// Synaptic-operation counting and the energy estimate (docs/science.md, "Energy"; DA-LIF Table III) on a tiny
/// hand-built network whose spikes are worked out by hand.
module SnnDsl.Nn.Tests.EnergyTests

open Expecto
open SnnDsl.TestKit
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Nn
open SnnDsl.Training
open SnnDsl.Nn.Tests.Helpers

// x [T = 2, N = 2, 4]: 7 of 16 inputs are non-zero.
let private x =
    [| 1.2; 0.0; 0.0; 0.3
       0.0; 0.4; 0.0; 0.0
       0.0; 0.7; 0.0; 0.0
       0.9; 0.8; 0.0; 0.1 |]
let private w1 = [| 1.0; 0.0; 0.0; 0.0; 0.0; 1.0; 0.0; 0.0; 0.5; 0.5; 0.0; 0.0 |]

/// The IF neuron by hand over the currents [T, N, 3]: H = V + I, S = Θ(H - 1), hard reset to 0.
let private spikesByHand () =
    let currents = Naive.linear x 4 4 w1 3 None
    let v = Array.zeroCreate 6
    [| for t in 0 .. 1 do
         for i in 0 .. 5 do
             let h = v[i] + currents[t * 6 + i]
             let s = if h >= 1.0 then 1.0 else 0.0
             v[i] <- if s = 1.0 then 0.0 else h
             yield s |]

let private network () =
    let first = new Linear(4, 3, bias = false)
    assign first.Weight w1
    let second = new Linear(3, 2)
    let model = new Sequential([ first :> Module; new SpikingLayer(Builtins.integrateAndFire, 3); second ])
    model, first, second

[<Tests>]
let tests =
    testSequenced <| testList "Energy" [
        testCase "the hand-built network fires 3 of its 12 possible spikes" <| fun () ->
            let s = spikesByHand ()
            Expect.equal (Array.sum s) 3.0 "Array.sum s"
            let model, first, _ = network ()
            use _ = model
            use _ = new TensorScope()
            let spiking = model.Layers[1]
            Expect.equal (values (spiking.Forward(first.Forward(tensor [| 2; 2; 4 |] x))) : float[]) s "values (spiking.Forward(first.Forward(tensor [| 2; 2; 4 |] x)))"

        testCase "synapse counters add FLOPs x non-zero input fraction x T x N" <| fun () ->
            let model, first, second = network ()
            use _ = model
            Energy.startCounting model true
            do
                use _ = new TensorScope()
                model.Forward(tensor [| 2; 2; 4 |] x) |> ignore
            let spikeFraction = Array.average (spikesByHand ())
            Expect.equal first.Counter.FlopsPerStep 12L "first.Counter.FlopsPerStep"
            Expect.equal second.Counter.FlopsPerStep 6L "second.Counter.FlopsPerStep"
            expectNear 1e-6 1e-6 (12.0 * 4.0 * 7.0 / 16.0) first.Counter.Operations
            Expect.equal first.Counter.DenseOperations 48.0 "first.Counter.DenseOperations"
            expectNear 1e-6 1e-6 (6.0 * 4.0 * spikeFraction) second.Counter.Operations
            Expect.equal second.Counter.Operations 6.0 "second.Counter.Operations"
            Expect.equal first.Counter.Samples 2L "first.Counter.Samples"

        testCase "the first synaptic layer counts MACs, later ones ACs, and mJ = 4.6 pJ MAC + 0.9 pJ AC" <| fun () ->
            let model, _, _ = network ()
            use _ = model
            Energy.startCounting model true
            do
                use _ = new TensorScope()
                model.Forward(tensor [| 2; 2; 4 |] x) |> ignore
            let e = Energy.measure model
            // Per sample: all 12 x T multiply-accumulates of the real-valued first layer, whatever its input's
            // sparsity; 6 x T x (spike fraction) accumulates of the second.
            Expect.equal e.MacsPerSample 24.0 "e.MacsPerSample"
            expectNear 1e-9 1e-9 3.0 e.AcsPerSample
            expectNear 1e-12 1e-12 ((4.6e-12 * 24.0 + 0.9e-12 * 3.0) * 1e3) e.MilliJoules

        testCase "with spike-encoded input the first synaptic layer counts ACs of its input's non-zero fraction, and no MAC" <| fun () ->
            let model, first, _ = network ()
            use _ = model
            Energy.startCounting model true
            do
                use _ = new TensorScope()
                model.Forward(tensor [| 2; 2; 4 |] x) |> ignore
            let direct = Energy.measure model
            let spiking = Energy.measureWith true model
            Expect.equal spiking.MacsPerSample 0.0 "no MAC"
            expectNear 1e-9 1e-9 (direct.AcsPerSample + first.Counter.Operations / float first.Counter.Samples) spiking.AcsPerSample
            expectNear 1e-12 1e-12 (0.9e-12 * spiking.AcsPerSample * 1e3) spiking.MilliJoules

        testCase "counting is off unless started and startCounting clears the counts" <| fun () ->
            let model, first, second = network ()
            use _ = model
            do
                use _ = new TensorScope()
                model.Forward(tensor [| 2; 2; 4 |] x) |> ignore
            Expect.equal first.Counter.Operations 0.0 "first.Counter.Operations"
            Expect.equal second.Counter.Samples 0L "second.Counter.Samples"
            Energy.startCounting model true
            do
                use _ = new TensorScope()
                model.Forward(tensor [| 2; 2; 4 |] x) |> ignore
            Energy.startCounting model true
            Expect.equal first.Counter.Operations 0.0 "first.Counter.Operations"
            Expect.equal first.Counter.Samples 0L "first.Counter.Samples"
            Energy.startCounting model false
            Expect.equal (Energy.measure model) ({ MacsPerSample = 0.0; AcsPerSample = 0.0; MilliJoules = 0.0 }) "Energy.measure model"

        testCase "a strided convolution counts k x k x Cin x Cout x Hout x Wout FLOPs per step" <| fun () ->
            use conv = new Conv2d(2, 3, 3, stride = 2, padding = 1)
            conv.Counter.Enabled <- true
            let shape = [| 2; 3; 2; 5; 5 |]
            // Every third input is zero.
            let input = Array.init (numel shape) (fun i -> if i % 3 = 0 then 0.0 else 1.0 + float (i % 5))
            let nonZero = float (input |> Array.filter ((<>) 0.0) |> Array.length) / float input.Length
            do
                use _ = new TensorScope()
                let y = conv.Forward(tensor shape input)
                Expect.equal (y.Shape : int[]) ([| 2; 3; 3; 3; 3 |]) "y.Shape"
            let flops = 3 * 3 * 2 * 3 * 3 * 3
            Expect.equal conv.Counter.FlopsPerStep (int64 flops) "conv.Counter.FlopsPerStep"
            expectNear 1e-6 1e-6 (float flops * 6.0 * nonZero) conv.Counter.Operations
            Expect.equal conv.Counter.Samples 3L "conv.Counter.Samples"

        testCase "energy per sample averages over every batch counted" <| fun () ->
            let model, _, _ = network ()
            use _ = model
            Energy.startCounting model true
            do
                use _ = new TensorScope()
                model.Forward(tensor [| 2; 2; 4 |] x) |> ignore
                // A second batch of three silent samples: zero input, so no spikes and no ACs.
                model.Forward(Tensor.Zeros([| 2; 3; 4 |])) |> ignore
            let e = Energy.measure model
            Expect.equal e.MacsPerSample 24.0 "e.MacsPerSample"
            expectNear 1e-9 1e-9 (6.0 / 5.0) e.AcsPerSample

        testCase "a linear layer over T x N x K x in counts its FLOPs for each of the K rows" <| fun () ->
            use lin = new Linear(3, 2)
            lin.Counter.Enabled <- true
            do
                use _ = new TensorScope()
                lin.Forward(Tensor.Ones([| 2; 2; 4; 3 |])) |> ignore
            Expect.equal lin.Counter.FlopsPerStep (int64 (3 * 2 * 4)) "lin.Counter.FlopsPerStep"
            Expect.equal lin.Counter.Operations (float (3 * 2 * 4 * 2 * 2)) "lin.Counter.Operations"
    ]
