namespace SnnDsl.Nir

/// An n-dimensional array of a NIR node, row-major (numpy's order), as the file stores it.
type NirArray =
    { /// The array's dimensions.
      Shape: int[]
      /// The elements, row-major; as many as the shape holds.
      Values: float32[] }

/// An integer array of a NIR node (shapes, strides, paddings), row-major.
type NirInts = int64[]

/// One node of a NIR graph, with the parameters nir.write stores for it (github neuromorphs/NIR, nir/ir).
/// Neuron parameters have the neuron layer's shape; `VReset` is all zeros where a file has none.
[<RequireQualifiedAccess>]
type NirNode =
    /// The graph's input, of this per-sample shape.
    | Input of shape: NirInts
    /// The graph's output, of this per-sample shape.
    | Output of shape: NirInts
    /// y = W x + b, W of shape [out, in].
    | Affine of weight: NirArray * bias: NirArray
    /// y = W x.
    | Linear of weight: NirArray
    /// 1-D convolution, weight [out, in / groups, k]; `inputShape` is the optional input_shape.
    | Conv1d of weight: NirArray * bias: NirArray * stride: NirInts * padding: NirInts * dilation: NirInts * groups: int64 * inputShape: NirInts option
    /// 2-D convolution, weight [out, in / groups, kH, kW]; `inputShape` is the optional input_shape.
    | Conv2d of weight: NirArray * bias: NirArray * stride: NirInts * padding: NirInts * dilation: NirInts * groups: int64 * inputShape: NirInts option
    /// Flattens dims startDim .. endDim (inclusive, negative from the end); `inputShape` is the optional input_type.
    | Flatten of startDim: int64 * endDim: int64 * inputShape: NirInts option
    /// 2-D sum pooling over windows of `kernel` (kernel_size).
    | SumPool2d of kernel: NirInts * stride: NirInts * padding: NirInts
    /// 2-D average pooling over windows of `kernel` (kernel_size).
    | AvgPool2d of kernel: NirInts * stride: NirInts * padding: NirInts
    /// y = x * scale.
    | Scale of scale: NirArray
    /// y = Θ(x - threshold).
    | Threshold of threshold: NirArray
    /// y(t) = x(t - delay), delay per element.
    | Delay of delay: NirArray
    /// dv/dt = r I.
    | I of r: NirArray
    /// tau dv/dt = (v_leak - v) + r I.
    | LI of tau: NirArray * r: NirArray * vLeak: NirArray
    /// dv/dt = r I; spike and reset at v_threshold.
    | IF of r: NirArray * vThreshold: NirArray * vReset: NirArray
    /// tau dv/dt = (v_leak - v) + r I; spike and reset at v_threshold.
    | LIF of tau: NirArray * r: NirArray * vLeak: NirArray * vThreshold: NirArray * vReset: NirArray
    /// tau_syn dI/dt = -I + w_in S; tau_mem dv/dt = (v_leak - v) + r I; spike and reset at v_threshold.
    | CubaLIF of tauSyn: NirArray * tauMem: NirArray * r: NirArray * vLeak: NirArray * vThreshold: NirArray * vReset: NirArray * wIn: NirArray
    /// A nested graph (NIRGraph) used as one node.
    | Graph of NirGraph

/// A NIR graph: named nodes (in the file's order) and identity edges (source, target).
and NirGraph =
    { /// The nodes by name, in the file's order.
      Nodes: (string * NirNode) list
      /// The edges as (source, target) node names.
      Edges: (string * string) list }

/// Making NirArray values and counting their elements.
[<RequireQualifiedAccess>]
module NirArray =
    /// An array of this shape filled with `value`.
    let full (shape: int[]) (value: float32) =
        { Shape = Array.copy shape; Values = Array.create (Array.fold (*) 1 shape) value }

    /// A one-dimensional array.
    let ofArray (values: float32[]) = { Shape = [| values.Length |]; Values = values }

    /// The number of elements the shape holds.
    let count (shape: int[]) = Array.fold (*) 1 shape

/// Facts about NIR nodes.
[<RequireQualifiedAccess>]
module NirNode =
    /// The type name that nir.write stores in the node's `type` dataset.
    let typeName (node: NirNode) =
        match node with
        | NirNode.Input _ -> "Input"
        | NirNode.Output _ -> "Output"
        | NirNode.Affine _ -> "Affine"
        | NirNode.Linear _ -> "Linear"
        | NirNode.Conv1d _ -> "Conv1d"
        | NirNode.Conv2d _ -> "Conv2d"
        | NirNode.Flatten _ -> "Flatten"
        | NirNode.SumPool2d _ -> "SumPool2d"
        | NirNode.AvgPool2d _ -> "AvgPool2d"
        | NirNode.Scale _ -> "Scale"
        | NirNode.Threshold _ -> "Threshold"
        | NirNode.Delay _ -> "Delay"
        | NirNode.I _ -> "I"
        | NirNode.LI _ -> "LI"
        | NirNode.IF _ -> "IF"
        | NirNode.LIF _ -> "LIF"
        | NirNode.CubaLIF _ -> "CubaLIF"
        | NirNode.Graph _ -> "NIRGraph"

/// Text of arrays and names in messages.
module internal Text =
    /// "1,2,3".
    let join (xs: 'a seq) = System.String.Join(",", xs |> Seq.map string)
    /// "a, b, c".
    let names (xs: string list) = String.concat ", " xs
