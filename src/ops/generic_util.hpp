// Shared machinery of the generic ONNX ops (ops/generic_*.cpp): one view of
// the infer/prepare contexts with typed attribute and input access, dtype
// dispatch through type lists, the one strided/broadcasting index walker every
// elementwise, data-movement and broadcast op uses, and kernels made from
// closures. Every error names the node (ops::node_label) and the value at fault.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/error.hpp"
#include "kernels/half.hpp"
#include "ops/op.hpp"

namespace qeff::ops::generic {

using Dims = std::vector<int64_t>;

std::string dims_str(const Dims &d);  // "[2, 3]"
int64_t dims_numel(const Dims &d);
Dims contiguous_strides(const Dims &d);

// ---- element types ----------------------------------------------------------

// 16-bit floats as stored; arithmetic on them goes through float
// (kernels/half.hpp converts).
struct Half { uint16_t bits; };
struct BFloat16 { uint16_t bits; };

template <class T>
constexpr qeff_dtype dtype_of() {
  if constexpr (std::is_same_v<T, float>) return QEFF_DTYPE_F32;
  else if constexpr (std::is_same_v<T, double>) return QEFF_DTYPE_F64;
  else if constexpr (std::is_same_v<T, Half>) return QEFF_DTYPE_F16;
  else if constexpr (std::is_same_v<T, BFloat16>) return QEFF_DTYPE_BF16;
  else if constexpr (std::is_same_v<T, bool>) return QEFF_DTYPE_BOOL;
  else if constexpr (std::is_same_v<T, int8_t>) return QEFF_DTYPE_I8;
  else if constexpr (std::is_same_v<T, int16_t>) return QEFF_DTYPE_I16;
  else if constexpr (std::is_same_v<T, int32_t>) return QEFF_DTYPE_I32;
  else if constexpr (std::is_same_v<T, int64_t>) return QEFF_DTYPE_I64;
  else if constexpr (std::is_same_v<T, uint8_t>) return QEFF_DTYPE_U8;
  else if constexpr (std::is_same_v<T, uint16_t>) return QEFF_DTYPE_U16;
  else if constexpr (std::is_same_v<T, uint32_t>) return QEFF_DTYPE_U32;
  else if constexpr (std::is_same_v<T, uint64_t>) return QEFF_DTYPE_U64;
  else static_assert(sizeof(T) == 0, "no qeff dtype for this type");
}

template <class T>
struct Tag { using type = T; };
template <class... T>
struct Types {};

using FloatTypes = Types<float, double>;
using IntTypes = Types<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using SignedTypes = Types<float, double, int8_t, int16_t, int32_t, int64_t>;
using NumericTypes = Types<float, double, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using NumericBoolTypes =
    Types<float, double, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool>;
using AllTypes = Types<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                       uint32_t, uint64_t, bool>;
// Data movement only needs the element size: one instantiation per width.
using WidthTypes = Types<uint8_t, uint16_t, uint32_t, uint64_t>;

[[noreturn]] void fail_dtype(const graph::Node &node, qeff_dtype dt, const std::vector<qeff_dtype> &supported,
                             const std::string &what = "input");

// Calls f(Tag<T>{}) for the T of `types` whose dtype is `dt`; otherwise
// QEFF_E_UNSUPPORTED naming the node, the dtype and the supported ones.
template <class... T, class F>
void dispatch(Types<T...>, qeff_dtype dt, const graph::Node &node, F &&f, const std::string &what = "input") {
  bool done = ((dt == dtype_of<T>() ? (f(Tag<T>{}), true) : false) || ...);
  if (!done) fail_dtype(node, dt, {dtype_of<T>()...}, what);
}

template <class... T>
bool dtype_in(Types<T...>, qeff_dtype dt) {
  return ((dt == dtype_of<T>()) || ...);
}

// Bytes per element for data movement (1, 2, 4, 8); QEFF_E_UNSUPPORTED for
// sub-byte and unknown types.
size_t elem_bytes(const graph::Node &node, qeff_dtype dt);
// Calls f(Tag<U>{}) with the unsigned integer type `width` bytes wide (1, 2, 4, 8).
template <class F>
void with_width(size_t width, F &&f) {
  switch (width) {
    case 1: return f(Tag<uint8_t>{});
    case 2: return f(Tag<uint16_t>{});
    case 4: return f(Tag<uint32_t>{});
    default: return f(Tag<uint64_t>{});
  }
}
template <class F>
void dispatch_width(const graph::Node &node, qeff_dtype dt, F &&f) {
  with_width(elem_bytes(node, dt), f);
}

// ---- one view of InferContext and PrepareContext ----------------------------

class OpCtx {
 public:
  explicit OpCtx(const InferContext &c) : node(c.node), opset(c.opset), inputs_(c.inputs), values_(c.values) {}
  explicit OpCtx(const PrepareContext &c) : node(c.node), opset(c.opset), inputs_(c.inputs), values_(c.constants) {}

  const graph::Node &node;
  const int64_t opset;

  [[noreturn]] void fail(qeff_status status, const std::string &message) const;

  // Whether input i is present (not omitted).
  bool has(size_t i) const { return i < inputs_.size() && inputs_[i].known(); }
  size_t num_inputs() const { return inputs_.size(); }
  // Checks the count of inputs: QEFF_E_FORMAT unless min <= present-or-omitted <= max
  // and the first `min` are present.
  void need_inputs(size_t min, size_t max) const;
  const graph::TensorType &type(size_t i) const;  // QEFF_E_FORMAT when absent
  qeff_dtype dtype(size_t i) const { return type(i).dtype; }
  Dims dims(size_t i) const { return dims_of(type(i)); }
  int64_t rank(size_t i) const { return static_cast<int64_t>(type(i).shape.size()); }
  // The compile-time value of input i, or nullptr.
  const TensorView *value(size_t i) const { return i < values_.size() ? values_[i] : nullptr; }
  // The value of input i, which decides an output shape: QEFF_E_UNSUPPORTED
  // ("must be a compile-time constant") when not known.
  const TensorView &constant(size_t i, const char *input_name) const;
  // Integer values (int32/int64) of constant input i.
  std::vector<int64_t> ints(size_t i, const char *input_name) const;

  // "input 1 (\"x\")" for messages.
  std::string input_label(size_t i) const;

  // Attributes: absent -> the default; a value of the wrong type is QEFF_E_FORMAT.
  std::optional<int64_t> attr_int(const char *name) const;
  int64_t attr_int(const char *name, int64_t def) const { return attr_int(name).value_or(def); }
  std::optional<double> attr_float(const char *name) const;
  double attr_float(const char *name, double def) const { return attr_float(name).value_or(def); }
  std::optional<std::string> attr_string(const char *name) const;
  std::string attr_string(const char *name, const char *def) const { return attr_string(name).value_or(def); }
  std::optional<std::vector<int64_t>> attr_ints(const char *name) const;
  std::optional<std::vector<double>> attr_floats(const char *name) const;
  const graph::ConstTensor *attr_tensor(const char *name) const;
  // A boolean attribute (0 or 1; other values are QEFF_E_FORMAT).
  bool attr_bool(const char *name, bool def) const;

  // `axis` in [-rank, rank) normalized to [0, rank); QEFF_E_FORMAT otherwise.
  int64_t axis(int64_t axis, int64_t rank, const std::string &what) const;
  // Normalized, distinct axes.
  std::vector<int64_t> axes(const std::vector<int64_t> &axes, int64_t rank, const std::string &what) const;
  // The ONNX multidirectional broadcast of `shapes`; QEFF_E_FORMAT showing them.
  Dims broadcast(const std::vector<Dims> &shapes) const;
  // Checks that present inputs [first, last] share one dtype (QEFF_E_FORMAT otherwise).
  void same_dtype(size_t first, size_t last) const;
  // Checks that input i, when present, has input ref's dtype.
  void match_dtype(size_t ref, size_t i) const;

 private:
  const std::vector<graph::TensorType> &inputs_;
  const std::vector<const TensorView *> &values_;
};

// Integer values of a tensor of int32/int64 (the index types ONNX uses).
std::vector<int64_t> read_ints(const graph::Node &node, const TensorView &v, const std::string &what);
// One integer from a run-time buffer of an integer dtype.
int64_t load_int(qeff_dtype dt, const void *data, int64_t i);
// One number from a run-time buffer of a numeric dtype, as double.
double load_double(qeff_dtype dt, const void *data, int64_t i);
// One element converted with Cast's semantics (see ops/generic_unary.cpp):
// float -> integer truncates, saturates and maps NaN to 0.
template <class To, class From>
To cast_value(From v) {
  if constexpr (std::is_same_v<From, Half>) {
    return cast_value<To>(kernels::f16_to_f32(v.bits));
  } else if constexpr (std::is_same_v<From, BFloat16>) {
    return cast_value<To>(kernels::bf16_to_f32(v.bits));
  } else if constexpr (std::is_same_v<To, Half>) {
    return Half{kernels::f32_to_f16(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<To, BFloat16>) {
    return BFloat16{kernels::f32_to_bf16(static_cast<float>(v))};
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    if (std::isnan(v)) return 0;
    const double t = std::trunc(static_cast<double>(v));
    // Both bounds are powers of two, exact in double.
    constexpr double lo = static_cast<double>(std::numeric_limits<To>::min());
    const double hi_excl = std::ldexp(1.0, std::numeric_limits<To>::digits);
    if (t < lo) return std::numeric_limits<To>::min();
    if (t >= hi_excl) return std::numeric_limits<To>::max();
    return static_cast<To>(t);
  } else {
    return static_cast<To>(v);
  }
}

// Converts n elements with Cast's semantics (ops/generic_unary.cpp); both
// dtypes must be of AllTypes (callers check in infer).
void convert_elements(qeff_dtype from, const void *src, qeff_dtype to, void *dst, int64_t n);

// ---- the index walker ---------------------------------------------------------

// Walks a contiguous output of `shape` in row-major order and, for K operands
// (inputs) read with their own element strides (0 for broadcast dims, negative
// for reversed slices) from a base offset, yields runs of the innermost
// dimension. Adjacent dims are merged where every operand is contiguous across
// them, so same-shape, scalar and row-broadcast cases become a single loop
// with strides 0/1 that the callers specialize.
class Walk {
 public:
  static constexpr size_t kMaxOperands = 3;

  // Operands broadcast (ONNX, right-aligned) to `out`.
  static Walk broadcast(const Dims &out, const std::vector<Dims> &operands);
  // One operand with explicit strides and base offset (Transpose, Slice, ...).
  static Walk strided(const Dims &out, const Dims &strides, int64_t base);

  int64_t numel() const { return numel_; }
  int64_t inner_stride(size_t k) const { return shape_.empty() ? 0 : strides_[k].back(); }

  // Calls f(out_index, n, offsets) for each run in [begin, end): operand k's
  // element at out_index + j is offsets[k] + j * inner_stride(k).
  template <class F>
  void runs(int64_t begin, int64_t end, F &&f) const {
    if (begin >= end) return;
    const size_t r = shape_.size();
    std::array<int64_t, kMaxOperands> off = base_;
    if (r == 0) return f(begin, end - begin, off);
    Dims idx(r);
    int64_t rem = begin;
    for (size_t d = r; d-- > 0;) {
      idx[d] = rem % shape_[d];
      rem /= shape_[d];
      for (size_t k = 0; k < k_; ++k) off[k] += idx[d] * strides_[k][d];
    }
    const int64_t inner = shape_[r - 1];
    int64_t cur = begin;
    while (cur < end) {
      int64_t n = std::min(inner - idx[r - 1], end - cur);
      f(cur, n, off);
      cur += n;
      idx[r - 1] += n;
      for (size_t k = 0; k < k_; ++k) off[k] += n * strides_[k][r - 1];
      // Carry into the outer dims.
      for (size_t d = r - 1; d > 0 && idx[d] == shape_[d]; --d) {
        for (size_t k = 0; k < k_; ++k) off[k] += strides_[k][d - 1] - shape_[d] * strides_[k][d];
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  }

 private:
  void collapse();
  Dims shape_;
  std::array<Dims, kMaxOperands> strides_;
  std::array<int64_t, kMaxOperands> base_{};
  size_t k_ = 0;
  int64_t numel_ = 1;
};

// ---- kernels and parallelism -------------------------------------------------

// Runs fn over [0, n) on the pool when n * cost_per_item is large enough
// (kernels::parallel_for_work), else inline; p may be null (inline).
void parallel_range(kernels::Parallel *p, int64_t n, int64_t cost_per_item,
                    const std::function<void(int64_t, int64_t)> &fn);

using RunFn = std::function<void(const RunArgs &)>;
std::unique_ptr<Kernel> make_kernel(RunFn fn, uint64_t workspace_bytes = 0);

// Copies `walk` (one strided operand) from src into contiguous dst, elements of
// `width` bytes, in parallel.
void strided_copy(const Walk &walk, size_t width, const void *src, void *dst, kernels::Parallel *p);
// A kernel copying input 0 to output 0 when they are different buffers (views).
std::unique_ptr<Kernel> copy_kernel(uint64_t bytes);

// Index validation (run time): the index wrapped into [0, bound) as ONNX says
// for negative values; out of [-bound, bound) throws qeff::Error
// QEFF_E_INVALID_ARGUMENT naming the node, the index and the bound. Called
// before any output is written and never inside parallel_for.
int64_t wrap_index(const std::string &label, int64_t index, int64_t bound, const char *what);
// Reads n int32/int64 indices into `out`, each wrapped by wrap_index against
// bounds[i % bounds.size()] (one bound per component of an index tuple).
void load_indices(const std::string &label, qeff_dtype dt, const void *src, int64_t n, const Dims &bounds,
                  int64_t *out, const char *what = "index");

// The op tables of each group file.
std::vector<OpDef> elementwise_ops();
std::vector<OpDef> unary_ops();
std::vector<OpDef> shape_ops();
std::vector<OpDef> movement_ops();
std::vector<OpDef> indexing_ops();
std::vector<OpDef> reduce_ops();
std::vector<OpDef> misc_ops();

}  // namespace qeff::ops::generic
