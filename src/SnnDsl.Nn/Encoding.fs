namespace SnnDsl.Nn

open System
open System.Globalization
open SnnDsl.Torch

/// How an input reaches a network's T steps, as snnTorch's `spikegen` and SpikingJelly's encoders do it.
/// A static input is [N, C, H, W] (one value per element for all T steps); an input with a time axis
/// (event frames) is [T, N, ...] already. Every encoder but Direct emits spikes (0/1, or -1 for Delta's off
/// spikes) with no gradient.
[<RequireQualifiedAccess>]
type Encoding =
    /// The value itself at every step ("direct" or analog encoding: the first layer is the encoder; the
    /// default of SpikingJelly's and snnTorch's conv-net recipes). Frames pass as they are.
    | Direct
    /// At each step, a spike with probability clamp(gain * x, 0, 1), independently (snntorch.spikegen.rate):
    /// the mean spike count over T steps is clamp(gain * x, 0, 1) * T. Frames: per frame, the same.
    | Rate of gain: float
    /// One spike per element, at step round((T - 1) * (1 - clamp(x, 0, 1))): larger values fire earlier,
    /// 1 at the first step; values below the threshold never fire (snntorch.spikegen.latency with
    /// linear=True, normalize=True). Static inputs only.
    | Latency of threshold: float
    /// A spike where the input rises by at least the threshold from the previous step (x before the first
    /// step is 0), and with offSpikes a -1 where it falls by as much (snntorch.spikegen.delta): a static input
    /// fires once, at the first step, where x >= threshold; frames fire where they change.
    | Delta of threshold: float * offSpikes: bool

/// The encoders' defaults, text forms, checks and the encoding of a batch.
[<RequireQualifiedAccess>]
module Encoding =
    /// Rate's default gain.
    [<Literal>]
    let DefaultGain = 1.0

    /// Latency's default threshold (snnTorch's).
    [<Literal>]
    let DefaultLatencyThreshold = 0.01

    /// Delta's default threshold (snnTorch's).
    [<Literal>]
    let DefaultDeltaThreshold = 0.1

    /// The encoders' names.
    let names = [ "direct"; "rate"; "latency"; "delta" ]

    let private num (x: float) = x.ToString("R", CultureInfo.InvariantCulture)

    /// The text form, which `parse` reads back: direct | rate:GAIN | latency:THRESHOLD | delta:THRESHOLD[:off].
    let text (e: Encoding) =
        match e with
        | Encoding.Direct -> "direct"
        | Encoding.Rate g -> $"rate:{num g}"
        | Encoding.Latency t -> $"latency:{num t}"
        | Encoding.Delta(t, false) -> $"delta:{num t}"
        | Encoding.Delta(t, true) -> $"delta:{num t}:off"

    /// Whether the encoder emits spikes (every encoder but Direct): the first synaptic layer then does
    /// accumulates, not multiply-accumulates (the energy estimate).
    let isSpiking (e: Encoding) = e <> Encoding.Direct

    /// What is wrong with an encoder's parameters, if anything.
    let problem (e: Encoding) : string option =
        match e with
        | Encoding.Rate g when not (g > 0.0) || Double.IsInfinity g -> Some $"rate encoding's gain must be a positive number, got {g}"
        | Encoding.Latency t when not (t >= 0.0 && t < 1.0) -> Some $"latency encoding's threshold must be in [0, 1), got {t}"
        | Encoding.Delta(t, _) when not (t > 0.0) || Double.IsInfinity t -> Some $"delta encoding's threshold must be a positive number, got {t}"
        | _ -> None

    /// Reads direct | rate[:GAIN] | latency[:THRESHOLD] | delta[:THRESHOLD[:off]] (the defaults where a
    /// parameter is left out); the error says what is valid.
    let parse (s: string) : Result<Encoding, string> =
        let s = if isNull s then "" else s.Trim().ToLowerInvariant()
        let number (what: string) (p: string) =
            match Double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture) with
            | true, v -> Ok v
            | _ -> Error $"encoding '{s}': the {what} '{p}' is not a number"
        let checkedOk e = match problem e with Some p -> Error p | None -> Ok e
        match s.Split ':' |> List.ofArray with
        | [ "direct" ] -> Ok Encoding.Direct
        | [ "rate" ] -> Ok(Encoding.Rate DefaultGain)
        | [ "rate"; g ] -> number "gain" g |> Result.bind (Encoding.Rate >> checkedOk)
        | [ "latency" ] -> Ok(Encoding.Latency DefaultLatencyThreshold)
        | [ "latency"; t ] -> number "threshold" t |> Result.bind (Encoding.Latency >> checkedOk)
        | [ "delta" ] -> Ok(Encoding.Delta(DefaultDeltaThreshold, false))
        | [ "delta"; t ] -> number "threshold" t |> Result.bind (fun t -> checkedOk (Encoding.Delta(t, false)))
        | [ "delta"; t; "off" ] -> number "threshold" t |> Result.bind (fun t -> checkedOk (Encoding.Delta(t, true)))
        | _ ->
            Error
                $"unknown encoding '{s}'; valid encodings: direct, rate[:gain], latency[:threshold], delta[:threshold[:off]]"

    /// The values scaled and shifted, x' = scale * x + shift (x itself for 1 and 0).
    let transform (scale: float) (shift: float) (x: Tensor) =
        if scale = 1.0 && shift = 0.0 then x
        elif shift = 0.0 then x * scale
        else x * scale + shift

    /// Delta over a sequence [T, N, ...]: +1 where x_t - x_(t-1) >= threshold (x_(-1) = 0), -1 where it is
    /// <= -threshold when offSpikes.
    let private delta (threshold: float) (offSpikes: bool) (x: Tensor) =
        let steps = x.Shape[0]
        let previous = Tensor.Cat([ Tensor.ZerosLike(x.Narrow(0, 0, 1)); x.Narrow(0, 0, steps - 1) ], 0)
        let change = x - previous
        let on = change.Ge(threshold).To(x.DType)
        if offSpikes then on - change.Le(-threshold).To(x.DType) else on

    /// The T steps a network sees of a static input [N, ...]: [T, N, ...].
    let steps (timesteps: int) (e: Encoding) (x: Tensor) : Tensor =
        if timesteps < 1 then invalidArg (nameof timesteps) $"encoding needs at least 1 time step, got {timesteps}"
        let shape = Array.append [| timesteps |] x.Shape
        match e with
        | Encoding.Direct -> x.Unsqueeze(0).Expand(shape)
        | Encoding.Rate gain ->
            let p = (x * gain).Clamp(0.0, 1.0)
            Tensor.Rand(shape, x.DType, x.Device).Lt(p.Unsqueeze 0).To(x.DType)
        | Encoding.Latency threshold ->
            let v = x.Clamp(0.0, 1.0)
            let at = ((1.0 - v) * float (timesteps - 1)).Round()
            let t = Tensor.Arange(0.0, float timesteps, dtype = x.DType, device = x.Device)
            let t = t.Reshape(Array.append [| timesteps |] (Array.create x.Dim 1))
            t.Eq(at.Unsqueeze 0).LogicalAnd(x.Ge(threshold).Unsqueeze 0).To(x.DType)
        | Encoding.Delta(threshold, offSpikes) -> delta threshold offSpikes (x.Unsqueeze(0).Expand(shape))

    /// An input that already has its time axis [T, N, ...] (event frames), encoded step by step; Latency,
    /// which places one spike in time, is refused (an ArgumentException): the frames are already in time.
    let frames (e: Encoding) (x: Tensor) : Tensor =
        match e with
        | Encoding.Direct -> x
        | Encoding.Rate gain -> Tensor.Rand(x.Shape, x.DType, x.Device).Lt((x * gain).Clamp(0.0, 1.0)).To(x.DType)
        | Encoding.Latency _ ->
            invalidArg (nameof x) "latency encoding places one spike per value in time; it needs static inputs [N, C, H, W], not frames [T, N, ...] that already are in time"
        | Encoding.Delta(threshold, offSpikes) -> delta threshold offSpikes x
