namespace SnnDsl.Core

open System.Globalization

/// Human-readable text of a neuron's equations, parameters and states (for `snn neurons`).
[<RequireQualifiedAccess>]
module Describe =
    /// A number as the shortest text that reads back to it.
    let number (v: float) = v.ToString("R", CultureInfo.InvariantCulture)

    // Binding strength: sums 1, products 2, negation 3, atoms and calls 4.
    let rec private render (prec: int) (e: Expr) : string =
        let paren p s = if p < prec then $"({s})" else s
        let call name args = name + "(" + String.concat ", " (List.map (render 0) args) + ")"
        match e with
        | Input -> "X"
        | State s | Param s | Ref s -> s
        | Const c when c < 0.0 -> paren 3 (number c)
        | Const c -> number c
        | Unary(UnaryOp.Neg, a) -> paren 3 ("-" + render 3 a)
        | Unary(op, a) ->
            let name =
                match op with
                | UnaryOp.Tanh -> "tanh" | UnaryOp.Sigmoid -> "sigmoid" | UnaryOp.Exp -> "exp"
                | UnaryOp.Log -> "log" | UnaryOp.Relu -> "relu" | UnaryOp.Abs -> "abs" | UnaryOp.Neg -> "-"
            call name [ a ]
        | Binary(BinaryOp.Min, a, b) -> call "min" [ a; b ]
        | Binary(BinaryOp.Max, a, b) -> call "max" [ a; b ]
        | Binary(op, a, b) ->
            // The right operand of - and / binds tighter, so a - (b - c) keeps its parentheses.
            let p, sym, rightPrec =
                match op with
                | BinaryOp.Add -> 1, "+", 1
                | BinaryOp.Sub -> 1, "-", 2
                | BinaryOp.Mul -> 2, "*", 2
                | _ -> 2, "/", 3
            // A negative right operand reads badly bare ("a - -2"), so it gets parentheses.
            let right =
                match b with
                | Unary(UnaryOp.Neg, _) -> "(" + render 0 b + ")"
                | Const c when c < 0.0 -> "(" + render 0 b + ")"
                | _ -> render rightPrec b
            paren p (render p a + " " + sym + " " + right)
        | Spike(_, a) -> "Θ(" + render 0 a + ")"
        | Detach a -> call "detach" [ a ]

    /// An expression in infix notation, e.g. `beta * V + alpha * X`.
    let expr (e: Expr) = render 0 e

    /// A surrogate as name(parameter), e.g. `rectangle(1)`.
    let surrogate (s: Surrogate) =
        let name, p = Surrogate.describe s
        $"{name}({number p})"

    /// The step program, one line per binding (`H = ...`) and per state update (`V ← ...`).
    let equations (n: Neuron) : string list =
        let width = (n.Bindings @ n.Updates) |> List.map (fun b -> b.Name.Length) |> List.fold max 1
        [ for b in n.Bindings -> $"{b.Name.PadRight width} = {expr b.Expr}"
          for u in n.Updates -> $"{u.Name.PadRight width} ← {expr u.Expr}" ]

    /// Every distinct surrogate used by the neuron's Spike nodes.
    let surrogates (n: Neuron) : Surrogate list =
        (n.Bindings @ n.Updates)
        |> List.collect (fun b -> Expr.fold (fun acc e -> match e with Spike(s, _) -> s :: acc | _ -> acc) [] b.Expr)
        |> List.distinct

    /// How the effective value follows from the raw one, e.g. `alpha = tanh(alpha_raw)`.
    let effective (p: ParamSpec) =
        match p.Squash with
        | Squash.None -> $"{p.Name} = raw"
        | Squash.Tanh -> $"{p.Name} = tanh({p.Name}_raw)"
        | Squash.Sigmoid -> $"{p.Name} = sigmoid({p.Name}_raw)"

    /// One line per parameter: name, default raw value, squashing, learnable or fixed, granularity, doc.
    let parameters (n: Neuron) : string list =
        let width = n.Params |> List.map (fun p -> p.Name.Length) |> List.fold max 1
        [ for p in n.Params ->
              let kind = if p.Learnable then "learnable" else "fixed"
              let per =
                  match p.Granularity with
                  | Granularity.PerLayer -> "per layer"
                  | Granularity.PerChannel -> "per channel"
                  | Granularity.PerNeuron -> "per neuron"
              $"{p.Name.PadRight width}  raw {number p.Init}, {effective p}, {kind}, {per}: {p.Doc}" ]

    /// One line per state: name, initial value, doc.
    let states (n: Neuron) : string list =
        let width = n.States |> List.map (fun s -> s.Name.Length) |> List.fold max 1
        [ for s in n.States -> $"{s.Name.PadRight width}  initially {number s.Init}: {s.Doc}" ]

    /// The full text block for one neuron.
    let neuron (n: Neuron) : string =
        let indent = List.map (fun l -> "    " + l)
        [ yield $"{n.Name}: {n.Description}"
          yield "  equations (a state name on the right means its value from the previous step; Θ(x) = 1 for x >= 0):"
          yield! indent (equations n)
          yield $"  output: {n.Output}; surrogate: " + (surrogates n |> List.map surrogate |> String.concat ", ")
          yield "  parameters:"
          yield! indent (parameters n)
          yield "  states:"
          yield! indent (states n) ]
        |> String.concat "\n"
