namespace SnnDsl.Core

open SnnDsl.Torch

/// The number operations an interpreter of Expr needs; one record per number type, so a single
/// evaluator serves plain floats and dual numbers.
type Arith<'a> =
    { Const: float -> 'a
      Unary: UnaryOp -> 'a -> 'a
      Binary: BinaryOp -> 'a -> 'a -> 'a
      Spike: Surrogate -> 'a -> 'a
      Detach: 'a -> 'a
      Value: 'a -> float }

/// A forward-mode dual number: a value and the derivative of that value along one direction.
[<Struct>]
type Dual = { Value: float; Tangent: float }

/// The float meaning of every op, shared by both number types.
[<RequireQualifiedAccess>]
module Scalar =
    /// The logistic σ(x).
    let sigmoid (x: float) = 1.0 / (1.0 + exp -x)

    /// Applies a unary op to a float.
    let unary (op: UnaryOp) (a: float) =
        match op with
        | UnaryOp.Neg -> -a
        | UnaryOp.Tanh -> tanh a
        | UnaryOp.Sigmoid -> sigmoid a
        | UnaryOp.Exp -> exp a
        | UnaryOp.Log -> log a
        | UnaryOp.Relu -> if a > 0.0 then a else 0.0
        | UnaryOp.Abs -> abs a

    /// Applies a binary op to floats; ties of min/max pick the left operand.
    let binary (op: BinaryOp) (a: float) (b: float) =
        match op with
        | BinaryOp.Add -> a + b
        | BinaryOp.Sub -> a - b
        | BinaryOp.Mul -> a * b
        | BinaryOp.Div -> a / b
        | BinaryOp.Min -> if a <= b then a else b
        | BinaryOp.Max -> if a >= b then a else b

    /// Float arithmetic: Spike is Θ, Detach is the identity.
    let arith: Arith<float> =
        { Const = id
          Unary = unary
          Binary = binary
          Spike = fun _ x -> Surrogate.heaviside x
          Detach = id
          Value = id }

/// Dual-number arithmetic (forward-mode AD).
[<RequireQualifiedAccess>]
module Dual =
    /// A constant: tangent 0.
    let constant (v: float) = { Value = v; Tangent = 0.0 }

    /// The variable we differentiate by: tangent 1.
    let variable (v: float) = { Value = v; Tangent = 1.0 }

    /// A unary op with its derivative (relu and abs take derivative 0 at 0).
    let unary (op: UnaryOp) (a: Dual) : Dual =
        let v = Scalar.unary op a.Value
        let d =
            match op with
            | UnaryOp.Neg -> -1.0
            | UnaryOp.Tanh -> 1.0 - v * v
            | UnaryOp.Sigmoid -> v * (1.0 - v)
            | UnaryOp.Exp -> v
            | UnaryOp.Log -> 1.0 / a.Value
            | UnaryOp.Relu -> if a.Value > 0.0 then 1.0 else 0.0
            | UnaryOp.Abs -> float (sign a.Value)
        { Value = v; Tangent = d * a.Tangent }

    /// A binary op with its derivative; min/max follow the operand they pick.
    let binary (op: BinaryOp) (a: Dual) (b: Dual) : Dual =
        let v = Scalar.binary op a.Value b.Value
        let t =
            match op with
            | BinaryOp.Add -> a.Tangent + b.Tangent
            | BinaryOp.Sub -> a.Tangent - b.Tangent
            | BinaryOp.Mul -> a.Tangent * b.Value + a.Value * b.Tangent
            | BinaryOp.Div -> (a.Tangent - v * b.Tangent) / b.Value
            | BinaryOp.Min -> if a.Value <= b.Value then a.Tangent else b.Tangent
            | BinaryOp.Max -> if a.Value >= b.Value then a.Tangent else b.Tangent
        { Value = v; Tangent = t }

    /// Θ forward, the surrogate derivative times the incoming tangent backward.
    let spike (surrogate: Surrogate) (a: Dual) : Dual =
        { Value = Surrogate.heaviside a.Value; Tangent = Surrogate.derivative surrogate a.Value * a.Tangent }

    /// The value passes, the tangent stops.
    let detach (a: Dual) : Dual = { a with Tangent = 0.0 }

    /// Dual arithmetic for the generic evaluator.
    let arith: Arith<Dual> =
        { Const = constant
          Unary = unary
          Binary = binary
          Spike = spike
          Detach = detach
          Value = fun d -> d.Value }
