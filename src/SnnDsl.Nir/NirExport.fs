namespace SnnDsl.Nir

open System
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Nn

/// SnnDsl networks as NIR graphs (docs/nir.md, "Export"): a chain of layers becomes a chain of nodes named
/// input, 0, 1, ..., output; BatchNorm is folded into the conv or linear layer before it; each spiking
/// layer's neuron becomes NIR's continuous-time node whose forward-Euler step with `dt` is the neuron's
/// discrete step. A layer or neuron NIR cannot express is a usage error naming it and why.
[<RequireQualifiedAccess>]
module NirExport =
    let private shapeText (s: int[]) = "[" + String.Join(", ", s) + "]"

    let private values (t: Tensor) : float32[] =
        use c = t.Detach().To(DType.Float32, Device.Cpu).Contiguous()
        c.ToArray<float32>()

    let private arr (shape: int[]) (v: float32[]) : NirArray = { Shape = Array.copy shape; Values = v }

    /// The leaf layers of a chain, in order (Sequential containers opened); a container that is not a
    /// Sequential (a residual block) is refused, naming it.
    let rec private leaves (m: Module) : Module list =
        match m with
        | :? Sequential as s -> s.Layers |> Array.toList |> List.collect leaves
        | _ when m.Children.Count > 0 ->
            Fail.usage $"layer {m.Describe()} is not a chain of layers (a residual block's skip connection); NIR export supports chains only"
        | _ -> [ m ]

    // Structural equality of two neurons' step programs, whatever their surrogates and parameter values.
    let private sameRules (a: Neuron) (b: Neuron) =
        let norm (n: Neuron) = Neuron.withSurrogate Surrogate.rectangle n
        let a, b = norm a, norm b
        a.Bindings = b.Bindings && a.Updates = b.Updates && a.States = b.States
        && (a.Params |> List.map (fun p -> p.Name, p.Squash)) = (b.Params |> List.map (fun p -> p.Name, p.Squash))

    /// The effective value squash(raw) of every parameter of a spiking layer, per neuron of `shape`.
    let private neuronValues (layer: SpikingLayer) (shape: int[]) : Map<string, float[]> =
        let n = layer.Neuron
        let count = NirArray.count shape
        let raw = layer.NamedParameters() |> Map.ofList
        [ for p in n.Params do
              let perNeuron =
                  match raw.TryFind p.Name with
                  | Some t ->
                      let v = values t |> Array.map (fun x -> Squash.apply p.Squash (float x))
                      if v.Length = 1 then Array.create count v[0]
                      elif v.Length = count then v
                      elif shape.Length > 0 && v.Length = shape[0] then
                          let inner = count / shape[0]
                          Array.init count (fun i -> v[i / inner])
                      else Fail.internalError $"parameter {p.Name} has {v.Length} values for shape {shapeText shape}"
                  | None -> Array.create count (Squash.apply p.Squash p.Init)
              yield p.Name, perNeuron ]
        |> Map.ofList

    let private soft = "its soft reset (V = H - theta S) has no NIR equivalent: NIR's neurons reset to v_reset"

    /// The NIR node of a spiking layer with per-sample `shape`, for the step `dt`.
    let neuronNode (dt: float) (layer: SpikingLayer) (shape: int[]) : NirNode =
        let n = layer.Neuron
        let v = neuronValues layer shape
        let a (f: float -> float) (name: string) = arr shape (v[name] |> Array.map (f >> float32))
        let map2 (f: float -> float -> float) (x: string) (y: string) = arr shape (Array.map2 (fun p q -> float32 (f p q)) v[x] v[y])
        let c (value: float) = NirArray.full shape (float32 value)
        let id = id
        let refuse (why: string) : 'a = Fail.usage $"spiking layer {layer.Describe()}: neuron '{n.Name}' cannot be exported to NIR: {why}"
        let builtin (name: string) (b: Neuron) = n.Name = name && sameRules n b
        let positive (name: string) (what: string) =
            if v[name] |> Array.exists (fun x -> x >= 1.0) then refuse $"{name} = {Array.max v[name]} makes {what} infinite or negative"
        if builtin "if" Builtins.integrateAndFire then
            NirNode.IF(c (1.0 / dt), a id "threshold", a id "reset")
        elif builtin "lif" Builtins.lif then
            NirNode.LIF(a (fun tau -> tau * dt) "tau", c 1.0, a id "reset", a id "threshold", a id "reset")
        elif builtin "plif" Builtins.plif then
            NirNode.LIF(a (fun k -> dt / k) "w", c 1.0, a id "reset", a id "threshold", a id "reset")
        elif builtin "leaky-lif" Builtins.leakyLif then
            positive "decay" "tau = dt / (1 - decay)"
            NirNode.LIF(a (fun b -> dt / (1.0 - b)) "decay", a (fun b -> 1.0 / (1.0 - b)) "decay", c 0.0, a id "threshold", a id "reset")
        elif builtin "da-lif" Builtins.daLif then
            positive "beta" "tau = dt / (1 - beta)"
            NirNode.LIF(a (fun b -> dt / (1.0 - b)) "beta", map2 (fun al b -> al / (1.0 - b)) "alpha" "beta", c 0.0, a id "threshold", a id "reset")
        elif List.contains n.Name NirNeurons.names then
            // A neuron imported from NIR: its own dt may differ from the export's; the rates dt/tau are kept.
            let own = v["dt"][0]
            let scale name = a (fun t -> t * dt / own) name
            let rScale name = a (fun r -> r * own / dt) name
            match n.Name with
            | "nir-lif" when sameRules n (NirNeurons.lif own) ->
                NirNode.LIF(scale "tau", a id "r", a id "v_leak", a id "v_threshold", a id "v_reset")
            | "nir-if" when sameRules n (NirNeurons.integrateAndFire own) -> NirNode.IF(rScale "r", a id "v_threshold", a id "v_reset")
            | "nir-cubalif" when sameRules n (NirNeurons.cubaLif own) ->
                NirNode.CubaLIF(scale "tau_syn", scale "tau_mem", a id "r", a id "v_leak", a id "v_threshold", a id "v_reset", a id "w_in")
            | "nir-li" when sameRules n (NirNeurons.leakyIntegrator own) -> NirNode.LI(scale "tau", a id "r", a id "v_leak")
            | "nir-i" when sameRules n (NirNeurons.integrator' own) -> NirNode.I(rScale "r")
            | _ -> refuse "it is named like a NIR neuron but its rules differ"
        else
            match n.Name with
            | "lif-soft" | "leaky-lif-soft" when sameRules n (if n.Name = "lif-soft" then Builtins.lifSoft else Builtins.leakyLifSoft) -> refuse soft
            | "alif" when sameRules n Builtins.alif -> refuse $"its adaptive threshold (theta = threshold + scale * b) has no NIR node, and {soft}"
            | "ar-lif" when sameRules n Builtins.arLif ->
                refuse "its input-dependent threshold (theta = threshold + tanh(a) tanh(X)) and adaptive reset memory have no NIR node"
            | _ -> refuse "it is a user-defined neuron (its own rules); NIR has nodes only for IF, LIF, LI, I and CubaLIF dynamics"

    // A conv or linear layer waiting for a BatchNorm to fold into it.
    type private Pending =
        | Dense of weight: float32[] * wShape: int[] * bias: float32[]
        | Conv of weight: float32[] * wShape: int[] * bias: float32[] * stride: int * padding: int

    /// The graph of a network over per-sample inputs of `inputShape` ([C, H, W] or [features]), for `dt`.
    let ofModule (dt: float) (inputShape: int[]) (net: Module) : NirGraph =
        if not (Double.IsFinite dt) || dt <= 0.0 then Fail.usage $"--dt must be a positive number, got {dt}"
        use _ = Autograd.noGrad ()
        let nodes = ResizeArray<NirNode>()
        let mutable shape = Array.copy inputShape
        let mutable pending: Pending option = None
        let flush () =
            match pending with
            | Some(Dense(w, ws, b)) -> nodes.Add(NirNode.Affine(arr ws w, NirArray.ofArray b))
            | Some(Conv(w, ws, b, s, p)) ->
                nodes.Add(NirNode.Conv2d(arr ws w, NirArray.ofArray b, [| int64 s; int64 s |], [| int64 p; int64 p |], [| 1L; 1L |], 1L, None))
            | None -> ()
            pending <- None
        let pool (name: string) (k: int) (s: int) (p: int) =
            if shape.Length <> 3 then Fail.usage $"{name} needs [C, H, W] inputs, got {shapeText shape}"
            nodes.Add(NirNode.AvgPool2d([| int64 k; int64 k |], [| int64 s; int64 s |], [| int64 p; int64 p |]))
            let out d = (d + 2 * p - k) / s + 1
            shape <- [| shape[0]; out shape[1]; out shape[2] |]
        for m in leaves net do
            match m with
            | :? BatchNorm as bn ->
                let scale =
                    Array.map2 (fun g var -> g / sqrt (var + float32 bn.Eps)) (values bn.Weight) (values bn.RunningVar)
                let shift = Array.map2 (fun beta (mean, sc) -> beta - mean * sc) (values bn.Bias) (Array.zip (values bn.RunningMean) scale)
                let fold (w: float32[]) (ws: int[]) (b: float32[]) =
                    let inner = w.Length / ws[0]
                    Array.mapi (fun i x -> x * scale[i / inner]) w, Array.mapi (fun o x -> x * scale[o] + shift[o]) b
                match pending with
                | Some(Dense(w, ws, b)) -> pending <- Some(Dense(fold w ws b |> fun (w', b') -> w', ws, b'))
                | Some(Conv(w, ws, b, s, p)) -> pending <- Some(Conv(fold w ws b |> fun (w', b') -> w', ws, b', s, p))
                | None -> Fail.usage $"{m.Describe()} does not follow a conv or linear layer; NIR export folds BatchNorm into the layer before it"
                flush ()
            | _ ->
                flush ()
                match m with
                | :? Conv2d as conv ->
                    let ws = conv.Weight.Shape
                    if shape.Length <> 3 || shape[0] <> ws[1] * conv.Groups then
                        Fail.usage $"{m.Describe()} takes {ws[1]} channels, its input has shape {shapeText shape}"
                    if conv.Groups <> 1 then Fail.usage $"{m.Describe()}: grouped convolutions are not exported"
                    let b = match conv.Bias with Some b -> values b | None -> Array.zeroCreate ws[0]
                    pending <- Some(Conv(values conv.Weight, ws, b, conv.Stride, conv.Padding))
                    let out d = (d + 2 * conv.Padding - ws[2]) / conv.Stride + 1
                    shape <- [| ws[0]; out shape[1]; out shape[2] |]
                | :? Linear as lin ->
                    let ws = lin.Weight.Shape
                    if NirArray.count shape <> ws[1] || shape.Length <> 1 then
                        Fail.usage $"{m.Describe()} takes {ws[1]} features, its input has shape {shapeText shape}"
                    match lin.Bias with
                    | Some b -> pending <- Some(Dense(values lin.Weight, ws, values b))
                    | None -> nodes.Add(NirNode.Linear(arr ws (values lin.Weight)))
                    shape <- [| ws[0] |]
                | :? SpikingLayer as s -> nodes.Add(neuronNode dt s shape)
                | :? AvgPool2d as p -> pool (p.Describe()) p.Kernel p.Stride p.Padding
                | :? AdaptiveAvgPool2d as p ->
                    if shape.Length <> 3 || shape[1] % p.OutHeight <> 0 || shape[2] % p.OutWidth <> 0
                       || shape[1] / p.OutHeight <> shape[2] / p.OutWidth then
                        Fail.usage $"{p.Describe()} on {shapeText shape} is not a uniform square average pool; NIR has no adaptive pooling"
                    let k = shape[1] / p.OutHeight
                    pool (p.Describe()) k k 0
                | :? Flatten ->
                    if shape.Length > 1 then
                        nodes.Add(NirNode.Flatten(0L, -1L, None))
                        shape <- [| NirArray.count shape |]
                | :? Dropout -> ()
                | :? MaxPool2d -> Fail.usage $"{m.Describe()}: NIR has no max pooling (only sum and average pooling)"
                | _ -> Fail.usage $"layer {m.Describe()} has no NIR node"
        flush ()
        let named = nodes |> Seq.mapi (fun i n -> string i, n) |> List.ofSeq
        let all = ("input", NirNode.Input(inputShape |> Array.map int64)) :: named @ [ "output", NirNode.Output(shape |> Array.map int64) ]
        let names = all |> List.map fst
        { Nodes = all; Edges = List.pairwise names }
