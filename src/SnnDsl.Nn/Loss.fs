namespace SnnDsl.Nn

open SnnDsl.Torch

/// Training objectives over time-first outputs O [T, N, classes] (docs/science.md, "Training objectives").
[<RequireQualifiedAccess>]
type Loss =
    /// Cross entropy of the mean output over time, with optional label smoothing.
    | MeanOutputCrossEntropy of labelSmoothing: float
    /// TET (Deng et al. 2022): (1 - lambda) mean_t CE(O_t, y) + lambda mean_t MSE(O_t, phi).
    | Tet of lambda: float * phi: float * labelSmoothing: float
    /// MSE between spike counts of the output layer (summed over T) and T x one-hot(y).
    | CountMse

/// Default objectives, evaluation of a loss, and accuracy.
[<RequireQualifiedAccess>]
module Loss =
    /// Cross entropy of the mean output over time, without label smoothing.
    let ce = Loss.MeanOutputCrossEntropy 0.0
    /// TET's default weight of the MSE term (the AR-LIF paper's setting).
    let tetLambda = 0.05
    /// TET's default MSE target phi.
    let tetPhi = 1.0
    /// TET with the AR-LIF settings (lambda 0.05, phi 1.0).
    let tet = Loss.Tet(tetLambda, tetPhi, 0.0)

    /// The prediction: mean over time of the outputs, [N, classes].
    let prediction (outputs: Tensor) = outputs.Mean(0)

    /// How many samples the prediction classifies correctly.
    let correct (outputs: Tensor) (labels: Tensor) : int64 =
        use _ = Autograd.noGrad ()
        use hits = (prediction outputs).Argmax(1).Eq(labels).Sum()
        int64 (hits.ToScalar())

    /// The scalar loss of outputs [T, N, classes] against int64 labels [N].
    let compute (loss: Loss) (outputs: Tensor) (labels: Tensor) : Tensor =
        if outputs.Dim <> 3 then invalidArg "outputs" $"expected outputs [T, N, classes], got shape {SnnDsl.Core.Shape.text outputs.Shape}"
        match loss with
        | Loss.MeanOutputCrossEntropy ls -> Nn.CrossEntropy(outputs.Mean(0), labels, labelSmoothing = ls)
        | Loss.Tet(lambda, phi, ls) ->
            let shape = outputs.Shape
            let steps = shape[0]
            // mean_t CE(O_t, y) = CE over the T x N rows with labels repeated per step.
            let flat = outputs.Flatten(0, 1)
            let repeated = labels.Unsqueeze(0).Expand(steps, shape[1]).Flatten()
            let ce = Nn.CrossEntropy(flat, repeated, labelSmoothing = ls)
            if lambda = 0.0 then ce
            else
                let target = Tensor.FullLike(outputs, phi)
                (1.0 - lambda) * ce + lambda * Nn.Mse(outputs, target)
        | Loss.CountMse ->
            let shape = outputs.Shape
            let counts = outputs.Sum(0)
            let target = Nn.OneHot(labels, shape[2]).To(outputs.DType) * float shape[0]
            Nn.Mse(counts, target)

    /// Parses ce | tet | mse.
    let parse (name: string) =
        match name.Trim().ToLowerInvariant() with
        | "ce" -> Ok ce
        | "tet" -> Ok tet
        | "mse" -> Ok Loss.CountMse
        | other -> Error $"unknown loss '{other}'; valid losses: ce, tet, mse"
