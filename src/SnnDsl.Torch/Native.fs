/// P/Invoke declarations of the C shim (src/SnnDsl.Native/include/snndsl.h), one per export.
/// Internal: the public API is Tensor and its companions. Every call returns a status checked by Errors.check.
module internal SnnDsl.Torch.Native

open System
open System.Runtime.InteropServices

[<Literal>]
let Lib = "snndsl_native"

type H = SafeHandle

[<DllImport(Lib, EntryPoint = "snn_tensor_free", CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_free(nativeint t)

/// Owned tensor handle: releases the native tensor exactly once, from Dispose or (as a safety net) the finalizer.
[<Sealed; AllowNullLiteral>]
type TensorHandle(raw: nativeint) as this =
    inherit SafeHandle(IntPtr.Zero, true)
    do this.SetHandle raw
    new() = new TensorHandle(0n)
    override this.IsInvalid = this.handle = IntPtr.Zero
    override this.ReleaseHandle() = snn_tensor_free this.handle = 0

// ---- runtime
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint snn_last_error()
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_init(int64 mmapThreshold, int64 trimThreshold, int mmapMax)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_version(byte[] buf, int64 cap)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_live_tensors(int64& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_set_num_threads(int n)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_get_num_threads(int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_manual_seed(uint64 seed)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_cuda_is_available(int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_cuda_device_count(int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_cuda_synchronize(int deviceIndex)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_set_grad_enabled(int enabled, int& previous)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_is_grad_enabled(int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_debug_throw(int kind)

// ---- metadata
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_ndim(H t, int64& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_shape(H t, int64[] dims, int64 cap)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_strides(H t, int64[] strides, int64 cap)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_dtype(H t, int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_device(H t, int& devType, int& devIndex)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_numel(H t, int64& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_requires_grad(H t, int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_set_requires_grad(H t, int requiresGrad)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_is_leaf(H t, int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_item(H t, double& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_copy_to(H t, nativeint dst, int64 nbytes)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_tensor_to_string(H t, byte[] buf, int64 cap, int64& needed)

// ---- creation
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_empty(int64[] dims, int ndim, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_zeros(int64[] dims, int ndim, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_ones(int64[] dims, int ndim, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_full(int64[] dims, int ndim, double value, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_rand(int64[] dims, int ndim, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_randn(int64[] dims, int ndim, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_arange(double start, double ``end``, double step, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_from_data(nativeint data, int64 nbytes, int64[] dims, int ndim, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_to(H t, int dtype, int devType, int devIndex, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_clone(H t, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_contiguous(H t, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_detach(H t, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_alias(H t, nativeint& out)

// ---- shape
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_reshape(H t, int64[] dims, int ndim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_view(H t, int64[] dims, int ndim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_permute(H t, int64[] dims, int ndim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_transpose(H t, int64 dim0, int64 dim1, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_squeeze(H t, int64 dim, int allDims, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_unsqueeze(H t, int64 dim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_flatten(H t, int64 startDim, int64 endDim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_expand(H t, int64[] dims, int ndim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_narrow(H t, int64 dim, int64 start, int64 length, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_slice(H t, int64 dim, int64 start, int64 ``end``, int64 step, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_select(H t, int64 dim, int64 index, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_index_select(H t, int64 dim, H index, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_cat(nativeint[] ts, int n, int64 dim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_stack(nativeint[] ts, int n, int64 dim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_split(H t, int64 splitSize, int64 dim, nativeint[] outs, int cap, int& count)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_chunk(H t, int64 chunks, int64 dim, nativeint[] outs, int cap, int& count)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_unbind(H t, int64 dim, nativeint[] outs, int cap, int& count)

// ---- elementwise
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_binary(int op, H a, H b, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_compare_mask(int op, H a, H b, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_compare_mask_scalar(int op, H a, double s, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_compare_mask_scalar_(int op, H a, double s)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_binary_scalar(int op, H a, double s, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_binary_scalar_rev(int op, double s, H a, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_unary(int op, H a, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_clamp(H t, double min, int hasMin, double max, int hasMax, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_where(H cond, H a, H b, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_add_(H t, H other, double alpha)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_mul_scalar_(H t, double s)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_addcmul_(H t, H a, H b, double value)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_addcdiv_(H t, H a, H b, double value)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_copy_(H dst, H src)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_fill_(H t, double value)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_uniform_(H t, double low, double high)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_normal_(H t, double mean, double std)

// ---- reductions
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_sum(H t, int64[] dims, int ndims, int keepdim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_mean(H t, int64[] dims, int ndims, int keepdim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_max_all(H t, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_min_all(H t, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_max_dim(H t, int64 dim, int keepdim, nativeint& values, nativeint& indices)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_argmax(H t, int64 dim, int hasDim, int keepdim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_norm(H t, double p, nativeint& out)

// ---- neural network (optional tensors are passed as raw pointers, 0n meaning absent)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_matmul(H a, H b, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_linear(H x, H weight, nativeint bias, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_conv2d(H x, H weight, nativeint bias, int64[] stride2, int64[] padding2, int64[] dilation2, int64 groups, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_batch_norm(H x, nativeint weight, nativeint bias, nativeint runningMean, nativeint runningVar, int training, double momentum, double eps, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_max_pool2d(H x, int64[] kernel2, int64[] stride2, int64[] padding2, int ceilMode, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_avg_pool2d(H x, int64[] kernel2, int64[] stride2, int64[] padding2, int ceilMode, int countIncludePad, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_adaptive_avg_pool2d(H x, int64[] outputSize2, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_dropout(H x, double p, int training, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_softmax(H x, int64 dim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_log_softmax(H x, int64 dim, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_cross_entropy(H logits, H target, int reduction, double labelSmoothing, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_mse_loss(H input, H target, int reduction, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_one_hot(H indices, int64 numClasses, nativeint& out)

// ---- autograd and spiking
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_backward(H t, nativeint grad, int retainGraph)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_grad(H t, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_zero_grad(H t, int setToNone)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_spike(H x, nativeint derivative, nativeint& out)

// ---- fused neuron kernels
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_fused_load(string path, string name, int nparams, int[] granularity, int nstates, double[] initConst,
                          int nrecord, byte[] code, int64 codeBytes, string cudaSource, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_fused_free(nativeint k)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_fused_run(nativeint k, H x, nativeint[] pars, nativeint[] init, nativeint& out, nativeint[] finalOut,
                         nativeint[] records)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_fused_cuda_available(int& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int snn_fused_view_copies(int64& out)
