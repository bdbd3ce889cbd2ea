// Errors, handle lifetime, threads, seeds, devices and allocator tuning.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <dlfcn.h>
#include <malloc.h>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include "shim.h"

namespace snn {

std::atomic<int64_t> live_tensors{0};

static thread_local std::string last_error;

void set_last_error(const std::string& message) { last_error = message; }

at::ScalarType to_scalar_type(int dtype) {
  switch (dtype) {
    case SNN_FLOAT32: return at::kFloat;
    case SNN_FLOAT64: return at::kDouble;
    case SNN_FLOAT16: return at::kHalf;
    case SNN_BFLOAT16: return at::kBFloat16;
    case SNN_INT64: return at::kLong;
    case SNN_INT32: return at::kInt;
    case SNN_UINT8: return at::kByte;
    case SNN_BOOL: return at::kBool;
    default: throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
  }
}

int from_scalar_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return SNN_FLOAT32;
    case at::kDouble: return SNN_FLOAT64;
    case at::kHalf: return SNN_FLOAT16;
    case at::kBFloat16: return SNN_BFLOAT16;
    case at::kLong: return SNN_INT64;
    case at::kInt: return SNN_INT32;
    case at::kByte: return SNN_UINT8;
    case at::kBool: return SNN_BOOL;
    default: throw std::invalid_argument(std::string("dtype not supported by SnnDsl: ") + c10::toString(t));
  }
}

at::Device to_device(int dev_type, int dev_index) {
  if (dev_type == SNN_CPU) return at::Device(at::kCPU);
  if (dev_type == SNN_CUDA) {
    if (!torch::cuda::is_available())
      throw std::runtime_error("CUDA device cuda:" + std::to_string(dev_index) +
                               " requested, but CUDA is not available (this libtorch has no CUDA support or no GPU is visible)");
    auto n = static_cast<int>(torch::cuda::device_count());
    if (dev_index < 0 || dev_index >= n)
      throw std::runtime_error("CUDA device cuda:" + std::to_string(dev_index) + " requested, but only " +
                               std::to_string(n) + " CUDA device(s) are visible");
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(dev_index));
  }
  throw std::invalid_argument("unknown device type code " + std::to_string(dev_type));
}

at::TensorOptions options(int dtype, int dev_type, int dev_index) {
  return at::TensorOptions().dtype(to_scalar_type(dtype)).device(to_device(dev_type, dev_index));
}

std::vector<int64_t> dims_of(const int64_t* dims, int ndim) {
  if (ndim < 0) throw std::invalid_argument("negative number of dimensions");
  if (ndim > 0 && dims == nullptr) throw std::invalid_argument("null shape pointer");
  return std::vector<int64_t>(dims, dims + ndim);
}

int write_tensors(std::vector<at::Tensor>&& ts, snn_tensor* outs, int cap, int* count) {
  require_out(count);
  *count = static_cast<int>(ts.size());
  if (static_cast<int>(ts.size()) > cap) return SNN_OK;  // caller retries with a larger buffer
  require_out(outs);
  for (size_t i = 0; i < ts.size(); ++i) outs[i] = wrap(std::move(ts[i]));
  return SNN_OK;
}

}  // namespace snn

namespace {
struct NotAStdException { int code; };
}

extern "C" {

SNN_API const char* snn_last_error(void) { return snn::last_error.c_str(); }

SNN_API int snn_init(int64_t mmap_threshold_bytes, int64_t trim_threshold_bytes, int mmap_max) {
  SNN_GUARD({
    // Blocks of 32 MiB and more (glibc's ceiling for the threshold) would still be mmapped and faulted in
    // afresh on every step; M_MMAP_MAX = 0 serves them from the heap too, where freed blocks are reused.
    if (mmap_max >= 0 && mallopt(M_MMAP_MAX, mmap_max) != 1)
      throw std::invalid_argument("mallopt(M_MMAP_MAX) rejected " + std::to_string(mmap_max));
    // glibc returns every block above the mmap threshold to the kernel on free; tensors of a few MiB are
    // then faulted in again on every training step. A high threshold keeps them in the heap for reuse.
    if (mmap_threshold_bytes > 0) {
      if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold_bytes)) != 1)
        throw std::invalid_argument("mallopt(M_MMAP_THRESHOLD) rejected " + std::to_string(mmap_threshold_bytes) +
                                    " bytes (glibc's maximum is 32 MiB on 64-bit)");
    }
    if (trim_threshold_bytes > 0) {
      if (mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::min<int64_t>(trim_threshold_bytes, INT32_MAX))) != 1)
        throw std::invalid_argument("mallopt(M_TRIM_THRESHOLD) rejected the value");
    }
  })
}

SNN_API int snn_version(char* buf, int64_t cap) {
  SNN_GUARD({
    std::string v = std::string("libtorch ") + std::to_string(TORCH_VERSION_MAJOR) + "." +
                    std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
    if (buf != nullptr && cap > 0) {
      std::strncpy(buf, v.c_str(), static_cast<size_t>(cap - 1));
      buf[cap - 1] = '\0';
    }
  })
}

SNN_API int snn_live_tensors(int64_t* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::live_tensors.load())
}

SNN_API int snn_tensor_free(snn_tensor t) {
  SNN_GUARD({
    if (t != nullptr) {
      delete reinterpret_cast<at::Tensor*>(t);
      snn::live_tensors.fetch_sub(1, std::memory_order_relaxed);
    }
  })
}

SNN_API int snn_set_num_threads(int n) {
  SNN_GUARD({
    if (n < 1) throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(n));
    at::set_num_threads(n);
    // OpenBLAS keeps its own pool; reach it when it is loaded (looked up, so no hard link dependency).
    using set_fn = void (*)(int);
    if (auto f = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
  })
}

SNN_API int snn_get_num_threads(int* out) {
  SNN_GUARD(snn::require_out(out); *out = at::get_num_threads())
}

SNN_API int snn_manual_seed(uint64_t seed) { SNN_GUARD(at::manual_seed(seed)) }

SNN_API int snn_cuda_is_available(int* out) {
  SNN_GUARD(snn::require_out(out); *out = torch::cuda::is_available() ? 1 : 0)
}

SNN_API int snn_cuda_device_count(int* out) {
  SNN_GUARD(snn::require_out(out); *out = static_cast<int>(torch::cuda::device_count()))
}

SNN_API int snn_cuda_synchronize(int device_index) {
  SNN_GUARD({
    if (!torch::cuda::is_available())
      throw std::runtime_error("cuda synchronize: CUDA is not available (this libtorch has no CUDA support or no GPU is visible)");
    torch::cuda::synchronize(device_index);
  })
}

SNN_API int snn_set_grad_enabled(int enabled, int* previous) {
  SNN_GUARD({
    if (previous != nullptr) *previous = c10::GradMode::is_enabled() ? 1 : 0;
    c10::GradMode::set_enabled(enabled != 0);
  })
}

SNN_API int snn_is_grad_enabled(int* out) {
  SNN_GUARD(snn::require_out(out); *out = c10::GradMode::is_enabled() ? 1 : 0)
}

SNN_API int snn_debug_throw(int kind) {
  SNN_GUARD({
    switch (kind) {
      case 0: throw std::runtime_error("debug: std::runtime_error thrown on purpose");
      case 1: TORCH_CHECK(false, "debug: c10::Error thrown on purpose");
      case 2: throw 42;
      default: throw NotAStdException{kind};
    }
  })
}

}  // extern "C"
