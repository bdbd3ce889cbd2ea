// cpu_interpreter.h: the interpreting kernel, one compiled kernel that runs any step program from its bytecode
// (snn_code in snndsl_kernel.h). It shares the prelude and the table's code templates with the compiled
// kernels (snn_apply is generated from the table just before this file), and runs the same schedule: the
// time-invariant section once per element group, the step section once per step. Slower than a compiled
// kernel (registers live in memory), but it needs no compiler run per neuron.

template <typename S>
static inline void snn_section(const snn_kargs* a, const int32_t* sec, typename snn_lanes<S>::V* R,
                               int64_t t, int64_t e, int n, const typename snn_lanes<S>::V* st,
                               const typename snn_lanes<S>::V* gs) {
  typedef typename snn_lanes<S>::V V;
  const snn_instr* ins = (const snn_instr*)((const snn_code*)a->code + 1);
  for (int32_t i = sec[0]; i < sec[1]; ++i) {
    const snn_instr& in = ins[i];
    switch (in.op) {
      case SNN_OP_CONST: R[in.dst] = snn_k<V>(in.k); break;
      case SNN_OP_INPUT: R[in.dst] = snn_load<S>(a->x, t, e, n); break;
      case SNN_OP_STATE: R[in.dst] = st[in.a]; break;
      case SNN_OP_PARAM: R[in.dst] = snn_param<S>(a, in.a, e, n); break;
      case SNN_OP_GRAD_OUT: R[in.dst] = snn_load_or_zero<S>(a->gout, t, e, n); break;
      case SNN_OP_GRAD_NEXT: R[in.dst] = gs[in.a]; break;
      default: snn_apply<V>(in, R); break;
    }
  }
}

template <typename S>
static void snn_interpret_forward(const snn_kargs* a, int64_t e0, int64_t e1, bool trace) {
  typedef typename snn_lanes<S>::V V;
  const snn_code* c = (const snn_code*)a->code;
  const int W = snn_lanes<S>::W;
  V* R = snn_alloc<V>(c->nregs);
  V st[SNN_KMAX_STATES];
  const int32_t* inv = trace ? c->trace_inv : c->fwd_inv;
  const int32_t* step = trace ? c->trace_step : c->fwd_step;
  for (int64_t e = e0; e < e1; e += W) {
    int n = (int)(e1 - e < W ? e1 - e : W);
    for (int k = 0; k < a->nstates; ++k) st[k] = snn_init<S>(a, k, e, n);
    snn_section<S>(a, inv, R, 0, e, n, st, st);
    for (int64_t t = 0; t < a->T; ++t) {
      snn_section<S>(a, step, R, t, e, n, st, st);
      snn_stream<S>(a->out, t * a->E + e, n, R[c->output]);
      if (trace)
        for (int j = 0; j < a->nrecord; ++j)
          if (a->record[j]) snn_store<S>(a->record[j], t * a->E + e, n, R[c->record[j]]);
      for (int k = 0; k < a->nstates; ++k) st[k] = R[c->next[k]];
    }
    for (int k = 0; k < a->nstates; ++k)
      if (a->final_state[k]) snn_store<S>(a->final_state[k], e, n, st[k]);
  }
  free(R);
  snn_fence();
}

template <typename S>
static void snn_interpret_backward(const snn_kargs* a, int64_t e0, int64_t e1, int64_t chunk) {
  typedef typename snn_lanes<S>::V V;
  const snn_code* c = (const snn_code*)a->code;
  const int W = snn_lanes<S>::W;
  const int64_t NS = a->nstates;
  const snn_instr* ins = (const snn_instr*)(c + 1);
  const int64_t NT = c->tape[1] - c->tape[0];
  const int64_t slots = NS + NT;
  V* R = snn_alloc<V>(c->nregs);
  V* buf = snn_alloc<V>(a->T * slots);
  V st[SNN_KMAX_STATES], gs[SNN_KMAX_STATES], gp[SNN_KMAX_PARAMS];
  snn_acc<S> acc[SNN_KMAX_PARAMS] = {};
  for (int64_t e = e0; e < e1; e += W) {
    int n = (int)(e1 - e < W ? e1 - e : W);
    for (int k = 0; k < NS; ++k) st[k] = snn_init<S>(a, k, e, n);
    snn_section<S>(a, c->bwd_inv, R, 0, e, n, st, st);
    // The forward again, keeping the state before each step and the registers the adjoints need.
    for (int64_t t = 0; t < a->T; ++t) {
      for (int k = 0; k < NS; ++k) buf[t * slots + k] = st[k];
      snn_section<S>(a, c->rec_step, R, t, e, n, st, st);
      for (int64_t j = 0; j < NT; ++j) buf[t * slots + NS + j] = R[ins[c->tape[0] + j].dst];
      for (int k = 0; k < NS; ++k) st[k] = R[c->next[k]];
    }
    for (int k = 0; k < NS; ++k) gs[k] = snn_load_or_zero<S>(a->gfinal[k], 0, e, n);
    for (int k = 0; k < a->nparams; ++k) gp[k] = snn_k<V>(0);
    for (int64_t t = a->T - 1; t >= 0; --t) {
      for (int64_t j = 0; j < NT; ++j) R[ins[c->tape[0] + j].dst] = buf[t * slots + NS + j];
      snn_section<S>(a, c->bwd_step, R, t, e, n, buf + t * slots, gs);
      snn_stream<S>(a->gx, t * a->E + e, n, R[c->grad_input]);
      for (int k = 0; k < a->nparams; ++k) gp[k] = gp[k] + R[c->grad_param[k]];
      for (int k = 0; k < NS; ++k) gs[k] = R[c->grad_state[k]];
    }
    for (int k = 0; k < NS; ++k)
      if (a->ginit[k]) snn_store<S>(a->ginit[k], e, n, gs[k]);
    for (int k = 0; k < a->nparams; ++k)
      if (c->grad_scale[k] >= 0) gp[k] = gp[k] * R[c->grad_scale[k]];
    for (int k = 0; k < a->nparams; ++k) snn_param_grad<S>(a, k, e, n, acc, gp[k]);
  }
  snn_param_sums<S>(a, chunk, acc);
  free(buf);
  free(R);
  snn_fence();
}

// The entry points for one element type.
#define SNN_ENTRIES(S, suffix)                                                                       \
  extern "C" void snn_forward_##suffix(const snn_kargs* a, int64_t e0, int64_t e1, int64_t) {        \
    snn_interpret_forward<S>(a, e0, e1, false);                                                      \
  }                                                                                                  \
  extern "C" void snn_trace_##suffix(const snn_kargs* a, int64_t e0, int64_t e1, int64_t) {          \
    snn_interpret_forward<S>(a, e0, e1, true);                                                       \
  }                                                                                                  \
  extern "C" void snn_backward_##suffix(const snn_kargs* a, int64_t e0, int64_t e1, int64_t chunk) { \
    snn_interpret_backward<S>(a, e0, e1, chunk);                                                     \
  }
SNN_ENTRIES(float, f32)
SNN_ENTRIES(double, f64)
#undef SNN_ENTRIES
extern "C" int snn_kernel_abi(void) { return SNN_KERNEL_ABI; }
extern "C" int snn_kernel_saved(void) { return 0; }
extern "C" int snn_kernel_interprets(void) { return 1; }
