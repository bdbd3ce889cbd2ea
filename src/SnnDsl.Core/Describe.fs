namespace SnnDsl.Core

open System.Globalization

/// Human-readable text of a neuron: its equations, parameters and states (for `snn neurons`), and its
/// text form (`Describe.text`, the `.neuron` file format that `NeuronText.parse` reads back).
[<RequireQualifiedAccess>]
module Describe =
    /// A number as the shortest text that reads back to it.
    let number (v: float) = v.ToString("R", CultureInfo.InvariantCulture)

    /// Words of the text form that a name must not be written as bare (it is then written `like this`).
    let reserved =
        set (Ops.functionNames @ [ "X"; "spike"; "neuron"; "option"; "learn"; "state"; "output"; "law"; "and"; "or"; "not"; "implies"; "when"; "inputs" ])

    let private isIdentifier (name: string) =
        name.Length > 0
        && (System.Char.IsAsciiLetter name[0] || name[0] = '_')
        && name |> Seq.forall (fun c -> System.Char.IsAsciiLetterOrDigit c || c = '_')

    /// A parameter, state or binding name as the text form writes it: bare when it is an identifier that
    /// is not reserved, else between backquotes. A name ending in ' (a law's next value) keeps its quote.
    let name (n: string) =
        let stem, tick = if n.EndsWith "'" && n.Length > 1 then n[.. n.Length - 2], "'" else n, ""
        if isIdentifier stem && not (reserved.Contains stem) then stem + tick else "`" + stem + "`" + tick

    /// A string literal of the text form: between double quotes, with \, \" and control characters escaped.
    let quoted (s: string) =
        let sb = System.Text.StringBuilder("\"")
        for c in s do
            match c with
            | '"' -> sb.Append("\\\"") |> ignore
            | '\\' -> sb.Append("\\\\") |> ignore
            | '\n' -> sb.Append("\\n") |> ignore
            | '\r' -> sb.Append("\\r") |> ignore
            | '\t' -> sb.Append("\\t") |> ignore
            | c -> sb.Append(c) |> ignore
        sb.Append('"').ToString()

    // The text form of an expression. Levels: sums 1, products 2, negation 3, atoms 4. Both operands of a
    // binary op are written at a level that parses back to the same tree (a left-leaning chain needs no
    // parentheses, a right operand of the same level gets them), and a negated number keeps parentheses so
    // that it does not read back as a negative constant.
    let rec private source (prec: int) (e: Expr) : string =
        let paren p s = if p < prec then $"({s})" else s
        let call f args = f + "(" + String.concat ", " (List.map (source 0) args) + ")"
        match e with
        | Input -> "X"
        | State s | Param s | Ref s -> name s
        | Const c when c < 0.0 || (c = 0.0 && System.Double.IsNegative c) -> paren 3 (number c)
        | Const c -> number c
        | Unary(UnaryOp.Neg, (Const c as a)) when not (c < 0.0 || System.Double.IsNegative c) -> paren 3 ("-(" + source 0 a + ")")
        | Unary(UnaryOp.Neg, a) -> paren 3 ("-" + source 3 a)
        | Unary(op, a) -> call (Ops.name (Prim.Unary op)) [ a ]
        | Binary((BinaryOp.Min | BinaryOp.Max) as op, a, b) -> call (Ops.name (Prim.Binary op)) [ a; b ]
        | Binary(op, a, b) ->
            let p, sym =
                match op with
                | BinaryOp.Add -> 1, "+"
                | BinaryOp.Sub -> 1, "-"
                | BinaryOp.Mul -> 2, "*"
                | _ -> 2, "/"
            let right =
                match b with
                | Unary(UnaryOp.Neg, _) -> "(" + source 0 b + ")"
                | Const c when c < 0.0 || (c = 0.0 && System.Double.IsNegative c) -> "(" + source 0 b + ")"
                | _ -> source (p + 1) b
            paren p (source p a + " " + sym + " " + right)
        | Spike(s, a) ->
            let f, k = Surrogate.describe s
            $"spike[{f} {number k}](" + source 0 a + ")"
        | Detach a -> call (Ops.name Prim.Detach) [ a ]

    /// An expression as the text form writes it, e.g. `spike[atan 2](H - theta)`.
    let exprText (e: Expr) = source 0 e

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
        | Unary(op, a) -> call (Ops.name (Prim.Unary op)) [ a ]
        | Binary((BinaryOp.Min | BinaryOp.Max) as op, a, b) -> call (Ops.name (Prim.Binary op)) [ a; b ]
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
        | Detach a -> call (Ops.name Prim.Detach) [ a ]

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

    let private modifiers (p: ParamSpec) =
        [ match p.Squash with
          | Squash.None -> ()
          | Squash.Tanh -> "tanh"
          | Squash.Sigmoid -> "sigmoid"
          match p.Granularity with
          | Granularity.PerLayer -> ()
          | Granularity.PerChannel -> "per-channel"
          | Granularity.PerNeuron -> "per-neuron" ]

    /// A neuron's name as the header of its text form writes it (quoted unless it is a plain word).
    let neuronName (n: string) =
        if n.Length > 0 && n |> Seq.forall (fun c -> System.Char.IsAsciiLetterOrDigit c || c = '-' || c = '_' || c = '.' || c = '+')
        then n
        else quoted n

    /// The neuron in its text form, close to how papers write the equations: one line for the header,
    /// each parameter (`option` fixed, `learn` learnable: raw initial value, squash, granularity, doc), each
    /// state, each binding (`H = ...`) and each update (`V <- ...`), and the output when it is not S.
    /// `NeuronText.parse` reads it back to the same neuron.
    let text (n: Neuron) : string =
        let decls =
            [ for p in n.Params ->
                  let kind = if p.Learnable then "learn " else "option"
                  let mods = modifiers p |> List.map (fun m -> " " + m) |> String.concat ""
                  $"{kind} {name p.Name} = {number p.Init}{mods}", p.Doc
              for s in n.States -> $"state  {name s.Name} = {number s.Init}", s.Doc ]
        let declWidth = decls |> List.map (fst >> String.length) |> List.fold max 0
        let width = (n.Bindings @ n.Updates) |> List.map (fun b -> (name b.Name).Length) |> List.fold max 1
        [ yield "neuron " + neuronName n.Name + (if n.Description = "" then "" else " " + quoted n.Description)
          for d, doc in decls -> if doc = "" then d else d.PadRight declWidth + "  " + quoted doc
          for b in n.Bindings -> $"{(name b.Name).PadRight width} = {exprText b.Expr}"
          for u in n.Updates -> $"{(name u.Name).PadRight width} <- {exprText u.Expr}"
          if n.Output <> "S" then yield "output " + name n.Output ]
        |> String.concat "\n"
        |> fun s -> s + "\n"

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
