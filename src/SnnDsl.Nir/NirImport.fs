namespace SnnDsl.Nir

open System
open SnnDsl.Core
open SnnDsl.Torch
open SnnDsl.Nn
open SnnDsl.Backends

/// A NIR graph imported as an SnnDsl network: its architecture as data (so checkpoints rebuild it), the
/// parameters of each layer in order, and the per-sample shapes at both ends.
type NirImported =
    { /// The network's architecture, a sequential spec built from the chain.
      Spec: NetworkSpec
      /// Per layer of the spec, its parameters by name (as the layer registers them) with their values.
      Parameters: (string * NirArray) list list
      /// The per-sample input shape (the Input node's).
      InputShape: int[]
      /// The per-sample shape after the last layer; the number of classes is its element count.
      OutputShape: int[] }

/// Turning a NIR graph into SnnDsl layers (docs/nir.md, "Import"). The graph must be a chain from its one
/// Input node to its one Output node; anything else is a usage error naming the edge or node.
[<RequireQualifiedAccess>]
module NirImport =
    let private shapeText (s: int[]) = "[" + String.Join(", ", s) + "]"

    /// The nodes from Input to Output in edge order; a branch, a merge, a cycle or a node off the chain is
    /// an error naming it.
    let chain (graph: NirGraph) : (string * NirNode) list =
        let find name = graph.Nodes |> List.find (fun (n, _) -> n = name) |> snd
        let inputs = graph.Nodes |> List.filter (fun (_, n) -> match n with NirNode.Input _ -> true | _ -> false)
        let start =
            match inputs with
            | [ (name, _) ] -> name
            | [] -> Fail.usage "the NIR graph has no Input node"
            | many -> Fail.usage $"the NIR graph has {many.Length} Input nodes ({Text.names (List.map fst many)}); only one input is supported"
        for _, t in graph.Edges do
            match graph.Edges |> List.filter (fun (_, t') -> t' = t) with
            | e1 :: e2 :: _ -> Fail.usage $"node '{t}' has several inputs (edges {fst e1} -> {t} and {fst e2} -> {t}); only chains are supported, not skip connections"
            | _ -> ()
        let rec walk (name: string) (seen: (string * NirNode) list) : (string * NirNode) list =
            let node = find name
            match graph.Edges |> List.filter (fun (s, _) -> s = name) with
            | [] ->
                match node with
                | NirNode.Output _ -> List.rev ((name, node) :: seen)
                | _ -> Fail.usage $"node '{name}' has no outgoing edge and is not an Output node"
            | [ (_, next) ] ->
                if seen |> List.exists (fun (n, _) -> n = next) || next = name then
                    Fail.usage $"edge {name} -> {next} closes a cycle (recurrent edges are not supported)"
                walk next ((name, node) :: seen)
            | (_, a) :: (_, b) :: _ -> Fail.usage $"node '{name}' has several outputs (edges {name} -> {a} and {name} -> {b}); only chains are supported"
        let nodes = walk start []
        match graph.Nodes |> List.tryFind (fun (n, _) -> not (nodes |> List.exists (fun (m, _) -> m = n))) with
        | Some(n, _) -> Fail.usage $"node '{n}' is not on the chain from '{start}' to the Output node"
        | None -> nodes

    let private square (where: string) (what: string) (v: NirInts) =
        match v with
        | [| a |] -> int a
        | [| a; b |] when a = b -> int a
        | _ -> Fail.usage $"node '{where}': {what} [{Text.join (v)}] is not the same in both dimensions; only square ones are supported"

    let private flatShape (a: NirArray) = a.Shape

    /// The layers of a chain and the per-sample shape after each; `dt` is the Euler step of every neuron.
    let ofGraph (dt: float) (graph: NirGraph) : NirImported =
        if not (Double.IsFinite dt) || dt <= 0.0 then Fail.usage $"--dt must be a positive number, got {dt}"
        let nodes = chain graph
        let inputShape =
            match nodes with
            | (_, NirNode.Input s) :: _ -> s |> Array.map int
            | _ -> Fail.internalError "chain does not start at its Input"
        let mutable shape = inputShape
        let layers = ResizeArray<LayerSpec * (string * NirArray) list>()
        let neuron (name: string) (n: Neuron) (pars: (string * NirArray) list) (positive: string list) =
            let s = (snd pars.Head).Shape
            if s <> shape then
                Fail.usage $"node '{name}': its parameters have shape {shapeText s}, its input has shape {shapeText shape}"
            for field, a in pars do
                if List.contains field positive && a.Values |> Array.exists (fun v -> v <= 0.0f) then
                    Fail.usage $"node '{name}': {field} must be positive"
            let channels = if s.Length = 0 then 1 else s[0]
            layers.Add(LayerSpec.Spiking(n, channels, s), pars)
        for name, node in nodes do
            match node with
            | NirNode.Input _ -> ()
            | NirNode.Output s ->
                let s = s |> Array.map int
                if NirArray.count s <> NirArray.count shape then
                    Fail.usage $"node '{name}': Output shape {shapeText s} does not match its input {shapeText shape}"
            | NirNode.Affine(w, b) ->
                if NirArray.count shape <> w.Shape[1] then
                    Fail.usage $"node '{name}': weight takes {w.Shape[1]} inputs, its input has shape {shapeText shape}"
                if shape.Length <> 1 then Fail.usage $"node '{name}': an affine layer needs a flat input, got {shapeText shape} (add a Flatten node)"
                layers.Add(LayerSpec.Linear(w.Shape[1], w.Shape[0], true), [ "weight", w; "bias", b ])
                shape <- [| w.Shape[0] |]
            | NirNode.Linear w ->
                if shape <> [| w.Shape[1] |] then
                    Fail.usage $"node '{name}': weight takes {w.Shape[1]} inputs, its input has shape {shapeText shape}"
                layers.Add(LayerSpec.Linear(w.Shape[1], w.Shape[0], false), [ "weight", w ])
                shape <- [| w.Shape[0] |]
            | NirNode.Conv2d(w, b, stride, padding, dilation, groups, _) ->
                if shape.Length <> 3 || shape[0] <> w.Shape[1] then
                    Fail.usage $"node '{name}': weight {shapeText w.Shape} takes {w.Shape[1]} channels, its input has shape {shapeText shape}"
                if groups <> 1L then Fail.usage $"node '{name}': groups = {groups}; only 1 is supported"
                if dilation |> Array.exists ((<>) 1L) then Fail.usage $"node '{name}': dilation [{Text.join (dilation)}]; only 1 is supported"
                if w.Shape[2] <> w.Shape[3] then Fail.usage $"node '{name}': kernel {w.Shape[2]}x{w.Shape[3]} is not square"
                let k, s, p = w.Shape[2], square name "stride" stride, square name "padding" padding
                layers.Add(LayerSpec.Conv2d(w.Shape[1], w.Shape[0], k, s, p, true), [ "weight", w; "bias", b ])
                let out d = (d + 2 * p - k) / s + 1
                shape <- [| w.Shape[0]; out shape[1]; out shape[2] |]
            | NirNode.AvgPool2d(kernel, stride, padding) ->
                if shape.Length <> 3 then Fail.usage $"node '{name}': pooling needs [C, H, W], got {shapeText shape}"
                let k, s, p = square name "kernel_size" kernel, square name "stride" stride, square name "padding" padding
                layers.Add(LayerSpec.AvgPool2d(k, s, p), [])
                let out d = (d + 2 * p - k) / s + 1
                shape <- [| shape[0]; out shape[1]; out shape[2] |]
            | NirNode.Flatten(startDim, endDim, _) ->
                let rank = int64 shape.Length
                let norm d = if d < 0L then d + rank else d
                if norm startDim <> 0L || norm endDim <> rank - 1L then
                    Fail.usage $"node '{name}': Flatten from dim {startDim} to {endDim} of {shapeText shape}; only flattening every dimension is supported"
                layers.Add(LayerSpec.Flatten, [])
                shape <- [| NirArray.count shape |]
            | NirNode.LIF(tau, r, vl, th, vr) ->
                neuron name (NirNeurons.lif dt) [ "tau", tau; "r", r; "v_leak", vl; "v_threshold", th; "v_reset", vr ] [ "tau" ]
            | NirNode.IF(r, th, vr) ->
                neuron name (NirNeurons.integrateAndFire dt) [ "r", r; "v_threshold", th; "v_reset", vr ] []
            | NirNode.CubaLIF(ts, tm, r, vl, th, vr, w) ->
                neuron name (NirNeurons.cubaLif dt)
                    [ "tau_syn", ts; "tau_mem", tm; "r", r; "v_leak", vl; "v_threshold", th; "v_reset", vr; "w_in", w ] [ "tau_syn"; "tau_mem" ]
            | NirNode.LI(tau, r, vl) -> neuron name (NirNeurons.leakyIntegrator dt) [ "tau", tau; "r", r; "v_leak", vl ] [ "tau" ]
            | NirNode.I r -> neuron name (NirNeurons.integrator' dt) [ "r", r ] []
            | other ->
                Fail.usage $"node '{name}': NIR {NirNode.typeName other} is not supported by the importer (supported: Input, Output, Affine, Linear, Conv2d, AvgPool2d, Flatten, I, LI, IF, LIF, CubaLIF)"
        let specs = layers |> Seq.map fst |> List.ofSeq
        let classes = NirArray.count shape
        { Spec = NetworkSpec.Sequential(inputShape, classes, specs)
          Parameters = layers |> Seq.map snd |> List.ofSeq
          InputShape = inputShape
          OutputShape = shape }

    /// Builds the imported network with its parameters (on the CPU), its spiking layers on `backend`.
    let build (backend: Backend) (imported: NirImported) : Module =
        let net = NetworkSpec.build backend imported.Spec
        try
            use _ = Autograd.noGrad ()
            let layers = (net :?> Sequential).Layers
            for layer, pars in Seq.zip layers imported.Parameters do
                let named = layer.NamedParameters() |> Map.ofList
                for name, value in pars do
                    match named.TryFind name with
                    | Some t ->
                        use v = Tensor.FromArray(value.Values, t.Shape)
                        t.CopyFrom v
                    | None -> Fail.internalError $"layer {layer.Describe()} has no parameter '{name}'"
            net
        with _ ->
            net.Dispose()
            reraise ()

    /// Reads a NIR file and builds it as a network (`dt`: the Euler step).
    let load (backend: Backend) (dt: float) (path: string) : Module * NirImported =
        let imported = ofGraph dt (NirFile.read path)
        build backend imported, imported
