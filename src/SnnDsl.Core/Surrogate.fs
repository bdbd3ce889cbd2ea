namespace SnnDsl.Core

/// A surrogate gradient for the spike op: the forward is always the Heaviside step Θ(x) (1 for x >= 0),
/// only the backward differs (docs/neurons.md, "Surrogate gradients"). x is the distance to threshold,
/// V - V_th. Each surrogate's derivative is written once, as a rule in `Ops.surrogateRule`.
[<RequireQualifiedAccess>]
type Surrogate =
    /// (1/a) * 1(|x| < a/2)
    | Rectangle of width: float
    /// (1/gamma^2) * max(0, gamma - |x|)
    | Triangle of gamma: float
    /// alpha * σ(alpha x) * (1 - σ(alpha x))
    | Sigmoid of alpha: float
    /// (alpha/2) / (1 + (pi/2 * alpha * x)^2)
    | Atan of alpha: float
    /// SuperSpike: 1 / (beta * |x| + 1)^2
    | FastSigmoid of beta: float

/// The surrogates by name, with the defaults of docs/neurons.md ("Surrogate gradients").
[<RequireQualifiedAccess>]
module Surrogate =
    /// The default rectangle width (also the C# facade's default argument: each default is written once).
    [<Literal>]
    let DefaultRectangleWidth = 1.0
    /// The default triangle gamma.
    [<Literal>]
    let DefaultTriangleGamma = 1.0
    /// The default sigmoid alpha.
    [<Literal>]
    let DefaultSigmoidAlpha = 4.0
    /// The default atan alpha.
    [<Literal>]
    let DefaultAtanAlpha = 2.0
    /// The default fast-sigmoid beta.
    [<Literal>]
    let DefaultFastSigmoidBeta = 10.0

    /// rectangle(1).
    let rectangle = Surrogate.Rectangle DefaultRectangleWidth
    /// triangle(1).
    let triangle = Surrogate.Triangle DefaultTriangleGamma
    /// sigmoid(4).
    let sigmoid = Surrogate.Sigmoid DefaultSigmoidAlpha
    /// atan(2).
    let atan = Surrogate.Atan DefaultAtanAlpha
    /// fast-sigmoid(10).
    let fastSigmoid = Surrogate.FastSigmoid DefaultFastSigmoidBeta

    /// The surrogate of `spike(x)` written without one: atan(2), snnTorch's default.
    let defaultSurrogate = atan

    /// Names as written on the command line, with their default parameter.
    let all = [ "rectangle", rectangle; "triangle", triangle; "sigmoid", sigmoid; "atan", atan; "fast-sigmoid", fastSigmoid ]

    /// The name and parameter, e.g. ("atan", 2.0).
    let describe (s: Surrogate) =
        match s with
        | Surrogate.Rectangle a -> "rectangle", a
        | Surrogate.Triangle g -> "triangle", g
        | Surrogate.Sigmoid a -> "sigmoid", a
        | Surrogate.Atan a -> "atan", a
        | Surrogate.FastSigmoid b -> "fast-sigmoid", b

    /// The same kind of surrogate with another parameter.
    let withParameter (p: float) (s: Surrogate) =
        match s with
        | Surrogate.Rectangle _ -> Surrogate.Rectangle p
        | Surrogate.Triangle _ -> Surrogate.Triangle p
        | Surrogate.Sigmoid _ -> Surrogate.Sigmoid p
        | Surrogate.Atan _ -> Surrogate.Atan p
        | Surrogate.FastSigmoid _ -> Surrogate.FastSigmoid p

    /// Parses "name" or "name:param", e.g. "sigmoid:4"; an unknown name lists the valid ones.
    let parse (text: string) : Result<Surrogate, string> =
        let valid = all |> List.map fst |> String.concat ", "
        let name, arg =
            match text.Split(':', 2) with
            | [| n |] -> n.Trim().ToLowerInvariant(), None
            | parts -> parts[0].Trim().ToLowerInvariant(), Some(parts[1].Trim())
        match List.tryFind (fun (n, _) -> n = name) all with
        | None -> Error $"unknown surrogate '{name}'; valid surrogates: {valid}"
        | Some(_, dflt) ->
            match arg with
            | None -> Ok dflt
            | Some a ->
                match System.Double.TryParse(a, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture) with
                | true, p when p > 0.0 && System.Double.IsFinite p -> Ok(withParameter p dflt)
                | _ -> Error $"surrogate '{name}' needs a positive number after ':', got '{a}'"

    /// Heaviside step with Θ(0) = 1 (0 for NaN).
    let heaviside (x: float) = if x >= 0.0 then 1.0 else 0.0
