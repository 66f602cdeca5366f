// ONNX Softmax, LogSoftmax and LayerNormalization, the helpers of the nn op
// files, and tables::nn() joining them with the qeff fused ops.
#include <algorithm>
#include <variant>

#include "common/dtype.hpp"
#include "kernels/norm.hpp"
#include "kernels/softmax.hpp"
#include "ops/nn_common.hpp"
#include "ops/tables.hpp"

namespace qeff::ops {
namespace nn {

void fail_node(const graph::Node &node, qeff_status status, const std::string &message) {
  fail(status, node_label(node) + ": " + message);
}

std::string shape_str(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

int64_t product(const std::vector<int64_t> &dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) p *= dims[i];
  return p;
}

namespace {

const graph::AttributeValue *attr_value(const graph::Node &node, const char *name) {
  const graph::Attribute *a = node.attribute(name);
  return a ? &a->value : nullptr;
}

}  // namespace

std::optional<int64_t> attr_int(const graph::Node &node, const char *name) {
  const graph::AttributeValue *v = attr_value(node, name);
  if (!v) return std::nullopt;
  if (const auto *i = std::get_if<int64_t>(v)) return *i;
  fail_node(node, QEFF_E_FORMAT, std::string("attribute ") + quote(name) + " must be an int");
}

std::optional<float> attr_float(const graph::Node &node, const char *name) {
  const graph::AttributeValue *v = attr_value(node, name);
  if (!v) return std::nullopt;
  if (const auto *f = std::get_if<double>(v)) return static_cast<float>(*f);
  fail_node(node, QEFF_E_FORMAT, std::string("attribute ") + quote(name) + " must be a float");
}

float required_float(const graph::Node &node, const char *name) {
  if (auto v = attr_float(node, name)) return *v;
  fail_node(node, QEFF_E_FORMAT, std::string("lacks its attribute ") + quote(name));
}

int64_t required_int(const graph::Node &node, const char *name) {
  if (auto v = attr_int(node, name)) return *v;
  fail_node(node, QEFF_E_FORMAT, std::string("lacks its attribute ") + quote(name));
}

void expect_arity(const InferContext &ctx, size_t min_in, size_t max_in, size_t min_out, size_t max_out) {
  size_t n = ctx.inputs.size();
  while (n > min_in && !ctx.inputs[n - 1].known()) --n;  // trailing omitted optionals
  const size_t outs = ctx.node.outputs.size();
  auto range = [](size_t lo, size_t hi) {
    return lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi);
  };
  if (n < min_in || n > max_in)
    fail_node(ctx.node, QEFF_E_FORMAT, "takes " + range(min_in, max_in) + " inputs, got " + std::to_string(n));
  if (outs < min_out || outs > max_out)
    fail_node(ctx.node, QEFF_E_FORMAT, "has " + range(min_out, max_out) + " outputs, got " + std::to_string(outs));
}

void expect_dtype(const InferContext &ctx, size_t i, const char *what, std::initializer_list<qeff_dtype> dtypes,
                  bool unsupported) {
  if (i >= ctx.inputs.size() || !ctx.inputs[i].known())
    fail_node(ctx.node, QEFF_E_FORMAT, std::string("input ") + what + " is missing");
  const qeff_dtype d = ctx.inputs[i].dtype;
  if (std::find(dtypes.begin(), dtypes.end(), d) != dtypes.end()) return;
  std::string allowed;
  for (qeff_dtype a : dtypes) allowed += (allowed.empty() ? "" : " or ") + std::string(dtype_name(a));
  fail_node(ctx.node, unsupported ? QEFF_E_UNSUPPORTED : QEFF_E_FORMAT,
            std::string("input ") + what + " has element type " + dtype_name(d) + ", expected " + allowed);
}

std::vector<int64_t> input_dims(const InferContext &ctx, size_t i, const char *what, int rank) {
  std::vector<int64_t> d = dims_of(ctx.inputs.at(i));
  if (rank >= 0 && d.size() != static_cast<size_t>(rank))
    fail_node(ctx.node, QEFF_E_FORMAT,
              std::string("input ") + what + " must have rank " + std::to_string(rank) + ", got " + shape_str(d));
  return d;
}

int64_t normalize_axis(const graph::Node &node, int64_t axis, size_t rank) {
  const auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r)
    fail_node(node, QEFF_E_FORMAT, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
  return axis < 0 ? axis + r : axis;
}

void expect_row_param(const graph::Node &node, const char *what, const std::vector<int64_t> &param,
                      const std::vector<int64_t> &target) {
  auto strip = [](const std::vector<int64_t> &d) {
    size_t i = 0;
    while (i < d.size() && d[i] == 1) ++i;
    return std::vector<int64_t>(d.begin() + static_cast<std::ptrdiff_t>(i), d.end());
  };
  if (strip(param) == strip(target)) return;
  bool broadcasts = param.size() <= target.size();
  for (size_t i = 0; broadcasts && i < param.size(); ++i) {
    int64_t p = param[param.size() - 1 - i], t = target[target.size() - 1 - i];
    broadcasts = p == 1 || p == t;
  }
  fail_node(node, broadcasts ? QEFF_E_UNSUPPORTED : QEFF_E_FORMAT,
            std::string(what) + " shape " + shape_str(param) +
                (broadcasts ? " broadcast over the normalized shape is not supported (expected "
                            : " does not match the normalized shape (expected ") +
                shape_str(target) + ")");
}

kernels::Parallel &parallel_of(const RunArgs &args) {
  static kernels::SerialParallel serial;  // stateless, so sharing it is safe
  return args.parallel ? *args.parallel : serial;
}

}  // namespace nn

namespace {

using namespace nn;

// ---- Softmax, LogSoftmax -----------------------------------------------------

// Opset >= 13: one axis (default -1). Opset < 13: the input is coerced to 2-D
// at `axis` (default 1) and normalized over everything from it on.
struct SoftmaxShape {
  int64_t outer, n, inner;
};

SoftmaxShape softmax_shape(const graph::Node &node, int64_t opset, const std::vector<int64_t> &d) {
  const int64_t axis = normalize_axis(node, attr_int(node, "axis").value_or(opset >= 13 ? -1 : 1), d.size());
  const auto a = static_cast<size_t>(axis);
  if (opset >= 13) return {product(d, 0, a), d[a], product(d, a + 1, d.size())};
  return {product(d, 0, a), product(d, a, d.size()), 1};
}

std::vector<graph::TensorType> infer_softmax(const InferContext &ctx) {
  expect_arity(ctx, 1, 1);
  expect_dtype(ctx, 0, "input", {QEFF_DTYPE_F32});
  std::vector<int64_t> d = input_dims(ctx, 0, "input");
  if (d.empty()) fail_node(ctx.node, QEFF_E_FORMAT, "input must have rank >= 1, got a scalar");
  softmax_shape(ctx.node, ctx.opset, d);
  return {ctx.inputs[0]};
}

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(SoftmaxShape s, bool log) : s_(s), log_(log) {}
  void run(const RunArgs &args) const override {
    kernels::softmax(static_cast<const float *>(args.inputs[0]), static_cast<float *>(args.outputs[0]), s_.outer,
                     s_.n, s_.inner, log_, parallel_of(args));
  }

 private:
  SoftmaxShape s_;
  bool log_;
};

template <bool Log>
std::unique_ptr<Kernel> prepare_softmax(const PrepareContext &ctx) {
  return std::make_unique<SoftmaxKernel>(softmax_shape(ctx.node, ctx.opset, dims_of(ctx.inputs[0])), Log);
}

// ---- LayerNormalization (opset 17) ---------------------------------------------

struct LayerNormAttrs {
  int64_t axis;
  float epsilon;
};

LayerNormAttrs layer_norm_attrs(const graph::Node &node, size_t rank) {
  const int64_t stash = attr_int(node, "stash_type").value_or(1);
  if (stash != 1)
    fail_node(node, QEFF_E_UNSUPPORTED, "stash_type " + std::to_string(stash) + " is not supported (only 1, float)");
  return {normalize_axis(node, attr_int(node, "axis").value_or(-1), rank), attr_float(node, "epsilon").value_or(1e-5f)};
}

std::vector<graph::TensorType> infer_layer_norm(const InferContext &ctx) {
  if (ctx.opset < 17)
    fail_node(ctx.node, QEFF_E_FORMAT,
              "LayerNormalization needs opset >= 17, the model imports " + std::to_string(ctx.opset));
  expect_arity(ctx, 2, 3, 1, 3);
  expect_dtype(ctx, 0, "X", {QEFF_DTYPE_F32});
  expect_dtype(ctx, 1, "Scale", {QEFF_DTYPE_F32});
  const std::vector<int64_t> x = input_dims(ctx, 0, "X");
  if (x.empty()) fail_node(ctx.node, QEFF_E_FORMAT, "input X must have rank >= 1, got a scalar");
  const auto axis = static_cast<size_t>(layer_norm_attrs(ctx.node, x.size()).axis);
  const std::vector<int64_t> normalized(x.begin() + static_cast<std::ptrdiff_t>(axis), x.end());
  expect_row_param(ctx.node, "Scale", input_dims(ctx, 1, "Scale"), normalized);
  if (ctx.inputs.size() > 2 && ctx.inputs[2].known()) {
    expect_dtype(ctx, 2, "B", {QEFF_DTYPE_F32});
    expect_row_param(ctx.node, "B", input_dims(ctx, 2, "B"), normalized);
  }
  std::vector<int64_t> stat = x;
  std::fill(stat.begin() + static_cast<std::ptrdiff_t>(axis), stat.end(), 1);
  std::vector<graph::TensorType> out = {ctx.inputs[0]};
  for (size_t i = 1; i < ctx.node.outputs.size(); ++i) out.push_back(make_type(QEFF_DTYPE_F32, stat));
  return out;
}

class LayerNormKernel final : public Kernel {
 public:
  LayerNormKernel(int64_t rows, int64_t n, float eps, bool bias, bool mean, bool inv)
      : rows_(rows), n_(n), eps_(eps), bias_(bias), mean_(mean), inv_(inv) {}
  void run(const RunArgs &args) const override {
    kernels::layer_norm(static_cast<const float *>(args.inputs[0]), static_cast<const float *>(args.inputs[1]),
                        bias_ ? static_cast<const float *>(args.inputs[2]) : nullptr,
                        static_cast<float *>(args.outputs[0]),
                        mean_ ? static_cast<float *>(args.outputs[1]) : nullptr,
                        inv_ ? static_cast<float *>(args.outputs[2]) : nullptr, rows_, n_, eps_, parallel_of(args));
  }

 private:
  int64_t rows_, n_;
  float eps_;
  bool bias_, mean_, inv_;
};

std::unique_ptr<Kernel> prepare_layer_norm(const PrepareContext &ctx) {
  const std::vector<int64_t> x = dims_of(ctx.inputs[0]);
  const LayerNormAttrs a = layer_norm_attrs(ctx.node, x.size());
  const auto axis = static_cast<size_t>(a.axis);
  auto wanted = [&](size_t i) { return ctx.node.outputs.size() > i && !ctx.node.outputs[i].empty(); };
  const bool bias = ctx.inputs.size() > 2 && ctx.inputs[2].known();
  return std::make_unique<LayerNormKernel>(product(x, 0, axis), product(x, axis, x.size()), a.epsilon, bias,
                                           wanted(1), wanted(2));
}

}  // namespace

namespace tables {

std::vector<OpDef> nn() {
  std::vector<OpDef> ops = {
      {"", "Softmax", infer_softmax, prepare_softmax<false>, kInPlace},
      {"", "LogSoftmax", infer_softmax, prepare_softmax<true>, kInPlace},
      // In place: each row is read whole (mean, variance) before it is written.
      {"", "LayerNormalization", infer_layer_norm, prepare_layer_norm, kInPlace},
      attention_op(),
      mxint8_attention_op(),
      seq_major_attention_op(),
  };
  for (const OpDef &d : qeff_ops()) ops.push_back(d);
  for (const OpDef &d : mxint8_ops()) ops.push_back(d);
  for (const OpDef &d : int4_ops()) ops.push_back(d);
  return ops;
}

}  // namespace tables
}  // namespace qeff::ops
