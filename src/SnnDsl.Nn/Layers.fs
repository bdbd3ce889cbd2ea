namespace SnnDsl.Nn

open System
open SnnDsl.Torch

/// 2-D convolution over [T, N, C, H, W] (time merged into the batch). Kaiming-normal weights.
type Conv2d(inChannels: int, outChannels: int, kernel: int, ?stride: int, ?padding: int, ?bias: bool, ?groups: int) as this =
    inherit Module()
    let stride = defaultArg stride 1
    let padding = defaultArg padding (kernel / 2)
    let groups = defaultArg groups 1
    let fanIn = inChannels / groups * kernel * kernel
    let weight = this.RegisterParameter("weight", Tensor.Empty([| outChannels; inChannels / groups; kernel; kernel |], device = Module.ConstructionDevice))
    do Init.kaimingNormal fanIn weight
    let bias =
        if defaultArg bias false then
            let b = this.RegisterParameter("bias", Tensor.Zeros([| outChannels |], device = Module.ConstructionDevice))
            Some b
        else None
    let counter = SynapseCounter()
    /// The learned weight tensor (a registered parameter).
    member _.Weight = weight
    /// The learned bias, if the layer has one.
    member _.Bias = bias
    /// Counts the synaptic operations of each forward pass (the energy estimate reads it).
    member _.Counter = counter
    /// The convolution's stride (the same in both dimensions).
    member _.Stride = stride
    /// Zero padding on every side (default kernel / 2, which keeps the size for odd kernels at stride 1).
    member _.Padding = padding
    /// How many groups the input and output channels are split into (1: a dense convolution).
    member _.Groups = groups
    override this.Forward(x) =
        this.CheckInput(x, weight)
        if x.Dim <> 5 then invalidArg "x" $"Conv2d expects [T, N, C, H, W], got shape {SnnDsl.Core.Shape.text x.Shape}"
        let c = x.Shape[2]
        if c <> inChannels then invalidArg "x" $"Conv2d({inChannels}->{outChannels}) got {c} input channels"
        let y = Time.merged (fun m -> Nn.Conv2d(m, weight, ?bias = bias, stride = stride, padding = padding, groups = groups)) x
        let ys = y.Shape
        counter.Record(x, int64 fanIn * int64 outChannels * int64 ys[3] * int64 ys[4])
        y
    override _.Describe() = $"Conv2d({inChannels}->{outChannels}, k={kernel}, s={stride}, p={padding})"
    interface ISynaptic with
        /// Counts the synaptic operations of each forward pass (the energy estimate reads it).
        member _.Counter = counter

/// Fully connected layer over [T, N, in] (or any [T, N, ..., in]).
type Linear(inFeatures: int, outFeatures: int, ?bias: bool) as this =
    inherit Module()
    let weight = this.RegisterParameter("weight", Tensor.Empty([| outFeatures; inFeatures |], device = Module.ConstructionDevice))
    do Init.kaimingNormal inFeatures weight
    let bias =
        if defaultArg bias true then
            let b = this.RegisterParameter("bias", Tensor.Empty([| outFeatures |], device = Module.ConstructionDevice))
            Init.fanInUniform inFeatures b
            Some b
        else None
    let counter = SynapseCounter()
    /// The learned weight tensor (a registered parameter).
    member _.Weight = weight
    /// The learned bias, if the layer has one.
    member _.Bias = bias
    /// Counts the synaptic operations of each forward pass (the energy estimate reads it).
    member _.Counter = counter
    override this.Forward(x) =
        this.CheckInput(x, weight)
        let f = x.Shape[x.Dim - 1]
        if f <> inFeatures then invalidArg "x" $"Linear({inFeatures}->{outFeatures}) got {f} input features (shape {SnnDsl.Core.Shape.text x.Shape})"
        let y = Nn.Linear(x, weight, ?bias = bias)
        // Per sample and step, every row between N and the features is a separate product.
        let shape = x.Shape
        let rows = if shape.Length > 3 then shape[2 .. shape.Length - 2] |> Array.fold (fun acc d -> acc * int64 d) 1L else 1L
        counter.Record(x, int64 inFeatures * int64 outFeatures * rows)
        y
    override _.Describe() = $"Linear({inFeatures}->{outFeatures})"
    interface ISynaptic with
        /// Counts the synaptic operations of each forward pass (the energy estimate reads it).
        member _.Counter = counter

/// Training-mode batch normalisation computed elsewhere than from this process's batch alone (SnnDsl.Distributed
/// synchronises the statistics across data-parallel ranks). Normalize gets x [T, N, C, ...] (channels at dim 2),
/// the layer's affine parameters and running statistics (to update in place), momentum and eps.
type IBatchNormStatistics =
    /// Normalises x in training mode, updating the running statistics in place; returns the output [T, N, C, ...].
    abstract Normalize:
        x: Tensor * weight: Tensor * bias: Tensor * runningMean: Tensor * runningVar: Tensor * momentum: float * eps: float ->
            Tensor

/// BatchNorm's defaults (PyTorch's), written once: the layer's optional arguments and the C# builder's.
[<RequireQualifiedAccess>]
module BatchNormDefaults =
    /// The running statistics' momentum.
    [<Literal>]
    let Momentum = 0.1
    /// Added to the variance.
    [<Literal>]
    let Eps = 1e-5

/// Batch normalisation over channels (dim 2 of [T, N, C, ...]) with statistics over T x N x spatial,
/// as tdBN-style SNNs use; running statistics are buffers.
type BatchNorm(channels: int, ?momentum: float, ?eps: float) as this =
    inherit Module()
    let momentum = defaultArg momentum BatchNormDefaults.Momentum
    let eps = defaultArg eps BatchNormDefaults.Eps
    let weight = this.RegisterParameter("weight", Tensor.Ones([| channels |], device = Module.ConstructionDevice))
    let bias = this.RegisterParameter("bias", Tensor.Zeros([| channels |], device = Module.ConstructionDevice))
    let runningMean = this.RegisterBuffer("running_mean", Tensor.Zeros([| channels |], device = Module.ConstructionDevice))
    let runningVar = this.RegisterBuffer("running_var", Tensor.Ones([| channels |], device = Module.ConstructionDevice))
    /// The learned weight tensor (a registered parameter).
    member _.Weight = weight
    /// The learned bias, if the layer has one.
    member _.Bias = bias
    /// The running mean per channel, used in evaluation mode.
    member _.RunningMean = runningMean
    /// The running variance per channel, used in evaluation mode.
    member _.RunningVar = runningVar
    /// The weight of each new batch in the running statistics.
    member _.Momentum = momentum
    /// Added to the variance before its square root.
    member _.Eps = eps
    /// When set, training mode takes its statistics from here (e.g. synchronised across ranks); eval mode
    /// always uses the running statistics.
    member val Statistics: IBatchNormStatistics option = None with get, set
    override this.Forward(x) =
        this.CheckInput(x, weight)
        if x.Dim < 3 || x.Shape[2] <> channels then
            invalidArg "x" $"BatchNorm({channels}) expects [T, N, {channels}, ...], got shape {SnnDsl.Core.Shape.text x.Shape}"
        match this.Statistics with
        | Some s when this.IsTraining -> s.Normalize(x, weight, bias, runningMean, runningVar, momentum, eps)
        | _ ->
            Time.merged
                (fun m ->
                    Nn.BatchNorm(m, Some runningMean, Some runningVar, weight, bias, training = this.IsTraining, momentum = momentum, eps = eps))
                x
    override _.Describe() = $"BatchNorm({channels})"

/// Max pooling over [T, N, C, H, W].
type MaxPool2d(kernel: int, ?stride: int, ?padding: int) =
    inherit Module()
    let stride = defaultArg stride kernel
    let padding = defaultArg padding 0
    override this.Forward(x) =
        this.CheckNotDisposed()
        Time.merged (fun m -> Nn.MaxPool2d(m, kernel, stride, padding)) x
    override _.Describe() = $"MaxPool2d({kernel})"

/// Average pooling over [T, N, C, H, W].
type AvgPool2d(kernel: int, ?stride: int, ?padding: int) =
    inherit Module()
    let stride = defaultArg stride kernel
    let padding = defaultArg padding 0
    /// The side of the square pooling window.
    member _.Kernel = kernel
    /// The window's stride (default: the kernel size).
    member _.Stride = stride
    /// Zero padding on every side (default 0).
    member _.Padding = padding
    override this.Forward(x) =
        this.CheckNotDisposed()
        Time.merged (fun m -> Nn.AvgPool2d(m, kernel, stride, padding)) x
    override _.Describe() = $"AvgPool2d({kernel})"

/// Adaptive average pooling to a fixed size over [T, N, C, H, W].
type AdaptiveAvgPool2d(outHeight: int, outWidth: int) =
    inherit Module()
    /// The height of the pooled output.
    member _.OutHeight = outHeight
    /// The width of the pooled output.
    member _.OutWidth = outWidth
    override this.Forward(x) =
        this.CheckNotDisposed()
        Time.merged (fun m -> Nn.AdaptiveAvgPool2d(m, outHeight, outWidth)) x
    override _.Describe() = $"AdaptiveAvgPool2d({outHeight}x{outWidth})"

/// Dropout, active in training mode only. The mask is drawn per time step.
type Dropout(p: float) =
    inherit Module()
    do if p < 0.0 || p >= 1.0 then invalidArg "p" $"dropout probability must be in [0, 1), got {p}"
    override this.Forward(x) =
        this.CheckNotDisposed()
        Nn.Dropout(x, p, this.IsTraining)
    override _.Describe() = $"Dropout({p})"

/// Flattens [T, N, ...] to [T, N, features].
type Flatten() =
    inherit Module()
    override this.Forward(x) =
        this.CheckNotDisposed()
        x.Flatten(2)
    override _.Describe() = "Flatten"

/// Runs modules in order.
type Sequential(modules: Module seq) as this =
    inherit Module()
    let layers = modules |> Seq.toArray
    do layers |> Array.iteri (fun i m -> this.RegisterModule(string i, m) |> ignore)
    /// The modules, in the order they run.
    member _.Layers = layers
    override this.Forward(x) =
        this.CheckNotDisposed()
        let mutable h = x
        for m in layers do
            h <- m.Forward h
        h
    override _.Describe() = "Sequential"
