// cpu_prelude.h: what every generated CPU kernel needs besides its step program. Values are vectors of one
// cache line (16 floats or 8 doubles, GCC/Clang vector extensions), so the generated code is SIMD by
// construction, whatever the compiler's auto-vectorizer would do. The snn_* functions are the meanings of
// the operations' code templates (SnnDsl.Core.Ops): each must agree with the scalar table. float uses the
// polynomial approximations below (about 1 ulp, NaN and infinities as libm; σ within 1.2e-7 absolute, see
// snn_sigmoid); double calls libm per lane.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

// Everything here is small and called per lane group: always inlined into the generated loops.
#define SNN_INLINE static inline __attribute__((always_inline))

// One vector is the target's native width: 64 bytes with AVX-512, 32 with AVX, 16 otherwise. (Wider
// vectors than the target has would be split, and their comparisons and selections lowered lane by lane.)
#if defined(__AVX512F__)
#define SNN_VBYTES 64
#elif defined(__AVX__)
#define SNN_VBYTES 32
#else
#define SNN_VBYTES 16
#endif
typedef float snn_v32 __attribute__((vector_size(SNN_VBYTES)));
typedef int32_t snn_i32 __attribute__((vector_size(SNN_VBYTES)));
typedef double snn_v64 __attribute__((vector_size(SNN_VBYTES)));
typedef int64_t snn_i64 __attribute__((vector_size(SNN_VBYTES)));

template <typename S> struct snn_lanes;
template <> struct snn_lanes<float> { typedef snn_v32 V; typedef snn_i32 I; enum { W = SNN_VBYTES / 4 }; };
template <> struct snn_lanes<double> { typedef snn_v64 V; typedef snn_i64 I; enum { W = SNN_VBYTES / 8 }; };
template <typename V> struct snn_elem;
template <> struct snn_elem<snn_v32> { typedef float S; typedef snn_i32 I; enum { W = SNN_VBYTES / 4 }; };
template <> struct snn_elem<snn_v64> { typedef double S; typedef snn_i64 I; enum { W = SNN_VBYTES / 8 }; };

template <typename V> SNN_INLINE V snn_k(double c) {
  typedef typename snn_elem<V>::S S;
  V v;
  for (int i = 0; i < (int)snn_elem<V>::W; ++i) v[i] = (S)c;
  return v;
}

// ---- comparisons, selections and the piecewise operations (exactly as the scalar table defines them)
template <typename V> SNN_INLINE V snn_mask(typename snn_elem<V>::I m) { return m ? snn_k<V>(1) : snn_k<V>(0); }
template <typename V> SNN_INLINE V snn_select(V c, V a, V b) { return c != snn_k<V>(0) ? a : b; }
template <typename V> SNN_INLINE V snn_le(V a, V b) { return snn_mask<V>(a <= b); }
template <typename V> SNN_INLINE V snn_ge(V a, V b) { return snn_mask<V>(a >= b); }
template <typename V> SNN_INLINE V snn_gt(V a, V b) { return snn_mask<V>(a > b); }
template <typename V> SNN_INLINE V snn_lt(V a, V b) { return snn_mask<V>(a < b); }
template <typename V> SNN_INLINE V snn_eq(V a, V b) { return snn_mask<V>(a == b); }
template <typename V> SNN_INLINE V snn_ne(V a, V b) { return snn_mask<V>(a != b); }
template <typename V> SNN_INLINE V snn_not(V a) { return snn_mask<V>(a == snn_k<V>(0)); }
template <typename V> SNN_INLINE V snn_and(V a, V b) { return snn_mask<V>((a != snn_k<V>(0)) & (b != snn_k<V>(0))); }
template <typename V> SNN_INLINE V snn_or(V a, V b) { return snn_mask<V>((a != snn_k<V>(0)) | (b != snn_k<V>(0))); }
template <typename V> SNN_INLINE V snn_min(V a, V b) { return a <= b ? a : b; }
template <typename V> SNN_INLINE V snn_max(V a, V b) { return a >= b ? a : b; }
template <typename V> SNN_INLINE V snn_heaviside(V x) { return snn_mask<V>(x >= snn_k<V>(0)); }
template <typename V> SNN_INLINE V snn_relu(V x) { return x > snn_k<V>(0) ? x : snn_k<V>(0); }
template <typename V> SNN_INLINE V snn_sign(V x) {
  return x > snn_k<V>(0) ? snn_k<V>(1) : (x < snn_k<V>(0) ? snn_k<V>(-1) : snn_k<V>(0));
}
template <typename V> SNN_INLINE V snn_abs(V x) {
  typedef typename snn_elem<V>::I I;
  I bits = (I)x;
  I mask = ~((I)snn_k<V>(-0.0) ^ (I)snn_k<V>(0.0));  // every bit but the sign
  return (V)(bits & mask);
}

// ---- float transcendentals (Cephes-style range reduction and polynomials, vectorized)
// e^x = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2 (ln 2 in two parts, for the precision of r):
// the reduction and the polynomial for e^r, written once; the two snn_exp below differ only in how they
// round and scale by 2^n.
SNN_INLINE snn_v32 snn_exp_reduced(snn_v32 xc, snn_v32 n) {
  typedef snn_v32 V;
  V r = xc - n * snn_k<V>(0.693359375);
  r = r - n * snn_k<V>(-2.12194440e-4);
  V z = r * r;
  V p = snn_k<V>(1.9875691500E-4);
  p = p * r + snn_k<V>(1.3981999507E-3);
  p = p * r + snn_k<V>(8.3334519073E-3);
  p = p * r + snn_k<V>(4.1665795894E-2);
  p = p * r + snn_k<V>(1.6666665459E-1);
  p = p * r + snn_k<V>(5.0000001201E-1);
  V y = p * z + r + snn_k<V>(1.0);
  return y;
}

#if defined(__AVX512F__)
// AVX-512: round and scale by 2^n in one instruction each (vscalefps handles overflow, underflow to the
// denormals and NaN), so exp costs about 16 instructions per 16 lanes.
SNN_INLINE snn_v32 snn_exp(snn_v32 x) {
  typedef snn_v32 V;
  V xc = x > snn_k<V>(89.0) ? snn_k<V>(89.0) : x;  // NaN passes (the comparisons are false)
  xc = xc < snn_k<V>(-104.0) ? snn_k<V>(-104.0) : xc;
  __m512 n = _mm512_roundscale_ps((__m512)(xc * snn_k<V>(1.44269504088896341)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  V nv = (V)n;
  V y = snn_exp_reduced(xc, nv);
  return (V)_mm512_scalef_ps((__m512)y, n);
}
#else
SNN_INLINE snn_v32 snn_exp(snn_v32 x) {
  typedef snn_v32 V;
  typedef snn_i32 I;
  V xc = x > snn_k<V>(88.8) ? snn_k<V>(88.8) : x;
  xc = xc < snn_k<V>(-104.0) ? snn_k<V>(-104.0) : xc;
  const V magic = snn_k<V>(12582912.0);  // 1.5 * 2^23: adding it rounds to an integer
  V n = (xc * snn_k<V>(1.44269504088896341) + magic) - magic;
  V y = snn_exp_reduced(xc, n);
  // 2^n in two halves, so results down to the denormals are scaled without overflow of the exponent.
  I ni = __builtin_convertvector(n, I);
  I n1 = ni >> 1;
  I n2 = ni - n1;
  V s1 = (V)((n1 + 127) << 23);
  V s2 = (V)((n2 + 127) << 23);
  y = y * s1 * s2;
  y = x > snn_k<V>(88.72283905206835) ? snn_k<V>(HUGE_VALF) : y;
  y = x < snn_k<V>(-103.972077083991796) ? snn_k<V>(0) : y;
  return x != x ? x : y;
}
#endif

SNN_INLINE snn_v32 snn_log(snn_v32 x) {
  typedef snn_v32 V;
  typedef snn_i32 I;
  // Denormals: scale into the normal range first.
  I small = x < snn_k<V>(1.17549435e-38);
  V xs = small ? x * snn_k<V>(8388608.0) : x;
  I bits = (I)xs;
  I eint = ((bits >> 23) & 0xff) - 126;
  eint = small ? eint - 23 : eint;
  V m = (V)((bits & 0x807fffff) | 0x3f000000);  // mantissa in [0.5, 1)
  V e = __builtin_convertvector(eint, V);
  I lowm = m < snn_k<V>(0.707106781186547524);
  e = lowm ? e - snn_k<V>(1.0) : e;
  m = lowm ? m + m - snn_k<V>(1.0) : m - snn_k<V>(1.0);
  V z = m * m;
  V y = snn_k<V>(7.0376836292E-2);
  y = y * m - snn_k<V>(1.1514610310E-1);
  y = y * m + snn_k<V>(1.1676998740E-1);
  y = y * m - snn_k<V>(1.2420140846E-1);
  y = y * m + snn_k<V>(1.4249322787E-1);
  y = y * m - snn_k<V>(1.6668057665E-1);
  y = y * m + snn_k<V>(2.0000714765E-1);
  y = y * m - snn_k<V>(2.4999993993E-1);
  y = y * m + snn_k<V>(3.3333331174E-1);
  y = y * m * z;
  y = y + e * snn_k<V>(-2.12194440e-4);
  y = y - z * snn_k<V>(0.5);
  V r = m + y;
  r = r + e * snn_k<V>(0.693359375);
  r = x == snn_k<V>(HUGE_VALF) ? x : r;
  r = x == snn_k<V>(0) ? snn_k<V>(-HUGE_VALF) : r;
  r = x < snn_k<V>(0) ? snn_k<V>(NAN) : r;
  return x != x ? x : r;
}

SNN_INLINE snn_v32 snn_tanh(snn_v32 x) {
  typedef snn_v32 V;
  V z = snn_abs(x);
  V s = snn_exp(z + z);
  V big = snn_k<V>(1.0) - snn_k<V>(2.0) / (s + snn_k<V>(1.0));
  big = (V)((snn_i32)big | ((snn_i32)x & (snn_i32)snn_k<V>(-0.0)));  // the sign of x
  V x2 = x * x;
  V p = snn_k<V>(-5.70498872745E-3);
  p = p * x2 + snn_k<V>(2.06390887954E-2);
  p = p * x2 - snn_k<V>(5.37397155531E-2);
  p = p * x2 + snn_k<V>(1.33314422036E-1);
  p = p * x2 - snn_k<V>(3.33332819422E-1);
  V small = p * x2 * x + x;
  return z >= snn_k<V>(0.625) ? big : small;
}

// σ(x) = 1 / (1 + 2^y) with y = -x log2(e) rounded once, 2^y = 2^n 2^f (n = round(y), |f| <= 1/2) and 2^f a
// degree-5 minimax polynomial (relative error 7.5e-8): 13 operations against exp's 17 and one division.
// y's rounding moves 2^y by |x| 2^-24 relative, which moves σ by σ(1 - σ)|x| 2^-24 (at most 0.23 * 2^-24):
// σ is within 1.2e-7 of the float64 σ (absolute, every x) and within 3 + 1.25 |x| ulp where σ is a normal
// float (the relative error grows with |x| where σ is small: about 50 ulp at x = -44, where σ is 5e-20;
// tests/SnnDsl.Backends.Tests, FusedLaw). y is clamped to
// [-126, 126] (σ = 1 above x = 87.3, about 1e-38 below x = -87.3); NaN passes the clamps.
SNN_INLINE snn_v32 snn_exp2_poly(snn_v32 f) {
  typedef snn_v32 V;
  V p = snn_k<V>(1.3276472454890609e-3);
  p = p * f + snn_k<V>(9.675540961325169e-3);
  p = p * f + snn_k<V>(5.550713092088699e-2);
  p = p * f + snn_k<V>(2.4022120237350464e-1);
  p = p * f + snn_k<V>(6.931469440460205e-1);
  return p * f + snn_k<V>(1.0000001192092896);
}

SNN_INLINE snn_v32 snn_sigmoid(snn_v32 x) {
  typedef snn_v32 V;
  V y = x * snn_k<V>(-1.44269504088896341);
  y = y > snn_k<V>(126.0) ? snn_k<V>(126.0) : y;
  y = y < snn_k<V>(-126.0) ? snn_k<V>(-126.0) : y;
#if defined(__AVX512F__)
  __m512 n = _mm512_roundscale_ps((__m512)y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  V e = (V)_mm512_scalef_ps((__m512)snn_exp2_poly(y - (V)n), n);
#else
  const V magic = snn_k<V>(12582912.0);  // 1.5 * 2^23: adding it rounds to an integer
  V n = (y + magic) - magic;
  V scale = (V)((__builtin_convertvector(n, snn_i32) + 127) << 23);  // 2^n, |n| <= 126
  V e = snn_exp2_poly(y - n) * scale;
#endif
  return snn_k<V>(1.0) / (snn_k<V>(1.0) + e);
}

// ---- lane by lane: f of each lane of a V (one or two arguments)
#define SNN_PER_LANE(name, V, f)                                                \
  SNN_INLINE V name(V x) {                                                      \
    V r;                                                                        \
    for (int i = 0; i < (int)snn_elem<V>::W; ++i) r[i] = f(x[i]);               \
    return r;                                                                   \
  }
#define SNN_PER_LANE2(name, V, f)                                               \
  SNN_INLINE V name(V a, V b) {                                                 \
    V r;                                                                        \
    for (int i = 0; i < (int)snn_elem<V>::W; ++i) r[i] = f(a[i], b[i]);         \
    return r;                                                                   \
  }

// sqrt and floor (correctly rounded; with -fno-math-errno these loops compile to vector instructions), and
// pow, libm per lane (small integer powers never get here: the program builder writes them as products)
SNN_PER_LANE(snn_sqrt, snn_v32, __builtin_sqrtf)
SNN_PER_LANE(snn_sqrt, snn_v64, __builtin_sqrt)
SNN_PER_LANE(snn_floor, snn_v32, __builtin_floorf)
SNN_PER_LANE(snn_floor, snn_v64, __builtin_floor)
SNN_PER_LANE2(snn_pow, snn_v32, powf)
SNN_PER_LANE2(snn_pow, snn_v64, pow)

// double transcendentals: libm per lane (the float64 laws compare to 1e-12)
SNN_PER_LANE(snn_exp, snn_v64, exp)
SNN_PER_LANE(snn_log, snn_v64, log)
SNN_PER_LANE(snn_tanh, snn_v64, tanh)
SNN_INLINE double snn_sigmoid1(double x) { return 1.0 / (1.0 + exp(-x)); }
SNN_PER_LANE(snn_sigmoid, snn_v64, snn_sigmoid1)
#undef SNN_PER_LANE
#undef SNN_PER_LANE2

// ---- memory: views of [T, E] tensors, outputs, parameters
// The last group of a chunk may have fewer than W lanes: read lane by lane (out of the hot path).
template <typename S>
static __attribute__((noinline)) typename snn_lanes<S>::V snn_load_partial(const S* p, int n) {
  typedef typename snn_lanes<S>::V V;
  V v = snn_k<V>(0);
  for (int i = 0; i < n; ++i) v[i] = p[i];
  return v;
}

template <typename S>
SNN_INLINE typename snn_lanes<S>::V snn_load(const snn_kin& in, int64_t t, int64_t e, int n) {
  typedef typename snn_lanes<S>::V V;
  const S* p = (const S*)in.data + t * in.tstride;
  if (in.estride == 0) return snn_k<V>(p[0]);
  if (__builtin_expect(n == (int)snn_lanes<S>::W, 1)) {
    // The next groups' lines of this step's row: each group reads T rows far apart, too many streams for
    // the hardware prefetcher to follow on its own (measured: 15-30 % faster per pass).
    __builtin_prefetch(p + e + 1024 / sizeof(S));
    V v;
    __builtin_memcpy(&v, p + e, sizeof(V));
    return v;
  }
  return snn_load_partial<S>(p + e, n);
}

// A vector of a plain buffer (the values a forward saved for its backward).
template <typename S>
SNN_INLINE typename snn_lanes<S>::V snn_read(const void* base, int64_t offset, int n) {
  typedef typename snn_lanes<S>::V V;
  const S* p = (const S*)base + offset;
  if (__builtin_expect(n == (int)snn_lanes<S>::W, 1)) {
    V v;
    __builtin_memcpy(&v, p, sizeof(V));
    return v;
  }
  return snn_load_partial<S>(p, n);
}

// Like snn_load, zero when the view is absent (an adjoint nobody asked for).
template <typename S>
SNN_INLINE typename snn_lanes<S>::V snn_load_or_zero(const snn_kin& in, int64_t t, int64_t e, int n) {
  return in.data ? snn_load<S>(in, t, e, n) : snn_k<typename snn_lanes<S>::V>(0);
}

template <typename S>
static __attribute__((noinline)) void snn_store_partial(S* p, int n, typename snn_lanes<S>::V v) {
  for (int i = 0; i < n; ++i) p[i] = v[i];
}

template <typename S>
SNN_INLINE void snn_store(void* base, int64_t offset, int n, typename snn_lanes<S>::V v) {
  S* p = (S*)base + offset;
  if (__builtin_expect(n == (int)snn_lanes<S>::W, 1)) __builtin_memcpy(p, &v, sizeof(v));
  else snn_store_partial<S>(p, n, v);
}

// Stores a full, 64-byte-aligned vector of a large [T, E] output without reading its cache line first
// (non-temporal): the outputs are written once and read by the next layer, never by this kernel. Other
// cases fall back to snn_store. Entry points end with snn_fence so the stores are visible to other threads.
template <typename S>
SNN_INLINE void snn_stream(void* base, int64_t offset, int n, typename snn_lanes<S>::V v) {
  S* p = (S*)base + offset;
  if (n == (int)snn_lanes<S>::W && ((uintptr_t)p & (SNN_VBYTES - 1)) == 0) {
#if defined(__AVX512F__)
    _mm512_stream_ps((float*)p, (__m512)v);
    return;
#elif defined(__AVX__)
    _mm256_stream_ps((float*)p, (__m256)v);
    return;
#elif defined(__SSE2__)
    _mm_stream_ps((float*)p, (__m128)v);
    return;
#endif
  }
  snn_store<S>(base, offset, n, v);
}

SNN_INLINE void snn_fence() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_sfence();
#endif
}

// A raw parameter for each lane; lanes past n repeat lane 0 (so they hold ordinary values).
template <typename S>
SNN_INLINE typename snn_lanes<S>::V snn_param(const snn_kargs* a, int k, int64_t e, int n) {
  typedef typename snn_lanes<S>::V V;
  const S* p = (const S*)a->param[k];
  if (a->granularity[k] == SNN_PER_LAYER) return snn_k<V>(p[0]);
  V v;
  for (int i = 0; i < (int)snn_lanes<S>::W; ++i) {
    int64_t el = e + (i < n ? i : 0);
    v[i] = a->granularity[k] == SNN_PER_CHANNEL ? p[(el / a->inner) % a->channels] : p[el % a->site];
  }
  return v;
}

// The initial value of state k for each lane.
template <typename S>
SNN_INLINE typename snn_lanes<S>::V snn_init(const snn_kargs* a, int k, int64_t e, int n) {
  typedef typename snn_lanes<S>::V V;
  if (!a->init[k].data) return snn_k<V>(a->init_const[k]);
  return snn_load<S>(a->init[k], 0, e, n);
}

// The adjoints of the per-layer parameters of a chunk, in double lanes (a float vector's two halves widened),
// summed over the chunk's groups and steps, then over the lanes once per chunk (snn_param_sums).
typedef float snn_h32 __attribute__((vector_size(SNN_VBYTES / 2)));
template <typename S> struct snn_acc;
template <> struct snn_acc<float> { snn_v64 lo, hi; };
template <> struct snn_acc<double> { snn_v64 v; };

// g with its lanes past n set to 0 (they hold no element).
template <typename V> SNN_INLINE V snn_first(V g, int n) {
  typedef typename snn_elem<V>::I I;
  if (n == (int)snn_elem<V>::W) return g;
  I index;
  for (int i = 0; i < (int)snn_elem<V>::W; ++i) index[i] = i;
  return index < n ? g : snn_k<V>(0);
}

SNN_INLINE void snn_acc_add(snn_acc<float>& acc, snn_v32 g) {
  snn_h32 lo, hi;
  __builtin_memcpy(&lo, &g, sizeof lo);
  __builtin_memcpy(&hi, (const char*)&g + sizeof lo, sizeof hi);
  acc.lo += __builtin_convertvector(lo, snn_v64);
  acc.hi += __builtin_convertvector(hi, snn_v64);
}
SNN_INLINE void snn_acc_add(snn_acc<double>& acc, snn_v64 g) { acc.v += g; }
SNN_INLINE double snn_acc_sum(const snn_acc<float>& acc) {
  double s = 0;
  for (int i = 0; i < (int)snn_elem<snn_v64>::W; ++i) s += acc.lo[i] + acc.hi[i];
  return s;
}
SNN_INLINE double snn_acc_sum(const snn_acc<double>& acc) {
  double s = 0;
  for (int i = 0; i < (int)snn_elem<snn_v64>::W; ++i) s += acc.v[i];
  return s;
}

// The adjoint of a parameter from one element group: per layer, added to the chunk's accumulators; per
// channel and per neuron, stored per element (the shim reduces them).
template <typename S>
SNN_INLINE void snn_param_grad(const snn_kargs* a, int k, int64_t e, int n, snn_acc<S>* acc,
                               typename snn_lanes<S>::V g) {
  if (a->granularity[k] == SNN_PER_LAYER) snn_acc_add(acc[k], snn_first(g, n));
  else snn_store<S>(a->gparam[k], e, n, g);
}

// Adds the chunk's per-layer accumulators into its partial sums.
template <typename S>
SNN_INLINE void snn_param_sums(const snn_kargs* a, int64_t chunk, const snn_acc<S>* acc) {
  for (int k = 0; k < a->nparams; ++k)
    if (a->granularity[k] == SNN_PER_LAYER) a->gparam_sum[chunk * a->nparams + k] += snn_acc_sum(acc[k]);
}

template <typename V> SNN_INLINE V* snn_alloc(int64_t count) {
  size_t bytes = (size_t)(count > 0 ? count : 1) * sizeof(V);
  return (V*)aligned_alloc(64, (bytes + 63) / 64 * 64);
}
