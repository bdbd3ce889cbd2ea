// cuda_prelude.cuh: what every generated CUDA kernel needs besides its step program: one element per thread,
// scalar code, the snn_* meanings of the operations' code templates (SnnDsl.Core.Ops) on float and double,
// the loads of views and parameters, and the block reduction of per-layer parameter adjoints.

template <typename S> __device__ inline S snn_select(S c, S a, S b) { return c != (S)0 ? a : b; }
template <typename S> __device__ inline S snn_le(S a, S b) { return a <= b ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_ge(S a, S b) { return a >= b ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_gt(S a, S b) { return a > b ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_lt(S a, S b) { return a < b ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_eq(S a, S b) { return a == b ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_ne(S a, S b) { return a != b ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_not(S a) { return a == (S)0 ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_and(S a, S b) { return (a != (S)0 && b != (S)0) ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_or(S a, S b) { return (a != (S)0 || b != (S)0) ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_min(S a, S b) { return a <= b ? a : b; }
template <typename S> __device__ inline S snn_max(S a, S b) { return a >= b ? a : b; }
template <typename S> __device__ inline S snn_heaviside(S x) { return x >= (S)0 ? (S)1 : (S)0; }
template <typename S> __device__ inline S snn_relu(S x) { return x > (S)0 ? x : (S)0; }
template <typename S> __device__ inline S snn_sign(S x) { return x > (S)0 ? (S)1 : (x < (S)0 ? (S)-1 : (S)0); }
// libm on float (the f-suffixed name) and on double
#define SNN_LIBM(name, libm)                                            \
  __device__ inline float snn_##name(float x) { return libm##f(x); }    \
  __device__ inline double snn_##name(double x) { return libm(x); }
SNN_LIBM(abs, fabs)
SNN_LIBM(sqrt, sqrt)
SNN_LIBM(floor, floor)
SNN_LIBM(exp, exp)
SNN_LIBM(log, log)
SNN_LIBM(tanh, tanh)
#undef SNN_LIBM
__device__ inline float snn_pow(float a, float b) { return powf(a, b); }
__device__ inline double snn_pow(double a, double b) { return pow(a, b); }
__device__ inline float snn_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
__device__ inline double snn_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

template <typename S> __device__ inline S snn_load(const snn_kin& in, int64_t t, int64_t e) {
  return ((const S*)in.data)[t * in.tstride + e * in.estride];
}
template <typename S> __device__ inline S snn_load_or_zero(const snn_kin& in, int64_t t, int64_t e) {
  return in.data ? snn_load<S>(in, t, e) : (S)0;
}
template <typename S> __device__ inline S snn_param(const snn_kargs& a, int k, int64_t e) {
  const S* p = (const S*)a.param[k];
  if (a.granularity[k] == SNN_PER_LAYER) return p[0];
  if (a.granularity[k] == SNN_PER_CHANNEL) return p[(e / a.inner) % a.channels];
  return p[e % a.site];
}
template <typename S> __device__ inline S snn_init(const snn_kargs& a, int k, int64_t e) {
  return a.init[k].data ? ((const S*)a.init[k].data)[e * a.init[k].estride] : (S)a.init_const[k];
}

// Sums v over the block (warp shuffles, then one value per warp in shared memory) and adds the block's
// total to *dst with one atomic: the per-layer parameter adjoints across blocks.
__device__ inline void snn_block_sum(double* dst, double v) {
  __shared__ double warp_sums[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const int warps = (blockDim.x + 31) >> 5;
    v = lane < warps ? warp_sums[lane] : 0.0;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if (lane == 0) atomicAdd(dst, v);
  }
  __syncthreads();
}
