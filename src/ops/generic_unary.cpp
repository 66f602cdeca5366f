// Unary elementwise ONNX ops, Clip, Cast and CastLike.
//
// f32 Exp, Erf, Tanh, Sigmoid, Relu and Gelu go through
// kernels::apply_activation, which has the ISA-specific paths; every other
// case is a plain loop over the functor below.
//
// Cast semantics (ONNX leaves float -> integer overflow undefined; this is
// what qeff defines, matching numpy's saturating astype on x86 where numpy
// defines it): float -> integer truncates toward zero, saturates to the
// target's range and maps NaN to 0; integer -> integer keeps the low bits (two's
// complement wrap); anything -> bool is `!= 0` (so NaN -> true); bool -> x is 0
// or 1; -> F16/BF16 rounds to nearest even, overflowing to inf, NaN stays NaN.
#include <cmath>
#include <limits>

#include "common/dtype.hpp"
#include "kernels/activation.hpp"
#include "onnx/element_types.hpp"
#include "ops/generic_util.hpp"

namespace qeff::ops::generic {

void convert_elements(qeff_dtype from, const void *src, qeff_dtype to, void *dst, int64_t n) {
  graph::Node none;
  dispatch(AllTypes{}, from, none, [&](auto ft) {
    using F = typename decltype(ft)::type;
    dispatch(AllTypes{}, to, none, [&](auto tt) {
      using T = typename decltype(tt)::type;
      const F *s = static_cast<const F *>(src);
      T *d = static_cast<T *>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = cast_value<T>(s[i]);
    });
  });
}

namespace {

using kernels::Activation;

// A unary functor: `types` it accepts, whether it outputs bool, the f32
// activation it maps to (none: use operator()), and the math.
template <class L, bool kBool = false>
struct Unary {
  using types = L;
  static constexpr bool kBoolOut = kBool;
  Activation f32 = Activation::none;
};

template <class T>
T wrap_neg(T x) {
  if constexpr (std::is_integral_v<T>) return static_cast<T>(uint64_t(0) - static_cast<uint64_t>(x));
  else return -x;
}

struct Abs : Unary<NumericTypes> {
  explicit Abs(const OpCtx &) {}
  template <class T>
  T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;
    else return x < 0 ? wrap_neg(x) : x;
  }
};
struct Neg : Unary<SignedTypes> {
  explicit Neg(const OpCtx &) {}
  template <class T>
  T operator()(T x) const { return wrap_neg(x); }
};
struct Sign : Unary<NumericTypes> {
  explicit Sign(const OpCtx &) {}
  template <class T>
  T operator()(T x) const { return static_cast<T>(x > T(0) ? 1 : x < T(0) ? -1 : x); }  // NaN stays NaN
};
struct Relu : Unary<SignedTypes> {
  explicit Relu(const OpCtx &) { f32 = Activation::relu; }
  template <class T>
  T operator()(T x) const { return x > T(0) ? x : T(0); }
};

// Float math through a function object applied in the element's own precision.
#define QEFF_FLOAT_UNARY(Name, act, expr)               \
  struct Name : Unary<FloatTypes> {                     \
    explicit Name(const OpCtx &) { f32 = act; }         \
    template <class T>                                  \
    T operator()(T x) const { return expr; }            \
  };
QEFF_FLOAT_UNARY(Sqrt, Activation::none, std::sqrt(x))
QEFF_FLOAT_UNARY(Reciprocal, Activation::none, T(1) / x)
QEFF_FLOAT_UNARY(Log, Activation::none, std::log(x))
QEFF_FLOAT_UNARY(Exp, Activation::exp, std::exp(x))
QEFF_FLOAT_UNARY(Erf, Activation::erf, std::erf(x))
QEFF_FLOAT_UNARY(Tanh, Activation::tanh, std::tanh(x))
QEFF_FLOAT_UNARY(Sigmoid, Activation::sigmoid, T(1) / (T(1) + std::exp(-x)))
QEFF_FLOAT_UNARY(Softplus, Activation::none, x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)))
QEFF_FLOAT_UNARY(Sin, Activation::none, std::sin(x))
QEFF_FLOAT_UNARY(Cos, Activation::none, std::cos(x))
QEFF_FLOAT_UNARY(Ceil, Activation::none, std::ceil(x))
QEFF_FLOAT_UNARY(Floor, Activation::none, std::floor(x))
#undef QEFF_FLOAT_UNARY

struct Round : Unary<FloatTypes> {
  explicit Round(const OpCtx &) {}
  // Half to even, independent of the floating-point environment's rounding mode.
  template <class T>
  T operator()(T x) const {
    T r = std::round(x);  // half away from zero
    if (std::fabs(x - std::trunc(x)) == T(0.5)) r = T(2) * std::round(x / T(2));
    return r;
  }
};
struct Gelu : Unary<FloatTypes> {
  bool tanh_approx;
  explicit Gelu(const OpCtx &c) {
    std::string a = c.attr_string("approximate", "none");
    if (a != "none" && a != "tanh")
      c.fail(QEFF_E_FORMAT, "attribute 'approximate' is " + quote(a) + "; expected \"none\" or \"tanh\"");
    tanh_approx = a == "tanh";
    f32 = tanh_approx ? Activation::gelu_tanh : Activation::gelu_erf;
  }
  template <class T>
  T operator()(T x) const {
    if (tanh_approx)
      return T(0.5) * x * (T(1) + std::tanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x)));
    return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752)));
  }
};
struct HardSigmoid : Unary<FloatTypes> {
  double alpha, beta;
  explicit HardSigmoid(const OpCtx &c) : alpha(c.attr_float("alpha", 0.2)), beta(c.attr_float("beta", 0.5)) {}
  template <class T>
  T operator()(T x) const { return std::max(T(0), std::min(T(1), T(alpha) * x + T(beta))); }
};
struct HardSwish : Unary<FloatTypes> {
  explicit HardSwish(const OpCtx &) {}
  template <class T>
  T operator()(T x) const { return x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5))); }
};
struct LeakyRelu : Unary<FloatTypes> {
  double alpha;
  explicit LeakyRelu(const OpCtx &c) : alpha(c.attr_float("alpha", 0.01)) {}
  template <class T>
  T operator()(T x) const { return x >= T(0) ? x : T(alpha) * x; }
};
struct IsInf : Unary<FloatTypes, true> {
  bool neg, pos;
  explicit IsInf(const OpCtx &c) : neg(c.attr_bool("detect_negative", true)), pos(c.attr_bool("detect_positive", true)) {}
  template <class T>
  bool operator()(T x) const { return std::isinf(x) && (x > 0 ? pos : neg); }
};
struct IsNaN : Unary<FloatTypes, true> {
  explicit IsNaN(const OpCtx &) {}
  template <class T>
  bool operator()(T x) const { return std::isnan(x); }
};
struct Not : Unary<Types<bool>> {
  explicit Not(const OpCtx &) {}
  template <class T>
  bool operator()(T x) const { return !x; }
};

template <class Op>
std::vector<graph::TensorType> unary_infer(const InferContext &ic) {
  OpCtx c(ic);
  c.need_inputs(1, 1);
  dispatch(typename Op::types{}, c.dtype(0), c.node, [](auto) {});
  Op check(c);
  (void)check;
  return {make_type(Op::kBoolOut ? QEFF_DTYPE_BOOL : c.dtype(0), c.dims(0))};
}

template <class Op>
std::unique_ptr<Kernel> unary_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  Op op(c);
  const int64_t n = dims_numel(c.dims(0));
  std::unique_ptr<Kernel> k;
  dispatch(typename Op::types{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using R = std::conditional_t<Op::kBoolOut, bool, T>;
    k = make_kernel([op, n](const RunArgs &a) {
      const T *x = static_cast<const T *>(a.inputs[0]);
      R *y = static_cast<R *>(a.outputs[0]);
      // Transcendental functions cost far more than a load: parallelize sooner.
      parallel_range(a.parallel, n, 8, [&](int64_t b, int64_t e) {
        if constexpr (std::is_same_v<T, float> && !Op::kBoolOut) {
          if (op.f32 != Activation::none) return kernels::apply_activation(op.f32, x + b, y + b, e - b);
        }
        for (int64_t i = b; i < e; ++i) y[i] = op(x[i]);
      });
    });
  });
  return k;
}

// Clip: bounds from attributes (opset < 11) or optional scalar inputs read at
// run time (so they need not be constants). min > max gives max, as ONNX says;
// NaN passes through.
struct ClipBounds {
  bool attrs;
  double lo, hi;
};

ClipBounds clip_bounds(const OpCtx &c) {
  if (c.opset < 11) {
    c.need_inputs(1, 1);
    return {true, c.attr_float("min", -std::numeric_limits<double>::infinity()),
            c.attr_float("max", std::numeric_limits<double>::infinity())};
  }
  c.need_inputs(1, 3);
  for (size_t i = 1; i < 3; ++i) {
    if (!c.has(i)) continue;
    c.match_dtype(0, i);
    if (dims_numel(c.dims(i)) != 1)
      c.fail(QEFF_E_FORMAT, c.input_label(i) + " must be a scalar, got shape " + dims_str(c.dims(i)));
  }
  return {false, 0, 0};
}

std::vector<graph::TensorType> clip_infer(const InferContext &ic) {
  OpCtx c(ic);
  clip_bounds(c);
  dispatch(NumericTypes{}, c.dtype(0), c.node, [](auto) {});
  return {c.type(0)};
}

std::unique_ptr<Kernel> clip_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const ClipBounds cb = clip_bounds(c);
  const int64_t n = dims_numel(c.dims(0));
  std::unique_ptr<Kernel> k;
  dispatch(NumericTypes{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel([cb, n](const RunArgs &a) {
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if constexpr (std::is_floating_point_v<T>) {
        lo = -std::numeric_limits<T>::infinity();
        hi = std::numeric_limits<T>::infinity();
      }
      if (cb.attrs) {
        lo = cast_value<T>(cb.lo);
        hi = cast_value<T>(cb.hi);
      } else {
        if (a.inputs[1] != nullptr) lo = *static_cast<const T *>(a.inputs[1]);
        if (a.inputs[2] != nullptr) hi = *static_cast<const T *>(a.inputs[2]);
      }
      const T *x = static_cast<const T *>(a.inputs[0]);
      T *y = static_cast<T *>(a.outputs[0]);
      parallel_range(a.parallel, n, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          T v = x[i] < lo ? lo : x[i];
          y[i] = v > hi ? hi : v;
        }
      });
    });
  });
  return k;
}

qeff_dtype cast_target(const OpCtx &c) {
  if (c.node.op_type == "CastLike") {
    c.need_inputs(2, 2);
    return c.dtype(1);
  }
  c.need_inputs(1, 1);
  std::optional<int64_t> to = c.attr_int("to");
  if (!to) c.fail(QEFF_E_FORMAT, "attribute 'to' is required");
  std::optional<qeff_dtype> dt = onnx_io::qeff_dtype_of_onnx(*to);
  if (!dt) c.fail(QEFF_E_UNSUPPORTED, "attribute 'to' is ONNX element type " + std::to_string(*to) +
                                          ", which qeff cannot cast to");
  return *dt;
}

std::vector<graph::TensorType> cast_infer(const InferContext &ic) {
  OpCtx c(ic);
  qeff_dtype to = cast_target(c);
  dispatch(AllTypes{}, c.dtype(0), c.node, [](auto) {});
  dispatch(AllTypes{}, to, c.node, [](auto) {}, "target");
  return {make_type(to, c.dims(0))};
}

std::unique_ptr<Kernel> cast_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const qeff_dtype from = c.dtype(0), to = cast_target(c);
  const int64_t n = dims_numel(c.dims(0));
  if (from == to) return copy_kernel(static_cast<uint64_t>(n) * elem_bytes(c.node, from));
  const size_t fw = elem_bytes(c.node, from), tw = elem_bytes(c.node, to);
  return make_kernel([from, to, n, fw, tw](const RunArgs &a) {
    parallel_range(a.parallel, n, 2, [&](int64_t b, int64_t e) {
      convert_elements(from, static_cast<const char *>(a.inputs[0]) + b * int64_t(fw), to,
                       static_cast<char *>(a.outputs[0]) + b * int64_t(tw), e - b);
    });
  });
}

template <class Op>
OpDef unary(std::string_view name) {
  return {"", name, &unary_infer<Op>, &unary_prepare<Op>, kInPlace};
}

}  // namespace

std::vector<OpDef> unary_ops() {
  return {
      unary<Abs>("Abs"), unary<Neg>("Neg"), unary<Sign>("Sign"), unary<Relu>("Relu"),
      unary<Sqrt>("Sqrt"), unary<Reciprocal>("Reciprocal"), unary<Log>("Log"), unary<Exp>("Exp"),
      unary<Erf>("Erf"), unary<Tanh>("Tanh"), unary<Sigmoid>("Sigmoid"), unary<Softplus>("Softplus"),
      unary<Sin>("Sin"), unary<Cos>("Cos"), unary<Ceil>("Ceil"), unary<Floor>("Floor"),
      unary<Round>("Round"), unary<Gelu>("Gelu"), unary<HardSigmoid>("HardSigmoid"),
      unary<HardSwish>("HardSwish"), unary<LeakyRelu>("LeakyRelu"), unary<IsInf>("IsInf"),
      unary<IsNaN>("IsNaN"), unary<Not>("Not"),
      {"", "Clip", &clip_infer, &clip_prepare, kInPlace},
      {"", "Cast", &cast_infer, &cast_prepare, kInPlace},
      {"", "CastLike", &cast_infer, &cast_prepare, kInPlace},
  };
}

}  // namespace qeff::ops::generic
