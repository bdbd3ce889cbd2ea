// Reductions over all elements or over chosen dimensions.
#include "shim.h"

using snn::unwrap;

extern "C" {

SNN_API int snn_sum(snn_tensor t, const int64_t* dims, int ndims, int keepdim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, ndims == 0 ? unwrap(t).sum() : unwrap(t).sum(snn::dims_of(dims, ndims), keepdim != 0))
}

SNN_API int snn_mean(snn_tensor t, const int64_t* dims, int ndims, int keepdim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, ndims == 0 ? unwrap(t).mean() : unwrap(t).mean(snn::dims_of(dims, ndims), keepdim != 0))
}

SNN_API int snn_max_all(snn_tensor t, snn_tensor* out) { SNN_RETURN_TENSOR(out, unwrap(t).max()) }

SNN_API int snn_min_all(snn_tensor t, snn_tensor* out) { SNN_RETURN_TENSOR(out, unwrap(t).min()) }

SNN_API int snn_max_dim(snn_tensor t, int64_t dim, int keepdim, snn_tensor* values, snn_tensor* indices) {
  SNN_GUARD({
    snn::require_out(values);
    snn::require_out(indices);
    auto r = unwrap(t).max(dim, keepdim != 0);
    *values = snn::wrap(std::get<0>(r));
    *indices = snn::wrap(std::get<1>(r));
  })
}

SNN_API int snn_argmax(snn_tensor t, int64_t dim, int has_dim, int keepdim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, has_dim ? unwrap(t).argmax(dim, keepdim != 0) : unwrap(t).argmax())
}

SNN_API int snn_norm(snn_tensor t, double p, snn_tensor* out) { SNN_RETURN_TENSOR(out, unwrap(t).norm(p)) }

}  // extern "C"
