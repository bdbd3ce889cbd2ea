namespace SnnDsl.Backends

open SnnDsl.Core

/// A variable of a kernel's statements, per element (per lane on the CPU, per thread in CUDA).
[<RequireQualifiedAccess>]
type Var =
    /// A register of the backward program (the forward registers are its first ones), defined once per step.
    | Reg of int
    /// A state, carried forward across steps.
    | State of int
    /// A state's adjoint, carried backward across steps.
    | GradState of int
    /// A parameter's adjoint, summed over the steps.
    | GradParam of int

/// Where a kernel writes a variable.
[<RequireQualifiedAccess>]
type Sink =
    /// An array of the kernel's arguments, named by its field of `snn_kargs` ("out", "final_state[0]"):
    /// [T, E] and written at step t where `perStep`, else [E]; an `optional` one only where the caller
    /// passed it (not null).
    | Array of field: string * perStep: bool * optional: bool
    /// A parameter's adjoint: per element, or summed over the elements for a per-layer parameter.
    | GradParam of int
    /// A slot of step t in the values the forward saves for the backward (laid out per target: Codegen),
    /// where the caller passed that buffer (a forward without autograd passes none).
    | Saved of int

/// The direction of a loop over time.
[<RequireQualifiedAccess>]
type Time =
    /// Steps 0 .. T - 1.
    | Forward
    /// Steps T - 1 .. 0 (the backward's reverse sweep).
    | Backward

/// A statement of a kernel, per element; the printers spell it as C++ over lane groups or as CUDA per thread.
[<RequireQualifiedAccess>]
type Stmt =
    /// Defines a register (a constant of its step) by its node.
    | Def of int * Node
    /// Declares a carried variable at its start: a state at its initial value, a state's adjoint at the
    /// final state's adjoint (zero without one), anything else (a parameter's adjoint) at zero.
    | Start of Var
    /// Sets a carried variable.
    | Set of Var * Var
    /// Adds to a carried variable.
    | Accumulate of Var * Var
    /// Multiplies a carried variable.
    | Scale of Var * Var
    /// Writes a variable out.
    | Write of Sink * Var
    /// Saves a variable in a slot of this step's part of the backward's buffer.
    | Save of int * Var
    /// Defines a variable from a slot of this step's part of the buffer.
    | Load of Var * int
    /// Defines a variable from a slot of step t in the values the forward saved.
    | Read of Var * int

/// A run of statements: once per element, or at every step (`t`, in order or in reverse).
[<RequireQualifiedAccess>]
type Block =
    /// Statements run once per element, outside the time loop.
    | Once of Stmt list
    /// Statements run at every step, in this direction.
    | Steps of Time * Stmt list

/// A kernel as statements: the forward, trace and backward skeletons, built once from a plan and printed
/// for each target (Codegen).
type Kernel =
    { /// What the kernel does, per element, in order.
      Blocks: Block list
      /// The buffer's slots per step (the backward's saved states and tape; 0 in a forward, and in a
      /// backward that reads what the forward saved).
      Slots: int
      /// The values per step the forward saves for the backward (the plan's `Saving`: the states, then the
      /// tape), 0 where the backward recomputes the forward.
      Saved: int }

/// Building kernels from plans.
[<RequireQualifiedAccess>]
module KernelIr =
    /// A variable's name in the generated source (a CPU printer adds its lane group).
    let name (v: Var) =
        match v with
        | Var.Reg i -> $"r{i}"
        | Var.State k -> $"s{k}"
        | Var.GradState k -> $"gs{k}"
        | Var.GradParam k -> $"gp{k}"

    /// Every statement of a kernel, in order.
    let statements (k: Kernel) =
        k.Blocks |> List.collect (fun b -> match b with Block.Once ss | Block.Steps(_, ss) -> ss)

    /// A kernel's blocks with `f` applied to the statements of each.
    let mapBlocks (f: Stmt list -> Stmt list) (k: Kernel) =
        k.Blocks
        |> List.map (fun b ->
            match b with
            | Block.Once ss -> Block.Once(f ss)
            | Block.Steps(time, ss) -> Block.Steps(time, f ss))

    let private defs (plan: KernelPlan) (ids: int list) = ids |> List.map (fun i -> Stmt.Def(i, plan.Backward.Nodes[i]))

    let private states (plan: KernelPlan) (f: int -> Stmt) = List.init plan.Program.States.Length f

    let private setStates (plan: KernelPlan) =
        plan.Program.Next |> List.mapi (fun k r -> Stmt.Set(Var.State k, Var.Reg r))

    let private savedCount (plan: KernelPlan) =
        match plan.Saving with
        | Some saving -> plan.Program.States.Length + saving.Values.Length
        | None -> 0

    /// The forward: the plan's `Forward` section (or, where the plan saves, its `Saving` section, writing each
    /// step's states and tape), or its `Trace` with every binding and new state recorded.
    let forward (plan: KernelPlan) (trace: bool) : Kernel =
        let ns = plan.Program.States.Length
        let section, records, saved =
            match trace, plan.Saving with
            | true, _ -> plan.Trace, plan.Records, []
            | false, None -> plan.Forward, [], []
            | false, Some saving -> saving.Forward, [], List.init ns Var.State @ (saving.Values |> List.map Var.Reg)
        { Blocks =
            [ Block.Once(defs plan section.Invariant @ states plan (Var.State >> Stmt.Start))
              Block.Steps(
                  Time.Forward,
                  [ yield! defs plan section.Step
                    yield Stmt.Write(Sink.Array("out", true, false), Var.Reg plan.Program.Output)
                    yield! records |> List.mapi (fun j r -> Stmt.Write(Sink.Array($"record[{j}]", true, true), Var.Reg r))
                    yield! saved |> List.mapi (fun j v -> Stmt.Write(Sink.Saved j, v))
                    yield! setStates plan ]
              )
              Block.Once(states plan (fun k -> Stmt.Write(Sink.Array($"final_state[{k}]", false, true), Var.State k))) ]
          Slots = 0
          Saved = if trace then 0 else savedCount plan }

    /// The backward: the forward again, saving each step's states (and, `taped`, the plan's tape of costly
    /// forward registers: the CPU's), then the adjoint steps in reverse from the saved slots; without the
    /// tape (CUDA, where a thread has little memory) the adjoints recompute the forward registers they need.
    /// Where the plan saves (`Saving`), the backward reads the states and the registers that the forward
    /// saved and runs only the adjoint steps (recomputing the tape registers not saved), on every target.
    let backward (plan: KernelPlan) (taped: bool) : Kernel =
        let back = plan.Backward
        let ns = plan.Program.States.Length
        let np = plan.Program.Params.Length
        let saving = plan.Saving.IsSome
        let tape, recompute, adjoint =
            match plan.Saving with
            | Some s -> s.Values, [], s.Adjoint
            | None when taped -> plan.Tape, plan.TapedRecompute, plan.TapedAdjoint
            | None -> [], plan.Recompute, plan.Adjoint
        let taped = List.mapi (fun j r -> ns + j, Var.Reg r) tape
        let load (v, slot) = if saving then Stmt.Read(v, slot) else Stmt.Load(v, slot)
        { Blocks =
            [ Block.Once(defs plan plan.BackwardInvariant @ (if saving then [] else states plan (Var.State >> Stmt.Start)))
              if not saving then
                  Block.Steps(
                      Time.Forward,
                      [ yield! states plan (fun k -> Stmt.Save(k, Var.State k))
                        yield! defs plan recompute
                        yield! taped |> List.map Stmt.Save
                        yield! setStates plan ]
                  )
              Block.Once(states plan (Var.GradState >> Stmt.Start) @ List.init np (Var.GradParam >> Stmt.Start))
              Block.Steps(
                  Time.Backward,
                  [ yield! states plan (fun k -> load (Var.State k, k))
                    yield! taped |> List.map (fun (slot, v) -> load (v, slot))
                    yield! defs plan adjoint
                    yield Stmt.Write(Sink.Array("gx", true, false), Var.Reg back.GradInput)
                    yield! plan.ParamAdjoints |> List.mapi (fun k g -> Stmt.Accumulate(Var.GradParam k, Var.Reg g.Summed))
                    yield! back.GradState |> List.mapi (fun k r -> Stmt.Set(Var.GradState k, Var.Reg r)) ]
              )
              Block.Once(
                  states plan (fun k -> Stmt.Write(Sink.Array($"ginit[{k}]", false, true), Var.GradState k))
                  @ (plan.ParamAdjoints |> List.indexed |> List.choose (fun (k, g) -> g.Scale |> Option.map (fun c -> Stmt.Scale(Var.GradParam k, Var.Reg c))))
                  @ List.init np (fun k -> Stmt.Write(Sink.GradParam k, Var.GradParam k))
              ) ]
          Slots = if saving then 0 else ns + tape.Length
          Saved = savedCount plan }
