namespace SnnDsl.Core

open System
open SnnDsl.Torch

/// A value during tensor evaluation: a plain number (constants, fixed options, untouched initial states)
/// or a tensor. Keeping numbers as numbers lets `beta * V + X` use libtorch's tensor-scalar kernels and
/// skips work on the first step, where every state is still its initial constant.
[<RequireQualifiedAccess>]
type TValue =
    | Number of float
    | Tensor of Tensor

/// The state of a layer of neurons between steps, one value per state variable. Explicit: a new batch
/// starts from `TensorNeuron.initialState`, nothing needs resetting by hand.
type NeuronState = Map<string, TValue>

/// What one step produced: the spike tensor, the next state, and every binding's value.
type TensorStep = { Spike: Tensor; State: NeuronState; Values: Map<string, TValue> }

/// The eager tensor interpreter of a Neuron, with autograd through libtorch: Spike nodes become the
/// surrogate-gradient spike op, Detach nodes cut the graph. Inputs are [N, ...] per step and [T, N, ...]
/// for multi-step runs (time first).
[<RequireQualifiedAccess>]
module TensorNeuron =
    // "[2, 3, 8]": an int[] interpolated directly would print as "System.Int32[]".
    let private shapeText (shape: int[]) = "[" + String.Join(", ", shape) + "]"

    let private unary (op: UnaryOp) (t: Tensor) =
        match op with
        | UnaryOp.Neg -> -t
        | UnaryOp.Tanh -> t.Tanh()
        | UnaryOp.Sigmoid -> t.Sigmoid()
        | UnaryOp.Exp -> t.Exp()
        | UnaryOp.Log -> t.Log()
        | UnaryOp.Relu -> t.Relu()
        | UnaryOp.Abs -> t.Abs()

    // Identities with exact results for finite values (inputs are checked finite where they enter):
    // they drop e.g. the `0 * S` of a hard reset to 0, a full-size multiply per step.
    let private fold (op: BinaryOp) (a: TValue) (b: TValue) : TValue option =
        match op, a, b with
        | BinaryOp.Add, TValue.Number 0.0, v
        | BinaryOp.Add, v, TValue.Number 0.0
        | BinaryOp.Sub, v, TValue.Number 0.0
        | BinaryOp.Mul, TValue.Number 1.0, v
        | BinaryOp.Mul, v, TValue.Number 1.0
        | BinaryOp.Div, v, TValue.Number 1.0 -> Some v
        | BinaryOp.Mul, TValue.Number 0.0, TValue.Tensor _
        | BinaryOp.Mul, TValue.Tensor _, TValue.Number 0.0 -> Some(TValue.Number 0.0)
        | _ -> None

    // min/max pick the LEFT operand on ties, value and gradient, as the oracle does (libtorch's
    // minimum/maximum would split a tie's gradient between both operands): where(a <= b, a, b).
    let private pick (op: BinaryOp) (a: Tensor) (b: Tensor) =
        let keepLeft = if op = BinaryOp.Min then a.Le(b) else a.Ge(b)
        Tensor.Where(keepLeft, a, b)

    let private tensorOp (op: BinaryOp) (x: Tensor) (y: Tensor) =
        match op with
        | BinaryOp.Add -> x + y
        | BinaryOp.Sub -> x - y
        | BinaryOp.Mul -> x * y
        | BinaryOp.Div -> x / y
        | BinaryOp.Min | BinaryOp.Max -> pick op x y

    // A number beside a tensor, as a 0-d tensor of the same dtype and device (for where).
    let private scalarLike (t: Tensor) (v: float) = Tensor.Scalar(v, t.DType, t.Device)

    let private binary (op: BinaryOp) (a: TValue) (b: TValue) : TValue =
        match fold op a b with
        | Some v -> v
        | None ->
        match a, b with
        | TValue.Number x, TValue.Number y -> TValue.Number(Scalar.binary op x y)
        | TValue.Tensor x, TValue.Tensor y -> TValue.Tensor(tensorOp op x y)
        | TValue.Tensor x, TValue.Number y ->
            TValue.Tensor(
                match op with
                | BinaryOp.Add -> x + y
                | BinaryOp.Sub -> x - y
                | BinaryOp.Mul -> x * y
                | BinaryOp.Div -> x / y
                // One kernel; clamp's gradient at a tie goes to x, the left operand, as required.
                | BinaryOp.Min -> x.Clamp(max = y)
                | BinaryOp.Max -> x.Clamp(min = y)
            )
        | TValue.Number x, TValue.Tensor y ->
            TValue.Tensor(
                match op with
                | BinaryOp.Add -> x + y
                | BinaryOp.Sub -> x - y
                | BinaryOp.Mul -> x * y
                | BinaryOp.Div -> x / y
                | BinaryOp.Min | BinaryOp.Max -> pick op (scalarLike y x) y
            )

    let rec private eval (pars: Map<string, TValue>) (state: NeuronState) (env: Map<string, TValue>) (x: Tensor) e : TValue =
        let go = eval pars state env x
        match e with
        | Input -> TValue.Tensor x
        | State s -> state[s]
        | Param p -> pars[p]
        | Const c -> TValue.Number c
        | Ref r -> env[r]
        | Unary(op, u) ->
            match go u with
            | TValue.Number v -> TValue.Number(Scalar.unary op v)
            | TValue.Tensor t -> TValue.Tensor(unary op t)
        | Binary(op, l, r) -> binary op (go l) (go r)
        | Spike(s, u) ->
            match go u with
            | TValue.Number v -> TValue.Number(Surrogate.heaviside v)
            | TValue.Tensor t -> TValue.Tensor(Nn.Spike(t, s))
        | Detach u ->
            match go u with
            | TValue.Number v -> TValue.Number v
            | TValue.Tensor t -> TValue.Tensor(t.Detach())

    /// A value as a tensor shaped like `like`: numbers are filled in, and tensors that depend on parameters
    /// only (shaped [], [C, 1, ...] or [...]) are broadcast (an expanded view, so gradients still sum).
    let materialize (like: Tensor) (v: TValue) =
        match v with
        | TValue.Tensor t ->
            let shape = like.Shape
            if t.Shape = shape then t else t.Expand(shape)
        | TValue.Number n -> Tensor.FullLike(like, n)

    /// The shape a parameter of the given granularity has for per-step inputs of shape [N, ...] (batch dim
    /// excluded): [] per layer, [C] per channel (dim 1 of the input), the full [...] per neuron.
    let paramShape (granularity: Granularity) (stepShape: int[]) : int[] =
        match granularity with
        | Granularity.PerLayer -> [||]
        | Granularity.PerChannel ->
            if stepShape.Length < 2 then invalidArg "stepShape" $"a per-channel parameter needs inputs [N, C, ...], got {shapeText stepShape}"
            [| stepShape[1] |]
        | Granularity.PerNeuron -> stepShape[1..]

    /// Effective parameter values squash(raw) ready to broadcast against per-step inputs of rank `rank`.
    /// Parameters given as tensors (learnable ones, raw) are squashed with tensor ops so gradients reach
    /// them; the others take their raw value from the neuron definition.
    let effective (n: Neuron) (raw: Map<string, Tensor>) (rank: int) : Map<string, TValue> =
        for KeyValue(name, _) in raw do
            if not (n.Params |> List.exists (fun p -> p.Name = name)) then
                let valid = String.Join(", ", Neuron.paramNames n)
                invalidArg "raw" $"neuron '{n.Name}' has no parameter '{name}'; parameters: {valid}"
        n.Params
        |> List.map (fun p ->
            let value =
                match raw.TryFind p.Name with
                | None -> TValue.Number(Squash.apply p.Squash p.Init)
                | Some t ->
                    let squashed =
                        match p.Squash with
                        | Squash.None -> t
                        | Squash.Tanh -> t.Tanh()
                        | Squash.Sigmoid -> t.Sigmoid()
                    // [C] must line up with dim 1 of [N, C, H, W]: append singleton dims.
                    let aligned =
                        if p.Granularity = Granularity.PerChannel && rank > 2 then
                            squashed.Reshape(Array.append squashed.Shape (Array.create (rank - 2) 1))
                        else squashed
                    TValue.Tensor aligned
            p.Name, value)
        |> Map.ofList

    /// The initial state: each state variable's constant initial value.
    let initialState (n: Neuron) : NeuronState =
        n.States |> List.map (fun s -> s.Name, TValue.Number s.Init) |> Map.ofList

    /// One step on x [N, ...] with effective parameters (see `effective`).
    let step (n: Neuron) (pars: Map<string, TValue>) (state: NeuronState) (x: Tensor) : TensorStep =
        let env = n.Bindings |> List.fold (fun env b -> Map.add b.Name (eval pars state env x b.Expr) env) Map.empty
        let next = n.Updates |> List.map (fun u -> u.Name, eval pars state env x u.Expr) |> Map.ofList
        { Spike = materialize x env[n.Output]; State = next; Values = env }

    /// Runs x [T, N, ...] from `state` (default: the initial state); returns the spikes [T, N, ...] and the
    /// final state. The time loop walks `Unbind(0)` views, whose backward writes one gradient buffer.
    let run (n: Neuron) (raw: Map<string, Tensor>) (state: NeuronState option) (x: Tensor) : Tensor * NeuronState =
        if x.Dim < 2 then invalidArg "x" $"expected an input [T, N, ...], got shape {shapeText x.Shape}"
        let pars = effective n raw (x.Dim - 1)
        let mutable s = defaultArg state (initialState n)
        let spikes =
            [| for xt in x.Unbind(0) do
                   let r = step n pars s xt
                   s <- r.State
                   yield r.Spike |]
        Tensor.Stack(spikes), s

    /// Like run, but also returns every step's bindings and states (for traces and plots).
    let trace (n: Neuron) (raw: Map<string, Tensor>) (x: Tensor) : TensorStep[] =
        if x.Dim < 2 then invalidArg "x" $"expected an input [T, N, ...], got shape {shapeText x.Shape}"
        let pars = effective n raw (x.Dim - 1)
        let mutable s = initialState n
        [| for xt in x.Unbind(0) do
               let r = step n pars s xt
               s <- r.State
               yield r |]
