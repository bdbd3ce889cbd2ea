/// Multi-step runs over [T, N, ...] and parameters of every granularity.
module SnnDsl.Backends.Tests.MultiStepTests

open Expecto
open SnnDsl.TestKit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Core.Tests.Generators
open SnnDsl.Backends.Tests.Tensors
open SnnDsl.Torch
open SnnDsl.Backends

/// Inputs [T, N, ...site] with the per-element shape `site` ([C] or [C, H, W]) as a flat row-major array,
/// and one raw value array per parameter, shaped by its granularity ([] per layer, [C], or site).
type Case =
    { Def: Neuron
      T: int
      N: int
      Site: int[]
      X: float[]
      Raw: Map<string, float[]> }

let private prod (a: int[]) = Array.fold (*) 1 a

let private siteCount c = prod c.Site

let private paramShape (p: ParamSpec) (site: int[]) =
    match p.Granularity with
    | Granularity.PerLayer -> [||]
    | Granularity.PerChannel -> [| site[0] |]
    | Granularity.PerNeuron -> site

let private caseOf (neuron: Gen<Neuron>) : Gen<Case> =
    gen {
        let! n = neuron
        let! t = Gen.choose (1, 8)
        let! batch = Gen.choose (1, 3)
        let! c = Gen.choose (1, 3)
        let! spatial = Gen.elements [ None; Some(1, 2); Some(2, 2); Some(2, 1) ]
        let site = match spatial with None -> [| c |] | Some(h, w) -> [| c; h; w |]
        let! x = Gen.arrayOfLength (t * batch * prod site) (floatIn -3.0 3.0)
        let! pars =
            n.Params
            |> List.map (fun p -> Gen.arrayOfLength (prod (paramShape p site)) (floatIn -1.5 1.5) |> Gen.map (fun v -> p.Name, v))
            |> Gen.sequenceToList
        return { Def = n; T = t; N = batch; Site = site; X = x; Raw = Map.ofList pars }
    }

let private inputTensor (c: Case) = Tensor.FromArray(c.X, Array.append [| c.T; c.N |] c.Site)

let private paramTensors (c: Case) =
    c.Def.Params
    |> List.map (fun p -> p.Name, Tensor.FromArray(c.Raw[p.Name], paramShape p c.Site))
    |> Map.ofList

// The raw value of every parameter at one site (flat index over the site shape).
let private rawAt (c: Case) (s: int) =
    c.Def.Params
    |> List.map (fun p ->
        let v = c.Raw[p.Name]
        p.Name,
        match p.Granularity with
        | Granularity.PerLayer -> v[0]
        | Granularity.PerChannel -> v[s / (siteCount c / c.Site[0])]
        | Granularity.PerNeuron -> v[s])
    |> Map.ofList

/// The learnable parameters of a built-in made per channel.
let private perChannel (n: Neuron) =
    { n with Params = n.Params |> List.map (fun p -> if p.Learnable then ParamSpec.per Granularity.PerChannel p else p) }

// Every state value as a flat array, for exact comparisons.
let private flatState (like: Tensor) (s: NeuronState) =
    s |> Map.map (fun _ v -> valueAt like v)

[<Tests>]
let tests =
    testList "MultiStep" [
        yield! lawRows "parameters of every granularity broadcast over [N, C] and [N, C, H, W] like independent oracle runs per site" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            forAll (caseOf (neuron everything)) (fun c ->
                use scope = new TensorScope()
                let x = inputTensor c
                let raw = paramTensors c
                let tr = (interpreter interp).Trace(programFor c.Def raw, raw, None, x)
                let S = siteCount c
                let spikes, states, values = elements tr.Spikes, tr.States |> List.map (fun (k, t) -> k, elements t), tr.Values |> List.map (fun (k, t) -> k, elements t)
                for s in 0 .. S - 1 do
                    let xsSite = Array2D.init c.T c.N (fun t j -> c.X[(t * c.N + j) * S + s])
                    let oracle = Oracle.run c.Def (rawAt c s) xsSite
                    let at (flat: float[]) = Array2D.init c.T c.N (fun t j -> flat[(t * c.N + j) * S + s])
                    let tensor: Trace =
                        { Spikes = at spikes
                          States = states |> List.map (fun (k, v) -> k, at v) |> Map.ofList
                          Values = values |> List.map (fun (k, v) -> k, at v) |> Map.ofList }
                    try expectSameTrace 1e-12 oracle tensor
                    with e -> failwith $"site {s} of %A{c.Site}: {e.Message}")

        yield! lawRows "per-channel learnable parameters of the built-ins act channel by channel over [N, C, H, W]" [ "eager"; "fused"; "fused-interpreted" ] <| fun (interp: string) ->
            let learnableBuiltins = Builtins.all |> List.filter (fun n -> n.Params |> List.exists (fun p -> p.Learnable))
            forAll (caseOf (Gen.elements learnableBuiltins |> Gen.map perChannel)) (fun c ->
                use scope = new TensorScope()
                let learnables = paramTensors c |> Map.filter (fun k _ -> c.Def.Params |> List.exists (fun p -> p.Name = k && p.Learnable))
                // Options keep their defaults, so the oracle gets the learnables' per-channel values only.
                let x = inputTensor c
                let spikes, final = (interpreter interp).Run(programFor c.Def learnables, learnables, None, x)
                let spikes = elements spikes
                let vFinal = valueAt (x.Select(0, 0)) final["V"]
                let S = siteCount c
                for s in 0 .. S - 1 do
                    let raw = rawAt c s |> Map.filter (fun k _ -> learnables.ContainsKey k)
                    let oracle = Oracle.run c.Def raw (Array2D.init c.T c.N (fun t j -> c.X[(t * c.N + j) * S + s]))
                    for t in 0 .. c.T - 1 do
                        for j in 0 .. c.N - 1 do
                            if oracle.Spikes[t, j] <> spikes[(t * c.N + j) * S + s] then
                                failwith $"spike at t = {t + 1}, batch {j}, site {s}: oracle {oracle.Spikes[t, j]}"
                    for j in 0 .. c.N - 1 do
                        let e, a = oracle.States["V"][c.T - 1, j], vFinal[j * S + s]
                        if not (near (1e-12 * max 1.0 (abs e)) e a) then failwith $"final V at batch {j}, site {s}: oracle {e}, tensor {a}")

        yield! lawRows "a multi-step run over [T, N, ...] equals the fold of single steps over time" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            forAll (caseOf (neuron everything)) (fun c ->
                use scope = new TensorScope()
                let run = interpreter interp
                let x = inputTensor c
                let raw = paramTensors c
                let p = programFor c.Def raw
                let spikes, final = run.Run(p, raw, None, x)
                let folded, foldedFinal =
                    Array.mapFold
                        (fun state t ->
                            let s, next = run.Run(p, raw, state, x.Narrow(0, t, 1))
                            s.Squeeze 0, Some next)
                        None [| 0 .. c.T - 1 |]
                let like = x.Select(0, 0)
                if elements spikes <> elements (Tensor.Stack folded) then failwith "spikes differ"
                if spikes.Shape <> x.Shape then failwith $"spikes have shape %A{spikes.Shape}, inputs %A{x.Shape}"
                if flatState like final <> flatState like foldedFinal.Value then failwith "final states differ")

        yield! lawRows "running T1 steps and then T2 more from the returned state equals running T1 + T2 steps" [ "eager"; "fused-interpreted" ] <| fun (interp: string) ->
            let cases = caseOf (neuron everything) |> Gen.filter (fun c -> c.T >= 2) |> Gen.bind (fun c -> Gen.choose (1, c.T - 1) |> Gen.map (fun k -> c, k))
            forAll cases (fun (c, k) ->
                use scope = new TensorScope()
                let run = interpreter interp
                let x = inputTensor c
                let raw = paramTensors c
                let p = programFor c.Def raw
                let whole, wholeFinal = run.Run(p, raw, None, x)
                let first, mid = run.Run(p, raw, None, x.Narrow(0, 0, k))
                let second, final = run.Run(p, raw, Some mid, x.Narrow(0, k, c.T - k))
                let like = x.Select(0, 0)
                if elements whole <> elements (Tensor.Cat [ first; second ]) then failwith "spikes differ"
                if flatState like wholeFinal <> flatState like final then failwith "final states differ")
    ]
