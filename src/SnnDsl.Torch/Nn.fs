namespace SnnDsl.Torch

open System
open SnnDsl.Torch.Native

/// How a loss reduces over the batch.
[<RequireQualifiedAccess>]
type Reduction =
    /// One loss per element, not reduced (torch's reduction='none').
    | NoReduction
    /// The mean of the per-element losses; the default.
    | Mean
    /// The sum of the per-element losses.
    | Sum
    member internal r.Code = match r with NoReduction -> 0 | Mean -> 1 | Sum -> 2

/// Neural-network functions (torch.nn.functional), all differentiable and device-agnostic.
[<AbstractClass; Sealed>]
type Nn =
    static member private Opt(t: Tensor option) = match t with Some t -> t.Raw | None -> 0n
    static member private Pair(v: int) = [| int64 v; int64 v |]

    /// y = x W^T + b, for x [..., in] and W [out, in].
    static member Linear(x: Tensor, weight: Tensor, ?bias: Tensor) =
        let r = Tensor.Call("linear", OutFn(fun p -> snn_linear (x.H, weight.H, Nn.Opt bias, &p)))
        GC.KeepAlive bias
        r

    /// 2-D convolution of x [N, C, H, W] with weight [O, C/groups, kH, kW]; square stride/padding/dilation.
    static member Conv2d(x: Tensor, weight: Tensor, ?bias: Tensor, ?stride: int, ?padding: int, ?dilation: int, ?groups: int) =
        let s = Nn.Pair(defaultArg stride 1)
        let pd = Nn.Pair(defaultArg padding 0)
        let dl = Nn.Pair(defaultArg dilation 1)
        let r = Tensor.Call("conv2d", OutFn(fun p -> snn_conv2d (x.H, weight.H, Nn.Opt bias, s, pd, dl, int64 (defaultArg groups 1), &p)))
        GC.KeepAlive bias
        r

    /// Batch normalisation over dim 1 of x [N, C, ...]. In training mode it normalises with batch statistics
    /// and updates the running statistics in place (running = (1 - momentum) * running + momentum * batch,
    /// with the unbiased batch variance); in eval mode it uses the running statistics.
    static member BatchNorm
        (x: Tensor, runningMean: Tensor option, runningVar: Tensor option, ?weight: Tensor, ?bias: Tensor,
         ?training: bool, ?momentum: float, ?eps: float) =
        let train = defaultArg training true
        let r =
            Tensor.Call(
                "batch_norm",
                OutFn(fun p ->
                    snn_batch_norm (
                        x.H, Nn.Opt weight, Nn.Opt bias, Nn.Opt runningMean, Nn.Opt runningVar,
                        (if train then 1 else 0), defaultArg momentum 0.1, defaultArg eps 1e-5, &p))
            )
        GC.KeepAlive((weight, bias, runningMean, runningVar))
        r

    /// Max pooling with a square kernel (stride defaults to the kernel size).
    static member MaxPool2d(x: Tensor, kernel: int, ?stride: int, ?padding: int, ?ceilMode: bool) =
        let k = Nn.Pair kernel
        let s = Nn.Pair(defaultArg stride kernel)
        let pd = Nn.Pair(defaultArg padding 0)
        Tensor.Call("max_pool2d", OutFn(fun p -> snn_max_pool2d (x.H, k, s, pd, (if defaultArg ceilMode false then 1 else 0), &p)))

    /// Average pooling with a square kernel (stride defaults to the kernel size; padding counts by default).
    static member AvgPool2d(x: Tensor, kernel: int, ?stride: int, ?padding: int, ?ceilMode: bool, ?countIncludePad: bool) =
        let k = Nn.Pair kernel
        let s = Nn.Pair(defaultArg stride kernel)
        let pd = Nn.Pair(defaultArg padding 0)
        let ceil = if defaultArg ceilMode false then 1 else 0
        let cip = if defaultArg countIncludePad true then 1 else 0
        Tensor.Call("avg_pool2d", OutFn(fun p -> snn_avg_pool2d (x.H, k, s, pd, ceil, cip, &p)))

    /// Average pooling to a fixed output size [outH, outW].
    static member AdaptiveAvgPool2d(x: Tensor, outHeight: int, outWidth: int) =
        let o = [| int64 outHeight; int64 outWidth |]
        Tensor.Call("adaptive_avg_pool2d", OutFn(fun p -> snn_adaptive_avg_pool2d (x.H, o, &p)))

    /// Zeroes elements with probability p and scales the rest by 1/(1-p) in training; identity otherwise.
    static member Dropout(x: Tensor, p: float, training: bool) =
        Tensor.Call("dropout", OutFn(fun o -> snn_dropout (x.H, p, (if training then 1 else 0), &o)))

    /// Softmax along dim: exponentials normalised to sum to 1.
    static member Softmax(x: Tensor, dim: int) = Tensor.Call("softmax", OutFn(fun p -> snn_softmax (x.H, int64 dim, &p)))
    /// Log of the softmax along dim, computed stably.
    static member LogSoftmax(x: Tensor, dim: int) = Tensor.Call("log_softmax", OutFn(fun p -> snn_log_softmax (x.H, int64 dim, &p)))

    /// Cross entropy of logits [N, C] against int64 class indices [N], with optional label smoothing.
    static member CrossEntropy(logits: Tensor, target: Tensor, ?labelSmoothing: float, ?reduction: Reduction) =
        let red = (defaultArg reduction Reduction.Mean).Code
        Tensor.Call("cross_entropy", OutFn(fun p -> snn_cross_entropy (logits.H, target.H, red, defaultArg labelSmoothing 0.0, &p)))

    /// Mean squared error.
    static member Mse(input: Tensor, target: Tensor, ?reduction: Reduction) =
        let red = (defaultArg reduction Reduction.Mean).Code
        Tensor.Call("mse_loss", OutFn(fun p -> snn_mse_loss (input.H, target.H, red, &p)))

    /// One-hot int64 encoding of int64 indices.
    static member OneHot(indices: Tensor, numClasses: int) =
        Tensor.Call("one_hot", OutFn(fun p -> snn_one_hot (indices.H, int64 numClasses, &p)))

    /// Θ(x) forward (1 where x >= 0; x is the distance to threshold); backward, the gradient times
    /// `derivative`, dΘ/dx at x as the surrogate defines it (same shape, dtype and device as x), computed by
    /// the caller: the binding knows no surrogate. Without a derivative no gradient flows.
    static member Spike(x: Tensor, ?derivative: Tensor) =
        let r = Tensor.Call("spike", OutFn(fun p -> snn_spike (x.H, Nn.Opt derivative, &p)))
        GC.KeepAlive derivative
        r
