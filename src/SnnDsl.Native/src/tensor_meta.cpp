// Reading a tensor's metadata and copying its elements out.
#include <cstring>
#include <sstream>
#include "shim.h"

extern "C" {

SNN_API int snn_tensor_ndim(snn_tensor t, int64_t* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::unwrap(t).dim())
}

SNN_API int snn_tensor_shape(snn_tensor t, int64_t* dims, int64_t cap) {
  SNN_GUARD({
    auto sizes = snn::unwrap(t).sizes();
    for (int64_t i = 0; i < static_cast<int64_t>(sizes.size()) && i < cap; ++i) dims[i] = sizes[i];
  })
}

SNN_API int snn_tensor_strides(snn_tensor t, int64_t* strides, int64_t cap) {
  SNN_GUARD({
    auto st = snn::unwrap(t).strides();
    for (int64_t i = 0; i < static_cast<int64_t>(st.size()) && i < cap; ++i) strides[i] = st[i];
  })
}

SNN_API int snn_tensor_dtype(snn_tensor t, int* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::from_scalar_type(snn::unwrap(t).scalar_type()))
}

SNN_API int snn_tensor_device(snn_tensor t, int* device_type, int* device_index) {
  SNN_GUARD({
    snn::require_out(device_type);
    snn::require_out(device_index);
    auto d = snn::unwrap(t).device();
    *device_type = d.is_cuda() ? SNN_CUDA : SNN_CPU;
    *device_index = d.has_index() ? d.index() : 0;
  })
}

SNN_API int snn_tensor_numel(snn_tensor t, int64_t* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::unwrap(t).numel())
}

SNN_API int snn_tensor_requires_grad(snn_tensor t, int* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::unwrap(t).requires_grad() ? 1 : 0)
}

SNN_API int snn_tensor_set_requires_grad(snn_tensor t, int requires_grad) {
  SNN_GUARD({
    auto& x = snn::unwrap(t);
    // libtorch's C++ API silently ignores the flag on a computed tensor (it keeps requiring grad through its
    // grad_fn); PyTorch refuses, and so do we.
    if (!x.is_leaf())
      throw std::invalid_argument(
          "requires_grad can only be changed on leaf tensors, not on the result of a recorded operation; "
          "use Detach() for a tensor outside the graph");
    x.set_requires_grad(requires_grad != 0);
  })
}

SNN_API int snn_tensor_is_leaf(snn_tensor t, int* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::unwrap(t).is_leaf() ? 1 : 0)
}

SNN_API int snn_tensor_item(snn_tensor t, double* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto& x = snn::unwrap(t);
    if (x.numel() != 1)
      throw std::invalid_argument("item() needs a tensor with exactly one element, got " + std::to_string(x.numel()) +
                                  " elements");
    *out = x.item<double>();
  })
}

SNN_API int snn_tensor_copy_to(snn_tensor t, void* dst, int64_t nbytes) {
  SNN_GUARD({
    auto& x = snn::unwrap(t);
    auto c = x.detach().to(at::kCPU).contiguous();
    auto need = static_cast<int64_t>(c.numel() * c.element_size());
    if (need != nbytes)
      throw std::invalid_argument("copy_to: destination holds " + std::to_string(nbytes) + " bytes but the tensor has " +
                                  std::to_string(need));
    if (need > 0) {
      if (dst == nullptr) throw std::invalid_argument("copy_to: null destination");
      std::memcpy(dst, c.data_ptr(), static_cast<size_t>(need));
    }
  })
}

SNN_API int snn_tensor_to_string(snn_tensor t, char* buf, int64_t cap, int64_t* needed) {
  SNN_GUARD({
    std::ostringstream os;
    os << snn::unwrap(t);
    auto s = os.str();
    if (needed != nullptr) *needed = static_cast<int64_t>(s.size()) + 1;
    if (buf != nullptr && cap > 0) {
      auto n = std::min<int64_t>(cap - 1, static_cast<int64_t>(s.size()));
      std::memcpy(buf, s.data(), static_cast<size_t>(n));
      buf[n] = '\0';
    }
  })
}

}  // extern "C"
