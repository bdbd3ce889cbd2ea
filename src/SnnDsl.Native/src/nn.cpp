// Neural-network functions: matmul, linear, conv2d, batch norm, pooling, dropout, softmax and losses.
#include <torch/csrc/autograd/custom_function.h>
#include "shim.h"

using snn::optional_tensor;
using snn::unwrap;

namespace {
at::IntArrayRef pair_of(const int64_t* p, const char* what) {
  if (p == nullptr) throw std::invalid_argument(std::string("null ") + what + " (expected two values)");
  return at::IntArrayRef(p, 2);
}

int64_t reduction_of(int r) {
  switch (r) {
    case SNN_REDUCE_NONE: return at::Reduction::None;
    case SNN_REDUCE_MEAN: return at::Reduction::Mean;
    case SNN_REDUCE_SUM: return at::Reduction::Sum;
    default: throw std::invalid_argument("unknown reduction code " + std::to_string(r));
  }
}

void require_rank(const at::Tensor& x, int64_t rank, const char* op) {
  if (x.dim() != rank)
    throw std::invalid_argument(std::string(op) + " expects a " + std::to_string(rank) + "-d input, got shape " +
                                c10::str(x.sizes()));
}

// 2x2 average pooling with stride 2 on CPU, as strided adds forward and a nearest upsample backward:
// libtorch 1.13's CPU avg_pool2d kernels for NCHW measured 3-4x slower (12.5 ms forward, 12 ms backward
// for [128, 32, 28, 28] on one thread, against 3.3 ms and 4.9 ms). Same values up to float rounding.
struct AvgPool2x2 : public torch::autograd::Function<AvgPool2x2> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    const int64_t h = x.size(2), w = x.size(3);
    ctx->saved_data["h"] = h;
    ctx->saved_data["w"] = w;
    auto cols = x.slice(3, 0, w, 2) + x.slice(3, 1, w, 2);
    return (cols.slice(2, 0, h, 2) + cols.slice(2, 1, h, 2)).mul_(0.25);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const std::vector<int64_t> size{ctx->saved_data["h"].toInt(), ctx->saved_data["w"].toInt()};
    // An exact 2x upsample: the source index of output i is i / 2 (the scale 0.5 is exact in float).
    auto g = at::upsample_nearest2d(grad_outputs[0], at::IntArrayRef(size), c10::nullopt, c10::nullopt);
    return {g.mul_(0.25)};
  }
};

bool is_tiled_2x2(const at::Tensor& x, at::IntArrayRef k, at::IntArrayRef s, at::IntArrayRef p) {
  return x.dim() == 4 && x.device().is_cpu() && at::isFloatingType(x.scalar_type()) && k[0] == 2 && k[1] == 2 &&
         s[0] == 2 && s[1] == 2 && p[0] == 0 && p[1] == 0 && x.size(2) % 2 == 0 && x.size(3) % 2 == 0 &&
         x.size(2) > 0 && x.size(3) > 0;
}
}  // namespace

extern "C" {

SNN_API int snn_matmul(snn_tensor a, snn_tensor b, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::matmul(unwrap(a), unwrap(b)))
}

SNN_API int snn_linear(snn_tensor x, snn_tensor weight, snn_tensor bias, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::linear(unwrap(x), unwrap(weight, "weight"), optional_tensor(bias)))
}

SNN_API int snn_conv2d(snn_tensor x, snn_tensor weight, snn_tensor bias, const int64_t* stride2,
                       const int64_t* padding2, const int64_t* dilation2, int64_t groups, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto& input = unwrap(x);
    require_rank(input, 4, "conv2d");
    *out = snn::wrap(at::conv2d(input, unwrap(weight, "weight"), optional_tensor(bias), pair_of(stride2, "stride"),
                                pair_of(padding2, "padding"), pair_of(dilation2, "dilation"), groups));
  })
}

SNN_API int snn_batch_norm(snn_tensor x, snn_tensor weight, snn_tensor bias, snn_tensor running_mean,
                           snn_tensor running_var, int training, double momentum, double eps, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto& input = unwrap(x);
    if (input.dim() < 2)
      throw std::invalid_argument("batch_norm expects an input of at least 2 dims [N, C, ...], got shape " +
                                  c10::str(input.sizes()));
    if (!training && (running_mean == nullptr || running_var == nullptr))
      throw std::invalid_argument("batch_norm in eval mode needs running_mean and running_var");
    *out = snn::wrap(at::batch_norm(input, optional_tensor(weight), optional_tensor(bias),
                                    optional_tensor(running_mean), optional_tensor(running_var), training != 0,
                                    momentum, eps, /*cudnn_enabled=*/true));
  })
}

SNN_API int snn_max_pool2d(snn_tensor x, const int64_t* kernel2, const int64_t* stride2, const int64_t* padding2,
                           int ceil_mode, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    const int64_t dilation[2] = {1, 1};
    *out = snn::wrap(at::max_pool2d(unwrap(x), pair_of(kernel2, "kernel"), pair_of(stride2, "stride"),
                                    pair_of(padding2, "padding"), at::IntArrayRef(dilation, 2), ceil_mode != 0));
  })
}

SNN_API int snn_avg_pool2d(snn_tensor x, const int64_t* kernel2, const int64_t* stride2, const int64_t* padding2,
                           int ceil_mode, int count_include_pad, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto& input = unwrap(x);
    auto k = pair_of(kernel2, "kernel"), s = pair_of(stride2, "stride"), p = pair_of(padding2, "padding");
    *out = snn::wrap(is_tiled_2x2(input, k, s, p) ? AvgPool2x2::apply(input)
                                                  : at::avg_pool2d(input, k, s, p, ceil_mode != 0, count_include_pad != 0));
  })
}

SNN_API int snn_adaptive_avg_pool2d(snn_tensor x, const int64_t* output_size2, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::adaptive_avg_pool2d(unwrap(x), pair_of(output_size2, "output size")))
}

SNN_API int snn_dropout(snn_tensor x, double p, int training, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (!(p >= 0.0 && p <= 1.0)) throw std::invalid_argument("dropout probability must be in [0, 1], got " + std::to_string(p));
    *out = snn::wrap(at::dropout(unwrap(x), p, training != 0));
  })
}

SNN_API int snn_softmax(snn_tensor x, int64_t dim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::softmax(unwrap(x), dim))
}

SNN_API int snn_log_softmax(snn_tensor x, int64_t dim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::log_softmax(unwrap(x), dim))
}

SNN_API int snn_cross_entropy(snn_tensor logits, snn_tensor target, int reduction, double label_smoothing,
                              snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
      throw std::invalid_argument("label smoothing must be in [0, 1], got " + std::to_string(label_smoothing));
    auto& y = unwrap(target, "target");
    if (y.scalar_type() != at::kLong)
      throw std::invalid_argument(std::string("cross_entropy expects int64 class indices as target, got ") +
                                  c10::toString(y.scalar_type()));
    *out = snn::wrap(at::cross_entropy_loss(unwrap(logits), y, c10::nullopt, reduction_of(reduction), -100,
                                            label_smoothing));
  })
}

SNN_API int snn_mse_loss(snn_tensor input, snn_tensor target, int reduction, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::mse_loss(unwrap(input), unwrap(target, "target"), reduction_of(reduction)))
}

SNN_API int snn_one_hot(snn_tensor indices, int64_t num_classes, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::one_hot(unwrap(indices), num_classes))
}

}  // extern "C"
