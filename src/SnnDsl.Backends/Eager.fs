namespace SnnDsl.Backends

open System
open SnnDsl.Core
open SnnDsl.Torch

/// The eager tensor interpreter of step programs, with autograd through libtorch: each operation is one
/// libtorch call (its tensor meaning; the rest of its meaning is the table in SnnDsl.Core.Ops), spikes are
/// the shim's surrogate-gradient op, Detach cuts the graph. Time-invariant registers are computed once.
[<RequireQualifiedAccess>]
module Eager =
    // The tensor meaning of each operation, for tensor operands (numbers are folded before this).
    let private tensorOp (prim: Prim) (args: Tensor list) : Tensor =
        match prim, args with
        | Prim.Unary UnaryOp.Neg, [ a ] -> -a
        | Prim.Unary UnaryOp.Tanh, [ a ] -> a.Tanh()
        | Prim.Unary UnaryOp.Sigmoid, [ a ] -> a.Sigmoid()
        | Prim.Unary UnaryOp.Exp, [ a ] -> a.Exp()
        | Prim.Unary UnaryOp.Log, [ a ] -> a.Log()
        | Prim.Unary UnaryOp.Relu, [ a ] -> a.Relu()
        | Prim.Unary UnaryOp.Abs, [ a ] -> a.Abs()
        | Prim.Unary UnaryOp.Sqrt, [ a ] -> a.Sqrt()
        | Prim.Unary UnaryOp.Floor, [ a ] -> a.Floor() // libtorch's floor passes no gradient, as the table says
        | Prim.Unary UnaryOp.Not, [ a ] -> a.EqMask(0.0)
        | Prim.Binary BinaryOp.Add, [ a; b ] -> a + b
        | Prim.Binary BinaryOp.Sub, [ a; b ] -> a - b
        | Prim.Binary BinaryOp.Mul, [ a; b ] -> a * b
        | Prim.Binary BinaryOp.Div, [ a; b ] -> a / b
        // Ties go to the LEFT operand, value and gradient (libtorch's minimum/maximum would split them).
        | Prim.Binary BinaryOp.Min, [ a; b ] -> Tensor.Where(a.Le(b), a, b)
        | Prim.Binary BinaryOp.Max, [ a; b ] -> Tensor.Where(a.Ge(b), a, b)
        // libtorch's pow has the table's derivatives (a^b log a is 0 where a = 0).
        | Prim.Binary BinaryOp.Pow, [ a; b ] -> Tensor.Pow(a, b)
        | Prim.Binary BinaryOp.And, [ a; b ] ->
            use x = a.NeMask(0.0)
            use y = b.NeMask(0.0)
            x * y
        | Prim.Binary BinaryOp.Or, [ a; b ] ->
            use x = a.EqMask(0.0)
            use y = b.EqMask(0.0)
            use both = x * y
            both.EqMask(0.0)
        | Prim.Detach, [ a ] -> a.Detach()
        | Prim.Select, [ c; a; b ] -> Tensor.Where(c.Ne(0.0), a, b)
        | Prim.Compare Comparison.Le, [ a; b ] -> a.LeMask b
        | Prim.Compare Comparison.Ge, [ a; b ] -> a.GeMask b
        | Prim.Compare Comparison.Gt, [ a; b ] -> a.GtMask b
        | Prim.Compare Comparison.Lt, [ a; b ] -> a.LtMask b
        | Prim.Compare Comparison.Eq, [ a; b ] -> a.EqMask b
        | Prim.Compare Comparison.Ne, [ a; b ] -> a.NeMask b
        | Prim.Sign, [ a ] -> a.Sign()
        | _ -> Fail.internalError $"eager: {prim} applied to {args.Length} argument(s)"

    /// A value as a tensor shaped like `like`: numbers are filled in, and tensors that depend on parameters
    /// only (shaped [], [C, 1, ...] or [...]) are broadcast (an expanded view, so gradients still sum).
    let materialize (like: Tensor) (v: TValue) =
        match v with
        | TValue.Tensor t ->
            let shape = like.Shape
            if t.Shape = shape then t else t.Expand(shape)
        | TValue.Number n -> Tensor.FullLike(like, n)

    // `t c k` as a mask (new, and in place), or `k c t` when numberFirst (the comparison flipped).
    let private scalarMask (c: Comparison) (numberFirst: bool) : (Tensor -> float -> Tensor) * (Tensor -> float -> unit) =
        match c, numberFirst with
        | Comparison.Le, false | Comparison.Ge, true -> (fun t k -> t.LeMask k), (fun t k -> t.LeMaskInPlace k)
        | Comparison.Ge, false | Comparison.Le, true -> (fun t k -> t.GeMask k), (fun t k -> t.GeMaskInPlace k)
        | Comparison.Gt, false -> (fun t k -> t.GtMask k), (fun t k -> t.GtMaskInPlace k)
        | Comparison.Gt, true | Comparison.Lt, false -> (fun t k -> t.LtMask k), (fun t k -> t.LtMaskInPlace k)
        | Comparison.Lt, true -> (fun t k -> t.GtMask k), (fun t k -> t.GtMaskInPlace k)
        | Comparison.Eq, _ -> (fun t k -> t.EqMask k), (fun t k -> t.EqMaskInPlace k)
        | Comparison.Ne, _ -> (fun t k -> t.NeMask k), (fun t k -> t.NeMaskInPlace k)

    // A number beside a tensor, as a 0-d tensor of the same dtype and device.
    let private scalarLike (t: Tensor) (v: float) = Tensor.Scalar(v, t.DType, t.Device)

    // Identities with exact results for finite values (as the program builder folds them), and the
    // tensor-scalar kernels where one operand is a number.
    let rec private apply (prim: Prim) (args: TValue list) : TValue =
        match prim, args with
        | _ when args |> List.forall (function TValue.Number _ -> true | _ -> false) ->
            TValue.Number(Ops.eval prim (args |> List.map (function TValue.Number v -> v | _ -> 0.0) |> Array.ofList))
        | Prim.Fire s, [ TValue.Tensor x ] -> TValue.Tensor(spike s x)
        | Prim.Binary BinaryOp.Add, [ TValue.Number 0.0; v ]
        | Prim.Binary BinaryOp.Add, [ v; TValue.Number 0.0 ]
        | Prim.Binary BinaryOp.Sub, [ v; TValue.Number 0.0 ]
        | Prim.Binary BinaryOp.Mul, [ TValue.Number 1.0; v ]
        | Prim.Binary BinaryOp.Mul, [ v; TValue.Number 1.0 ]
        | Prim.Binary BinaryOp.Div, [ v; TValue.Number 1.0 ] -> v
        | Prim.Binary BinaryOp.Mul, [ TValue.Number 0.0; _ ]
        | Prim.Binary BinaryOp.Mul, [ _; TValue.Number 0.0 ] -> TValue.Number 0.0
        // Comparisons with a number: the mask against the scalar.
        | Prim.Compare c, [ TValue.Tensor x; TValue.Number y ] -> TValue.Tensor((fst (scalarMask c false)) x y)
        | Prim.Compare c, [ TValue.Number x; TValue.Tensor y ] -> TValue.Tensor((fst (scalarMask c true)) y x)
        | Prim.Binary op, [ TValue.Tensor x; TValue.Number y ] ->
            TValue.Tensor(
                match op with
                | BinaryOp.Add -> x + y
                | BinaryOp.Sub -> x - y
                | BinaryOp.Mul -> x * y
                | BinaryOp.Div -> x / y
                // One kernel; clamp's gradient at a tie goes to x, the left operand, as required.
                | BinaryOp.Min -> x.Clamp(max = y)
                | BinaryOp.Max -> x.Clamp(min = y)
                | BinaryOp.Pow -> Tensor.Pow(x, y)
                | BinaryOp.And | BinaryOp.Or -> tensorOp prim [ x; scalarLike x y ])
        | Prim.Binary op, [ TValue.Number x; TValue.Tensor y ] ->
            TValue.Tensor(
                match op with
                | BinaryOp.Add -> x + y
                | BinaryOp.Sub -> x - y
                | BinaryOp.Mul -> x * y
                | BinaryOp.Div -> x / y
                | BinaryOp.Min | BinaryOp.Max | BinaryOp.Pow | BinaryOp.And | BinaryOp.Or -> tensorOp prim [ scalarLike y x; y ])
        | _ ->
            let like = args |> List.pick (function TValue.Tensor t -> Some t | _ -> None)
            TValue.Tensor(tensorOp prim (args |> List.map (function TValue.Tensor t -> t | TValue.Number v -> scalarLike like v)))

    /// The spike of x with the surrogate's gradient: the shim's op takes dΘ/dx at x as a tensor, evaluated
    /// here from the surrogate's rule in the one table (Ops.surrogateRule) with the ops above, outside the
    /// graph; without a gradient to compute (inference, or x outside the graph) only Θ(x).
    and spike (s: Surrogate) (x: Tensor) : Tensor =
        let name, parameter = Surrogate.describe s
        if not (parameter > 0.0) || Double.IsInfinity parameter then
            Fail.usage $"surrogate {name}: its parameter must be positive and finite, got {parameter}"
        if Autograd.isEnabled () && x.RequiresGrad then
            let derivative =
                use _ = Autograd.noGrad ()
                // A rule is a tree: a sub-rule it uses twice (sigmoid's σ, atan's u in u * u) is evaluated once.
                let rule = Ops.surrogateRule s
                let uses = Collections.Generic.Dictionary<Rule, int>(HashIdentity.Structural)
                let rec count (r: Rule) =
                    let n = (match uses.TryGetValue r with | true, k -> k | _ -> 0) + 1
                    uses[r] <- n
                    match r with
                    | Rule.App(_, args) when n = 1 -> List.iter count args
                    | _ -> ()
                count rule
                let shared = Collections.Generic.Dictionary<Rule, TValue>(HashIdentity.Structural)
                // Each value with whether this evaluation allocated it for this use alone (then a scaling by a
                // constant, which ends most rules, updates it in place instead of allocating another); a shared
                // value is never updated in place.
                let rec value (r: Rule) : TValue * bool =
                    if uses[r] > 1 then
                        match shared.TryGetValue r with
                        | true, v -> v, false
                        | _ ->
                            let v = fst (evaluate r)
                            shared[r] <- v
                            v, false
                    else evaluate r
                and evaluate (r: Rule) : TValue * bool =
                    match r with
                    | Rule.A 0 -> TValue.Tensor(x.Detach()), false
                    | Rule.K c -> TValue.Number c, false
                    | Rule.App(Prim.Binary BinaryOp.Mul, [ a; Rule.K c ])
                    | Rule.App(Prim.Binary BinaryOp.Mul, [ Rule.K c; a ]) ->
                        match value a with
                        | TValue.Tensor t, true ->
                            t.MulInPlace c
                            TValue.Tensor t, true
                        | v, _ -> fresh [ v ] (apply (Prim.Binary BinaryOp.Mul) [ v; TValue.Number c ])
                    | Rule.App(Prim.Compare c, [ a; Rule.K k ]) -> maskOf c a k false
                    | Rule.App(Prim.Compare c, [ Rule.K k; a ]) -> maskOf c a k true
                    | Rule.App(prim, args) ->
                        let vs = args |> List.map (value >> fst)
                        fresh vs (apply prim vs)
                    | Rule.A _ | Rule.G | Rule.Y -> Fail.internalError $"a surrogate's rule refers to {r}"
                // a c k (or k c a when flipped): a new tensor a is overwritten with the mask, else one is made.
                and maskOf (c: Comparison) (a: Rule) (k: float) (flipped: bool) =
                    match value a with
                    | TValue.Tensor t, true ->
                        (snd (scalarMask c flipped)) t k
                        TValue.Tensor t, true
                    | v, _ -> fresh [ v ] (apply (Prim.Compare c) (if flipped then [ TValue.Number k; v ] else [ v; TValue.Number k ]))
                // A result is new unless the folding returned one of the arguments itself.
                and fresh (args: TValue list) (result: TValue) =
                    match result with
                    | TValue.Tensor t -> result, args |> List.forall (function TValue.Tensor a -> not (obj.ReferenceEquals(a, t)) | _ -> true)
                    | TValue.Number _ -> result, false
                materialize x (fst (value rule))
            Nn.Spike(x, derivative)
        else Nn.Spike x

    /// The shape a parameter of the given granularity has for per-step inputs of shape [N, ...] (batch dim
    /// excluded): [] per layer, [C] per channel (dim 1 of the input), the full [...] per neuron.
    let paramShape (granularity: Granularity) (stepShape: int[]) : int[] =
        match granularity with
        | Granularity.PerLayer -> [||]
        | Granularity.PerChannel ->
            if stepShape.Length < 2 then Fail.usage $"a per-channel parameter needs inputs [N, C, ...], got {Shape.text stepShape}"
            [| stepShape[1] |]
        | Granularity.PerNeuron -> stepShape[1..]

    /// The raw parameters as program sources, ready to broadcast against per-step inputs of rank `rank`:
    /// a given tensor (per channel: [C] aligned with dim 1 as [C, 1, ...]), else the definition's raw value.
    let private paramValues (p: StepProgram) (raw: Map<string, Tensor>) (rank: int) : TValue[] =
        p.Params
        |> List.map (fun q ->
            match raw.TryFind q.Name with
            | None -> TValue.Number q.Init
            | Some t ->
                if q.Granularity = Granularity.PerChannel && rank > 2 then
                    TValue.Tensor(t.Reshape(Array.append t.Shape (Array.create (rank - 2) 1)))
                else TValue.Tensor t)
        |> Array.ofList

    /// Every time-invariant register (parameters and what depends on them alone), computed once.
    let private invariants (p: StepProgram) (pars: TValue[]) : TValue option[] =
        let r = Array.create p.Nodes.Length None
        for i in 0 .. p.Nodes.Length - 1 do
            if p.Variation[i] <> Variation.Element then
                r[i] <-
                    Some(
                        match p.Nodes[i] with
                        | Node.Src(Source.Const c) -> TValue.Number c
                        | Node.Src(Source.Param k) -> pars[k]
                        | Node.Src s -> Fail.internalError $"source {s} cannot be time-invariant"
                        | Node.Op(prim, args) -> apply prim (args |> List.map (fun a -> r[a].Value))
                    )
        r

    /// One step: every register, given the invariants, the previous states (program order) and x [N, ...].
    let private stepRegisters (p: StepProgram) (inv: TValue option[]) (state: TValue[]) (x: Tensor) : TValue[] =
        let r = Array.zeroCreate p.Nodes.Length
        for i in 0 .. p.Nodes.Length - 1 do
            r[i] <-
                match inv[i] with
                | Some v -> v
                | None ->
                    match p.Nodes[i] with
                    | Node.Src Source.Input -> TValue.Tensor x
                    | Node.Src(Source.State k) -> state[k]
                    | Node.Src s -> Fail.internalError $"source {s} in a forward step"
                    | Node.Op(prim, args) -> apply prim (args |> List.map (fun a -> r[a]))
        r

    /// The initial state: each state variable's constant initial value.
    let initialState (p: StepProgram) : NeuronState =
        p.States |> List.map (fun s -> s.Name, TValue.Number s.Init) |> Map.ofList

    let private stateArray (p: StepProgram) (state: NeuronState) =
        p.States
        |> List.map (fun s ->
            match state.TryFind s.Name with
            | Some v -> v
            | None -> Fail.usage $"neuron '{p.Neuron}': the given state lacks '{s.Name}'")
        |> Array.ofList

    let private checkInput (p: StepProgram) (x: Tensor) =
        if x.Dim < 2 then Fail.usage $"neuron '{p.Neuron}': expected an input [T, N, ...], got shape {Shape.text x.Shape}"

    /// Runs x [T, N, ...] from `state` (default: the initial state); returns the spikes [T, N, ...] and the
    /// final state. The time loop walks `Unbind(0)` views, whose backward writes one gradient buffer.
    let run (p: StepProgram) (raw: Map<string, Tensor>) (state: NeuronState option) (x: Tensor) : Tensor * NeuronState =
        checkInput p x
        let inv = invariants p (paramValues p raw (x.Dim - 1))
        let mutable s = stateArray p (defaultArg state (initialState p))
        let spikes =
            [| for xt in x.Unbind(0) do
                   let r = stepRegisters p inv s xt
                   s <- p.Next |> List.map (fun i -> r[i]) |> Array.ofList
                   yield materialize xt r[p.Output] |]
        Tensor.Stack(spikes), List.zip p.States (List.ofArray s) |> List.map (fun (st, v) -> st.Name, v) |> Map.ofList

    /// Like run, recording every binding and state at every step.
    let trace (p: StepProgram) (raw: Map<string, Tensor>) (state: NeuronState option) (x: Tensor) : TensorTrace =
        checkInput p x
        let inv = invariants p (paramValues p raw (x.Dim - 1))
        let mutable s = stateArray p (defaultArg state (initialState p))
        let steps =
            [| for xt in x.Unbind(0) do
                   let r = stepRegisters p inv s xt
                   s <- p.Next |> List.map (fun i -> r[i]) |> Array.ofList
                   yield xt, r |]
        let stacked (i: int) = Tensor.Stack(steps |> Array.map (fun (xt, r) -> materialize xt r[i]))
        { Spikes = stacked p.Output
          Values = p.Bindings |> List.map (fun (name, i) -> name, stacked i)
          States = List.map2 (fun (st: StateSpec) i -> st.Name, stacked i) p.States p.Next }
