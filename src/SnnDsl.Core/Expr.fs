namespace SnnDsl.Core

/// One neuron's per-element recurrence as plain data, so the same tree can be interpreted on scalars,
/// run on tensors and compiled (with a derived backward) into a fused kernel.
/// NoComparison: the generic `min`/`max` would otherwise silently compare trees instead of values.
[<StructuralEquality; NoComparison>]
type Expr =
    /// The input current X_t of this step.
    | Input
    /// The value a state variable held at the end of the previous step.
    | State of name: string
    /// The effective (squashed) value of a parameter.
    | Param of name: string
    /// A constant.
    | Const of value: float
    /// An earlier named binding of the same step.
    | Ref of name: string
    /// An operation of one argument (tanh, exp, ...).
    | Unary of op: UnaryOp * arg: Expr
    /// An operation of two arguments (+, *, min, ...).
    | Binary of op: BinaryOp * left: Expr * right: Expr
    /// Heaviside Θ(arg) forward (1 for arg >= 0), the surrogate's derivative backward.
    | Spike of surrogate: Surrogate * arg: Expr
    /// The value passes unchanged; the gradient stops.
    | Detach of arg: Expr
    /// 1 where the comparison of the two holds, else 0; no gradient flows through it.
    | Compare of comparison: Comparison * left: Expr * right: Expr
    /// `whenTrue` where `condition` is not 0, else `whenFalse`; the gradient flows to the chosen one.
    | Where of condition: Expr * whenTrue: Expr * whenFalse: Expr

    /// The expression a + b (a Add node).
    static member (+)(a: Expr, b: Expr) = Binary(BinaryOp.Add, a, b)
    /// The expression a + b with a constant right operand.
    static member (+)(a: Expr, b: float) = Binary(BinaryOp.Add, a, Const b)
    /// The expression a + b with a constant left operand.
    static member (+)(a: float, b: Expr) = Binary(BinaryOp.Add, Const a, b)
    /// The expression a - b (a Sub node).
    static member (-)(a: Expr, b: Expr) = Binary(BinaryOp.Sub, a, b)
    /// The expression a - b with a constant right operand.
    static member (-)(a: Expr, b: float) = Binary(BinaryOp.Sub, a, Const b)
    /// The expression a - b with a constant left operand.
    static member (-)(a: float, b: Expr) = Binary(BinaryOp.Sub, Const a, b)
    /// The expression a * b (a Mul node).
    static member (*)(a: Expr, b: Expr) = Binary(BinaryOp.Mul, a, b)
    /// The expression a * b with a constant right operand.
    static member (*)(a: Expr, b: float) = Binary(BinaryOp.Mul, a, Const b)
    /// The expression a * b with a constant left operand.
    static member (*)(a: float, b: Expr) = Binary(BinaryOp.Mul, Const a, b)
    /// The expression a / b (a Div node).
    static member (/)(a: Expr, b: Expr) = Binary(BinaryOp.Div, a, b)
    /// The expression a / b with a constant right operand.
    static member (/)(a: Expr, b: float) = Binary(BinaryOp.Div, a, Const b)
    /// The expression a / b with a constant left operand.
    static member (/)(a: float, b: Expr) = Binary(BinaryOp.Div, Const a, b)
    /// The expression -a.
    static member (~-)(a: Expr) = Unary(UnaryOp.Neg, a)
    // These let the standard F# functions tanh/exp/log/abs build Expr nodes directly.
    /// tanh a as an expression (F#'s tanh builds it).
    static member Tanh(a: Expr) = Unary(UnaryOp.Tanh, a)
    /// exp a as an expression (F#'s exp builds it).
    static member Exp(a: Expr) = Unary(UnaryOp.Exp, a)
    /// log a as an expression (F#'s log builds it).
    static member Log(a: Expr) = Unary(UnaryOp.Log, a)
    /// |a| as an expression (F#'s abs builds it).
    static member Abs(a: Expr) = Unary(UnaryOp.Abs, a)
    /// sqrt a as an expression (F#'s sqrt builds it).
    static member Sqrt(a: Expr) = Unary(UnaryOp.Sqrt, a)
    /// floor a as an expression (F#'s floor builds it; no gradient).
    static member Floor(a: Expr) = Unary(UnaryOp.Floor, a)
    /// a ** b as an expression (a Pow node).
    static member Pow(a: Expr, b: Expr) = Binary(BinaryOp.Pow, a, b)
    /// a ** b with a constant exponent.
    static member Pow(a: Expr, b: float) = Binary(BinaryOp.Pow, a, Const b)

/// Constructors and traversals of expressions.
[<RequireQualifiedAccess>]
module Expr =
    /// tanh(e).
    let tanh e = Unary(UnaryOp.Tanh, e)
    /// The logistic σ(e) = 1 / (1 + exp(-e)).
    let sigmoid e = Unary(UnaryOp.Sigmoid, e)
    /// exp(e).
    let exp e = Unary(UnaryOp.Exp, e)
    /// Natural logarithm of e.
    let log e = Unary(UnaryOp.Log, e)
    /// max(e, 0).
    let relu e = Unary(UnaryOp.Relu, e)
    /// |e|.
    let abs e = Unary(UnaryOp.Abs, e)
    /// Elementwise minimum of two expressions.
    let min a b = Binary(BinaryOp.Min, a, b)
    /// Elementwise maximum of two expressions.
    let max a b = Binary(BinaryOp.Max, a, b)
    /// The square root of e.
    let sqrt e = Unary(UnaryOp.Sqrt, e)
    /// The largest integer not above e (no gradient).
    let floor e = Unary(UnaryOp.Floor, e)
    /// a raised to the power b.
    let pow a b = Binary(BinaryOp.Pow, a, b)
    /// min(max(e, lo), hi).
    let clamp lo hi e = Binary(BinaryOp.Min, Binary(BinaryOp.Max, e, lo), hi)
    /// Θ(e) forward with the given surrogate derivative backward.
    let spike surrogate e = Spike(surrogate, e)
    /// Θ(e) with the library's default surrogate (Surrogate.defaultSurrogate).
    let fire e = Spike(Surrogate.defaultSurrogate, e)
    /// Stops the gradient through e.
    let detach e = Detach e
    /// 1 where a < b, else 0 (no gradient).
    let lt a b = Compare(Comparison.Lt, a, b)
    /// 1 where a <= b, else 0 (no gradient).
    let le a b = Compare(Comparison.Le, a, b)
    /// 1 where a > b, else 0 (no gradient).
    let gt a b = Compare(Comparison.Gt, a, b)
    /// 1 where a >= b, else 0 (no gradient).
    let ge a b = Compare(Comparison.Ge, a, b)
    /// 1 where a = b, else 0 (no gradient).
    let eq a b = Compare(Comparison.Eq, a, b)
    /// 1 where a <> b, else 0 (no gradient).
    let ne a b = Compare(Comparison.Ne, a, b)
    /// `a` where `c` is not 0, else `b` (torch.where).
    let where c a b = Where(c, a, b)
    /// 1 where both are non-zero, else 0.
    let both a b = Binary(BinaryOp.And, a, b)
    /// 1 where either is non-zero, else 0.
    let either a b = Binary(BinaryOp.Or, a, b)
    /// 1 where e is 0, else 0.
    let not' e = Unary(UnaryOp.Not, e)

    /// The direct sub-expressions of a node.
    let children e =
        match e with
        | Input | State _ | Param _ | Const _ | Ref _ -> []
        | Unary(_, a) | Spike(_, a) | Detach a -> [ a ]
        | Binary(_, a, b) | Compare(_, a, b) -> [ a; b ]
        | Where(c, a, b) -> [ c; a; b ]

    /// Folds f over every node, parents before children.
    let rec fold (f: 'acc -> Expr -> 'acc) (acc: 'acc) (e: Expr) : 'acc =
        children e |> List.fold (fold f) (f acc e)

    /// The names used by State nodes.
    let stateNames e =
        fold (fun s n -> match n with State name -> Set.add name s | _ -> s) Set.empty e

    /// The names used by Param nodes.
    let paramNames e =
        fold (fun s n -> match n with Param name -> Set.add name s | _ -> s) Set.empty e

    /// The names used by Ref nodes.
    let refNames e =
        fold (fun s n -> match n with Ref name -> Set.add name s | _ -> s) Set.empty e

    /// Replaces the surrogate of every Spike node.
    let rec withSurrogate (surrogate: Surrogate) (e: Expr) : Expr =
        match e with
        | Input | State _ | Param _ | Const _ | Ref _ -> e
        | Unary(op, a) -> Unary(op, withSurrogate surrogate a)
        | Binary(op, a, b) -> Binary(op, withSurrogate surrogate a, withSurrogate surrogate b)
        | Spike(_, a) -> Spike(surrogate, withSurrogate surrogate a)
        | Detach a -> Detach(withSurrogate surrogate a)
        | Compare(c, a, b) -> Compare(c, withSurrogate surrogate a, withSurrogate surrogate b)
        | Where(c, a, b) -> Where(withSurrogate surrogate c, withSurrogate surrogate a, withSurrogate surrogate b)

/// Paper-like shorthand for writing rules; open it where neurons are defined.
/// Its min/max work on Expr only and shadow the generic ones.
module Notation =
    /// The input current X_t.
    let X = Input
    /// The membrane potential of the previous step, V_{t-1}.
    let V = State "V"
    /// The logistic σ(e).
    let sigmoid e = Expr.sigmoid e
    /// max(e, 0).
    let relu e = Expr.relu e
    /// Elementwise minimum of two expressions.
    let min a b = Expr.min a b
    /// Elementwise maximum of two expressions.
    let max a b = Expr.max a b
    /// Θ(e) forward with the given surrogate derivative backward.
    let spike surrogate e = Expr.spike surrogate e
    /// Θ(e) with the library's default surrogate.
    let fire e = Expr.fire e
    /// Stops the gradient through e.
    let detach e = Expr.detach e
    /// `a` where `c` is not 0, else `b` (torch.where).
    let where c a b = Expr.where c a b
    /// min(max(e, lo), hi).
    let clamp lo hi e = Expr.clamp lo hi e
    /// 1 where a < b, else 0 (no gradient).
    let (.<) a b = Expr.lt a b
    /// 1 where a <= b, else 0 (no gradient).
    let (.<=) a b = Expr.le a b
    /// 1 where a > b, else 0 (no gradient).
    let (.>) a b = Expr.gt a b
    /// 1 where a >= b, else 0 (no gradient).
    let (.>=) a b = Expr.ge a b
    /// 1 where a = b, else 0 (no gradient).
    let (.=) a b = Expr.eq a b
    /// 1 where a <> b, else 0 (no gradient).
    let (.<>) a b = Expr.ne a b
    /// 1 where both are non-zero (logical and).
    let (.&&) a b = Expr.both a b
    /// 1 where either is non-zero (logical or).
    let (.||) a b = Expr.either a b
    /// A constant (for mixing numbers into comparisons: V .> k 30.0).
    let k (c: float) = Const c
