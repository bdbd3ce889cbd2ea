namespace SnnDsl.Core

/// The number operations an interpreter of step programs needs; one record per number type, so a single
/// evaluator serves plain floats and dual numbers.
type Arith<'a> =
    { /// The number for a constant.
      Const: float -> 'a
      /// Applies an operation to its arguments.
      Apply: Prim -> 'a[] -> 'a
      /// The plain float value of a number.
      Value: 'a -> float }

/// A forward-mode dual number: a value and the derivative of that value along one direction.
[<Struct>]
type Dual =
    { /// The value.
      Value: float
      /// The derivative of the value along the direction.
      Tangent: float }

/// Float arithmetic, read from the table of operations.
[<RequireQualifiedAccess>]
module Scalar =
    /// The logistic σ(x).
    let sigmoid (x: float) = Ops.sigmoid x

    /// Applies a unary op to a float.
    let unary (op: UnaryOp) (a: float) = Ops.eval (Prim.Unary op) [| a |]

    /// Applies a binary op to floats; ties of min/max pick the left operand.
    let binary (op: BinaryOp) (a: float) (b: float) = Ops.eval (Prim.Binary op) [| a; b |]

    /// Float arithmetic: Spike is Θ, Detach is the identity.
    let arith: Arith<float> = { Const = id; Apply = Ops.eval; Value = id }

/// Dual-number arithmetic (forward-mode AD): each op's tangent is its adjoint rule with G bound to the
/// argument's tangent (the rules are linear in G), so forward and reverse mode share one derivative.
[<RequireQualifiedAccess>]
module Dual =
    /// A constant: tangent 0.
    let constant (v: float) = { Value = v; Tangent = 0.0 }

    /// The variable we differentiate by: tangent 1.
    let variable (v: float) = { Value = v; Tangent = 1.0 }

    /// Any operation with its derivative; an argument with tangent 0 contributes nothing.
    let apply (prim: Prim) (args: Dual[]) : Dual =
        let values = args |> Array.map (fun d -> d.Value)
        let info = Ops.lookup prim
        let y = info.Eval values
        let mutable t = 0.0
        info.Adjoint
        |> List.iteri (fun i rule ->
            match rule with
            | Some r when args[i].Tangent <> 0.0 -> t <- t + Ops.evalAdjoint r args[i].Tangent y values
            | _ -> ())
        { Value = y; Tangent = t }

    /// A unary op with its derivative (relu and abs take derivative 0 at 0).
    let unary (op: UnaryOp) (a: Dual) : Dual = apply (Prim.Unary op) [| a |]

    /// A binary op with its derivative; min/max follow the operand they pick.
    let binary (op: BinaryOp) (a: Dual) (b: Dual) : Dual = apply (Prim.Binary op) [| a; b |]

    /// Θ forward, the surrogate derivative times the incoming tangent backward.
    let spike (surrogate: Surrogate) (a: Dual) : Dual = apply (Prim.Fire surrogate) [| a |]

    /// The value passes, the tangent stops.
    let detach (a: Dual) : Dual = apply Prim.Detach [| a |]

    /// Dual arithmetic for the generic evaluator.
    let arith: Arith<Dual> = { Const = constant; Apply = apply; Value = fun d -> d.Value }
