// Internal helpers shared by the shim's translation units: handle wrapping and exception fencing.
#pragma once
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <atomic>
#include <string>
#include <vector>
#include "snndsl.h"

namespace snn {

// Live-handle counter (process wide), for leak hunting and the memory tests.
extern std::atomic<int64_t> live_tensors;

void set_last_error(const std::string& message);

// A handle is a heap-allocated at::Tensor; the C side only sees an opaque pointer.
inline snn_tensor wrap(at::Tensor t) {
  auto* p = new at::Tensor(std::move(t));
  live_tensors.fetch_add(1, std::memory_order_relaxed);
  return reinterpret_cast<snn_tensor>(p);
}

inline at::Tensor& unwrap(snn_tensor h, const char* what = "tensor") {
  if (h == nullptr) throw std::invalid_argument(std::string("null ") + what + " handle");
  return *reinterpret_cast<at::Tensor*>(h);
}

// An optional tensor argument: NULL means "absent".
inline c10::optional<at::Tensor> optional_tensor(snn_tensor h) {
  if (h == nullptr) return c10::nullopt;
  return *reinterpret_cast<at::Tensor*>(h);
}

inline void require_out(const void* out) {
  if (out == nullptr) throw std::invalid_argument("null output pointer");
}

at::ScalarType to_scalar_type(int dtype);
int from_scalar_type(at::ScalarType t);
// Validates the device (CUDA requested but absent is an error that says so).
at::Device to_device(int dev_type, int dev_index);
at::TensorOptions options(int dtype, int dev_type, int dev_index);
std::vector<int64_t> dims_of(const int64_t* dims, int ndim);

// Writes a vector of tensors into a caller buffer as new handles (see snn_split in snndsl.h).
int write_tensors(std::vector<at::Tensor>&& ts, snn_tensor* outs, int cap, int* count);

}  // namespace snn

// Every export's body runs inside SNN_GUARD: any C++ exception becomes SNN_ERR plus a message.
// c10::Error is caught first to drop libtorch's C++ backtrace from the message.
#define SNN_GUARD(...)                                                        \
  try {                                                                        \
    __VA_ARGS__;                                                               \
    return SNN_OK;                                                             \
  } catch (const c10::Error& e) {                                              \
    snn::set_last_error(e.what_without_backtrace());                           \
  } catch (const std::exception& e) {                                          \
    snn::set_last_error(e.what());                                             \
  } catch (...) {                                                              \
    snn::set_last_error("unknown C++ exception (not derived from std::exception)"); \
  }                                                                            \
  return SNN_ERR;

// Shorthand for the common case: compute a tensor and hand out a new handle.
#define SNN_RETURN_TENSOR(out, ...) \
  SNN_GUARD(snn::require_out(out); *(out) = snn::wrap(__VA_ARGS__))
