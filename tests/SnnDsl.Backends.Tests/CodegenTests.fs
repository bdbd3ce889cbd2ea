/// The generated sources: the step program's schedule, the CUDA source of every built-in, and that CUDA
/// source run on the CPU (compiled as C++ over a stand-in for the CUDA runtime, one thread per block)
/// against the eager interpreter, so the CUDA generator is held to the same laws on a machine without a GPU.
module SnnDsl.Backends.Tests.CodegenTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests
open SnnDsl.Core.Tests.Generators
open SnnDsl.Torch
open SnnDsl.Backends
open SnnDsl.Backends.Tests.Tensors
open SnnDsl.Backends.Tests.FusedLawTests

// A stand-in for the CUDA runtime: kernels are plain functions, one thread per block, so block sums reduce to
// the single thread's value; __shared__ memory is per host thread.
let private cudaOnCpu =
    """#include <math.h>
#include <stdint.h>
#include <stdlib.h>
struct snn_dim3 { unsigned x, y, z; };
static thread_local snn_dim3 blockIdx, threadIdx, blockDim;
#define __global__
#define __device__
#define __shared__ static thread_local
static inline double __shfl_down_sync(unsigned, double, int) { return 0.0; }  // the other lanes do not exist
static inline void __syncthreads() {}
static inline double atomicAdd(double* p, double v) { double old = *p; *p += v; return old; }
#define snn_forward_f32 cuda_forward_f32
#define snn_forward_f64 cuda_forward_f64
#define snn_backward_f32 cuda_backward_f32
#define snn_backward_f64 cuda_backward_f64
"""

let private cudaLaunches =
    """
#undef snn_forward_f32
#undef snn_forward_f64
#undef snn_backward_f32
#undef snn_backward_f64
#define SNN_EMULATE(S, SUFFIX)                                                                        \
  extern "C" void snn_forward_##SUFFIX(const snn_kargs* a, int64_t e0, int64_t e1, int64_t) {        \
    blockDim.x = 1; threadIdx.x = 0;                                                                \
    for (int64_t e = e0; e < e1; ++e) { blockIdx.x = (unsigned)e; cuda_forward_##SUFFIX(*a); }      \
  }                                                                                                 \
  extern "C" void snn_trace_##SUFFIX(const snn_kargs* a, int64_t e0, int64_t e1, int64_t c) {        \
    snn_forward_##SUFFIX(a, e0, e1, c);                                                             \
  }                                                                                                 \
  extern "C" void snn_backward_##SUFFIX(const snn_kargs* a, int64_t e0, int64_t e1, int64_t chunk) { \
    snn_kargs b = *a;                                                                               \
    b.scratch = calloc((size_t)(a->T * a->nstates * a->E), sizeof(S));                             \
    b.gparam_sum = a->gparam_sum + chunk * a->nparams;                                              \
    blockDim.x = 1; threadIdx.x = 0;                                                                \
    for (int64_t e = e0; e < e1; ++e) { blockIdx.x = (unsigned)e; cuda_backward_##SUFFIX(b); }      \
    free(b.scratch);                                                                                \
  }
SNN_EMULATE(float, f32)
SNN_EMULATE(double, f64)
extern "C" int snn_kernel_abi(void) { return SNN_KERNEL_ABI; }
"""

/// A program's CUDA kernels, planned under a cost model, compiled for the CPU, behind the interpreter seam.
let private cudaOnCpuWith (model: CostModel) (name: string) =
    let kernels = Collections.Concurrent.ConcurrentDictionary<string, FusedKernel>()
    let kernelOf (p: StepProgram) =
        kernels.GetOrAdd(p.Neuron, fun _ ->
            let plan = Schedule.planWith model p
            let cuda = (Codegen.cudaKernel plan).Replace("#define SNN_KERNEL_CUDA 1\n", "")
            let saved = $"extern \"C\" int snn_kernel_saved(void) {{ return {(KernelIr.backward plan false).Saved}; }}\n"
            let path = KernelCache.get (p.Neuron + "-" + name) (cudaOnCpu + cuda + cudaLaunches + saved)
            FusedKernel.Load(path, Fused.spec plan [||] null))
    { new ITensorInterpreter with
        member _.Name = name
        member _.WhyNot(_, _) = None
        member _.Run(p, raw, state, x) = Fused.runKernel (kernelOf p) p raw state x
        member _.Trace(_, _, _, _) = failwith "no traces" }

let private cudaOnCpuInterpreter = cudaOnCpuWith CostModel.standard "cuda-on-cpu"

/// The same with the forward saving for the backward (CostModel.save).
let private cudaOnCpuSaving = cudaOnCpuWith CostModel.save "cuda-on-cpu-saving"

/// Checks that each register of `order` reads only registers available or computed before it; returns
/// every register available after them.
let private inOrder (nodes: Node[]) (what: string) (order: int list) (available: Set<int>) =
    let mutable seen = available
    for r in order do
        match nodes[r] with
        | Node.Op(_, args) ->
            for a in args do
                if not (seen.Contains a) then failwith $"{what}: register {r} reads {a} before it is computed"
        | Node.Src _ -> ()
        seen <- seen.Add r
    seen

[<Tests>]
let tests =
    testList "Codegen" [
        testCase "the CUDA source of every built-in has its forward and backward kernels for float32 and float64" <| fun () ->
            for n in Builtins.all do
                let source = Codegen.cudaKernel (Schedule.plan (Program.lower Program.learnable n))
                for name in [ "snn_forward_f32"; "snn_forward_f64"; "snn_backward_f32"; "snn_backward_f64" ] do
                    Expect.stringContains source ($"extern \"C\" __global__ void {name}(snn_kargs a)") "source"
                Expect.stringContains source "snn_block_sum" "source"

        law "every register of a schedule comes after its arguments, and invariant registers never read the input or states" <| fun () ->
            forAll (neuron everything) (fun n ->
                let plan = Schedule.plan (Program.lower Program.learnable n)
                let check = inOrder plan.Backward.Nodes
                let inv = check "backward invariants" plan.BackwardInvariant Set.empty
                for r in plan.BackwardInvariant do
                    if plan.Backward.Variation[r] = Variation.Element then failwith $"invariant register {r} varies per element"
                check "recompute" plan.TapedRecompute inv |> ignore
                check "adjoint" plan.TapedAdjoint (Set.union inv (Set.ofList plan.Tape)) |> ignore
                let fwdInv = check "forward invariants" plan.Forward.Invariant Set.empty
                check "forward step" plan.Forward.Step fwdInv |> ignore)

        testCase "the kernels' cost model recomputes the forward for every built-in; the saving model saves every built-in's states, and the bound caps what is saved" <| fun () ->
            for n in Builtins.all do
                let p = Program.lower Program.learnable n
                let standard = Schedule.plan p
                let e = Schedule.estimate CostModel.standard standard
                Expect.isNone standard.Saving $"{n.Name}: recompute %.0f{e.Recompute}, the cheapest saving forward %.0f{e.Save}"
                let saving = Schedule.planWith CostModel.save p
                Expect.isSome saving.Saving $"{n.Name} saves under CostModel.save"
                for bound in 0 .. 3 do
                    let capped = Schedule.planWith { CostModel.save with MaxSaved = bound } p
                    match capped.Saving with
                    | Some s -> Expect.isLessThanOrEqual (p.States.Length + s.Values.Length) bound $"{n.Name}: saved values within {bound}"
                    | None -> ()
                let none = Schedule.planWith { CostModel.save with MaxSaved = p.States.Length - 1 } p
                Expect.isNone none.Saving $"{n.Name}: a bound below its states saves nothing"

        testCase "a parameter adjoint a * c with c time-invariant sums a over the steps and scales once (DA-LIF's alpha and beta: tanh' of the raw value)" <| fun () ->
            let plan = Schedule.plan (Program.lower Program.learnable Builtins.daLif)
            Expect.equal plan.ParamAdjoints.Length 2 "two learnable parameters"
            for g in plan.ParamAdjoints do
                match g.Scale with
                | Some c ->
                    Expect.notEqual plan.Backward.Variation[c] Variation.Element "the scale is time-invariant"
                    Expect.equal plan.Backward.Variation[g.Summed] Variation.Element "the sum varies"
                    Expect.isFalse (List.contains c plan.TapedAdjoint) "the scale is not recomputed per step"
                | None -> failtest "DA-LIF's parameter adjoints have a time-invariant factor"
            let source = Codegen.cpuKernel plan
            Expect.stringContains source "gp0_0 = gp0_0 * r" "the sum is scaled after the loop"

        law "a saving plan's forward and adjoint step read only registers computed before them, the saved states and values" <| fun () ->
            forAll (Gen.zip (neuron everything) (Gen.choose (0, 12))) (fun (n, bound) ->
                let p = Program.lower Program.learnable n
                let plan = Schedule.planWith { CostModel.save with MaxSaved = bound } p
                match plan.Saving with
                | None -> ()
                | Some s ->
                    let check = inOrder plan.Backward.Nodes
                    let fwdInv = check "forward invariants" s.Forward.Invariant Set.empty
                    let after = check "saving forward" s.Forward.Step fwdInv
                    for v in s.Values do
                        if not (after.Contains v) then failwith $"saved register {v} is not computed by the forward"
                    let inv = check "backward invariants" plan.BackwardInvariant Set.empty
                    check "adjoint" s.Adjoint (Set.union inv (Set.ofList s.Values)) |> ignore
                    if p.States.Length + s.Values.Length > bound then failwith $"{p.States.Length + s.Values.Length} values saved, bound {bound}")

        lawOn 40 "the CUDA kernels of every built-in, run on the CPU one thread per block, equal eager float64: values and gradients" <| fun () ->
            let cases = FusedLawTests.cases |> Gen.filter (fun c -> List.contains c.Neuron Builtins.all || c.Neuron.Name.EndsWith "-per-channel")
            forAll cases (agreeOn cudaOnCpuInterpreter DType.Float64 1e-9 1e-10 1e-10)

        lawOn 40 "the CUDA kernels whose forward saves for the backward, run on the CPU, equal eager float64: values and gradients" <| fun () ->
            let cases = FusedLawTests.cases |> Gen.filter (fun c -> List.contains c.Neuron Builtins.all || c.Neuron.Name.EndsWith "-per-channel")
            forAll cases (agreeOn cudaOnCpuSaving DType.Float64 1e-9 1e-10 1e-10)
    ]
