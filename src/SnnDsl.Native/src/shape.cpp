// Views and shape manipulation.
#include "shim.h"

using snn::dims_of;
using snn::unwrap;

namespace {
std::vector<at::Tensor> tensor_list(const snn_tensor* ts, int n) {
  if (n <= 0) throw std::invalid_argument("expected at least one tensor, got none");
  if (ts == nullptr) throw std::invalid_argument("null tensor array");
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v.push_back(unwrap(ts[i]));
  return v;
}
}  // namespace

extern "C" {

SNN_API int snn_reshape(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).reshape(dims_of(dims, ndim)))
}

SNN_API int snn_view(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).view(dims_of(dims, ndim)))
}

SNN_API int snn_permute(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).permute(dims_of(dims, ndim)))
}

SNN_API int snn_transpose(snn_tensor t, int64_t dim0, int64_t dim1, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).transpose(dim0, dim1))
}

SNN_API int snn_squeeze(snn_tensor t, int64_t dim, int all_dims, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, all_dims ? unwrap(t).squeeze() : unwrap(t).squeeze(dim))
}

SNN_API int snn_unsqueeze(snn_tensor t, int64_t dim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).unsqueeze(dim))
}

SNN_API int snn_flatten(snn_tensor t, int64_t start_dim, int64_t end_dim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).flatten(start_dim, end_dim))
}

SNN_API int snn_expand(snn_tensor t, const int64_t* dims, int ndim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).expand(dims_of(dims, ndim)))
}

SNN_API int snn_narrow(snn_tensor t, int64_t dim, int64_t start, int64_t length, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).narrow(dim, start, length))
}

SNN_API int snn_slice(snn_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, snn_tensor* out) {
  SNN_GUARD({
    snn::require_out(out);
    if (step < 1) throw std::invalid_argument("slice step must be positive, got " + std::to_string(step));
    *out = snn::wrap(unwrap(t).slice(dim, start, end, step));
  })
}

SNN_API int snn_select(snn_tensor t, int64_t dim, int64_t index, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).select(dim, index))
}

SNN_API int snn_index_select(snn_tensor t, int64_t dim, snn_tensor index, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, unwrap(t).index_select(dim, unwrap(index, "index")))
}

SNN_API int snn_cat(const snn_tensor* ts, int n, int64_t dim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::cat(tensor_list(ts, n), dim))
}

SNN_API int snn_stack(const snn_tensor* ts, int n, int64_t dim, snn_tensor* out) {
  SNN_RETURN_TENSOR(out, at::stack(tensor_list(ts, n), dim))
}

SNN_API int snn_split(snn_tensor t, int64_t split_size, int64_t dim, snn_tensor* outs, int cap, int* count) {
  SNN_GUARD({
    if (split_size < 1) throw std::invalid_argument("split size must be positive, got " + std::to_string(split_size));
    return snn::write_tensors(unwrap(t).split(split_size, dim), outs, cap, count);
  })
}

SNN_API int snn_chunk(snn_tensor t, int64_t chunks, int64_t dim, snn_tensor* outs, int cap, int* count) {
  SNN_GUARD({
    if (chunks < 1) throw std::invalid_argument("chunk count must be positive, got " + std::to_string(chunks));
    return snn::write_tensors(unwrap(t).chunk(chunks, dim), outs, cap, count);
  })
}

SNN_API int snn_unbind(snn_tensor t, int64_t dim, snn_tensor* outs, int cap, int* count) {
  SNN_GUARD(return snn::write_tensors(unwrap(t).unbind(dim), outs, cap, count))
}

}  // extern "C"
