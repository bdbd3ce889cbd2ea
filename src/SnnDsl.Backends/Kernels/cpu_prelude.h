// cpu_prelude.h: what every generated CPU kernel needs besides its step program. Values are vectors of one
// cache line (16 floats or 8 doubles, GCC/Clang vector extensions), so the generated code is SIMD by
// construction, whatever the compiler's auto-vectorizer would do. The snn_* functions are the meanings of
// the operations' code templates (SnnDsl.Core.Ops): each must agree with the scalar table. float uses the
// polynomial approximations below (about 1 ulp, NaN and infinities as libm); double calls libm per lane.
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

// Everything here is small and called per lane group: always inlined into the generated loops.
#define SNN_INLINE static inline __attribute__((always_inline))

typedef float snn_v32 __attribute__((vector_size(64)));
typedef int32_t snn_i32 __attribute__((vector_size(64)));
typedef double snn_v64 __attribute__((vector_size(64)));
typedef int64_t snn_i64 __attribute__((vector_size(64)));

template <typename S> struct snn_lanes;
template <> struct snn_lanes<float> { typedef snn_v32 V; typedef snn_i32 I; enum { W = 16 }; };
template <> struct snn_lanes<double> { typedef snn_v64 V; typedef snn_i64 I; enum { W = 8 }; };
template <typename V> struct snn_elem;
template <> struct snn_elem<snn_v32> { typedef float S; typedef snn_i32 I; enum { W = 16 }; };
template <> struct snn_elem<snn_v64> { typedef double S; typedef snn_i64 I; enum { W = 8 }; };

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
#if defined(__AVX512F__)
// AVX-512: round and scale by 2^n in one instruction each (vscalefps handles overflow, underflow to the
// denormals and NaN), so exp costs about 16 instructions per 16 lanes.
SNN_INLINE snn_v32 snn_exp(snn_v32 x) {
  typedef snn_v32 V;
  V xc = x > snn_k<V>(89.0) ? snn_k<V>(89.0) : x;  // NaN passes (the comparisons are false)
  xc = xc < snn_k<V>(-104.0) ? snn_k<V>(-104.0) : xc;
  __m512 n = _mm512_roundscale_ps((__m512)(xc * snn_k<V>(1.44269504088896341)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  V nv = (V)n;
  V r = xc - nv * snn_k<V>(0.693359375);
  r = r - nv * snn_k<V>(-2.12194440e-4);
  V z = r * r;
  V p = snn_k<V>(1.9875691500E-4);
  p = p * r + snn_k<V>(1.3981999507E-3);
  p = p * r + snn_k<V>(8.3334519073E-3);
  p = p * r + snn_k<V>(4.1665795894E-2);
  p = p * r + snn_k<V>(1.6666665459E-1);
  p = p * r + snn_k<V>(5.0000001201E-1);
  V y = p * z + r + snn_k<V>(1.0);
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

SNN_INLINE snn_v32 snn_sigmoid(snn_v32 x) { return snn_k<snn_v32>(1.0) / (snn_k<snn_v32>(1.0) + snn_exp(-x)); }

// ---- double transcendentals: libm per lane (the float64 laws compare to 1e-12)
#define SNN_PER_LANE(name, f)                                   \
  SNN_INLINE snn_v64 name(snn_v64 x) {                       \
    snn_v64 r;                                                  \
    for (int i = 0; i < 8; ++i) r[i] = f(x[i]);                 \
    return r;                                                   \
  }
SNN_PER_LANE(snn_exp, exp)
SNN_PER_LANE(snn_log, log)
SNN_PER_LANE(snn_tanh, tanh)
SNN_INLINE double snn_sigmoid1(double x) { return 1.0 / (1.0 + exp(-x)); }
SNN_PER_LANE(snn_sigmoid, snn_sigmoid1)
#undef SNN_PER_LANE

// ---- memory: views of [T, E] tensors, outputs, parameters
template <typename S>
SNN_INLINE typename snn_lanes<S>::V snn_load(const snn_kin& in, int64_t t, int64_t e, int n) {
  typedef typename snn_lanes<S>::V V;
  const S* p = (const S*)in.data + t * in.tstride;
  if (in.estride == 0) return snn_k<V>(p[0]);
  V v;
  if (n == (int)snn_lanes<S>::W) {
    memcpy(&v, p + e, sizeof(V));
  } else {
    v = snn_k<V>(0);
    for (int i = 0; i < n; ++i) v[i] = p[e + i];
  }
  return v;
}

// Like snn_load, zero when the view is absent (an adjoint nobody asked for).
template <typename S>
SNN_INLINE typename snn_lanes<S>::V snn_load_or_zero(const snn_kin& in, int64_t t, int64_t e, int n) {
  return in.data ? snn_load<S>(in, t, e, n) : snn_k<typename snn_lanes<S>::V>(0);
}

template <typename S>
SNN_INLINE void snn_store(void* base, int64_t offset, int n, typename snn_lanes<S>::V v) {
  S* p = (S*)base + offset;
  if (n == (int)snn_lanes<S>::W) {
    memcpy(p, &v, sizeof(v));
  } else {
    for (int i = 0; i < n; ++i) p[i] = v[i];
  }
}

// Stores a full, 64-byte-aligned vector of a large [T, E] output without reading its cache line first
// (non-temporal): the outputs are written once and read by the next layer, never by this kernel. Other
// cases fall back to snn_store. Entry points end with snn_fence so the stores are visible to other threads.
template <typename S>
SNN_INLINE void snn_stream(void* base, int64_t offset, int n, typename snn_lanes<S>::V v) {
  S* p = (S*)base + offset;
  if (n == (int)snn_lanes<S>::W && ((uintptr_t)p & 63) == 0) {
#if defined(__AVX512F__)
    if (sizeof(S) == 4) _mm512_stream_ps((float*)p, (__m512)v);
    else _mm512_stream_pd((double*)p, (__m512d)v);
    return;
#elif defined(__AVX__)
    __m256 lo, hi;
    memcpy(&lo, &v, 32);
    memcpy(&hi, (char*)&v + 32, 32);
    _mm256_stream_ps((float*)p, lo);
    _mm256_stream_ps((float*)p + 8, hi);
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

// The adjoint of a parameter from one element group: summed into the chunk's partial sum (per layer) or
// stored per element (per channel, per neuron; the shim reduces them).
template <typename S>
SNN_INLINE void snn_param_grad(const snn_kargs* a, int k, int64_t e, int n, int64_t chunk,
                                  typename snn_lanes<S>::V g) {
  if (a->granularity[k] == SNN_PER_LAYER) {
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += (double)g[i];
    a->gparam_sum[chunk * a->nparams + k] += sum;
  } else {
    snn_store<S>(a->gparam[k], e, n, g);
  }
}

template <typename V> SNN_INLINE V* snn_alloc(int64_t count) {
  size_t bytes = (size_t)(count > 0 ? count : 1) * sizeof(V);
  return (V*)aligned_alloc(64, (bytes + 63) / 64 * 64);
}
