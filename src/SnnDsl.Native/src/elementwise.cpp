// Elementwise arithmetic, math and comparisons, plus the in-place updates optimisers need.
#include <ATen/ScalarOps.h>
#include <ATen/core/grad_mode.h>  // at::NoGradGuard (libtorch 2.6's ATen/ATen.h does not include it)
#include "shim.h"

using snn::unwrap;

namespace {

at::Tensor binary(int op, const at::Tensor& a, const at::Tensor& b) {
  switch (op) {
    case SNN_ADD: return at::add(a, b);
    case SNN_SUB: return at::sub(a, b);
    case SNN_MUL: return at::mul(a, b);
    case SNN_DIV: return at::div(a, b);
    case SNN_POW: return at::pow(a, b);
    case SNN_MAXIMUM: return at::maximum(a, b);
    case SNN_MINIMUM: return at::minimum(a, b);
    case SNN_EQ: return at::eq(a, b);
    case SNN_NE: return at::ne(a, b);
    case SNN_LT: return at::lt(a, b);
    case SNN_LE: return at::le(a, b);
    case SNN_GT: return at::gt(a, b);
    case SNN_GE: return at::ge(a, b);
    case SNN_LOGICAL_AND: return at::logical_and(a, b);
    case SNN_LOGICAL_OR: return at::logical_or(a, b);
    case SNN_REMAINDER: return at::remainder(a, b);
    case SNN_ATAN2: return at::atan2(a, b);
    default: throw std::invalid_argument("unknown binary op code " + std::to_string(op));
  }
}

// A scalar operand as a "wrapped number" (a 0-dim CPU double tensor marked the way libtorch marks Python
// scalars), so that every binary op (maximum, atan2, comparisons, ...) takes scalars without a dedicated
// overload and type promotion treats it as a scalar: it never widens a float tensor's dtype, and it is not
// truncated against an integer tensor (int_tensor < 2.5 compares with 2.5, 2.5 / int_tensor is float).
at::Tensor scalar_operand(double s) { return at::native::wrapped_scalar_tensor(at::Scalar(s)); }

at::Tensor binary_scalar(int op, const at::Tensor& a, double s) {
  switch (op) {
    case SNN_ADD: return at::add(a, s);
    case SNN_SUB: return at::sub(a, s);
    case SNN_MUL: return at::mul(a, s);
    case SNN_DIV: return at::div(a, s);
    case SNN_POW: return at::pow(a, s);
    default: return binary(op, a, scalar_operand(s));
  }
}

// A comparison written straight into a tensor of the operands' (promoted) dtype, 1 where it holds, else 0:
// a bool result converted with .to() costs about 7x more on CPU (see spike.cpp). No gradient flows through a
// comparison, and out= variants refuse inputs that require one: computed outside the graph.
at::Tensor compare_mask(int op, const at::Tensor& a, const at::Tensor& b) {
  at::NoGradGuard no_grad;
  auto dtype = at::result_type(a, b);
  if (!at::isFloatingType(dtype))
    throw std::invalid_argument(std::string("a comparison mask needs floating-point operands, got ") + c10::toString(dtype));
  auto out = at::empty(at::infer_size(a.sizes(), b.sizes()), a.options().dtype(dtype));
  switch (op) {
    case SNN_LT: at::lt_out(out, a, b); break;
    case SNN_LE: at::le_out(out, a, b); break;
    case SNN_GT: at::gt_out(out, a, b); break;
    case SNN_GE: at::ge_out(out, a, b); break;
    case SNN_EQ: at::eq_out(out, a, b); break;
    case SNN_NE: at::ne_out(out, a, b); break;
    default: throw std::invalid_argument("a comparison mask takes lt, le, gt, ge, eq or ne, got op code " + std::to_string(op));
  }
  return out;
}

at::Tensor unary(int op, const at::Tensor& a) {
  switch (op) {
    case SNN_NEG: return at::neg(a);
    case SNN_ABS: return at::abs(a);
    case SNN_EXP: return at::exp(a);
    case SNN_LOG: return at::log(a);
    case SNN_SQRT: return at::sqrt(a);
    case SNN_TANH: return at::tanh(a);
    case SNN_SIGMOID: return at::sigmoid(a);
    case SNN_RELU: return at::relu(a);
    case SNN_SIN: return at::sin(a);
    case SNN_COS: return at::cos(a);
    case SNN_FLOOR: return at::floor(a);
    case SNN_CEIL: return at::ceil(a);
    case SNN_ROUND: return at::round(a);
    case SNN_SIGN: return at::sign(a);
    case SNN_RECIPROCAL: return at::reciprocal(a);
    case SNN_LOGICAL_NOT: return at::logical_not(a);
    case SNN_ISNAN: return at::isnan(a);
    case SNN_ISFINITE: return at::isfinite(a);
    case SNN_SQUARE: return at::square(a);
    case SNN_LOG1P: return at::log1p(a);
    case SNN_EXPM1: return at::expm1(a);
    case SNN_RSQRT: return at::rsqrt(a);
    case SNN_HEAVISIDE: return at::ge(a, 0).to(a.scalar_type());
    default: throw std::invalid_argument("unknown unary op code " + std::to_string(op));
  }
}

}  // namespace

extern "C" {

SNN_API int snn_binary(int op, snn_tensor a, snn_tensor b, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, binary(op, unwrap(a), unwrap(b)))
}

SNN_API int snn_binary_scalar(int op, snn_tensor a, double s, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, binary_scalar(op, unwrap(a), s))
}

SNN_API int snn_binary_scalar_rev(int op, double s, snn_tensor a, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    auto& x = unwrap(a);
    switch (op) {
      case SNN_ADD: *out = snn::wrap(at::add(x, s)); break;
      case SNN_MUL: *out = snn::wrap(at::mul(x, s)); break;
      case SNN_SUB: *out = snn::wrap(at::rsub(x, s)); break;
      default: *out = snn::wrap(binary(op, scalar_operand(s), x)); break;
    }
  })
}

SNN_API int snn_compare_mask(int op, snn_tensor a, snn_tensor b, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, compare_mask(op, unwrap(a), unwrap(b)))
}

SNN_API int snn_compare_mask_scalar(int op, snn_tensor a, double s, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, compare_mask(op, unwrap(a), scalar_operand(s)))
}

SNN_API int snn_compare_mask_scalar_(int op, snn_tensor a, double s) {
  SNN_GUARD({
    auto& t = unwrap(a);
    at::NoGradGuard no_grad;
    if (!at::isFloatingType(t.scalar_type()))
      throw std::invalid_argument(std::string("a comparison mask needs a floating-point tensor, got ") + c10::toString(t.scalar_type()));
    auto sc = scalar_operand(s);
    switch (op) {
      case SNN_LT: at::lt_out(t, t, sc); break;
      case SNN_LE: at::le_out(t, t, sc); break;
      case SNN_GT: at::gt_out(t, t, sc); break;
      case SNN_GE: at::ge_out(t, t, sc); break;
      case SNN_EQ: at::eq_out(t, t, sc); break;
      case SNN_NE: at::ne_out(t, t, sc); break;
      default: throw std::invalid_argument("a comparison mask takes lt, le, gt, ge, eq or ne, got op code " + std::to_string(op));
    }
  })
}

SNN_API int snn_unary(int op, snn_tensor a, snn_tensor* out) { SNN_RETURN_TENSOR(out, unary(op, unwrap(a))) }

SNN_API int snn_clamp(snn_tensor t, double min, int has_min, double max, int has_max, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (!has_min && !has_max) throw std::invalid_argument("clamp needs at least one of min and max");
    c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(min) : c10::nullopt;
    c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(max) : c10::nullopt;
    *out = snn::wrap(at::clamp(unwrap(t), lo, hi));
  })
}

SNN_API int snn_where(snn_tensor cond, snn_tensor a, snn_tensor b, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::where(unwrap(cond, "condition"), unwrap(a), unwrap(b)))
}

SNN_API int snn_add_(snn_tensor t, snn_tensor other, double alpha) { SNN_GUARD(unwrap(t).add_(unwrap(other), alpha)) }

SNN_API int snn_mul_scalar_(snn_tensor t, double s) { SNN_GUARD(unwrap(t).mul_(s)) }

SNN_API int snn_addcmul_(snn_tensor t, snn_tensor a, snn_tensor b, double value) {
  SNN_GUARD(unwrap(t).addcmul_(unwrap(a), unwrap(b), value))
}

SNN_API int snn_addcdiv_(snn_tensor t, snn_tensor a, snn_tensor b, double value) {
  SNN_GUARD(unwrap(t).addcdiv_(unwrap(a), unwrap(b), value))
}

SNN_API int snn_copy_(snn_tensor dst, snn_tensor src) { SNN_GUARD(unwrap(dst).copy_(unwrap(src))) }

SNN_API int snn_fill_(snn_tensor t, double value) { SNN_GUARD(unwrap(t).fill_(value)) }

SNN_API int snn_uniform_(snn_tensor t, double low, double high) { SNN_GUARD(unwrap(t).uniform_(low, high)) }

SNN_API int snn_normal_(snn_tensor t, double mean, double std) { SNN_GUARD(unwrap(t).normal_(mean, std)) }

}  // extern "C"
