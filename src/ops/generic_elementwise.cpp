// Binary, variadic and ternary elementwise ONNX ops with multidirectional
// broadcasting: Add Sub Mul Div Pow Mod, Equal Less LessOrEqual Greater
// GreaterOrEqual, And Or Xor, Max Min Mean Sum, Where.
//
// All of them go through Walk (ops/generic_util.hpp): after dim merging, a
// same-shape, scalar or last-dim-row broadcast is one loop whose operand
// strides are 0 or 1, specialized below so the compiler vectorizes it; any
// other broadcast is the same loop over shorter runs.
//
// Integer semantics (ONNX leaves them undefined, C++ would make them UB):
// Add/Sub/Mul wrap around (two's complement); x / 0 and x % 0 are 0; INT_MIN /
// -1 is INT_MIN. Pow on integers is exact repeated squaring (wrapping); a
// negative exponent gives 0 except for bases 1 and -1. Max/Min propagate NaN
// (as torch.maximum and numpy.maximum do).
#include <cmath>
#include <limits>

#include "common/dtype.hpp"
#include "ops/generic_util.hpp"
#include "ops/tables.hpp"

namespace qeff::ops::generic {
namespace {

template <class T>
using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;

// Wrapping integer arithmetic through uint64_t (well defined), exact for floats.
template <class T, class F>
T wrapping(T a, T b, F f) {
  if constexpr (std::is_integral_v<T>)
    return static_cast<T>(f(static_cast<uint64_t>(a), static_cast<uint64_t>(b)));
  else
    return f(a, b);
}

struct Add {
  using types = NumericTypes;
  static constexpr bool kBoolOut = false;
  explicit Add(const OpCtx &) {}
  template <class T>
  T operator()(T a, T b) const { return wrapping(a, b, [](auto x, auto y) { return x + y; }); }
};
struct Sub {
  using types = NumericTypes;
  static constexpr bool kBoolOut = false;
  explicit Sub(const OpCtx &) {}
  template <class T>
  T operator()(T a, T b) const { return wrapping(a, b, [](auto x, auto y) { return x - y; }); }
};
struct Mul {
  using types = NumericTypes;
  static constexpr bool kBoolOut = false;
  explicit Mul(const OpCtx &) {}
  template <class T>
  T operator()(T a, T b) const { return wrapping(a, b, [](auto x, auto y) { return x * y; }); }
};
struct Div {
  using types = NumericTypes;
  static constexpr bool kBoolOut = false;
  explicit Div(const OpCtx &) {}
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>)
        if (b == -1) return wrapping(T(0), a, [](auto x, auto y) { return x - y; });
    }
    return static_cast<T>(a / b);
  }
};
struct Pow {
  using types = Types<float, double, int32_t, int64_t>;
  static constexpr bool kBoolOut = false;
  explicit Pow(const OpCtx &) {}
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else {
      if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
      uint64_t base = static_cast<uint64_t>(a), r = 1;
      for (uint64_t e = static_cast<uint64_t>(b); e != 0; e >>= 1, base *= base)
        if (e & 1) r *= base;
      return static_cast<T>(r);
    }
  }
};
struct Mod {
  using types = NumericTypes;
  static constexpr bool kBoolOut = false;
  bool fmod;
  explicit Mod(const OpCtx &c) : fmod(c.attr_bool("fmod", false)) {
    if (!fmod && dtype_is_float(c.dtype(0)))
      c.fail(QEFF_E_FORMAT, "attribute 'fmod' must be 1 for floating-point inputs (element type " +
                                std::string(dtype_name(c.dtype(0))) + ")");
  }
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::fmod(a, b);
    } else {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<T>) {
        if (b == -1) return 0;
        T r = static_cast<T>(a % b);
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
        return r;
      } else {
        return static_cast<T>(a % b);
      }
    }
  }
};

template <class Cmp, class L = NumericTypes>
struct Compare {
  using types = L;
  static constexpr bool kBoolOut = true;
  explicit Compare(const OpCtx &) {}
  template <class T>
  bool operator()(T a, T b) const { return Cmp{}(a, b); }
};
using Equal = Compare<std::equal_to<>, NumericBoolTypes>;
using Less = Compare<std::less<>>;
using LessOrEqual = Compare<std::less_equal<>>;
using Greater = Compare<std::greater<>>;
using GreaterOrEqual = Compare<std::greater_equal<>>;

template <class F>
struct Logic {
  using types = Types<bool>;
  static constexpr bool kBoolOut = false;
  explicit Logic(const OpCtx &) {}
  template <class T>
  bool operator()(T a, T b) const { return F{}(a, b); }
};
using And = Logic<std::logical_and<>>;
using Or = Logic<std::logical_or<>>;
using Xor = Logic<std::not_equal_to<>>;

struct MaxOp {
  using types = NumericTypes;
  static constexpr bool kBoolOut = false;
  explicit MaxOp(const OpCtx &) {}
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(a)) return a;
    return a > b || a == b ? a : b;
  }
};
struct MinOp {
  using types = NumericTypes;
  static constexpr bool kBoolOut = false;
  explicit MinOp(const OpCtx &) {}
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(a)) return a;
    return a < b || a == b ? a : b;
  }
};

// y = f(a, b) over the walk; the stride-0/1 cases are separate loops so each
// is a straight vectorizable loop.
template <class T, class R, class F>
void binary_loop(const Walk &w, const T *a, const T *b, R *y, const F &f, kernels::Parallel *p) {
  const int64_t sa = w.inner_stride(0), sb = w.inner_stride(1);
  parallel_range(p, w.numel(), 1, [&](int64_t begin, int64_t end) {
    w.runs(begin, end, [&](int64_t o, int64_t n, const auto &off) {
      const T *x = a + off[0];
      const T *z = b + off[1];
      R *out = y + o;
      if (sa == 1 && sb == 1) {
        for (int64_t j = 0; j < n; ++j) out[j] = f(x[j], z[j]);
      } else if (sa == 1 && sb == 0) {
        const T c = *z;
        for (int64_t j = 0; j < n; ++j) out[j] = f(x[j], c);
      } else if (sa == 0 && sb == 1) {
        const T c = *x;
        for (int64_t j = 0; j < n; ++j) out[j] = f(c, z[j]);
      } else {
        for (int64_t j = 0; j < n; ++j) out[j] = f(x[j * sa], z[j * sb]);
      }
    });
  });
}

template <class Op>
std::vector<graph::TensorType> binary_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(2, 2);
  // Pow's exponent may have its own numeric type (opset 12+); it is converted.
  if constexpr (std::is_same_v<Op, Pow>)
    dispatch(NumericTypes{}, c.dtype(1), c.node, [](auto) {}, "exponent");
  else
    c.same_dtype(0, 1);
  dispatch(typename Op::types{}, c.dtype(0), c.node, [](auto) {});
  Op check(c);  // validates attributes
  (void)check;
  return {make_type(Op::kBoolOut ? QEFF_DTYPE_BOOL : c.dtype(0), c.broadcast({c.dims(0), c.dims(1)}))};
}

template <class Op>
std::unique_ptr<Kernel> binary_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  Dims out = c.broadcast({c.dims(0), c.dims(1)});
  Walk w = Walk::broadcast(out, {c.dims(0), c.dims(1)});
  Op op(c);
  const qeff_dtype bt = c.dtype(1);
  const int64_t bn = dims_numel(c.dims(1));
  std::unique_ptr<Kernel> k;
  dispatch(typename Op::types{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using R = std::conditional_t<Op::kBoolOut, bool, T>;
    const bool convert = bt != dtype_of<T>();
    k = make_kernel(
        [w, op, convert, bt, bn](const RunArgs &a) {
          const T *b = static_cast<const T *>(a.inputs[1]);
          if (convert) {  // mixed-type Pow: the exponent in the base's type
            convert_elements(bt, a.inputs[1], dtype_of<T>(), a.workspace, bn);
            b = static_cast<const T *>(a.workspace);
          }
          binary_loop(w, static_cast<const T *>(a.inputs[0]), b, static_cast<R *>(a.outputs[0]), op, a.parallel);
        },
        convert ? static_cast<uint64_t>(bn) * sizeof(T) : 0);
  });
  return k;
}

// Max, Min, Sum, Mean over one or more inputs: out = in0 op in1 (broadcast to
// the final shape), then out = out op in_k in place for each further input.
template <class Op, bool kMean = false>
std::vector<graph::TensorType> variadic_infer(const InferContext &ic) {
  OpCtx c(ic);
  if (c.num_inputs() == 0) c.fail(QEFF_E_FORMAT, "needs at least one input");
  c.need_inputs(c.num_inputs(), c.num_inputs());
  c.same_dtype(0, c.num_inputs() - 1);
  if constexpr (kMean)
    dispatch(FloatTypes{}, c.dtype(0), c.node, [](auto) {});
  else
    dispatch(typename Op::types{}, c.dtype(0), c.node, [](auto) {});
  std::vector<Dims> shapes;
  for (size_t i = 0; i < c.num_inputs(); ++i) shapes.push_back(c.dims(i));
  return {make_type(c.dtype(0), c.broadcast(shapes))};
}

template <class Op, bool kMean = false>
std::unique_ptr<Kernel> variadic_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const size_t n = c.num_inputs();
  std::vector<Dims> shapes;
  for (size_t i = 0; i < n; ++i) shapes.push_back(c.dims(i));
  const Dims out = c.broadcast(shapes);
  std::vector<Walk> walks;  // walk 0: in0 with in1 (or in0 alone); walk k: out with in_{k+1}
  walks.push_back(n == 1 ? Walk::broadcast(out, {shapes[0]}) : Walk::broadcast(out, {shapes[0], shapes[1]}));
  for (size_t i = 2; i < n; ++i) walks.push_back(Walk::broadcast(out, {out, shapes[i]}));
  Op op(c);
  std::unique_ptr<Kernel> k;
  dispatch(typename Op::types{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel([walks, op, n](const RunArgs &a) {
      T *y = static_cast<T *>(a.outputs[0]);
      if (n == 1) {  // one input: a copy (nothing to do when the planner aliased it)
        if (a.inputs[0] != y) strided_copy(walks[0], sizeof(T), a.inputs[0], y, a.parallel);
      } else {
        binary_loop(walks[0], static_cast<const T *>(a.inputs[0]), static_cast<const T *>(a.inputs[1]), y, op,
                    a.parallel);
        for (size_t i = 2; i < n; ++i)
          binary_loop(walks[i - 1], y, static_cast<const T *>(a.inputs[i]), y, op, a.parallel);
      }
      if constexpr (kMean && std::is_floating_point_v<T>) {
        const T scale = static_cast<T>(n);
        parallel_range(a.parallel, walks[0].numel(), 1, [&](int64_t b, int64_t e) {
          for (int64_t j = b; j < e; ++j) y[j] /= scale;
        });
      }
    });
  });
  return k;
}

std::vector<graph::TensorType> where_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(3, 3);
  if (c.dtype(0) != QEFF_DTYPE_BOOL)
    c.fail(QEFF_E_FORMAT, c.input_label(0) + " (condition) must be bool, not " + dtype_name(c.dtype(0)));
  c.same_dtype(1, 2);
  elem_bytes(c.node, c.dtype(1));
  return {make_type(c.dtype(1), c.broadcast({c.dims(0), c.dims(1), c.dims(2)}))};
}

std::unique_ptr<Kernel> where_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  Dims out = c.broadcast({c.dims(0), c.dims(1), c.dims(2)});
  Walk w = Walk::broadcast(out, {c.dims(0), c.dims(1), c.dims(2)});
  std::unique_ptr<Kernel> k;
  // Selection copies elements bit for bit: one instantiation per width.
  dispatch_width(c.node, c.dtype(1), [&](auto tag) {
    using U = typename decltype(tag)::type;
    k = make_kernel([w](const RunArgs &a) {
      const bool *cond = static_cast<const bool *>(a.inputs[0]);
      const U *x = static_cast<const U *>(a.inputs[1]);
      const U *z = static_cast<const U *>(a.inputs[2]);
      U *y = static_cast<U *>(a.outputs[0]);
      const int64_t sc = w.inner_stride(0), sx = w.inner_stride(1), sz = w.inner_stride(2);
      parallel_range(a.parallel, w.numel(), 1, [&](int64_t b, int64_t e) {
        w.runs(b, e, [&](int64_t o, int64_t n, const auto &off) {
          const bool *cc = cond + off[0];
          const U *xx = x + off[1];
          const U *zz = z + off[2];
          for (int64_t j = 0; j < n; ++j) y[o + j] = cc[j * sc] ? xx[j * sx] : zz[j * sz];
        });
      });
    });
  });
  return k;
}

template <class Op>
OpDef binary(std::string_view name, unsigned flags) {
  return {"", name, &binary_infer<Op>, &binary_prepare<Op>, flags};
}

}  // namespace

std::vector<OpDef> elementwise_ops() {
  return {
      binary<Add>("Add", kInPlace),
      binary<Sub>("Sub", kInPlace),
      binary<Mul>("Mul", kInPlace),
      binary<Div>("Div", kInPlace),
      binary<Pow>("Pow", kInPlace),
      binary<Mod>("Mod", kInPlace),
      binary<Equal>("Equal", kNone),
      binary<Less>("Less", kNone),
      binary<LessOrEqual>("LessOrEqual", kNone),
      binary<Greater>("Greater", kNone),
      binary<GreaterOrEqual>("GreaterOrEqual", kNone),
      binary<And>("And", kInPlace),
      binary<Or>("Or", kInPlace),
      binary<Xor>("Xor", kInPlace),
      {"", "Max", &variadic_infer<MaxOp>, &variadic_prepare<MaxOp>, kInPlace},
      {"", "Min", &variadic_infer<MinOp>, &variadic_prepare<MinOp>, kInPlace},
      {"", "Sum", &variadic_infer<Add>, &variadic_prepare<Add>, kInPlace},
      {"", "Mean", &variadic_infer<Add, true>, &variadic_prepare<Add, true>, kInPlace},
      {"", "Where", &where_infer, &where_prepare, kNone},
  };
}

}  // namespace qeff::ops::generic
