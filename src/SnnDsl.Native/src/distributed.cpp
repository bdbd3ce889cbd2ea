// Data-parallel building blocks over libtorch's c10d: process groups (Gloo on CPU, NCCL for CUDA tensors) from
// a rendezvous (TCPStore hosted by rank 0, or FileStore), all-reduce / broadcast / barrier on tensors and lists
// of tensors, and batch normalisation with statistics synchronised across the ranks.
//
// Written against the c10d API present in both libtorch 1.13 (Debian) and 2.x: TCPStore(host, TCPStoreOptions),
// FileStore(path, n), PrefixStore, ProcessGroupGloo(store, rank, size, Options) with Options::create(timeout) and
// createDeviceFor{Hostname,Interface}, ProcessGroupNCCL(store, rank, size, Options), c10d::Work::wait. The
// process-group classes are held by their concrete type (ProcessGroup in 1.13, Backend in 2.x is their base).
// Every error names the rank, the operation and what happened.
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/version.h>
#include <chrono>
#include <utility>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include "shim.h"

using snn::unwrap;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// What a failed c10d call said, without libtorch's C++ backtrace.
std::string reason(const std::exception& e) {
  if (auto c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

std::string seconds(Millis ms) {
  std::ostringstream s;
  s << static_cast<double>(ms.count()) / 1000.0 << " s";
  return s.str();
}

// The collectives of one backend, held by its concrete class (the base class differs between 1.13 and 2.x).
struct Collectives {
  virtual ~Collectives() = default;
  virtual c10::intrusive_ptr<c10d::Work> allreduce(std::vector<at::Tensor>& ts, const c10d::AllreduceOptions& o) = 0;
  virtual c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& ts, const c10d::BroadcastOptions& o) = 0;
  virtual c10::intrusive_ptr<c10d::Work> barrier(const c10d::BarrierOptions& o) = 0;
};

template <class PG>
struct CollectivesOf final : Collectives {
  explicit CollectivesOf(c10::intrusive_ptr<PG> p) : pg(std::move(p)) {}
  c10::intrusive_ptr<c10d::Work> allreduce(std::vector<at::Tensor>& ts, const c10d::AllreduceOptions& o) override {
    return pg->allreduce(ts, o);
  }
  c10::intrusive_ptr<c10d::Work> broadcast(std::vector<at::Tensor>& ts, const c10d::BroadcastOptions& o) override {
    return pg->broadcast(ts, o);
  }
  c10::intrusive_ptr<c10d::Work> barrier(const c10d::BarrierOptions& o) override { return pg->barrier(o); }
  c10::intrusive_ptr<PG> pg;
};

// One process group: this process's rank in a world of `size`, the store it met the others through, and the
// backend. Reference counted: an autograd graph that holds a synchronised BatchNorm keeps it alive.
struct Group : torch::CustomClassHolder {
  int rank = 0;
  int size = 1;
  int backend = SNN_DIST_GLOO;
  std::string rendezvous;  // "tcp 10.0.0.1:29500" or "file /shared/run.store"
  Millis timeout{0};
  c10::intrusive_ptr<c10d::Store> store;
  std::unique_ptr<Collectives> coll;
  std::mutex mutex;  // create/shutdown against collectives issued from another thread (autograd)

  const char* backend_name() const { return backend == SNN_DIST_NCCL ? "nccl" : "gloo"; }
  std::string who() const {
    return "rank " + std::to_string(rank) + " of " + std::to_string(size) + " (" + backend_name() + ", " +
           rendezvous + ")";
  }
  [[noreturn]] void fail(const std::string& operation, const std::string& what) const {
    throw std::runtime_error(who() + ": " + operation + ": " + what);
  }
  Collectives& live(const std::string& operation) {
    if (!coll) fail(operation, "the process group was shut down");
    return *coll;
  }
  at::DeviceType device_type() const { return backend == SNN_DIST_NCCL ? at::kCUDA : at::kCPU; }
};

using GroupPtr = c10::intrusive_ptr<Group>;

GroupPtr& group_of(snn_pg h) {
  if (h == nullptr) throw std::invalid_argument("null process-group handle");
  return *reinterpret_cast<GroupPtr*>(h);
}

// Runs f; an exception that does not already name this rank is re-raised naming the rank and the operation.
template <class F>
auto within(const Group& g, const std::string& operation, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    const auto what = reason(e);
    if (what.rfind(g.who(), 0) == 0) throw;
    g.fail(operation, what);
  }
}

std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }
std::string text(const std::vector<uint8_t>& v) { return std::string(v.begin(), v.end()); }

// Before the backend's own rendezvous: every rank claims its rank and declares its world size under
// snndsl/, so that a duplicate rank, a rank outside the world, a different world size or a rank that never
// comes is reported by name instead of surfacing as a backend timeout.
void meet(Group& g) {
  auto& store = *g.store;
  const std::string op = "rendezvous";
  const auto claims = store.add("snndsl/claim/" + std::to_string(g.rank), 1);
  if (claims > 1)
    g.fail(op, "another process already joined as rank " + std::to_string(g.rank) +
                   " (two processes were started with the same rank, or a FileStore file left from an earlier run "
                   "was reused)");
  store.set("snndsl/join/" + std::to_string(g.rank), bytes(std::to_string(g.size)));
  std::vector<std::string> keys;
  for (int r = 0; r < g.size; ++r) keys.push_back("snndsl/join/" + std::to_string(r));

  // A rank that declared another world size is reported as soon as it is seen. Polled with check(), never a
  // timed-out wait(): a TCPStore client whose wait timed out would read the late answer as its next reply.
  // Rank 0 hosts a TCP store: when it stops, the others can no longer read its declaration. So on a mismatch
  // every rank counts itself under snndsl/checked, and rank 0 waits (a few seconds at most) until every rank
  // that joined has, so that each one reports the mismatch it saw instead of a closed connection.
  auto linger_if_host = [&](int64_t theirs) {
    store.add("snndsl/checked", 1);
    if (g.rank != 0) return;
    const int upto = static_cast<int>(std::max<int64_t>(g.size, theirs));
    const auto until = Clock::now() + std::min<Clock::duration>(g.timeout, std::chrono::seconds(5));
    while (Clock::now() < until) {
      int64_t joined = 0;
      for (int r = 0; r < upto; ++r)
        if (store.check({"snndsl/join/" + std::to_string(r)})) ++joined;
      if (store.add("snndsl/checked", 0) >= joined) return;
      std::this_thread::sleep_for(Millis(5));
    }
  };
  auto check_declared = [&](int r) {
    const auto declared = text(store.get(keys[r]));
    if (declared != std::to_string(g.size)) {
      const auto theirs = std::stoll(declared);
      linger_if_host(theirs);
      std::string what = "rank " + std::to_string(r) + " declared a world size of " + declared + " but this rank " +
                         std::to_string(g.size) + " (every rank must be started with the same world size)";
      if (g.rank >= theirs)
        what += "; this rank is outside rank " + std::to_string(r) + "'s world (ranks 0.." +
                std::to_string(theirs - 1) + ")";
      g.fail(op, what);
    }
  };
  std::vector<bool> seen(static_cast<size_t>(g.size), false);
  const auto deadline = Clock::now() + g.timeout;
  auto pause = Millis(1);
  for (;;) {
    const bool all = store.check(keys);
    std::vector<int> missing;
    for (int r = 0; r < g.size; ++r) {
      if (seen[r]) continue;
      if (all || store.check({keys[r]})) {
        check_declared(r);
        seen[r] = true;
      } else {
        missing.push_back(r);
      }
    }
    if (missing.empty()) return;
    if (Clock::now() >= deadline) {
      std::string list;
      for (size_t i = 0; i < missing.size(); ++i) list += (i ? ", " : "") + std::to_string(missing[i]);
      g.fail(op, "timed out after " + seconds(g.timeout) + " waiting for rank(s) " + list +
                     " to join (not started, crashed, or given another rendezvous address)");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, Millis(50));
  }
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void create_backend(Group& g, const std::string& bind_host) {
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("snndsl/pg", g.store);
  const std::string op = "process-group creation";
  if (g.backend == SNN_DIST_GLOO) {
#ifdef USE_C10D_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(g.timeout);
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname != nullptr && *ifname != '\0')
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (!bind_host.empty())
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(bind_host));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, g.rank, g.size, opts);
    g.coll = std::make_unique<CollectivesOf<c10d::ProcessGroupGloo>>(pg);
#else
    g.fail(op, "this shim was built without Gloo's headers, so it has no Gloo backend (Debian: apt-get install "
               "libgloo-dev, then rebuild the shim)");
#endif
  } else if (g.backend == SNN_DIST_NCCL) {
#ifdef USE_C10D_NCCL
    // Without blocking wait, NCCL work completes asynchronously and a dead peer is noticed only by the
    // watchdog; blocking wait makes Work::wait honour the timeout (the user's own setting is kept).
    setenv("NCCL_BLOCKING_WAIT", "1", 0);
    setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = g.timeout;
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, g.rank, g.size, opts);
    g.coll = std::make_unique<CollectivesOf<c10d::ProcessGroupNCCL>>(pg);
#else
    g.fail(op, "the NCCL backend is not in this shim: it was built against libtorch " +
                   std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                   " without CUDA and NCCL (rebuild against a CUDA libtorch with nccl.h, see docs/distributed.md; "
                   "on CPU use Gloo)");
#endif
  } else {
    g.fail(op, "unknown backend code " + std::to_string(g.backend) + " (0 gloo, 1 nccl)");
  }
}

GroupPtr create(int backend, int rank, int world_size, int64_t timeout_ms, std::string rendezvous,
                const std::function<c10::intrusive_ptr<c10d::Store>(Group&)>& make_store, const std::string& bind_host) {
  auto g = c10::make_intrusive<Group>();
  g->rank = rank;
  g->size = world_size;
  g->backend = backend;
  g->rendezvous = std::move(rendezvous);
  g->timeout = Millis(timeout_ms);
  const std::string op = "process-group creation";
  if (world_size < 1) g->fail(op, "the world size must be at least 1, got " + std::to_string(world_size));
  if (rank < 0 || rank >= world_size)
    g->fail(op, "rank " + std::to_string(rank) + " is outside the world of " + std::to_string(world_size) +
                    " rank(s) (valid ranks: 0.." + std::to_string(world_size - 1) + ")");
  if (timeout_ms <= 0) g->fail(op, "the timeout must be positive, got " + std::to_string(timeout_ms) + " ms");
  if (backend != SNN_DIST_GLOO && backend != SNN_DIST_NCCL)
    g->fail(op, "unknown backend code " + std::to_string(backend) + " (0 gloo, 1 nccl)");
  g->store = within(*g, "rendezvous", [&] { return make_store(*g); });
  within(*g, "rendezvous", [&] { meet(*g); });
  within(*g, op, [&] { create_backend(*g, bind_host); });
  return g;
}

c10d::ReduceOp to_reduce_op(int op) {
  switch (op) {
    case SNN_DIST_SUM:
    case SNN_DIST_AVG: return c10d::ReduceOp::SUM;  // the average divides after the sum (Gloo has no AVG)
    case SNN_DIST_MAX: return c10d::ReduceOp::MAX;
    case SNN_DIST_MIN: return c10d::ReduceOp::MIN;
    default: throw std::invalid_argument("unknown reduction code " + std::to_string(op) + " (0 sum, 1 avg, 2 max, 3 min)");
  }
}

const char* op_name(int op) {
  switch (op) {
    case SNN_DIST_SUM: return "sum";
    case SNN_DIST_AVG: return "average";
    case SNN_DIST_MAX: return "max";
    default: return "min";
  }
}

std::string describe(const std::vector<at::Tensor>& ts) {
  int64_t numel = 0;
  for (const auto& t : ts) numel += t.numel();
  std::string dtype = ts.empty() ? "" : c10::toString(ts[0].scalar_type());
  return std::to_string(ts.size()) + " tensor(s), " + std::to_string(numel) + " " + dtype + " elements";
}

// A collective in flight. The tensors' new values are in place once wait() returns: single contiguous tensors
// are reduced in place by the backend; lists (and non-contiguous tensors) travel as one flat buffer per dtype
// that wait() copies back.
struct Pending {
  GroupPtr group;
  std::string operation;  // "all-reduce (sum) of 3 tensor(s), ..."
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  std::function<void()> finish;
  Clock::time_point started = Clock::now();
  bool done = false;

  void wait() {
    if (done) return;
    for (auto& w : works) {
      // The backend's own timeout fires first; the deadline here only guarantees the wait ends.
      const auto elapsed = std::chrono::duration_cast<Millis>(Clock::now() - started);
      const auto left = std::max(Millis(1), group->timeout + Millis(2000) - elapsed);
      try {
        w->wait(left);
      } catch (const std::exception& e) {
        done = true;
        const auto took = std::chrono::duration_cast<Millis>(Clock::now() - started);
        group->fail(operation, "failed after " + seconds(took) + " (timeout " + seconds(group->timeout) +
                                   "; a peer process exited, hung or issued a different collective): " + reason(e));
      }
    }
    if (finish) {
      at::NoGradGuard no_grad;
      finish();
    }
    done = true;
  }

  bool completed() const {
    for (const auto& w : works)
      if (!w->isCompleted()) return false;
    return true;
  }
};

std::vector<at::Tensor> tensors_of(const snn_tensor* ts, int n) {
  if (n < 0) throw std::invalid_argument("negative tensor count");
  if (n > 0 && ts == nullptr) throw std::invalid_argument("null tensor array");
  std::vector<at::Tensor> out;
  for (int i = 0; i < n; ++i) out.push_back(unwrap(ts[i]));
  return out;
}

void check_tensors(Group& g, const std::string& operation, const std::vector<at::Tensor>& ts) {
  for (size_t i = 0; i < ts.size(); ++i) {
    const auto& t = ts[i];
    if (t.device().type() != g.device_type())
      g.fail(operation, "tensor " + std::to_string(i) + " is on " + t.device().str() + " but the " +
                            g.backend_name() + " backend reduces " +
                            (g.device_type() == at::kCUDA ? "CUDA" : "CPU") + " tensors");
    if (t.is_sparse())
      g.fail(operation, "tensor " + std::to_string(i) + " is sparse; only dense tensors are supported");
  }
}

// Groups the tensors by dtype into flat buffers; `launch` starts the collective on each buffer. The
// finisher copies each buffer back into its tensors (after `post`, e.g. the division of an average).
std::unique_ptr<Pending> run_collective(const GroupPtr& g, const std::string& operation, std::vector<at::Tensor> ts,
                                        const std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)>& launch,
                                        const std::function<void(at::Tensor&)>& post) {
  auto p = std::make_unique<Pending>();
  p->group = g;
  p->operation = operation;
  std::lock_guard<std::mutex> lock(g->mutex);
  g->live(operation);
  check_tensors(*g, operation, ts);
  at::NoGradGuard no_grad;
  if (ts.size() == 1 && ts[0].is_contiguous()) {
    auto t = ts[0].detach();
    std::vector<at::Tensor> one{t};
    p->works.push_back(within(*g, operation, [&] { return launch(one); }));
    if (post) p->finish = [t, post]() mutable { post(t); };
    return p;
  }
  std::map<int, std::vector<at::Tensor>> by_dtype;
  for (auto& t : ts) by_dtype[static_cast<int>(t.scalar_type())].push_back(t.detach());
  std::vector<std::pair<at::Tensor, std::vector<at::Tensor>>> flats;
  for (auto& kv : by_dtype) {
    std::vector<at::Tensor> views;
    for (auto& t : kv.second) views.push_back(t.reshape({-1}));
    auto flat = at::cat(views);
    std::vector<at::Tensor> one{flat};
    p->works.push_back(within(*g, operation, [&] { return launch(one); }));
    flats.emplace_back(flat, kv.second);
  }
  p->finish = [flats, post]() mutable {
    for (auto& f : flats) {
      if (post) post(f.first);
      int64_t offset = 0;
      for (auto& t : f.second) {
        const auto n = t.numel();
        t.copy_(f.first.narrow(0, offset, n).view(t.sizes()));
        offset += n;
      }
    }
  };
  return p;
}

// Hands a pending collective to the caller, or (work == NULL) waits for it here.
void complete(std::unique_ptr<Pending> p, snn_work* work) {
  if (work != nullptr) {
    *work = reinterpret_cast<snn_work>(p.release());
    return;
  }
  p->wait();
}

std::unique_ptr<Pending> all_reduce(const GroupPtr& g, std::vector<at::Tensor> ts, int op) {
  const auto rop = to_reduce_op(op);
  const std::string operation = std::string("all-reduce (") + op_name(op) + ") of " + describe(ts);
  if (op == SNN_DIST_AVG)
    for (const auto& t : ts)
      if (!at::isFloatingType(t.scalar_type()))
        g->fail(operation, std::string("the average of a ") + c10::toString(t.scalar_type()) +
                               " tensor is not defined here; reduce with sum and divide");
  const double size = g->size;
  std::function<void(at::Tensor&)> post;
  if (op == SNN_DIST_AVG) post = [size](at::Tensor& t) { t.div_(size); };
  c10d::AllreduceOptions o;
  o.reduceOp = rop;
  o.timeout = g->timeout;
  auto gp = g;
  return run_collective(g, operation, std::move(ts), [gp, o](std::vector<at::Tensor>& one) { return gp->coll->allreduce(one, o); }, post);
}

// ---------------------------------------------------------------------------------------------------------------
// Synchronised batch normalisation. Statistics per channel over every other dim of x, from every rank:
// each rank contributes (count, count * mean, M2 + count * mean^2) in float64 (its mean and M2 computed
// two-pass, so the cancellation is only between ranks, in float64); the backward all-reduces the per-channel
// sums of dy and dy * xhat, so the input gradient is that of the sum of every rank's loss (with gradients
// averaged across ranks afterwards: that of the mean loss over the global batch).

// The dims a per-channel statistic reduces over (every dim but cdim) and the shape that broadcasts a [C]
// tensor against x.
std::pair<std::vector<int64_t>, std::vector<int64_t>> channel_layout(const at::Tensor& x, int64_t cdim) {
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != cdim) dims.push_back(d);
  std::vector<int64_t> bshape(x.dim(), 1);
  bshape[cdim] = x.size(cdim);
  return {dims, bshape};
}

struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static variable_list forward(AutogradContext* ctx, at::Tensor x, at::Tensor weight, at::Tensor bias,
                               at::Tensor running_mean, at::Tensor running_var, int64_t cdim, double momentum,
                               double eps, GroupPtr g) {
    const std::string operation = "sync batch norm (forward statistics)";
    const int64_t C = x.size(cdim);
    const auto [dims, bshape] = channel_layout(x, cdim);
    const int64_t n_local = C == 0 ? 0 : x.numel() / C;
    auto dopts = at::TensorOptions().dtype(at::kDouble).device(x.device());
    auto stats = at::zeros({1 + 2 * C}, dopts);
    if (n_local > 0) {
      auto mean_l = x.mean(dims);
      auto xc = x - mean_l.view(bshape);
      auto m2_l = (xc * xc).sum(dims).to(at::kDouble);
      auto mean_d = mean_l.to(at::kDouble);
      stats.narrow(0, 0, 1).fill_(static_cast<double>(n_local));
      stats.narrow(0, 1, C).copy_(mean_d * static_cast<double>(n_local));
      stats.narrow(0, 1 + C, C).copy_(m2_l + mean_d * mean_d * static_cast<double>(n_local));
    }
    all_reduce(g, {stats}, SNN_DIST_SUM)->wait();
    const double n = stats[0].item<double>();
    if (n < 1) g->fail(operation, "no rank has any sample (the global batch is empty)");
    auto mean_d = stats.narrow(0, 1, C) / n;
    auto var_d = (stats.narrow(0, 1 + C, C) / n - mean_d * mean_d).clamp_min(0.0);
    auto invstd_d = (var_d + eps).rsqrt();
    if (running_mean.defined()) running_mean.mul_(1.0 - momentum).add_(mean_d.to(running_mean.scalar_type()), momentum);
    if (running_var.defined()) {
      auto unbiased = n > 1 ? var_d * (n / (n - 1)) : var_d;
      running_var.mul_(1.0 - momentum).add_(unbiased.to(running_var.scalar_type()), momentum);
    }
    auto mean = mean_d.to(x.scalar_type());
    auto invstd = invstd_d.to(x.scalar_type());
    auto y = (x - mean.view(bshape)) * invstd.view(bshape);
    if (weight.defined()) y = y * weight.view(bshape);
    if (bias.defined()) y = y + bias.view(bshape);
    ctx->save_for_backward({x, weight, mean, invstd});
    ctx->saved_data["n"] = n;
    ctx->saved_data["cdim"] = cdim;
    ctx->saved_data["has_bias"] = bias.defined();
    ctx->saved_data["group"] = at::IValue::make_capsule(g);
    return {y};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto g = c10::static_intrusive_pointer_cast<Group>(ctx->saved_data["group"].toCapsule());
    auto saved = ctx->get_saved_variables();
    auto x = saved[0], weight = saved[1], mean = saved[2], invstd = saved[3];
    const double n = ctx->saved_data["n"].toDouble();
    const int64_t cdim = ctx->saved_data["cdim"].toInt();
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    auto dy = grads[0];
    const int64_t C = x.size(cdim);
    const auto [dims, bshape] = channel_layout(x, cdim);
    if (!dy.defined()) dy = at::zeros_like(x);
    auto xhat = (x - mean.view(bshape)) * invstd.view(bshape);
    auto sum_dy = dy.sum(dims);
    auto sum_dy_xhat = (dy * xhat).sum(dims);
    at::Tensor dx;
    // Every rank runs the same graph, so all of them reach this all-reduce, or none does.
    if (ctx->needs_input_grad(0)) {
      auto packed = at::cat({sum_dy, sum_dy_xhat}).to(at::kDouble);
      all_reduce(g, {packed}, SNN_DIST_SUM)->wait();
      auto mean_dy = (packed.narrow(0, 0, C) / n).to(x.scalar_type());
      auto mean_dy_xhat = (packed.narrow(0, C, C) / n).to(x.scalar_type());
      auto scale = weight.defined() ? invstd * weight : invstd;
      dx = (dy - mean_dy.view(bshape) - xhat * mean_dy_xhat.view(bshape)) * scale.view(bshape);
    }
    at::Tensor dw = weight.defined() ? sum_dy_xhat : at::Tensor();
    at::Tensor db = has_bias ? sum_dy : at::Tensor();
    return {dx, dw, db, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

extern "C" {

SNN_API int snn_dist_backend_available(int backend, int* out) {
  SNN_GUARD({
    snn::require_out(out);
    *out = 0;
#ifdef USE_C10D_GLOO
    if (backend == SNN_DIST_GLOO) *out = 1;
#endif
#ifdef USE_C10D_NCCL
    if (backend == SNN_DIST_NCCL) *out = 1;
#endif
  })
}

SNN_API int snn_pg_create_tcp(int backend, const char* host, int port, int rank, int world_size, int64_t timeout_ms,
                              const char* bind_host, snn_pg* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (host == nullptr || *host == '\0') throw std::invalid_argument("process-group creation: empty store host");
    const std::string h(host);
    if (port < 0 || port > 65535)
      throw std::invalid_argument("rank " + std::to_string(rank) + ": process-group creation: port " +
                                  std::to_string(port) + " is outside 0..65535");
    auto make_store = [&](Group& g) -> c10::intrusive_ptr<c10d::Store> {
      c10d::TCPStoreOptions o;
      o.port = static_cast<std::uint16_t>(port);
      o.isServer = g.rank == 0;
      o.numWorkers = static_cast<std::size_t>(g.size);
      o.waitWorkers = false;  // meet() waits, and names the ranks that did not come
      o.timeout = g.timeout;
      try {
        return c10::make_intrusive<c10d::TCPStore>(h, o);
      } catch (const std::exception& e) {
        if (g.rank == 0)
          g.fail("rendezvous", "could not host the store on port " + std::to_string(port) +
                                   " (in use by another run or process?): " + reason(e));
        g.fail("rendezvous", "could not reach the store that rank 0 hosts at " + h + ":" + std::to_string(port) +
                                 " within " + seconds(g.timeout) + " (rank 0 not started, refused, or unreachable): " +
                                 reason(e));
      }
    };
    std::string bind = bind_host != nullptr ? bind_host : "";
    if (bind.empty() && is_loopback(h)) bind = "127.0.0.1";
    auto g = create(backend, rank, world_size, timeout_ms, "tcp " + h + ":" + std::to_string(port), make_store, bind);
    *out = reinterpret_cast<snn_pg>(new GroupPtr(std::move(g)));
  })
}

SNN_API int snn_pg_create_file(int backend, const char* path, int rank, int world_size, int64_t timeout_ms,
                               const char* bind_host, snn_pg* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (path == nullptr || *path == '\0') throw std::invalid_argument("process-group creation: empty store path");
    const std::string p(path);
    auto make_store = [&](Group& g) -> c10::intrusive_ptr<c10d::Store> {
      auto s = c10::make_intrusive<c10d::FileStore>(p, g.size);
      s->setTimeout(g.timeout);
      return s;
    };
    auto g = create(backend, rank, world_size, timeout_ms, "file " + p, make_store, bind_host != nullptr ? bind_host : "");
    *out = reinterpret_cast<snn_pg>(new GroupPtr(std::move(g)));
  })
}

SNN_API int snn_pg_free(snn_pg pg) {
  SNN_GUARD({
    if (pg != nullptr) {
      auto* p = reinterpret_cast<GroupPtr*>(pg);
      {
        // Shut the backend down now (its destructor finishes queued work, bounded by the timeout); an
        // autograd graph that still holds the group then fails cleanly instead of using a dead backend.
        std::lock_guard<std::mutex> lock((*p)->mutex);
        (*p)->coll.reset();
        (*p)->store.reset();
      }
      delete p;
    }
  })
}

SNN_API int snn_pg_info(snn_pg pg, int* rank, int* world_size, int* backend) {
  SNN_GUARD({
    auto& g = group_of(pg);
    if (rank != nullptr) *rank = g->rank;
    if (world_size != nullptr) *world_size = g->size;
    if (backend != nullptr) *backend = g->backend;
  })
}

SNN_API int snn_pg_all_reduce(snn_pg pg, const snn_tensor* ts, int n, int op, snn_work* work) {
  SNN_GUARD({
    auto& g = group_of(pg);
    complete(all_reduce(g, tensors_of(ts, n), op), work);
  })
}

SNN_API int snn_pg_broadcast(snn_pg pg, const snn_tensor* ts, int n, int root, snn_work* work) {
  SNN_GUARD({
    auto& g = group_of(pg);
    auto tensors = tensors_of(ts, n);
    const std::string operation = "broadcast from rank " + std::to_string(root) + " of " + describe(tensors);
    if (root < 0 || root >= g->size)
      g->fail(operation, "root rank " + std::to_string(root) + " is outside 0.." + std::to_string(g->size - 1));
    c10d::BroadcastOptions o;
    o.rootRank = root;
    o.rootTensor = 0;
    o.timeout = g->timeout;
    auto gp = g;
    complete(run_collective(g, operation, std::move(tensors), [gp, o](std::vector<at::Tensor>& one) { return gp->coll->broadcast(one, o); }, nullptr),
             work);
  })
}

SNN_API int snn_pg_barrier(snn_pg pg, snn_work* work) {
  SNN_GUARD({
    auto& g = group_of(pg);
    auto p = std::make_unique<Pending>();
    p->group = g;
    p->operation = "barrier";
    {
      std::lock_guard<std::mutex> lock(g->mutex);
      c10d::BarrierOptions o;
      o.timeout = g->timeout;
      p->works.push_back(within(*g, "barrier", [&] { return g->live("barrier").barrier(o); }));
    }
    complete(std::move(p), work);
  })
}

SNN_API int snn_work_wait(snn_work work) {
  SNN_GUARD({
    if (work == nullptr) throw std::invalid_argument("null work handle");
    reinterpret_cast<Pending*>(work)->wait();
  })
}

SNN_API int snn_work_is_completed(snn_work work, int* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (work == nullptr) throw std::invalid_argument("null work handle");
    *out = reinterpret_cast<Pending*>(work)->completed() ? 1 : 0;
  })
}

SNN_API int snn_work_free(snn_work work) { SNN_GUARD(delete reinterpret_cast<Pending*>(work)) }

SNN_API int snn_sync_batch_norm(snn_pg pg, snn_tensor x, int64_t channel_dim, snn_tensor weight, snn_tensor bias,
                                snn_tensor running_mean, snn_tensor running_var, double momentum, double eps,
                                snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto& g = group_of(pg);
    auto& xt = unwrap(x);
    const std::string operation = "sync batch norm";
    if (channel_dim < 0 || channel_dim >= xt.dim())
      g->fail(operation, "channel dim " + std::to_string(channel_dim) + " is outside the input's " +
                             std::to_string(xt.dim()) + " dims");
    if (!at::isFloatingType(xt.scalar_type()))
      g->fail(operation, std::string("expects a floating-point input, got ") + c10::toString(xt.scalar_type()));
    const int64_t C = xt.size(channel_dim);
    auto check = [&](snn_tensor h, const char* what) {
      if (h == nullptr) return at::Tensor();
      auto& t = unwrap(h, what);
      if (t.dim() != 1 || t.size(0) != C)
        g->fail(operation, std::string(what) + " must have shape [" + std::to_string(C) + "] (one value per channel)");
      return t;
    };
    auto w = check(weight, "weight"), b = check(bias, "bias");
    auto rm = check(running_mean, "running mean"), rv = check(running_var, "running variance");
    auto ys = SyncBatchNormFunction::apply(xt, w, b, rm, rv, channel_dim, momentum, eps, g);
    *out = snn::wrap(ys[0]);
  })
}

SNN_API int snn_tensor_set_grad(snn_tensor t, snn_tensor grad) {
  SNN_GUARD({
    auto& x = unwrap(t);
    if (grad == nullptr) {
      x.mutable_grad().reset();
    } else {
      auto& gr = unwrap(grad, "gradient");
      if (gr.sizes() != x.sizes() || gr.scalar_type() != x.scalar_type() || gr.device() != x.device())
        throw std::invalid_argument("set_grad: the gradient must match the tensor's shape, dtype and device");
      x.mutable_grad() = gr.detach();
    }
  })
}

}  // extern "C"
