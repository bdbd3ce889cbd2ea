namespace SnnDsl.Core

/// Elementwise one-argument operations of the expression language.
[<RequireQualifiedAccess>]
type UnaryOp =
    /// -x.
    | Neg
    /// tanh x.
    | Tanh
    /// 1 / (1 + e^-x).
    | Sigmoid
    /// e^x.
    | Exp
    /// The natural logarithm.
    | Log
    /// max(x, 0).
    | Relu
    /// |x|.
    | Abs
    /// The square root (NaN below 0).
    | Sqrt
    /// The largest integer not above x; no gradient flows through it.
    | Floor
    /// Logical not: 1 where x = 0, else 0; no gradient.
    | Not

/// Elementwise two-argument operations of the expression language.
[<RequireQualifiedAccess>]
type BinaryOp =
    /// a + b.
    | Add
    /// a - b.
    | Sub
    /// a * b.
    | Mul
    /// a / b.
    | Div
    /// The smaller of a and b.
    | Min
    /// The larger of a and b.
    | Max
    /// a raised to the power b (NaN for a negative a and a non-integer b).
    | Pow
    /// Logical and: 1 where both are non-zero, else 0; no gradient.
    | And
    /// Logical or: 1 where either is non-zero, else 0; no gradient.
    | Or

/// Comparisons that yield 1 where they hold and 0 elsewhere, with no gradient (derivatives use them as
/// masks; the text form writes them `<`, `<=`, `>`, `>=`, `==`, `!=`).
[<RequireQualifiedAccess>]
type Comparison =
    /// a <= b.
    | Le
    /// a >= b.
    | Ge
    /// a > b.
    | Gt
    /// a < b.
    | Lt
    /// a = b.
    | Eq
    /// a <> b.
    | Ne

/// The operations of a step program: the language's own, and the few that derivatives add.
[<RequireQualifiedAccess>]
type Prim =
    /// An operation of one argument.
    | Unary of UnaryOp
    /// An operation of two arguments.
    | Binary of BinaryOp
    /// Θ(x) forward (1 for x >= 0), the surrogate's derivative backward.
    | Fire of Surrogate
    /// The value passes unchanged; the gradient stops.
    | Detach
    /// select(c, a, b): a where c <> 0, else b.
    | Select
    /// 1 where the comparison of the two arguments holds, else 0.
    | Compare of Comparison
    /// -1, 0 or 1 (0 also for NaN).
    | Sign

/// A derivative written as data: the contribution of one operation to one argument's adjoint, over the
/// operation's adjoint G, its result Y, its arguments A i and constants K. Every rule is linear in G, so
/// the same rule with G bound to the argument's tangent is the forward-mode derivative.
[<RequireQualifiedAccess>]
type Rule =
    /// The adjoint of the operation's result.
    | G
    /// The operation's result.
    | Y
    /// Argument i of the operation.
    | A of int
    /// A constant.
    | K of float
    /// A primitive applied to sub-rules.
    | App of Prim * Rule list

    static member (+)(a: Rule, b: Rule) = Rule.App(Prim.Binary BinaryOp.Add, [ a; b ])
    static member (-)(a: Rule, b: Rule) = Rule.App(Prim.Binary BinaryOp.Sub, [ a; b ])
    static member (*)(a: Rule, b: Rule) = Rule.App(Prim.Binary BinaryOp.Mul, [ a; b ])
    static member (/)(a: Rule, b: Rule) = Rule.App(Prim.Binary BinaryOp.Div, [ a; b ])
    static member (~-)(a: Rule) = Rule.App(Prim.Unary UnaryOp.Neg, [ a ])

/// Everything an interpreter or a code generator needs to know about one operation.
type OpInfo =
    { /// The name in the text form and in descriptions.
      Name: string
      /// The number of arguments.
      Arity: int
      /// The scalar meaning (float64).
      Eval: float[] -> float
      /// Per argument, its adjoint contribution; None where no gradient flows (Detach, masks).
      Adjoint: Rule option list
      /// C expression over the arguments {0}, {1}, {2}; the snn_* helpers are defined by each target's prelude.
      Code: string
      /// What one evaluation costs a vector unit, in simple operations (an add = 1): the kernels' cost model
      /// (Schedule) weighs recomputing a value against saving it. A transcendental is a range reduction and a
      /// polynomial (about 16), a division or a square root occupies the divider (about 4), pow is a log, a
      /// product and an exp (about 40).
      Cost: float }

/// The one table of operations: meaning, derivative and generated code of each op, written once. The
/// scalar oracle, the derived backward and the kernel generators all read it; the eager tensor backend
/// maps each op to its libtorch call.
[<RequireQualifiedAccess>]
module Ops =
    /// The logistic σ(x) = 1 / (1 + exp(-x)).
    let sigmoid (x: float) = 1.0 / (1.0 + exp -x)

    let private app prim args = Rule.App(prim, args)
    let private un op a = app (Prim.Unary op) [ a ]
    let private abs' a = un UnaryOp.Abs a
    let private one = Rule.K 1.0
    let private zero = Rule.K 0.0
    let private select c a b = app Prim.Select [ c; a; b ]
    let private cmp c a b = app (Prim.Compare c) [ a; b ]

    /// dΘ/dx of a surrogate as a rule over its argument A 0 (docs/science.md, "Surrogate gradients").
    let surrogateRule (s: Surrogate) : Rule =
        let x = Rule.A 0
        match s with
        | Surrogate.Rectangle a -> cmp Comparison.Gt (Rule.K(a / 2.0)) (abs' x) * Rule.K(1.0 / a)
        | Surrogate.Triangle g -> app (Prim.Binary BinaryOp.Max) [ Rule.K g - abs' x; zero ] * Rule.K(1.0 / (g * g))
        | Surrogate.Sigmoid a ->
            let sg = un UnaryOp.Sigmoid (x * Rule.K a)
            (one - sg) * sg * Rule.K a
        | Surrogate.Atan a ->
            let u = x * Rule.K(System.Math.PI / 2.0 * a)
            Rule.K(a / 2.0) / (u * u + one)
        | Surrogate.FastSigmoid b ->
            let d = abs' x * Rule.K b + one
            one / (d * d)

    let private unary name (f: float -> float) (adjoint: Rule) code =
        { Name = name; Arity = 1; Eval = (fun a -> f a[0]); Adjoint = [ Some adjoint ]; Code = code; Cost = 1.0 }

    let private binary name (f: float -> float -> float) (da: Rule) (db: Rule) code =
        { Name = name; Arity = 2; Eval = (fun a -> f a[0] a[1]); Adjoint = [ Some da; Some db ]; Code = code; Cost = 1.0 }

    let private costing (cost: float) (entry: OpInfo) = { entry with Cost = cost }

    let private sign (a: float) = if a > 0.0 then 1.0 elif a < 0.0 then -1.0 else 0.0

    let private truth (b: bool) = if b then 1.0 else 0.0

    // An operation through which no gradient flows (its value is piecewise constant).
    let private noGradient name arity (f: float[] -> float) code =
        { Name = name; Arity = arity; Eval = f; Adjoint = List.replicate arity None; Code = code; Cost = 1.0 }

    // IEEE pow (System.Math.Pow): exact for small integer powers of exact values, NaN for a negative base
    // and a non-integer exponent.
    let private power (a: float) (b: float) = System.Math.Pow(a, b)

    /// The table itself.
    let info (prim: Prim) : OpInfo =
        let G, Y, A0, A1 = Rule.G, Rule.Y, Rule.A 0, Rule.A 1
        match prim with
        | Prim.Unary UnaryOp.Neg -> unary "neg" (fun a -> -a) (-G) "(-{0})"
        | Prim.Unary UnaryOp.Tanh -> costing 16.0 (unary "tanh" tanh (G * (one - Y * Y)) "snn_tanh({0})")
        | Prim.Unary UnaryOp.Sigmoid -> costing 16.0 (unary "sigmoid" sigmoid (G * (Y * (one - Y))) "snn_sigmoid({0})")
        | Prim.Unary UnaryOp.Exp -> costing 16.0 (unary "exp" exp (G * Y) "snn_exp({0})")
        | Prim.Unary UnaryOp.Log -> costing 16.0 (unary "log" log (G / A0) "snn_log({0})")
        | Prim.Unary UnaryOp.Relu ->
            unary "relu" (fun a -> if a > 0.0 then a else 0.0) (select (cmp Comparison.Gt A0 zero) G zero) "snn_relu({0})"
        | Prim.Unary UnaryOp.Abs -> unary "abs" abs (G * app Prim.Sign [ A0 ]) "snn_abs({0})"
        | Prim.Unary UnaryOp.Sqrt -> costing 4.0 (unary "sqrt" sqrt (G * Rule.K 0.5 / Y) "snn_sqrt({0})")
        | Prim.Unary UnaryOp.Floor -> noGradient "floor" 1 (fun a -> floor a[0]) "snn_floor({0})"
        | Prim.Unary UnaryOp.Not -> noGradient "not" 1 (fun a -> truth (a[0] = 0.0)) "snn_not({0})"
        | Prim.Binary BinaryOp.Add -> binary "+" (+) G G "({0} + {1})"
        | Prim.Binary BinaryOp.Sub -> binary "-" (-) G (-G) "({0} - {1})"
        | Prim.Binary BinaryOp.Mul -> binary "*" (*) (G * A1) (G * A0) "({0} * {1})"
        | Prim.Binary BinaryOp.Div -> costing 4.0 (binary "/" (/) (G / A1) (-(G * Y / A1)) "({0} / {1})")
        // A tie sends the whole gradient to the LEFT operand, as the value does.
        | Prim.Binary BinaryOp.Min ->
            let left = cmp Comparison.Le A0 A1
            binary "min" (fun a b -> if a <= b then a else b) (select left G zero) (select left zero G) "snn_min({0}, {1})"
        | Prim.Binary BinaryOp.Max ->
            let left = cmp Comparison.Ge A0 A1
            binary "max" (fun a b -> if a >= b then a else b) (select left G zero) (select left zero G) "snn_max({0}, {1})"
        // d/da = b a^(b-1); d/db = a^b log a, 0 where a = 0 (as libtorch: the limit for b > 0).
        | Prim.Binary BinaryOp.Pow ->
            costing 40.0 (
                binary "pow" power (G * A1 * app (Prim.Binary BinaryOp.Pow) [ A0; A1 - one ])
                    (select (cmp Comparison.Eq A0 zero) zero (G * Y * un UnaryOp.Log A0)) "snn_pow({0}, {1})"
            )
        | Prim.Binary BinaryOp.And -> noGradient "and" 2 (fun a -> truth (a[0] <> 0.0 && a[1] <> 0.0)) "snn_and({0}, {1})"
        | Prim.Binary BinaryOp.Or -> noGradient "or" 2 (fun a -> truth (a[0] <> 0.0 || a[1] <> 0.0)) "snn_or({0}, {1})"
        | Prim.Fire s ->
            { Name = "spike[" + fst (Surrogate.describe s) + "]"; Arity = 1; Eval = (fun a -> Surrogate.heaviside a[0])
              Adjoint = [ Some(G * surrogateRule s) ]; Code = "snn_heaviside({0})"; Cost = 1.0 }
        | Prim.Detach -> { Name = "detach"; Arity = 1; Eval = (fun a -> a[0]); Adjoint = [ None ]; Code = "{0}"; Cost = 1.0 }
        | Prim.Select ->
            { Name = "where"; Arity = 3
              Eval = (fun a -> if a[0] <> 0.0 then a[1] else a[2])
              Adjoint = [ None; Some(select A0 G zero); Some(select A0 zero G) ]
              Code = "snn_select({0}, {1}, {2})"
              Cost = 1.0 }
        | Prim.Compare c ->
            let name, f, code =
                match c with
                | Comparison.Le -> "<=", (fun (a: float) b -> a <= b), "snn_le({0}, {1})"
                | Comparison.Ge -> ">=", (fun a b -> a >= b), "snn_ge({0}, {1})"
                | Comparison.Gt -> ">", (fun a b -> a > b), "snn_gt({0}, {1})"
                | Comparison.Lt -> "<", (fun a b -> a < b), "snn_lt({0}, {1})"
                | Comparison.Eq -> "==", (fun a b -> a = b), "snn_eq({0}, {1})"
                | Comparison.Ne -> "!=", (fun a b -> a <> b), "snn_ne({0}, {1})"
            noGradient name 2 (fun a -> truth (f a[0] a[1])) code
        | Prim.Sign -> { Name = "sign"; Arity = 1; Eval = (fun a -> sign a[0]); Adjoint = [ None ]; Code = "snn_sign({0})"; Cost = 1.0 }

    let private table = System.Collections.Concurrent.ConcurrentDictionary<Prim, OpInfo>(HashIdentity.Structural)

    /// The table entry of an operation (memoised: interpreters look it up per node and step).
    let lookup (prim: Prim) : OpInfo = table.GetOrAdd(prim, info)

    let rec private evalRule (rule: Rule) (g: float) (y: float) (args: float[]) : float =
        match rule with
        | Rule.G -> g
        | Rule.Y -> y
        | Rule.A i -> args[i]
        | Rule.K c -> c
        | Rule.App(p, rs) -> (lookup p).Eval(rs |> List.map (fun r -> evalRule r g y args) |> Array.ofList)

    /// The scalar value of an operation.
    let eval (prim: Prim) (args: float[]) : float = (lookup prim).Eval args

    /// What one evaluation of an operation costs a vector unit (the table's Cost).
    let cost (prim: Prim) : float = (lookup prim).Cost

    /// An operation's name in the text form and in descriptions (the table's Name).
    let name (prim: Prim) : string = (lookup prim).Name

    /// The unary operations the text form calls by name, e.g. tanh(x).
    let namedUnary =
        [ UnaryOp.Tanh; UnaryOp.Sigmoid; UnaryOp.Exp; UnaryOp.Log; UnaryOp.Relu; UnaryOp.Abs; UnaryOp.Sqrt; UnaryOp.Floor ]

    /// The binary operations the text form calls by name, e.g. min(a, b).
    let namedBinary = [ BinaryOp.Min; BinaryOp.Max; BinaryOp.Pow ]

    /// The name of clamp(x, lo, hi), which the text form reads as min(max(x, lo), hi).
    [<Literal>]
    let ClampName = "clamp"

    /// The functions of the text form by name: the named unary and binary operations, where, clamp and
    /// detach (spike is spike(x) with the default surrogate, or spike[...](x)).
    let functionNames =
        (namedUnary |> List.map (fun op -> name (Prim.Unary op)))
        @ (namedBinary |> List.map (fun op -> name (Prim.Binary op)))
        @ [ name Prim.Select; ClampName; name Prim.Detach ]

    /// The surrogate's derivative dΘ/dx at x, evaluated from its rule.
    let surrogateDerivative (s: Surrogate) (x: float) : float = evalRule (surrogateRule s) 1.0 0.0 [| x |]

    /// A rule's value for the given adjoint G, result Y and arguments.
    let evalAdjoint (rule: Rule) (g: float) (y: float) (args: float[]) : float = evalRule rule g y args

    /// Every unary operation.
    let allUnary =
        [ UnaryOp.Neg; UnaryOp.Tanh; UnaryOp.Sigmoid; UnaryOp.Exp; UnaryOp.Log; UnaryOp.Relu; UnaryOp.Abs
          UnaryOp.Sqrt; UnaryOp.Floor; UnaryOp.Not ]

    /// Every binary operation.
    let allBinary =
        [ BinaryOp.Add; BinaryOp.Sub; BinaryOp.Mul; BinaryOp.Div; BinaryOp.Min; BinaryOp.Max; BinaryOp.Pow
          BinaryOp.And; BinaryOp.Or ]

    /// Every comparison.
    let allComparisons = [ Comparison.Le; Comparison.Ge; Comparison.Gt; Comparison.Lt; Comparison.Eq; Comparison.Ne ]

    /// Every operation of the language and of derivatives, for tests and code generators (surrogates at
    /// their defaults).
    let all: Prim list =
        [ for op in allUnary -> Prim.Unary op
          for op in allBinary -> Prim.Binary op
          for s in [ Surrogate.Rectangle 1.0; Surrogate.Triangle 1.0; Surrogate.Sigmoid 4.0; Surrogate.Atan 2.0; Surrogate.FastSigmoid 10.0 ] -> Prim.Fire s
          yield Prim.Detach
          yield Prim.Select
          for c in allComparisons -> Prim.Compare c
          yield Prim.Sign ]
