// Indexing ops: Gather, GatherElements, GatherND, ScatterElements, ScatterND,
// OneHot and Trilu.
//
// Index policy. Negative indices count from the end of their dimension, as
// ONNX says. ONNX leaves out-of-range indices undefined; qeff never reads or
// writes out of bounds: every index of Gather, GatherElements, GatherND,
// ScatterElements and ScatterND is checked (and wrapped) into the workspace
// before any output byte is written, and one outside [-dim, dim) makes run()
// throw qeff::Error QEFF_E_INVALID_ARGUMENT naming the node, the index and the
// dimension size (the runtime reports it as the failure of the step). OneHot's
// out-of-range indices give a row of off values, as ONNX defines.
//
// Scatter with duplicate indices applies the updates in index order (the last
// one wins for reduction "none"), serially, so results are deterministic.
#include <algorithm>

#include "common/dtype.hpp"
#include "ops/generic_util.hpp"

namespace qeff::ops::generic {
namespace {

void check_index_type(const OpCtx &c, size_t i) {
  if (c.dtype(i) != QEFF_DTYPE_I32 && c.dtype(i) != QEFF_DTYPE_I64)
    c.fail(QEFF_E_FORMAT, c.input_label(i) + " must be int32 or int64, not " + dtype_name(c.dtype(i)));
}

// ---- Gather ---------------------------------------------------------------------

struct GatherPlan {
  Dims out;
  int64_t axis, outer, dim, inner, nidx;
};

GatherPlan gather_plan(const OpCtx &c) {
  c.need_inputs(2, 2);
  check_index_type(c, 1);
  const Dims d = c.dims(0), idx = c.dims(1);
  GatherPlan p;
  p.axis = c.axis(c.attr_int("axis", 0), static_cast<int64_t>(d.size()), "attribute 'axis'");
  p.out.assign(d.begin(), d.begin() + p.axis);
  p.out.insert(p.out.end(), idx.begin(), idx.end());
  p.out.insert(p.out.end(), d.begin() + p.axis + 1, d.end());
  p.outer = dims_numel(Dims(d.begin(), d.begin() + p.axis));
  p.dim = d[p.axis];
  p.inner = dims_numel(Dims(d.begin() + p.axis + 1, d.end()));
  p.nidx = dims_numel(idx);
  return p;
}

std::vector<graph::TensorType> gather_infer(const InferContext &ic) {
  OpCtx c(ic);
  elem_bytes(c.node, c.dtype(0));
  return {make_type(c.dtype(0), gather_plan(c).out)};
}

std::unique_ptr<Kernel> gather_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const GatherPlan p = gather_plan(c);
  const size_t width = elem_bytes(c.node, c.dtype(0));
  const qeff_dtype it = c.dtype(1);
  const std::string label = node_label(c.node);
  return make_kernel(
      [p, width, it, label](const RunArgs &a) {
        int64_t *idx = static_cast<int64_t *>(a.workspace);
        load_indices(label, it, a.inputs[1], p.nidx, {p.dim}, idx);
        const int64_t row = p.inner * static_cast<int64_t>(width);
        const char *x = static_cast<const char *>(a.inputs[0]);
        char *y = static_cast<char *>(a.outputs[0]);
        parallel_range(a.parallel, p.outer * p.nidx, std::max<int64_t>(p.inner, 1), [&](int64_t b, int64_t e) {
          for (int64_t t = b; t < e; ++t) {
            const int64_t o = t / p.nidx, i = t % p.nidx;
            std::memcpy(y + t * row, x + (o * p.dim + idx[i]) * row, static_cast<size_t>(row));
          }
        });
      },
      static_cast<uint64_t>(p.nidx) * sizeof(int64_t));
}

// ---- GatherElements / ScatterElements ----------------------------------------------

// Walks the index tensor's shape over the data's strides with the axis stride
// zeroed: the data offset of index element t is walk offset + index * stride[axis].
struct ElementsPlan {
  Walk walk;
  int64_t dim, axis_stride, n;
};

ElementsPlan elements_plan(const OpCtx &c, size_t updates) {
  check_index_type(c, 1);
  const Dims d = c.dims(0), idx = c.dims(1);
  const int64_t axis = c.axis(c.attr_int("axis", 0), static_cast<int64_t>(d.size()), "attribute 'axis'");
  if (idx.size() != d.size())
    c.fail(QEFF_E_FORMAT, "indices " + dims_str(idx) + " must have the rank of data " + dims_str(d));
  for (size_t i = 0; i < d.size(); ++i)
    if (static_cast<int64_t>(i) != axis && idx[i] > d[i])
      c.fail(QEFF_E_FORMAT, "indices " + dims_str(idx) + " exceed data " + dims_str(d) + " on axis " + std::to_string(i));
  if (updates != 0 && c.dims(updates) != idx)
    c.fail(QEFF_E_FORMAT, "updates " + dims_str(c.dims(updates)) + " must have the shape of indices " + dims_str(idx));
  Dims st = contiguous_strides(d);
  const int64_t axis_stride = st[axis];
  st[axis] = 0;
  return {Walk::strided(idx, st, 0), d[axis], axis_stride, dims_numel(idx)};
}

std::vector<graph::TensorType> gather_elements_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(2, 2);
  elements_plan(c, 0);
  elem_bytes(c.node, c.dtype(0));
  return {make_type(c.dtype(0), c.dims(1))};
}

std::unique_ptr<Kernel> gather_elements_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const ElementsPlan p = elements_plan(c, 0);
  const qeff_dtype it = c.dtype(1);
  const std::string label = node_label(c.node);
  std::unique_ptr<Kernel> k;
  dispatch_width(c.node, c.dtype(0), [&](auto tag) {
    using U = typename decltype(tag)::type;
    k = make_kernel(
        [p, it, label](const RunArgs &a) {
          int64_t *idx = static_cast<int64_t *>(a.workspace);
          load_indices(label, it, a.inputs[1], p.n, {p.dim}, idx);
          const U *x = static_cast<const U *>(a.inputs[0]);
          U *y = static_cast<U *>(a.outputs[0]);
          const int64_t s = p.walk.inner_stride(0);
          parallel_range(a.parallel, p.n, 1, [&](int64_t b, int64_t e) {
            p.walk.runs(b, e, [&](int64_t o, int64_t n, const auto &off) {
              for (int64_t j = 0; j < n; ++j) y[o + j] = x[off[0] + j * s + idx[o + j] * p.axis_stride];
            });
          });
        },
        static_cast<uint64_t>(p.n) * sizeof(int64_t));
  });
  return k;
}

// Scatter reductions (none from opset 11, add/mul from 16, max/min from 18).
enum class Reduction { none, add, mul, max, min };

Reduction reduction_of(const OpCtx &c) {
  const std::string r = c.attr_string("reduction", "none");
  if (r == "none") return Reduction::none;
  if (r == "add" && c.opset >= 16) return Reduction::add;
  if (r == "mul" && c.opset >= 16) return Reduction::mul;
  if (r == "max" && c.opset >= 18) return Reduction::max;
  if (r == "min" && c.opset >= 18) return Reduction::min;
  c.fail(QEFF_E_FORMAT, "attribute 'reduction' is " + quote(r) + ", which opset " + std::to_string(c.opset) +
                            " does not define");
}

template <class T>
void reduce_into(Reduction r, T &dst, T v) {
  switch (r) {
    case Reduction::none: dst = v; return;
    case Reduction::add:
      if constexpr (std::is_integral_v<T>) dst = static_cast<T>(static_cast<uint64_t>(dst) + static_cast<uint64_t>(v));
      else dst = dst + v;
      return;
    case Reduction::mul:
      if constexpr (std::is_integral_v<T>) dst = static_cast<T>(static_cast<uint64_t>(dst) * static_cast<uint64_t>(v));
      else dst = dst * v;
      return;
    case Reduction::max: dst = std::max(dst, v); return;
    case Reduction::min: dst = std::min(dst, v); return;
  }
}

// Typed dispatch for scatters: reductions need arithmetic types, "none" only
// moves bits (any width).
template <class F>
void scatter_dispatch(const OpCtx &c, Reduction r, F &&f) {
  if (r == Reduction::none) dispatch_width(c.node, c.dtype(0), f);
  else dispatch(NumericTypes{}, c.dtype(0), c.node, f);
}

std::vector<graph::TensorType> scatter_elements_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(3, 3);
  c.match_dtype(0, 2);
  elements_plan(c, 2);
  scatter_dispatch(c, reduction_of(c), [](auto) {});
  return {c.type(0)};
}

std::unique_ptr<Kernel> scatter_elements_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const ElementsPlan p = elements_plan(c, 2);
  const Reduction red = reduction_of(c);
  const qeff_dtype it = c.dtype(1);
  const uint64_t bytes = static_cast<uint64_t>(dims_numel(c.dims(0))) * elem_bytes(c.node, c.dtype(0));
  const std::string label = node_label(c.node);
  std::unique_ptr<Kernel> k;
  scatter_dispatch(c, red, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel(
        [p, red, it, bytes, label](const RunArgs &a) {
          int64_t *idx = static_cast<int64_t *>(a.workspace);
          load_indices(label, it, a.inputs[1], p.n, {p.dim}, idx);  // before any write
          if (a.outputs[0] != a.inputs[0] && bytes > 0) std::memmove(a.outputs[0], a.inputs[0], bytes);
          const T *u = static_cast<const T *>(a.inputs[2]);
          T *y = static_cast<T *>(a.outputs[0]);
          const int64_t s = p.walk.inner_stride(0);
          p.walk.runs(0, p.n, [&](int64_t o, int64_t n, const auto &off) {
            for (int64_t j = 0; j < n; ++j) reduce_into(red, y[off[0] + j * s + idx[o + j] * p.axis_stride], u[o + j]);
          });
        },
        static_cast<uint64_t>(p.n) * sizeof(int64_t));
  });
  return k;
}

// ---- GatherND / ScatterND -----------------------------------------------------------

// indices [..., k] address slices of data: batch dims b shared by both,
// tuples of k indices into data dims [b, b + k), slices of data dims [b + k, r).
struct NdPlan {
  Dims out;      // GatherND output / ScatterND updates shape
  Dims bounds;   // data dims b .. b + k - 1
  Dims strides;  // their strides (elements)
  int64_t batches, tuples_per_batch, k, slice, batch_stride;
};

NdPlan nd_plan(const OpCtx &c, int64_t batch_dims) {
  check_index_type(c, 1);
  const Dims d = c.dims(0), idx = c.dims(1);
  const int64_t r = static_cast<int64_t>(d.size()), q = static_cast<int64_t>(idx.size());
  if (q < 1) c.fail(QEFF_E_FORMAT, "indices must have rank >= 1, got " + dims_str(idx));
  const int64_t k = idx.back();
  if (batch_dims < 0 || batch_dims >= std::min(r, q))
    c.fail(QEFF_E_FORMAT, "attribute 'batch_dims' " + std::to_string(batch_dims) + " must be in [0, " +
                              std::to_string(std::min(r, q) - 1) + "] for data " + dims_str(d) + " and indices " +
                              dims_str(idx));
  if (k < 1 || k > r - batch_dims)
    c.fail(QEFF_E_FORMAT, "the last dimension of indices " + dims_str(idx) + " must be in [1, " +
                              std::to_string(r - batch_dims) + "] for data " + dims_str(d));
  for (int64_t i = 0; i < batch_dims; ++i)
    if (d[i] != idx[i])
      c.fail(QEFF_E_FORMAT, "data " + dims_str(d) + " and indices " + dims_str(idx) + " differ in batch dimension " +
                                std::to_string(i));
  const Dims st = contiguous_strides(d);
  NdPlan p;
  p.out.assign(idx.begin(), idx.end() - 1);
  p.out.insert(p.out.end(), d.begin() + batch_dims + k, d.end());
  p.bounds.assign(d.begin() + batch_dims, d.begin() + batch_dims + k);
  p.strides.assign(st.begin() + batch_dims, st.begin() + batch_dims + k);
  p.batches = dims_numel(Dims(d.begin(), d.begin() + batch_dims));
  p.tuples_per_batch = dims_numel(Dims(idx.begin() + batch_dims, idx.end() - 1));
  p.k = k;
  p.slice = dims_numel(Dims(d.begin() + batch_dims + k, d.end()));
  p.batch_stride = batch_dims == 0 ? 0 : st[batch_dims - 1];
  return p;
}

// The data element offset of every tuple (validated), into the workspace.
void nd_offsets(const NdPlan &p, const std::string &label, qeff_dtype it, const void *indices, int64_t *ws) {
  const int64_t tuples = p.batches * p.tuples_per_batch;
  load_indices(label, it, indices, tuples * p.k, p.bounds, ws);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = (t / p.tuples_per_batch) * p.batch_stride;
    for (int64_t j = 0; j < p.k; ++j) off += ws[t * p.k + j] * p.strides[j];
    ws[t] = off;  // t <= t * k: never overwrites an unread component
  }
}

std::vector<graph::TensorType> gather_nd_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(2, 2);
  elem_bytes(c.node, c.dtype(0));
  return {make_type(c.dtype(0), nd_plan(c, c.attr_int("batch_dims", 0)).out)};
}

std::unique_ptr<Kernel> gather_nd_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const NdPlan p = nd_plan(c, c.attr_int("batch_dims", 0));
  const int64_t width = static_cast<int64_t>(elem_bytes(c.node, c.dtype(0)));
  const qeff_dtype it = c.dtype(1);
  const std::string label = node_label(c.node);
  return make_kernel(
      [p, width, it, label](const RunArgs &a) {
        int64_t *off = static_cast<int64_t *>(a.workspace);
        nd_offsets(p, label, it, a.inputs[1], off);
        const char *x = static_cast<const char *>(a.inputs[0]);
        char *y = static_cast<char *>(a.outputs[0]);
        const int64_t row = p.slice * width;
        parallel_range(a.parallel, p.batches * p.tuples_per_batch, std::max<int64_t>(p.slice, 1),
                       [&](int64_t b, int64_t e) {
                         for (int64_t t = b; t < e; ++t)
                           std::memcpy(y + t * row, x + off[t] * width, static_cast<size_t>(row));
                       });
      },
      static_cast<uint64_t>(p.batches * p.tuples_per_batch * p.k) * sizeof(int64_t));
}

std::vector<graph::TensorType> scatter_nd_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(3, 3);
  c.match_dtype(0, 2);
  const NdPlan p = nd_plan(c, 0);
  if (c.dims(2) != p.out)
    c.fail(QEFF_E_FORMAT, "updates " + dims_str(c.dims(2)) + " must have shape " + dims_str(p.out) + " for data " +
                              dims_str(c.dims(0)) + " and indices " + dims_str(c.dims(1)));
  scatter_dispatch(c, reduction_of(c), [](auto) {});
  return {c.type(0)};
}

std::unique_ptr<Kernel> scatter_nd_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const NdPlan p = nd_plan(c, 0);
  const Reduction red = reduction_of(c);
  const qeff_dtype it = c.dtype(1);
  const uint64_t bytes = static_cast<uint64_t>(dims_numel(c.dims(0))) * elem_bytes(c.node, c.dtype(0));
  const std::string label = node_label(c.node);
  std::unique_ptr<Kernel> k;
  scatter_dispatch(c, red, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel(
        [p, red, it, bytes, label](const RunArgs &a) {
          int64_t *off = static_cast<int64_t *>(a.workspace);
          nd_offsets(p, label, it, a.inputs[1], off);  // before any write
          if (a.outputs[0] != a.inputs[0] && bytes > 0) std::memmove(a.outputs[0], a.inputs[0], bytes);
          const T *u = static_cast<const T *>(a.inputs[2]);
          T *y = static_cast<T *>(a.outputs[0]);
          for (int64_t t = 0; t < p.tuples_per_batch; ++t)
            for (int64_t j = 0; j < p.slice; ++j) reduce_into(red, y[off[t] + j], u[t * p.slice + j]);
        },
        static_cast<uint64_t>(p.tuples_per_batch * p.k) * sizeof(int64_t));
  });
  return k;
}

// ---- OneHot -----------------------------------------------------------------------

struct OneHotPlan {
  Dims out;
  int64_t depth, outer, inner;
};

OneHotPlan one_hot_plan(const OpCtx &c) {
  c.need_inputs(3, 3);
  const Dims idx = c.dims(0);
  const TensorView &dv = c.constant(1, "depth");
  if (dv.numel() != 1) c.fail(QEFF_E_FORMAT, c.input_label(1) + " 'depth' must have one element");
  const double depth = load_double(dv.dtype, dv.data, 0);
  if (!(depth >= 1 && depth < 9.0e15))
    c.fail(QEFF_E_FORMAT, c.input_label(1) + " 'depth' is " + std::to_string(depth) + "; it must be positive");
  if (dims_numel(c.dims(2)) != 2)
    c.fail(QEFF_E_FORMAT, c.input_label(2) + " 'values' must hold [off, on], got shape " + dims_str(c.dims(2)));
  const int64_t r = static_cast<int64_t>(idx.size());
  const int64_t axis = c.axis(c.attr_int("axis", -1), r + 1, "attribute 'axis'");
  OneHotPlan p{idx, static_cast<int64_t>(depth), dims_numel(Dims(idx.begin(), idx.begin() + axis)),
               dims_numel(Dims(idx.begin() + axis, idx.end()))};
  p.out.insert(p.out.begin() + axis, p.depth);
  return p;
}

std::vector<graph::TensorType> one_hot_infer(const InferContext &ic) {
  OpCtx c(ic);
  const OneHotPlan p = one_hot_plan(c);
  dispatch(NumericTypes{}, c.dtype(0), c.node, [](auto) {}, "indices");
  elem_bytes(c.node, c.dtype(2));
  return {make_type(c.dtype(2), p.out)};
}

std::unique_ptr<Kernel> one_hot_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const OneHotPlan p = one_hot_plan(c);
  const qeff_dtype it = c.dtype(0);
  std::unique_ptr<Kernel> k;
  dispatch_width(c.node, c.dtype(2), [&](auto tag) {
    using U = typename decltype(tag)::type;
    k = make_kernel([p, it](const RunArgs &a) {
      const U off = static_cast<const U *>(a.inputs[2])[0], on = static_cast<const U *>(a.inputs[2])[1];
      U *y = static_cast<U *>(a.outputs[0]);
      std::fill_n(y, p.outer * p.depth * p.inner, off);
      for (int64_t o = 0; o < p.outer; ++o)
        for (int64_t i = 0; i < p.inner; ++i) {
          double v = load_double(it, a.inputs[0], o * p.inner + i);
          if (!(v >= -static_cast<double>(p.depth) && v < static_cast<double>(p.depth))) continue;  // off row
          int64_t d = static_cast<int64_t>(v);
          if (d < 0) d += p.depth;
          y[(o * p.depth + d) * p.inner + i] = on;
        }
    });
  });
  return k;
}

// ---- Trilu ------------------------------------------------------------------------

std::vector<graph::TensorType> trilu_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(1, 2);
  if (c.rank(0) < 2) c.fail(QEFF_E_FORMAT, "input must have rank >= 2, got " + dims_str(c.dims(0)));
  if (c.has(1)) {
    check_index_type(c, 1);
    if (dims_numel(c.dims(1)) != 1) c.fail(QEFF_E_FORMAT, c.input_label(1) + " 'k' must be a scalar");
  }
  c.attr_bool("upper", true);
  elem_bytes(c.node, c.dtype(0));
  return {c.type(0)};
}

std::unique_ptr<Kernel> trilu_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const Dims d = c.dims(0);
  const int64_t rows = d[d.size() - 2], cols = d.back(), mats = dims_numel(d) / std::max<int64_t>(rows * cols, 1);
  const bool upper = c.attr_bool("upper", true), has_k = c.has(1);
  const qeff_dtype kt = has_k ? c.dtype(1) : QEFF_DTYPE_I64;
  std::unique_ptr<Kernel> k;
  dispatch_width(c.node, c.dtype(0), [&](auto tag) {
    using U = typename decltype(tag)::type;
    k = make_kernel([=](const RunArgs &a) {
      const int64_t kk = has_k && a.inputs[1] != nullptr ? load_int(kt, a.inputs[1], 0) : 0;
      const U *x = static_cast<const U *>(a.inputs[0]);
      U *y = static_cast<U *>(a.outputs[0]);
      parallel_range(a.parallel, mats * rows, cols, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const int64_t i = t % rows;
          for (int64_t j = 0; j < cols; ++j) {
            // Keep j - i >= k (upper) or j - i <= k (lower); compared without
            // overflow for any k.
            const int64_t diff = j - i;
            const bool keep = upper ? diff >= kk : diff <= kk;
            y[t * cols + j] = keep ? x[t * cols + j] : U(0);
          }
        }
      });
    });
  });
  return k;
}

}  // namespace

std::vector<OpDef> indexing_ops() {
  return {
      {"", "Gather", &gather_infer, &gather_prepare, kNone},
      {"", "GatherElements", &gather_elements_infer, &gather_elements_prepare, kNone},
      {"", "GatherND", &gather_nd_infer, &gather_nd_prepare, kNone},
      {"", "ScatterElements", &scatter_elements_infer, &scatter_elements_prepare, kInPlace},
      {"", "ScatterND", &scatter_nd_infer, &scatter_nd_prepare, kInPlace},
      {"", "OneHot", &one_hot_infer, &one_hot_prepare, kNone},
      {"", "Trilu", &trilu_infer, &trilu_prepare, kInPlace},
  };
}

}  // namespace qeff::ops::generic
