// Fused neuron kernels inside the shim: a loaded kernel, the layout of one run, and the CUDA entry points
// (fused_cuda.cpp when the shim is built against a CUDA libtorch, a stub that says so otherwise).
#pragma once
#include <ATen/ATen.h>
#include <memory>
#include <string>
#include <vector>
#include "snndsl_kernel.h"

namespace snn {

// One step program bound to a kernel library: the CPU entry points ([0] float, [1] double), the program's
// shape, the interpreter's bytecode (empty for a compiled kernel) and the CUDA source.
struct FusedKernel {
  std::string name;
  snn_kernel_fn forward[2] = {nullptr, nullptr};
  snn_kernel_fn trace[2] = {nullptr, nullptr};
  snn_kernel_fn backward[2] = {nullptr, nullptr};
  std::vector<int32_t> granularity;
  std::vector<double> init_const;
  int nrecord = 0;
  int nsaved = 0;  // values per element and step the forward saves for the backward (snn_kernel_saved)
  std::vector<char> code;
  std::string cuda_source;
  // CUDA modules compiled from cuda_source, per device (owned by fused_cuda.cpp).
  std::shared_ptr<void> cuda_state;

  int nparams() const { return static_cast<int>(granularity.size()); }
  int nstates() const { return static_cast<int>(init_const.size()); }
};

// The sizes of one run over x [T, N, ...].
struct FusedLayout {
  int64_t T = 0, E = 0, channels = 1, inner = 1, site = 1;
};

// A [T, E] (or [E]) view in kernel form; `keep` holds a contiguous copy when the view had to be copied.
struct KernelView {
  snn_kin kin{nullptr, 0, 0};
  at::Tensor keep;
};

// x [T, ...] or a state [...] as the kernel reads it: time and element strides, copying only views whose
// per-step part is neither contiguous nor a broadcast of one value.
KernelView kernel_view(const at::Tensor& t, bool has_time);

// CUDA: forward and backward over tensors on one CUDA device (kargs pointers already set to device memory
// by the caller, except the ones these functions allocate).
void cuda_forward(FusedKernel& k, snn_kargs& a, const at::Tensor& like);
void cuda_backward(FusedKernel& k, snn_kargs& a, const at::Tensor& like, at::Tensor& gparam_sum);
bool cuda_fused_available();

}  // namespace snn
