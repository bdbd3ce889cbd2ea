namespace SnnDsl.Backends

open SnnDsl.Core

/// The order in which a kernel evaluates registers: the time-invariant ones once per element group, the
/// others once per step. Only registers that the roots need are scheduled.
type Section =
    { /// The time-invariant registers, evaluated once per element group.
      Invariant: int list
      /// The registers evaluated at every step.
      Step: int list }

/// The schedules of every entry point of a fused kernel, all over the backward program's registers (the
/// forward registers are its first ones).
type KernelPlan =
    { /// The step program the kernel runs.
      Program: StepProgram
      /// Its derived backward, whose registers every section indexes.
      Backward: BackwardProgram
      /// Forward for training: the output and the new states.
      Forward: Section
      /// Forward with every binding and new state recorded (traces).
      Trace: Section
      /// Registers recorded by the trace, in order: the bindings, then the new states.
      Records: int list
      /// Backward: the time-invariant registers of the recompute and of the adjoints.
      BackwardInvariant: int list
      /// Backward (CUDA): the forward step again, for the new states only.
      Recompute: int list
      /// Backward (CUDA): one step of adjoints, recomputing the forward registers it needs.
      Adjoint: int list
      /// Backward (CPU): the forward registers the adjoints need, saved per step of an element group (a
      /// few KiB that stay in cache), so the forward runs twice in all, not three times.
      Tape: int list
      /// Backward (CPU): the forward step again, for the new states and the tape.
      TapedRecompute: int list
      /// Backward (CPU): one step of adjoints, reading the tape.
      TapedAdjoint: int list }

/// Scheduling programs for kernels.
[<RequireQualifiedAccess>]
module Schedule =
    let private split (nodes: Node[]) (variation: Variation[]) (roots: int seq) : Section =
        let live = Program.live nodes roots
        let ids = [ for i in 0 .. nodes.Length - 1 do if live[i] then yield i ]
        { Invariant = ids |> List.filter (fun i -> variation[i] <> Variation.Element)
          Step = ids |> List.filter (fun i -> variation[i] = Variation.Element) }

    /// Lowers the plan of a program: the optimised program (Optimise), its derived and optimised backward,
    /// and every section.
    let plan (written: StepProgram) : KernelPlan =
        let p, back = Optimise.derive written
        let fwdNodes, fwdVar = p.Nodes, p.Variation
        let forward = split fwdNodes fwdVar (p.Output :: p.Next)
        let records = (p.Bindings |> List.map snd) @ p.Next
        let trace = split fwdNodes fwdVar (p.Output :: records)
        let recompute = split back.Nodes back.Variation p.Next
        let adjoint = split back.Nodes back.Variation (back.GradInput :: back.GradState @ back.GradParam)
        // The tape: forward registers the adjoints use that are costly to recompute (transcendentals,
        // divisions); the cheap ones (an add, a compare) are recomputed in the adjoint step from the tape,
        // the input and the saved states, which costs less than a store and a load.
        let isForwardOp i = i < fwdNodes.Length && (match fwdNodes[i] with Node.Op _ -> true | Node.Src _ -> false)
        let costly i =
            match fwdNodes[i] with
            | Node.Op(Prim.Unary(UnaryOp.Tanh | UnaryOp.Sigmoid | UnaryOp.Exp | UnaryOp.Log | UnaryOp.Sqrt), _)
            | Node.Op(Prim.Binary(BinaryOp.Div | BinaryOp.Pow), _) -> true
            | _ -> false
        let gradRoots = back.GradInput :: back.GradState @ back.GradParam
        let tape =
            let onTape = System.Collections.Generic.SortedSet<int>()
            let recomputed = System.Collections.Generic.HashSet<int>()
            let rec need (i: int) =
                if back.Variation[i] = Variation.Element && isForwardOp i && not (onTape.Contains i) && not (recomputed.Contains i) then
                    if costly i then onTape.Add i |> ignore
                    else
                        recomputed.Add i |> ignore
                        match fwdNodes[i] with
                        | Node.Op(_, args) -> List.iter need args
                        | Node.Src _ -> ()
            let live = Program.live back.Nodes gradRoots
            for i in 0 .. back.Nodes.Length - 1 do
                if live[i] then
                    if i >= fwdNodes.Length then
                        match back.Nodes[i] with
                        | Node.Op(_, args) -> List.iter need args
                        | Node.Src _ -> ()
                    elif List.contains i gradRoots then need i
            List.ofSeq onTape
        let taped = split back.Nodes back.Variation (p.Next @ tape)
        // The adjoint step with the tape registers as leaves (loaded, not recomputed).
        let tapedAdjoint =
            let nodes = back.Nodes |> Array.mapi (fun i n -> if List.contains i tape then Node.Src Source.Input else n)
            (split nodes back.Variation gradRoots).Step |> List.filter (fun i -> not (List.contains i tape))
        { Program = p
          Backward = back
          Forward = forward
          Trace = trace
          Records = records
          BackwardInvariant = List.distinct (taped.Invariant @ recompute.Invariant @ adjoint.Invariant) |> List.sort
          Recompute = recompute.Step
          Adjoint = adjoint.Step
          Tape = tape
          TapedRecompute = taped.Step
          TapedAdjoint = tapedAdjoint }
