namespace SnnDsl.Nn

open System
open System.Text.Json.Nodes
open SnnDsl.Core
open SnnDsl.Backends

/// A model of the zoo, as a value (its text form is `ZooModel.name`; docs/science.md, "Architectures").
[<RequireQualifiedAccess>]
type ZooModel =
    /// The default small conv SNN for 28x28 inputs: two conv+BN+spike stages with average pooling, then linear.
    | SmallConv
    /// VGG-11 with BN and average pooling, then a linear classifier.
    | Vgg11
    /// VGG-13 with BN and average pooling, then a linear classifier.
    | Vgg13
    /// VGG-16 with BN and average pooling, then a linear classifier.
    | Vgg16
    /// VGGSNN (CIFAR10-DVS, 48x48): eight conv+BN+spike layers in four pooled stages, then a linear classifier.
    | VggSnn
    /// Pre-activation ResNet-18 (AR-LIF, CIFAR).
    | ResNet18
    /// ResNet-19 (tdBN / TET).
    | ResNet19
    /// ResNet-20 (He et al.'s CIFAR ResNet with tdBN/TET BasicBlocks).
    | ResNet20
    /// A small fully connected SNN (SHD/SSC, or any input flattened).
    | Fc

/// The text forms of zoo models.
[<RequireQualifiedAccess>]
module ZooModel =
    /// Every model, in the zoo's order.
    let all =
        [ ZooModel.SmallConv; ZooModel.Vgg11; ZooModel.Vgg13; ZooModel.Vgg16; ZooModel.VggSnn
          ZooModel.ResNet18; ZooModel.ResNet19; ZooModel.ResNet20; ZooModel.Fc ]

    /// The zoo's name: small-conv, vgg11, vgg13, vgg16, vggsnn, resnet18, resnet19, resnet20, fc.
    let name (m: ZooModel) =
        match m with
        | ZooModel.SmallConv -> "small-conv"
        | ZooModel.Vgg11 -> "vgg11"
        | ZooModel.Vgg13 -> "vgg13"
        | ZooModel.Vgg16 -> "vgg16"
        | ZooModel.VggSnn -> "vggsnn"
        | ZooModel.ResNet18 -> "resnet18"
        | ZooModel.ResNet19 -> "resnet19"
        | ZooModel.ResNet20 -> "resnet20"
        | ZooModel.Fc -> "fc"

    /// Parses a zoo name (case-insensitive; "smallconv" too); the error lists the valid ones.
    let parse (text: string) : Result<ZooModel, string> =
        let key = if isNull text then "" else text.Trim().ToLowerInvariant()
        let key = if key = "smallconv" then "small-conv" else key
        match all |> List.tryFind (fun m -> name m = key) with
        | Some m -> Ok m
        | None ->
            let valid = all |> List.map name |> String.concat ", "
            Error $"unknown model '{text}'; valid models: {valid}"

/// One layer of a sequential network, as data (the C# NetworkBuilder's layers).
[<RequireQualifiedAccess>]
type LayerSpec =
    /// A 2-D convolution with a square kernel, stride and padding, with or without a bias.
    | Conv2d of inChannels: int * outChannels: int * kernel: int * stride: int * padding: int * bias: bool
    /// Batch normalisation over `channels` channels with the given momentum and eps.
    | BatchNorm of channels: int * momentum: float * eps: float
    /// A spiking layer of `channels` channels; `shape` is the per-sample shape for per-neuron parameters.
    | Spiking of neuron: Neuron * channels: int * shape: int[]
    /// Average pooling with a square kernel, stride and padding.
    | AvgPool2d of kernel: int * stride: int * padding: int
    /// Max pooling with a square kernel, stride and padding.
    | MaxPool2d of kernel: int * stride: int * padding: int
    /// Adaptive average pooling to a fixed output size of height x width.
    | AdaptiveAvgPool2d of height: int * width: int
    /// Flattens [T, N, ...] to [T, N, features].
    | Flatten
    /// A fully connected layer from `inFeatures` to `outFeatures`, with or without a bias.
    | Linear of inFeatures: int * outFeatures: int * bias: bool
    /// Dropout with probability `p`, active in training mode only.
    | Dropout of p: float

/// A network's architecture as data: everything needed to rebuild it, its parameters apart. Checkpoints
/// store it (entry "network"), so a network loads from the file alone.
[<RequireQualifiedAccess>]
type NetworkSpec =
    /// A model of the zoo (`Models.names`) with one neuron in every spiking layer.
    | Zoo of model: ZooModel * neuron: Neuron * input: InputSpec
    /// Layers in order, for samples of `input` = [C, H, W], ending in `classes` outputs.
    | Sequential of input: int[] * classes: int * layers: LayerSpec list

/// Building a network from its spec, and the spec's JSON form.
[<RequireQualifiedAccess>]
module NetworkSpec =
    /// The per-sample input shape [C, H, W] and the number of outputs.
    let io (spec: NetworkSpec) =
        match spec with
        | NetworkSpec.Zoo(_, _, i) -> [| i.Channels; i.Height; i.Width |], i.Classes
        | NetworkSpec.Sequential(input, classes, _) -> Array.copy input, classes

    /// Creates the layers and their (freshly initialised) parameters on the current default device; spiking
    /// layers run on `backend`. A layer that fails disposes the ones already created.
    let build (backend: Backend) (spec: NetworkSpec) : Module =
        let spiking (neuron: Neuron) (channels: int) (shape: int[] option) =
            new SpikingLayer(neuron, channels, ?perNeuronShape = shape, backend = backend) :> Module
        match spec with
        | NetworkSpec.Zoo(model, neuron, input) -> Models.create (ZooModel.name model) (fun ch -> spiking neuron ch None) input
        | NetworkSpec.Sequential(_, _, layers) ->
            let create (layer: LayerSpec) : Module =
                match layer with
                | LayerSpec.Conv2d(i, o, k, s, p, b) -> new Conv2d(i, o, k, stride = s, padding = p, bias = b)
                | LayerSpec.BatchNorm(c, m, e) -> new BatchNorm(c, momentum = m, eps = e)
                | LayerSpec.Spiking(n, c, shape) -> spiking n c (Some shape)
                | LayerSpec.AvgPool2d(k, s, p) -> new AvgPool2d(k, stride = s, padding = p)
                | LayerSpec.MaxPool2d(k, s, p) -> new MaxPool2d(k, stride = s, padding = p)
                | LayerSpec.AdaptiveAvgPool2d(h, w) -> new AdaptiveAvgPool2d(h, w)
                | LayerSpec.Flatten -> new Flatten()
                | LayerSpec.Linear(i, o, b) -> new Linear(i, o, bias = b)
                | LayerSpec.Dropout p -> new Dropout(p)
            let modules = ResizeArray<Module>()
            try
                for l in layers do
                    modules.Add(create l)
                new Sequential(modules) :> Module
            with _ ->
                for m in modules do
                    m.Dispose()
                reraise ()

    let private ints (xs: int[]) = JsonArray(xs |> Array.map (fun x -> JsonValue.Create x :> JsonNode))

    let private layerJson (layer: LayerSpec) : JsonNode =
        let o (kind: string) (fields: (string * JsonNode) list) =
            let node = JsonObject()
            node["kind"] <- JsonValue.Create kind
            for k, v in fields do
                node[k] <- v
            node :> JsonNode
        let v (x: 'a) = JsonValue.Create x :> JsonNode
        match layer with
        | LayerSpec.Conv2d(i, oc, k, s, p, b) -> o "conv2d" [ "in", v i; "out", v oc; "kernel", v k; "stride", v s; "padding", v p; "bias", v b ]
        | LayerSpec.BatchNorm(c, m, e) -> o "batchnorm" [ "channels", v c; "momentum", v m; "eps", v e ]
        | LayerSpec.Spiking(n, c, shape) -> o "spiking" [ "neuron", v (Describe.text n); "channels", v c; "shape", ints shape ]
        | LayerSpec.AvgPool2d(k, s, p) -> o "avgpool2d" [ "kernel", v k; "stride", v s; "padding", v p ]
        | LayerSpec.MaxPool2d(k, s, p) -> o "maxpool2d" [ "kernel", v k; "stride", v s; "padding", v p ]
        | LayerSpec.AdaptiveAvgPool2d(h, w) -> o "adaptiveavgpool2d" [ "height", v h; "width", v w ]
        | LayerSpec.Flatten -> o "flatten" []
        | LayerSpec.Linear(i, oc, b) -> o "linear" [ "in", v i; "out", v oc; "bias", v b ]
        | LayerSpec.Dropout p -> o "dropout" [ "p", v p ]

    /// The JSON form that checkpoints store (neurons as their text form).
    let toJson (spec: NetworkSpec) : string =
        let node = JsonObject()
        match spec with
        | NetworkSpec.Zoo(model, neuron, i) ->
            node["kind"] <- JsonValue.Create "zoo"
            node["model"] <- JsonValue.Create(ZooModel.name model)
            node["neuron"] <- JsonValue.Create(Describe.text neuron)
            node["input"] <- ints [| i.Channels; i.Height; i.Width |]
            node["classes"] <- JsonValue.Create i.Classes
        | NetworkSpec.Sequential(input, classes, layers) ->
            node["kind"] <- JsonValue.Create "sequential"
            node["input"] <- ints input
            node["classes"] <- JsonValue.Create classes
            node["layers"] <- JsonArray(layers |> List.map layerJson |> List.toArray)
        node.ToJsonString()

    /// Reads the JSON form; anything missing or malformed is an Error naming it.
    let ofJson (json: string) : Result<NetworkSpec, string> =
        try
            let root = JsonNode.Parse json
            let get (node: JsonNode) (key: string) =
                match node[key] with
                | null -> failwith $"no '{key}'"
                | n -> n
            let int' n k = (get n k).GetValue<int>()
            let float' n k = (get n k).GetValue<float>()
            let bool' n k = (get n k).GetValue<bool>()
            let str n k = (get n k).GetValue<string>()
            let intArray n k = (get n k).AsArray() |> Seq.map (fun x -> x.GetValue<int>()) |> Seq.toArray
            let neuron n = NeuronText.parseNeuron "the network's neuron" (str n "neuron")
            let layer (n: JsonNode) =
                match str n "kind" with
                | "conv2d" -> LayerSpec.Conv2d(int' n "in", int' n "out", int' n "kernel", int' n "stride", int' n "padding", bool' n "bias")
                | "batchnorm" -> LayerSpec.BatchNorm(int' n "channels", float' n "momentum", float' n "eps")
                | "spiking" -> LayerSpec.Spiking(neuron n, int' n "channels", intArray n "shape")
                | "avgpool2d" -> LayerSpec.AvgPool2d(int' n "kernel", int' n "stride", int' n "padding")
                | "maxpool2d" -> LayerSpec.MaxPool2d(int' n "kernel", int' n "stride", int' n "padding")
                | "adaptiveavgpool2d" -> LayerSpec.AdaptiveAvgPool2d(int' n "height", int' n "width")
                | "flatten" -> LayerSpec.Flatten
                | "linear" -> LayerSpec.Linear(int' n "in", int' n "out", bool' n "bias")
                | "dropout" -> LayerSpec.Dropout(float' n "p")
                | other -> failwith $"unknown layer kind '{other}'"
            let input = intArray root "input"
            if input.Length <> 3 then failwith $"'input' must be [C, H, W], got {input.Length} numbers"
            match str root "kind" with
            | "zoo" ->
                let model =
                    match ZooModel.parse (str root "model") with
                    | Ok m -> m
                    | Error e -> failwith e
                Ok(NetworkSpec.Zoo(model, neuron root, { Channels = input[0]; Height = input[1]; Width = input[2]; Classes = int' root "classes" }))
            | "sequential" ->
                let layers = (get root "layers").AsArray() |> Seq.map layer |> Seq.toList
                Ok(NetworkSpec.Sequential(input, int' root "classes", layers))
            | other -> failwith $"unknown network kind '{other}'"
        with
        | :? NeuronSyntaxException as e -> Error e.Message
        | e -> Error $"malformed network description: {e.Message}"
