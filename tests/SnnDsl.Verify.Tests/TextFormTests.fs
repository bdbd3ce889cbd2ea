/// The text form of neurons: printing then parsing gives back the same neuron, and every problem is reported
/// with its line, its column and what was expected there.
module SnnDsl.Verify.Tests.TextFormTests

open Expecto
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators
open SnnDsl.TestKit

let private roundTrip (n: Neuron) = NeuronText.parseNeuron "text" (Describe.text n)

/// A random condition over the names a law may read (bindings, states, parameters, V' of each state).
let private condition (n: Neuron) : Gen<Condition> =
    let scope =
        { Refs = (n.Bindings |> List.map (fun b -> b.Name)) @ (n.States |> List.map (fun s -> s.Name + "'"))
          States = n.States |> List.map (fun s -> s.Name)
          Params = n.Params |> List.map (fun p -> p.Name) }
    let compare =
        gen {
            let! a = expr everything scope 2
            let! r = Gen.elements [ Relation.Lt; Relation.Le; Relation.Gt; Relation.Ge; Relation.Eq; Relation.Ne ]
            let! b = expr everything scope 2
            return Condition.Compare(a, r, b)
        }
    let rec go depth =
        if depth = 0 then compare
        else
            Gen.oneof
                [ compare
                  go (depth - 1) |> Gen.map Condition.Not
                  Gen.map2 (fun a b -> Condition.And(a, b)) (go (depth - 1)) (go (depth - 1))
                  Gen.map2 (fun a b -> Condition.Or(a, b)) (go (depth - 1)) (go (depth - 1))
                  Gen.map2 (fun a b -> Condition.Implies(a, b)) (go (depth - 1)) (go (depth - 1)) ]
    go 2

/// A random neuron file: a random neuron and up to three laws over it.
let private neuronFile: Gen<NeuronFile> =
    gen {
        let! n = neuron everything
        let! count = Gen.choose (0, 3)
        let! laws =
            [ for i in 1 .. count ->
                  gen {
                      let! holds = condition n
                      let! pre = Gen.oneof [ Gen.constant None; condition n |> Gen.map Some ]
                      let! inputs = Gen.elements [ None; Some(0.0, 0.0); Some(-1.5, 2.25) ]
                      return { Name = $"law-{i}"; Inputs = inputs; When = pre; Holds = holds }
                  } ]
            |> Gen.sequenceToList
        return { Neuron = n; Laws = laws }
    }

/// The syntax error of a text read as bad.neuron (the test fails when it parses).
let syntaxError (text: string) =
    try
        NeuronText.parse "bad.neuron" text |> ignore
        failtest $"no error for:\n{text}"
    with :? NeuronSyntaxException as e -> e

/// Each text fails at its line and column (file:line:column in the message) with the expected problem, as
/// a usage error.
let expectSyntaxErrors (cases: (string * int * int * string) list) =
    for text, line, column, expected in cases do
        let e = syntaxError text
        Expect.equal (e.Line, e.Column) (line, column) e.Message
        Expect.stringContains e.Message $"bad.neuron:{line}:{column}: " "the message starts with file:line:column"
        Expect.stringContains e.Problem expected e.Message
        Expect.equal e.Kind ErrorKind.Usage "a usage error (snn exits 2)"

[<Tests>]
let tests =
    testList "text form" [
        test "print then parse gives back every built-in" {
            for n in Builtins.all do
                Expect.equal (roundTrip n) n $"{n.Name}:\n{Describe.text n}"
        }

        // 300: the generators' shapes (every op, comparison and law form) are many; printing and parsing is cheap.
        lawOn 300 "print then parse gives back every random neuron of the generator" <| fun () ->
            forAll (neuron everything) (fun n -> roundTrip n = n)

        lawOn 300 "print then parse gives back a random neuron file with its laws" <| fun () ->
            forAll neuronFile (fun f -> NeuronText.parse "text" (NeuronText.print f) = f)

        test "negated and negative constants, right-nested operators and every surrogate round-trip" {
            let tricky =
                [ -(Const 2.0); Const -2.0; -(Const -2.0); -(Const 0.0); Const -0.5 * Input; Input - Const -1.0
                  Input - (State "V" - Input); Input / (State "V" / Const 3.0); Input * (State "V" * Input)
                  Input + (State "V" + Input); -(-Input); Const 1e-300 + Const 1.5e20
                  Expr.detach (Expr.relu (Expr.abs (Expr.exp (Expr.log (Expr.tanh (Expr.sigmoid Input))))))
                  Expr.min Input (Expr.max Input (Const 0.0)) ]
            let surrogates = [ Surrogate.Rectangle 0.5; Surrogate.Triangle 2.0; Surrogate.Sigmoid 4.0; Surrogate.Atan 2.0; Surrogate.FastSigmoid 10.0 ]
            for e in tricky do
                for s in surrogates do
                    let n =
                        { Name = "t"; Description = "tricky"; Params = []; States = [ StateSpec.create "V" 0.0 "" ]
                          Bindings = [ { Name = "h"; Expr = e }; { Name = "S"; Expr = Spike(s, Ref "h") } ]
                          Updates = [ { Name = "V"; Expr = Ref "h" } ]; Output = "S" }
                    Expect.equal (roundTrip n) n (Describe.text n)
        }

        test "names that are reserved words or not identifiers are written between backquotes and read back" {
            let n =
                { Name = "odd name"; Description = "quotes \" and \\ and\nnewlines"
                  Params = [ ParamSpec.option "exp" 1.0 "a \"doc\""; ParamSpec.option "a-b" 2.0 "" ]
                  States = [ StateSpec.create "V" 0.5 "" ]
                  Bindings = [ { Name = "state"; Expr = Param "exp" * Param "a-b" + State "V" }; { Name = "out"; Expr = Spike(Surrogate.atan, Ref "state") } ]
                  Updates = [ { Name = "V"; Expr = Ref "state" } ]; Output = "out" }
            let text = Describe.text n
            Expect.stringContains text "`exp` * `a-b`" "backquoted names"
            Expect.stringContains text "output out" "the output line when it is not S"
            Expect.equal (roundTrip n) n text
        }

        test "comments, blank lines and the arrow ← are accepted" {
            let text = "# a comment\n\nneuron x \"d\"  # trailing comment\nstate V = 0\n\nH = V + X\nS = spike[atan](H - 1)\nV ← H - S\n"
            let n = NeuronText.parseNeuron "t" text
            Expect.equal n.Bindings.Length 2 "two bindings"
            Expect.equal (Ops.surrogateDerivative (match n.Bindings[1].Expr with Spike(s, _) -> s | _ -> failwith "no spike") 0.0) 1.0 "atan at its default 2: derivative 1 at 0"
        }

        test "a syntax error names its line, its column and what was expected" {
            let cases =
                [ "neuron x\nstate V = 0\nH = V + * X\n", 3, 9, "expected an expression, found '*'"
                  "neuron x\noption a 0.5\n", 2, 10, "expected '=', found '0.5'"
                  "neuron x\nstate V = 0\nH = (V + X\n", 3, 11, "expected ')' or an operator (+, -, *, /, ^, <, <=, >, >=, ==, !=, and, or), found the end of the line"
                  "neuron x\nstate V = 0\nS = spike[foo](V)\nV <- S\n", 3, 14, "unknown surrogate 'foo' (surrogates: rectangle, triangle, sigmoid, atan, fast-sigmoid)"
                  "neuron x\nstate V = 0\nH = foo(V)\n", 3, 8, "unknown function 'foo' (functions: tanh, sigmoid, exp, log, relu, abs, sqrt, floor, min, max, pow, where, clamp, detach, spike)"
                  "neuron x\nlearn w = 1 per-row\n", 2, 13, "expected"
                  "neuron x\nstate V = 0\nH = V + X\n%\n", 4, 1, "expected a line" ]
            expectSyntaxErrors cases
        }

        test "a name the file does not define, or defines twice or too late, is reported at its position" {
            let cases =
                [ "neuron x\nstate V = 0\nH = V + Y\nS = spike[atan](H)\nV <- H\n", 3, 9, "unknown name 'Y' (known here: X, V)"
                  "neuron x\nstate V = 0\nS = spike[atan](H)\nH = V + X\nV <- H\n", 3, 17, "binding 'H' is defined later (line 4)"
                  "neuron x\nstate V = 0\noption V = 1\nS = spike[atan](V)\nV <- S\n", 3, 8, "'V' is already defined on line 2"
                  "neuron x\nstate V = 0\nstate I = 0\nS = spike[atan](V)\nV <- S\n", 3, 7, "state 'I' has no update"
                  "neuron x\nstate V = 0\nS = spike[atan](V)\nV <- S\nW <- S\n", 5, 1, "'W' is not a declared state"
                  "neuron x\nstate V = 0\nS = spike[atan](V')\nV <- S\n", 3, 17, "V' (a state's new value) can be read only in a law"
                  "state V = 0\n", 1, 1, "a neuron file starts with its header"
                  "neuron x\nstate U = 0\nS = spike[atan](U)\nU <- S\n", 1, 1, "no state V"
                  "neuron x\nstate V = 0\nH = V\nV <- H\n", 1, 1, "no binding S and no 'output' line"
                  "neuron x\nstate V = 0\nS = spike[atan](V)\nV <- S\nlaw l: S = 1\nlaw l: S = 0\n", 6, 5, "law 'l' is defined twice" ]
            for text, line, column, expected in cases do
                let e = syntaxError text
                Expect.equal (e.Line, e.Column) (line, column) e.Message
                Expect.stringContains e.Message expected "the problem"
        }

        test "every problem of a file is listed, each with its position" {
            let e = syntaxError "neuron x\nstate V = 0\nH = V + Y\nS = spike[atan](Z)\nV <- H\n"
            Expect.equal (e.Message.Split('\n').Length) 2 e.Message
            Expect.stringContains e.Message "bad.neuron:4:17: unknown name 'Z'" e.Message
        }

        test "a missing neuron file is a usage error that names it" {
            try
                NeuronText.load "/nonexistent/x.neuron" |> ignore
                failtest "no error for a missing file"
            with :? SnnException as e ->
                Expect.equal e.Kind ErrorKind.Usage "a usage error"
                Expect.stringContains e.Message "neuron file not found: /nonexistent/x.neuron" "names the file"
        }
    ]
