// Value-producing ops and Einsum: Constant, ConstantOfShape, Range, Einsum.
//
// ConstantOfShape's shape and Range's start/limit/delta decide output shapes:
// they must be compile-time constants (QEFF_E_UNSUPPORTED otherwise).
//
// Einsum accepts any valid equation (explicit "->" or implicit output,
// repeated labels for diagonals, "..." broadcasting between operands) and
// runs one general loop: each output element sums the product of its operands
// over the contracted labels, with per-operand strides per label (a repeated
// label's strides add up, a broadcast ellipsis dim has stride 0). Floats
// accumulate in double.
#include <algorithm>
#include <map>

#include "common/dtype.hpp"
#include "ops/generic_util.hpp"

namespace qeff::ops::generic {
namespace {

// ---- Constant -----------------------------------------------------------------

graph::ConstTensor constant_value(const OpCtx &c) {
  c.need_inputs(0, 0);
  std::vector<graph::ConstTensor> found;
  auto scalar_bytes = [](const void *p, size_t n) {
    const auto *b = static_cast<const uint8_t *>(p);
    return std::vector<uint8_t>(b, b + n);
  };
  for (const graph::Attribute &a : c.node.attributes) {
    if (a.name == "value") {
      found.push_back(*c.attr_tensor("value"));
    } else if (a.name == "value_float") {
      float f = static_cast<float>(*c.attr_float("value_float"));
      found.push_back({make_type(QEFF_DTYPE_F32, {}), scalar_bytes(&f, sizeof f)});
    } else if (a.name == "value_floats") {
      const std::vector<double> doubles = *c.attr_floats("value_floats");
      std::vector<float> f;
      for (double d : doubles) f.push_back(static_cast<float>(d));
      found.push_back({make_type(QEFF_DTYPE_F32, {static_cast<int64_t>(f.size())}), scalar_bytes(f.data(), f.size() * 4)});
    } else if (a.name == "value_int") {
      int64_t i = *c.attr_int("value_int");
      found.push_back({make_type(QEFF_DTYPE_I64, {}), scalar_bytes(&i, sizeof i)});
    } else if (a.name == "value_ints") {
      std::vector<int64_t> v = *c.attr_ints("value_ints");
      found.push_back({make_type(QEFF_DTYPE_I64, {static_cast<int64_t>(v.size())}), scalar_bytes(v.data(), v.size() * 8)});
    } else if (a.name == "value_string" || a.name == "value_strings" || a.name == "sparse_value") {
      c.fail(QEFF_E_UNSUPPORTED, "attribute '" + a.name + "' is not supported (string and sparse tensors)");
    }
  }
  if (found.size() != 1)
    c.fail(QEFF_E_FORMAT, "must have exactly one value attribute, has " + std::to_string(found.size()));
  const graph::ConstTensor &t = found[0];
  if (!graph::is_fixed(t.type.shape)) c.fail(QEFF_E_FORMAT, "value has a symbolic shape");
  std::optional<uint64_t> bytes = graph::byte_size(t.type.dtype, *graph::numel(t.type.shape));
  if (!bytes || *bytes != t.bytes.size())
    c.fail(QEFF_E_FORMAT, "value holds " + std::to_string(t.bytes.size()) + " bytes for type " + graph::to_string(t.type));
  return t;
}

std::vector<graph::TensorType> constant_infer(const InferContext &ic) { return {constant_value(OpCtx(ic)).type}; }

std::unique_ptr<Kernel> constant_prepare(const PrepareContext &pc) {
  std::vector<uint8_t> bytes = constant_value(OpCtx(pc)).bytes;
  return make_kernel([bytes](const RunArgs &a) {
    if (!bytes.empty()) std::memcpy(a.outputs[0], bytes.data(), bytes.size());
  });
}

// ---- ConstantOfShape ----------------------------------------------------------------

struct FillPlan {
  Dims shape;
  qeff_dtype dtype;
  std::vector<uint8_t> value;  // one element
};

FillPlan fill_plan(const OpCtx &c) {
  c.need_inputs(1, 1);
  FillPlan p{c.ints(0, "shape"), QEFF_DTYPE_F32, std::vector<uint8_t>(4, 0)};
  for (int64_t d : p.shape)
    if (d < 0) c.fail(QEFF_E_FORMAT, "shape " + dims_str(p.shape) + " has a negative dimension");
  if (const graph::ConstTensor *t = c.attr_tensor("value")) {
    if (graph::numel(t->type.shape) != 1u || !graph::byte_size(t->type.dtype, 1))
      c.fail(QEFF_E_FORMAT, "attribute 'value' must hold exactly one element, got " + graph::to_string(t->type));
    if (*graph::byte_size(t->type.dtype, 1) != t->bytes.size())
      c.fail(QEFF_E_FORMAT, "attribute 'value' holds " + std::to_string(t->bytes.size()) + " bytes");
    p.dtype = t->type.dtype;
    p.value = t->bytes;
  }
  elem_bytes(c.node, p.dtype);
  return p;
}

std::vector<graph::TensorType> fill_infer(const InferContext &ic) {
  FillPlan p = fill_plan(OpCtx(ic));
  return {make_type(p.dtype, p.shape)};
}

std::unique_ptr<Kernel> fill_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const FillPlan p = fill_plan(c);
  const int64_t n = dims_numel(p.shape);
  std::unique_ptr<Kernel> k;
  dispatch_width(c.node, p.dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    U v;
    std::memcpy(&v, p.value.data(), sizeof v);
    k = make_kernel([v, n](const RunArgs &a) { std::fill_n(static_cast<U *>(a.outputs[0]), n, v); });
  });
  return k;
}

// ---- Range ---------------------------------------------------------------------

using RangeTypes = Types<float, double, int16_t, int32_t, int64_t>;
constexpr int64_t kMaxRange = int64_t(1) << 40;

int64_t range_count(const OpCtx &c) {
  c.need_inputs(3, 3);
  c.same_dtype(0, 2);
  const char *names[] = {"start", "limit", "delta"};
  double v[3];
  for (size_t i = 0; i < 3; ++i) {
    const TensorView &t = c.constant(i, names[i]);
    if (t.numel() != 1) c.fail(QEFF_E_FORMAT, c.input_label(i) + " '" + names[i] + "' must be a scalar");
    v[i] = load_double(t.dtype, t.data, 0);
  }
  if (v[2] == 0) c.fail(QEFF_E_FORMAT, "delta is 0");
  double n;
  if (dtype_is_float(c.dtype(0))) {
    n = std::ceil((v[1] - v[0]) / v[2]);
  } else {  // exact integer ceil-division; a difference that overflows is far too many elements
    const int64_t s = load_int(c.dtype(0), c.value(0)->data, 0), l = load_int(c.dtype(0), c.value(1)->data, 0),
                  d = load_int(c.dtype(0), c.value(2)->data, 0);
    int64_t diff;
    if (__builtin_sub_overflow(l, s, &diff) || (d == -1 && diff == INT64_MIN)) {
      n = static_cast<double>(kMaxRange);
    } else {
      int64_t q = diff / d;
      if (q * d != diff && ((diff < 0) == (d < 0))) ++q;
      n = static_cast<double>(q);
    }
  }
  if (!(n < static_cast<double>(kMaxRange)))
    c.fail(QEFF_E_FORMAT, "range has " + std::to_string(n) + " elements, more than the " +
                              std::to_string(kMaxRange) + " allowed");
  return n > 0 ? static_cast<int64_t>(n) : 0;
}

std::vector<graph::TensorType> range_infer(const InferContext &ic) {
  OpCtx c(ic);
  dispatch(RangeTypes{}, c.dtype(0), c.node, [](auto) {});
  return {make_type(c.dtype(0), {range_count(c)})};
}

std::unique_ptr<Kernel> range_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const int64_t n = range_count(c);
  std::unique_ptr<Kernel> k;
  dispatch(RangeTypes{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel([n](const RunArgs &a) {
      const T start = *static_cast<const T *>(a.inputs[0]), delta = *static_cast<const T *>(a.inputs[2]);
      T *y = static_cast<T *>(a.outputs[0]);
      for (int64_t i = 0; i < n; ++i) {
        if constexpr (std::is_integral_v<T>)
          y[i] = static_cast<T>(static_cast<uint64_t>(start) + static_cast<uint64_t>(i) * static_cast<uint64_t>(delta));
        else
          y[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      }
    });
  });
  return k;
}

// ---- Einsum --------------------------------------------------------------------

using EinsumTypes = Types<float, double, int32_t, int64_t>;

struct EinsumPlan {
  Dims out;                       // output shape
  Dims sizes;                     // size of each label (output labels first, then contracted)
  size_t n_out;                   // labels [0, n_out) are the output's
  std::vector<Dims> strides;      // per operand, per label
};

// Parses the equation into label ids per term. Letters are ids 0..51; the
// ellipsis dims get ids from 52 on, right-aligned across operands.
EinsumPlan einsum_plan(const OpCtx &c) {
  if (c.num_inputs() == 0) c.fail(QEFF_E_FORMAT, "needs at least one input");
  c.need_inputs(c.num_inputs(), c.num_inputs());
  c.same_dtype(0, c.num_inputs() - 1);
  std::string eq;
  for (char ch : c.attr_string("equation", "")) if (ch != ' ') eq += ch;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t b = 0;;) {
    size_t e = lhs.find(',', b);
    terms.push_back(lhs.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  auto bad = [&](const std::string &why) { c.fail(QEFF_E_FORMAT, "equation " + quote(eq) + ": " + why); };
  if (terms.size() != c.num_inputs())
    bad("has " + std::to_string(terms.size()) + " operands but the node has " + std::to_string(c.num_inputs()) + " inputs");
  constexpr int kEllipsis = 52;
  auto letter_id = [&](char ch) -> int {
    if (ch >= 'a' && ch <= 'z') return ch - 'a';
    if (ch >= 'A' && ch <= 'Z') return 26 + (ch - 'A');
    bad(std::string("invalid label '") + ch + "'");
    return -1;  // not reached: bad() throws
  };
  // Each term as label ids; an ellipsis expands to the operand's extra dims.
  int64_t ell_rank = 0;
  std::vector<std::vector<int>> ids(terms.size());
  std::map<int, int64_t> size;
  std::map<int, int> count;
  for (size_t k = 0; k < terms.size(); ++k) {
    const Dims d = c.dims(k);
    const std::string &t = terms[k];
    const size_t dots = t.find("...");
    const int64_t letters = static_cast<int64_t>(t.size()) - (dots == std::string::npos ? 0 : 3);
    const int64_t extra = static_cast<int64_t>(d.size()) - letters;
    if (extra < 0 || (dots == std::string::npos && extra != 0))
      bad("term " + quote(t) + " does not match the rank of input " + std::to_string(k) + " " + dims_str(d));
    for (size_t i = 0; i < t.size(); ++i) {
      if (i == dots) {
        for (int64_t j = 0; j < extra; ++j) ids[k].push_back(kEllipsis + static_cast<int>(extra - 1 - j));
        i += 2;
        continue;
      }
      ids[k].push_back(letter_id(t[i]));
    }
    ell_rank = std::max(ell_rank, extra);
    std::map<int, bool> seen;
    for (size_t i = 0; i < ids[k].size(); ++i) {
      const int id = ids[k][i];
      const int64_t dim = d[i];
      if (!seen[id]) ++count[id];
      seen[id] = true;
      auto [it, fresh] = size.emplace(id, dim);
      if (!fresh && it->second != dim) {
        if (id >= kEllipsis && (it->second == 1 || dim == 1)) it->second = std::max(it->second, dim);
        else bad("label sizes differ: " + std::to_string(it->second) + " vs " + std::to_string(dim) + " (input " +
                 std::to_string(k) + " " + dims_str(d) + ")");
      }
    }
  }
  std::vector<int> out_ids;
  if (arrow != std::string::npos) {
    const std::string rhs = eq.substr(arrow + 2);
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (rhs.compare(i, 3, "...") == 0) {
        for (int64_t j = ell_rank; j-- > 0;) out_ids.push_back(kEllipsis + static_cast<int>(j));
        i += 2;
        continue;
      }
      const int id = letter_id(rhs[i]);
      if (!size.count(id)) bad(std::string("output label '") + rhs[i] + "' is not in any input");
      if (std::find(out_ids.begin(), out_ids.end(), id) != out_ids.end())
        bad(std::string("output label '") + rhs[i] + "' appears twice");
      out_ids.push_back(id);
    }
  } else {  // implicit: ellipsis dims, then the labels seen once, alphabetically
    for (int64_t j = ell_rank; j-- > 0;) out_ids.push_back(kEllipsis + static_cast<int>(j));
    for (const auto &[id, n] : count)
      if (id < kEllipsis && n == 1) {
        bool repeated = false;
        for (const auto &t : ids) repeated = repeated || std::count(t.begin(), t.end(), id) > 1;
        if (!repeated) out_ids.push_back(id);
      }
  }
  // Label order: output labels, then contracted ones.
  std::vector<int> order = out_ids;
  for (const auto &[id, s] : size)
    if (std::find(order.begin(), order.end(), id) == order.end()) order.push_back(id);
  EinsumPlan p;
  p.n_out = out_ids.size();
  for (int id : order) p.sizes.push_back(size[id]);
  p.out.assign(p.sizes.begin(), p.sizes.begin() + static_cast<int64_t>(p.n_out));
  for (size_t k = 0; k < ids.size(); ++k) {
    const Dims d = c.dims(k), st = contiguous_strides(d);
    Dims s(order.size(), 0);
    for (size_t i = 0; i < ids[k].size(); ++i) {
      if (d[i] == 1) continue;  // broadcast (or size 1): stride 0
      const size_t l = static_cast<size_t>(std::find(order.begin(), order.end(), ids[k][i]) - order.begin());
      s[l] += st[i];
    }
    p.strides.push_back(s);
  }
  return p;
}

std::vector<graph::TensorType> einsum_infer(const InferContext &ic) {
  OpCtx c(ic);
  dispatch(EinsumTypes{}, c.dtype(0), c.node, [](auto) {});
  return {make_type(c.dtype(0), einsum_plan(c).out)};
}

std::unique_ptr<Kernel> einsum_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const EinsumPlan p = einsum_plan(c);
  const Dims red(p.sizes.begin() + static_cast<int64_t>(p.n_out), p.sizes.end());
  const int64_t red_n = dims_numel(red);
  std::unique_ptr<Kernel> k;
  dispatch(EinsumTypes{}, c.dtype(0), c.node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;  // integers wrap
    k = make_kernel([p, red, red_n](const RunArgs &a) {
      const size_t nin = p.strides.size(), nl = p.sizes.size();
      T *y = static_cast<T *>(a.outputs[0]);
      parallel_range(a.parallel, dims_numel(p.out), std::max<int64_t>(red_n, 1) * int64_t(nin), [&](int64_t b, int64_t e) {
        std::vector<int64_t> off(nin), idx(nl);
        for (int64_t o = b; o < e; ++o) {
          // Output label indices -> base offsets.
          std::fill(off.begin(), off.end(), 0);
          for (size_t l = p.n_out, rem = static_cast<size_t>(o); l-- > 0;) {
            const int64_t i = static_cast<int64_t>(rem % static_cast<size_t>(p.sizes[l]));
            rem /= static_cast<size_t>(p.sizes[l]);
            for (size_t k2 = 0; k2 < nin; ++k2) off[k2] += i * p.strides[k2][l];
          }
          std::fill(idx.begin(), idx.end(), 0);
          Acc acc = 0;
          for (int64_t r = 0; r < red_n; ++r) {
            Acc prod = 1;
            for (size_t k2 = 0; k2 < nin; ++k2) prod *= static_cast<Acc>(static_cast<const T *>(a.inputs[k2])[off[k2]]);
            acc += prod;
            // Odometer over the contracted labels, moving the offsets along.
            for (size_t l = nl; l-- > p.n_out;) {
              for (size_t k2 = 0; k2 < nin; ++k2) off[k2] += p.strides[k2][l];
              if (++idx[l] < p.sizes[l]) break;
              for (size_t k2 = 0; k2 < nin; ++k2) off[k2] -= p.sizes[l] * p.strides[k2][l];
              idx[l] = 0;
            }
          }
          y[o] = static_cast<T>(acc);
        }
      });
    });
  });
  return k;
}

}  // namespace

std::vector<OpDef> misc_ops() {
  return {
      {"", "Constant", &constant_infer, &constant_prepare, kNone},
      {"", "ConstantOfShape", &fill_infer, &fill_prepare, kNone},
      {"", "Range", &range_infer, &range_prepare, kNone},
      {"", "Einsum", &einsum_infer, &einsum_prepare, kNone},
  };
}

}  // namespace qeff::ops::generic
