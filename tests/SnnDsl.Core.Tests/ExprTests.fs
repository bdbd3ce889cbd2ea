/// The expression language: operators build the intended trees, rendering reads like the paper.
module SnnDsl.Core.Tests.ExprTests

open Expecto
open SnnDsl.TestKit
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Notation

[<Tests>]
let tests =
    testList "Expr" [
        testCase "operators with floats on either side build Const nodes" <| fun () ->
            Expect.equal (Param "a" * 2.0 + X) (Binary(BinaryOp.Add, Binary(BinaryOp.Mul, Param "a", Const 2.0), Input)) "Param \"a\" * 2.0 + X"
            Expect.equal (1.0 - Ref "S") (Binary(BinaryOp.Sub, Const 1.0, Ref "S")) "1.0 - Ref \"S\""
            Expect.equal (V / 4.0) (Binary(BinaryOp.Div, V, Const 4.0)) "V / 4.0"
            Expect.equal (-X) (Unary(UnaryOp.Neg, Input)) "-X"

        testCase "standard tanh exp log abs build Expr nodes" <| fun () ->
            Expect.equal (tanh (Param "a")) (Unary(UnaryOp.Tanh, Param "a")) "tanh (Param \"a\")"
            Expect.equal (exp X) (Unary(UnaryOp.Exp, X)) "exp X"
            Expect.equal (log X) (Unary(UnaryOp.Log, X)) "log X"
            Expect.equal (abs X) (Unary(UnaryOp.Abs, X)) "abs X"
            Expect.equal (max (State "M") (Const 0.0)) (Binary(BinaryOp.Max, State "M", Const 0.0)) "max (State \"M\") (Const 0.0)"
            Expect.equal (detach (spike Surrogate.rectangle X)) (Detach(Spike(Surrogate.rectangle, X))) "detach (spike Surrogate.rectangle X)"

        testCase "rendering follows operator precedence" <| fun () ->
            Expect.equal (Describe.expr (Charge.dualAdaptive (Param "alpha") (Param "beta"))) "beta * V + alpha * X" "Describe.expr (Charge.dualAdaptive (Param \"alpha\") (Param \"beta\"))"
            Expect.equal (Describe.expr (Charge.decayInput (Param "tau") (Param "reset"))) "V + (X - (V - reset)) / tau" "Describe.expr (Charge.decayInput (Param \"tau\") (Param \"reset\"))"
            Expect.equal (Describe.expr (Param "a" - (Param "b" - Param "c"))) "a - (b - c)" "Describe.expr (Param \"a\" - (Param \"b\" - Param \"c\"))"
            Expect.equal (Describe.expr (Param "a" - Param "b" - Param "c")) "a - b - c" "Describe.expr (Param \"a\" - Param \"b\" - Param \"c\")"
            Expect.equal (Describe.expr (Param "a" / (Param "b" * Param "c"))) "a / (b * c)" "Describe.expr (Param \"a\" / (Param \"b\" * Param \"c\"))"
            Expect.equal (Describe.expr (-(Param "a" + Param "b") * -2.0)) "-(a + b) * (-2)" "Describe.expr (-(Param \"a\" + Param \"b\") * -2.0)"
            Expect.equal (Describe.expr (Param "a" - -Input)) "a - (-X)" "Describe.expr (Param \"a\" - -Input)"
            Expect.equal (Describe.expr (-2.0 * Input)) "-2 * X" "Describe.expr (-2.0 * Input)"
            Expect.equal (Describe.expr (spike Surrogate.atan (Ref "H" - Ref "theta"))) "Θ(H - theta)" "Describe.expr (spike Surrogate.atan (Ref \"H\" - Ref \"theta\"))"

        testCase "describing AR-LIF shows its equations parameters and states" <| fun () ->
            let text = Describe.neuron Builtins.arLif
            Expect.stringContains text "theta = threshold + tanh(a) * tanh(X)" "text"
            Expect.stringContains text "M_t   = max(M, 0) * g + min(M, 0) * (1 - g) + (2 * S - 1) * sigmoid(X)" "text"
            Expect.stringContains text "V     ← H - S * (theta + sigmoid(M_t))" "text"
            Expect.stringContains text "surrogate: rectangle(1)" "text"
            Expect.stringContains text "c          raw 1, c = raw, learnable, per layer" "text"
            Expect.stringContains text "M  initially 0: reset memory" "text"

        law "withSurrogate replaces the surrogate of every spike and nothing else" <| fun () ->
            forAll (Gen.zip (Generators.neuron Generators.everything) Generators.surrogate) (fun (n, s) ->
                let swapped = Neuron.withSurrogate s n
                let surrogates = Describe.surrogates swapped
                (surrogates.IsEmpty || surrogates = [ s ])
                && Neuron.withSurrogate Surrogate.rectangle swapped = Neuron.withSurrogate Surrogate.rectangle n)
    ]
