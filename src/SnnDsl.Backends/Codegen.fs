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
        let asm = typeof<Section>.Assembly
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

    /// A node as an expression: `var` spells its argument registers, `source` the loads of the target.
    let private expr (var: Var -> string) (source: Source -> string) (node: Node) =
        match node with
        | Node.Src s -> source s
        | Node.Op(prim, args) -> apply prim (args |> List.map (Var.Reg >> var))

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

    // Loads of the CPU kernels for subgroup g: V is the lane vector, S its element type; the views are local
    // copies of the arguments (xin, gin), so the compiler keeps their fields in registers across the stores.
    let private cpuSource (g: int) (s: Source) =
        match s with
        | Source.Input -> $"snn_load<S>(xin, t, e{g}, n{g})"
        | Source.State k -> $"s{k}_{g}"
        | Source.Param k -> $"snn_param<S>(a, {k}, e{g}, n{g})"
        | Source.Const c -> $"snn_k<V>({literal c})"
        | Source.GradOutput -> $"snn_load_or_zero<S>(gin, t, e{g}, n{g})"
        | Source.GradNext k -> $"gs{k}_{g}"

    // One statement for each of G lane groups side by side (adjacent, so the compiler sees the independent
    // chains together); `slots` is the buffer's per step, interleaved by group.
    let private cpuLine (G: int) (slots: int) (s: Stmt) =
        [ for g in 0 .. G - 1 ->
              let v (x: Var) = $"{KernelIr.name x}_{g}"
              let at (slot: int) = $"buf[(t * {slots} + {slot}) * {G} + {g}]"
              let store (target: string) (index: string) (x: Var) =
                  $"if ({target}) snn_store<S>({target}, {index}e{g}, n{g}, {v x});"
              match s with
              | Stmt.Def(i, node) -> $"const V {v (Var.Reg i)} = {expr v (cpuSource g) node};"
              | Stmt.Start(Var.State k as x) -> $"V {v x} = snn_init<S>(a, {k}, e{g}, n{g});"
              | Stmt.Start(Var.GradState k as x) -> $"V {v x} = snn_load_or_zero<S>(a->gfinal[{k}], 0, e{g}, n{g});"
              | Stmt.Start x -> $"V {v x} = snn_k<V>(0);"
              | Stmt.Set(x, y) -> $"{v x} = {v y};"
              | Stmt.Accumulate(x, y) -> $"{v x} = {v x} + {v y};"
              | Stmt.Save(slot, x) -> $"{at slot} = {v x};"
              | Stmt.Load(x, slot) -> $"const V {v x} = {at slot};"
              | Stmt.Write(Sink.Output, x) -> $"snn_stream<S>(out, t * E + e{g}, n{g}, {v x});"
              | Stmt.Write(Sink.GradInput, x) -> $"snn_stream<S>(gx, t * E + e{g}, n{g}, {v x});"
              | Stmt.Write(Sink.Record j, x) -> store $"a->record[{j}]" "t * E + " x
              | Stmt.Write(Sink.FinalState k, x) -> store $"a->final_state[{k}]" "" x
              | Stmt.Write(Sink.GradInit k, x) -> store $"a->ginit[{k}]" "" x
              | Stmt.Write(Sink.GradParam k, x) -> $"snn_param_grad<S>(a, {k}, e{g}, n{g}, acc, {v x});" ]

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
              yield! print (cpuLine G kernel.Slots) "T" "  " kernel.Blocks
              yield "}" ]
        let forward (G: int) (name: string) (kernel: Kernel) =
            group G name "" [ "  const snn_kin xin = a->x;"; "  void* const out = a->out;" ] kernel
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
            [ yield $"// {p.Neuron}: forward {plan.Forward.Invariant.Length} + {plan.Forward.Step.Length} registers per step, backward {plan.TapedRecompute.Length} + {plan.TapedAdjoint.Length} with {plan.Tape.Length} on the tape; {G} groups side by side"
              yield! forward 1 "snn_fwd_group" (KernelIr.forward plan false)
              yield! forward G "snn_fwd_group" (KernelIr.forward plan false)
              yield! forward 1 "snn_trace_group" (KernelIr.forward plan true)
              yield! backwardGroup 1
              yield! backwardGroup G
              yield! entry "f32" "float"
              yield! entry "f64" "double"
              yield "extern \"C\" int snn_kernel_abi(void) { return SNN_KERNEL_ABI; }"
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

    // Loads of the CUDA kernels: one element per thread, S the element type.
    let private cudaSource (s: Source) =
        match s with
        | Source.Input -> "snn_load<S>(a.x, t, e)"
        | Source.State k -> $"s{k}"
        | Source.Param k -> $"snn_param<S>(a, {k}, e)"
        | Source.Const c -> $"(S)({literal c})"
        | Source.GradOutput -> "snn_load_or_zero<S>(a.gout, t, e)"
        | Source.GradNext k -> $"gs{k}"

    // One statement in CUDA, per thread; `slots` is the buffer's per step, each [E].
    let private cudaLine (slots: int) (s: Stmt) =
        let v = KernelIr.name
        let at (slot: int) = $"buf[(t * {slots} + {slot}) * a.E + e]"
        let store (target: string) (index: string) (x: Var) = $"if ({target}) ((S*){target})[{index}] = {v x};"
        [ match s with
          | Stmt.Def(i, node) -> $"const S {v (Var.Reg i)} = {expr v cudaSource node};"
          | Stmt.Start(Var.State k as x) -> $"S {v x} = snn_init<S>(a, {k}, e);"
          | Stmt.Start(Var.GradState k as x) -> $"S {v x} = snn_load_or_zero<S>(a.gfinal[{k}], 0, e);"
          | Stmt.Start x -> $"S {v x} = 0;"
          | Stmt.Set(x, y) -> $"{v x} = {v y};"
          | Stmt.Accumulate(x, y) -> $"{v x} += {v y};"
          | Stmt.Save(slot, x) -> $"{at slot} = {v x};"
          | Stmt.Load(x, slot) -> $"const S {v x} = {at slot};"
          | Stmt.Write(Sink.Output, x) -> $"((S*)a.out)[t * a.E + e] = {v x};"
          | Stmt.Write(Sink.GradInput, x) -> $"((S*)a.gx)[t * a.E + e] = {v x};"
          | Stmt.Write(Sink.Record j, x) -> store $"a.record[{j}]" "t * a.E + e" x
          | Stmt.Write(Sink.FinalState k, x) -> store $"a.final_state[{k}]" "e" x
          | Stmt.Write(Sink.GradInit k, x) -> store $"a.ginit[{k}]" "e" x
          | Stmt.Write(Sink.GradParam k, x) -> $"if (a.granularity[{k}] != SNN_PER_LAYER) ((S*)a.gparam[{k}])[e] = {v x};" ]

    /// The generated part of the CUDA kernels: one thread per element with the time loop inside; the
    /// backward keeps the states per step in `scratch` and reduces per-layer parameter adjoints per block,
    /// then with one atomic add per block. Threads past the end skip the work but join the reductions, so
    /// the parameters' adjoints start before that guard and the block sums come after it.
    let cudaBody (plan: KernelPlan) : string =
        let forward = KernelIr.forward plan false
        let backward = KernelIr.backward plan false
        let line = cudaLine backward.Slots
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
