// Fused kernels on CUDA: the generated CUDA source is compiled at run time with NVRTC for the device's
// architecture (once per kernel and device), loaded with the driver API and launched on libtorch's current
// stream, one thread per element. Built only when the shim is built against a CUDA libtorch.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda.h>
#include <nvrtc.h>
#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include "fused.h"

static_assert(sizeof(snn_kargs) <= 4096, "snn_kargs is passed to CUDA kernels by value (4 KiB limit)");

namespace snn {
namespace {

constexpr unsigned kBlock = 256;

struct CudaModules {
  std::map<int, std::array<CUfunction, 4>> per_device;  // forward f32, f64, backward f32, f64
};

std::mutex modules_mutex;

void check_nvrtc(nvrtcResult r, const std::string& what) {
  if (r != NVRTC_SUCCESS) throw std::runtime_error(what + ": " + nvrtcGetErrorString(r));
}

void check_cu(CUresult r, const std::string& what) {
  if (r != CUDA_SUCCESS) {
    const char* s = nullptr;
    cuGetErrorString(r, &s);
    throw std::runtime_error(what + ": " + (s != nullptr ? s : "unknown CUDA driver error"));
  }
}

std::array<CUfunction, 4> compile(const FusedKernel& k, int device) {
  if (k.cuda_source.empty()) throw std::runtime_error("fused kernel '" + k.name + "' has no CUDA source");
  const cudaDeviceProp* prop = at::cuda::getDeviceProperties(device);
  const std::string arch = "--gpu-architecture=compute_" + std::to_string(prop->major) + std::to_string(prop->minor);
  nvrtcProgram prog;
  check_nvrtc(nvrtcCreateProgram(&prog, k.cuda_source.c_str(), (k.name + ".cu").c_str(), 0, nullptr, nullptr),
              "NVRTC could not create the program of '" + k.name + "'");
  const char* opts[] = {arch.c_str(), "--std=c++14"};
  const nvrtcResult compiled = nvrtcCompileProgram(prog, 2, opts);
  if (compiled != NVRTC_SUCCESS) {
    size_t size = 0;
    nvrtcGetProgramLogSize(prog, &size);
    std::string log(size, '\0');
    nvrtcGetProgramLog(prog, &log[0]);
    nvrtcDestroyProgram(&prog);
    throw std::runtime_error("NVRTC could not compile the CUDA kernel of '" + k.name + "' (" + arch + "):\n" + log);
  }
  size_t ptx_size = 0;
  check_nvrtc(nvrtcGetPTXSize(prog, &ptx_size), "NVRTC PTX size");
  std::string ptx(ptx_size, '\0');
  check_nvrtc(nvrtcGetPTX(prog, &ptx[0]), "NVRTC PTX");
  nvrtcDestroyProgram(&prog);
  CUmodule module;
  check_cu(cuModuleLoadData(&module, ptx.c_str()), "loading the CUDA kernel of '" + k.name + "'");
  std::array<CUfunction, 4> fs;
  const char* names[4] = {"snn_forward_f32", "snn_forward_f64", "snn_backward_f32", "snn_backward_f64"};
  for (int i = 0; i < 4; ++i) check_cu(cuModuleGetFunction(&fs[i], module, names[i]), std::string("CUDA kernel ") + names[i]);
  return fs;
}

std::array<CUfunction, 4>& functions(FusedKernel& k, int device) {
  std::lock_guard<std::mutex> lock(modules_mutex);
  if (!k.cuda_state) k.cuda_state = std::make_shared<CudaModules>();
  auto* mods = static_cast<CudaModules*>(k.cuda_state.get());
  auto it = mods->per_device.find(device);
  if (it == mods->per_device.end()) it = mods->per_device.emplace(device, compile(k, device)).first;
  return it->second;
}

void launch(CUfunction f, snn_kargs& a) {
  void* args[] = {&a};
  const unsigned blocks = static_cast<unsigned>((a.E + kBlock - 1) / kBlock);
  check_cu(cuLaunchKernel(f, blocks, 1, 1, kBlock, 1, 1, 0, at::cuda::getCurrentCUDAStream().stream(), args, nullptr),
           "launching a fused CUDA kernel");
}

}  // namespace

void cuda_forward(FusedKernel& k, snn_kargs& a, const at::Tensor& like) {
  c10::cuda::CUDAGuard guard(like.device());
  auto& fs = functions(k, like.get_device());
  launch(fs[like.scalar_type() == at::kDouble ? 1 : 0], a);
}

void cuda_backward(FusedKernel& k, snn_kargs& a, const at::Tensor& like, at::Tensor& gparam_sum) {
  c10::cuda::CUDAGuard guard(like.device());
  auto& fs = functions(k, like.get_device());
  // The states before each step, [T][states][E], where the backward recomputes them (a saving kernel reads its
  // forward's instead); freed after the launch (the caching allocator is stream-ordered).
  at::Tensor scratch;
  if (k.nsaved == 0) {
    scratch = at::empty({a.T * a.nstates * a.E}, like.options());
    a.scratch = scratch.data_ptr();
  }
  a.gparam_sum = gparam_sum.data_ptr<double>();
  launch(fs[like.scalar_type() == at::kDouble ? 3 : 2], a);
}

bool cuda_fused_available() { return true; }

}  // namespace snn
