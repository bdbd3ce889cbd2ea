namespace SnnDsl.Backends

open System
open System.Globalization
open System.IO
open System.Text
open SnnDsl.Core

/// Source text of fused kernels, generated from kernel plans and the code templates of `Ops`: a compiled
/// CPU kernel per program, one interpreting CPU kernel for every program, and CUDA source.
[<RequireQualifiedAccess>]
module Codegen =
    /// A resource embedded in this assembly (the kernel ABI header and the preludes).
    let resource (name: string) =
        let asm = typeof<Kernel>.Assembly
        use s = asm.GetManifestResourceStream name
        if isNull s then Fail.internalError $"the resource '{name}' is missing from {asm.GetName().Name}"
        use r = new StreamReader(s)
        r.ReadToEnd()

    /// A constant as C source (shortest round-trip text).
    let literal (c: float) = c.ToString("R", CultureInfo.InvariantCulture)

    /// An operation's code template with its arguments filled in.
    let apply (prim: Prim) (args: string list) =
        let code = (Ops.lookup prim).Code
        args |> List.indexed |> List.fold (fun (s: string) (i, a) -> s.Replace("{" + string i + "}", a)) code

    /// The distinct code templates of the table, in order; an operation's opcode in the interpreting kernel
    /// is 100 + its template's index (spikes of every surrogate share one: their forward is Θ).
    let templates = Ops.all |> List.map (fun p -> (Ops.lookup p).Code) |> List.distinct

    /// The interpreting kernel's opcode of an operation.
    let opcode (prim: Prim) = 100 + List.findIndex ((=) (Ops.lookup prim).Code) templates

    /// How a target spells the parts of statements; `line` writes the rest, the same for every target, over
    /// the preludes' functions (the same names on both: snn_load, snn_param, snn_init, snn_load_or_zero).
    type private Spelling =
        { /// The type of a variable: a lane vector (CPU) or a scalar (CUDA).
          Type: string
          /// What a variable's name ends with (the CPU's lane group).
          Lane: string
          /// The element arguments of the preludes' functions: a lane group's start and lane count (CPU), the
          /// thread's element (CUDA).
          Element: string
          /// The kernel's arguments, as the start of a field's access ("a->", "a.").
          Args: string
          /// The views of the input and of the output's adjoint.
          Input: string
          GradOutput: string
          /// A constant of the variables' type, and the zero a parameter's adjoint starts at.
          Const: string -> string
          Zero: string
          /// A slot of step t's part of the backward's buffer.
          Slot: int -> string
          /// A slot of step t in the values the forward saved.
          Read: int -> string
          /// Adds the second to the first.
          Accumulate: string -> string -> string
          /// Writes a value to a sink.
          Write: Sink -> string -> string }

    /// One statement as a line of the target's spelling.
    let private line (sp: Spelling) (s: Stmt) =
        let v (x: Var) = KernelIr.name x + sp.Lane
        let source (src: Source) =
            match src with
            | Source.Input -> $"snn_load<S>({sp.Input}, t, {sp.Element})"
            | Source.State k -> v (Var.State k)
            | Source.Param k -> $"snn_param<S>(a, {k}, {sp.Element})"
            | Source.Const c -> sp.Const(literal c)
            | Source.GradOutput -> $"snn_load_or_zero<S>({sp.GradOutput}, t, {sp.Element})"
            | Source.GradNext k -> v (Var.GradState k)
        let start (x: Var) =
            match x with
            | Var.State k -> $"snn_init<S>(a, {k}, {sp.Element})"
            | Var.GradState k -> $"snn_load_or_zero<S>({sp.Args}gfinal[{k}], 0, {sp.Element})"
            | Var.Reg _ | Var.GradParam _ -> sp.Zero
        match s with
        | Stmt.Def(i, node) ->
            let e =
                match node with
                | Node.Src src -> source src
                | Node.Op(prim, args) -> apply prim (args |> List.map (Var.Reg >> v))
            $"const {sp.Type} {v (Var.Reg i)} = {e};"
        | Stmt.Start x -> $"{sp.Type} {v x} = {start x};"
        | Stmt.Set(x, y) -> $"{v x} = {v y};"
        | Stmt.Accumulate(x, y) -> sp.Accumulate (v x) (v y)
        | Stmt.Scale(x, y) -> $"{v x} = {v x} * {v y};"
        | Stmt.Save(slot, x) -> $"{sp.Slot slot} = {v x};"
        | Stmt.Load(x, slot) -> $"const {sp.Type} {v x} = {sp.Slot slot};"
        | Stmt.Read(x, slot) -> $"const {sp.Type} {v x} = {sp.Read slot};"
        | Stmt.Write(sink, x) -> sp.Write sink (v x)

    /// A kernel's blocks as lines from `indent`: `line` spells one statement (as one line per lane group on
    /// the CPU, one line in CUDA), `T` is the number of steps.
    let private print (line: Stmt -> string list) (T: string) (indent: string) (blocks: Block list) =
        [ for b in blocks do
              match b with
              | Block.Once body ->
                  for s in body do
                      for l in line s -> indent + l
              | Block.Steps(time, body) ->
                  match time with
                  | Time.Forward -> yield $"{indent}for (int64_t t = 0; t < {T}; ++t) {{"
                  | Time.Backward -> yield $"{indent}for (int64_t t = {T} - 1; t >= 0; --t) {{"
                  for s in body do
                      for l in line s -> indent + "  " + l
                  yield indent + "}" ]

    let private lines (parts: string seq) = String.Join("\n", parts) + "\n"

    /// How many lane groups a compiled CPU kernel runs side by side: a neuron's recurrence is a chain of
    /// dependent operations per step, so one group alone waits on latencies; independent chains fill the
    /// gaps. Four measured faster than one and than two for every built-in (kernel alone, T = 8, 2^20
    /// elements: leaky-lif backward 2.3 ms against 3.7 with two), although the larger neurons spill.
    let interleave = 4

    // The CPU's spelling for lane group g of G (statements are written for each group side by side, so the
    // compiler sees the independent chains together): V is the lane vector, S its element type; the buffer
    // holds `slots` per step, interleaved by group; the forward saves `saved` values per step, each lane
    // group's T x saved vectors side by side (the order the forward writes and the backward reads them: a
    // [T, saved, E] layout would put every row 4 bytes x E apart, in the same cache sets). The views (xin,
    // gin, out, gx, saved) are the group function's local copies of the arguments, so the compiler keeps
    // their fields in registers across the stores.
    let private cpuSpelling (G: int) (slots: int) (saved: int) (g: int) =
        let savedAt (slot: int) = $"e{g} * T * {saved} + (t * {saved} + {slot}) * snn_lanes<S>::W"
        { Type = "V"
          Lane = $"_{g}"
          Element = $"e{g}, n{g}"
          Args = "a->"
          Input = "xin"
          GradOutput = "gin"
          Const = fun c -> $"snn_k<V>({c})"
          Zero = "snn_k<V>(0)"
          Slot = fun slot -> $"buf[(t * {slots} + {slot}) * {G} + {g}]"
          Read = fun slot -> $"snn_read<S>(a->saved, {savedAt slot}, n{g})"
          Accumulate = fun x y -> $"{x} = {x} + {y};"
          Write =
            fun sink x ->
                match sink with
                | Sink.Array(f, perStep, optional) ->
                    let at = if perStep then $"t * E + e{g}" else $"e{g}"
                    if optional then $"if (a->{f}) snn_store<S>(a->{f}, {at}, n{g}, {x});"
                    else $"snn_stream<S>({f}, {at}, n{g}, {x});"
                | Sink.GradParam k -> $"snn_param_grad<S>(a, {k}, e{g}, n{g}, acc, {x});"
                | Sink.Saved j -> $"if (saved) snn_stream<S>(saved, {savedAt j}, n{g}, {x});" }

    // One statement for each of G lane groups.
    let private cpuLine (G: int) (kernel: Kernel) (s: Stmt) =
        [ for g in 0 .. G - 1 -> line (cpuSpelling G kernel.Slots kernel.Saved g) s ]

    // The forward's view of the buffer it saves into (null without autograd).
    let private savedView (kernel: Kernel) = if kernel.Saved = 0 then [] else [ "  void* const saved = a->saved;" ]

    /// The generated part of a compiled CPU kernel: its group functions (one group with a partial tail, and
    /// `interleave` full groups side by side), templated on the element type, and the entry points.
    let cpuBody (plan: KernelPlan) : string =
        let p = plan.Program
        let np = p.Params.Length
        let backward = KernelIr.backward plan true
        let slots = backward.Slots
        // A group function: G lane groups from e (one group of n lanes where G = 1), over the views.
        let group (G: int) (name: string) (extra: string) (views: string list) (kernel: Kernel) =
            [ yield "template <typename S>"
              if G = 1 then yield $"static inline void {name}(const snn_kargs* a, int64_t e, int n{extra}) {{"
              else yield $"static inline void {name}{G}(const snn_kargs* a, int64_t e{extra}) {{"
              yield "  typedef typename snn_lanes<S>::V V;"
              yield "  const int64_t T = a->T, E = a->E;"
              yield! views
              if G = 1 then yield! [ "  const int64_t e0 = e;"; "  const int n0 = n;" ]
              else
                  for g in 0 .. G - 1 do
                      yield $"  const int64_t e{g} = e + {g} * snn_lanes<S>::W;"
                      yield $"  const int n{g} = snn_lanes<S>::W;"
              yield! print (cpuLine G kernel) "T" "  " kernel.Blocks
              yield "}" ]
        let forward (G: int) (name: string) (kernel: Kernel) =
            group G name "" ([ "  const snn_kin xin = a->x;"; "  void* const out = a->out;" ] @ savedView kernel) kernel
        let backwardGroup (G: int) =
            let views = [ "  const snn_kin xin = a->x, gin = a->gout;"; "  void* const gx = a->gx;" ]
            group G "snn_bwd_group" ", snn_acc<S>* acc, typename snn_lanes<S>::V* buf" views backward
        let G = interleave
        let entry (suffix: string) (ty: string) =
            let w = $"snn_lanes<{ty}>::W"
            let loops (full: string) (tail: string) =
                [ "  int64_t e = e0;"
                  $"  for (; e + {G} * {w} <= e1; e += {G} * {w}) {full};"
                  $"  for (; e < e1; e += {w}) {tail};" ]
            [ yield $"extern \"C\" void snn_forward_{suffix}(const snn_kargs* a, int64_t e0, int64_t e1, int64_t) {{"
              yield! loops $"snn_fwd_group{G}<{ty}>(a, e)" $"snn_fwd_group<{ty}>(a, e, (int)(e1 - e < {w} ? e1 - e : {w}))"
              yield "  snn_fence();"
              yield "}"
              yield $"extern \"C\" void snn_trace_{suffix}(const snn_kargs* a, int64_t e0, int64_t e1, int64_t) {{"
              yield $"  for (int64_t e = e0; e < e1; e += {w}) snn_trace_group<{ty}>(a, e, (int)(e1 - e < {w} ? e1 - e : {w}));"
              yield "  snn_fence();"
              yield "}"
              yield $"extern \"C\" void snn_backward_{suffix}(const snn_kargs* a, int64_t e0, int64_t e1, int64_t chunk) {{"
              yield $"  typedef snn_lanes<{ty}>::V V;"
              yield $"  V* buf = snn_alloc<V>(a->T * {slots} * {G});"
              yield $"  snn_acc<{ty}> acc[{max 1 np}] = {{}};"
              yield! loops $"snn_bwd_group{G}<{ty}>(a, e, acc, buf)" $"snn_bwd_group<{ty}>(a, e, (int)(e1 - e < {w} ? e1 - e : {w}), acc, buf)"
              yield $"  snn_param_sums<{ty}>(a, chunk, acc);"
              yield "  free(buf);"
              yield "  snn_fence();"
              yield "}" ]
        lines
            [ match plan.Saving with
              | None ->
                  yield $"// {p.Neuron}: forward {plan.Forward.Invariant.Length} + {plan.Forward.Step.Length} registers per step, backward {plan.TapedRecompute.Length} + {plan.TapedAdjoint.Length} with {plan.Tape.Length} on the tape; {G} groups side by side"
              | Some saving ->
                  yield $"// {p.Neuron}: forward {saving.Forward.Invariant.Length} + {saving.Forward.Step.Length} registers per step saving {backward.Saved} values per step, backward {saving.Adjoint.Length} reading them; {G} groups side by side"
              yield! forward 1 "snn_fwd_group" (KernelIr.forward plan false)
              yield! forward G "snn_fwd_group" (KernelIr.forward plan false)
              yield! forward 1 "snn_trace_group" (KernelIr.forward plan true)
              yield! backwardGroup 1
              yield! backwardGroup G
              yield! entry "f32" "float"
              yield! entry "f64" "double"
              yield "extern \"C\" int snn_kernel_abi(void) { return SNN_KERNEL_ABI; }"
              yield $"extern \"C\" int snn_kernel_saved(void) {{ return {backward.Saved}; }}"
              yield "extern \"C\" int snn_kernel_interprets(void) { return 0; }" ]

    let private header () = resource "snndsl_kernel.h"

    /// The whole source of a compiled CPU kernel for one program.
    let cpuKernel (plan: KernelPlan) : string =
        header () + "\n" + resource "cpu_prelude.h" + "\n" + cpuBody plan

    /// The whole source of the interpreting CPU kernel: the prelude, `snn_apply` generated from the table, and
    /// the interpreter's loops.
    let cpuInterpreter () : string =
        let cases =
            templates
            |> List.mapi (fun i code ->
                let body = code.Replace("{0}", "R[in.a]").Replace("{1}", "R[in.b]").Replace("{2}", "R[in.c]")
                $"    case {100 + i}: R[in.dst] = {body}; break;")
        let apply =
            lines
                [ yield "template <typename V> static inline void snn_apply(const snn_instr& in, V* R) {"
                  yield "  switch (in.op) {"
                  yield! cases
                  yield "    default: break;"
                  yield "  }"
                  yield "}" ]
        header () + "\n" + resource "cpu_prelude.h" + "\n" + apply + resource "cpu_interpreter.h"

    // The CUDA spelling, per thread: S is the element type; the buffer holds `slots` per step, each [E]; the
    // forward saves `saved` values per step ([T, saved, E]).
    let private cudaSpelling (slots: int) (saved: int) =
        let savedAt (slot: int) = $"(t * {saved} + {slot}) * a.E + e"
        { Type = "S"
          Lane = ""
          Element = "e"
          Args = "a."
          Input = "a.x"
          GradOutput = "a.gout"
          Const = fun c -> $"(S)({c})"
          Zero = "0"
          Slot = fun slot -> $"buf[(t * {slots} + {slot}) * a.E + e]"
          Read = fun slot -> $"((const S*)a.saved)[{savedAt slot}]"
          Accumulate = fun x y -> $"{x} += {y};"
          Write =
            fun sink x ->
                match sink with
                | Sink.Array(f, perStep, optional) ->
                    let at = if perStep then "t * a.E + e" else "e"
                    (if optional then $"if (a.{f}) " else "") + $"((S*)a.{f})[{at}] = {x};"
                | Sink.GradParam k -> $"if (a.granularity[{k}] != SNN_PER_LAYER) ((S*)a.gparam[{k}])[e] = {x};"
                | Sink.Saved j -> $"if (a.saved) ((S*)a.saved)[{savedAt j}] = {x};" }

    /// The generated part of the CUDA kernels: one thread per element with the time loop inside; the
    /// backward keeps the states per step in `scratch` and reduces per-layer parameter adjoints per block,
    /// then with one atomic add per block. Threads past the end skip the work but join the reductions, so
    /// the parameters' adjoints start before that guard and the block sums come after it.
    let cudaBody (plan: KernelPlan) : string =
        let forward = KernelIr.forward plan false
        let backward = KernelIr.backward plan false
        let line (s: Stmt) = [ line (cudaSpelling backward.Slots backward.Saved) s ]
        let hoisted (s: Stmt) = match s with Stmt.Start(Var.GradParam _) -> true | _ -> false
        let all = KernelIr.statements backward
        let guarded = KernelIr.mapBlocks (List.filter (hoisted >> not)) backward
        let blockSums =
            [ for s in all do
                  match s with
                  | Stmt.Write(Sink.GradParam k, x) ->
                      yield $"  if (a.granularity[{k}] == SNN_PER_LAYER) snn_block_sum(a.gparam_sum + {k}, active ? (double){KernelIr.name x} : 0.0);"
                  | _ -> () ]
        let entry (suffix: string) (ty: string) =
            [ yield $"extern \"C\" __global__ void snn_forward_{suffix}(snn_kargs a) {{"
              yield $"  typedef {ty} S;"
              yield "  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;"
              yield "  if (e >= a.E) return;"
              yield! print line "a.T" "  " forward.Blocks
              yield "}"
              yield $"extern \"C\" __global__ void snn_backward_{suffix}(snn_kargs a) {{"
              yield $"  typedef {ty} S;"
              yield "  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;"
              yield "  const bool active = e < a.E;"
              yield! print line "a.T" "  " [ Block.Once(List.filter hoisted all) ]
              yield "  if (active) {"
              yield "    S* buf = (S*)a.scratch;"
              yield! print line "a.T" "    " guarded
              yield "  }"
              yield! blockSums
              yield "}" ]
        lines
            [ yield $"// {plan.Program.Neuron}: CUDA, one thread per element"
              yield! entry "f32" "float"
              yield! entry "f64" "double" ]

    /// The whole CUDA source of one program (compiled with NVRTC where the tensors live on a CUDA device).
    let cudaKernel (plan: KernelPlan) : string =
        "#define SNN_KERNEL_CUDA 1\n" + header () + "\n" + resource "cuda_prelude.cuh" + "\n" + cudaBody plan

    /// A stable hash of a text (the kernel cache's key).
    let hash (text: string) =
        Convert.ToHexString(Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes text)).ToLowerInvariant()
