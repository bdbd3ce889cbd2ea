namespace SnnDsl.Backends

open System
open System.IO
open SnnDsl.Core

/// The program of the interpreting kernel: a kernel plan as `snn_code` followed by its `snn_instr`s
/// (snndsl_kernel.h), so one compiled kernel runs every step program.
[<RequireQualifiedAccess>]
module Bytecode =
    /// The limits of the kernel ABI (SNN_KMAX_*).
    let maxParams, maxStates, maxRecords = 16, 16, 64

    let private loadOp (s: Source) : int * int * float =
        match s with
        | Source.Const c -> 0, 0, c
        | Source.Input -> 1, 0, 0.0
        | Source.State k -> 2, k, 0.0
        | Source.Param k -> 3, k, 0.0
        | Source.GradOutput -> 4, 0, 0.0
        | Source.GradNext k -> 5, k, 0.0

    /// Encodes a plan (which must fit the ABI's limits).
    let encode (plan: KernelPlan) : byte[] =
        let p = plan.Program
        let nodes = plan.Backward.Nodes
        let sections =
            [ plan.Forward.Invariant; plan.Forward.Step; plan.Trace.Invariant; plan.Trace.Step
              plan.BackwardInvariant; plan.TapedRecompute; plan.TapedAdjoint; plan.Tape ]
        use ms = new MemoryStream()
        use w = new BinaryWriter(ms)
        let ints (values: int seq) (count: int) =
            let a = Array.ofSeq values
            if a.Length > count then Fail.internalError $"bytecode: {a.Length} values where {count} fit"
            for i in 0 .. count - 1 do w.Write(if i < a.Length then int32 a[i] else 0)
        w.Write(int32 nodes.Length)
        let mutable start = 0
        for s in sections do
            w.Write(int32 start)
            w.Write(int32 (start + s.Length))
            start <- start + s.Length
        w.Write(int32 p.Output)
        ints p.Next maxStates
        w.Write(int32 plan.Backward.GradInput)
        ints plan.Backward.GradState maxStates
        ints (plan.ParamAdjoints |> List.map _.Summed) maxParams
        ints (plan.ParamAdjoints |> List.map (fun g -> defaultArg g.Scale (-1))) maxParams
        ints plan.Records maxRecords
        w.Write(int32 start)
        for s in sections do
            for i in s do
                let op, a, b, c, k =
                    match nodes[i] with
                    | Node.Src src ->
                        let op, a, k = loadOp src
                        op, a, 0, 0, k
                    | Node.Op(prim, args) ->
                        let arg j = if j < args.Length then args[j] else 0
                        Codegen.opcode prim, arg 0, arg 1, arg 2, 0.0
                w.Write(int32 op)
                w.Write(int32 i)
                w.Write(int32 a)
                w.Write(int32 b)
                w.Write(int32 c)
                w.Write(0)
                w.Write(k)
        w.Flush()
        ms.ToArray()
