// Reductions and scans: ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd
// ReduceL2 ReduceLogSumExp ReduceSumSquare, ArgMax ArgMin, CumSum, TopK.
//
// Axes come from the attribute before the opset where they became an input
// (13 for ReduceSum, 18 for the others); an axes input decides the output
// shape and must be a compile-time constant. Floating-point reductions
// accumulate in double (one rounding at the end, independent of the thread
// count); integer sums and products wrap. Max/Min propagate NaN. An empty
// reduction gives the identity: 0 (Sum, SumSquare, L2), 1 (Prod), -inf / the
// lowest value (Max, LogSumExp), +inf / the highest (Min), NaN (Mean of floats),
// 0 (Mean of integers).
#include <algorithm>
#include <numeric>

#include "common/dtype.hpp"
#include "ops/generic_util.hpp"

namespace qeff::ops::generic {
namespace {

enum class RKind { sum, mean, max, min, prod, l2, log_sum_exp, sum_square };

struct ReducePlan {
  Dims out;        // the output shape (keepdims applied)
  Walk outer;      // over the output elements: offset of each one's first input element
  Walk inner;      // over the reduced elements of one output element
  int64_t count;   // reduced elements per output element
  bool identity;   // noop_with_empty_axes with no axes
};

ReducePlan reduce_plan(const OpCtx &c) {
  const std::string &op = c.node.op_type;
  const int64_t axes_input_opset = op == "ReduceSum" ? 13 : 18;
  const Dims in = c.dims(0);
  const int64_t r = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  bool noop = false;
  if (c.opset < axes_input_opset) {
    c.need_inputs(1, 1);
    axes = c.attr_ints("axes").value_or(std::vector<int64_t>{});
  } else {
    c.need_inputs(1, 2);
    if (c.has(1)) axes = c.ints(1, "axes");
    noop = c.attr_bool("noop_with_empty_axes", false);
  }
  const bool keep = c.attr_bool("keepdims", true);
  ReducePlan p{{}, {}, {}, 1, noop && axes.empty()};
  if (p.identity) {
    p.out = in;
    return p;
  }
  axes = c.axes(axes, r, "axes");
  if (axes.empty())
    for (int64_t i = 0; i < r; ++i) axes.push_back(i);
  std::sort(axes.begin(), axes.end());
  const Dims st = contiguous_strides(in);
  Dims keep_shape, red_shape, red_strides;
  for (int64_t i = 0; i < r; ++i) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), i);
    keep_shape.push_back(reduced ? 1 : in[i]);
    if (reduced) {
      red_shape.push_back(in[i]);
      red_strides.push_back(st[i]);
      if (keep) p.out.push_back(1);
    } else {
      p.out.push_back(in[i]);
    }
  }
  p.outer = Walk::strided(keep_shape, st, 0);
  p.inner = Walk::strided(red_shape, red_strides, 0);
  p.count = dims_numel(red_shape);
  return p;
}

RKind reduce_kind(const std::string &op) {
  static const std::pair<const char *, RKind> kinds[] = {
      {"ReduceSum", RKind::sum},   {"ReduceMean", RKind::mean},        {"ReduceMax", RKind::max},
      {"ReduceMin", RKind::min},   {"ReduceProd", RKind::prod},        {"ReduceL2", RKind::l2},
      {"ReduceLogSumExp", RKind::log_sum_exp}, {"ReduceSumSquare", RKind::sum_square}};
  for (const auto &[name, kind] : kinds)
    if (op == name) return kind;
  fail(QEFF_E_INTERNAL, "not a reduction: " + op);
}

// One output element: reduces the elements the inner walk visits from `x`.
template <class T>
T reduce_one(RKind kind, const Walk &inner, const T *x, int64_t count) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;
  auto each = [&](auto &&f) {
    const int64_t s = inner.inner_stride(0);
    inner.runs(0, count, [&](int64_t, int64_t n, const auto &off) {
      for (int64_t j = 0; j < n; ++j) f(x[off[0] + j * s]);
    });
  };
  // Integer accumulation wraps (through uint64_t, well defined).
  auto add = [](Acc a, Acc b) -> Acc {
    if constexpr (std::is_integral_v<Acc>) return static_cast<Acc>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    else return a + b;
  };
  auto mul = [](Acc a, Acc b) -> Acc {
    if constexpr (std::is_integral_v<Acc>) return static_cast<Acc>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    else return a * b;
  };
  switch (kind) {
    case RKind::sum:
    case RKind::mean: {
      Acc acc = 0;
      each([&](T v) { acc = add(acc, static_cast<Acc>(v)); });
      if (kind == RKind::sum) return cast_value<T>(acc);
      if constexpr (std::is_floating_point_v<T>) return static_cast<T>(acc / static_cast<double>(count));
      else return count == 0 ? T(0) : static_cast<T>(acc / static_cast<Acc>(count));
    }
    case RKind::prod: {
      Acc acc = 1;
      each([&](T v) { acc = mul(acc, static_cast<Acc>(v)); });
      return cast_value<T>(acc);
    }
    case RKind::sum_square:
    case RKind::l2: {
      Acc acc = 0;
      each([&](T v) { acc = add(acc, mul(static_cast<Acc>(v), static_cast<Acc>(v))); });
      return kind == RKind::l2 ? cast_value<T>(std::sqrt(static_cast<double>(acc))) : cast_value<T>(acc);
    }
    case RKind::max:
    case RKind::min: {
      const bool is_max = kind == RKind::max;
      T best = std::numeric_limits<T>::has_infinity
                   ? (is_max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity())
                   : (is_max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max());
      bool nan = false;
      each([&](T v) {
        if constexpr (std::is_floating_point_v<T>) nan = nan || std::isnan(v);
        if (is_max ? v > best : v < best) best = v;
      });
      return nan ? std::numeric_limits<T>::quiet_NaN() : best;
    }
    case RKind::log_sum_exp: {
      double m = -std::numeric_limits<double>::infinity();
      each([&](T v) { m = std::max(m, static_cast<double>(v)); });
      if (!std::isfinite(m)) {  // empty, all -inf, or +inf present: the sum is dominated
        double s = 0;
        each([&](T v) { s += std::exp(static_cast<double>(v)); });
        return cast_value<T>(std::log(s));
      }
      double s = 0;
      each([&](T v) { s += std::exp(static_cast<double>(v) - m); });
      return cast_value<T>(m + std::log(s));
    }
  }
  return T(0);
}

std::vector<graph::TensorType> reduce_infer(const InferContext &ic) {
  OpCtx c(ic);
  const ReducePlan p = reduce_plan(c);
  dispatch(NumericTypes{}, c.dtype(0), c.node, [](auto) {});
  return {make_type(c.dtype(0), p.out)};
}

std::unique_ptr<Kernel> reduce_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const ReducePlan p = reduce_plan(c);
  const RKind kind = reduce_kind(c.node.op_type);
  std::unique_ptr<Kernel> k;
  dispatch(NumericTypes{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (p.identity) {
      k = copy_kernel(static_cast<uint64_t>(dims_numel(p.out)) * sizeof(T));
      return;
    }
    k = make_kernel([p, kind](const RunArgs &a) {
      const T *x = static_cast<const T *>(a.inputs[0]);
      T *y = static_cast<T *>(a.outputs[0]);
      parallel_range(a.parallel, p.outer.numel(), std::max<int64_t>(p.count, 1), [&](int64_t b, int64_t e) {
        const int64_t s = p.outer.inner_stride(0);
        p.outer.runs(b, e, [&](int64_t o, int64_t n, const auto &off) {
          for (int64_t j = 0; j < n; ++j) y[o + j] = reduce_one(kind, p.inner, x + off[0] + j * s, p.count);
        });
      });
    });
  });
  return k;
}

// ---- ArgMax / ArgMin, CumSum, TopK: work along one axis --------------------------

// [outer, dim, inner] around one axis.
struct AxisSplit {
  int64_t axis, outer, dim, inner;
};

AxisSplit split_at(const OpCtx &c, int64_t axis_attr) {
  const Dims in = c.dims(0);
  const int64_t axis = c.axis(axis_attr, static_cast<int64_t>(in.size()), "axis");
  return {axis, dims_numel(Dims(in.begin(), in.begin() + axis)), in[axis],
          dims_numel(Dims(in.begin() + axis + 1, in.end()))};
}

// a before b in descending order: NaN first, as torch.topk and numpy.argmax do.
template <class T>
bool greater(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && !std::isnan(b);
  return a > b;
}
template <class T>
bool less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && !std::isnan(b);  // NaN "smallest" for ArgMin
  return a < b;
}

std::vector<graph::TensorType> arg_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(1, 1);
  dispatch(NumericTypes{}, c.dtype(0), c.node, [](auto) {});
  const AxisSplit s = split_at(c, c.attr_int("axis", 0));
  c.attr_bool("select_last_index", false);
  Dims out = c.dims(0);
  if (c.attr_bool("keepdims", true)) out[s.axis] = 1;
  else out.erase(out.begin() + s.axis);
  return {make_type(QEFF_DTYPE_I64, out)};
}

std::unique_ptr<Kernel> arg_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const AxisSplit s = split_at(c, c.attr_int("axis", 0));
  const bool last = c.attr_bool("select_last_index", false), is_max = c.node.op_type == "ArgMax";
  std::unique_ptr<Kernel> k;
  dispatch(NumericTypes{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel([s, last, is_max](const RunArgs &a) {
      const T *x = static_cast<const T *>(a.inputs[0]);
      int64_t *y = static_cast<int64_t *>(a.outputs[0]);
      parallel_range(a.parallel, s.outer * s.inner, s.dim, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const T *line = x + (t / s.inner) * s.dim * s.inner + t % s.inner;
          int64_t best = 0;
          for (int64_t i = 1; i < s.dim; ++i) {
            const T v = line[i * s.inner], w = line[best * s.inner];
            const bool better = is_max ? greater(v, w) : less(v, w);
            const bool tie = !greater(v, w) && !greater(w, v);
            if (better || (last && tie)) best = i;
          }
          y[t] = best;
        }
      });
    });
  });
  return k;
}

// CumSum: the axis is a scalar input, read at run time when it is not a
// constant (an invalid run-time axis throws QEFF_E_INVALID_ARGUMENT).
std::vector<graph::TensorType> cumsum_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(2, 2);
  dispatch(NumericTypes{}, c.dtype(0), c.node, [](auto) {});
  if (c.dtype(1) != QEFF_DTYPE_I32 && c.dtype(1) != QEFF_DTYPE_I64)
    c.fail(QEFF_E_FORMAT, c.input_label(1) + " 'axis' must be int32 or int64");
  if (dims_numel(c.dims(1)) != 1) c.fail(QEFF_E_FORMAT, c.input_label(1) + " 'axis' must be a scalar");
  if (c.value(1) != nullptr) split_at(c, c.ints(1, "axis")[0]);
  return {c.type(0)};
}

std::unique_ptr<Kernel> cumsum_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const Dims in = c.dims(0);
  const bool exclusive = c.attr_bool("exclusive", false), reverse = c.attr_bool("reverse", false);
  const qeff_dtype at = c.dtype(1);
  const std::string label = node_label(c.node);
  std::unique_ptr<Kernel> k;
  dispatch(NumericTypes{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel([in, exclusive, reverse, at, label](const RunArgs &a) {
      const int64_t r = static_cast<int64_t>(in.size());
      const int64_t axis = wrap_index(label, load_int(at, a.inputs[1], 0), r, "axis");
      const int64_t outer = dims_numel(Dims(in.begin(), in.begin() + axis)), dim = in[axis],
                    inner = dims_numel(Dims(in.begin() + axis + 1, in.end()));
      const T *x = static_cast<const T *>(a.inputs[0]);
      T *y = static_cast<T *>(a.outputs[0]);
      parallel_range(a.parallel, outer * inner, dim, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const int64_t base = (t / inner) * dim * inner + t % inner;
          T acc = T(0);
          for (int64_t i = 0; i < dim; ++i) {
            const int64_t at_i = base + (reverse ? dim - 1 - i : i) * inner;
            const T v = x[at_i];  // read before the write: y may alias x
            if (exclusive) y[at_i] = acc;
            if constexpr (std::is_integral_v<T>) acc = static_cast<T>(static_cast<uint64_t>(acc) + static_cast<uint64_t>(v));
            else acc = acc + v;
            if (!exclusive) y[at_i] = acc;
          }
        }
      });
    });
  });
  return k;
}

// TopK: K must be a compile-time constant. Ties keep the lower index first;
// NaN counts as the largest value. sorted=0 still returns sorted order (allowed).
struct TopKPlan {
  AxisSplit s;
  int64_t k;
  bool largest;
  Dims out;
};

TopKPlan topk_plan(const OpCtx &c) {
  c.need_inputs(2, 2);
  const std::vector<int64_t> kv = c.ints(1, "K");
  if (kv.size() != 1) c.fail(QEFF_E_FORMAT, c.input_label(1) + " 'K' must hold one value");
  TopKPlan p{split_at(c, c.attr_int("axis", -1)), kv[0], c.attr_bool("largest", true), c.dims(0)};
  c.attr_bool("sorted", true);
  if (p.k < 0 || p.k > p.s.dim)
    c.fail(QEFF_E_FORMAT, "K " + std::to_string(p.k) + " is out of range for axis " + std::to_string(p.s.axis) +
                              " of size " + std::to_string(p.s.dim));
  p.out[p.s.axis] = p.k;
  return p;
}

std::vector<graph::TensorType> topk_infer(const InferContext &ic) {
  OpCtx c(ic);
  const TopKPlan p = topk_plan(c);
  dispatch(NumericTypes{}, c.dtype(0), c.node, [](auto) {});
  return {make_type(c.dtype(0), p.out), make_type(QEFF_DTYPE_I64, p.out)};
}

std::unique_ptr<Kernel> topk_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const TopKPlan p = topk_plan(c);
  std::unique_ptr<Kernel> k;
  dispatch(NumericTypes{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel([p](const RunArgs &a) {
      const T *x = static_cast<const T *>(a.inputs[0]);
      T *vals = static_cast<T *>(a.outputs[0]);
      int64_t *idx = static_cast<int64_t *>(a.outputs[1]);
      const AxisSplit &s = p.s;
      parallel_range(a.parallel, s.outer * s.inner, s.dim * 4, [&](int64_t b, int64_t e) {
        std::vector<int64_t> order(static_cast<size_t>(s.dim));
        for (int64_t t = b; t < e; ++t) {
          const int64_t o = t / s.inner, i = t % s.inner;
          const T *line = x + o * s.dim * s.inner + i;
          std::iota(order.begin(), order.end(), int64_t(0));
          std::partial_sort(order.begin(), order.begin() + p.k, order.end(), [&](int64_t u, int64_t v) {
            const T a1 = line[u * s.inner], b1 = line[v * s.inner];
            if (p.largest ? greater(a1, b1) : greater(b1, a1)) return true;
            if (p.largest ? greater(b1, a1) : greater(a1, b1)) return false;
            return u < v;
          });
          for (int64_t j = 0; j < p.k; ++j) {
            const int64_t at = (o * p.k + j) * s.inner + i;
            vals[at] = line[order[j] * s.inner];
            idx[at] = order[j];
          }
        }
      });
    });
  });
  return k;
}

}  // namespace

std::vector<OpDef> reduce_ops() {
  std::vector<OpDef> ops;
  for (std::string_view name : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2",
                                "ReduceLogSumExp", "ReduceSumSquare"})
    ops.push_back({"", name, &reduce_infer, &reduce_prepare, kNone});
  ops.push_back({"", "ArgMax", &arg_infer, &arg_prepare, kNone});
  ops.push_back({"", "ArgMin", &arg_infer, &arg_prepare, kNone});
  ops.push_back({"", "CumSum", &cumsum_infer, &cumsum_prepare, kInPlace});
  ops.push_back({"", "TopK", &topk_infer, &topk_prepare, kNone});
  return ops;
}

}  // namespace qeff::ops::generic
