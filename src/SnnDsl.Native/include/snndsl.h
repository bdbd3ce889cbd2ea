/*
 * snndsl.h: the C ABI of SnnDsl's libtorch shim.
 *
 * Conventions (every function below follows them):
 *  - Every function returns an int status: SNN_OK (0) on success, SNN_ERR (1) on failure. On failure the
 *    message is available from snn_last_error() on the same thread until the next failing call.
 *    No C++ exception ever crosses this boundary.
 *  - Tensors are opaque owned handles. Every snn_tensor written to an `out` parameter is a new handle that
 *    the caller must release with snn_tensor_free. Input handles are borrowed, never consumed.
 *  - dtype codes: see snn_dtype. Devices are (device_type, device_index) with snn_device_type codes.
 *  - Shapes are passed as (const int64_t* dims, int ndim).
 *  - An optional tensor argument may be NULL.
 */
#ifndef SNNDSL_H
#define SNNDSL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SNN_API __declspec(dllexport)
#else
#define SNN_API __attribute__((visibility("default")))
#endif

#define SNN_OK 0
#define SNN_ERR 1

typedef struct snn_tensor_opaque* snn_tensor;

enum snn_dtype {
  SNN_FLOAT32 = 0, SNN_FLOAT64 = 1, SNN_FLOAT16 = 2, SNN_BFLOAT16 = 3,
  SNN_INT64 = 4, SNN_INT32 = 5, SNN_UINT8 = 6, SNN_BOOL = 7
};
enum snn_device_type { SNN_CPU = 0, SNN_CUDA = 1 };
enum snn_reduction { SNN_REDUCE_NONE = 0, SNN_REDUCE_MEAN = 1, SNN_REDUCE_SUM = 2 };

/* ---- runtime ---------------------------------------------------------------------------------- */
SNN_API const char* snn_last_error(void);
/* Tunes glibc malloc so large tensor buffers are reused, not returned to the kernel every iteration.
   A value <= 0 (mmap_max < 0) leaves that setting at glibc's default. Idempotent. */
SNN_API int snn_init(int64_t mmap_threshold_bytes, int64_t trim_threshold_bytes, int mmap_max);
SNN_API int snn_version(char* buf, int64_t cap);
SNN_API int snn_live_tensors(int64_t* out);
SNN_API int snn_tensor_free(snn_tensor t);
/* Sets libtorch's intra-op threads and OpenBLAS's pool (when OpenBLAS is loaded). */
SNN_API int snn_set_num_threads(int n);
SNN_API int snn_get_num_threads(int* out);
SNN_API int snn_manual_seed(uint64_t seed);
SNN_API int snn_cuda_is_available(int* out);
SNN_API int snn_cuda_device_count(int* out);
/* Waits for all work queued on a CUDA device (-1: the current one); an error without CUDA. */
SNN_API int snn_cuda_synchronize(int device_index);
SNN_API int snn_set_grad_enabled(int enabled, int* previous);
SNN_API int snn_is_grad_enabled(int* out);
/* Test hook: throws a C++ exception of the given kind (0 std::runtime_error, 1 c10::Error,
   2 an int, 3 a type not derived from std::exception) so tests can prove every kind is caught. */
SNN_API int snn_debug_throw(int kind);

/* ---- metadata --------------------------------------------------------------------------------- */
SNN_API int snn_tensor_ndim(snn_tensor t, int64_t* out);
/* Writes min(ndim, cap) sizes into dims. */
SNN_API int snn_tensor_shape(snn_tensor t, int64_t* dims, int64_t cap);
/* Writes min(ndim, cap) strides (in elements) into strides; 0 marks a broadcast (expanded) dim. */
SNN_API int snn_tensor_strides(snn_tensor t, int64_t* strides, int64_t cap);
SNN_API int snn_tensor_dtype(snn_tensor t, int* out);
SNN_API int snn_tensor_device(snn_tensor t, int* device_type, int* device_index);
SNN_API int snn_tensor_numel(snn_tensor t, int64_t* out);
SNN_API int snn_tensor_requires_grad(snn_tensor t, int* out);
SNN_API int snn_tensor_set_requires_grad(snn_tensor t, int requires_grad);
SNN_API int snn_tensor_is_leaf(snn_tensor t, int* out);
SNN_API int snn_tensor_item(snn_tensor t, double* out);
/* Copies the elements (row-major, converted to nothing: dtype must match) into dst of nbytes. */
SNN_API int snn_tensor_copy_to(snn_tensor t, void* dst, int64_t nbytes);
/* A printable summary (libtorch's formatting), truncated to cap bytes. */
SNN_API int snn_tensor_to_string(snn_tensor t, char* buf, int64_t cap, int64_t* needed);

/* ---- creation --------------------------------------------------------------------------------- */
SNN_API int snn_empty(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out);
SNN_API int snn_zeros(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out);
SNN_API int snn_ones(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out);
SNN_API int snn_full(const int64_t* dims, int ndim, double value, int dtype, int dev_type, int dev_index, snn_tensor* out);
SNN_API int snn_rand(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out);
SNN_API int snn_randn(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out);
SNN_API int snn_arange(double start, double end, double step, int dtype, int dev_type, int dev_index, snn_tensor* out);
/* Copies nbytes from data (row-major elements of dtype) into a new tensor on the device. */
SNN_API int snn_from_data(const void* data, int64_t nbytes, const int64_t* dims, int ndim, int dtype,
                          int dev_type, int dev_index, snn_tensor* out);
/* dtype < 0 keeps the dtype; dev_type < 0 keeps the device. */
SNN_API int snn_to(snn_tensor t, int dtype, int dev_type, int dev_index, snn_tensor* out);
SNN_API int snn_clone(snn_tensor t, snn_tensor* out);
SNN_API int snn_contiguous(snn_tensor t, snn_tensor* out);
SNN_API int snn_detach(snn_tensor t, snn_tensor* out);
/* A new handle to the same tensor (shares storage and autograd identity). */
SNN_API int snn_alias(snn_tensor t, snn_tensor* out);

/* ---- shape ------------------------------------------------------------------------------------ */
SNN_API int snn_reshape(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out);
SNN_API int snn_view(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out);
SNN_API int snn_permute(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out);
SNN_API int snn_transpose(snn_tensor t, int64_t dim0, int64_t dim1, snn_tensor* out);
/* all_dims != 0 squeezes every size-1 dim and ignores dim. */
SNN_API int snn_squeeze(snn_tensor t, int64_t dim, int all_dims, snn_tensor* out);
SNN_API int snn_unsqueeze(snn_tensor t, int64_t dim, snn_tensor* out);
SNN_API int snn_flatten(snn_tensor t, int64_t start_dim, int64_t end_dim, snn_tensor* out);
SNN_API int snn_expand(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out);
SNN_API int snn_narrow(snn_tensor t, int64_t dim, int64_t start, int64_t length, snn_tensor* out);
SNN_API int snn_slice(snn_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, snn_tensor* out);
SNN_API int snn_select(snn_tensor t, int64_t dim, int64_t index, snn_tensor* out);
SNN_API int snn_index_select(snn_tensor t, int64_t dim, snn_tensor index, snn_tensor* out);
SNN_API int snn_cat(const snn_tensor* ts, int n, int64_t dim, snn_tensor* out);
SNN_API int snn_stack(const snn_tensor* ts, int n, int64_t dim, snn_tensor* out);
/* Multi-output ops write up to cap handles into outs and the true count into count; if count > cap
   nothing is written (and no handle is leaked): call again with a larger buffer. */
SNN_API int snn_split(snn_tensor t, int64_t split_size, int64_t dim, snn_tensor* outs, int cap, int* count);
SNN_API int snn_chunk(snn_tensor t, int64_t chunks, int64_t dim, snn_tensor* outs, int cap, int* count);
SNN_API int snn_unbind(snn_tensor t, int64_t dim, snn_tensor* outs, int cap, int* count);

/* ---- elementwise ------------------------------------------------------------------------------ */
/* Binary op codes for snn_binary. */
enum snn_binary_op {
  SNN_ADD = 0, SNN_SUB = 1, SNN_MUL = 2, SNN_DIV = 3, SNN_POW = 4, SNN_MAXIMUM = 5, SNN_MINIMUM = 6,
  SNN_EQ = 7, SNN_NE = 8, SNN_LT = 9, SNN_LE = 10, SNN_GT = 11, SNN_GE = 12,
  SNN_LOGICAL_AND = 13, SNN_LOGICAL_OR = 14, SNN_REMAINDER = 15, SNN_ATAN2 = 16
};
/* Tensor-scalar ops reuse the binary codes; snn_binary_scalar_rev computes `scalar op t`. */
enum snn_unary_op {
  SNN_NEG = 0, SNN_ABS = 1, SNN_EXP = 2, SNN_LOG = 3, SNN_SQRT = 4, SNN_TANH = 5, SNN_SIGMOID = 6,
  SNN_RELU = 7, SNN_SIN = 8, SNN_COS = 9, SNN_FLOOR = 10, SNN_CEIL = 11, SNN_ROUND = 12, SNN_SIGN = 13,
  SNN_RECIPROCAL = 14, SNN_LOGICAL_NOT = 15, SNN_ISNAN = 16, SNN_ISFINITE = 17, SNN_SQUARE = 18,
  SNN_LOG1P = 19, SNN_EXPM1 = 20, SNN_RSQRT = 21, SNN_HEAVISIDE = 22
};
SNN_API int snn_binary(int op, snn_tensor a, snn_tensor b, snn_tensor* out);
SNN_API int snn_binary_scalar(int op, snn_tensor a, double s, snn_tensor* out);
SNN_API int snn_binary_scalar_rev(int op, double s, snn_tensor a, snn_tensor* out);
/* a op b (or a op s) for op SNN_LT, SNN_LE, SNN_GT, SNN_GE, SNN_EQ or SNN_NE, broadcasting, as 1/0 in the operands' floating dtype. */
SNN_API int snn_compare_mask(int op, snn_tensor a, snn_tensor b, snn_tensor* out);
SNN_API int snn_compare_mask_scalar(int op, snn_tensor a, double s, snn_tensor* out);
/* The same in place: a becomes 1/0 where a op s. */
SNN_API int snn_compare_mask_scalar_(int op, snn_tensor a, double s);
SNN_API int snn_unary(int op, snn_tensor a, snn_tensor* out);
/* has_min / has_max select which bounds apply. */
SNN_API int snn_clamp(snn_tensor t, double min, int has_min, double max, int has_max, snn_tensor* out);
SNN_API int snn_where(snn_tensor cond, snn_tensor a, snn_tensor b, snn_tensor* out);

/* In-place updates (optimisers, initialisers). They bump the tensor's version counter as usual. */
SNN_API int snn_add_(snn_tensor t, snn_tensor other, double alpha);
SNN_API int snn_mul_scalar_(snn_tensor t, double s);
SNN_API int snn_addcmul_(snn_tensor t, snn_tensor a, snn_tensor b, double value);
SNN_API int snn_addcdiv_(snn_tensor t, snn_tensor a, snn_tensor b, double value);
SNN_API int snn_copy_(snn_tensor dst, snn_tensor src);
SNN_API int snn_fill_(snn_tensor t, double value);
SNN_API int snn_uniform_(snn_tensor t, double low, double high);
SNN_API int snn_normal_(snn_tensor t, double mean, double std);

/* ---- reductions ------------------------------------------------------------------------------- */
/* ndims == 0 reduces over all elements (keepdim is then ignored). */
SNN_API int snn_sum(snn_tensor t, const int64_t* dims, int ndims, int keepdim, snn_tensor* out);
SNN_API int snn_mean(snn_tensor t, const int64_t* dims, int ndims, int keepdim, snn_tensor* out);
SNN_API int snn_max_all(snn_tensor t, snn_tensor* out);
SNN_API int snn_min_all(snn_tensor t, snn_tensor* out);
SNN_API int snn_max_dim(snn_tensor t, int64_t dim, int keepdim, snn_tensor* values, snn_tensor* indices);
/* has_dim == 0: index into the flattened tensor. */
SNN_API int snn_argmax(snn_tensor t, int64_t dim, int has_dim, int keepdim, snn_tensor* out);
SNN_API int snn_norm(snn_tensor t, double p, snn_tensor* out);

/* ---- neural network --------------------------------------------------------------------------- */
SNN_API int snn_matmul(snn_tensor a, snn_tensor b, snn_tensor* out);
SNN_API int snn_linear(snn_tensor x, snn_tensor weight, snn_tensor bias, snn_tensor* out);
SNN_API int snn_conv2d(snn_tensor x, snn_tensor weight, snn_tensor bias, const int64_t* stride2,
                       const int64_t* padding2, const int64_t* dilation2, int64_t groups, snn_tensor* out);
/* running_mean / running_var may be NULL; in training mode they are updated in place when given. */
SNN_API int snn_batch_norm(snn_tensor x, snn_tensor weight, snn_tensor bias, snn_tensor running_mean,
                           snn_tensor running_var, int training, double momentum, double eps, snn_tensor* out);
SNN_API int snn_max_pool2d(snn_tensor x, const int64_t* kernel2, const int64_t* stride2,
                           const int64_t* padding2, int ceil_mode, snn_tensor* out);
SNN_API int snn_avg_pool2d(snn_tensor x, const int64_t* kernel2, const int64_t* stride2,
                           const int64_t* padding2, int ceil_mode, int count_include_pad, snn_tensor* out);
SNN_API int snn_adaptive_avg_pool2d(snn_tensor x, const int64_t* output_size2, snn_tensor* out);
SNN_API int snn_dropout(snn_tensor x, double p, int training, snn_tensor* out);
SNN_API int snn_softmax(snn_tensor x, int64_t dim, snn_tensor* out);
SNN_API int snn_log_softmax(snn_tensor x, int64_t dim, snn_tensor* out);
/* target: int64 class indices [N]. */
SNN_API int snn_cross_entropy(snn_tensor logits, snn_tensor target, int reduction, double label_smoothing,
                              snn_tensor* out);
SNN_API int snn_mse_loss(snn_tensor input, snn_tensor target, int reduction, snn_tensor* out);
SNN_API int snn_one_hot(snn_tensor indices, int64_t num_classes, snn_tensor* out);

/* ---- autograd --------------------------------------------------------------------------------- */
/* grad may be NULL for a scalar output. */
SNN_API int snn_backward(snn_tensor t, snn_tensor grad, int retain_graph);
/* Writes NULL into out when the tensor has no gradient yet. */
SNN_API int snn_grad(snn_tensor t, snn_tensor* out);
/* set_to_none != 0 drops the gradient; otherwise zeroes it in place. */
SNN_API int snn_zero_grad(snn_tensor t, int set_to_none);

/* ---- spiking ---------------------------------------------------------------------------------- */
/* Heaviside forward (1 where x >= 0); backward, the gradient times `derivative` (the surrogate's dΘ/dx at x,
   same shape, dtype and device as x, computed by the caller). derivative may be NULL: no gradient (inference).
   Runs on any device. */
SNN_API int snn_spike(snn_tensor x, snn_tensor derivative, snn_tensor* out);

/* ---- fused neuron kernels (see snndsl_kernel.h) ---------------------------------------------- */
typedef struct snn_fused_opaque* snn_fused;
/* Loads a generated kernel library (path) and binds it to one step program: its parameters' granularity
   codes, its states' constant initial values, how many values a trace records, the interpreting kernel's
   bytecode (code may be NULL for a compiled kernel) and the CUDA source (may be NULL). Free with
   snn_fused_free; runs still in an autograd graph keep the kernel alive. */
SNN_API int snn_fused_load(const char* path, const char* name, int nparams, const int* granularity, int nstates,
                           const double* init_const, int nrecord, const void* code, int64_t code_bytes,
                           const char* cuda_source, snn_fused* out);
SNN_API int snn_fused_free(snn_fused k);
/* Runs the program over x [T, N, ...] (float32 or float64): params[nparams] raw values; init[nstates] initial
   states [N, ...] or one value (init or an entry may be NULL: the constant); out: the output [T, N, ...].
   final_out (NULL: not wanted) receives nstates final states; records (NULL: no trace) receives nrecord
   traced values [T, N, ...] without gradient. Differentiable when autograd is on and an input requires grad. */
SNN_API int snn_fused_run(snn_fused k, snn_tensor x, const snn_tensor* params, const snn_tensor* init,
                          snn_tensor* out, snn_tensor* final_out, snn_tensor* records);
/* How many input views fused runs have copied so far (views whose per-step part is neither contiguous nor
   one broadcast value); the usual views (time slices, expanded inputs, gradients of sums) are read in place. */
SNN_API int snn_fused_view_copies(int64_t* out);
/* 1 when this shim runs fused kernels on CUDA tensors (built against a CUDA libtorch with NVRTC). */
SNN_API int snn_fused_cuda_available(int* out);

/* ---- distributed (libtorch's c10d) ------------------------------------------------------------- */
/* A process group is this process's membership in a world of ranks 0..world_size-1 that met through a
   rendezvous: a TCP store at host:port that rank 0 hosts, or a shared file (FileStore; the file must not be
   left from an earlier run). Gloo reduces CPU tensors, NCCL CUDA tensors (only in a shim built against a CUDA
   libtorch with NCCL). Every collective must be issued by every rank, in the same order, with tensors of the
   same shapes and dtypes. Every failure (a peer gone, a timeout, a refused connection, a different world size,
   a rank outside the world) is SNN_ERR with a message that names this rank, the operation and what happened;
   no call waits longer than the group's timeout (plus 2 s of grace for the wait itself). */
typedef struct snn_pg_opaque* snn_pg;
typedef struct snn_work_opaque* snn_work;
enum snn_dist_backend { SNN_DIST_GLOO = 0, SNN_DIST_NCCL = 1 };
/* SNN_DIST_AVG is a sum divided by the world size on every rank (floating-point tensors only). */
enum snn_dist_reduce { SNN_DIST_SUM = 0, SNN_DIST_AVG = 1, SNN_DIST_MAX = 2, SNN_DIST_MIN = 3 };
/* 1 when this shim has the backend (Gloo needs Gloo's headers at build time, NCCL a CUDA libtorch). */
SNN_API int snn_dist_backend_available(int backend, int* out);
/* Joins the world through a TCP store: rank 0 hosts it on port, the others connect to host:port (retrying
   until the timeout). bind_host (NULL: loopback when host is a loopback address, else this machine's
   hostname) is the address Gloo listens on; the environment variable GLOO_SOCKET_IFNAME, when set, names
   an interface instead. timeout_ms bounds the rendezvous and every collective. */
SNN_API int snn_pg_create_tcp(int backend, const char* host, int port, int rank, int world_size, int64_t timeout_ms,
                              const char* bind_host, snn_pg* out);
/* Joins the world through a FileStore at path (a shared file system for several machines). */
SNN_API int snn_pg_create_file(int backend, const char* path, int rank, int world_size, int64_t timeout_ms,
                               const char* bind_host, snn_pg* out);
/* Shuts the backend down (queued work finishes or times out first) and releases the handle. */
SNN_API int snn_pg_free(snn_pg pg);
/* Any output may be NULL. */
SNN_API int snn_pg_info(snn_pg pg, int* rank, int* world_size, int* backend);
/* Collectives on n tensors (a list travels as one flat buffer per dtype; results are written in place).
   work == NULL waits here; otherwise *work receives a pending collective whose results are in place only
   after snn_work_wait. The tensors must stay alive (the shim keeps its own references meanwhile). */
SNN_API int snn_pg_all_reduce(snn_pg pg, const snn_tensor* ts, int n, int op, snn_work* work);
SNN_API int snn_pg_broadcast(snn_pg pg, const snn_tensor* ts, int n, int root, snn_work* work);
SNN_API int snn_pg_barrier(snn_pg pg, snn_work* work);
SNN_API int snn_work_wait(snn_work work);
SNN_API int snn_work_is_completed(snn_work work, int* out);
/* Releases a work handle (a collective not waited for still runs; its list results are not copied back). */
SNN_API int snn_work_free(snn_work work);
/* Training-mode batch normalisation with per-channel statistics (channel_dim; every other dim is reduced)
   over the batches of every rank: forward all-reduces counts, sums and squared deviations, backward the
   sums of dy and dy * xhat. weight, bias, running_mean, running_var may be NULL; the running statistics are
   updated in place with the global batch (unbiased variance). Differentiable. */
SNN_API int snn_sync_batch_norm(snn_pg pg, snn_tensor x, int64_t channel_dim, snn_tensor weight, snn_tensor bias,
                                snn_tensor running_mean, snn_tensor running_var, double momentum, double eps,
                                snn_tensor* out);
/* Sets (grad != NULL: same shape, dtype and device) or drops the tensor's gradient; data-parallel gradient
   averaging writes gradients that a rank did not compute itself. */
SNN_API int snn_tensor_set_grad(snn_tensor t, snn_tensor grad);

#ifdef __cplusplus
}
#endif
#endif /* SNNDSL_H */
