namespace SnnDsl.Core

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
      TapedAdjoint: int list
      /// What the forward for training saves for the backward, where the cost model chose saving over
      /// recomputing the forward: the backward then reads the states and the saved registers and runs the
      /// adjoint steps alone. None where the backward recomputes the forward (the taped sections above).
      Saving: SavePlan option
      /// Per parameter, what its adjoint sums over the steps: a parameter adjoint a * c with c time-invariant
      /// sums a and multiplies the sum by c once after the loop (c (a1 + a2 + ...) = c a1 + c a2 + ...: the
      /// same within rounding, one product less per step).
      ParamAdjoints: ParamAdjoint list }

/// How a kernel sums one parameter's adjoint over the steps.
and ParamAdjoint =
    { /// The register added up at every step.
      Summed: int
      /// A time-invariant register the sum is multiplied by after the loop, if any.
      Scale: int option }

/// A forward that saves, per element and step, the states and some of the tape for its backward.
and SavePlan =
    { /// The forward's section: the output, the new states and the saved registers.
      Forward: Section
      /// The tape registers saved after the states, in order (the others are recomputed by the adjoint step).
      Values: int list
      /// One step of adjoints from the saved states and registers, recomputing the tape registers not saved.
      Adjoint: int list }

/// The save-or-recompute cost model of a kernel pair (the forward for training, then the backward), per
/// element and step: a pass costs its operations (`Ops.cost`, summed over its registers) plus its memory
/// traffic (the kernels measured do not hide one behind the other: docs/benchmarks.md). The backward
/// recomputes the forward (a second forward's operations) unless the forward saves the states and a choice
/// of the tape: a write and a read of each saved value, no recurrence in the backward, and the tape values
/// not saved recomputed in the adjoint step.
type CostModel =
    { /// Simple operations one thread's vector unit does while memory moves one byte (the machine's balance).
      OpsPerByte: float
      /// The memory bound: the most values per element and step the forward may save (each T x E values).
      MaxSaved: int }

/// The cost models the kernels use.
[<RequireQualifiedAccess>]
module CostModel =
    /// The kernels' model: 4 operations per byte, fitted on an AMD EPYC (Zen 4, AVX-512) with one thread to
    /// AR-LIF's kernels timed every way (recomputing, saving the states and σ(M'), saving the whole tape:
    /// docs/benchmarks.md), at most 8 saved values per element and step (32 bytes per element and step in
    /// float32).
    let standard = { OpsPerByte = 4.0; MaxSaved = 8 }

    /// Never save: the backward always recomputes the forward (the interpreting kernel's plans).
    let recompute = { OpsPerByte = 2.0; MaxSaved = 0 }

    /// Save whenever the bound allows (memory free): for the laws, which run every built-in both ways.
    let save = { OpsPerByte = 0.0; MaxSaved = 64 }

/// A plan's estimated costs per element and step, in simple operations (CostModel).
type CostEstimate =
    { /// The forward and the backward when the backward recomputes the forward.
      Recompute: float
      /// The two when the forward saves the states and the plan's chosen values.
      Save: float
      /// The values per element and step that forward saves.
      Saved: int }

/// Scheduling programs for kernels.
[<RequireQualifiedAccess>]
module Schedule =
    let private split (nodes: Node[]) (variation: Variation[]) (roots: int seq) : Section =
        let live = Program.live nodes roots
        let ids = [ for i in 0 .. nodes.Length - 1 do if live[i] then yield i ]
        { Invariant = ids |> List.filter (fun i -> variation[i] <> Variation.Element)
          Step = ids |> List.filter (fun i -> variation[i] = Variation.Element) }

    let private cost (nodes: Node[]) (ids: int list) =
        ids |> List.sumBy (fun i -> match nodes[i] with Node.Op(prim, _) -> Ops.cost prim | Node.Src _ -> 0.0)

    // The costs of the two choices: a pass costs its operations plus its traffic (4 bytes a value). The forward
    // moves x and the spikes, the backward x, the spikes' adjoint and x's adjoint.
    let private costs (model: CostModel) (plan: KernelPlan) (saving: SavePlan) : CostEstimate =
        let nodes = plan.Backward.Nodes
        let pass = 4.0 * model.OpsPerByte
        let saved = plan.Program.States.Length + saving.Values.Length
        let moved = float (2 * saved) * pass
        { Recompute =
            cost nodes plan.Forward.Step + cost nodes plan.TapedRecompute + cost nodes plan.TapedAdjoint + 5.0 * pass
          Save = cost nodes saving.Forward.Step + cost nodes saving.Adjoint + 5.0 * pass + moved
          Saved = saved }

    // The adjoints' roots: the input's and the states' adjoints, and what each parameter's adjoint sums and
    // scales by.
    let private gradRoots (back: BackwardProgram) (paramAdjoints: ParamAdjoint list) =
        back.GradInput :: back.GradState @ (paramAdjoints |> List.collect (fun g -> g.Summed :: Option.toList g.Scale))

    // One step of adjoints with the registers `leaves` loaded (from a tape or the forward's saved values)
    // rather than computed.
    let private adjointFrom (back: BackwardProgram) (roots: int list) (leaves: int list) =
        let nodes = back.Nodes |> Array.mapi (fun i n -> if List.contains i leaves then Node.Src Source.Input else n)
        (split nodes back.Variation roots).Step |> List.filter (fun i -> not (List.contains i leaves))

    // The saving forwards a model allows, with their costs: one per choice of saved tape registers (every
    // subset where the tape is short, else none or all of it) within the memory bound.
    let private savings (model: CostModel) (plan: KernelPlan) : (SavePlan * CostEstimate) list =
        let p, back = plan.Program, plan.Backward
        let roots = gradRoots back plan.ParamAdjoints
        let tape = plan.Tape
        let choices =
            if tape.Length <= 10 then
                [ for mask in 0 .. (1 <<< tape.Length) - 1 -> tape |> List.indexed |> List.filter (fun (j, _) -> mask &&& (1 <<< j) <> 0) |> List.map snd ]
            else [ []; tape ]
        choices
        |> List.filter (fun values -> p.States.Length + values.Length <= model.MaxSaved)
        |> List.map (fun values ->
            let s =
                { Forward = split p.Nodes p.Variation (p.Output :: p.Next @ values)
                  Values = values
                  Adjoint = adjointFrom back roots values }
            s, costs model plan s)

    /// A plan's costs under a model: recomputing, and its saving forward (or, where it recomputes, the
    /// cheapest saving forward the model allows; with none allowed, saving costs infinity).
    let estimate (model: CostModel) (plan: KernelPlan) : CostEstimate =
        match plan.Saving, savings model plan with
        | Some saving, _ -> costs model plan saving
        | None, [] ->
            let e = costs model plan { Forward = plan.Forward; Values = []; Adjoint = plan.Adjoint }
            { e with Save = infinity }
        | None, candidates -> candidates |> List.map snd |> List.minBy _.Save

    /// Lowers the plan of a program under a cost model: the optimised program (Optimise), its derived and
    /// optimised backward, every section, and whether the forward saves for the backward.
    let planWith (model: CostModel) (written: StepProgram) : KernelPlan =
        let p, back = Optimise.derive written
        let fwdNodes, fwdVar = p.Nodes, p.Variation
        let forward = split fwdNodes fwdVar (p.Output :: p.Next)
        let records = (p.Bindings |> List.map snd) @ p.Next
        let trace = split fwdNodes fwdVar (p.Output :: records)
        let recompute = split back.Nodes back.Variation p.Next
        // A parameter's adjoint a * c (c time-invariant, a not): sum a, scale once.
        let paramAdjoints =
            back.GradParam
            |> List.map (fun r ->
                let invariant i = back.Variation[i] <> Variation.Element
                match back.Nodes[r] with
                | Node.Op(Prim.Binary BinaryOp.Mul, [ a; c ]) when invariant c && not (invariant a) -> { Summed = a; Scale = Some c }
                | Node.Op(Prim.Binary BinaryOp.Mul, [ c; a ]) when invariant c && not (invariant a) -> { Summed = a; Scale = Some c }
                | _ -> { Summed = r; Scale = None })
        let gradRoots = gradRoots back paramAdjoints
        let adjoint = split back.Nodes back.Variation gradRoots
        // The tape: forward registers the adjoints use that are costly to recompute (transcendentals,
        // divisions); the cheap ones (an add, a compare) are recomputed in the adjoint step from the tape,
        // the input and the saved states, which costs less than a store and a load.
        let isForwardOp i = i < fwdNodes.Length && (match fwdNodes[i] with Node.Op _ -> true | Node.Src _ -> false)
        let costly i =
            match fwdNodes[i] with
            | Node.Op(Prim.Unary(UnaryOp.Tanh | UnaryOp.Sigmoid | UnaryOp.Exp | UnaryOp.Log | UnaryOp.Sqrt), _)
            | Node.Op(Prim.Binary(BinaryOp.Div | BinaryOp.Pow), _) -> true
            | _ -> false
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
        let tapedAdjoint = adjointFrom back gradRoots tape
        let plan =
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
              TapedAdjoint = tapedAdjoint
              Saving = None
              ParamAdjoints = paramAdjoints }
        // The cheapest saving forward, where it beats recomputing.
        match savings model plan with
        | [] -> plan
        | candidates ->
            let best, e = candidates |> List.minBy (fun (_, e) -> e.Save)
            if e.Save < e.Recompute then { plan with Saving = Some best } else plan

    /// The plan under the kernels' cost model (CostModel.standard).
    let plan (written: StepProgram) : KernelPlan = planWith CostModel.standard written
