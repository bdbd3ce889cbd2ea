// Fused neuron kernels: loading the kernels SnnDsl generates, running them over tensors in parallel chunks,
// and their autograd function (the backward is the kernel's own derived backward).
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/csrc/autograd/custom_function.h>
#include <atomic>
#include <cstring>
#include "fused.h"
#include "shim.h"

namespace snn {

// How many views the fused runs had to copy (tests check that the usual views are read in place).
static std::atomic<int64_t> view_copies{0};

KernelView kernel_view(const at::Tensor& t, bool has_time) {
  KernelView v;
  at::Tensor src = t;
  const int64_t first = has_time ? 1 : 0;
  // The per-step part is contiguous, or every one of its strides is 0 (one value for all elements).
  auto fits = [&](const at::Tensor& u) {
    bool contiguous = true, broadcast = true;
    int64_t expected = 1;
    for (int64_t d = u.dim() - 1; d >= first; --d) {
      if (u.size(d) != 1 && u.stride(d) != expected) contiguous = false;
      if (u.size(d) != 1 && u.stride(d) != 0) broadcast = false;
      expected *= u.size(d);
    }
    return contiguous || broadcast;
  };
  if (!fits(src)) {
    src = src.contiguous();
    v.keep = src;
    view_copies.fetch_add(1, std::memory_order_relaxed);
  }
  bool broadcast = true;
  for (int64_t d = first; d < src.dim(); ++d)
    if (src.size(d) != 1 && src.stride(d) != 0) broadcast = false;
  int64_t elements = 1;
  for (int64_t d = first; d < src.dim(); ++d) elements *= src.size(d);
  v.kin.data = src.data_ptr();
  v.kin.tstride = has_time && src.size(0) > 1 ? src.stride(0) : 0;
  v.kin.estride = broadcast && elements > 1 ? 0 : 1;
  if (elements == 1) v.kin.estride = 1;
  return v;
}

}  // namespace snn

namespace {

using snn::FusedKernel;
using snn::FusedLayout;
using snn::KernelView;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Fixed chunks (not one per thread), so the per-layer parameter sums add in the same order whatever the
// number of threads: results with 1 and 2 threads are equal.
constexpr int64_t kChunk = 2048;

struct Run : torch::CustomClassHolder {
  std::shared_ptr<FusedKernel> kernel;
  FusedLayout layout;
  // Per parameter for this run: the program's granularity, or per layer where one value is given (shared
  // by every neuron, as a 0-d tensor broadcasts).
  std::vector<int32_t> granularity;
  std::vector<bool> has_init;  // which states were given an initial tensor (they follow the parameters)
  bool want_final = false;
};

int dtype_index(const at::Tensor& x) { return x.scalar_type() == at::kDouble ? 1 : 0; }

void parallel_chunks(int64_t E, const std::function<void(int64_t, int64_t, int64_t)>& body) {
  const int64_t chunks = (E + kChunk - 1) / kChunk;
  at::parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) body(c * kChunk, std::min(E, (c + 1) * kChunk), c);
  });
}

FusedLayout layout_of(const at::Tensor& x) {
  FusedLayout l;
  l.T = x.size(0);
  l.E = l.T == 0 ? 0 : x.numel() / l.T;
  l.channels = x.dim() >= 3 ? x.size(2) : 1;
  l.inner = 1;
  for (int64_t d = 3; d < x.dim(); ++d) l.inner *= x.size(d);
  l.site = 1;
  for (int64_t d = 2; d < x.dim(); ++d) l.site *= x.size(d);
  return l;
}

snn_kargs base_args(const FusedKernel& k, const Run& run) {
  const FusedLayout& l = run.layout;
  snn_kargs a;
  std::memset(&a, 0, sizeof a);
  a.T = l.T;
  a.E = l.E;
  a.channels = l.channels;
  a.inner = l.inner;
  a.site = l.site;
  a.nparams = k.nparams();
  a.nstates = k.nstates();
  a.nrecord = k.nrecord;
  for (int i = 0; i < k.nparams(); ++i) a.granularity[i] = run.granularity[i];
  for (int i = 0; i < k.nstates(); ++i) a.init_const[i] = k.init_const[i];
  a.code = k.code.empty() ? nullptr : k.code.data();
  return a;
}

// Inputs of a run, in the order the autograd function receives them: x, the parameters, the given states.
struct Inputs {
  at::Tensor x;
  std::vector<at::Tensor> params;
  std::vector<at::Tensor> init;  // undefined where the state starts from its constant
};

Inputs unpack(const Run& run, at::TensorList list) {
  Inputs in;
  size_t i = 0;
  in.x = list[i++];
  for (int p = 0; p < run.kernel->nparams(); ++p) in.params.push_back(list[i++]);
  for (int s = 0; s < run.kernel->nstates(); ++s) in.init.push_back(run.has_init[s] ? list[i++] : at::Tensor());
  return in;
}

// Fills the input side of the kernel arguments; `keep` holds any contiguous copies alive.
void bind_inputs(snn_kargs& a, const Inputs& in, std::vector<at::Tensor>& keep) {
  auto xv = snn::kernel_view(in.x, true);
  if (xv.keep.defined()) keep.push_back(xv.keep);
  a.x = xv.kin;
  for (size_t p = 0; p < in.params.size(); ++p) {
    auto c = in.params[p].contiguous();
    keep.push_back(c);
    a.param[p] = c.data_ptr();
  }
  for (size_t s = 0; s < in.init.size(); ++s) {
    if (!in.init[s].defined()) continue;
    auto v = snn::kernel_view(in.init[s], false);
    if (v.keep.defined()) keep.push_back(v.keep);
    a.init[s] = v.kin;
  }
}

// Forward: the output and (when asked) the final states; records (trace) when `records` is not null; the
// values a saving kernel saves for its backward into `saved` ([T, nsaved, E]) when it is defined.
variable_list forward_run(const Run& run, const Inputs& in, std::vector<at::Tensor>* records,
                          const at::Tensor& saved = at::Tensor()) {
  const auto& k = *run.kernel;
  const auto& l = run.layout;
  auto a = base_args(k, run);
  if (saved.defined()) a.saved = saved.data_ptr();
  std::vector<at::Tensor> keep;
  bind_inputs(a, in, keep);
  auto out = at::empty(in.x.sizes(), in.x.options().memory_format(at::MemoryFormat::Contiguous));
  a.out = out.data_ptr();
  variable_list result{out};
  auto state_sizes = in.x.sizes().slice(1);
  if (run.want_final) {
    for (int s = 0; s < k.nstates(); ++s) {
      auto f = at::empty(state_sizes, in.x.options());
      a.final_state[s] = f.data_ptr();
      result.push_back(f);
    }
  }
  if (records != nullptr) {
    for (int r = 0; r < k.nrecord; ++r) {
      auto t = at::empty(in.x.sizes(), in.x.options());
      a.record[r] = t.data_ptr();
      records->push_back(t);
    }
  }
  if (l.E == 0 || l.T == 0) return result;
  if (in.x.is_cuda()) {
    if (records != nullptr) throw std::invalid_argument("fused traces run on the CPU only");
    snn::cuda_forward(*run.kernel, a, in.x);
    return result;
  }
  auto fn = records != nullptr ? k.trace[dtype_index(in.x)] : k.forward[dtype_index(in.x)];
  if (fn == nullptr) throw std::runtime_error("fused kernel '" + k.name + "' has no entry point for this dtype");
  parallel_chunks(l.E, [&](int64_t e0, int64_t e1, int64_t c) { fn(&a, e0, e1, c); });
  return result;
}

// Backward: adjoints of x, of every parameter and of every given initial state; a saving kernel reads what
// its forward saved.
variable_list backward_run(const Run& run, const Inputs& in, const at::Tensor& gout,
                           const std::vector<at::Tensor>& gfinal, const at::Tensor& saved) {
  const auto& k = *run.kernel;
  const auto& l = run.layout;
  auto a = base_args(k, run);
  if (k.nsaved > 0) {
    if (!saved.defined()) throw std::logic_error("fused neuron '" + k.name + "': the backward lacks its forward's saved values");
    a.saved = saved.data_ptr();
  }
  std::vector<at::Tensor> keep;
  bind_inputs(a, in, keep);
  if (gout.defined()) {
    auto v = snn::kernel_view(gout, true);
    if (v.keep.defined()) keep.push_back(v.keep);
    a.gout = v.kin;
  }
  for (size_t s = 0; s < gfinal.size(); ++s) {
    if (!gfinal[s].defined()) continue;
    auto v = snn::kernel_view(gfinal[s], false);
    if (v.keep.defined()) keep.push_back(v.keep);
    a.gfinal[s] = v.kin;
  }
  auto gx = at::empty(in.x.sizes(), in.x.options().memory_format(at::MemoryFormat::Contiguous));
  a.gx = gx.data_ptr();
  auto state_sizes = in.x.sizes().slice(1);
  std::vector<at::Tensor> ginit(k.nstates());
  for (int s = 0; s < k.nstates(); ++s) {
    if (!in.init[s].defined()) continue;
    ginit[s] = at::empty(state_sizes, in.x.options());
    a.ginit[s] = ginit[s].data_ptr();
  }
  std::vector<at::Tensor> gelem(k.nparams());
  for (int p = 0; p < k.nparams(); ++p) {
    if (run.granularity[p] == SNN_PER_LAYER) continue;
    gelem[p] = at::empty({l.E}, in.x.options());
    a.gparam[p] = gelem[p].data_ptr();
  }
  const int64_t chunks = std::max<int64_t>(1, (l.E + kChunk - 1) / kChunk);
  at::Tensor sums;
  if (l.E > 0 && l.T > 0) {
    if (in.x.is_cuda()) {
      sums = at::zeros({k.nparams() > 0 ? k.nparams() : 1}, in.x.options().dtype(at::kDouble));
      snn::cuda_backward(*run.kernel, a, in.x, sums);
      sums = sums.cpu().view({1, -1});
    } else {
      sums = at::zeros({chunks, k.nparams() > 0 ? k.nparams() : 1}, at::TensorOptions().dtype(at::kDouble));
      a.gparam_sum = sums.data_ptr<double>();
      auto fn = k.backward[dtype_index(in.x)];
      if (fn == nullptr) throw std::runtime_error("fused kernel '" + k.name + "' has no entry point for this dtype");
      parallel_chunks(l.E, [&](int64_t e0, int64_t e1, int64_t c) { fn(&a, e0, e1, c); });
    }
  } else {
    gx.zero_();
    for (auto& g : ginit) if (g.defined()) g.zero_();
    for (auto& g : gelem) if (g.defined()) g.zero_();
    sums = at::zeros({1, k.nparams() > 0 ? k.nparams() : 1}, at::TensorOptions().dtype(at::kDouble));
  }
  variable_list grads{gx};
  for (int p = 0; p < k.nparams(); ++p) {
    const auto& param = in.params[p];
    at::Tensor g;
    if (run.granularity[p] == SNN_PER_LAYER) {
      // The chunks' partial sums, added in chunk order.
      double total = 0;
      auto acc = sums.accessor<double, 2>();
      for (int64_t c = 0; c < sums.size(0); ++c) total += acc[c][p];
      g = at::full(param.sizes(), total, param.options());
    } else if (run.granularity[p] == SNN_PER_CHANNEL) {
      const int64_t N = l.site == 0 ? 0 : l.E / l.site;
      g = gelem[p].view({N, l.channels, l.inner}).sum(at::IntArrayRef{0, 2}).view(param.sizes());
    } else {
      const int64_t N = l.site == 0 ? 0 : l.E / l.site;
      g = gelem[p].view({N, l.site}).sum(0).view(param.sizes());
    }
    grads.push_back(g);
  }
  for (int s = 0; s < k.nstates(); ++s)
    if (in.init[s].defined()) grads.push_back(ginit[s]);
  return grads;
}

struct FusedFunction : public torch::autograd::Function<FusedFunction> {
  static variable_list forward(AutogradContext* ctx, at::TensorList inputs, c10::intrusive_ptr<Run> run) {
    ctx->set_materialize_grads(false);
    ctx->save_for_backward(inputs.vec());
    ctx->saved_data["run"] = at::IValue::make_capsule(run);
    // A saving kernel writes, per step, the states and the costly registers its backward reads (Schedule's
    // cost model chose saving them over recomputing the forward).
    at::Tensor saved;
    if (run->kernel->nsaved > 0) {
      const auto& l = run->layout;
      saved = at::empty({l.T * run->kernel->nsaved * (l.E + 64)}, inputs[0].options().requires_grad(false));
      ctx->saved_data["saved"] = saved;
    }
    return forward_run(*run, unpack(*run, inputs), nullptr, saved);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto run = c10::static_intrusive_pointer_cast<Run>(ctx->saved_data["run"].toCapsule());
    auto saved = ctx->get_saved_variables();
    auto in = unpack(*run, saved);
    std::vector<at::Tensor> gfinal(grads.begin() + 1, grads.end());
    at::Tensor forward_saved;
    if (run->kernel->nsaved > 0) forward_saved = ctx->saved_data["saved"].toTensor();
    auto result = backward_run(*run, in, grads[0], gfinal, forward_saved);
    result.push_back(at::Tensor());  // for `run`
    return result;
  }
};

const char* dtype_name(at::ScalarType t) { return c10::toString(t); }

void check_inputs(const FusedKernel& k, const at::Tensor& x, const std::vector<at::Tensor>& params,
                  const std::vector<at::Tensor>& init, const FusedLayout& l) {
  if (x.dim() < 2)
    throw std::invalid_argument("fused neuron '" + k.name + "': expected an input [T, N, ...], got " +
                                std::to_string(x.dim()) + " dimension(s)");
  if (x.scalar_type() != at::kFloat && x.scalar_type() != at::kDouble)
    throw std::invalid_argument("fused neuron '" + k.name + "': runs float32 and float64 inputs, got " +
                                dtype_name(x.scalar_type()));
  auto same = [&](const at::Tensor& t, const std::string& what) {
    if (t.scalar_type() != x.scalar_type())
      throw std::invalid_argument("fused neuron '" + k.name + "': " + what + " is " + dtype_name(t.scalar_type()) +
                                  " but the input is " + dtype_name(x.scalar_type()) + " (mixed dtypes)");
    if (t.device() != x.device())
      throw std::invalid_argument("fused neuron '" + k.name + "': " + what + " is on " + t.device().str() +
                                  " but the input is on " + x.device().str() + " (mixed devices)");
  };
  for (int p = 0; p < k.nparams(); ++p) {
    const auto what = "parameter " + std::to_string(p);
    same(params[p], what);
    if (params[p].numel() == 1) continue;  // one value for every neuron
    const int64_t expected = k.granularity[p] == SNN_PER_LAYER ? 1 : k.granularity[p] == SNN_PER_CHANNEL ? l.channels : l.site;
    if (k.granularity[p] == SNN_PER_CHANNEL && x.dim() < 3)
      throw std::invalid_argument("fused neuron '" + k.name + "': " + what +
                                  " is per channel, which needs inputs [T, N, C, ...]");
    if (params[p].numel() != expected)
      throw std::invalid_argument("fused neuron '" + k.name + "': " + what + " has " + std::to_string(params[p].numel()) +
                                  " values, expected " + std::to_string(expected));
  }
  for (int s = 0; s < k.nstates(); ++s) {
    if (!init[s].defined()) continue;
    const auto what = "initial state " + std::to_string(s);
    same(init[s], what);
    if (init[s].numel() != l.E && init[s].numel() != 1)
      throw std::invalid_argument("fused neuron '" + k.name + "': " + what + " has " + std::to_string(init[s].numel()) +
                                  " values, expected " + std::to_string(l.E) + " (one per element of a step)");
  }
}

}  // namespace

extern "C" {

SNN_API int snn_fused_load(const char* path, const char* name, int nparams, const int* granularity, int nstates,
                           const double* init_const, int nrecord, const void* code, int64_t code_bytes,
                           const char* cuda_source, snn_fused* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (path == nullptr) throw std::invalid_argument("null kernel path");
    if (nparams < 0 || nparams > SNN_KMAX_PARAMS || nstates < 1 || nstates > SNN_KMAX_STATES || nrecord < 0 ||
        nrecord > SNN_KMAX_RECORDS)
      throw std::invalid_argument("fused kernel: at most " + std::to_string(SNN_KMAX_PARAMS) + " parameters, 1 to " +
                                  std::to_string(SNN_KMAX_STATES) + " states and " + std::to_string(SNN_KMAX_RECORDS) +
                                  " recorded values");
    // Kernels are never unloaded: autograd graphs may still point into them, and there are few.
    void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) throw std::runtime_error(std::string("cannot load fused kernel ") + path + ": " + dlerror());
    auto abi = reinterpret_cast<int (*)(void)>(dlsym(lib, "snn_kernel_abi"));
    if (abi == nullptr || abi() != SNN_KERNEL_ABI)
      throw std::runtime_error(std::string("fused kernel ") + path + " was built for another kernel ABI (expected " +
                               std::to_string(SNN_KERNEL_ABI) + ")");
    auto k = std::make_shared<FusedKernel>();
    k->name = name != nullptr ? name : "?";
    auto saved = reinterpret_cast<int (*)(void)>(dlsym(lib, "snn_kernel_saved"));
    if (saved == nullptr) throw std::runtime_error(std::string("fused kernel ") + path + " lacks snn_kernel_saved");
    k->nsaved = saved();
    if (k->nsaved < 0 || k->nsaved > 1024)
      throw std::runtime_error(std::string("fused kernel ") + path + " saves " + std::to_string(k->nsaved) + " values per step");
    const char* names[3][2] = {{"snn_forward_f32", "snn_forward_f64"}, {"snn_trace_f32", "snn_trace_f64"},
                               {"snn_backward_f32", "snn_backward_f64"}};
    snn_kernel_fn* slots[3] = {k->forward, k->trace, k->backward};
    for (int f = 0; f < 3; ++f)
      for (int d = 0; d < 2; ++d) {
        slots[f][d] = reinterpret_cast<snn_kernel_fn>(dlsym(lib, names[f][d]));
        if (slots[f][d] == nullptr)
          throw std::runtime_error(std::string("fused kernel ") + path + " lacks " + names[f][d]);
      }
    for (int p = 0; p < nparams; ++p) {
      if (granularity[p] < SNN_PER_LAYER || granularity[p] > SNN_PER_NEURON)
        throw std::invalid_argument("unknown granularity code " + std::to_string(granularity[p]));
      k->granularity.push_back(granularity[p]);
    }
    for (int s = 0; s < nstates; ++s) k->init_const.push_back(init_const[s]);
    k->nrecord = nrecord;
    if (code != nullptr && code_bytes > 0)
      k->code.assign(static_cast<const char*>(code), static_cast<const char*>(code) + code_bytes);
    if (cuda_source != nullptr) k->cuda_source = cuda_source;
    *out = reinterpret_cast<snn_fused>(new std::shared_ptr<FusedKernel>(std::move(k)));
  })
}

SNN_API int snn_fused_free(snn_fused k) {
  SNN_GUARD(delete reinterpret_cast<std::shared_ptr<FusedKernel>*>(k))
}

SNN_API int snn_fused_run(snn_fused kernel, snn_tensor x, const snn_tensor* params, const snn_tensor* init,
                          snn_tensor* out, snn_tensor* final_out, snn_tensor* records) {
  SNN_GUARD({
    snn::require_out(out);
    if (kernel == nullptr) throw std::invalid_argument("null fused kernel handle");
    auto k = *reinterpret_cast<std::shared_ptr<FusedKernel>*>(kernel);
    auto& input = snn::unwrap(x);
    std::vector<at::Tensor> ps, is;
    for (int p = 0; p < k->nparams(); ++p) ps.push_back(snn::unwrap(params[p], "parameter"));
    for (int s = 0; s < k->nstates(); ++s) is.push_back(init != nullptr && init[s] != nullptr ? snn::unwrap(init[s], "state") : at::Tensor());
    if (input.dim() < 2)
      throw std::invalid_argument("fused neuron '" + k->name + "': expected an input [T, N, ...], got " +
                                  std::to_string(input.dim()) + " dimension(s)");
    auto run = c10::make_intrusive<Run>();
    run->kernel = k;
    run->layout = layout_of(input);
    run->want_final = final_out != nullptr;
    check_inputs(*k, input, ps, is, run->layout);
    for (int p = 0; p < k->nparams(); ++p)
      run->granularity.push_back(ps[p].numel() == 1 ? SNN_PER_LAYER : k->granularity[p]);
    std::vector<at::Tensor> list{input};
    for (auto& p : ps) list.push_back(p);
    auto state_sizes = input.sizes().slice(1);
    for (auto& s : is) {
      run->has_init.push_back(s.defined());
      // One value for every element: a broadcast view, read with element stride 0.
      if (s.defined()) list.push_back(s.numel() == 1 ? s.reshape({}).expand(state_sizes) : s.reshape(state_sizes));
    }
    bool needs_grad = false;
    if (c10::GradMode::is_enabled())
      for (auto& t : list) needs_grad = needs_grad || t.requires_grad();
    variable_list result;
    if (needs_grad) {
      result = FusedFunction::apply(at::TensorList(list), run);
    } else {
      result = forward_run(*run, unpack(*run, list), nullptr);
    }
    if (records != nullptr) {
      // A trace records every binding without autograd (its spikes come from the run above).
      c10::AutoGradMode no_grad(false);
      std::vector<at::Tensor> recs;
      forward_run(*run, unpack(*run, list), &recs);
      for (int r = 0; r < k->nrecord; ++r) records[r] = snn::wrap(recs[r]);
    }
    *out = snn::wrap(result[0]);
    if (final_out != nullptr)
      for (int s = 0; s < k->nstates(); ++s) final_out[s] = snn::wrap(result[1 + s]);
  })
}

SNN_API int snn_fused_view_copies(int64_t* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::view_copies.load())
}

SNN_API int snn_fused_cuda_available(int* out) {
  SNN_GUARD(snn::require_out(out); *out = snn::cuda_fused_available() ? 1 : 0)
}

}  // extern "C"
