namespace SnnDsl.Core

/// Rewrites of step programs before code generation (docs/dsl.md, "The optimiser"): each replaces
/// registers by an exact identity over other operations of the table, so that the kernels compute less
/// per step; the oracle and the eager backend run the programs as written, and the laws
/// (tests/SnnDsl.Core.Tests/OptimiseTests.fs) check that the two agree. Time-invariant registers are
/// already computed once per element group, not per step (`Variation`, `Schedule`), and common
/// subexpressions are shared by the program builder, so sharing across the forward and the derived
/// backward follows from writing both through it.
///
/// - tanh through the sigmoid: where a program takes both tanh(x) and σ(x) of one element-varying x,
///   tanh(x) = (s - u) / (s² + u²) with s = σ(x), u = 1 - s, so both cost one exp instead of two (and
///   tanh's small-argument polynomial). The error is absolute: at most 2^-21 in float32 (2.7e-7
///   measured from -20 to 20), largest near x = 0, where tanh itself is small.
/// - a shared reciprocal: two or more divisions by one element-varying register d become products with
///   r = 1 / d, one division in all (the derived backward of a / d divides by d twice). Each such value
///   is within 2 ulp of the division's.
[<RequireQualifiedAccess>]
module Optimise =
    let private sub a b = Prim.Binary BinaryOp.Sub, [ a; b ]
    let private isElement (variation: Variation[]) (r: int) = variation[r] = Variation.Element

    // The divisors used by at least two element-varying divisions.
    let private sharedDivisors (nodes: Node[]) (variation: Variation[]) =
        nodes
        |> Array.choose (function
            | Node.Op(Prim.Binary BinaryOp.Div, [ _; d ]) when isElement variation d -> Some d
            | _ -> None)
        |> Array.countBy id
        |> Array.filter (fun (_, n) -> n >= 2)
        |> Array.map fst
        |> Set.ofArray

    /// Rebuilds nodes through a fresh builder, rewriting them; returns the builder, the map from old
    /// registers to new ones and how many new registers the first `prefix` old ones took.
    let private rebuild (pars: ParamSpec list) (nodes: Node[]) (variation: Variation[]) (prefix: int) =
        let b = ProgramBuilder(Program.sourceVariation pars)
        let divisors = sharedDivisors nodes variation
        let sigmoidOf =
            nodes |> Array.choose (function Node.Op(Prim.Unary UnaryOp.Sigmoid, [ a ]) -> Some a | _ -> None) |> Set.ofArray
        let map = Array.zeroCreate<int> nodes.Length
        let mutable prefixLength = 0
        let op (prim, args) = b.Op(prim, args)
        for i in 0 .. nodes.Length - 1 do
            map[i] <-
                match nodes[i] with
                | Node.Src s -> b.Source s
                | Node.Op(Prim.Unary UnaryOp.Tanh, [ x ]) when isElement variation x && sigmoidOf.Contains x ->
                    let s = b.Op(Prim.Unary UnaryOp.Sigmoid, [ map[x] ])
                    let u = op (sub (b.Const 1.0) s)
                    let square v = b.Op(Prim.Binary BinaryOp.Mul, [ v; v ])
                    b.Op(Prim.Binary BinaryOp.Div, [ op (sub s u); b.Op(Prim.Binary BinaryOp.Add, [ square s; square u ]) ])
                | Node.Op(Prim.Binary BinaryOp.Div, [ a; d ]) when divisors.Contains d ->
                    let r = b.Op(Prim.Binary BinaryOp.Div, [ b.Const 1.0; map[d] ])
                    b.Op(Prim.Binary BinaryOp.Mul, [ map[a]; r ])
                | Node.Op(prim, args) -> b.Op(prim, args |> List.map (fun a -> map[a]))
            if i = prefix - 1 then prefixLength <- b.Nodes.Length
        b, map, prefixLength

    /// A program and its derived backward, optimised together: the backward is derived from the program as
    /// written (its adjoint rules read the written registers, e.g. tanh's 1 - Y^2), then both are rewritten
    /// in one pass, so a rewritten register keeps its adjoint rule and the backward's first registers are
    /// the optimised program's.
    let derive (written: StepProgram) : StepProgram * BackwardProgram =
        let bp = Adjoint.derive written
        let b, map, prefix = rebuild written.Params bp.Nodes bp.Variation written.Nodes.Length
        let nodes, variation = b.Nodes, b.Variation
        let p =
            { written with
                Nodes = nodes[.. prefix - 1]
                Variation = variation[.. prefix - 1]
                Output = map[written.Output]
                Next = written.Next |> List.map (fun r -> map[r])
                Bindings = written.Bindings |> List.map (fun (n, r) -> n, map[r]) }
        p,
        { bp with
            Forward = p
            Nodes = nodes
            Variation = variation
            GradInput = map[bp.GradInput]
            GradState = bp.GradState |> List.map (fun r -> map[r])
            GradParam = bp.GradParam |> List.map (fun r -> map[r]) }

    /// The optimised program alone (the forward half of `derive`).
    let program (written: StepProgram) : StepProgram = fst (derive written)
