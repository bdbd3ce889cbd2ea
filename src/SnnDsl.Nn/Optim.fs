namespace SnnDsl.Nn

open System
open SnnDsl.Torch

/// Optimiser settings.
[<RequireQualifiedAccess>]
type OptimizerKind =
    /// Stochastic gradient descent with this momentum (0: none), Nesterov's variant when `nesterov`.
    | Sgd of momentum: float * nesterov: bool
    /// Adam (Kingma and Ba) with these betas and eps; weight decay is added to the gradient (L2).
    | Adam of beta1: float * beta2: float * eps: float
    /// Adam with decoupled weight decay (Loshchilov and Hutter).
    | AdamW of beta1: float * beta2: float * eps: float

/// The optimisers with their usual settings, written once (torch.optim's defaults).
[<RequireQualifiedAccess>]
module OptimizerKind =
    /// SGD with this momentum (no Nesterov).
    let sgd (momentum: float) = OptimizerKind.Sgd(momentum, false)
    /// Adam with betas (0.9, 0.999) and eps 1e-8.
    let adam = OptimizerKind.Adam(0.9, 0.999, 1e-8)
    /// AdamW with betas (0.9, 0.999) and eps 1e-8.
    let adamW = OptimizerKind.AdamW(0.9, 0.999, 1e-8)

/// A first-order optimiser over a fixed list of parameters, updating them in place without autograd.
/// Parameters without a gradient are skipped, and Adam counts steps per parameter (as torch.optim
/// does), so a parameter first reached late gets the bias corrections of its own first step.
/// Its state (momentum buffers, moments, step counts) can be saved and restored for exact resumption.
type Optimizer(kind: OptimizerKind, parameters: Tensor list, lr: float, ?weightDecay: float) =
    let weightDecay = defaultArg weightDecay 0.0
    let ps = List.toArray parameters
    // Lazily created per-parameter state: momentum buffer (SGD) or first and second moments (Adam).
    let first: Tensor[] = Array.zeroCreate ps.Length
    let second: Tensor[] = Array.zeroCreate ps.Length
    // Updates applied to each parameter (Adam's bias corrections use these).
    let counts: int64[] = Array.zeroCreate ps.Length
    let mutable steps = 0L
    do
        if lr <= 0.0 || Double.IsNaN lr then invalidArg "lr" $"learning rate must be positive, got {lr}"
        if weightDecay < 0.0 then invalidArg "weightDecay" $"weight decay must be >= 0, got {weightDecay}"

    /// The learning rate of the next step (schedules set it).
    member val LearningRate = lr with get, set
    /// The update rule (SGD with momentum, Adam or AdamW).
    member _.Kind = kind
    /// The number of steps taken so far.
    member _.Steps = steps

    /// Drops every parameter's gradient.
    member _.ZeroGrad() =
        for p in ps do
            p.ZeroGrad(setToNone = true)

    /// Applies one update from the accumulated gradients.
    member this.Step() =
        use _ = Autograd.noGrad ()
        // Moment buffers outlive the step's TensorScope.
        let persist (t: Tensor) = TensorScope.Forget t
        steps <- steps + 1L
        let lr = this.LearningRate
        for i in 0 .. ps.Length - 1 do
            match ps[i].Grad with
            | None -> ()
            | Some g ->
                use g = g
                let p = ps[i]
                counts[i] <- counts[i] + 1L
                match kind with
                | OptimizerKind.Sgd(momentum, nesterov) ->
                    use d = if weightDecay <> 0.0 then g + p * weightDecay else g.Alias()
                    if momentum = 0.0 then p.AddInPlace(d, -lr)
                    else
                        if isNull first[i] then first[i] <- persist (d.Clone())
                        else
                            first[i].MulInPlace momentum
                            first[i].AddInPlace d
                        if nesterov then
                            use step = d + first[i] * momentum
                            p.AddInPlace(step, -lr)
                        else p.AddInPlace(first[i], -lr)
                | OptimizerKind.Adam(b1, b2, eps)
                | OptimizerKind.AdamW(b1, b2, eps) ->
                    let decoupled = match kind with OptimizerKind.AdamW _ -> true | _ -> false
                    if decoupled && weightDecay <> 0.0 then p.MulInPlace(1.0 - lr * weightDecay)
                    use d = if not decoupled && weightDecay <> 0.0 then g + p * weightDecay else g.Alias()
                    if isNull first[i] then
                        first[i] <- persist (Tensor.ZerosLike p)
                        second[i] <- persist (Tensor.ZerosLike p)
                    first[i].MulInPlace b1
                    first[i].AddInPlace(d, 1.0 - b1)
                    second[i].MulInPlace b2
                    second[i].AddcmulInPlace(d, d, 1.0 - b2)
                    let bc1 = 1.0 - Math.Pow(b1, float counts[i])
                    let bc2 = 1.0 - Math.Pow(b2, float counts[i])
                    use denom = (second[i] / bc2).Sqrt() + eps
                    p.AddcdivInPlace(first[i], denom, -lr / bc1)

    /// Scales gradients so their global L2 norm is at most maxNorm; returns the norm before clipping.
    member _.ClipGradNorm(maxNorm: float) =
        use _ = Autograd.noGrad ()
        let grads = ps |> Array.choose (fun p -> p.Grad)
        try
            let total = grads |> Array.sumBy (fun g -> (use n = g.Norm() in let v = n.ToScalar() in v * v)) |> sqrt
            if total > maxNorm then
                let scale = maxNorm / (total + 1e-6)
                for g in grads do g.MulInPlace scale
            total
        finally
            for g in grads do g.Dispose()

    /// The optimiser state as named tensors (for checkpoints).
    member _.State() : (string * Tensor) list =
        [ for i in 0 .. ps.Length - 1 do
              if not (isNull first[i]) then yield ($"first.{i}", first[i])
              if not (isNull second[i]) then yield ($"second.{i}", second[i])
              if counts[i] > 0L then yield ($"step.{i}", Tensor.Scalar(float counts[i], DType.Float64))
          yield ("steps", Tensor.Scalar(float steps, DType.Float64)) ]

    /// Restores a state written by State (copies; the given tensors stay the caller's).
    member _.LoadState(state: (string * Tensor) seq) =
        let mutable perParameter = false
        for name, t in state do
            match name.Split('.') with
            | [| "steps" |] -> steps <- int64 (t.ToScalar())
            | [| "step"; idx |] ->
                let i = int idx
                if i < 0 || i >= ps.Length then invalidArg "state" $"optimizer state names parameter {i} of {ps.Length}"
                counts[i] <- int64 (t.ToScalar())
                perParameter <- true
            | [| slot; idx |] when slot = "first" || slot = "second" ->
                let i = int idx
                if i < 0 || i >= ps.Length then invalidArg "state" $"optimizer state names parameter {i} of {ps.Length}"
                let arr = if slot = "first" then first else second
                if isNull arr[i] then arr[i] <- TensorScope.Forget(Tensor.ZerosLike ps[i])
                use _ = Autograd.noGrad ()
                arr[i].CopyFrom t
            | _ -> invalidArg "state" $"unknown optimizer state entry '{name}'"
        // A state saved before per-parameter counts: every parameter with moments had taken every step.
        if not perParameter then
            for i in 0 .. ps.Length - 1 do
                counts[i] <- if isNull first[i] then 0L else steps

    interface IDisposable with
        member _.Dispose() =
            for t in Array.append first second do
                if not (isNull t) then t.Dispose()
