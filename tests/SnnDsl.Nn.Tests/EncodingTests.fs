/// The input encoders (snnTorch's spikegen, SpikingJelly's encoders): each one's law over random inputs, the
/// scale and shift before them, their text forms and their refusals.
module SnnDsl.Nn.Tests.EncodingTests

open System
open Expecto
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.TestKit

/// A static batch [N = 1, C = 1, H = 1, W = values.Length].
let private image (values: float list) =
    let v = values |> List.map float32 |> Array.ofList
    Tensor.FromArray(v, [| 1; 1; 1; v.Length |])

/// The encoded steps of each value: result[i] = the T outputs of value i.
let private series (encoded: Tensor) (count: int) : float[][] =
    let steps = encoded.Shape[0]
    let flat = encoded.Contiguous().ToArray<float32>()
    Array.init count (fun i -> Array.init steps (fun t -> float flat[t * count + i]))

let private values (low: float) (high: float) =
    Gen.listOfLength 6 (Gen.choose (0, 1000) |> Gen.map (fun k -> low + (high - low) * float k / 1000.0))

[<Tests>]
let tests =
    testList "encoding" [
        law "direct encoding presents the scaled and shifted value unchanged at every step" <| fun () ->
            let gen =
                Gen.zip3 (values -2.0 2.0) (Gen.choose (1, 8))
                    (Gen.zip (Gen.elements [ 1.0; 0.5; 20.0; -3.0 ]) (Gen.elements [ 0.0; 1.0; -65.0 ]))
            forAll gen (fun (xs, steps, (scale, shift)) ->
                use scope = new TensorScope()
                let encoded = Encoding.steps steps Encoding.Direct (Encoding.transform scale shift (image xs))
                Expect.equal encoded.Shape [| steps; 1; 1; 1; xs.Length |] "[T, N, C, H, W]"
                for i, s in Array.indexed (series encoded xs.Length) do
                    // float32 inputs and arithmetic: within float32's rounding of |scale x| + |shift|.
                    let bound = 1e-6 * (abs (scale * xs[i]) + abs shift + 1.0)
                    for v in s do Expect.isTrue (abs (v - (scale * xs[i] + shift)) <= bound) $"scale * x + shift: {v} for {scale} * {xs[i]} + {shift}"
                true)

        lawOn 60 "rate encoding fires 0 or 1, with a mean over T steps of clamp(gain * x, 0, 1) within six standard errors" <| fun () ->
            let gen = Gen.zip3 (values -0.5 1.5) (Gen.elements [ 0.5; 1.0; 2.0 ]) (Gen.choose (0, Int32.MaxValue))
            forAll gen (fun (xs, gain, seed) ->
                use scope = new TensorScope()
                Torch.manualSeed (uint64 seed)
                let steps = 4000
                let encoded = Encoding.steps steps (Encoding.Rate gain) (image xs)
                for i, s in Array.indexed (series encoded xs.Length) do
                    Expect.all s (fun v -> v = 0.0 || v = 1.0) "spikes are 0 or 1"
                    let p = min 1.0 (max 0.0 (gain * xs[i]))
                    let bound = 6.0 * sqrt (p * (1.0 - p) / float steps) + 1e-9
                    let mean = Array.average s
                    Expect.isTrue (abs (mean - p) <= bound) $"x = {xs[i]}, gain {gain}: mean {mean}, expected {p} +- {bound}"
                true)

        law "latency encoding fires a value at or above its threshold exactly once, a larger value no later, 1 at the first step, and a value below it never" <| fun () ->
            let gen = Gen.zip3 (values -0.2 1.2) (Gen.choose (2, 16)) (Gen.elements [ 0.0; 0.01; 0.3 ])
            forAll gen (fun (xs, steps, threshold) ->
                use scope = new TensorScope()
                let s = series (Encoding.steps steps (Encoding.Latency threshold) (image xs)) xs.Length
                let firstSpike i = Array.tryFindIndex (fun v -> v = 1.0) s[i]
                for i in 0 .. xs.Length - 1 do
                    let count = Array.sum s[i]
                    if float32 xs[i] >= float32 threshold then Expect.equal count 1.0 $"x = {xs[i]} fires once"
                    else Expect.equal count 0.0 $"x = {xs[i]} below {threshold} never fires"
                    if xs[i] >= 1.0 then Expect.equal (firstSpike i) (Some 0) "1 and above fire at the first step"
                    for j in 0 .. xs.Length - 1 do
                        match firstSpike i, firstSpike j with
                        | Some ti, Some tj when xs[i] > xs[j] -> Expect.isTrue (ti <= tj) $"{xs[i]} at {ti}, {xs[j]} at {tj}"
                        | _ -> ()
                true)

        law "delta encoding of a static input fires once, at the first step, where the value is at least the threshold" <| fun () ->
            let gen = Gen.zip3 (values -1.0 1.0) (Gen.choose (1, 8)) (Gen.elements [ 0.05; 0.1; 0.5 ])
            forAll gen (fun (xs, steps, threshold) ->
                use scope = new TensorScope()
                let s = series (Encoding.steps steps (Encoding.Delta(threshold, true)) (image xs)) xs.Length
                for i in 0 .. xs.Length - 1 do
                    let first = if float32 xs[i] >= float32 threshold then 1.0 elif float32 xs[i] <= float32 -threshold then -1.0 else 0.0
                    Expect.equal (s[i][0]) first $"x = {xs[i]} at the first step"
                    Expect.all (s[i][1..]) (fun v -> v = 0.0) "nothing changes after it"
                true)

        law "delta encoding of frames fires +1 where a frame rises by the threshold over the one before, and -1 where it falls only with off spikes" <| fun () ->
            let gen = Gen.zip3 (Gen.listOfLength 5 (values -1.0 1.0)) (Gen.elements [ 0.1; 0.4 ]) (Gen.elements [ true; false ])
            forAll gen (fun (frames, threshold, off) ->
                use scope = new TensorScope()
                let w = frames.Head.Length
                let data = frames |> List.concat |> List.map float32 |> Array.ofList
                let x = Tensor.FromArray(data, [| frames.Length; 1; w |])
                let s = series (Encoding.frames (Encoding.Delta(threshold, off)) x) w
                for i in 0 .. w - 1 do
                    for t in 0 .. frames.Length - 1 do
                        let before = if t = 0 then 0.0f else float32 (frames[t - 1][i])
                        let change = float32 (frames[t][i]) - before
                        let expected =
                            if change >= float32 threshold then 1.0
                            elif off && change <= float32 -threshold then -1.0
                            else 0.0
                        Expect.equal (s[i][t]) expected $"value {i}, frame {t}: change {change}"
                true)

        law "rate encoding of frames keeps their shape and fires 0 or 1, never where a frame is 0 or below" <| fun () ->
            let gen = Gen.zip (Gen.listOfLength 3 (values -1.0 1.0)) (Gen.choose (0, Int32.MaxValue))
            forAll gen (fun (frames, seed) ->
                use scope = new TensorScope()
                Torch.manualSeed (uint64 seed)
                let w = frames.Head.Length
                let data = frames |> List.concat |> List.map float32 |> Array.ofList
                let encoded = Encoding.frames (Encoding.Rate 1.0) (Tensor.FromArray(data, [| frames.Length; 1; w |]))
                Expect.equal encoded.Shape [| frames.Length; 1; w |] "the frames' shape"
                let s = series encoded w
                for i in 0 .. w - 1 do
                    for t in 0 .. frames.Length - 1 do
                        Expect.isTrue (s[i][t] = 0.0 || s[i][t] = 1.0) "0 or 1"
                        if frames[t][i] <= 0.0 then Expect.equal (s[i][t]) 0.0 "p = 0 never fires"
                true)

        law "Encoding.parse reads back every encoder's text form" <| fun () ->
            let gen =
                Gen.oneof
                    [ Gen.constant Encoding.Direct
                      Gen.elements [ 0.25; 1.0; 3.5 ] |> Gen.map Encoding.Rate
                      Gen.elements [ 0.0; 0.01; 0.75 ] |> Gen.map Encoding.Latency
                      Gen.zip (Gen.elements [ 0.1; 2.0 ]) (Gen.elements [ true; false ]) |> Gen.map Encoding.Delta ]
            forAll gen (fun e -> Encoding.parse (Encoding.text e) = Ok e)

        testCase "encodings without parameters take snnTorch's defaults, in any case and with spaces" <| fun () ->
            Expect.equal (Encoding.parse " Rate ") (Ok(Encoding.Rate 1.0)) "rate"
            Expect.equal (Encoding.parse "latency") (Ok(Encoding.Latency 0.01)) "latency"
            Expect.equal (Encoding.parse "delta") (Ok(Encoding.Delta(0.1, false))) "delta"
            Expect.equal (Encoding.parse "DIRECT") (Ok Encoding.Direct) "direct"

        testCase "a bad encoding is refused with what is valid or what is wrong" <| fun () ->
            let error text = match Encoding.parse text with Error e -> e | Ok e -> failwith $"'{text}' parsed as {e}"
            Expect.stringContains (error "poisson") "valid encodings: direct, rate[:gain], latency[:threshold], delta[:threshold[:off]]" "unknown"
            Expect.stringContains (error "rate:-1") "gain must be a positive number, got -1" "negative gain"
            Expect.stringContains (error "rate:x") "the gain 'x' is not a number" "not a number"
            Expect.stringContains (error "latency:1") "threshold must be in [0, 1), got 1" "latency threshold"
            Expect.stringContains (error "delta:0") "threshold must be a positive number, got 0" "delta threshold"
            Expect.stringContains (error "delta:0.1:on") "valid encodings" "a third part other than off"

        testCase "latency encoding refuses frames that already are in time, saying why" <| fun () ->
            use scope = new TensorScope()
            Expect.throwsC (fun () -> Encoding.frames (Encoding.Latency 0.01) (Tensor.Zeros [| 4; 1; 3 |]) |> ignore) (fun e ->
                Expect.isTrue (e :? ArgumentException) $"an ArgumentException, got {e.GetType().Name}"
                Expect.stringContains e.Message "needs static inputs" "the reason")
    ]
