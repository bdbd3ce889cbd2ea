/*
 * snndsl_kernel.h: the ABI between the shim and the fused neuron kernels that SnnDsl generates.
 *
 * A kernel runs one neuron's step program over T steps for a range of elements, each element independent:
 * x, the output and their adjoints are [T, E] (E = the elements of one step, N * C * ...). The shim owns the
 * tensors and the threads; a kernel only reads and writes memory. The same header is compiled into the
 * shim, into every generated CPU kernel (copied in by the generator) and, with SNN_KERNEL_CUDA, into the
 * CUDA kernels, so the struct is plain C with fixed-size arrays (it is passed to CUDA by value).
 *
 * Element e of step t of an input view lives at data + t * tstride + e * estride (in elements); estride is 1
 * (contiguous) or 0 (one value for every element, e.g. the gradient of a sum). Outputs are contiguous.
 * Parameters hold raw values: 1 per layer, `channels` per channel (index (e / inner) % channels) or `site`
 * per neuron (index e % site).
 */
#ifndef SNNDSL_KERNEL_H
#define SNNDSL_KERNEL_H

#ifdef SNN_KERNEL_CUDA
/* NVRTC compiles without the C library's headers. */
typedef signed char int8_t;
typedef int int32_t;
typedef long long int64_t;
#else
#include <stdint.h>
#endif

#define SNN_KERNEL_ABI 2
#define SNN_KMAX_PARAMS 16
#define SNN_KMAX_STATES 16
#define SNN_KMAX_RECORDS 64

/* Granularity codes of parameters. */
#define SNN_PER_LAYER 0
#define SNN_PER_CHANNEL 1
#define SNN_PER_NEURON 2

typedef struct {
  const void* data; /* NULL: absent (zero, or the state's constant initial value) */
  int64_t tstride;
  int64_t estride; /* 1 or 0 */
} snn_kin;

typedef struct {
  int64_t T, E;
  int64_t channels, inner, site;
  int64_t nparams, nstates, nrecord;
  int32_t granularity[SNN_KMAX_PARAMS];
  /* forward */
  snn_kin x;
  void* out;                              /* [T, E] */
  const void* param[SNN_KMAX_PARAMS];     /* raw values, contiguous */
  snn_kin init[SNN_KMAX_STATES];          /* [E] (tstride unused); data NULL: init_const */
  double init_const[SNN_KMAX_STATES];
  void* final_state[SNN_KMAX_STATES];     /* [E] or NULL */
  void* record[SNN_KMAX_RECORDS];         /* trace kernels: [T, E] per recorded register, or NULL */
  /* backward */
  snn_kin gout;                           /* adjoint of out [T, E]; data NULL: zero */
  snn_kin gfinal[SNN_KMAX_STATES];        /* adjoint of the final states [E]; data NULL: zero */
  void* gx;                               /* [T, E] */
  void* ginit[SNN_KMAX_STATES];           /* [E] or NULL */
  void* gparam[SNN_KMAX_PARAMS];          /* per-channel and per-neuron parameters: per-element adjoint [E] */
  double* gparam_sum;                     /* per-layer parameters: [chunk][nparams] partial sums (CUDA: [nparams]) */
  void* scratch;                          /* CUDA backward: [T][nstates][E] states; CPU kernels ignore it */
  void* saved;                            /* what a saving forward writes for its backward: the kernel's
                                             snn_kernel_saved() values per element and step (the states, then
                                             the tape), T * nsaved * (E + 64) elements, laid out as the kernel
                                             likes (CPU: per lane group of W, [T][nsaved][W]; CUDA:
                                             [T][nsaved][E]); NULL in a forward without autograd */
  const void* code;                       /* the interpreting kernel's program; compiled kernels ignore it */
} snn_kargs;

/* CPU entry points: elements [e0, e1) of one chunk; `chunk` indexes gparam_sum's partial sums. */
typedef void (*snn_kernel_fn)(const snn_kargs* a, int64_t e0, int64_t e1, int64_t chunk);

/* The bytecode of the interpreting kernel (one compiled kernel that runs any step program). */
typedef struct {
  int32_t op;   /* SNN_OP_* load codes below, or 100 + the index of an operation in the generator's table */
  int32_t dst;
  int32_t a, b, c;
  int32_t pad;
  double k;     /* SNN_OP_CONST: the value */
} snn_instr;

#define SNN_OP_CONST 0
#define SNN_OP_INPUT 1      /* a: unused */
#define SNN_OP_STATE 2      /* a: state index */
#define SNN_OP_PARAM 3      /* a: parameter index */
#define SNN_OP_GRAD_OUT 4
#define SNN_OP_GRAD_NEXT 5  /* a: state index */
#define SNN_OP_FIRST_PRIM 100

/* Sections of instructions [begin, end) and the registers the loops read and write. Every section uses the
   backward program's register numbers (the forward registers are its first ones). */
typedef struct {
  int32_t nregs;
  int32_t fwd_inv[2], fwd_step[2];     /* forward: once per element group; per step */
  int32_t trace_inv[2], trace_step[2]; /* forward with every binding recorded */
  int32_t bwd_inv[2];                  /* backward: time-invariant registers of the recompute and the adjoints */
  int32_t rec_step[2];                 /* backward: the forward step again, for the states and the tape */
  int32_t bwd_step[2];                 /* backward: one step of adjoints */
  int32_t tape[2];                     /* backward: instructions whose dst registers are saved per step */
  int32_t output;
  int32_t next[SNN_KMAX_STATES];       /* register of each new state */
  int32_t grad_input;
  int32_t grad_state[SNN_KMAX_STATES];
  int32_t grad_param[SNN_KMAX_PARAMS];  /* summed over the steps */
  int32_t grad_scale[SNN_KMAX_PARAMS];  /* the register each sum is then multiplied by, or -1 */
  int32_t record[SNN_KMAX_RECORDS];
  int32_t ninstr;
  /* followed by ninstr snn_instr */
} snn_code;

#endif
