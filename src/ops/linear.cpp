// MatMul, Gemm and qeff.cpu.PackedMatMul over the GEMM kernels
// (kernels/gemm.hpp). Every node becomes one LinearKernel: either a product
// with a packed weight (a constant B packed at prepare, or PackedMatMul's
// pre-packed input) or a batch of run-time products, plus Gemm's alpha/beta/C.
#include "ops/linear.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <variant>

#include "common/dtype.hpp"
#include "common/error.hpp"
#include "kernels/gemm.hpp"
#include "ops/tables.hpp"

namespace qeff::ops {
namespace {

using graph::TensorType;
using kernels::GemmStorage;

std::string shape_str(const std::vector<int64_t> &d) { return graph::to_string(graph::fixed_shape(d)); }

int64_t product(const std::vector<int64_t> &d, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= d[i];
  return p;
}

[[noreturn]] void node_fail(const graph::Node &node, qeff_status status, const std::string &what) {
  fail(status, node_label(node) + ": " + what);
}

void require_f32(const graph::Node &node, const TensorType &t, const char *operand) {
  if (t.dtype != QEFF_DTYPE_F32)
    node_fail(node, QEFF_E_UNSUPPORTED,
              std::string(operand) + " has element type " + dtype_name(t.dtype) + "; only F32 is supported");
}

double attr_float(const graph::Node &node, const char *name, double def) {
  const graph::Attribute *a = node.attribute(name);
  if (!a) return def;
  if (auto *d = std::get_if<double>(&a->value)) return *d;
  if (auto *i = std::get_if<int64_t>(&a->value)) return static_cast<double>(*i);
  node_fail(node, QEFF_E_FORMAT, std::string("attribute ") + name + " is not a float");
}

int64_t attr_int(const graph::Node &node, const char *name, int64_t def) {
  const graph::Attribute *a = node.attribute(name);
  if (!a) return def;
  if (auto *i = std::get_if<int64_t>(&a->value)) return *i;
  node_fail(node, QEFF_E_FORMAT, std::string("attribute ") + name + " is not an integer");
}

std::string attr_string(const graph::Node &node, const char *name, const std::string &def) {
  const graph::Attribute *a = node.attribute(name);
  if (!a) return def;
  if (auto *s = std::get_if<std::string>(&a->value)) return *s;
  node_fail(node, QEFF_E_FORMAT, std::string("attribute ") + name + " is not a string");
}

bool has_input(const std::vector<TensorType> &in, size_t i) { return i < in.size() && in[i].known(); }

// ---- MatMul shapes (numpy matmul: rank-1 operands promoted, batch dims broadcast)

struct MatMulShape {
  int64_t m = 1, k = 1, n = 1;
  std::vector<int64_t> batch, a_batch, b_batch;  // broadcast batch dims; each operand's padded to its rank
  std::vector<int64_t> out;
};

MatMulShape matmul_shape(const graph::Node &node, const std::vector<int64_t> &a, const std::vector<int64_t> &b) {
  if (a.empty() || b.empty())
    node_fail(node, QEFF_E_FORMAT, "operands must have rank >= 1: " + shape_str(a) + " x " + shape_str(b));
  MatMulShape s;
  std::vector<int64_t> ab(a.begin(), a.end() - std::min<size_t>(a.size(), 2));
  std::vector<int64_t> bb(b.begin(), b.end() - std::min<size_t>(b.size(), 2));
  s.m = a.size() >= 2 ? a[a.size() - 2] : 1;
  s.k = a.back();
  const int64_t kb = b.size() >= 2 ? b[b.size() - 2] : b[0];
  s.n = b.size() >= 2 ? b.back() : 1;
  if (s.k != kb)
    node_fail(node, QEFF_E_FORMAT, "inner dimensions differ: " + shape_str(a) + " x " + shape_str(b));
  const size_t r = std::max(ab.size(), bb.size());
  ab.insert(ab.begin(), r - ab.size(), 1);
  bb.insert(bb.begin(), r - bb.size(), 1);
  for (size_t i = 0; i < r; ++i) {
    if (ab[i] != bb[i] && ab[i] != 1 && bb[i] != 1)
      node_fail(node, QEFF_E_FORMAT, "batch dimensions do not broadcast: " + shape_str(a) + " x " + shape_str(b));
    s.batch.push_back(ab[i] == 1 ? bb[i] : ab[i]);
  }
  s.a_batch = ab;
  s.b_batch = bb;
  s.out = s.batch;
  if (a.size() >= 2) s.out.push_back(s.m);
  if (b.size() >= 2) s.out.push_back(s.n);
  return s;
}

// Index of the operand matrix for each output batch entry (row-major).
std::vector<int64_t> batch_index(const std::vector<int64_t> &out, const std::vector<int64_t> &operand) {
  std::vector<int64_t> idx(static_cast<size_t>(product(out, 0, out.size())));
  for (size_t i = 0; i < idx.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i), flat = 0, stride = 1;
    for (size_t d = out.size(); d-- > 0;) {
      const int64_t coord = rem % out[d];
      rem /= out[d];
      if (operand[d] != 1) flat += coord * stride;
      stride *= operand[d];
    }
    idx[i] = flat;
  }
  return idx;
}

// ---- The kernel

// A constant packed at prepare, 64-byte aligned (the kernels run faster on
// aligned panels).
struct AlignedBytes {
  std::vector<uint8_t> raw;
  size_t offset = 0;
  explicit AlignedBytes(uint64_t n = 0) : raw(n + 63) {
    offset = (64 - reinterpret_cast<uintptr_t>(raw.data()) % 64) % 64;
  }
  uint8_t *data() { return raw.data() + offset; }
  const uint8_t *data() const { return raw.data() + offset; }
};

class LinearKernel final : public Kernel {
 public:
  // Product with a packed weight: Y [m, n] = epilogue(A [m, k] W).
  bool packed = false;
  int64_t m = 0, k = 0, n = 0;
  GemmStorage storage = GemmStorage::f32;
  AlignedBytes own_weight;  // when prepare packed a constant
  int weight_input = -1;    // else the input holding the packed bytes
  // Batch of run-time products (packed == false).
  kernels::GemmBatch batch;
  std::vector<int64_t> a_index, b_index;
  // Epilogue inputs (PackedMatMul).
  int bias_input = -1, residual_input = -1;
  kernels::Activation activation = kernels::Activation::none;
  // Gemm: Y = alpha Y + beta C, C [cm, cn] broadcast to [m, n] (cm, cn in {1, m/n}).
  float alpha = 1.0f, beta = 0.0f;
  int c_input = -1;
  int64_t cm = 1, cn = 1;

  uint64_t workspace_bytes() const override {
    return packed ? kernels::gemm_packed_workspace(m, kernels::PackedB{nullptr, k, n, storage})
                  : kernels::gemm_batched_workspace(batch);
  }

  void run(const RunArgs &args) const override {
    const auto *a = static_cast<const float *>(args.inputs[0]);
    auto *y = static_cast<float *>(args.outputs[0]);
    kernels::GemmEpilogue ep;
    ep.activation = activation;
    if (bias_input >= 0) ep.bias = static_cast<const float *>(args.inputs[bias_input]);
    if (residual_input >= 0) {
      ep.residual = static_cast<const float *>(args.inputs[residual_input]);
      ep.ldr = n;
    }
    if (packed) {
      const void *w = weight_input >= 0 ? args.inputs[weight_input] : own_weight.data();
      kernels::gemm_packed(m, a, k, kernels::PackedB{w, k, n, storage}, y, n, ep, *args.parallel, args.workspace);
    } else {
      kernels::GemmBatch g = batch;
      g.a = a;
      g.b = static_cast<const float *>(args.inputs[1]);
      g.c = y;
      g.a_index = a_index.empty() ? nullptr : a_index.data();
      g.b_index = b_index.empty() ? nullptr : b_index.data();
      g.ep = ep;
      g.residual_stride = m * n;
      kernels::gemm_batched(g, args.workspace, *args.parallel);
    }
    scale_and_add_c(y, args);
  }

 private:
  // Gemm's alpha and beta C, one pass over Y (O(MN) beside the O(MNK) product).
  void scale_and_add_c(float *y, const RunArgs &args) const {
    const float *c = c_input >= 0 && beta != 0.0f ? static_cast<const float *>(args.inputs[c_input]) : nullptr;
    if (alpha == 1.0f && !c) return;
    args.parallel->parallel_for(m, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float *row = y + i * n;
        const float *crow = c ? c + (cm == 1 ? 0 : i) * cn : nullptr;
        for (int64_t j = 0; j < n; ++j) {
          float v = alpha * row[j];
          if (crow) v += beta * crow[cn == 1 ? 0 : j];
          row[j] = v;
        }
      }
    });
  }
};

// Packs a constant f32 B (K x N, or N x K when transposed) for the kernel.
void pack_constant(LinearKernel &kern, const TensorView &b, bool transposed, int64_t k, int64_t n) {
  kern.packed = true;
  kern.k = k;
  kern.n = n;
  kern.storage = GemmStorage::f32;
  kern.own_weight = AlignedBytes(kernels::gemm_packed_bytes(k, n, GemmStorage::f32));
  kernels::gemm_pack(b.as<float>(), transposed ? k : n, transposed, k, n, GemmStorage::f32, kern.own_weight.data());
}

// ---- MatMul

std::vector<TensorType> matmul_infer(const InferContext &ctx) {
  if (ctx.inputs.size() != 2) node_fail(ctx.node, QEFF_E_FORMAT, "expects 2 inputs");
  require_f32(ctx.node, ctx.inputs[0], "input A");
  require_f32(ctx.node, ctx.inputs[1], "input B");
  MatMulShape s = matmul_shape(ctx.node, dims_of(ctx.inputs[0]), dims_of(ctx.inputs[1]));
  return {make_type(QEFF_DTYPE_F32, s.out)};
}

std::unique_ptr<Kernel> matmul_prepare(const PrepareContext &ctx) {
  matmul_infer({ctx.node, ctx.opset, ctx.inputs, {}});
  const MatMulShape s = matmul_shape(ctx.node, dims_of(ctx.inputs[0]), dims_of(ctx.inputs[1]));
  auto kern = std::make_unique<LinearKernel>();
  const int64_t batch = product(s.batch, 0, s.batch.size());
  const int64_t num_a = product(s.a_batch, 0, s.a_batch.size());
  const int64_t num_b = product(s.b_batch, 0, s.b_batch.size());
  // A shared B and an unbroadcast A: one product with the batch folded into M.
  const bool fold = num_b == 1 && num_a == batch;
  kern->m = fold ? batch * s.m : s.m;
  kern->k = s.k;
  kern->n = s.n;
  const TensorView *b = ctx.constants.size() > 1 ? ctx.constants[1] : nullptr;
  if (fold && b) {
    pack_constant(*kern, *b, false, s.k, s.n);
    return kern;
  }
  kernels::GemmBatch &g = kern->batch;
  g.batch = fold ? 1 : batch;
  g.m = kern->m;
  g.n = s.n;
  g.k = s.k;
  g.lda = s.k;
  g.a_stride = s.m * s.k;
  g.num_a = fold ? 1 : num_a;
  g.ldb = s.n;
  g.b_stride = s.k * s.n;
  g.num_b = num_b;
  g.ldc = s.n;
  g.c_stride = s.m * s.n;
  if (!fold) {
    kern->a_index = batch_index(s.batch, s.a_batch);
    kern->b_index = batch_index(s.batch, s.b_batch);
  }
  return kern;
}

// ---- Gemm

struct GemmShape {
  int64_t m, k, n;
  bool trans_a, trans_b;
};

GemmShape gemm_shape(const graph::Node &node, int64_t opset, const std::vector<TensorType> &in) {
  if (in.size() < 2 || in.size() > 3) node_fail(node, QEFF_E_FORMAT, "expects 2 or 3 inputs");
  require_f32(node, in[0], "input A");
  require_f32(node, in[1], "input B");
  if (has_input(in, 2)) require_f32(node, in[2], "input C");
  else if (opset < 11) node_fail(node, QEFF_E_FORMAT, "input C is required before opset 11");
  const auto a = dims_of(in[0]), b = dims_of(in[1]);
  if (a.size() != 2 || b.size() != 2)
    node_fail(node, QEFF_E_FORMAT, "operands must have rank 2: " + shape_str(a) + " x " + shape_str(b));
  GemmShape s;
  s.trans_a = attr_int(node, "transA", 0) != 0;
  s.trans_b = attr_int(node, "transB", 0) != 0;
  s.m = s.trans_a ? a[1] : a[0];
  s.k = s.trans_a ? a[0] : a[1];
  const int64_t kb = s.trans_b ? b[1] : b[0];
  s.n = s.trans_b ? b[0] : b[1];
  if (s.k != kb)
    node_fail(node, QEFF_E_FORMAT,
              "inner dimensions differ: " + shape_str(a) + (s.trans_a ? "^T" : "") + " x " + shape_str(b) +
                  (s.trans_b ? "^T" : ""));
  if (has_input(in, 2)) {
    const auto c = dims_of(in[2]);
    const std::vector<int64_t> y = {s.m, s.n};
    bool ok = c.size() <= 2;
    for (size_t i = 0; ok && i < c.size(); ++i) {
      const int64_t want = y[2 - c.size() + i];
      ok = c[i] == want || c[i] == 1;
    }
    if (!ok)
      node_fail(node, QEFF_E_FORMAT, "input C " + shape_str(c) + " does not broadcast to " + shape_str(y));
  }
  return s;
}

std::vector<TensorType> gemm_infer(const InferContext &ctx) {
  const GemmShape s = gemm_shape(ctx.node, ctx.opset, ctx.inputs);
  return {make_type(QEFF_DTYPE_F32, {s.m, s.n})};
}

std::unique_ptr<Kernel> gemm_prepare(const PrepareContext &ctx) {
  const GemmShape s = gemm_shape(ctx.node, ctx.opset, ctx.inputs);
  auto kern = std::make_unique<LinearKernel>();
  kern->m = s.m;
  kern->k = s.k;
  kern->n = s.n;
  kern->alpha = static_cast<float>(attr_float(ctx.node, "alpha", 1.0));
  kern->beta = static_cast<float>(attr_float(ctx.node, "beta", 1.0));
  if (has_input(ctx.inputs, 2)) {
    const auto c = dims_of(ctx.inputs[2]);
    kern->c_input = 2;
    kern->cn = c.empty() ? 1 : c.back();
    kern->cm = c.size() == 2 ? c[0] : 1;
  }
  const TensorView *b = ctx.constants.size() > 1 ? ctx.constants[1] : nullptr;
  if (b && !s.trans_a) {
    pack_constant(*kern, *b, s.trans_b, s.k, s.n);
    return kern;
  }
  kernels::GemmBatch &g = kern->batch;
  g.m = s.m;
  g.n = s.n;
  g.k = s.k;
  g.trans_a = s.trans_a;
  g.lda = s.trans_a ? s.m : s.k;
  g.trans_b = s.trans_b;
  g.ldb = s.trans_b ? s.k : s.n;
  g.ldc = s.n;
  return kern;
}

// ---- qeff.cpu.PackedMatMul

struct PackedShape {
  std::vector<int64_t> out;
  int64_t m, k, n;
  GemmStorage storage;
  kernels::Activation activation;
};

// A product's attributes: PackedMatMul's own, or one member's of a group.
struct PackedAttrs {
  int64_t k = -1, n = -1;
  std::string format, activation = "none";
};

PackedAttrs packed_attrs(const graph::Node &node) {
  return {attr_int(node, "k", -1), attr_int(node, "n", -1), attr_string(node, "format", ""),
          attr_string(node, "activation", "none")};
}

// in: A, W, then optionally bias and residual.
PackedShape packed_shape(const graph::Node &node, const std::vector<TensorType> &in, const PackedAttrs &attrs) {
  if (in.size() < 2 || in.size() > 4) node_fail(node, QEFF_E_FORMAT, "expects 2 to 4 inputs");
  PackedShape s;
  s.k = attrs.k;
  s.n = attrs.n;
  if (s.k < 0 || s.n < 0) node_fail(node, QEFF_E_FORMAT, "attributes k and n must be given and >= 0");
  const std::string &format = attrs.format;
  if (!kernels::parse_gemm_format(format, &s.storage))
    node_fail(node, QEFF_E_FORMAT, "unknown packed weight format " + quote(format));
  auto a = kernels::parse_activation(attrs.activation);
  if (!a) node_fail(node, QEFF_E_FORMAT, "unknown activation " + quote(attrs.activation));
  s.activation = *a;
  require_f32(node, in[0], "input A");
  const auto x = dims_of(in[0]);
  if (x.empty() || x.back() != s.k)
    node_fail(node, QEFF_E_FORMAT, "input A " + shape_str(x) + " does not end in k = " + std::to_string(s.k));
  s.m = product(x, 0, x.size() - 1);
  s.out = x;
  s.out.back() = s.n;
  const auto w = dims_of(in[1]);
  const uint64_t want = kernels::gemm_packed_bytes(s.k, s.n, s.storage);
  if (in[1].dtype != QEFF_DTYPE_U8 || w.size() != 1 || static_cast<uint64_t>(w[0]) != want)
    node_fail(node, QEFF_E_FORMAT,
              "packed weight is " + graph::to_string(in[1]) + ", expected U8[" + std::to_string(want) + "] for " +
                  format + " " + std::to_string(s.k) + " x " + std::to_string(s.n));
  if (has_input(in, 2)) {
    require_f32(node, in[2], "bias");
    if (dims_of(in[2]) != std::vector<int64_t>{s.n})
      node_fail(node, QEFF_E_FORMAT, "bias " + shape_str(dims_of(in[2])) + " is not [" + std::to_string(s.n) + "]");
  }
  if (has_input(in, 3)) {
    require_f32(node, in[3], "residual");
    if (dims_of(in[3]) != s.out)
      node_fail(node, QEFF_E_FORMAT, "residual " + shape_str(dims_of(in[3])) + " is not the output's " + shape_str(s.out));
  }
  return s;
}

std::vector<TensorType> packed_infer(const InferContext &ctx) {
  return {make_type(QEFF_DTYPE_F32, packed_shape(ctx.node, ctx.inputs, packed_attrs(ctx.node)).out)};
}

std::unique_ptr<Kernel> packed_prepare(const PrepareContext &ctx) {
  const PackedShape s = packed_shape(ctx.node, ctx.inputs, packed_attrs(ctx.node));
  auto kern = std::make_unique<LinearKernel>();
  kern->packed = true;
  kern->m = s.m;
  kern->k = s.k;
  kern->n = s.n;
  kern->storage = s.storage;
  kern->weight_input = 1;  // used in place: the runtime holds the packed bytes
  kern->activation = s.activation;
  if (has_input(ctx.inputs, 2)) kern->bias_input = 2;
  if (has_input(ctx.inputs, 3)) kern->residual_input = 3;
  return kern;
}

// ---- qeff.cpu.PackedMatMulGroup: PackedMatMuls sharing A ------------------------

template <class T>
const std::vector<T> &attr_list(const graph::Node &node, const char *name) {
  const graph::Attribute *a = node.attribute(name);
  const auto *v = a ? std::get_if<std::vector<T>>(&a->value) : nullptr;
  if (!v) node_fail(node, QEFF_E_FORMAT, std::string("attribute ") + name + " must be given as a list");
  return *v;
}

// Each member's shape (inputs A, W_i, bias_i); one storage and one k.
std::vector<PackedShape> group_shapes(const graph::Node &node, const std::vector<TensorType> &in) {
  const auto &ns = attr_list<int64_t>(node, "ns");
  const auto &acts = attr_list<std::string>(node, "activations");
  const size_t count = ns.size();
  if (count < 1 || count > static_cast<size_t>(kernels::kGemmMaxGroup) || acts.size() != count ||
      in.size() != 1 + 2 * count)
    node_fail(node, QEFF_E_FORMAT,
              "expects 1 to " + std::to_string(kernels::kGemmMaxGroup) + " members (ns, activations, and A then " +
                  "W and bias per member as inputs), got " + std::to_string(count) + " ns, " +
                  std::to_string(acts.size()) + " activations, " + std::to_string(in.size()) + " inputs");
  std::vector<PackedShape> shapes;
  for (size_t i = 0; i < count; ++i) {
    const PackedAttrs a{attr_int(node, "k", -1), ns[i], attr_string(node, "format", ""), acts[i]};
    shapes.push_back(packed_shape(node, {in[0], in[1 + 2 * i], in[2 + 2 * i]}, a));
  }
  return shapes;
}

std::vector<TensorType> group_infer(const InferContext &ctx) {
  std::vector<TensorType> out;
  for (const PackedShape &s : group_shapes(ctx.node, ctx.inputs)) out.push_back(make_type(QEFF_DTYPE_F32, s.out));
  return out;
}

class GroupKernel final : public Kernel {
 public:
  explicit GroupKernel(std::vector<PackedShape> shapes) : shapes_(std::move(shapes)) {}
  uint64_t workspace_bytes() const override {
    kernels::GemmMember members[kernels::kGemmMaxGroup];
    return kernels::gemm_packed_group_workspace(shapes_[0].m, members_of(nullptr, members), count());
  }
  void run(const RunArgs &args) const override {
    kernels::GemmMember members[kernels::kGemmMaxGroup];
    kernels::gemm_packed_group(shapes_[0].m, static_cast<const float *>(args.inputs[0]), shapes_[0].k,
                               members_of(&args, members), count(), *args.parallel, args.workspace);
  }

 private:
  int count() const { return static_cast<int>(shapes_.size()); }
  // The members, their weights, outputs and biases from args when given.
  kernels::GemmMember *members_of(const RunArgs *args, kernels::GemmMember *out) const {
    for (size_t i = 0; i < shapes_.size(); ++i) {
      const PackedShape &s = shapes_[i];
      kernels::GemmMember &g = out[i];
      g.b = kernels::PackedB{args ? args->inputs[1 + 2 * i] : nullptr, s.k, s.n, s.storage};
      g.c = args ? static_cast<float *>(args->outputs[i]) : nullptr;
      g.ldc = s.n;
      g.ep.activation = s.activation;
      g.ep.bias = args ? static_cast<const float *>(args->inputs[2 + 2 * i]) : nullptr;
    }
    return out;
  }
  std::vector<PackedShape> shapes_;
};

std::unique_ptr<Kernel> group_prepare(const PrepareContext &ctx) {
  std::vector<PackedShape> shapes = group_shapes(ctx.node, ctx.inputs);
  for (const PackedShape &s : shapes)
    if (s.storage != shapes[0].storage)
      node_fail(ctx.node, QEFF_E_FORMAT, "members must share one packed weight format");
  return std::make_unique<GroupKernel>(std::move(shapes));
}

}  // namespace

bool int4_group_supported(int64_t int4_group) { return int4_group == 32 || int4_group == 128; }

PackedWeight pack_matmul_weight(const TensorView &w, bool transposed, qeff_dtype storage, int64_t int4_group) {
  if (w.dtype != QEFF_DTYPE_F32)
    fail(QEFF_E_UNSUPPORTED, std::string("pack_matmul_weight: weight element type ") + dtype_name(w.dtype) +
                                 " is not supported (F32 only)");
  if (w.shape.size() != 2)
    fail(QEFF_E_FORMAT, "pack_matmul_weight: weight " + shape_str(w.shape) + " is not rank 2");
  if (storage != QEFF_DTYPE_F32 && storage != QEFF_DTYPE_BF16 && storage != QEFF_DTYPE_F16 &&
      storage != QEFF_DTYPE_I8 && storage != QEFF_DTYPE_U4 && storage != QEFF_DTYPE_F6_E2M3)
    fail(QEFF_E_UNSUPPORTED, std::string("pack_matmul_weight: storage ") + dtype_name(storage) +
                                 " is not supported (F32, BF16, F16, I8, U4 or F6_E2M3)");
  if (storage == QEFF_DTYPE_U4 && !int4_group_supported(int4_group))
    fail(QEFF_E_UNSUPPORTED, "pack_matmul_weight: int4 group size " + std::to_string(int4_group) +
                                 " is not supported (32 or 128)");
  const GemmStorage s = storage == QEFF_DTYPE_BF16      ? GemmStorage::bf16
                        : storage == QEFF_DTYPE_F16     ? GemmStorage::f16
                        : storage == QEFF_DTYPE_I8      ? GemmStorage::i8
                        : storage == QEFF_DTYPE_U4      ? (int4_group == 128 ? GemmStorage::q4g128 : GemmStorage::q4)
                        : storage == QEFF_DTYPE_F6_E2M3 ? GemmStorage::mx6
                                                        : GemmStorage::f32;
  PackedWeight p;
  p.k = transposed ? w.shape[1] : w.shape[0];
  p.n = transposed ? w.shape[0] : w.shape[1];
  if (s == GemmStorage::i8 && p.k > kernels::kGemmI8MaxK)
    fail(QEFF_E_UNSUPPORTED, "pack_matmul_weight: weight " + shape_str(w.shape) + " has K = " + std::to_string(p.k) +
                                 ", above the int8 limit of " + std::to_string(kernels::kGemmI8MaxK));
  p.format = kernels::gemm_format_name(s);
  p.bytes = PackedBytes(kernels::gemm_packed_bytes(p.k, p.n, s));
  kernels::gemm_pack(w.as<float>(), w.shape[1], transposed, p.k, p.n, s, p.bytes.data());
  return p;
}

namespace tables {

std::vector<OpDef> linear() {
  return {
      {"", "MatMul", matmul_infer, matmul_prepare, kNone},
      {"", "Gemm", gemm_infer, gemm_prepare, kNone},
      {kCpuDomain, "PackedMatMul", packed_infer, packed_prepare, kNone},
      {kCpuDomain, "PackedMatMulGroup", group_infer, group_prepare, kNone},
  };
}

}  // namespace tables
}  // namespace qeff::ops
