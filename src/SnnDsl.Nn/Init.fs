namespace SnnDsl.Nn

open SnnDsl.Torch

/// Weight initialisers (in place, outside autograd).
[<RequireQualifiedAccess>]
module Init =
    /// He/Kaiming normal for ReLU-like units: N(0, 2 / fanIn).
    let kaimingNormal (fanIn: int) (w: Tensor) =
        use _ = Autograd.noGrad ()
        w.NormalInPlace(0.0, sqrt (2.0 / float fanIn))

    /// U(-bound, bound) with bound = 1 / sqrt(fanIn), PyTorch's default for biases.
    let fanInUniform (fanIn: int) (t: Tensor) =
        use _ = Autograd.noGrad ()
        let b = 1.0 / sqrt (float fanIn)
        t.UniformInPlace(-b, b)
