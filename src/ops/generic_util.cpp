#include "ops/generic_util.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "common/dtype.hpp"

namespace qeff::ops::generic {

std::string dims_str(const Dims &d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

int64_t dims_numel(const Dims &d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

Dims contiguous_strides(const Dims &d) {
  Dims s(d.size());
  int64_t acc = 1;
  for (size_t i = d.size(); i-- > 0;) {
    s[i] = acc;
    acc *= d[i];
  }
  return s;
}

// ---- dtypes --------------------------------------------------------------------

void fail_dtype(const graph::Node &node, qeff_dtype dt, const std::vector<qeff_dtype> &supported,
                const std::string &what) {
  std::string list;
  for (qeff_dtype s : supported) list += (list.empty() ? "" : ", ") + std::string(dtype_name(s));
  fail(QEFF_E_UNSUPPORTED, node_label(node) + ": " + what + " element type " + dtype_name(dt) +
                               " is not supported (supported: " + list + ")");
}

size_t elem_bytes(const graph::Node &node, qeff_dtype dt) {
  unsigned bits = dtype_bits(dt);
  if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
    fail(QEFF_E_UNSUPPORTED, node_label(node) + ": element type " + dtype_name(dt) +
                                 " is not supported (sub-byte or unknown element size)");
  return bits / 8;
}

// ---- OpCtx ---------------------------------------------------------------------

void OpCtx::fail(qeff_status status, const std::string &message) const {
  qeff::fail(status, node_label(node) + ": " + message);
}

std::string OpCtx::input_label(size_t i) const {
  std::string name = i < node.inputs.size() ? node.inputs[i] : std::string();
  return "input " + std::to_string(i) + " (" + quote(name, 64) + ")";
}

void OpCtx::need_inputs(size_t min, size_t max) const {
  size_t n = inputs_.size();
  if (n < min || n > max)
    fail(QEFF_E_FORMAT, "has " + std::to_string(n) + " inputs; expected " +
                            (min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max)));
  for (size_t i = 0; i < min; ++i)
    if (!inputs_[i].known()) fail(QEFF_E_FORMAT, input_label(i) + " is required but omitted or untyped");
}

const graph::TensorType &OpCtx::type(size_t i) const {
  if (!has(i)) fail(QEFF_E_FORMAT, input_label(i) + " is required but omitted or untyped");
  return inputs_[i];
}

const TensorView &OpCtx::constant(size_t i, const char *input_name) const {
  const TensorView *v = value(i);
  if (v == nullptr)
    fail(QEFF_E_UNSUPPORTED, input_label(i) + " '" + input_name +
                                 "' decides the output shape and must be a compile-time constant");
  return *v;
}

std::vector<int64_t> OpCtx::ints(size_t i, const char *input_name) const {
  return read_ints(node, constant(i, input_name), input_label(i) + " '" + input_name + "'");
}

namespace {

template <class V>
const V *attr_as(const OpCtx &c, const char *name, const char *type_name) {
  const graph::Attribute *a = c.node.attribute(name);
  if (a == nullptr) return nullptr;
  const V *v = std::get_if<V>(&a->value);
  if (v == nullptr) c.fail(QEFF_E_FORMAT, std::string("attribute '") + name + "' must be " + type_name);
  return v;
}

}  // namespace

std::optional<int64_t> OpCtx::attr_int(const char *name) const {
  const int64_t *v = attr_as<int64_t>(*this, name, "an int");
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<double> OpCtx::attr_float(const char *name) const {
  const double *v = attr_as<double>(*this, name, "a float");
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<std::string> OpCtx::attr_string(const char *name) const {
  const std::string *v = attr_as<std::string>(*this, name, "a string");
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<std::vector<int64_t>> OpCtx::attr_ints(const char *name) const {
  const auto *v = attr_as<std::vector<int64_t>>(*this, name, "a list of ints");
  return v ? std::optional(*v) : std::nullopt;
}

std::optional<std::vector<double>> OpCtx::attr_floats(const char *name) const {
  const auto *v = attr_as<std::vector<double>>(*this, name, "a list of floats");
  return v ? std::optional(*v) : std::nullopt;
}

const graph::ConstTensor *OpCtx::attr_tensor(const char *name) const {
  return attr_as<graph::ConstTensor>(*this, name, "a tensor");
}

bool OpCtx::attr_bool(const char *name, bool def) const {
  int64_t v = attr_int(name, def ? 1 : 0);
  if (v != 0 && v != 1)
    fail(QEFF_E_FORMAT, std::string("attribute '") + name + "' is " + std::to_string(v) + "; expected 0 or 1");
  return v == 1;
}

int64_t OpCtx::axis(int64_t a, int64_t rank, const std::string &what) const {
  if (a < -rank || a >= rank || rank == 0)
    fail(QEFF_E_FORMAT, what + " " + std::to_string(a) + " is out of range for rank " + std::to_string(rank) +
                            " (expected [" + std::to_string(-rank) + ", " + std::to_string(rank - 1) + "])");
  return a < 0 ? a + rank : a;
}

std::vector<int64_t> OpCtx::axes(const std::vector<int64_t> &in, int64_t rank, const std::string &what) const {
  std::vector<int64_t> out;
  for (int64_t a : in) {
    int64_t n = axis(a, rank, what);
    if (std::find(out.begin(), out.end(), n) != out.end())
      fail(QEFF_E_FORMAT, what + " lists axis " + std::to_string(n) + " twice");
    out.push_back(n);
  }
  return out;
}

Dims OpCtx::broadcast(const std::vector<Dims> &shapes) const {
  size_t r = 0;
  for (const Dims &s : shapes) r = std::max(r, s.size());
  Dims out(r, 1);
  for (const Dims &s : shapes)
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t &o = out[r - s.size() + i];
      int64_t d = s[i];
      if (d == o || d == 1) continue;
      if (o != 1) {
        std::string all;
        for (const Dims &x : shapes) all += (all.empty() ? "" : " and ") + dims_str(x);
        fail(QEFF_E_FORMAT, "shapes " + all + " cannot be broadcast together");
      }
      o = d;
    }
  return out;
}

void OpCtx::same_dtype(size_t first, size_t last) const {
  for (size_t i = first + 1; i <= last; ++i) match_dtype(first, i);
}

void OpCtx::match_dtype(size_t ref, size_t i) const {
  if (has(i) && dtype(i) != dtype(ref))
    fail(QEFF_E_FORMAT, input_label(i) + " has element type " + dtype_name(dtype(i)) + " but " + input_label(ref) +
                            " has " + dtype_name(dtype(ref)));
}

std::vector<int64_t> read_ints(const graph::Node &node, const TensorView &v, const std::string &what) {
  if (v.dtype != QEFF_DTYPE_I64 && v.dtype != QEFF_DTYPE_I32)
    fail(QEFF_E_FORMAT, node_label(node) + ": " + what + " must be int64 or int32, not " + dtype_name(v.dtype));
  std::vector<int64_t> out(static_cast<size_t>(v.numel()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = load_int(v.dtype, v.data, static_cast<int64_t>(i));
  return out;
}

int64_t load_int(qeff_dtype dt, const void *data, int64_t i) {
  int64_t r = 0;
  dispatch(NumericBoolTypes{}, dt, graph::Node{}, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T v;
    std::memcpy(&v, static_cast<const char *>(data) + i * int64_t(sizeof(T)), sizeof(T));
    if constexpr (std::is_floating_point_v<T>) r = std::isfinite(v) ? static_cast<int64_t>(v) : 0;
    else r = static_cast<int64_t>(v);
  });
  return r;
}

double load_double(qeff_dtype dt, const void *data, int64_t i) {
  if (dt == QEFF_DTYPE_F16) return kernels::f16_to_f32(static_cast<const uint16_t *>(data)[i]);
  if (dt == QEFF_DTYPE_BF16) return kernels::bf16_to_f32(static_cast<const uint16_t *>(data)[i]);
  double r = 0;
  dispatch(NumericBoolTypes{}, dt, graph::Node{}, [&](auto tag) {
    using T = typename decltype(tag)::type;
    r = static_cast<double>(static_cast<const T *>(data)[i]);
  });
  return r;
}

// ---- Walk ------------------------------------------------------------------------

Walk Walk::broadcast(const Dims &out, const std::vector<Dims> &operands) {
  Walk w;
  w.shape_ = out;
  w.k_ = operands.size();
  if (w.k_ > kMaxOperands) qeff::fail(QEFF_E_INTERNAL, "Walk: too many operands");
  for (size_t k = 0; k < w.k_; ++k) {
    const Dims &s = operands[k];
    Dims cs = contiguous_strides(s);
    w.strides_[k].assign(out.size(), 0);
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] != 1) w.strides_[k][out.size() - s.size() + i] = cs[i];
  }
  w.collapse();
  return w;
}

Walk Walk::strided(const Dims &out, const Dims &strides, int64_t base) {
  Walk w;
  w.shape_ = out;
  w.k_ = 1;
  w.strides_[0] = strides;
  w.base_[0] = base;
  w.collapse();
  return w;
}

void Walk::collapse() {
  numel_ = dims_numel(shape_);
  if (numel_ == 0) return;
  Dims shape;
  std::array<Dims, kMaxOperands> strides;
  for (size_t d = 0; d < shape_.size(); ++d) {
    if (shape_[d] == 1) continue;  // a size-1 dim never moves any offset
    bool merge = !shape.empty();
    for (size_t k = 0; k < k_ && merge; ++k) merge = strides[k].back() == strides_[k][d] * shape_[d];
    if (merge) {
      shape.back() *= shape_[d];
      for (size_t k = 0; k < k_; ++k) strides[k].back() = strides_[k][d];
    } else {
      shape.push_back(shape_[d]);
      for (size_t k = 0; k < k_; ++k) strides[k].push_back(strides_[k][d]);
    }
  }
  if (shape.empty()) {  // a single element: one run of length 1
    shape.push_back(1);
    for (size_t k = 0; k < k_; ++k) strides[k].push_back(0);
  }
  shape_ = std::move(shape);
  strides_ = std::move(strides);
}

// ---- kernels ----------------------------------------------------------------------

void parallel_range(kernels::Parallel *p, int64_t n, int64_t cost_per_item,
                    const std::function<void(int64_t, int64_t)> &fn) {
  if (p == nullptr) {
    if (n > 0) fn(0, n);
    return;
  }
  kernels::parallel_for_work(*p, n, cost_per_item, fn);
}

namespace {

class FnKernel final : public Kernel {
 public:
  FnKernel(RunFn fn, uint64_t ws) : fn_(std::move(fn)), ws_(ws) {}
  void run(const RunArgs &args) const override { fn_(args); }
  uint64_t workspace_bytes() const override { return ws_; }

 private:
  RunFn fn_;
  uint64_t ws_;
};

}  // namespace

std::unique_ptr<Kernel> make_kernel(RunFn fn, uint64_t workspace_bytes) {
  return std::make_unique<FnKernel>(std::move(fn), workspace_bytes);
}

void strided_copy(const Walk &walk, size_t width, const void *src, void *dst, kernels::Parallel *p) {
  with_width(width, [&](auto tag) {
                   using U = typename decltype(tag)::type;
                   const U *s = static_cast<const U *>(src);
                   U *d = static_cast<U *>(dst);
                   const int64_t st = walk.inner_stride(0);
                   parallel_range(p, walk.numel(), 1, [&](int64_t b, int64_t e) {
                     walk.runs(b, e, [&](int64_t o, int64_t n, const auto &off) {
                       const U *from = s + off[0];
                       if (st == 1) {
                         std::memcpy(d + o, from, static_cast<size_t>(n) * sizeof(U));
                       } else if (st == 0) {
                         std::fill(d + o, d + o + n, *from);
                       } else {
                         for (int64_t j = 0; j < n; ++j) d[o + j] = from[j * st];
                       }
                     });
                   });
                 });
}

std::unique_ptr<Kernel> copy_kernel(uint64_t bytes) {
  return make_kernel([bytes](const RunArgs &a) {
    if (a.outputs[0] != a.inputs[0] && bytes > 0) std::memmove(a.outputs[0], a.inputs[0], bytes);
  });
}

int64_t wrap_index(const std::string &label, int64_t index, int64_t bound, const char *what) {
  if (index < -bound || index >= bound)
    fail(QEFF_E_INVALID_ARGUMENT, label + ": " + what + " " + std::to_string(index) +
                                      " is out of range for a dimension of size " + std::to_string(bound) +
                                      " (valid: [" + std::to_string(-bound) + ", " + std::to_string(bound - 1) + "])");
  return index < 0 ? index + bound : index;
}

void load_indices(const std::string &label, qeff_dtype dt, const void *src, int64_t n, const Dims &bounds,
                  int64_t *out, const char *what) {
  const int64_t nb = static_cast<int64_t>(bounds.size());
  auto load = [&](const auto *idx) {
    for (int64_t i = 0; i < n; ++i) out[i] = wrap_index(label, static_cast<int64_t>(idx[i]), bounds[i % nb], what);
  };
  if (dt == QEFF_DTYPE_I32) load(static_cast<const int32_t *>(src));
  else load(static_cast<const int64_t *>(src));
}

}  // namespace qeff::ops::generic
