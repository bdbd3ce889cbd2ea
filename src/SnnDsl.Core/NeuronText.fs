namespace SnnDsl.Core

open System
open System.Globalization
open System.IO
open FParsec

/// How two values of a law compare.
[<RequireQualifiedAccess>]
type Relation =
    /// Less than (written `<`).
    | Lt
    /// Less than or equal (written `<=`).
    | Le
    /// Greater than (written `>`).
    | Gt
    /// Greater than or equal (written `>=`).
    | Ge
    /// Equal (written `=`).
    | Eq
    /// Not equal (written `!=`).
    | Ne

/// A statement about one step of a run, over the names of the neuron: X, parameters (their effective
/// values), states (their value from the previous step), bindings, and `V'` (state V's new value).
[<RequireQualifiedAccess; StructuralEquality; NoComparison>]
type Condition =
    /// Two expressions compared by a relation, e.g. `V' < H`.
    | Compare of left: Expr * Relation * right: Expr
    /// Holds when the condition does not.
    | Not of Condition
    /// Holds when both conditions hold.
    | And of Condition * Condition
    /// Holds when either condition holds.
    | Or of Condition * Condition
    /// Holds when the first condition fails or the second holds.
    | Implies of Condition * Condition

/// A law written in a neuron file: at every step of every case where `When` holds, `Holds` holds.
[<StructuralEquality; NoComparison>]
type NeuronLaw =
    { /// The law's name, as written after `law`.
      Name: string
      /// The range the inputs are drawn from (on a grid of 1/16), when the law says so.
      Inputs: (float * float) option
      /// A precondition on the parameters' effective values (cases where it fails are skipped).
      When: Condition option
      /// The statement that must hold at every step.
      Holds: Condition }

/// What a neuron file holds: the neuron and the laws written beside it.
[<StructuralEquality; NoComparison>]
type NeuronFile =
    { /// The neuron the file defines.
      Neuron: Neuron
      /// The laws written beside it, in file order.
      Laws: NeuronLaw list }

/// A neuron file that does not parse, or names what it does not define: where and what was expected.
type NeuronSyntaxException(source: string, line: int, column: int, problem: string, message: string) =
    inherit SnnException(ErrorKind.Usage, message)
    /// The file (or "text") the neuron came from.
    member _.File = source
    /// 1-based line of the (first) problem.
    member _.Line = line
    /// 1-based column of the (first) problem.
    member _.Column = column
    /// What is wrong there, without the position.
    member _.Problem = problem

/// Printing conditions and laws in the text form.
[<RequireQualifiedAccess>]
module Condition =
    /// The comparison of expressions a relation is (the op table's meaning of it).
    let comparison (r: Relation) : Comparison =
        match r with
        | Relation.Lt -> Comparison.Lt
        | Relation.Le -> Comparison.Le
        | Relation.Gt -> Comparison.Gt
        | Relation.Ge -> Comparison.Ge
        | Relation.Eq -> Comparison.Eq
        | Relation.Ne -> Comparison.Ne

    let private relation (r: Relation) =
        match r with
        | Relation.Lt -> "<"
        | Relation.Le -> "<="
        | Relation.Gt -> ">"
        | Relation.Ge -> ">="
        | Relation.Eq -> "="
        | Relation.Ne -> "!="

    // Levels: implies 0 (right-leaning), or 1, and 2, not and comparisons 3.
    let rec private render (prec: int) (c: Condition) =
        let paren p s = if p < prec then $"({s})" else s
        match c with
        | Condition.Compare(a, r, b) -> Describe.operandText a + " " + relation r + " " + Describe.operandText b
        | Condition.Not a -> paren 3 ("not " + render 3 a)
        | Condition.And(a, b) -> paren 2 (render 2 a + " and " + render 3 b)
        | Condition.Or(a, b) -> paren 1 (render 1 a + " or " + render 2 b)
        | Condition.Implies(a, b) -> paren 0 (render 1 a + " implies " + render 0 b)

    /// A condition in the text form, e.g. `S = 1 implies V' < H`.
    let text (c: Condition) = render 0 c

    /// Every name a condition reads (Ref, State and Param nodes).
    let rec exprs (c: Condition) : Expr list =
        match c with
        | Condition.Compare(a, _, b) -> [ a; b ]
        | Condition.Not a -> exprs a
        | Condition.And(a, b) | Condition.Or(a, b) | Condition.Implies(a, b) -> exprs a @ exprs b

/// The text form of neurons (`.neuron` files): `Describe.text` prints it, `NeuronText.parse` reads it.
/// docs/dsl.md ("The text form") has the grammar.
[<RequireQualifiedAccess>]
module NeuronText =
    /// A law as its line in a neuron file.
    let lawText (law: NeuronLaw) =
        let inputs = law.Inputs |> Option.map (fun (lo, hi) -> $" inputs {Describe.number lo}..{Describe.number hi}") |> Option.defaultValue ""
        let pre = law.When |> Option.map (fun c -> " when " + Condition.text c) |> Option.defaultValue ""
        $"law {law.Name}{inputs}{pre}: {Condition.text law.Holds}"

    /// A neuron file as text: the neuron (`Describe.text`), then one line per law.
    let print (file: NeuronFile) =
        Describe.text file.Neuron + (file.Laws |> List.map (fun l -> lawText l + "\n") |> String.concat "")

    // ---------------------------------------------------------------- syntax tree with positions

    type internal Pos = { Line: int; Column: int }

    type internal Raw =
        | RNum of float
        | RName of string * next: bool * lag: int * Pos
        | RUn of UnaryOp * Raw
        | RBin of BinaryOp * Raw * Raw
        | RSpike of Surrogate * Raw
        /// spike(x): the file's surrogate, or the library's default.
        | RFire of Raw
        | RDetach of Raw
        | RCompare of Comparison * Raw * Raw
        | RWhere of Raw * Raw * Raw

    type internal RCond =
        | RCmp of Raw * Relation * Raw
        | RNot of RCond
        | RAnd of RCond * RCond
        | ROr of RCond * RCond
        | RImplies of RCond * RCond

    type internal Stmt =
        | Header of name: string * description: string
        | ParamDecl of learnable: bool * name: string * init: Raw * modifiers: (string * Pos) list * doc: string
        | StateDecl of name: string * init: Raw * domain: (float * float * bool) option * doc: string
        | SurrogateDecl of Surrogate
        | BindDecl of name: string * Raw
        | UpdateDecl of name: string * Raw
        | OutputOf of name: string
        | LawOf of name: string * inputs: (float * float) option * pre: RCond option * holds: RCond

    type internal Line = { At: Pos; NameAt: Pos; Stmt: Stmt }

    // ---------------------------------------------------------------- the grammar

    let private pos: Parser<Pos, unit> = getPosition |>> fun p -> { Line = int p.Line; Column = int p.Column }
    let private ws: Parser<unit, unit> = skipManySatisfy (fun c -> c = ' ' || c = '\t')
    let private sym (s: string) = skipString s .>> ws
    let private comment: Parser<unit, unit> = skipChar '#' >>. skipRestOfLine false
    let private endOfLine: Parser<unit, unit> =
        ws >>. optional comment >>. ((skipNewline) <|> eof) <?> "the end of the line"

    let private bareWord: Parser<string, unit> =
        many1Satisfy2L (fun c -> Char.IsAsciiLetter c || c = '_') (fun c -> Char.IsAsciiLetterOrDigit c || c = '_') "a name"

    let private backquoted: Parser<string, unit> =
        between (skipChar '`') (skipChar '`' <?> "a closing `") (many1Satisfy (fun c -> c <> '`' && c <> '\n'))

    // A name: bare (not a reserved word) or `backquoted`.
    let private name: Parser<string, unit> =
        backquoted
        <|> (attempt (bareWord >>= fun w -> if Describe.reserved.Contains w && w <> "X" then fail "" else preturn w)
             <?> "a name")

    let private number: Parser<float, unit> =
        regex @"([0-9]+(\.[0-9]+)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
        |>> fun s -> Double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)
        <?> "a number"

    let private signedNumber: Parser<float, unit> =
        (skipChar '-' >>. number |>> fun v -> -v) <|> number <?> "a number"

    let private stringLit: Parser<string, unit> =
        let normal = manySatisfy (fun c -> c <> '"' && c <> '\\' && c <> '\n')
        let escaped =
            skipChar '\\'
            >>. (anyOf "\"\\nrt" <?> "an escape (\\\", \\\\, \\n, \\r or \\t)")
            |>> function
                | 'n' -> "\n"
                | 'r' -> "\r"
                | 't' -> "\t"
                | c -> string c
        between (skipChar '"') (skipChar '"' <?> "a closing \"") (stringsSepBy normal escaped) <?> "a \"text\""

    let private surrogateNames = Surrogate.all |> List.map fst

    let private surrogate: Parser<Surrogate, unit> =
        let nameP =
            (many1Satisfy (fun c -> Char.IsAsciiLetter c || c = '-') <?> ("a surrogate (" + String.concat ", " surrogateNames + ")"))
            >>= fun n ->
                match Surrogate.all |> List.tryFind (fun (m, _) -> m = n) with
                | Some(_, s) -> preturn s
                | None -> fail ($"unknown surrogate '{n}' (surrogates: " + String.concat ", " surrogateNames + ")")
        nameP .>> ws .>>. opt (optional (sym ":") >>. number .>> ws)
        >>= fun (s, k) ->
            match k with
            | None -> preturn s
            | Some k when k > 0.0 -> preturn (Surrogate.withParameter k s)
            | Some k -> fail $"a surrogate's parameter must be positive, got {k}"

    let private expr, private exprRef = createParserForwardedToRef<Raw, unit> ()

    // The functions by the table's names (Ops.name), so the text form and Describe cannot disagree.
    let private functions = Ops.namedUnary |> List.map (fun op -> Ops.name (Prim.Unary op), op) |> Map.ofList
    let private binaryFunctions = Ops.namedBinary |> List.map (fun op -> Ops.name (Prim.Binary op), op) |> Map.ofList
    let private whereName = Ops.name Prim.Select
    let private detachName = Ops.name Prim.Detach

    let private call: Parser<Raw, unit> =
        let args (n: int) =
            let comma = sym "," <?> "','"
            let rest = List.replicate (n - 1) (comma >>. expr)
            between (sym "(") (sym ")" <?> (if n = 1 then "')'" else "')' after the last of its arguments"))
                (expr .>>. (List.fold (fun acc p -> acc .>>. p |>> fun (xs, x) -> xs @ [ x ]) (preturn []) rest))
            |>> fun (first, rest) -> first :: rest
        let arity f n (k: Raw list -> Raw) = args n <?> $"'(' and the {n} argument(s) of {f}" |>> k
        // A call is a name followed by '(' (or spike by '['; any other name before '[' is a lag, S[t-1]).
        attempt (bareWord .>> ws >>= fun w -> (if w = "spike" then followedBy (anyOf "([") else followedBy (pchar '(')) >>% w) >>= fun f ->
            match f with
            | f when binaryFunctions.ContainsKey f -> arity f 2 (fun a -> RBin(binaryFunctions[f], a[0], a[1]))
            | f when f = whereName -> arity f 3 (fun a -> RWhere(a[0], a[1], a[2]))
            | f when f = Ops.ClampName -> arity f 3 (fun a -> RBin(BinaryOp.Min, RBin(BinaryOp.Max, a[0], a[1]), a[2]))
            | f when f = detachName -> arity f 1 (fun a -> RDetach a[0])
            | "spike" ->
                (between (sym "[") (sym "]" <?> "']'") surrogate .>>. arity f 1 List.head |>> RSpike)
                <|> (arity f 1 (fun a -> RFire a[0]))
            | f when functions.ContainsKey f -> arity f 1 (fun a -> RUn(functions[f], a[0]))
            | f ->
                let known = String.concat ", " (Ops.functionNames @ [ "spike" ])
                fail $"unknown function '{f}' (functions: {known})"

    // A name, its new value (V') or, in laws, its value k steps earlier (S[t-k]).
    let private nameRef: Parser<Raw, unit> =
        let lag =
            skipChar '[' >>. ws >>. (skipChar 't' <?> "t-k (a value k steps earlier, e.g. S[t-1])") >>. ws
            >>. (skipChar '-' <?> "'-' (a law reads earlier steps only: S[t-1])") >>. ws
            >>. ((pint32 <?> "the number of steps back") >>= fun k -> if k >= 1 then preturn k else fail "a lag counts at least one step back: S[t-1]")
            .>> ws .>> (skipChar ']' <?> "']'")
        pos .>>. name .>>. opt (skipChar '\'') .>>. opt lag .>> ws
        |>> fun (((p, n), tick), k) -> RName(n, tick.IsSome, defaultArg k 0, p)

    let private atom: Parser<Raw, unit> =
        choice
            [ number .>> ws |>> RNum
              between (sym "(") (sym ")" <?> "')'") expr
              call
              nameRef ]
        <?> "an expression"

    let private unary, private unaryRef = createParserForwardedToRef<Raw, unit> ()

    // Powers bind tighter than negation and lean right: -x^2 is -(x^2), 2^-1 is 2^(-1), a^b^c is a^(b^c).
    let private exponent = sym "^" >>. unary

    do
        let negative =
            attempt (skipChar '-' >>. followedBy (digit <|> pchar '.') >>. number .>> ws) .>>. opt exponent
            |>> fun (v, e) -> match e with Some e -> RUn(UnaryOp.Neg, RBin(BinaryOp.Pow, RNum v, e)) | None -> RNum(-v)
        let power = atom .>>. opt exponent |>> fun (a, e) -> match e with Some e -> RBin(BinaryOp.Pow, a, e) | None -> a
        unaryRef.Value <- negative <|> (sym "-" >>. unary |>> fun a -> RUn(UnaryOp.Neg, a)) <|> power <?> "an expression"

    let private chain (operand: Parser<Raw, unit>) (ops: (char * BinaryOp) list) =
        let op = choice [ for c, o in ops -> skipChar c >>. ws >>% o ]
        operand .>>. many (op .>>. operand) |>> fun (first, rest) -> rest |> List.fold (fun acc (o, b) -> RBin(o, acc, b)) first

    // Arithmetic: sums of products of powers. Laws compare arithmetic (`V' < H`); bindings may also compare,
    // and combine comparisons with not, and, or.
    let private arith = chain (chain unary [ '*', BinaryOp.Mul; '/', BinaryOp.Div ]) [ '+', BinaryOp.Add; '-', BinaryOp.Sub ]

    let private keyword (k: string) = attempt (skipString k >>. notFollowedBy (satisfy (fun c -> Char.IsAsciiLetterOrDigit c || c = '_'))) .>> ws

    let private comparisonOp: Parser<Comparison, unit> =
        choice
            [ attempt (skipString "<=") >>% Comparison.Le
              attempt (skipString ">=") >>% Comparison.Ge
              attempt (skipString "==") >>% Comparison.Eq
              attempt (skipString "!=") >>% Comparison.Ne
              skipChar '<' >>% Comparison.Lt
              skipChar '>' >>% Comparison.Gt ]
        .>> ws
        <?> "a comparison (<, <=, >, >=, ==, !=)"

    do
        let chained = followedBy comparisonOp >>. failFatally "comparisons do not chain: write a < b and b < c"
        let comparison =
            arith .>>. opt (comparisonOp .>>. arith) .>> optional chained
            |>> fun (a, c) -> match c with Some(op, b) -> RCompare(op, a, b) | None -> a
        let notE, notRef = createParserForwardedToRef<Raw, unit> ()
        notRef.Value <- (keyword "not" >>. notE |>> fun a -> RUn(UnaryOp.Not, a)) <|> comparison
        let conj = sepBy1 notE (keyword "and") |>> List.reduce (fun a b -> RBin(BinaryOp.And, a, b))
        let disj = sepBy1 conj (keyword "or") |>> List.reduce (fun a b -> RBin(BinaryOp.Or, a, b))
        exprRef.Value <- disj

    // A law's relations: the comparisons of expressions (`==` is `=` there), and `=` and `<>` besides.
    let private relationP: Parser<Relation, unit> =
        // The inverse of Condition.comparison, read off it.
        let relations = [ Relation.Lt; Relation.Le; Relation.Gt; Relation.Ge; Relation.Eq; Relation.Ne ]
        let ofComparison (c: Comparison) = relations |> List.find (fun r -> Condition.comparison r = c)
        choice
            [ attempt (skipString "<>" .>> ws) >>% Relation.Ne
              notFollowedBy (skipString "<-") >>. comparisonOp |>> ofComparison
              skipChar '=' .>> ws >>% Relation.Eq ]
        <?> "a comparison (<, <=, >, >=, =, !=)"

    let private cond, private condRef = createParserForwardedToRef<RCond, unit> ()

    let private condAtom, private condAtomRef = createParserForwardedToRef<RCond, unit> ()

    do
        let comparison = arith .>>. relationP .>>. arith |>> fun ((a, r), b) -> RCmp(a, r, b)
        condAtomRef.Value <-
            (keyword "not" >>. condAtom |>> RNot)
            // A condition in parentheses, unless an operator follows: then the parentheses held an operand.
            <|> attempt (between (sym "(") (sym ")") cond .>> notFollowedBy (anyOf "+-*/^<>=!"))
            <|> comparison
            <?> "a condition (a comparison such as S = 1, not, and, or, implies)"
        let conj = sepBy1 condAtom (keyword "and") |>> List.reduce (fun a b -> RAnd(a, b))
        let disj = sepBy1 conj (keyword "or") |>> List.reduce (fun a b -> ROr(a, b))
        condRef.Value <- disj .>>. opt (keyword "implies" >>. cond) |>> fun (a, b) -> match b with Some b -> RImplies(a, b) | None -> a

    let private doc = opt (stringLit .>> ws) |>> Option.defaultValue ""

    let private modifier: Parser<string * Pos, unit> =
        pos .>>. choice [ for m in [ "tanh"; "sigmoid"; "none"; "per-layer"; "per-channel"; "per-neuron" ] -> keyword m >>% m ]
        |>> fun (p, m) -> m, p

    let private neuronName = stringLit <|> many1Satisfy (fun c -> Char.IsAsciiLetterOrDigit c || c = '-' || c = '_' || c = '.' || c = '+') <?> "the neuron's name"

    let private lawName = many1Satisfy (fun c -> Char.IsAsciiLetterOrDigit c || c = '-' || c = '_') <?> "the law's name (letters, digits, - and _)"

    let private statement: Parser<Pos * Stmt, unit> =
        let decl learnable = pos .>>. name .>> ws .>> (sym "=" <?> "'='") .>>. arith .>> ws .>>. many (modifier .>> ws) .>>. doc
                             |>> fun ((((p, n), v), mods), d) -> p, ParamDecl(learnable, n, v, mods, d)
        let domain =
            keyword "in" >>. signedNumber .>> ws .>> (sym ".." <?> "'..' (a domain is LOW..HIGH, e.g. in 0..2)") .>>. signedNumber .>> ws
            .>>. opt (keyword "integer")
            |>> fun ((lo, hi), integer) -> lo, hi, integer.IsSome
        choice
            [ keyword "neuron" >>. pos .>>. neuronName .>> ws .>>. doc |>> fun ((p, n), d) -> p, Header(n, d)
              keyword "option" >>. decl false
              keyword "learn" >>. decl true
              keyword "state" >>. pos .>>. name .>> ws .>> (sym "=" <?> "'='") .>>. arith .>> ws .>>. opt domain .>>. doc
              |>> fun ((((p, n), v), dom), d) -> p, StateDecl(n, v, dom, d)
              keyword "surrogate" >>. pos .>>. surrogate |>> fun (p, s) -> p, SurrogateDecl s
              keyword "output" >>. pos .>>. name .>> ws |>> fun (p, n) -> p, OutputOf n
              keyword "law" >>. pos .>>. lawName .>> ws
              .>>. opt (keyword "inputs" >>. signedNumber .>> ws .>> (sym ".." <?> "'..'") .>>. signedNumber .>> ws)
              .>>. opt (keyword "when" >>. cond)
              .>> (sym ":" <?> "':' and the law")
              .>>. cond
              |>> fun (((((p, n), inputs), pre), holds)) -> p, LawOf(n, inputs, pre, holds)
              pos .>>. name .>> ws .>>. ((sym "<-" <|> sym "←") >>% true <|> (sym "=" >>% false) <?> "'=' (a binding) or '<-' (a state's update)")
              .>>. expr
              |>> fun (((p, n), isUpdate), e) -> p, (if isUpdate then UpdateDecl(n, e) else BindDecl(n, e)) ]
        <?> "a line: neuron, option, learn, state, surrogate, NAME = expression, NAME <- expression, output or law"

    let private line: Parser<Line option, unit> =
        ws >>. (((followedBy (skipNewline <|> eof <|> skipChar '#')) >>. endOfLine >>% None)
                <|> (pos .>>. statement .>> endOfLine |>> fun (at, (nameAt, s)) -> Some { At = at; NameAt = nameAt; Stmt = s }))

    let private file: Parser<Line list, unit> = many (notFollowedBy eof >>. line) .>> eof |>> List.choose id

    // ---------------------------------------------------------------- errors

    let private fail (source: string) (problems: (Pos * string) list) : 'a =
        let sorted = problems |> List.sortBy (fun (p, _) -> p.Line, p.Column)
        let first, problem = List.head sorted
        let message = sorted |> List.map (fun (p, m) -> $"{source}:{p.Line}:{p.Column}: {m}") |> String.concat "\n"
        raise (NeuronSyntaxException(source, first.Line, first.Column, problem, message))

    // FParsec's error list as one sentence: "expected a number or a name, found 'x'".
    let private describeError (text: string) (err: ParserError) =
        let msgs = ErrorMessageList.ToSortedArray err.Messages
        let expected =
            msgs
            |> Array.choose (fun m ->
                match m with
                | :? ErrorMessage.Expected as e when e.Label <> "'''" -> Some e.Label
                | :? ErrorMessage.ExpectedString as e when e.String <> "'" -> Some $"'{e.String}'"
                | _ -> None)
            |> Array.distinct
        // The operators that could continue an expression, as one item: "')' or an operator (...)" instead of
        // ten; '[' (a law's S[t-k]) is left out, as it continues only names in laws.
        let operators = set [ "'*'"; "'+'"; "'-'"; "'/'"; "'^'"; "'and'"; "'or'"; "a comparison (<, <=, >, >=, ==, !=)" ]
        let expected =
            let ops = expected |> Array.filter operators.Contains
            let rest = expected |> Array.filter (fun e -> not (operators.Contains e) && e <> "'['")
            if ops.Length >= 2 then Array.append rest [| "an operator (+, -, *, /, ^, <, <=, >, >=, ==, !=, and, or)" |]
            elif expected.Length > 1 then Array.filter (fun e -> e <> "'['") expected
            else expected
        let others =
            msgs
            |> Array.collect (fun m ->
                match m with
                | :? ErrorMessage.Message as e when e.String <> "" -> [| e.String |]
                | :? ErrorMessage.NestedError as e ->
                    ErrorMessageList.ToSortedArray e.Messages
                    |> Array.choose (fun m -> match m with :? ErrorMessage.Message as e when e.String <> "" -> Some e.String | _ -> None)
                | _ -> [||])
            |> Array.distinct
        let index = int err.Position.Index
        let found =
            if index >= text.Length then "the end of the file"
            else
                match text[index] with
                | '\n' | '\r' -> "the end of the line"
                | _ ->
                    let rest = text.Substring(index)
                    let stop = rest.IndexOfAny([| ' '; '\t'; '\n'; '\r' |])
                    let word = if stop < 0 then rest else rest.Substring(0, stop)
                    $"'{(if word.Length > 12 then word.Substring(0, 12) + '…'.ToString() else word)}'"
        let orList (items: string[]) =
            match items with
            | [||] -> ""
            | [| a |] -> a
            | _ -> String.Join(", ", items[.. items.Length - 2]) + " or " + items[items.Length - 1]
        match others, expected with
        | [||], [||] -> $"unexpected {found}"
        | [||], e -> $"expected {orList e}, found {found}"
        | o, [||] -> String.Join("; ", o)
        | o, e -> String.Join("; ", o) + $" (expected {orList e}, found {found})"

    // ---------------------------------------------------------------- names to expressions

    type internal Scope =
        { Params: Set<string>
          States: Set<string>
          /// Bindings this expression may read.
          Visible: Set<string>
          /// Every binding with its line (to say "defined later").
          AllBindings: Map<string, int>
          /// Laws read the new value of a state as V', and earlier values as S[t-k].
          AllowNext: bool
          /// The surrogate of spike(x).
          Surrogate: Surrogate }

    let private listOrNone (s: string seq) = if Seq.isEmpty s then "none" else String.Join(", ", s)

    let rec private resolve (scope: Scope) (problems: ResizeArray<Pos * string>) (r: Raw) : Expr =
        let go = resolve scope problems
        match r with
        | RNum v -> Const v
        | RName(n, next, lag, p) when lag > 0 ->
            if not scope.AllowNext then problems.Add(p, $"{n}[t-{lag}] (a value {lag} step(s) earlier) can be read only in a law")
            elif scope.Params.Contains n then problems.Add(p, $"'{n}' is a parameter, the same at every step; write {n}, not {n}[t-{lag}]")
            else resolve scope problems (RName(n, next, 0, p)) |> ignore
            Ref(Describe.lagged (if next then n + "'" else n) lag)
        | RName("X", false, _, _) -> Input
        | RName(n, true, _, p) ->
            if not scope.AllowNext then problems.Add(p, $"{n}' (a state's new value) can be read only in a law")
            elif not (scope.States.Contains n) then problems.Add(p, $"{n}' names no state (states: {listOrNone scope.States})")
            Ref(n + "'")
        | RName(n, false, _, p) ->
            if scope.Params.Contains n then Param n
            elif scope.States.Contains n then State n
            elif scope.Visible.Contains n then Ref n
            else
                match scope.AllBindings.TryFind n with
                | Some line -> problems.Add(p, $"binding '{n}' is defined later (line {line}); a binding sees only the bindings above it")
                | None ->
                    let visible = scope.Params + scope.States + scope.Visible
                    problems.Add(p, $"unknown name '{n}' (known here: X, {listOrNone visible})")
                Ref n
        | RUn(op, a) -> Unary(op, go a)
        | RBin(op, a, b) -> Binary(op, go a, go b)
        | RSpike(s, a) -> Spike(s, go a)
        | RFire a -> Spike(scope.Surrogate, go a)
        | RDetach a -> Detach(go a)
        | RCompare(c, a, b) -> Compare(c, go a, go b)
        | RWhere(c, a, b) -> Where(go c, go a, go b)

    let rec private rawPos (r: Raw) : Pos option =
        match r with
        | RName(_, _, _, p) -> Some p
        | RNum _ -> None
        | RUn(_, a) | RSpike(_, a) | RFire a | RDetach a -> rawPos a
        | RBin(_, a, b) | RCompare(_, a, b) -> Option.orElse (rawPos b) (rawPos a)
        | RWhere(c, a, b) -> rawPos c |> Option.orElse (rawPos a) |> Option.orElse (rawPos b)

    // An initial value: a number, or a formula over fixed options (checked again by Neuron.validate, which
    // also finds cycles); X, states, bindings and spikes are refused where they are written.
    let private resolveInit (what: string) (options: Set<string>) (learnables: Set<string>) (at: Pos) (problems: ResizeArray<Pos * string>) (r: Raw) : float * Expr option =
        let rec go (r: Raw) : Expr =
            match r with
            | RNum v -> Const v
            | RName(n, false, 0, p) when options.Contains n -> Param n
            | RName(n, _, _, p) when learnables.Contains n ->
                problems.Add(p, $"the initial value of {what} uses the learnable parameter '{n}'; an initial value may use only fixed options (declared with 'option')")
                Const 0.0
            | RName(n, _, _, p) ->
                problems.Add(p, $"the initial value of {what} may use numbers and options only; '{n}' is not an option (options: {listOrNone options})")
                Const 0.0
            | RUn(op, a) -> Unary(op, go a)
            | RBin(op, a, b) -> Binary(op, go a, go b)
            | RCompare(c, a, b) -> Compare(c, go a, go b)
            | RWhere(c, a, b) -> Where(go c, go a, go b)
            | RDetach a -> go a
            | RSpike _ | RFire _ ->
                problems.Add(defaultArg (rawPos r) at, $"the initial value of {what} cannot spike")
                Const 0.0
        match go r with
        | Const v -> v, None
        | Unary(UnaryOp.Neg, Const v) -> -v, None
        | f -> 0.0, Some f

    let rec private resolveCond (scope: Scope) problems (c: RCond) : Condition =
        let go = resolveCond scope problems
        match c with
        | RCmp(a, r, b) -> Condition.Compare(resolve scope problems a, r, resolve scope problems b)
        | RNot a -> Condition.Not(go a)
        | RAnd(a, b) -> Condition.And(go a, go b)
        | ROr(a, b) -> Condition.Or(go a, go b)
        | RImplies(a, b) -> Condition.Implies(go a, go b)

    let private build (source: string) (lines: Line list) : NeuronFile =
        let problems = ResizeArray<Pos * string>()
        let header, body =
            match lines with
            | { Stmt = Header(n, d) } :: rest -> (n, d), rest
            | first :: _ ->
                problems.Add(first.At, "a neuron file starts with its header: neuron NAME \"description\"")
                ("", ""), lines
            | [] -> fail source [ { Line = 1; Column = 1 }, "the file is empty; it starts with: neuron NAME \"description\"" ]
        for l in body do
            match l.Stmt with
            | Header _ -> problems.Add(l.At, "a second 'neuron' line; a file defines one neuron")
            | _ -> ()
        let declared =
            body
            |> List.choose (fun l ->
                match l.Stmt with
                | ParamDecl(_, n, _, _, _) | StateDecl(n, _, _, _) | BindDecl(n, _) -> Some(n, l)
                | _ -> None)
        let seen = Collections.Generic.Dictionary<string, int>()
        for n, l in declared do
            match seen.TryGetValue n with
            | true, first -> problems.Add(l.NameAt, $"'{n}' is already defined on line {first} (parameters, states and bindings share one namespace)")
            | _ -> seen[n] <- l.At.Line
        let options = body |> List.choose (fun l -> match l.Stmt with ParamDecl(false, n, _, _, _) -> Some n | _ -> None) |> Set.ofList
        let learnables = body |> List.choose (fun l -> match l.Stmt with ParamDecl(true, n, _, _, _) -> Some n | _ -> None) |> Set.ofList
        let surrogates = body |> List.choose (fun l -> match l.Stmt with SurrogateDecl s -> Some(s, l) | _ -> None)
        for _, l in List.skip (min 1 surrogates.Length) surrogates do
            problems.Add(l.At, "a second 'surrogate' line; a file has one default surrogate")
        let fileSurrogate = surrogates |> List.tryHead |> Option.map fst |> Option.defaultValue Surrogate.defaultSurrogate
        let pars =
            [ for l in body do
                  match l.Stmt with
                  | ParamDecl(learnable, n, raw, mods, d) ->
                      let v, formula = resolveInit $"parameter '{n}'" options learnables l.NameAt problems raw
                      let mutable squash, per = None, None
                      for m, p in mods do
                          match m with
                          | "tanh" | "sigmoid" | "none" ->
                              if squash.IsSome then problems.Add(p, $"parameter '{n}' has two squashes; give one of tanh, sigmoid, none")
                              squash <- Some(match m with "tanh" -> Squash.Tanh | "sigmoid" -> Squash.Sigmoid | _ -> Squash.None)
                          | _ ->
                              if per.IsSome then problems.Add(p, $"parameter '{n}' has two granularities; give one of per-layer, per-channel, per-neuron")
                              per <- Some(match m with "per-channel" -> Granularity.PerChannel | "per-neuron" -> Granularity.PerNeuron | _ -> Granularity.PerLayer)
                      if not (Double.IsFinite v) then problems.Add(l.NameAt, $"parameter '{n}' needs a finite value")
                      yield
                          { Name = n; Learnable = learnable; Granularity = defaultArg per Granularity.PerLayer
                            Squash = defaultArg squash Squash.None; Init = v; Doc = d; InitFrom = formula }
                  | _ -> () ]
        let states =
            [ for l in body do
                  match l.Stmt with
                  | StateDecl(n, raw, domain, d) ->
                      let v, formula = resolveInit $"state '{n}'" options learnables l.NameAt problems raw
                      if not (Double.IsFinite v) then problems.Add(l.NameAt, $"state '{n}' needs a finite initial value")
                      let domain = domain |> Option.map (fun (lo, hi, integer) -> { Low = lo; High = hi; Integer = integer })
                      match domain with
                      | Some d ->
                          match StateDomain.problem d with
                          | Some why -> problems.Add(l.NameAt, $"state '{n}': {why}")
                          | None when formula.IsNone && not (StateDomain.contains d v) ->
                              problems.Add(l.NameAt, $"state '{n}' starts at {Describe.number v}, outside its domain {StateDomain.text d}")
                          | None -> ()
                      | None -> ()
                      yield { Name = n; Init = v; Doc = d; InitFrom = formula; Domain = domain }
                  | _ -> () ]
        let bindingLines = body |> List.choose (fun l -> match l.Stmt with BindDecl(n, e) -> Some(n, e, l) | _ -> None)
        let allBindings = bindingLines |> List.map (fun (n, _, l) -> n, l.At.Line) |> Map.ofList
        let scope visible allowNext =
            { Params = pars |> List.map (fun p -> p.Name) |> Set.ofList
              States = states |> List.map (fun s -> s.Name) |> Set.ofList
              Visible = visible
              AllBindings = allBindings
              AllowNext = allowNext
              Surrogate = fileSurrogate }
        let bindings =
            bindingLines
            |> List.mapi (fun i (n, e, _) ->
                let visible = bindingLines |> List.take i |> List.map (fun (m, _, _) -> m) |> Set.ofList
                { Name = n; Expr = resolve (scope visible false) problems e })
        let everyBinding = bindings |> List.map (fun b -> b.Name) |> Set.ofList
        let stateNames = states |> List.map (fun s -> s.Name)
        let updates =
            [ for l in body do
                  match l.Stmt with
                  | UpdateDecl(n, e) ->
                      if not (List.contains n stateNames) then
                          problems.Add(l.NameAt, $"'{n}' is not a declared state, so it has no update (states: {listOrNone stateNames}); declare it with: state {n} = 0")
                      yield { Name = n; Expr = resolve (scope everyBinding false) problems e }
                  | _ -> () ]
        let updatedAt = body |> List.choose (fun l -> match l.Stmt with UpdateDecl(n, _) -> Some(n, l) | _ -> None)
        for s in states do
            match updatedAt |> List.filter (fst >> (=) s.Name) with
            | [] ->
                let at = body |> List.pick (fun l -> match l.Stmt with StateDecl(n, _, _, _) when n = s.Name -> Some l.NameAt | _ -> None)
                problems.Add(at, $"state '{s.Name}' has no update; add a line: {s.Name} <- expression")
            | [ _ ] -> ()
            | _ :: (_, second) :: _ -> problems.Add(second.NameAt, $"state '{s.Name}' is updated twice")
        if not (List.contains "V" stateNames) then
            let at = match lines with first :: _ -> first.At | [] -> { Line = 1; Column = 1 }
            problems.Add(at, "the neuron has no state V (the membrane potential); add a line: state V = 0")
        let outputs = body |> List.choose (fun l -> match l.Stmt with OutputOf n -> Some(n, l) | _ -> None)
        let output =
            match outputs with
            | [] ->
                if not (everyBinding.Contains "S") then
                    let at = match lines with first :: _ -> first.At | [] -> { Line = 1; Column = 1 }
                    problems.Add(at, "no binding S and no 'output' line: name the spike binding with: output NAME")
                "S"
            | (n, l) :: rest ->
                if not (everyBinding.Contains n) then problems.Add(l.NameAt, $"output '{n}' is not a binding (bindings: {listOrNone everyBinding})")
                for _, l2 in rest do problems.Add(l2.At, "a second 'output' line")
                n
        let laws =
            [ for l in body do
                  match l.Stmt with
                  | LawOf(n, inputs, pre, holds) ->
                      match inputs with
                      | Some(lo, hi) when not (lo <= hi) -> problems.Add(l.NameAt, $"law '{n}': inputs {lo}..{hi} is an empty range")
                      | _ -> ()
                      yield
                          { Name = n
                            Inputs = inputs
                            When = pre |> Option.map (resolveCond (scope everyBinding true) problems)
                            Holds = resolveCond (scope everyBinding true) problems holds }
                  | _ -> () ]
        for n, count in laws |> List.countBy (fun l -> l.Name) do
            if count > 1 then
                let second = body |> List.filter (fun l -> match l.Stmt with LawOf(m, _, _, _) -> m = n | _ -> false) |> List.item 1
                problems.Add(second.NameAt, $"law '{n}' is defined twice")
        if problems.Count > 0 then fail source (List.ofSeq problems)
        let neuron =
            { Name = fst header; Description = snd header; Params = pars; States = states
              Bindings = bindings; Updates = updates; Output = output }
        match Neuron.validate neuron with
        | Result.Ok n -> { Neuron = n; Laws = laws }
        | Result.Error ps -> fail source [ for p in ps -> (match lines with first :: _ -> first.At | [] -> { Line = 1; Column = 1 }), p ]

    // ---------------------------------------------------------------- entry points

    /// Parses a neuron file's text; `source` names it in errors (a path, or e.g. "text"). A problem raises
    /// NeuronSyntaxException (a usage error) naming the line and column and what was expected there.
    let parse (source: string) (text: string) : NeuronFile =
        if isNull text then nullArg "text"
        let text = text.Replace("\r\n", "\n")
        match run file text with
        | Success(lines, _, _) -> build source lines
        | Failure(_, err, _) ->
            let p = { Line = int err.Position.Line; Column = int err.Position.Column }
            fail source [ p, describeError text err ]

    /// The neuron of a text (laws are read and dropped).
    let parseNeuron (source: string) (text: string) : Neuron = (parse source text).Neuron

    /// A law written as a neuron file writes it (`law NAME [inputs A..B] [when C]: C`), over the names of
    /// `neuron`: for laws from F# or C# in the file's own language. A problem raises NeuronSyntaxException
    /// whose line and column are those of the law's text.
    let parseLaw (neuron: Neuron) (text: string) : NeuronLaw =
        if isNull text then nullArg "text"
        let head = Describe.text neuron
        let offset = head.Split('\n').Length - 1
        try
            match (parse "law" (head + text.Trim() + "\n")).Laws with
            | [ law ] -> law
            | laws -> Fail.usage $"expected one law (a line 'law NAME: CONDITION'), found {laws.Length}"
        with :? NeuronSyntaxException as e when e.Line > offset ->
            let line = e.Line - offset
            let problem = e.Problem
            raise (NeuronSyntaxException("law", line, e.Column, problem, $"law:{line}:{e.Column}: {problem}"))

    /// Reads and parses a neuron file; a missing or unreadable file is a usage error naming it.
    let load (path: string) : NeuronFile =
        let text =
            try File.ReadAllText path
            with
            | :? FileNotFoundException
            | :? DirectoryNotFoundException -> Fail.usage $"neuron file not found: {path}"
            | :? IOException as e -> Fail.usage $"cannot read neuron file {path}: {e.Message}"
            | :? UnauthorizedAccessException as e -> Fail.usage $"cannot read neuron file {path}: {e.Message}"
        parse path text

    /// The neuron of a file.
    let loadNeuron (path: string) : Neuron = (load path).Neuron
