// The shim built against a CPU libtorch: fused kernels run on the CPU; CUDA tensors get an error that says why.
#include <stdexcept>
#include "fused.h"

namespace snn {

static const char* kNoCuda =
    "fused kernels on CUDA tensors need the shim built against a CUDA libtorch with NVRTC (this shim was built "
    "without CUDA; see docs/gpu.md), or --backend eager";

void cuda_forward(FusedKernel&, snn_kargs&, const at::Tensor&) { throw std::runtime_error(kNoCuda); }
void cuda_backward(FusedKernel&, snn_kargs&, const at::Tensor&, at::Tensor&) { throw std::runtime_error(kNoCuda); }
bool cuda_fused_available() { return false; }

}  // namespace snn
