// Data movement: Transpose, Slice, Expand and Tile (each one strided copy
// through Walk: permuted, stepped, zero or repeated strides), Concat, Split and
// Pad. All of them move elements bit for bit, so they handle every dtype whose
// element is 1, 2, 4 or 8 bytes.
//
// Slice parameters, Expand's shape, Tile's repeats, Split's sizes and Pad's
// pads decide output shapes: they must be compile-time constants
// (QEFF_E_UNSUPPORTED otherwise). Slice clamps starts/ends as ONNX specifies;
// none of these ops can index out of bounds.
#include <algorithm>

#include "common/dtype.hpp"
#include "ops/generic_util.hpp"

namespace qeff::ops::generic {
namespace {

// A strided view of input 0 (shape, strides, base offset) that a kernel copies out.
struct View {
  Dims shape, strides;
  int64_t base = 0;
};

template <View (*kView)(const OpCtx &)>
std::vector<graph::TensorType> view_infer(const InferContext &ic) {
  OpCtx c(ic);
  View v = kView(c);
  elem_bytes(c.node, c.dtype(0));
  return {make_type(c.dtype(0), v.shape)};
}

template <View (*kView)(const OpCtx &)>
std::unique_ptr<Kernel> view_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  View v = kView(c);
  Walk w = Walk::strided(v.shape, v.strides, v.base);
  size_t width = elem_bytes(c.node, c.dtype(0));
  return make_kernel([w, width](const RunArgs &a) { strided_copy(w, width, a.inputs[0], a.outputs[0], a.parallel); });
}

View transpose_view(const OpCtx &c) {
  c.need_inputs(1, 1);
  const Dims in = c.dims(0), st = contiguous_strides(in);
  const int64_t r = static_cast<int64_t>(in.size());
  std::vector<int64_t> perm;
  if (auto p = c.attr_ints("perm")) {
    if (static_cast<int64_t>(p->size()) != r)
      c.fail(QEFF_E_FORMAT, "attribute 'perm' " + dims_str(*p) + " has " + std::to_string(p->size()) +
                                " entries for an input of rank " + std::to_string(r));
    perm = c.axes(*p, r, "attribute 'perm'");
  } else {
    for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
  }
  View v;
  for (int64_t p : perm) {
    v.shape.push_back(in[p]);
    v.strides.push_back(st[p]);
  }
  return v;
}

View slice_view(const OpCtx &c) {
  c.need_inputs(3, 5);
  const Dims in = c.dims(0), st = contiguous_strides(in);
  const int64_t r = static_cast<int64_t>(in.size());
  const std::vector<int64_t> starts = c.ints(1, "starts"), ends = c.ints(2, "ends");
  const size_t n = starts.size();
  if (ends.size() != n)
    c.fail(QEFF_E_FORMAT, "starts " + dims_str(starts) + " and ends " + dims_str(ends) + " differ in length");
  std::vector<int64_t> axes, steps(n, 1);
  if (c.has(3)) {
    axes = c.axes(c.ints(3, "axes"), r, "axes");
  } else {
    for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (c.has(4)) steps = c.ints(4, "steps");
  if (axes.size() != n || steps.size() != n)
    c.fail(QEFF_E_FORMAT, "starts, ends, axes and steps must have one entry per sliced axis (" +
                              std::to_string(n) + "); got " + std::to_string(axes.size()) + " axes and " +
                              std::to_string(steps.size()) + " steps");
  if (static_cast<int64_t>(n) > r)
    c.fail(QEFF_E_FORMAT, "slices " + std::to_string(n) + " axes of an input of rank " + std::to_string(r));
  View v{in, st, 0};
  for (size_t i = 0; i < n; ++i) {
    const int64_t a = axes[i], dim = in[a], step = steps[i];
    if (step == 0) c.fail(QEFF_E_FORMAT, "steps " + dims_str(steps) + " has a zero step (axis " + std::to_string(a) + ")");
    // ONNX: negative values count from the end; then clamp to [0, dim] for a
    // positive step, [-1, dim - 1] for a negative one (-1 = before the first).
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s = s < -dim ? -1 : s + dim;  // avoid overflow with INT64_MIN
    if (e < 0) e = e < -dim ? -1 : e + dim;
    int64_t len;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      len = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    v.shape[a] = len;
    v.strides[a] = st[a] * step;
    if (len > 0) v.base += s * st[a];
  }
  return v;
}

View expand_view(const OpCtx &c) {
  c.need_inputs(2, 2);
  const Dims in = c.dims(0);
  const Dims want = c.ints(1, "shape");
  for (int64_t d : want)
    if (d < 0) c.fail(QEFF_E_FORMAT, "shape " + dims_str(want) + " has a negative dimension");
  View v;
  v.shape = c.broadcast({in, want});
  const Dims st = contiguous_strides(in);
  v.strides.assign(v.shape.size(), 0);
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] != 1) v.strides[v.shape.size() - in.size() + i] = st[i];
  return v;
}

// Tile as a strided copy of rank 2r: output dim i is viewed as [repeats[i],
// in[i]] with strides [0, stride[i]].
struct TileDims {
  Dims out;
  View view;
};

TileDims tile_dims(const OpCtx &c) {
  c.need_inputs(2, 2);
  const Dims in = c.dims(0), st = contiguous_strides(in);
  const Dims reps = c.ints(1, "repeats");
  if (reps.size() != in.size())
    c.fail(QEFF_E_FORMAT, "repeats " + dims_str(reps) + " must have one entry per input dimension (rank " +
                              std::to_string(in.size()) + ")");
  TileDims t;
  for (size_t i = 0; i < in.size(); ++i) {
    if (reps[i] < 0) c.fail(QEFF_E_FORMAT, "repeats " + dims_str(reps) + " has a negative entry");
    t.out.push_back(in[i] * reps[i]);
    t.view.shape.insert(t.view.shape.end(), {reps[i], in[i]});
    t.view.strides.insert(t.view.strides.end(), {0, st[i]});
  }
  return t;
}

std::vector<graph::TensorType> tile_infer(const InferContext &ic) {
  OpCtx c(ic);
  elem_bytes(c.node, c.dtype(0));
  return {make_type(c.dtype(0), tile_dims(c).out)};
}

View tile_view(const OpCtx &c) { return tile_dims(c).view; }

// ---- Concat -------------------------------------------------------------------

struct ConcatPlan {
  Dims out;
  int64_t outer = 1;
  std::vector<int64_t> chunk;  // bytes of each input per outer row
};

ConcatPlan concat_plan(const OpCtx &c) {
  if (c.num_inputs() == 0) c.fail(QEFF_E_FORMAT, "needs at least one input");
  c.need_inputs(c.num_inputs(), c.num_inputs());
  c.same_dtype(0, c.num_inputs() - 1);
  std::optional<int64_t> a = c.attr_int("axis");
  if (!a) c.fail(QEFF_E_FORMAT, "attribute 'axis' is required");
  ConcatPlan p;
  p.out = c.dims(0);
  const int64_t axis = c.axis(*a, c.rank(0), "attribute 'axis'");
  const size_t width = elem_bytes(c.node, c.dtype(0));
  p.out[axis] = 0;
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    const Dims d = c.dims(i);
    bool ok = d.size() == p.out.size();
    for (size_t j = 0; ok && j < d.size(); ++j) ok = static_cast<int64_t>(j) == axis || d[j] == p.out[j];
    if (!ok)
      c.fail(QEFF_E_FORMAT, c.input_label(i) + " has shape " + dims_str(d) + ", which does not match " +
                                dims_str(c.dims(0)) + " outside axis " + std::to_string(axis));
    p.out[axis] += d[axis];
    p.chunk.push_back(dims_numel(Dims(d.begin() + axis, d.end())) * static_cast<int64_t>(width));
  }
  p.outer = dims_numel(Dims(p.out.begin(), p.out.begin() + axis));
  return p;
}

std::vector<graph::TensorType> concat_infer(const InferContext &ic) {
  OpCtx c(ic);
  return {make_type(c.dtype(0), concat_plan(c).out)};
}

std::unique_ptr<Kernel> concat_prepare(const PrepareContext &pc) {
  ConcatPlan p = concat_plan(OpCtx(pc));
  int64_t row = 0;
  for (int64_t b : p.chunk) row += b;
  return make_kernel([p, row](const RunArgs &a) {
    char *y = static_cast<char *>(a.outputs[0]);
    parallel_range(a.parallel, p.outer, std::max<int64_t>(row / 8, 1), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        char *dst = y + o * row;
        for (size_t i = 0; i < p.chunk.size(); ++i) {
          if (p.chunk[i] > 0)
            std::memcpy(dst, static_cast<const char *>(a.inputs[i]) + o * p.chunk[i], static_cast<size_t>(p.chunk[i]));
          dst += p.chunk[i];
        }
      }
    });
  });
}

// ---- Split --------------------------------------------------------------------

struct SplitPlan {
  int64_t axis;
  Dims sizes;
};

SplitPlan split_plan(const OpCtx &c) {
  const Dims in = c.dims(0);
  SplitPlan p{c.axis(c.attr_int("axis", 0), static_cast<int64_t>(in.size()), "attribute 'axis'"), {}};
  const int64_t dim = in[p.axis];
  const int64_t outs = static_cast<int64_t>(c.node.outputs.size());
  if (c.opset < 13) {
    c.need_inputs(1, 1);
    if (auto s = c.attr_ints("split")) p.sizes = *s;
  } else {
    c.need_inputs(1, 2);
    if (c.has(1)) p.sizes = c.ints(1, "split");
  }
  std::optional<int64_t> num = c.opset >= 18 ? c.attr_int("num_outputs") : std::nullopt;
  if (!p.sizes.empty() && num) c.fail(QEFF_E_FORMAT, "gives both 'split' and attribute 'num_outputs'");
  if (p.sizes.empty()) {
    const int64_t n = num.value_or(outs);
    if (n <= 0 || n != outs)
      c.fail(QEFF_E_FORMAT, "splits into " + std::to_string(n) + " parts but has " + std::to_string(outs) + " outputs");
    // opset 18: ceil-sized parts, the last one smaller; before: equal parts only.
    const int64_t part = num ? (dim + n - 1) / n : dim / n;
    if (!num && dim % n != 0)
      c.fail(QEFF_E_FORMAT, "axis " + std::to_string(p.axis) + " of size " + std::to_string(dim) +
                                " cannot be split into " + std::to_string(n) + " equal parts");
    for (int64_t i = 0, left = dim; i < n; ++i, left -= part) p.sizes.push_back(std::clamp<int64_t>(left, 0, part));
    if (num && p.sizes.back() == 0 && n > 1)
      c.fail(QEFF_E_FORMAT, "axis " + std::to_string(p.axis) + " of size " + std::to_string(dim) +
                                " is too small for " + std::to_string(n) + " outputs");
  }
  int64_t sum = 0;
  for (int64_t s : p.sizes) {
    if (s < 0) c.fail(QEFF_E_FORMAT, "split " + dims_str(p.sizes) + " has a negative size");
    sum += s;
  }
  if (sum != dim || static_cast<int64_t>(p.sizes.size()) != outs)
    c.fail(QEFF_E_FORMAT, "split " + dims_str(p.sizes) + " must have " + std::to_string(outs) +
                              " sizes summing to " + std::to_string(dim) + " (axis " + std::to_string(p.axis) + ")");
  return p;
}

std::vector<graph::TensorType> split_infer(const InferContext &ic) {
  OpCtx c(ic);
  SplitPlan p = split_plan(c);
  elem_bytes(c.node, c.dtype(0));
  std::vector<graph::TensorType> out;
  for (int64_t s : p.sizes) {
    Dims d = c.dims(0);
    d[p.axis] = s;
    out.push_back(make_type(c.dtype(0), d));
  }
  return out;
}

std::unique_ptr<Kernel> split_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  SplitPlan p = split_plan(c);
  const Dims in = c.dims(0), st = contiguous_strides(in);
  std::vector<Walk> walks;
  int64_t start = 0;
  for (int64_t s : p.sizes) {
    Dims d = in;
    d[p.axis] = s;
    walks.push_back(Walk::strided(d, st, start * st[p.axis]));
    start += s;
  }
  const size_t width = elem_bytes(c.node, c.dtype(0));
  return make_kernel([walks, width](const RunArgs &a) {
    for (size_t i = 0; i < walks.size(); ++i)
      if (a.outputs[i] != nullptr) strided_copy(walks[i], width, a.inputs[0], a.outputs[i], a.parallel);
  });
}

// ---- Pad ----------------------------------------------------------------------

// Per output dim, the source index of each output position (-1: the constant).
struct PadPlan {
  Dims out;
  std::vector<std::vector<int64_t>> map;
  std::string mode;
};

int64_t pad_source(int64_t i, int64_t dim, const std::string &mode) {
  if (i >= 0 && i < dim) return i;
  if (mode == "constant") return -1;
  if (mode == "edge") return i < 0 ? 0 : dim - 1;
  if (mode == "wrap") return ((i % dim) + dim) % dim;
  if (dim == 1) return 0;  // reflect: period 2 (dim - 1), mirrored without repeating the edge
  const int64_t period = 2 * (dim - 1);
  int64_t m = ((i % period) + period) % period;
  return m < dim ? m : period - m;
}

PadPlan pad_plan(const OpCtx &c) {
  const Dims in = c.dims(0);
  const int64_t r = static_cast<int64_t>(in.size());
  PadPlan p;
  p.mode = c.attr_string("mode", "constant");
  if (p.mode != "constant" && p.mode != "reflect" && p.mode != "edge" && !(p.mode == "wrap" && c.opset >= 19))
    c.fail(QEFF_E_FORMAT, "attribute 'mode' is " + quote(p.mode) + "; expected \"constant\", \"reflect\" or \"edge\"" +
                              (c.opset >= 19 ? " or \"wrap\"" : ""));
  std::vector<int64_t> pads, axes;
  if (c.opset < 11) {
    c.need_inputs(1, 1);
    pads = c.attr_ints("pads").value_or(std::vector<int64_t>{});
  } else {
    c.need_inputs(2, c.opset >= 18 ? 4 : 3);
    pads = c.ints(1, "pads");
    if (c.has(2) && dims_numel(c.dims(2)) != 1)
      c.fail(QEFF_E_FORMAT, c.input_label(2) + " 'constant_value' must be a scalar");
    c.match_dtype(0, 2);
    if (c.has(3)) axes = c.axes(c.ints(3, "axes"), r, "axes");
  }
  if (axes.empty())
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size())
    c.fail(QEFF_E_FORMAT, "pads " + dims_str(pads) + " must have 2 x " + std::to_string(axes.size()) + " entries");
  std::vector<int64_t> before(r, 0), after(r, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    before[axes[i]] = pads[i];
    after[axes[i]] = pads[i + axes.size()];
  }
  for (int64_t d = 0; d < r; ++d) {
    const int64_t o = in[d] + before[d] + after[d];
    if (o < 0) c.fail(QEFF_E_FORMAT, "pads " + dims_str(pads) + " remove more than axis " + std::to_string(d) + " holds");
    if (p.mode != "constant" && in[d] == 0 && o > 0)
      c.fail(QEFF_E_FORMAT, "mode " + quote(p.mode) + " cannot pad the empty axis " + std::to_string(d));
    p.out.push_back(o);
    std::vector<int64_t> m(static_cast<size_t>(o));
    for (int64_t i = 0; i < o; ++i) m[i] = pad_source(i - before[d], in[d], p.mode);
    p.map.push_back(std::move(m));
  }
  return p;
}

std::vector<graph::TensorType> pad_infer(const InferContext &ic) {
  OpCtx c(ic);
  elem_bytes(c.node, c.dtype(0));
  return {make_type(c.dtype(0), pad_plan(c).out)};
}

std::unique_ptr<Kernel> pad_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  PadPlan p = pad_plan(c);
  const Dims st = contiguous_strides(c.dims(0));
  const qeff_dtype dt = c.dtype(0);
  const double attr_value = c.opset < 11 ? c.attr_float("value", 0.0) : 0.0;
  const bool has_value = c.has(2);
  std::unique_ptr<Kernel> k;
  dispatch_width(c.node, dt, [&](auto tag) {
    using U = typename decltype(tag)::type;
    U fill{};
    if (attr_value != 0.0) convert_elements(QEFF_DTYPE_F64, &attr_value, dt, &fill, 1);
    k = make_kernel([p, st, fill, has_value](const RunArgs &a) {
      U cv = fill;
      if (has_value && a.inputs[2] != nullptr) std::memcpy(&cv, a.inputs[2], sizeof(U));
      const U *x = static_cast<const U *>(a.inputs[0]);
      U *y = static_cast<U *>(a.outputs[0]);
      const size_t r = p.out.size();
      if (r == 0) return void(*y = *x);
      const int64_t inner = p.out[r - 1];
      const std::vector<int64_t> &last = p.map[r - 1];
      parallel_range(a.parallel, inner == 0 ? 0 : dims_numel(p.out) / inner, inner, [&](int64_t b, int64_t e) {
        for (int64_t row = b; row < e; ++row) {
          // Source offset of this row, or -1 when any outer index is padding.
          int64_t src = 0, rem = row;
          for (size_t d = r - 1; d-- > 0;) {
            int64_t s = p.map[d][rem % p.out[d]];
            rem /= p.out[d];
            if (s < 0 || src < 0) src = -1;
            else src += s * st[d];
          }
          U *out = y + row * inner;
          for (int64_t j = 0; j < inner; ++j) out[j] = (src < 0 || last[j] < 0) ? cv : x[src + last[j]];
        }
      });
    });
  });
  return k;
}

}  // namespace

std::vector<OpDef> movement_ops() {
  return {
      {"", "Transpose", &view_infer<transpose_view>, &view_prepare<transpose_view>, kNone},
      {"", "Slice", &view_infer<slice_view>, &view_prepare<slice_view>, kNone},
      {"", "Expand", &view_infer<expand_view>, &view_prepare<expand_view>, kNone},
      {"", "Tile", &tile_infer, &view_prepare<tile_view>, kNone},
      {"", "Concat", &concat_infer, &concat_prepare, kNone},
      {"", "Split", &split_infer, &split_prepare, kNone},
      {"", "Pad", &pad_infer, &pad_prepare, kNone},
  };
}

}  // namespace qeff::ops::generic
