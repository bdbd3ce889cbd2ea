// Creating tensors and converting between dtypes and devices.
#include <cstring>
#include "shim.h"

using snn::dims_of;
using snn::options;

extern "C" {

SNN_API int snn_empty(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::empty(dims_of(dims, ndim), options(dtype, dev_type, dev_index)))
}

SNN_API int snn_zeros(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::zeros(dims_of(dims, ndim), options(dtype, dev_type, dev_index)))
}

SNN_API int snn_ones(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::ones(dims_of(dims, ndim), options(dtype, dev_type, dev_index)))
}

SNN_API int snn_full(const int64_t* dims, int ndim, double value, int dtype, int dev_type, int dev_index,
                     snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::full(dims_of(dims, ndim), value, options(dtype, dev_type, dev_index)))
}

SNN_API int snn_rand(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::rand(dims_of(dims, ndim), options(dtype, dev_type, dev_index)))
}

SNN_API int snn_randn(const int64_t* dims, int ndim, int dtype, int dev_type, int dev_index, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::randn(dims_of(dims, ndim), options(dtype, dev_type, dev_index)))
}

SNN_API int snn_arange(double start, double end, double step, int dtype, int dev_type, int dev_index,
                       snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::arange(start, end, step, options(dtype, dev_type, dev_index)))
}

SNN_API int snn_from_data(const void* data, int64_t nbytes, const int64_t* dims, int ndim, int dtype, int dev_type,
                          int dev_index, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto shape = dims_of(dims, ndim);
    auto cpu = at::empty(shape, at::TensorOptions().dtype(snn::to_scalar_type(dtype)));
    auto need = static_cast<int64_t>(cpu.numel() * cpu.element_size());
    if (need != nbytes)
      throw std::invalid_argument("from_data: shape " + c10::str(cpu.sizes()) + " needs " + std::to_string(need) +
                                  " bytes but " + std::to_string(nbytes) + " were given");
    if (need > 0) {
      if (data == nullptr) throw std::invalid_argument("from_data: null data pointer");
      std::memcpy(cpu.data_ptr(), data, static_cast<size_t>(need));
    }
    auto device = snn::to_device(dev_type, dev_index);
    *out = snn::wrap(device.is_cpu() ? cpu : cpu.to(device));
  })
}

SNN_API int snn_to(snn_tensor t, int dtype, int dev_type, int dev_index, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto& x = snn::unwrap(t);
    auto st = dtype < 0 ? x.scalar_type() : snn::to_scalar_type(dtype);
    auto dev = dev_type < 0 ? x.device() : snn::to_device(dev_type, dev_index);
    *out = snn::wrap(x.to(dev, st));
  })
}

SNN_API int snn_clone(snn_tensor t, snn_tensor* out) { SNN_RETURN_TENSOR(out, snn::unwrap(t).clone()) }

SNN_API int snn_contiguous(snn_tensor t, snn_tensor* out) { SNN_RETURN_TENSOR(out, snn::unwrap(t).contiguous()) }

SNN_API int snn_detach(snn_tensor t, snn_tensor* out) { SNN_RETURN_TENSOR(out, snn::unwrap(t).detach()) }

SNN_API int snn_alias(snn_tensor t, snn_tensor* out) { SNN_RETURN_TENSOR(out, snn::unwrap(t)) }

}  // extern "C"
