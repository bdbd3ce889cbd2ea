/// The expression language: operators build the intended trees, rendering reads like the paper.
module SnnDsl.Core.Tests.ExprTests

open Xunit
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Notation

[<Fact>]
let ``operators with floats on either side build Const nodes`` () =
    Assert.Equal(Binary(BinaryOp.Add, Binary(BinaryOp.Mul, Param "a", Const 2.0), Input), Param "a" * 2.0 + X)
    Assert.Equal(Binary(BinaryOp.Sub, Const 1.0, Ref "S"), 1.0 - Ref "S")
    Assert.Equal(Binary(BinaryOp.Div, V, Const 4.0), V / 4.0)
    Assert.Equal(Unary(UnaryOp.Neg, Input), -X)

[<Fact>]
let ``standard tanh exp log abs build Expr nodes`` () =
    Assert.Equal(Unary(UnaryOp.Tanh, Param "a"), tanh (Param "a"))
    Assert.Equal(Unary(UnaryOp.Exp, X), exp X)
    Assert.Equal(Unary(UnaryOp.Log, X), log X)
    Assert.Equal(Unary(UnaryOp.Abs, X), abs X)
    Assert.Equal(Binary(BinaryOp.Max, State "M", Const 0.0), max (State "M") (Const 0.0))
    Assert.Equal(Detach(Spike(Surrogate.rectangle, X)), detach (spike Surrogate.rectangle X))

[<Fact>]
let ``rendering follows operator precedence`` () =
    Assert.Equal("beta * V + alpha * X", Describe.expr (Charge.dualAdaptive (Param "alpha") (Param "beta")))
    Assert.Equal("V + (X - (V - reset)) / tau", Describe.expr (Charge.decayInput (Param "tau") (Param "reset")))
    Assert.Equal("a - (b - c)", Describe.expr (Param "a" - (Param "b" - Param "c")))
    Assert.Equal("a - b - c", Describe.expr (Param "a" - Param "b" - Param "c"))
    Assert.Equal("a / (b * c)", Describe.expr (Param "a" / (Param "b" * Param "c")))
    Assert.Equal("-(a + b) * (-2)", Describe.expr (-(Param "a" + Param "b") * -2.0))
    Assert.Equal("a - (-X)", Describe.expr (Param "a" - -Input))
    Assert.Equal("-2 * X", Describe.expr (-2.0 * Input))
    Assert.Equal("Θ(H - theta)", Describe.expr (spike Surrogate.atan (Ref "H" - Ref "theta")))

[<Fact>]
let ``describing AR-LIF shows its equations parameters and states`` () =
    let text = Describe.neuron Builtins.arLif
    Assert.Contains("theta = threshold + tanh(a) * tanh(X)", text)
    Assert.Contains("M_t   = max(M, 0) * g + min(M, 0) * (1 - g) + (2 * S - 1) * sigmoid(X)", text)
    Assert.Contains("V     ← H - S * (theta + sigmoid(M_t))", text)
    Assert.Contains("surrogate: rectangle(1)", text)
    Assert.Contains("c          raw 1, c = raw, learnable, per layer", text)
    Assert.Contains("M  initially 0: reset memory", text)

[<Fact>]
let ``withSurrogate replaces the surrogate of every spike and nothing else`` () =
    Law.check (Gen.zip (Generators.neuron Generators.everything) Generators.surrogate) (fun (n, s) ->
        let swapped = Neuron.withSurrogate s n
        let surrogates = Describe.surrogates swapped
        (surrogates.IsEmpty || surrogates = [ s ])
        && Neuron.withSurrogate Surrogate.rectangle swapped = Neuron.withSurrogate Surrogate.rectangle n)
