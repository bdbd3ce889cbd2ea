/// Stateless layers on time-first [T, N, ...] inputs equal their per-step application, checked against
/// naive loops; BatchNorm pools its statistics over T x N (x space).
module SnnDsl.Nn.Tests.LayerTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Nn.Tests.Helpers

/// Runs a per-step reference over each time slice of x [T, ...] and concatenates the results.
let private perStep (steps: int) (x: float[]) (f: float[] -> float[]) =
    Array.init steps (fun t -> f (timeSlice steps t x)) |> Array.concat

/// Per-channel statistics of x [T, N, C, H, W] pooled over T, N, H and W: mean and biased variance.
let private channelStats (x: float[]) (shape: int[]) (channel: int) =
    let steps, n, c, hw = shape[0], shape[1], shape[2], shape[3] * shape[4]
    let xs =
        [| for t in 0 .. steps - 1 do
             for b in 0 .. n - 1 do
                 for p in 0 .. hw - 1 -> x[((t * n + b) * c + channel) * hw + p] |]
    let mean = Array.average xs
    let var = xs |> Array.averageBy (fun v -> (v - mean) * (v - mean))
    mean, var, xs.Length

let private normalise (x: float[]) (shape: int[]) (stat: int -> float * float) (gamma: float[]) (beta: float[]) eps =
    let c, hw = shape[2], shape[3] * shape[4]
    x |> Array.mapi (fun i v ->
        let ch = i / hw % c
        let mean, var = stat ch
        (v - mean) / sqrt (var + eps) * gamma[ch] + beta[ch])

/// A convolution geometry: T, N, groups, Cin, Cout, k, stride, padding, H, W, and a seed for the values.
let private convCases =
    gen {
        let! steps = Gen.choose (1, 3)
        let! n = Gen.choose (1, 2)
        let! groups = Gen.elements [ 1; 2 ]
        let! cin = Gen.choose (1, 2) |> Gen.map ((*) groups)
        let! cout = Gen.choose (1, 2) |> Gen.map ((*) groups)
        let! k = Gen.elements [ 1; 2; 3 ]
        let! stride = Gen.choose (1, 2)
        let! pad = Gen.choose (0, k / 2)
        let! h = Gen.choose (k, 6)
        let! w = Gen.choose (k, 6)
        let! seed = Gen.choose (0, 100000)
        return steps, n, groups, cin, cout, k, stride, pad, h, w, seed
    }

[<Tests>]
let tests =
    testSequenced <| testList "Layer" [
        testCase "Conv2d on T x N equals the naive convolution of every time step" <| fun () ->
            use _ = new TensorScope()
            let steps, n, c, h, w, o, k = 3, 2, 4, 6, 6, 6, 3
            use conv = new Conv2d(c, o, k, stride = 2, padding = 1, bias = true, groups = 2)
            let bias = uniform 2 o -0.5 0.5
            assign conv.Bias.Value bias
            let xs = [| steps; n; c; h; w |]
            let x = gaussian 1 (numel xs)
            let y = conv.Forward(tensor xs x)
            Expect.equal (y.Shape : int[]) ([| steps; n; o; 3; 3 |]) "y.Shape"
            let wv = values conv.Weight
            let expected = perStep steps x (fun xt -> fst (Naive.conv2d xt [| n; c; h; w |] wv o k (Some bias) 2 1 2))
            expectClose 1e-5 1e-5 expected (values y)

        testCase "Conv2d merged over time equals the binding's convolution applied step by step" <| fun () ->
            use _ = new TensorScope()
            use conv = new Conv2d(3, 5, 3)
            let x = tensor [| 4; 2; 3; 5; 5 |] (gaussian 3 (4 * 2 * 3 * 25))
            let merged = conv.Forward x
            let stepped = Tensor.Stack([ for xt in x.Unbind(0) -> Nn.Conv2d(xt, conv.Weight, padding = 1) ])
            expectClose 1e-6 1e-6 (values stepped) (values merged)

        testCase "Linear on T x N x features equals x W^T + b row by row" <| fun () ->
            use _ = new TensorScope()
            use lin = new Linear(5, 4)
            let x = gaussian 4 (3 * 2 * 5)
            let y = lin.Forward(tensor [| 3; 2; 5 |] x)
            Expect.equal (y.Shape : int[]) ([| 3; 2; 4 |]) "y.Shape"
            let expected = Naive.linear x 6 5 (values lin.Weight) 4 (Some(values lin.Bias.Value))
            expectClose 1e-5 1e-5 expected (values y)

        testCase "Linear without bias registers only a weight" <| fun () ->
            use lin = new Linear(3, 2, bias = false)
            Expect.equal (lin.NamedParameters() |> List.map fst : string list) ([ "weight" ]) "lin.NamedParameters() |> List.map fst"
            Expect.isTrue lin.Bias.IsNone "lin.Bias.IsNone"

        testCase "BatchNorm in training normalises with statistics pooled over T x N x space and updates the running ones" <| fun () ->
            use _ = new TensorScope()
            let shape = [| 3; 2; 2; 2; 2 |]
            // Each time step has its own offset, so statistics per step would differ from pooled ones.
            let x = gaussian 5 (numel shape) |> Array.mapi (fun i v -> v + 3.0 * float (i / (numel shape / 3)))
            use bn = new BatchNorm(2, momentum = 0.1, eps = 1e-5)
            let gamma, beta = [| 1.5; -0.5 |], [| 0.25; 2.0 |]
            assign bn.Weight gamma
            assign bn.Bias beta
            let y = bn.Forward(tensor shape x)
            let stats = Array.init 2 (channelStats x shape)
            let expected = normalise x shape (fun ch -> let m, v, _ = stats[ch] in m, v) gamma beta 1e-5
            expectClose 1e-4 1e-4 expected (values y)
            // Running statistics: (1 - momentum) * running + momentum * batch, with the unbiased batch variance.
            let runMean = stats |> Array.map (fun (m, _, _) -> 0.9 * 0.0 + 0.1 * m)
            let runVar = stats |> Array.map (fun (_, v, n) -> 0.9 * 1.0 + 0.1 * v * float n / float (n - 1))
            expectClose 1e-5 1e-5 runMean (values bn.RunningMean)
            expectClose 1e-5 1e-5 runVar (values bn.RunningVar)
            // The input does tell pooled from per-step statistics apart.
            let perStepMean = Array.init 3 (fun t -> timeSlice 3 t x |> Array.average)
            Expect.isTrue (perStepMean[2] - perStepMean[0] > 4.0) "perStepMean[2] - perStepMean[0] > 4.0"

        testCase "BatchNorm in evaluation uses the running statistics" <| fun () ->
            use _ = new TensorScope()
            let shape = [| 2; 3; 2; 2; 2 |]
            use bn = new BatchNorm(2)
            assign bn.RunningMean [| 0.5; -1.0 |]
            assign bn.RunningVar [| 4.0; 0.25 |]
            assign bn.Weight [| 2.0; 1.0 |]
            assign bn.Bias [| 0.0; 1.0 |]
            bn.Eval()
            let x = gaussian 6 (numel shape)
            let y = bn.Forward(tensor shape x)
            let expected = normalise x shape (fun ch -> [| 0.5, 4.0; -1.0, 0.25 |][ch]) [| 2.0; 1.0 |] [| 0.0; 1.0 |] 1e-5
            expectClose 1e-5 1e-5 expected (values y)
            // Evaluation leaves the running statistics alone.
            expectClose 0.0 0.0 [| 0.5; -1.0 |] (values bn.RunningMean)

        testCase "BatchNorm over features T x N x C pools over T x N" <| fun () ->
            use _ = new TensorScope()
            let x = gaussian 7 (4 * 3 * 2)
            use bn = new BatchNorm(2)
            let y = bn.Forward(tensor [| 4; 3; 2 |] x)
            let expected =
                x |> Array.mapi (fun i v ->
                    let col = [| for r in 0 .. 11 -> x[r * 2 + i % 2] |]
                    let m = Array.average col
                    let var = col |> Array.averageBy (fun u -> (u - m) ** 2.0)
                    (v - m) / sqrt (var + 1e-5))
            expectClose 1e-4 1e-4 expected (values y)

        testCase "MaxPool2d and AvgPool2d equal the window max and mean of every step" <| fun () ->
            use _ = new TensorScope()
            let shape = [| 2; 2; 3; 4; 4 |]
            // float32 values, so that the window maximum is exact.
            let x = gaussian 8 (numel shape) |> Array.map (float32 >> float)
            let xt = tensor shape x
            use maxPool = new MaxPool2d(2)
            use avgPool = new AvgPool2d(2)
            let perSample = [| 2 * 2; 3; 4; 4 |] // T x N merged is exactly a batch of independent planes
            let expectMax, _ = Naive.pool Array.max x perSample 2
            let expectAvg, _ = Naive.pool Array.average x perSample 2
            let ym = maxPool.Forward xt
            Expect.equal (ym.Shape : int[]) ([| 2; 2; 3; 2; 2 |]) "ym.Shape"
            expectClose 0.0 0.0 expectMax (values ym)
            expectClose 1e-6 1e-6 expectAvg (values (avgPool.Forward xt))

        testCase "AdaptiveAvgPool2d to 1x1 is the spatial mean" <| fun () ->
            use _ = new TensorScope()
            let shape = [| 2; 3; 4; 5; 5 |]
            let x = gaussian 9 (numel shape)
            use pool = new AdaptiveAvgPool2d(1, 1)
            let y = pool.Forward(tensor shape x)
            Expect.equal (y.Shape : int[]) ([| 2; 3; 4; 1; 1 |]) "y.Shape"
            let expected = Array.init (2 * 3 * 4) (fun p -> Array.sub x (p * 25) 25 |> Array.average)
            expectClose 1e-6 1e-6 expected (values y)

        testCase "Dropout zeroes and rescales in training only, with a fresh mask per time step" <| fun () ->
            use _ = new TensorScope()
            Torch.manualSeed 7UL
            use drop = new Dropout(0.5)
            let x = Tensor.Ones([| 4; 8; 32 |])
            let y = values (drop.Forward x)
            for v in y do Expect.isTrue (v = 0.0 || v = 2.0) ($"dropout output {v} is neither 0 nor 1 / (1 - p)")
            let zeros = y |> Array.filter ((=) 0.0) |> Array.length
            Expect.inRange (float zeros / float y.Length) 0.35 0.65 "float zeros / float y.Length"
            Expect.notEqual (timeSlice 4 1 y : float[]) (timeSlice 4 0 y) "timeSlice 4 1 y"
            drop.Eval()
            Expect.equal (values (drop.Forward x) : float[]) (Array.create y.Length 1.0) "values (drop.Forward x)"

        testCase "Dropout rejects a probability outside 0 to 1" <| fun () ->
            let msg = throwsMessage<System.ArgumentException> (fun () -> new Dropout(1.0) |> ignore)
            Expect.stringContains msg "[0, 1)" "msg"

        testCase "Flatten keeps T and N and the row-major order of the rest" <| fun () ->
            use _ = new TensorScope()
            let shape = [| 2; 3; 4; 5; 6 |]
            let x = Array.init (numel shape) float
            use f = new Flatten()
            let y = f.Forward(tensor shape x)
            Expect.equal (y.Shape : int[]) ([| 2; 3; 120 |]) "y.Shape"
            Expect.equal (values y : float[]) x "values y"

        testCase "Sequential is the composition of its layers in order" <| fun () ->
            use _ = new TensorScope()
            let a, b = new Linear(4, 3), new Linear(3, 2)
            use seq = new Sequential([ new Flatten() :> Module; a; b ])
            let x = gaussian 10 (2 * 3 * 2 * 2)
            let y = seq.Forward(tensor [| 2; 3; 2; 2 |] x)
            let h = Naive.linear x 6 4 (values a.Weight) 3 (Some(values a.Bias.Value))
            let expected = Naive.linear h 6 3 (values b.Weight) 2 (Some(values b.Bias.Value))
            Expect.equal (y.Shape : int[]) ([| 2; 3; 2 |]) "y.Shape"
            expectClose 1e-5 1e-5 expected (values y)

        testCase "Residual adds the input, or the shortcut's output when there is one" <| fun () ->
            use _ = new TensorScope()
            let main = new Linear(4, 4)
            let x = gaussian 11 (2 * 2 * 4)
            let mainOut = Naive.linear x 4 4 (values main.Weight) 4 (Some(values main.Bias.Value))
            use identity = new Residual(main, None)
            expectClose 1e-5 1e-5 (Array.map2 (+) mainOut x) (values (identity.Forward(tensor [| 2; 2; 4 |] x)))
            let shortcut = new Linear(4, 4, bias = false)
            use projected = new Residual(new Linear(4, 4), Some(shortcut :> Module))
            let m = projected.Children[0] |> snd :?> Linear
            let expected =
                Array.map2 (+)
                    (Naive.linear x 4 4 (values m.Weight) 4 (Some(values m.Bias.Value)))
                    (Naive.linear x 4 4 (values shortcut.Weight) 4 None)
            expectClose 1e-5 1e-5 expected (values (projected.Forward(tensor [| 2; 2; 4 |] x)))
            Expect.equal (projected.Children |> Seq.map fst |> List.ofSeq : string list) ([ "main"; "shortcut" ]) "projected.Children |> Seq.map fst |> List.ofSeq"

        testCase "Time.merged folds T into the batch and restores it" <| fun () ->
            use _ = new TensorScope()
            let x = tensor [| 3; 2; 4 |] (Array.init 24 float)
            let seen = ref [||]
            let y = Time.merged (fun m -> seen.Value <- m.Shape; m.Sum(1, keepDim = true)) x
            Expect.equal (seen.Value : int[]) ([| 6; 4 |]) "seen.Value"
            Expect.equal (y.Shape : int[]) ([| 3; 2; 1 |]) "y.Shape"
            Expect.equal (values y : float[]) (Array.init 6 (fun r -> float (4 * r * 4 + 6))) "values y"

        lawOn 40 "Conv2d over T x N equals the naive convolution of every step for any geometry" <| fun () ->
            forAll convCases (fun (steps, n, groups, cin, cout, k, stride, pad, h, w, seed) ->
                use _ = new TensorScope()
                use conv = new Conv2d(cin, cout, k, stride = stride, padding = pad, bias = true, groups = groups)
                let bias = uniform seed cout -1.0 1.0
                assign conv.Bias.Value bias
                let x = gaussian seed (steps * n * cin * h * w)
                let y = conv.Forward(tensor [| steps; n; cin; h; w |] x)
                let expected = perStep steps x (fun xt -> fst (Naive.conv2d xt [| n; cin; h; w |] (values conv.Weight) cout k (Some bias) stride pad groups))
                expectClose 1e-5 1e-5 expected (values y))

        lawOn 40 "Linear over any leading dims equals x W^T + b on the last one" <| fun () ->
            let cases =
                gen {
                    let! lead = Gen.listOfLength 3 (Gen.choose (1, 3))
                    let! rank = Gen.choose (2, 3)
                    let! inF = Gen.choose (1, 6)
                    let! outF = Gen.choose (1, 6)
                    let! seed = Gen.choose (0, 100000)
                    return List.take rank lead |> Array.ofList, inF, outF, seed
                }
            forAll cases (fun (lead, inF, outF, seed) ->
                use _ = new TensorScope()
                use lin = new Linear(inF, outF)
                let rows = numel lead
                let x = gaussian seed (rows * inF)
                let y = lin.Forward(tensor (Array.append lead [| inF |]) x)
                Expect.equal (y.Shape : int[]) (Array.append lead [| outF |]) "y.Shape"
                expectClose 1e-5 1e-5 (Naive.linear x rows inF (values lin.Weight) outF (Some(values lin.Bias.Value))) (values y))

        lawOn 40 "BatchNorm in training equals the formula with statistics pooled over T x N x space for any shape" <| fun () ->
            let cases =
                gen {
                    let! steps = Gen.choose (1, 3)
                    let! n = Gen.choose (1, 3)
                    let! c = Gen.choose (1, 3)
                    let! h = Gen.choose (1, 3)
                    let! w = Gen.choose (2, 3)
                    let! seed = Gen.choose (0, 100000)
                    return [| steps; n; c; h; w |], seed
                }
            forAll cases (fun (shape, seed) ->
                use _ = new TensorScope()
                let c = shape[2]
                use bn = new BatchNorm(c)
                let gamma, beta = uniform seed c 0.5 2.0, uniform (seed + 1) c -1.0 1.0
                assign bn.Weight gamma
                assign bn.Bias beta
                let x = gaussian seed (numel shape)
                let stats = Array.init c (channelStats x shape)
                let expected = normalise x shape (fun ch -> let m, v, _ = stats[ch] in m, v) gamma beta 1e-5
                expectClose 2e-4 2e-4 expected (values (bn.Forward(tensor shape x)))
                let runVar = stats |> Array.map (fun (_, v, k) -> 0.9 + 0.1 * v * float k / float (k - 1))
                expectClose 1e-5 1e-5 runVar (values bn.RunningVar))

        // A directly encoded input ([N, ...] expanded over T) takes the compute-once path of Time.merged; a
        // contiguous copy of the same data takes the per-step path. Both must agree, gradients included.
        testCase "An input constant in time gives the same outputs and gradients as its contiguous copy" <| fun () ->
            use _ = new TensorScope()
            let steps, n = 4, 3
            let image = tensor [| n; 2; 6; 6 |] (gaussian 11 (n * 2 * 36))
            let expanded = image.Unsqueeze(0).Expand(steps, n, 2, 6, 6)
            let copy = expanded.Contiguous()
            Expect.isTrue (Time.isConstant expanded) "Time.isConstant expanded"
            Expect.isFalse (Time.isConstant copy) "Time.isConstant copy"
            let run (x: Tensor) =
                Torch.manualSeed 7UL
                use conv = new Conv2d(2, 3, 3)
                use bn = new BatchNorm(3)
                use pool = new AvgPool2d(2)
                let y = pool.Forward(bn.Forward(conv.Forward x))
                Expect.equal (y.Shape : int[]) ([| steps; n; 3; 3; 3 |]) "y.Shape"
                // A time-dependent weighting, so the gradient must sum correctly over the broadcast steps.
                let w = Tensor.Arange(1.0, float steps + 1.0).Reshape(steps, 1, 1, 1, 1)
                (y * w).Sum().Backward()
                values y, values conv.Weight.Grad.Value, values bn.Weight.Grad.Value, values bn.RunningMean, values bn.RunningVar
            let y1, gw1, gb1, rm1, rv1 = run expanded
            let y2, gw2, gb2, rm2, rv2 = run copy
            expectClose 1e-5 1e-5 y2 y1
            expectClose 1e-4 1e-4 gw2 gw1
            expectClose 1e-4 1e-4 gb2 gb1
            expectClose 1e-6 1e-6 rm2 rm1
            // Only the unbiased correction of the running variance differs: n*h*w vs T*n*h*w samples.
            expectClose 1e-2 1e-2 rv2 rv1
    ]
