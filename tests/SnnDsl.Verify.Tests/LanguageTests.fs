/// The neuron language beyond arithmetic: comparisons, where, and/or/not, powers, sqrt, floor, clamp,
/// spike with a default surrogate, initial values from formulas, state domains and laws over earlier steps.
/// Each form is read as the tree it means, prints back to itself, runs as it says, and each misuse is
/// reported at its line and column with what was expected.
module SnnDsl.Verify.Tests.LanguageTests

open System.IO
open Expecto
open SnnDsl.Core
open SnnDsl.Verify
open SnnDsl.TestKit
open SnnDsl.Verify.Tests.TextFormTests

let private example name = Path.Combine(SnnDsl.TestKit.Repo.examples, name)

/// The expression of binding H in a small neuron around it.
let private bindingH (expr: string) =
    let n = NeuronText.parseNeuron "t" $"neuron t\noption k = 2\nstate V = 0\nH = {expr}\nS = spike[atan 2](H - 1)\nV <- H - S\n"
    n.Bindings[0].Expr

let private roundTrip (n: Neuron) = NeuronText.parseNeuron "text" (Describe.text n)


let private failure (r: LawResult) =
    match r.Outcome with
    | Outcome.Failed f -> f
    | other -> failtest $"expected {r.Law} to fail, got %A{other}"

let private X, V, k = Input, State "V", Param "k"

[<Tests>]
let tests =
    testList "neuron language" [
        test "each comparison reads as 1/0 of its operands and prints back as written" {
            for text, c in [ "<", Comparison.Lt; "<=", Comparison.Le; ">", Comparison.Gt; ">=", Comparison.Ge; "==", Comparison.Eq; "!=", Comparison.Ne ] do
                Expect.equal (bindingH $"X {text} V + 1") (Compare(c, X, V + Const 1.0)) text
                Expect.equal (Describe.exprText (Compare(c, X, V))) $"X {text} V" "printed"
        }

        test "not binds tighter than and, and tighter than or; comparisons looser than sums and do not chain" {
            Expect.equal (bindingH "not X > 1 and V <= 2 or X == 0")
                (Expr.either (Expr.both (Expr.not' (Compare(Comparison.Gt, X, Const 1.0))) (Compare(Comparison.Le, V, Const 2.0))) (Compare(Comparison.Eq, X, Const 0.0)))
                "precedence"
            Expect.equal (bindingH "X + 1 < V * 2") (Compare(Comparison.Lt, X + Const 1.0, V * Const 2.0)) "sums inside comparisons"
            let e = syntaxError "neuron x\nstate V = 0\nH = X < V < 1\n"
            Expect.equal (e.Line, e.Column) (3, 11) e.Message
            Expect.stringContains e.Problem "comparisons do not chain: write a < b and b < c" e.Message
        }

        test "powers bind tighter than negation and lean right; pow(a, b) is a ^ b" {
            Expect.equal (bindingH "-X^2") (-(Expr.pow X (Const 2.0))) "-x^2 is -(x^2)"
            Expect.equal (bindingH "-2^2") (-(Expr.pow (Const 2.0) (Const 2.0))) "-2^2 is -(2^2)"
            Expect.equal (bindingH "2^-1") (Expr.pow (Const 2.0) (Const -1.0)) "a negative exponent"
            Expect.equal (bindingH "X^V^2") (Expr.pow X (Expr.pow V (Const 2.0))) "right-leaning"
            Expect.equal (bindingH "pow(X, k)") (Expr.pow X k) "pow()"
            Expect.equal (bindingH "2 * X^2") (Const 2.0 * Expr.pow X (Const 2.0)) "tighter than *"
        }

        test "where, clamp, sqrt and floor read as the table's operations" {
            Expect.equal (bindingH "where(X > 0, X, k)") (Expr.where (Compare(Comparison.Gt, X, Const 0.0)) X k) "where"
            Expect.equal (bindingH "clamp(X, -1, 1)") (Expr.min (Expr.max X (Const -1.0)) (Const 1.0)) "clamp is min(max(x, lo), hi)"
            Expect.equal (bindingH "sqrt(X) + floor(V)") (Expr.sqrt X + Expr.floor V) "sqrt and floor"
        }

        test "a small integer power is a product in the step program, any other a pow" {
            let p e =
                let n = NeuronText.parseNeuron "t" $"neuron t\nstate V = 0\nH = {e}\nS = spike[atan 2](H - 1)\nV <- H - S\n"
                (Program.lower Program.allParams n).Nodes |> Array.exists (function Node.Op(Prim.Binary BinaryOp.Pow, _) -> true | _ -> false)
            Expect.isFalse (p "X^2 + V^3 + X^-1 + V^0") "x^2, x^3, x^-1 and x^0 are products"
            Expect.isTrue (p "X^2.5") "x^2.5 is a pow"
            Expect.isTrue (p "X^V") "x^v is a pow"
        }

        test "spike(x) uses the file's surrogate line, else the library's default (atan 2)" {
            let spikeOf (text: string) =
                match (NeuronText.parseNeuron "t" text).Bindings[0].Expr with
                | Spike(s, _) -> s
                | e -> failtest $"not a spike: %A{e}"
            Expect.equal (spikeOf "neuron t\nstate V = 0\nS = spike(V - 1)\nV <- V\n") Surrogate.defaultSurrogate "the default"
            Expect.equal Surrogate.defaultSurrogate (Surrogate.Atan 2.0) "atan 2"
            Expect.equal (spikeOf "neuron t\nsurrogate sigmoid 2\nstate V = 0\nS = spike(V - 1)\nV <- V\n") (Surrogate.Sigmoid 2.0) "the file's"
            Expect.equal (spikeOf "neuron t\nsurrogate sigmoid 2\nstate V = 0\nS = spike[rectangle 1](V - 1)\nV <- V\n") (Surrogate.Rectangle 1.0) "an explicit one wins"
        }

        test "a neuron that uses every new form prints and parses back to itself" {
            let n =
                NeuronText.parseNeuron "t"
                    ("neuron t\noption a = 2\noption b = a * 3 - 1\nlearn w = a / 4\nstate V = -a\nstate r = 0 in 0..3 integer\nstate q = b in -10..10\n"
                     + "H = where(r == 0 and not V >= 1 or X != 0, V^2 + sqrt(abs(X)) - floor(X) + pow(1 + sigmoid(X), tanh(V)), clamp(X, -1, 1))\n"
                     + "S = spike(H - 1)\nV <- H - S\nr <- where(S, 3, max(r - 1, 0))\nq <- q\n")
            Expect.equal (roundTrip n) n (Describe.text n)
            for file in [ "izhikevich.neuron"; "lif-refractory.neuron" ] do
                let f = NeuronText.load (example file)
                Expect.equal (NeuronText.parse "text" (NeuronText.print f)) f (NeuronText.print f)
        }

        test "Izhikevich's u starts at b * c, and the initial values follow an option set later" {
            let n = NeuronText.loadNeuron (example "izhikevich.neuron")
            let init name = (n.States |> List.find (fun s -> s.Name = name)).Init
            Expect.equal (init "V") -65.0 "V starts at c"
            Expect.equal (init "u") -13.0 "u starts at b * c = 0.2 * -65"
            Expect.equal (n.States |> List.find (fun s -> s.Name = "u")).InitFrom (Some(Param "b" * Param "c")) "the formula is kept"
            Expect.stringContains (Describe.text n) "state  u = b * c" "and printed"
            let m = match Neuron.withParam "c" -60.0 n with Ok m -> m | Error e -> failtest e
            let init' name = (m.States |> List.find (fun s -> s.Name = name)).Init
            Expect.equal (init' "V", init' "u") (-60.0, -12.0) "--param c=-60 moves both"
            Expect.equal (Map.find "u" (Oracle.initialState m)) -12.0 "the oracle starts there"
            // An option's formula follows the options it reads, until it is set itself.
            let o = NeuronText.parseNeuron "t" "neuron t\noption a = 2\noption b = a * 3\nstate V = b\nS = spike(V)\nV <- V\n"
            let b (n: Neuron) = (n.Params |> List.find (fun p -> p.Name = "b")).Init
            let o2 = match Neuron.withParam "a" 5.0 o with Ok m -> m | Error e -> failtest e
            Expect.equal (b o, b o2) (6.0, 15.0) "b = a * 3 follows a"
            let o3 = match Neuron.withParam "b" 1.0 o2 with Ok m -> m | Error e -> failtest e
            Expect.equal (b o3, o3.States[0].Init) (1.0, 1.0) "set itself, b keeps the value, and V = b follows"
        }

        test "the refractory LIF fires at most once in four steps under a strong input" {
            let n = NeuronText.loadNeuron (example "lif-refractory.neuron")
            let tr = Oracle.run n (Neuron.defaults n) (Array2D.create 12 1 2.0)
            Expect.equal [ for t in 0 .. 11 -> tr.Spikes[t, 0] ] [ 1.0; 0.0; 0.0; 0.0; 1.0; 0.0; 0.0; 0.0; 1.0; 0.0; 0.0; 0.0 ] "spikes"
            Expect.equal [ for t in 0 .. 4 -> tr.States["r"].[t, 0] ] [ 3.0; 2.0; 1.0; 0.0; 3.0 ] "the counter"
        }

        test "snn verify's laws hold for both examples: a domain law per declared state and the trace law" {
            for file in [ "izhikevich.neuron"; "lif-refractory.neuron" ] do
                let f = NeuronText.load (example file)
                let results = Verify.run { Verify.defaults with Run = lawSettings 40; CompiledCases = 3 } f
                for r in results do Expect.isTrue (Law.passed r) (Law.describe r + "\n" + replayLine None)
                if file = "lif-refractory.neuron" then
                    let names = results |> List.map (fun r -> r.Law)
                    Expect.contains names "r-in-domain" "the domain law"
                    Expect.contains names "no-two-spikes-within-3-steps" "the trace law"
        }

        test "a false state-domain claim fails with a shrunk counterexample, and so does a false trace law" {
            let text = File.ReadAllText(example "lif-refractory.neuron")
            let narrow = NeuronText.parse "narrow" (text.Replace("in 0..3 integer", "in 0..2 integer"))
            let f = failure (List.exactlyOne (Verify.run { Verify.defaults with Only = [ "r-in-domain" ] } narrow))
            Expect.stringContains f.Reason "r' = 3 at t = 1, outside its domain 0..2 integer" f.Reason
            Expect.equal (f.Case.Steps, f.Case.Columns) (1, 1) "shrunk to one step of one neuron"
            Expect.isTrue (f.Shrinks > 0) "shrunk"
            let within4 = NeuronText.parse "within4" (text + "law within-4: S = 1 implies S[t-4] = 0\n")
            let g = failure (List.exactlyOne (Verify.run { Verify.defaults with Only = [ "within-4" ] } within4))
            Expect.stringContains g.Reason "S[t-4] = 1" g.Reason
            Expect.equal g.Case.Steps 5 "shrunk to the five steps the counterexample needs"
        }

        test "domains bound the initial states verify draws, integers for an integer domain" {
            let n = NeuronText.loadNeuron (example "lif-refractory.neuron")
            let r = n.States |> List.find (fun s -> s.Name = "r")
            let values = FsCheck.FSharp.Gen.sampleWithSeed (FsCheck.Rnd 5UL) 10 400 (Cases.initialValues r)
            Expect.isTrue (values |> Array.forall (fun v -> v = round v && v >= 0.0 && v <= 3.0)) "in 0..3, integers"
            Expect.equal (Set.ofArray values) (set [ 0.0; 1.0; 2.0; 3.0 ]) "all of them"
        }

        test "a law written from F# in the file's language reads earlier steps and runs under the kit" {
            let n = NeuronText.loadNeuron (example "lif-refractory.neuron")
            let law = NeuronText.parseLaw n "law gap: S = 1 implies S[t-1] + S[t-2] + S[t-3] = 0"
            Expect.equal law.Name "gap" "its name"
            verifyOn 60 (TextLaws.ofText Cases.defaults n law)
            let e =
                try
                    NeuronText.parseLaw n "law bad: S = 1 implies Q[t-1] = 0" |> ignore
                    failtest "no error for an unknown name"
                with :? NeuronSyntaxException as e -> e
            Expect.equal (e.Line, e.Column) (1, 24) e.Message
            Expect.stringContains e.Message "law:1:24: unknown name 'Q'" e.Message
        }

        test "each misuse of the new forms names its line, its column and what was expected" {
            let cases =
                [ "neuron x\nstate V = 0\nH = where(V, 1)\n", 3, 15, "expected ','"
                  "neuron x\nstate V = 0\nH = pow(V)\n", 3, 10, "expected ','"
                  "neuron x\nstate V = 0\nS = spike(V, 1)\n", 3, 12, "expected ')'"
                  "neuron x\nstate V = 0\nH = V ^\n", 3, 8, "expected an expression"
                  "neuron x\nstate V = 0\nH = V =< 1\n", 3, 7, "found '=<'"
                  "neuron x\nsurrogate foo\nstate V = 0\n", 2, 14, "unknown surrogate 'foo'"
                  "neuron x\nsurrogate atan\nsurrogate sigmoid\nstate V = 0\nS = spike(V)\nV <- V\n", 3, 1, "a second 'surrogate' line"
                  "neuron x\nstate V = X\nS = spike(V)\nV <- V\n", 2, 11, "the initial value of state 'V' may use numbers and options only; 'X' is not an option"
                  "neuron x\nlearn w = 1\nstate V = w\nS = spike(V)\nV <- V\n", 3, 11, "uses the learnable parameter 'w'"
                  "neuron x\nstate V = spike(1)\nS = spike(V)\nV <- V\n", 2, 7, "the initial value of state 'V' cannot spike"
                  "neuron x\nstate V = 0 in 2..1\nS = spike(V)\nV <- V\n", 2, 7, "state 'V': 2..1 is an empty range"
                  "neuron x\nstate V = 0 in 0.5..0.7 integer\nS = spike(V)\nV <- V\n", 2, 7, "holds no integer"
                  "neuron x\nstate V = 5 in 0..2\nS = spike(V)\nV <- V\n", 2, 7, "state 'V' starts at 5, outside its domain 0..2"
                  "neuron x\nstate V = 0 in 0 2\nS = spike(V)\nV <- V\n", 2, 18, "'..'"
                  "neuron x\nstate V = 0\nH = V[t-1]\nS = spike(H)\nV <- V\n", 3, 5, "V[t-1] (a value 1 step(s) earlier) can be read only in a law"
                  "neuron x\nstate V = 0\nS = spike(V)\nV <- V\nlaw l: S[t-0] = 0\n", 5, 13, "a lag counts at least one step back"
                  "neuron x\nstate V = 0\nS = spike(V)\nV <- V\nlaw l: S[t+1] = 0\n", 5, 11, "'-' (a law reads earlier steps only"
                  "neuron x\noption a = 1\nstate V = 0\nS = spike(V)\nV <- V\nlaw l: a[t-1] = 1\n", 6, 8, "'a' is a parameter, the same at every step" ]
            expectSyntaxErrors cases
        }

        test "options whose initial values form a cycle are refused, naming the cycle" {
            let e = syntaxError "neuron x\noption a = b + 1\noption b = 2 * a\nstate V = 0\nS = spike(V)\nV <- V\n"
            Expect.stringContains e.Problem "the initial values of options form a cycle: a -> b -> a" e.Message
            let self = syntaxError "neuron x\noption a = a\nstate V = 0\nS = spike(V)\nV <- V\n"
            Expect.stringContains self.Problem "a -> a" self.Message
        }

        test "the F# notation builds the same trees as the text form" {
            let open' = Notation.(.=) (State "r") (Notation.k 0.0)
            Expect.equal (Notation.where open' X (Notation.k 0.0)) (Expr.where (Compare(Comparison.Eq, State "r", Const 0.0)) X (Const 0.0)) "where and =="
            Expect.equal (Notation.where (Notation.(.=) V (Notation.k 0.0)) X (Notation.k 0.0)) (bindingH "where(V == 0, X, 0)") "as the text form reads it"
            Expect.equal (Notation.(.<) X V) (bindingH "X < V") "<"
            Expect.equal (Notation.(.&&) (Notation.(.>) X V) (Notation.(.<=) V k)) (bindingH "X > V and V <= k") "and"
            Expect.equal (X ** 2.0) (bindingH "X^2") "F#'s ** builds a power"
            Expect.equal (sqrt X + floor V) (bindingH "sqrt(X) + floor(V)") "F#'s sqrt and floor"
            Expect.equal (Notation.fire (V - 1.0)) (Spike(Surrogate.defaultSurrogate, V - Const 1.0)) "fire: the default surrogate"
        }
    ]
