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

    /// One register's defining expression; `source` writes the loads of the target.
    let private expr (nodes: Node[]) (source: Source -> string) (i: int) =
        match nodes[i] with
        | Node.Src s -> source s
        | Node.Op(prim, args) -> apply prim (args |> List.map (fun a -> $"r{a}"))

    let private decls (nodes: Node[]) (source: Source -> string) (ty: string) (indent: string) (ids: int list) =
        ids |> List.map (fun i -> $"{indent}const {ty} r{i} = {expr nodes source i};")

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

    /// The generated part of a compiled CPU kernel: its group functions (one group with a partial tail, and
    /// `interleave` full groups side by side), templated on the element type, and the entry points.
    let cpuBody (plan: KernelPlan) : string =
        let p = plan.Program
        let nodes = plan.Backward.Nodes
        let ns = p.States.Length
        let np = p.Params.Length
        let back = plan.Backward
        let slots = ns + plan.Tape.Length
        // Every statement once per subgroup, adjacent, so the compiler sees the independent chains together.
        let each (G: int) (f: int -> string) = [ for g in 0 .. G - 1 -> f g ]
        let d (G: int) (ind: string) (ids: int list) =
            [ for i in ids do
                  for g in 0 .. G - 1 ->
                      let e =
                          match nodes[i] with
                          | Node.Src s -> cpuSource g s
                          | Node.Op(prim, args) -> apply prim (args |> List.map (fun a -> $"r{a}_{g}"))
                      $"{ind}const V r{i}_{g} = {e};" ]
        let lanes (G: int) =
            if G = 1 then [ "  const int64_t e0 = e;"; "  const int n0 = n;" ]
            else
                [ for g in 0 .. G - 1 do
                      yield $"  const int64_t e{g} = e + {g} * snn_lanes<S>::W;"
                      yield $"  const int n{g} = snn_lanes<S>::W;" ]
        let signature (G: int) (name: string) (extra: string) =
            if G = 1 then $"static inline void {name}(const snn_kargs* a, int64_t e, int n{extra}) {{"
            else $"static inline void {name}{G}(const snn_kargs* a, int64_t e{extra}) {{"
        let stateLines (G: int) (ind: string) (f: int -> int -> string) =
            [ for k in 0 .. ns - 1 do yield! each G (fun g -> ind + f k g) ]
        let forward (G: int) (name: string) (section: Section) (records: int list) =
            [ yield "template <typename S>"
              yield signature G name ""
              yield "  typedef typename snn_lanes<S>::V V;"
              yield "  const int64_t T = a->T, E = a->E;"
              yield "  const snn_kin xin = a->x;"
              yield "  void* const out = a->out;"
              yield! lanes G
              yield! d G "  " section.Invariant
              yield! stateLines G "  " (fun k g -> $"V s{k}_{g} = snn_init<S>(a, {k}, e{g}, n{g});")
              yield "  for (int64_t t = 0; t < T; ++t) {"
              yield! d G "    " section.Step
              yield! each G (fun g -> $"    snn_stream<S>(out, t * E + e{g}, n{g}, r{p.Output}_{g});")
              for j, r in List.indexed records do
                  yield! each G (fun g -> $"    if (a->record[{j}]) snn_store<S>(a->record[{j}], t * E + e{g}, n{g}, r{r}_{g});")
              yield! p.Next |> List.mapi (fun k r -> each G (fun g -> $"    s{k}_{g} = r{r}_{g};")) |> List.concat
              yield "  }"
              yield! stateLines G "  " (fun k g -> $"if (a->final_state[{k}]) snn_store<S>(a->final_state[{k}], e{g}, n{g}, s{k}_{g});")
              yield "}" ]
        let backward (G: int) =
            let at (slot: string) (g: int) = $"buf[(t * {slots} + {slot}) * {G} + {g}]"
            [ yield "template <typename S>"
              yield signature G "snn_bwd_group" ", snn_acc<S>* acc, typename snn_lanes<S>::V* buf"
              yield "  typedef typename snn_lanes<S>::V V;"
              yield "  const int64_t T = a->T, E = a->E;"
              yield "  const snn_kin xin = a->x, gin = a->gout;"
              yield "  void* const gx = a->gx;"
              yield! lanes G
              yield! d G "  " plan.BackwardInvariant
              yield! stateLines G "  " (fun k g -> $"V s{k}_{g} = snn_init<S>(a, {k}, e{g}, n{g});")
              yield "  for (int64_t t = 0; t < T; ++t) {"
              yield! stateLines G "    " (fun k g -> $"{at (string k) g} = s{k}_{g};")
              yield! d G "    " plan.TapedRecompute
              yield! plan.Tape |> List.mapi (fun j r -> each G (fun g -> $"    {at (string (ns + j)) g} = r{r}_{g};")) |> List.concat
              yield! p.Next |> List.mapi (fun k r -> each G (fun g -> $"    s{k}_{g} = r{r}_{g};")) |> List.concat
              yield "  }"
              yield! stateLines G "  " (fun k g -> $"V gs{k}_{g} = snn_load_or_zero<S>(a->gfinal[{k}], 0, e{g}, n{g});")
              yield! [ for k in 0 .. np - 1 do yield! each G (fun g -> $"  V gp{k}_{g} = snn_k<V>(0);") ]
              yield "  for (int64_t t = T - 1; t >= 0; --t) {"
              yield! stateLines G "    " (fun k g -> $"const V s{k}_{g} = {at (string k) g};")
              yield! plan.Tape |> List.mapi (fun j r -> each G (fun g -> $"    const V r{r}_{g} = {at (string (ns + j)) g};")) |> List.concat
              yield! d G "    " plan.TapedAdjoint
              yield! each G (fun g -> $"    snn_stream<S>(gx, t * E + e{g}, n{g}, r{back.GradInput}_{g});")
              yield! back.GradParam |> List.mapi (fun k r -> each G (fun g -> $"    gp{k}_{g} = gp{k}_{g} + r{r}_{g};")) |> List.concat
              yield! back.GradState |> List.mapi (fun k r -> each G (fun g -> $"    gs{k}_{g} = r{r}_{g};")) |> List.concat
              yield "  }"
              yield! stateLines G "  " (fun k g -> $"if (a->ginit[{k}]) snn_store<S>(a->ginit[{k}], e{g}, n{g}, gs{k}_{g});")
              yield! [ for k in 0 .. np - 1 do yield! each G (fun g -> $"  snn_param_grad<S>(a, {k}, e{g}, n{g}, acc, gp{k}_{g});") ]
              yield "}" ]
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
              yield! forward 1 "snn_fwd_group" plan.Forward []
              yield! forward G "snn_fwd_group" plan.Forward []
              yield! forward 1 "snn_trace_group" plan.Trace plan.Records
              yield! backward 1
              yield! backward G
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

    /// The generated part of the CUDA kernels: one thread per element with the time loop inside; the
    /// backward keeps the states per step in `scratch` and reduces per-layer parameter adjoints per block,
    /// then with one atomic add per block.
    let cudaBody (plan: KernelPlan) : string =
        let p = plan.Program
        let nodes = plan.Backward.Nodes
        let ns = p.States.Length
        let np = p.Params.Length
        let d ind ids = decls nodes cudaSource "S" ind ids
        let states f = [ for k in 0 .. ns - 1 -> f k ]
        let back = plan.Backward
        let body (suffix: string) (ty: string) =
            [ yield $"extern \"C\" __global__ void snn_forward_{suffix}(snn_kargs a) {{"
              yield $"  typedef {ty} S;"
              yield "  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;"
              yield "  if (e >= a.E) return;"
              yield! d "  " plan.Forward.Invariant
              yield! states (fun k -> $"  S s{k} = snn_init<S>(a, {k}, e);")
              yield "  for (int64_t t = 0; t < a.T; ++t) {"
              yield! d "    " plan.Forward.Step
              yield $"    ((S*)a.out)[t * a.E + e] = r{p.Output};"
              yield! List.mapi (fun k r -> $"    s{k} = r{r};") p.Next
              yield "  }"
              yield! states (fun k -> $"  if (a.final_state[{k}]) ((S*)a.final_state[{k}])[e] = s{k};")
              yield "}"
              yield $"extern \"C\" __global__ void snn_backward_{suffix}(snn_kargs a) {{"
              yield $"  typedef {ty} S;"
              yield "  const int64_t e = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;"
              yield "  const bool active = e < a.E;"
              yield! [ for k in 0 .. np - 1 -> $"  S gp{k} = 0;" ]
              yield "  if (active) {"
              yield "    S* buf = (S*)a.scratch;"
              yield! d "    " plan.BackwardInvariant
              yield! states (fun k -> $"    S s{k} = snn_init<S>(a, {k}, e);")
              yield "    for (int64_t t = 0; t < a.T; ++t) {"
              yield! states (fun k -> $"      buf[(t * {ns} + {k}) * a.E + e] = s{k};")
              yield! d "      " plan.Recompute
              yield! List.mapi (fun k r -> $"      s{k} = r{r};") p.Next
              yield "    }"
              yield! states (fun k -> $"    S gs{k} = snn_load_or_zero<S>(a.gfinal[{k}], 0, e);")
              yield "    for (int64_t t = a.T - 1; t >= 0; --t) {"
              yield! states (fun k -> $"      const S s{k} = buf[(t * {ns} + {k}) * a.E + e];")
              yield! d "      " plan.Adjoint
              yield $"      ((S*)a.gx)[t * a.E + e] = r{back.GradInput};"
              yield! List.mapi (fun k r -> $"      gp{k} += r{r};") back.GradParam
              yield! List.mapi (fun k r -> $"      gs{k} = r{r};") back.GradState
              yield "    }"
              yield! states (fun k -> $"    if (a.ginit[{k}]) ((S*)a.ginit[{k}])[e] = gs{k};")
              yield! [ for k in 0 .. np - 1 -> $"    if (a.granularity[{k}] != SNN_PER_LAYER) ((S*)a.gparam[{k}])[e] = gp{k};" ]
              yield "  }"
              yield! [ for k in 0 .. np - 1 -> $"  if (a.granularity[{k}] == SNN_PER_LAYER) snn_block_sum(a.gparam_sum + {k}, active ? (double)gp{k} : 0.0);" ]
              yield "}" ]
        lines
            [ yield $"// {p.Neuron}: CUDA, one thread per element"
              yield! body "f32" "float"
              yield! body "f64" "double" ]

    /// The whole CUDA source of one program (compiled with NVRTC where the tensors live on a CUDA device).
    let cudaKernel (plan: KernelPlan) : string =
        "#define SNN_KERNEL_CUDA 1\n" + header () + "\n" + resource "cuda_prelude.cuh" + "\n" + cudaBody plan

    /// A stable hash of a text (the kernel cache's key).
    let hash (text: string) =
        Convert.ToHexString(Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes text)).ToLowerInvariant()
