/// SpikingLayer: the tensor interpreter's spikes, hand-written recurrences, learnable neuron parameters
/// with hand-derived surrogate gradients, firing rates and effective parameter values.
module SnnDsl.Nn.Tests.SpikingTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Torch
open SnnDsl.Core
open SnnDsl.Backends
open SnnDsl.Nn
open SnnDsl.Nn.Tests.Helpers

let private sigmoid x = 1.0 / (1.0 + exp -x)
let private rect u = if abs u < 0.5 then 1.0 else 0.0

/// The layer's learnable parameters by name, as TensorNeuron.run takes them.
let private rawOf (layer: SpikingLayer) = layer.NamedParameters() |> Map.ofList

/// One learnable parameter of the layer.
let private param (layer: SpikingLayer) (name: string) = (rawOf layer)[name]

/// The eager interpreter's run of a neuron's step program.
let private eagerRun (n: Neuron) raw x = Eager.run (Program.lower Program.learnable n) raw None x

/// Runs a per-neuron recurrence over x [T, rest]: step (state, x_t) -> (H - theta, spike, state').
let private simulate (steps: int) (x: float[]) (init: 's) (step: 's -> float -> float * float * 's) =
    let per = x.Length / steps
    let spikes = Array.zeroCreate x.Length
    let margins = Array.create per infinity
    for i in 0 .. per - 1 do
        let mutable s = init
        for t in 0 .. steps - 1 do
            let d, spike, next = step s x[t * per + i]
            spikes[t * per + i] <- spike
            margins[i] <- min margins[i] (abs d)
            s <- next
    spikes, margins

/// Compares spikes neuron by neuron where no step came within `margin` of the threshold (where float32
/// and float64 could disagree); requires most neurons to qualify.
let private assertSpikesWhereClear (steps: int) (margin: float) (expected: float[], margins: float[]) (actual: float[]) =
    let per = margins.Length
    let clear = [ for i in 0 .. per - 1 do if margins[i] > margin then i ]
    Expect.isTrue (clear.Length * 10 >= per * 9) ($"only {clear.Length} of {per} neurons stay clear of the threshold")
    for i in clear do
        for t in 0 .. steps - 1 do
            Expect.isTrue (expected[t * per + i] = actual[t * per + i]) ($"neuron {i}, step {t}: expected {expected[t * per + i]}, got {actual[t * per + i]}")
    Expect.contains expected 1.0 "expected"
    Expect.contains expected 0.0 "expected"

/// sum(g * spikes) of one forward, and the gradient of every learnable parameter of the layer.
let private gradients (layer: SpikingLayer) (shape: int[]) (x: float[]) (g: float[]) =
    layer.ZeroGrad()
    let s = layer.Forward(tensor shape x)
    use w = tensor shape g
    (s * w).Sum().Backward()
    layer.NamedParameters() |> List.map (fun (n, p) -> n, p.Grad |> Option.map (fun t -> scalar t)) |> Map.ofList

[<Tests>]
let tests =
    testSequenced <| testList "Spiking" [
        testCase "SpikingLayer with every built-in neuron and the eager backend equals the eager interpreter's run" <| fun () ->
            use _ = new TensorScope()
            let x = tensor [| 6; 2; 3; 2; 2 |] (gaussian 20 (6 * 2 * 3 * 4) |> Array.map (fun v -> 1.2 * v + 0.4))
            for neuron in Builtins.all do
                use layer = new SpikingLayer(neuron, 3, backend = Backend.Eager)
                let expected, _ = eagerRun neuron (rawOf layer) x
                let actual = layer.Forward x
                Expect.isTrue (values expected = values actual) ($"{neuron.Name}: the layer's spikes differ from the eager run")

        testCase "SpikingLayer runs fused kernels by default, and they fire where the eager run fires" <| fun () ->
            use _ = new TensorScope()
            let x = tensor [| 6; 2; 3; 2; 2 |] (gaussian 21 (6 * 2 * 3 * 4) |> Array.map (fun v -> 1.2 * v + 0.4))
            for neuron in Builtins.all do
                use layer = new SpikingLayer(neuron, 3)
                Expect.equal layer.Backend Backend.Auto "layer.Backend"
                let expected, _ = eagerRun neuron (rawOf layer) x
                // float32 kernels round like libtorch to within an ulp or two: spikes differ only at a near-tie.
                let disagree = Array.map2 (<>) (values expected) (values (layer.Forward x)) |> Array.filter id |> Array.length
                Expect.isTrue (disagree = 0) ($"{neuron.Name}: {disagree} spikes differ from the eager run")

        testCase "LIF layer equals the hand recurrence H = V + (X - V) / tau with hard reset, exactly on dyadic inputs" <| fun () ->
            use _ = new TensorScope()
            let steps = 8
            let x = uniform 21 (steps * 3 * 4) -1.0 3.0 |> Array.map (fun v -> round (16.0 * v) / 16.0)
            use layer = new SpikingLayer(Builtins.lif, 4)
            let actual = values (layer.Forward(tensor [| steps; 3; 4 |] x))
            let expected, _ =
                simulate steps x 0.0 (fun v xt ->
                    let h = v + (xt - v) / 2.0
                    let s = if h >= 1.0 then 1.0 else 0.0
                    h - 1.0, s, (if s = 1.0 then 0.0 else h))
            Expect.equal (actual : float[]) expected "actual"

        testCase "PLIF at w = 0 is LIF with tau = 2" <| fun () ->
            use _ = new TensorScope()
            let x = tensor [| 8; 3; 4 |] (uniform 22 96 -1.0 3.0 |> Array.map (fun v -> round (16.0 * v) / 16.0))
            use plif = new SpikingLayer(Builtins.plif, 4)
            use lif = new SpikingLayer(Builtins.lif, 4)
            Expect.equal (values (plif.Forward x) : float[]) (values (lif.Forward x)) "values (plif.Forward x)"

        testCase "DA-LIF layer equals H = tanh(b) V + tanh(a) X with hard reset" <| fun () ->
            use _ = new TensorScope()
            let steps = 6
            let x = gaussian 23 (steps * 4 * 5) |> Array.map (fun v -> 1.5 * v + 0.8)
            use layer = new SpikingLayer(Builtins.daLif, 5)
            assign (param layer "alpha") [| 1.3 |]
            assign (param layer "beta") [| 0.4 |]
            let alpha, beta = tanh 1.3, tanh 0.4
            let actual = values (layer.Forward(tensor [| steps; 4; 5 |] x))
            let expected =
                simulate steps x 0.0 (fun v xt ->
                    let h = beta * v + alpha * xt
                    let s = if h >= 1.0 then 1.0 else 0.0
                    h - 1.0, s, (if s = 1.0 then 0.0 else h))
            assertSpikesWhereClear steps 1e-4 expected actual

        testCase "AR-LIF layer equals the authors' recurrence with memory M and adaptive soft reset" <| fun () ->
            use _ = new TensorScope()
            let steps = 6
            let x = gaussian 24 (steps * 4 * 5) |> Array.map (fun v -> 1.5 * v + 0.8)
            use layer = new SpikingLayer(Builtins.arLif, 5)
            assign (param layer "a") [| 0.6 |]
            assign (param layer "c") [| -0.7 |]
            let a, c = 0.6, -0.7
            let actual = values (layer.Forward(tensor [| steps; 4; 5 |] x))
            let expected =
                simulate steps x (0.0, 0.0) (fun (v, m) xt ->
                    let h = 0.5 * v + xt
                    let theta = 1.0 + tanh a * tanh xt
                    let s = if h >= theta then 1.0 else 0.0
                    let g = sigmoid (c * xt)
                    let mt = max m 0.0 * g + min m 0.0 * (1.0 - g) + (2.0 * s - 1.0) * sigmoid xt
                    h - theta, s, (h - s * (theta + sigmoid mt), mt))
            assertSpikesWhereClear steps 1e-4 expected actual

        testCase "DA-LIF alpha gets the surrogate gradient of a hand derivation and beta none at T = 1" <| fun () ->
            use _ = new TensorScope()
            let x = gaussian 25 40 |> Array.map (fun v -> v + 1.0)
            let g = gaussian 26 40
            use layer = new SpikingLayer(Builtins.daLif, 40)
            let grads = gradients layer [| 1; 1; 40 |] x g
            let alpha = tanh 1.0
            // S = Θ(alpha X - 1): dS/da = rect(alpha X - 1) X (1 - tanh(a)^2).
            let expected = Array.init 40 (fun i -> g[i] * rect (alpha * x[i] - 1.0) * x[i] * (1.0 - alpha * alpha)) |> Array.sum
            expectNear 1e-5 1e-5 expected grads["alpha"].Value
            // beta multiplies V_0 = 0 (docs/science.md, "Neurons"): no gradient reaches it.
            let beta = grads["beta"]
            Expect.isTrue (beta.IsNone || beta = Some 0.0) ($"beta's gradient at T = 1 is {beta}")

        testCase "AR-LIF a gets the surrogate gradient of a hand derivation at T = 1" <| fun () ->
            use _ = new TensorScope()
            let x = gaussian 27 40 |> Array.map (fun v -> v + 1.0)
            let g = gaussian 28 40
            use layer = new SpikingLayer(Builtins.arLif, 40)
            let grads = gradients layer [| 1; 1; 40 |] x g
            // a = 0: theta = 1 + tanh(a) tanh(X) = 1, S = Θ(X - theta); dS/da = -rect(X - 1) tanh(X).
            let expected = Array.init 40 (fun i -> -g[i] * rect (x[i] - 1.0) * tanh x[i]) |> Array.sum
            expectNear 1e-5 1e-5 expected grads["a"].Value
            Expect.isTrue (grads["c"].IsNone || grads["c"] = Some 0.0) "c only acts through the memory of later steps"

        testCase "PLIF w gets the surrogate gradient of a hand derivation at T = 1" <| fun () ->
            use _ = new TensorScope()
            let x = gaussian 29 40 |> Array.map (fun v -> 1.5 * v + 2.0)
            let g = gaussian 30 40
            use layer = new SpikingLayer(Builtins.plif, 40)
            let grads = gradients layer [| 1; 1; 40 |] x g
            // w = 0: H = X sigma(w), dS/dw = rect(H - 1) X sigma(w) (1 - sigma(w)).
            let expected = Array.init 40 (fun i -> g[i] * rect (0.5 * x[i] - 1.0) * x[i] * 0.25) |> Array.sum
            expectNear 1e-5 1e-5 expected grads["w"].Value

        testCase "every learnable neuron parameter gets a gradient over several steps and moves under an SGD step" <| fun () ->
            use _ = new TensorScope()
            for neuron, names in [ Builtins.daLif, [ "alpha"; "beta" ]; Builtins.arLif, [ "a"; "c" ]; Builtins.plif, [ "w" ] ] do
                use layer = new SpikingLayer(neuron, 8)
                use net = new Sequential([ new Linear(6, 8) :> Module; layer ])
                let pnames = net.NamedParameters() |> List.map fst
                for n in names do Expect.contains pnames ("1." + n) "pnames"
                use opt = new Optimizer(OptimizerKind.Sgd(0.0, false), net.Parameters(), 0.5)
                let x = tensor [| 4; 16; 6 |] (gaussian 31 (4 * 16 * 6) |> Array.map (fun v -> 2.0 * v))
                let y = net.Forward x
                use w = tensor [| 4; 16; 8 |] (gaussian 32 (4 * 16 * 8))
                opt.ZeroGrad()
                (y * w).Sum().Backward()
                let before = [ for n in names -> n, scalar (param layer n) ]
                let grads = [ for n in names -> n, ((param layer n).Grad |> Option.map scalar |> Option.defaultValue 0.0) ]
                opt.Step()
                for (n, b), (_, gr) in List.zip before grads do
                    Expect.isTrue (gr <> 0.0) ($"{neuron.Name}.{n} got no gradient")
                    expectNear 1e-6 1e-6 (b - 0.5 * gr) (scalar (param layer n))

        testCase "the model zoo exposes the neuron parameters of every spiking layer to the optimiser" <| fun () ->
            use model = Models.smallConv (fun ch -> new SpikingLayer(Builtins.daLif, ch)) { Channels = 1; Height = 28; Width = 28; Classes = 10 }
            let names = model.NamedParameters() |> List.map fst
            Expect.equal (names |> List.filter (fun n -> n.EndsWith "alpha" || n.EndsWith "beta") : string list) ([ "2.alpha"; "2.beta"; "6.alpha"; "6.beta" ]) "names |> List.filter (fun n -> n.EndsWith \"alpha\" || n.EndsWith \"beta\")"

        testCase "FiringRate is the mean of the spikes since the last reset" <| fun () ->
            use _ = new TensorScope()
            use layer = new SpikingLayer(Builtins.lif, 3)
            Expect.equal layer.FiringRate 0.0 "layer.FiringRate"
            let s1 = values (layer.Forward(tensor [| 4; 2; 3 |] (gaussian 33 24 |> Array.map (fun v -> v + 1.0))))
            let s2 = values (layer.Forward(tensor [| 2; 5; 3 |] (gaussian 34 30 |> Array.map (fun v -> 2.0 * v))))
            expectNear 1e-12 1e-12 (Array.sum (Array.append s1 s2) / 54.0) layer.FiringRate
            layer.RecordFiring <- false
            layer.Forward(tensor [| 1; 1; 3 |] [| 5.0; 5.0; 5.0 |]) |> ignore
            expectNear 1e-12 1e-12 (Array.sum (Array.append s1 s2) / 54.0) layer.FiringRate
            layer.ResetFiring()
            Expect.equal layer.FiringRate 0.0 "layer.FiringRate"

        testCase "EffectiveParameters equals squash(raw) for each built-in with learnable parameters" <| fun () ->
            use da = new SpikingLayer(Builtins.daLif, 2)
            assign (param da "alpha") [| 0.3 |]
            assign (param da "beta") [| -2.0 |]
            let e = da.EffectiveParameters()
            Expect.equal (List.map fst e : string list) ([ "alpha"; "beta" ]) "List.map fst e"
            expectClose 1e-6 1e-6 [| tanh 0.3; tanh -2.0 |] (e |> List.map snd |> Array.ofList)
            use plif = new SpikingLayer(Builtins.plif, 2)
            assign (param plif "w") [| 0.7 |]
            expectClose 1e-6 1e-6 [| sigmoid 0.7 |] (plif.EffectiveParameters() |> List.map snd |> Array.ofList)
            use ar = new SpikingLayer(Builtins.arLif, 2)
            // a and c are unsquashed (the rule applies tanh to a itself).
            Expect.equal (ar.EffectiveParameters() : (string * float) list) ([ "a", 0.0; "c", 1.0 ]) "ar.EffectiveParameters()"
            use lif = new SpikingLayer(Builtins.lif, 2)
            Expect.isEmpty (lif.EffectiveParameters()) "lif.EffectiveParameters()"

        testCase "per-channel parameters are squashed element by element before averaging" <| fun () ->
            let perChannel =
                { Builtins.daLif with
                    Params = Builtins.daLif.Params |> List.map (fun p -> if p.Learnable then ParamSpec.per Granularity.PerChannel p else p) }
            use layer = new SpikingLayer(perChannel, 3)
            Expect.equal ((param layer "alpha").Shape : int[]) ([| 3 |]) "(param layer \"alpha\").Shape"
            assign (param layer "alpha") [| 0.2; -0.4; 3.0 |]
            let expected = (tanh 0.2 + tanh -0.4 + tanh 3.0) / 3.0
            expectNear 1e-6 1e-6 expected (layer.EffectiveParameters() |> List.find (fst >> (=) "alpha") |> snd)
            // EffectiveParameterValues keeps every channel's value; a per-layer parameter has one.
            let values = layer.EffectiveParameterValues()
            expectClose 1e-6 1e-6 [| tanh 0.2; tanh -0.4; tanh 3.0 |] (values |> List.find (fst >> (=) "alpha") |> snd)
            Expect.equal (values |> List.map (fun (n, v) -> n, v.Length)) [ "alpha", 3; "beta", 3 ] "one value per channel"
            use da = new SpikingLayer(Builtins.daLif, 3)
            Expect.equal (da.EffectiveParameterValues() |> List.map (fun (n, v) -> n, v.Length)) [ "alpha", 1; "beta", 1 ] "per layer: one value"
            use _ = new TensorScope()
            let y = layer.Forward(Tensor.Ones([| 2; 2; 3; 2; 2 |]))
            Expect.equal (y.Shape : int[]) ([| 2; 2; 3; 2; 2 |]) "y.Shape"

        lawOn 60 "LIF spikes equal the hand recurrence exactly for any tau in 2, 4 and any dyadic input" <| fun () ->
            let cases =
                gen {
                    let! tau = Gen.elements [ 2.0; 4.0 ]
                    let! steps = Gen.choose (1, 10)
                    let! n = Gen.choose (1, 6)
                    let! sixteenths = Gen.arrayOfLength (steps * n) (Gen.choose (-16, 48))
                    return tau, steps, n, Array.map (fun k -> float k / 16.0) sixteenths
                }
            forAll cases (fun (tau, steps, n, x) ->
                use _ = new TensorScope()
                let neuron = match Neuron.withParam "tau" tau Builtins.lif with Ok nn -> nn | Error e -> failwith e
                use layer = new SpikingLayer(neuron, n)
                let expected, _ =
                    simulate steps x 0.0 (fun v xt ->
                        let h = v + (xt - v) / tau
                        let s = if h >= 1.0 then 1.0 else 0.0
                        h - 1.0, s, (if s = 1.0 then 0.0 else h))
                Expect.equal (values (layer.Forward(tensor [| steps; 1; n |] x)) : float[]) expected "values (layer.Forward(tensor [| steps; 1; n |] x))")

        testCase "a per-neuron parameter takes the layer's per-sample shape, which must be given" <| fun () ->
            let perNeuron =
                { Builtins.daLif with
                    Params = Builtins.daLif.Params |> List.map (fun p -> if p.Learnable then ParamSpec.per Granularity.PerNeuron p else p) }
            let msg = throwsMessage<System.ArgumentException> (fun () -> new SpikingLayer(perNeuron, 3) |> ignore)
            Expect.stringContains msg "per-neuron parameter 'alpha'" "msg"
            use layer = new SpikingLayer(perNeuron, 3, [| 3; 2; 2 |])
            Expect.equal ((param layer "beta").Shape : int[]) ([| 3; 2; 2 |]) "(param layer \"beta\").Shape"
            use _ = new TensorScope()
            let x = tensor [| 2; 4; 3; 2; 2 |] (gaussian 35 96 |> Array.map (fun v -> v + 1.0))
            let expected, _ = eagerRun perNeuron (rawOf layer) x
            layer.Backend <- Backend.Eager
            Expect.equal (values (layer.Forward x) : float[]) (values expected) "values (layer.Forward x)"
    ]
