namespace SnnDsl.Data

open System

/// Per-channel normalisation of [0,1] pixels: x' = (x - Mean[c]) / Std[c].
type Normalization =
    { /// The mean subtracted from each channel, one per channel.
      Mean: float32[]
      /// The standard deviation each channel is divided by, one per channel.
      Std: float32[] }

    /// The usual CIFAR-10 training-set statistics.
    static member Cifar10 = { Mean = [| 0.4914f; 0.4822f; 0.4465f |]; Std = [| 0.2470f; 0.2435f; 0.2616f |] }
    /// The usual CIFAR-100 training-set statistics.
    static member Cifar100 = { Mean = [| 0.5071f; 0.4865f; 0.4409f |]; Std = [| 0.2673f; 0.2564f; 0.2762f |] }

    /// Normalises a [C, H, W] sample in place (channels = C, plane = H * W).
    member n.Apply(channels: int, plane: int, sample: Span<float32>) =
        if n.Mean.Length <> channels || n.Std.Length <> channels then
            invalidArg "channels" $"normalisation has {n.Mean.Length} means and {n.Std.Length} stds for {channels} channels"
        for c in 0 .. channels - 1 do
            let m = n.Mean[c]
            let inv = 1.0f / n.Std[c]
            let s = sample.Slice(c * plane, plane)
            for i in 0 .. plane - 1 do
                s[i] <- (s[i] - m) * inv
