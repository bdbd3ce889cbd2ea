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

/// A program's CUDA kernels compiled for the CPU, behind the interpreter seam.
let private cudaOnCpuInterpreter =
    let kernels = Collections.Concurrent.ConcurrentDictionary<string, FusedKernel>()
    let kernelOf (p: StepProgram) =
        kernels.GetOrAdd(p.Neuron, fun _ ->
            let plan = Schedule.plan p
            let cuda = (Codegen.cudaKernel plan).Replace("#define SNN_KERNEL_CUDA 1\n", "")
            let path = KernelCache.get (p.Neuron + "-cuda-on-cpu") (cudaOnCpu + cuda + cudaLaunches)
            FusedKernel.Load(path, Fused.spec plan [||] null))
    { new ITensorInterpreter with
        member _.Name = "cuda-on-cpu"
        member _.WhyNot(_, _) = None
        member _.Run(p, raw, state, x) = Fused.runKernel (kernelOf p) p raw state x
        member _.Trace(_, _, _, _) = failwith "no traces" }

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
                let nodes = plan.Backward.Nodes
                let check (what: string) (order: int list) (available: Set<int>) =
                    let mutable seen = available
                    for r in order do
                        match nodes[r] with
                        | Node.Op(_, args) ->
                            for a in args do
                                if not (seen.Contains a) then failwith $"{what}: register {r} reads {a} before it is computed"
                        | Node.Src _ -> ()
                        seen <- seen.Add r
                    seen
                let inv = check "backward invariants" plan.BackwardInvariant Set.empty
                for r in plan.BackwardInvariant do
                    if plan.Backward.Variation[r] = Variation.Element then failwith $"invariant register {r} varies per element"
                check "recompute" plan.TapedRecompute inv |> ignore
                check "adjoint" plan.TapedAdjoint (Set.union inv (Set.ofList plan.Tape)) |> ignore
                let fwdInv = check "forward invariants" plan.Forward.Invariant Set.empty
                check "forward step" plan.Forward.Step fwdInv |> ignore)

        lawOn 40 "the CUDA kernels of every built-in, run on the CPU one thread per block, equal eager float64: values and gradients" <| fun () ->
            let cases = FusedLawTests.cases |> Gen.filter (fun c -> List.contains c.Neuron Builtins.all || c.Neuron.Name.EndsWith "-per-channel")
            forAll cases (agreeOn cudaOnCpuInterpreter DType.Float64 1e-9 1e-10 1e-10)
    ]
