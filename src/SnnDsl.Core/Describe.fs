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
        set (Ops.functionNames
             @ [ "X"; "spike"; "neuron"; "option"; "learn"; "state"; "output"; "law"; "surrogate"; "and"; "or"; "not"; "implies"
                 "when"; "inputs"; "in"; "integer" ])

    let private isIdentifier (name: string) =
        name.Length > 0
        && (System.Char.IsAsciiLetter name[0] || name[0] = '_')
        && name |> Seq.forall (fun c -> System.Char.IsAsciiLetterOrDigit c || c = '_')

    let private lagPattern = System.Text.RegularExpressions.Regex(@"^(.+)\[t-([0-9]+)\]$", System.Text.RegularExpressions.RegexOptions.Compiled)

    /// The name a law reads k steps earlier, `S[t-k]` (a Ref of that name in a law's expressions).
    let lagged (n: string) (k: int) = $"{n}[t-{k}]"

    /// The name and k of a law's `S[t-k]`, or None for a plain name.
    let lag (n: string) : (string * int) option =
        let m = lagPattern.Match n
        if m.Success then Some(m.Groups[1].Value, int m.Groups[2].Value) else None

    /// A parameter, state or binding name as the text form writes it: bare when it is an identifier that
    /// is not reserved, else between backquotes. A name ending in ' (a law's next value) keeps its quote, one
    /// ending in [t-k] (a law's value k steps earlier) its lag.
    let name (n: string) =
        let n, suffix = match lag n with Some(stem, k) -> stem, $"[t-{k}]" | None -> n, ""
        let stem, tick = if n.EndsWith "'" && n.Length > 1 then n[.. n.Length - 2], "'" else n, ""
        (if isIdentifier stem && not (reserved.Contains stem) then stem + tick else "`" + stem + "`" + tick) + suffix

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

    // The text form of an expression. Levels: or 1, and 2, not 3, comparisons 4 (they do not chain), sums
    // 5, products 6, negation 7, powers 8 (right-leaning), atoms 9. Both operands of a binary op are written
    // at a level that parses back to the same tree (a left-leaning chain needs no parentheses, a right
    // operand of the same level gets them), and a negated number keeps parentheses so that it does not read
    // back as a negative constant.
    let rec private source (prec: int) (e: Expr) : string =
        let paren p s = if p < prec then $"({s})" else s
        let call f args = f + "(" + String.concat ", " (List.map (source 0) args) + ")"
        let negative c = c < 0.0 || (c = 0.0 && System.Double.IsNegative c)
        match e with
        | Input -> "X"
        | State s | Param s | Ref s -> name s
        | Const c when negative c -> paren 7 (number c)
        | Const c -> number c
        | Unary(UnaryOp.Neg, (Const c as a)) when not (negative c) -> paren 7 ("-(" + source 0 a + ")")
        | Unary(UnaryOp.Neg, a) -> paren 7 ("-" + source 7 a)
        | Unary(UnaryOp.Not, a) -> paren 3 ("not " + source 3 a)
        | Unary(op, a) -> call (Ops.name (Prim.Unary op)) [ a ]
        | Binary((BinaryOp.Min | BinaryOp.Max) as op, a, b) -> call (Ops.name (Prim.Binary op)) [ a; b ]
        | Binary(BinaryOp.Pow, a, b) -> paren 8 (source 9 a + " ^ " + source 7 b)
        | Binary(BinaryOp.And, a, b) -> paren 2 (source 2 a + " and " + source 3 b)
        | Binary(BinaryOp.Or, a, b) -> paren 1 (source 1 a + " or " + source 2 b)
        | Binary(op, a, b) ->
            let p, sym =
                match op with
                | BinaryOp.Add -> 5, "+"
                | BinaryOp.Sub -> 5, "-"
                | BinaryOp.Mul -> 6, "*"
                | _ -> 6, "/"
            let right =
                match b with
                | Unary(UnaryOp.Neg, _) -> "(" + source 0 b + ")"
                | Const c when negative c -> "(" + source 0 b + ")"
                | _ -> source (p + 1) b
            paren p (source p a + " " + sym + " " + right)
        | Compare(c, a, b) -> paren 4 (source 5 a + " " + Ops.name (Prim.Compare c) + " " + source 5 b)
        | Where(c, a, b) -> call (Ops.name Prim.Select) [ c; a; b ]
        | Spike(s, a) ->
            let f, k = Surrogate.describe s
            $"spike[{f} {number k}](" + source 0 a + ")"
        | Detach a -> call (Ops.name Prim.Detach) [ a ]

    /// An expression as the text form writes it, e.g. `spike[atan 2](H - theta)`.
    let exprText (e: Expr) = source 0 e

    /// An expression as an operand of a comparison: comparisons, and, or and not in parentheses (a law
    /// compares two of these, `V' < H`).
    let operandText (e: Expr) = source 5 e

    // Binding strength as in the text form: or 1, and 2, not 3, comparisons 4, sums 5, products 6,
    // negation 7, powers 8, atoms and calls 9.
    let rec private render (prec: int) (e: Expr) : string =
        let paren p s = if p < prec then $"({s})" else s
        let call name args = name + "(" + String.concat ", " (List.map (render 0) args) + ")"
        match e with
        | Input -> "X"
        | State s | Param s | Ref s -> s
        | Const c when c < 0.0 -> paren 7 (number c)
        | Const c -> number c
        | Unary(UnaryOp.Neg, a) -> paren 7 ("-" + render 7 a)
        | Unary(UnaryOp.Not, a) -> paren 3 ("not " + render 3 a)
        | Unary(op, a) -> call (Ops.name (Prim.Unary op)) [ a ]
        | Binary((BinaryOp.Min | BinaryOp.Max) as op, a, b) -> call (Ops.name (Prim.Binary op)) [ a; b ]
        | Binary(BinaryOp.Pow, a, b) -> paren 8 (render 9 a + "^" + render 7 b)
        | Binary(BinaryOp.And, a, b) -> paren 2 (render 2 a + " and " + render 3 b)
        | Binary(BinaryOp.Or, a, b) -> paren 1 (render 1 a + " or " + render 2 b)
        | Binary(op, a, b) ->
            // The right operand of - and / binds tighter, so a - (b - c) keeps its parentheses.
            let p, sym, rightPrec =
                match op with
                | BinaryOp.Add -> 5, "+", 5
                | BinaryOp.Sub -> 5, "-", 6
                | BinaryOp.Mul -> 6, "*", 6
                | _ -> 6, "/", 7
            // A negative right operand reads badly bare ("a - -2"), so it gets parentheses.
            let right =
                match b with
                | Unary(UnaryOp.Neg, _) -> "(" + render 0 b + ")"
                | Const c when c < 0.0 -> "(" + render 0 b + ")"
                | _ -> render rightPrec b
            paren p (render p a + " " + sym + " " + right)
        | Compare(c, a, b) -> paren 4 (render 5 a + " " + Ops.name (Prim.Compare c) + " " + render 5 b)
        | Where(c, a, b) -> call (Ops.name Prim.Select) [ c; a; b ]
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
        [ for s in n.States ->
              let from = s.InitFrom |> Option.map (fun f -> $" (= {expr f})") |> Option.defaultValue ""
              let domain = s.Domain |> Option.map (fun d -> $", in {StateDomain.text d}") |> Option.defaultValue ""
              $"{s.Name.PadRight width}  initially {number s.Init}{from}{domain}: {s.Doc}" ]

    let private modifiers (p: ParamSpec) =
        [ match p.Squash with
          | Squash.None -> ()
          | Squash.Tanh -> "tanh"
          | Squash.Sigmoid -> "sigmoid"
          match p.Granularity with
          | Granularity.PerLayer -> ()
          | Granularity.PerChannel -> "per-channel"
          | Granularity.PerNeuron -> "per-neuron" ]

    // An initial value: its formula when it has one, else the number.
    let private initial (v: float) (formula: Expr option) =
        match formula with
        | Some f -> exprText f
        | None -> number v

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
                  $"{kind} {name p.Name} = {initial p.Init p.InitFrom}{mods}", p.Doc
              for s in n.States ->
                  let domain = s.Domain |> Option.map (fun d -> " in " + StateDomain.text d) |> Option.defaultValue ""
                  $"state  {name s.Name} = {initial s.Init s.InitFrom}{domain}", s.Doc ]
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
