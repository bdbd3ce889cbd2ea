// Backward passes and gradient access.
#include "shim.h"

using snn::unwrap;

extern "C" {

SNN_API int snn_backward(snn_tensor t, snn_tensor grad, int retain_graph) {
  SNN_GUARD({
    auto& x = unwrap(t);
    if (!x.requires_grad())
      throw std::invalid_argument("backward() on a tensor that does not require grad (no parameter it depends on "
                                  "requires grad, or it was computed in a no-grad scope)");
    at::Tensor g = grad == nullptr ? at::Tensor() : unwrap(grad, "gradient");
    x.backward(g, retain_graph != 0);
  })
}

SNN_API int snn_grad(snn_tensor t, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    const auto& g = unwrap(t).grad();
    *out = g.defined() ? snn::wrap(g) : nullptr;
  })
}

SNN_API int snn_zero_grad(snn_tensor t, int set_to_none) {
  SNN_GUARD({
    auto& g = unwrap(t).mutable_grad();
    if (g.defined()) {
      if (set_to_none) {
        g.reset();
      } else {
        g.detach_();
        g.zero_();
      }
    }
  })
}

}  // extern "C"
