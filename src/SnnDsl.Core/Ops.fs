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

/// Comparisons that yield 1 where they hold and 0 elsewhere (derivatives use them as masks).
[<RequireQualifiedAccess>]
type Comparison =
    /// a <= b.
    | Le
    /// a >= b.
    | Ge
    /// a > b.
    | Gt

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
      Code: string }

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
        { Name = name; Arity = 1; Eval = (fun a -> f a[0]); Adjoint = [ Some adjoint ]; Code = code }

    let private binary name (f: float -> float -> float) (da: Rule) (db: Rule) code =
        { Name = name; Arity = 2; Eval = (fun a -> f a[0] a[1]); Adjoint = [ Some da; Some db ]; Code = code }

    let private sign (a: float) = if a > 0.0 then 1.0 elif a < 0.0 then -1.0 else 0.0

    /// The table itself.
    let info (prim: Prim) : OpInfo =
        let G, Y, A0, A1 = Rule.G, Rule.Y, Rule.A 0, Rule.A 1
        match prim with
        | Prim.Unary UnaryOp.Neg -> unary "neg" (fun a -> -a) (-G) "(-{0})"
        | Prim.Unary UnaryOp.Tanh -> unary "tanh" tanh (G * (one - Y * Y)) "snn_tanh({0})"
        | Prim.Unary UnaryOp.Sigmoid -> unary "sigmoid" sigmoid (G * (Y * (one - Y))) "snn_sigmoid({0})"
        | Prim.Unary UnaryOp.Exp -> unary "exp" exp (G * Y) "snn_exp({0})"
        | Prim.Unary UnaryOp.Log -> unary "log" log (G / A0) "snn_log({0})"
        | Prim.Unary UnaryOp.Relu ->
            unary "relu" (fun a -> if a > 0.0 then a else 0.0) (select (cmp Comparison.Gt A0 zero) G zero) "snn_relu({0})"
        | Prim.Unary UnaryOp.Abs -> unary "abs" abs (G * app Prim.Sign [ A0 ]) "snn_abs({0})"
        | Prim.Binary BinaryOp.Add -> binary "+" (+) G G "({0} + {1})"
        | Prim.Binary BinaryOp.Sub -> binary "-" (-) G (-G) "({0} - {1})"
        | Prim.Binary BinaryOp.Mul -> binary "*" (*) (G * A1) (G * A0) "({0} * {1})"
        | Prim.Binary BinaryOp.Div -> binary "/" (/) (G / A1) (-(G * Y / A1)) "({0} / {1})"
        // A tie sends the whole gradient to the LEFT operand, as the value does.
        | Prim.Binary BinaryOp.Min ->
            let left = cmp Comparison.Le A0 A1
            binary "min" (fun a b -> if a <= b then a else b) (select left G zero) (select left zero G) "snn_min({0}, {1})"
        | Prim.Binary BinaryOp.Max ->
            let left = cmp Comparison.Ge A0 A1
            binary "max" (fun a b -> if a >= b then a else b) (select left G zero) (select left zero G) "snn_max({0}, {1})"
        | Prim.Fire s ->
            { Name = "spike[" + fst (Surrogate.describe s) + "]"; Arity = 1; Eval = (fun a -> Surrogate.heaviside a[0])
              Adjoint = [ Some(G * surrogateRule s) ]; Code = "snn_heaviside({0})" }
        | Prim.Detach -> { Name = "detach"; Arity = 1; Eval = (fun a -> a[0]); Adjoint = [ None ]; Code = "{0}" }
        | Prim.Select ->
            { Name = "select"; Arity = 3
              Eval = (fun a -> if a[0] <> 0.0 then a[1] else a[2])
              Adjoint = [ None; Some(select A0 G zero); Some(select A0 zero G) ]
              Code = "snn_select({0}, {1}, {2})" }
        | Prim.Compare c ->
            let name, f, code =
                match c with
                | Comparison.Le -> "le", (fun (a: float) b -> a <= b), "snn_le({0}, {1})"
                | Comparison.Ge -> "ge", (fun a b -> a >= b), "snn_ge({0}, {1})"
                | Comparison.Gt -> "gt", (fun a b -> a > b), "snn_gt({0}, {1})"
            { Name = name; Arity = 2; Eval = (fun a -> if f a[0] a[1] then 1.0 else 0.0); Adjoint = [ None; None ]; Code = code }
        | Prim.Sign -> { Name = "sign"; Arity = 1; Eval = (fun a -> sign a[0]); Adjoint = [ None ]; Code = "snn_sign({0})" }

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

    /// An operation's name in the text form and in descriptions (the table's Name).
    let name (prim: Prim) : string = (lookup prim).Name

    /// The unary operations the text form calls by name, e.g. tanh(x).
    let namedUnary = [ UnaryOp.Tanh; UnaryOp.Sigmoid; UnaryOp.Exp; UnaryOp.Log; UnaryOp.Relu; UnaryOp.Abs ]

    /// The functions of the text form by name, each with its arity: the named unary operations, min, max,
    /// detach (spike takes its surrogate in brackets, spike[...](x)).
    let functionNames =
        (namedUnary |> List.map (fun op -> name (Prim.Unary op)))
        @ [ name (Prim.Binary BinaryOp.Min); name (Prim.Binary BinaryOp.Max); name Prim.Detach ]

    /// The surrogate's derivative dΘ/dx at x, evaluated from its rule.
    let surrogateDerivative (s: Surrogate) (x: float) : float = evalRule (surrogateRule s) 1.0 0.0 [| x |]

    /// A rule's value for the given adjoint G, result Y and arguments.
    let evalAdjoint (rule: Rule) (g: float) (y: float) (args: float[]) : float = evalRule rule g y args

    /// Every operation of the language and of derivatives, for tests and code generators (surrogates at
    /// their defaults).
    let all: Prim list =
        [ for op in [ UnaryOp.Neg; UnaryOp.Tanh; UnaryOp.Sigmoid; UnaryOp.Exp; UnaryOp.Log; UnaryOp.Relu; UnaryOp.Abs ] -> Prim.Unary op
          for op in [ BinaryOp.Add; BinaryOp.Sub; BinaryOp.Mul; BinaryOp.Div; BinaryOp.Min; BinaryOp.Max ] -> Prim.Binary op
          for s in [ Surrogate.Rectangle 1.0; Surrogate.Triangle 1.0; Surrogate.Sigmoid 4.0; Surrogate.Atan 2.0; Surrogate.FastSigmoid 10.0 ] -> Prim.Fire s
          yield Prim.Detach
          yield Prim.Select
          for c in [ Comparison.Le; Comparison.Ge; Comparison.Gt ] -> Prim.Compare c
          yield Prim.Sign ]
