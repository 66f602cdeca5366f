// The nn ops through the registry (ops::find_op): shape inference, errors
// (status and message), tiny cases computed by hand from the ONNX function
// bodies of src/onnx/functions.cpp, serial vs 2-thread runs, in-place runs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "ops/op.hpp"
#include "test_nn_support.hpp"
#include "unit_test.hpp"

namespace {

using namespace qeff;
using nn_test::ThreadParallel;
using nn_test::Workspace;

struct Tensor {
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;  // UNKNOWN: an omitted optional input
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;
};

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) {
  Tensor t{QEFF_DTYPE_F32, std::move(dims), std::vector<uint8_t>(v.size() * 4)};
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}
Tensor i64(std::vector<int64_t> dims, std::vector<int64_t> v) {
  Tensor t{QEFF_DTYPE_I64, std::move(dims), std::vector<uint8_t>(v.size() * 8)};
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}
Tensor boolean(std::vector<int64_t> dims, std::vector<uint8_t> v) { return {QEFF_DTYPE_BOOL, std::move(dims), std::move(v)}; }
Tensor typed(qeff_dtype dtype, std::vector<int64_t> dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return {dtype, dims, std::vector<uint8_t>(static_cast<size_t>(n) * 4)};
}
std::vector<float> floats(const Tensor &t) {
  std::vector<float> v(t.bytes.size() / 4);
  std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
  return v;
}

using Attrs = std::vector<graph::Attribute>;

graph::Node make_node(const std::string &op, const std::string &domain, size_t inputs, Attrs attrs = {},
                      size_t outputs = 1) {
  graph::Node n;
  n.op_type = op;
  n.domain = domain;
  n.name = "layers.0/" + op + "_1";
  for (size_t i = 0; i < inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  n.attributes = std::move(attrs);
  return n;
}

const ops::OpDef &def_of(const graph::Node &n) {
  const ops::OpDef *d = ops::find_op(n.domain, n.op_type);
  if (!d) throw std::runtime_error("op not registered: " + n.op_type);
  return *d;
}

std::vector<graph::TensorType> types_of(const std::vector<Tensor> &in) {
  std::vector<graph::TensorType> t;
  for (const Tensor &x : in)
    t.push_back(x.dtype == QEFF_DTYPE_UNKNOWN ? graph::TensorType{} : ops::make_type(x.dtype, x.dims));
  return t;
}

std::vector<graph::TensorType> infer(const graph::Node &n, const std::vector<Tensor> &in, int64_t opset = 17) {
  ops::InferContext ctx{n, opset, types_of(in), std::vector<const ops::TensorView *>(in.size(), nullptr)};
  return def_of(n).infer(ctx);
}

// Infers, prepares and runs one node; `in_place` makes output 0 the buffer of
// input 0 (the planner's aliasing for kInPlace ops).
std::vector<Tensor> run(const graph::Node &n, std::vector<Tensor> in, kernels::Parallel &parallel,
                        int64_t opset = 17, bool in_place = false) {
  const std::vector<graph::TensorType> out_types = infer(n, in, opset);
  ops::PrepareContext pctx{n, opset, types_of(in), out_types, std::vector<const ops::TensorView *>(in.size(), nullptr)};
  std::unique_ptr<ops::Kernel> k = def_of(n).prepare(pctx);
  std::vector<Tensor> out;
  for (const graph::TensorType &t : out_types) {
    Tensor o{t.dtype, ops::dims_of(t), {}};
    o.bytes.assign(static_cast<size_t>(*graph::byte_size(t.dtype, *graph::numel(t.shape))), 0xEE);
    out.push_back(std::move(o));
  }
  std::vector<const void *> ins;
  for (Tensor &t : in) ins.push_back(t.dtype == QEFF_DTYPE_UNKNOWN ? nullptr : t.bytes.data());
  std::vector<void *> outs;
  for (Tensor &t : out) outs.push_back(t.bytes.data());
  if (in_place) outs[0] = const_cast<void *>(ins[0]);
  Workspace ws(k->workspace_bytes());
  ops::RunArgs args{ins.data(), outs.data(), ws.get(), &parallel};
  k->run(args);
  if (in_place) out[0].bytes = in[0].bytes;
  return out;
}

std::vector<Tensor> run1(const graph::Node &n, std::vector<Tensor> in, int64_t opset = 17) {
  kernels::SerialParallel serial;
  return run(n, std::move(in), serial, opset);
}

void expect_floats(const Tensor &t, std::vector<float> want, float tol = 1e-6f) {
  std::vector<float> got = floats(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

graph::Attribute fattr(const char *name, double v) { return {name, v}; }
graph::Attribute iattr(const char *name, int64_t v) { return {name, v}; }

Attrs attention_attrs(double scale = 1.0, int64_t groups = 1, double masked = -3.4028234663852886e38) {
  return {fattr("scale", scale), iattr("num_kv_groups", groups), fattr("masked_value", masked)};
}

// ---- registry ---------------------------------------------------------------------

TEST(NnOps, RegisteredWithTheirPlannerFlags) {
  struct Want {
    const char *domain, *op;
    unsigned flags;
  };
  for (Want w : {Want{"", "Softmax", ops::kInPlace}, Want{"", "LogSoftmax", ops::kInPlace},
                 Want{"", "LayerNormalization", ops::kInPlace}, Want{"qeff", "RMSNorm", ops::kInPlace},
                 Want{"qeff", "Rotary", ops::kInPlace}, Want{"qeff", "Attention", ops::kNone},
                 Want{"qeff", "CtxScatter", ops::kInPlace}, Want{"qeff", "CtxGather", ops::kNone},
                 Want{"qeff", "MeanPool", ops::kNone}, Want{"qeff", "MaxPool", ops::kNone},
                 Want{"qeff", "ClsPool", ops::kNone}, Want{"qeff", "LastTokenPool", ops::kNone}}) {
    const ops::OpDef *d = ops::find_op(w.domain, w.op);
    ASSERT_NE(d, nullptr) << w.op;
    EXPECT_EQ(d->flags, w.flags) << w.op;
    EXPECT_NE(d->infer, nullptr);
    EXPECT_NE(d->prepare, nullptr);
  }
  EXPECT_NE(ops::find_op("ai.onnx", "Softmax"), nullptr);
}

// ---- Softmax / LogSoftmax ------------------------------------------------------------

TEST(NnOps, SoftmaxOpsetThirteenIsOneAxisElevenCoercesToTwoD) {
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) * 0.3f;
  const graph::Node n = make_node("Softmax", "", 1, {iattr("axis", 1)});
  const std::vector<float> y13 = floats(run1(n, {f32({2, 3, 4}, x)}, 13)[0]);
  const std::vector<float> y11 = floats(run1(n, {f32({2, 3, 4}, x)}, 11)[0]);
  for (int b = 0; b < 2; ++b) {
    double flat = 0;
    for (int c = 0; c < 4; ++c) {
      double s = 0;
      for (int a = 0; a < 3; ++a) s += y13[b * 12 + a * 4 + c];
      EXPECT_NEAR(s, 1.0, 1e-6);  // opset 13: over axis 1 only
    }
    for (int i = 0; i < 12; ++i) flat += y11[b * 12 + i];
    EXPECT_NEAR(flat, 1.0, 1e-6);  // opset 11: over the flattened [3 x 4]
  }
  // Hand case, default axes: [0, ln 3] -> [1/4, 3/4] (opset 13, axis -1).
  expect_floats(run1(make_node("Softmax", "", 1), {f32({1, 2}, {0.0f, std::log(3.0f)})})[0], {0.25f, 0.75f});
  // LogSoftmax: log of the same.
  expect_floats(run1(make_node("LogSoftmax", "", 1), {f32({1, 2}, {0.0f, std::log(3.0f)})})[0],
                {std::log(0.25f), std::log(0.75f)});
  // Opset 11 default axis is 1: on [2, 2] that is each row.
  expect_floats(run1(make_node("Softmax", "", 1), {f32({2, 2}, {0, 0, 1, 1})}, 11)[0], {0.5f, 0.5f, 0.5f, 0.5f});
}

TEST(NnOps, SoftmaxErrorsNameTheNode) {
  EXPECT_QEFF_ERROR(infer(make_node("Softmax", "", 1, {iattr("axis", 3)}), {typed(QEFF_DTYPE_F32, {2, 3, 4})}),
                    QEFF_E_FORMAT, "node \"layers.0/Softmax_1\" (Softmax)", "axis 3 is out of range for rank 3");
  EXPECT_QEFF_ERROR(infer(make_node("LogSoftmax", "", 1), {typed(QEFF_DTYPE_F16, {2, 3})}), QEFF_E_UNSUPPORTED,
                    "(LogSoftmax)", "element type F16, expected F32");
  EXPECT_QEFF_ERROR(infer(make_node("Softmax", "", 1, {fattr("axis", 1.0)}), {typed(QEFF_DTYPE_F32, {2})}),
                    QEFF_E_FORMAT, "attribute \"axis\" must be an int");
  EXPECT_QEFF_ERROR(infer(make_node("Softmax", "", 2), {typed(QEFF_DTYPE_F32, {2}), typed(QEFF_DTYPE_F32, {2})}),
                    QEFF_E_FORMAT, "takes 1 inputs, got 2");
}

// ---- LayerNormalization ------------------------------------------------------------

TEST(NnOps, LayerNormalizationHandCaseAndOptionalOutputs) {
  // x = [1, 3]: mean 2, variance 1, inv_std 1 (epsilon 0) -> [-1, 1] * scale + bias.
  const graph::Node n = make_node("LayerNormalization", "", 3, {fattr("epsilon", 0.0)}, 3);
  auto out = run1(n, {f32({1, 2}, {1, 3}), f32({2}, {2, 3}), f32({2}, {0.5f, -0.5f})});
  expect_floats(out[0], {-1.5f, 2.5f});
  expect_floats(out[1], {2.0f});
  expect_floats(out[2], {1.0f});
  EXPECT_EQ(out[1].dims, (std::vector<int64_t>{1, 1}));
  // axis 1 of [2, 2, 2]: normalize the last two dims together; no bias.
  const graph::Node n2 = make_node("LayerNormalization", "", 2, {iattr("axis", 1), fattr("epsilon", 0.0)});
  auto y = run1(n2, {f32({2, 2, 2}, {1, 1, 3, 3, 0, 0, 0, 4}), f32({2, 2}, {1, 1, 1, 1})})[0];
  expect_floats(y, {-1, -1, 1, 1, -1 / std::sqrt(3.0f), -1 / std::sqrt(3.0f), -1 / std::sqrt(3.0f), std::sqrt(3.0f)});
}

TEST(NnOps, LayerNormalizationErrors) {
  const auto x = typed(QEFF_DTYPE_F32, {2, 8});
  EXPECT_QEFF_ERROR(infer(make_node("LayerNormalization", "", 2), {x, typed(QEFF_DTYPE_F32, {7})}), QEFF_E_FORMAT,
                    "(LayerNormalization)", "Scale shape [7] does not match the normalized shape (expected [8])");
  EXPECT_QEFF_ERROR(infer(make_node("LayerNormalization", "", 2), {x, typed(QEFF_DTYPE_F32, {1})}), QEFF_E_UNSUPPORTED,
                    "Scale shape [1] broadcast over the normalized shape is not supported");
  EXPECT_QEFF_ERROR(
      infer(make_node("LayerNormalization", "", 2, {iattr("stash_type", 16)}), {x, typed(QEFF_DTYPE_F32, {8})}),
      QEFF_E_UNSUPPORTED, "stash_type 16 is not supported");
  EXPECT_QEFF_ERROR(infer(make_node("LayerNormalization", "", 2), {x, typed(QEFF_DTYPE_F32, {8})}, 13), QEFF_E_FORMAT,
                    "needs opset >= 17");
  // A [1, 8] scale is the same per-element weight: accepted.
  EXPECT_EQ(infer(make_node("LayerNormalization", "", 2), {x, typed(QEFF_DTYPE_F32, {1, 8})}).size(), 1u);
}

// ---- RMSNorm ---------------------------------------------------------------------------

TEST(NnOps, RmsNormHandCase) {
  // [3, 4]: mean of squares 12.5; y = x / sqrt(12.5) * [2, 1].
  const float r = std::sqrt(12.5f);
  expect_floats(run1(make_node("RMSNorm", "qeff", 2, {fattr("epsilon", 0.0)}), {f32({1, 2}, {3, 4}), f32({2}, {2, 1})})[0],
                {6 / r, 4 / r});
  // epsilon counts: x = [0, 0] -> 0 / sqrt(eps) = 0, no NaN.
  expect_floats(run1(make_node("RMSNorm", "qeff", 2, {fattr("epsilon", 1e-6)}), {f32({2}, {0, 0}), f32({2}, {1, 1})})[0],
                {0, 0});
  EXPECT_QEFF_ERROR(infer(make_node("RMSNorm", "qeff", 2), {typed(QEFF_DTYPE_F32, {2, 4}), typed(QEFF_DTYPE_F32, {4})}),
                    QEFF_E_FORMAT, "(qeff.RMSNorm)", "lacks its attribute \"epsilon\"");
  EXPECT_QEFF_ERROR(infer(make_node("RMSNorm", "qeff", 2, {fattr("epsilon", 1e-6)}),
                          {typed(QEFF_DTYPE_F32, {2, 4}), typed(QEFF_DTYPE_F32, {3})}),
                    QEFF_E_FORMAT, "weight shape [3] does not match");
}

// ---- Rotary ------------------------------------------------------------------------------

TEST(NnOps, RotaryHandCase) {
  // x = [1, 2, 3, 4], rotate_half(x) = [-3, -4, 1, 2]; cos 0.5, sin [1, 2, 3, 4].
  auto y = run1(make_node("Rotary", "qeff", 3),
                {f32({1, 1, 1, 4}, {1, 2, 3, 4}), f32({1, 1, 4}, {0.5f, 0.5f, 0.5f, 0.5f}), f32({1, 1, 4}, {1, 2, 3, 4})});
  expect_floats(y[0], {-2.5f, -7.0f, 4.5f, 10.0f});
  EXPECT_QEFF_ERROR(infer(make_node("Rotary", "qeff", 3), {typed(QEFF_DTYPE_F32, {1, 2, 3, 5}),
                                                          typed(QEFF_DTYPE_F32, {1, 3, 5}), typed(QEFF_DTYPE_F32, {1, 3, 5})}),
                    QEFF_E_FORMAT, "head dimension of X [1, 2, 3, 5] must be even");
  EXPECT_QEFF_ERROR(infer(make_node("Rotary", "qeff", 3), {typed(QEFF_DTYPE_F32, {2, 2, 3, 4}),
                                                          typed(QEFF_DTYPE_F32, {3, 3, 4}), typed(QEFF_DTYPE_F32, {3, 3, 4})}),
                    QEFF_E_FORMAT, "cos/sin [3, 3, 4] do not match X [2, 2, 3, 4]");
}

// ---- Attention ------------------------------------------------------------------------------

TEST(NnOps, AttentionHandCases) {
  // q = [1, 0], keys [1, 0] and [0, 1]: scores [1, 0], p = [e, 1] / (e + 1).
  const float e = std::exp(1.0f), p0 = e / (e + 1), p1 = 1 / (e + 1);
  const auto q = f32({1, 1, 1, 2}, {1, 0}), k = f32({1, 1, 2, 2}, {1, 0, 0, 1}), v = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const graph::Node n = make_node("Attention", "qeff", 4, attention_attrs());
  expect_floats(run1(n, {q, k, v, boolean({1, 1, 1, 2}, {0, 0})})[0], {p0 + 3 * p1, 2 * p0 + 4 * p1});
  expect_floats(run1(n, {q, k, v, boolean({1, 1, 1, 2}, {0, 1})})[0], {1, 2});   // second key masked
  expect_floats(run1(n, {q, k, v, boolean({1, 1, 1, 2}, {1, 1})})[0], {2, 3});   // all masked: uniform mean
  // GQA: two query heads share one kv head; scale 2 doubles the scores.
  const graph::Node g = make_node("Attention", "qeff", 4, attention_attrs(2.0, 2));
  const float e2 = std::exp(2.0f), a0 = e2 / (e2 + 1), a1 = 1 / (e2 + 1);
  auto y = run1(g, {f32({1, 2, 1, 2}, {1, 0, 0, 1}), k, v, boolean({1, 2}, {0, 0})})[0];
  expect_floats(y, {a0 + 3 * a1, 2 * a0 + 4 * a1, a1 + 3 * a0, 2 * a1 + 4 * a0});
  EXPECT_EQ(y.dims, (std::vector<int64_t>{1, 2, 1, 2}));
}

TEST(NnOps, AttentionErrors) {
  const auto q = typed(QEFF_DTYPE_F32, {1, 4, 3, 8}), k = typed(QEFF_DTYPE_F32, {1, 2, 5, 8}),
             v = typed(QEFF_DTYPE_F32, {1, 2, 5, 8});
  const auto mask = Tensor{QEFF_DTYPE_BOOL, {1, 1, 3, 5}, {}};
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 1)), {q, k, v, mask}), QEFF_E_FORMAT,
                    "(qeff.Attention)", "has 4 heads, K [1, 2, 5, 8] has 2 kv heads x num_kv_groups 1");
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                          {q, k, v, Tensor{QEFF_DTYPE_I64, {1, 1, 3, 5}, {}}}),
                    QEFF_E_FORMAT, "input mask has element type I64, expected BOOL");
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                          {q, k, v, Tensor{QEFF_DTYPE_BOOL, {1, 3, 3, 5}, {}}}),
                    QEFF_E_FORMAT, "mask [1, 3, 3, 5] does not broadcast to the scores [1, 4, 3, 5]");
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, {fattr("scale", 1.0), iattr("num_kv_groups", 2)}),
                          {q, k, v, mask}),
                    QEFF_E_FORMAT, "lacks its attribute \"masked_value\"");
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                          {q, typed(QEFF_DTYPE_F32, {1, 2, 5, 4}), v, mask}),
                    QEFF_E_FORMAT, "head dims of Q [1, 4, 3, 8] and K [1, 2, 5, 4] differ");
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                          {q, k, v, Tensor{QEFF_DTYPE_BOOL, {1, 1, 3, 1}, {}}}),
                    QEFF_E_UNSUPPORTED, "must cover every key");
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                          {typed(QEFF_DTYPE_F32, {2, 4, 3, 8}), k, v, mask}),
                    QEFF_E_UNSUPPORTED, "batch broadcast is not supported");
  // K and V may be a 16-bit cache, both of one type; Q stays f32.
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                          {q, typed(QEFF_DTYPE_F16, {1, 2, 5, 8}), v, mask}),
                    QEFF_E_FORMAT, "K is F16, V F32 (they must have one element type)");
  EXPECT_QEFF_ERROR(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                          {typed(QEFF_DTYPE_F16, {1, 4, 3, 8}), k, v, mask}),
                    QEFF_E_UNSUPPORTED, "input Q has element type F16");
  for (qeff_dtype kv : {QEFF_DTYPE_F16, QEFF_DTYPE_BF16})
    EXPECT_EQ(infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                    {q, typed(kv, {1, 2, 5, 8}), typed(kv, {1, 2, 5, 8}), mask})[0].dtype,
              QEFF_DTYPE_F32);
  // dv may differ from d; the output takes V's last dim.
  auto t = infer(make_node("Attention", "qeff", 4, attention_attrs(1.0, 2)),
                 {q, k, typed(QEFF_DTYPE_F32, {1, 2, 5, 6}), mask});
  EXPECT_EQ(ops::dims_of(t[0]), (std::vector<int64_t>{1, 4, 3, 6}));
  // The sequence-major form (the fusion pass's): [b, s, h, d] in and out,
  // one kv head per head only.
  const graph::Node bshd = make_node("AttentionBSHD", "qeff.cpu", 4, attention_attrs(1.0, 1));
  t = infer(bshd, {typed(QEFF_DTYPE_F32, {1, 3, 4, 8}), typed(QEFF_DTYPE_F32, {1, 5, 4, 8}),
                   typed(QEFF_DTYPE_F32, {1, 5, 4, 6}), mask});
  EXPECT_EQ(ops::dims_of(t[0]), (std::vector<int64_t>{1, 3, 4, 6}));
  EXPECT_QEFF_ERROR(infer(make_node("AttentionBSHD", "qeff.cpu", 4, attention_attrs(1.0, 2)),
                          {typed(QEFF_DTYPE_F32, {1, 3, 4, 8}), typed(QEFF_DTYPE_F32, {1, 5, 2, 8}),
                           typed(QEFF_DTYPE_F32, {1, 5, 2, 8}), mask}),
                    QEFF_E_UNSUPPORTED, "needs num_kv_groups 1, got 2");
  EXPECT_QEFF_ERROR(infer(bshd, {typed(QEFF_DTYPE_F32, {1, 3, 4, 8}), typed(QEFF_DTYPE_F32, {1, 5, 4, 4}),
                                 typed(QEFF_DTYPE_F32, {1, 5, 4, 8}), mask}),
                    QEFF_E_FORMAT, "head dims of Q [1, 4, 3, 8] and K [1, 4, 5, 4] differ");
}

// ---- CtxScatter / CtxGather ---------------------------------------------------------------------

TEST(NnOps, CtxScatterAndGatherHandCases) {
  // Positions [1, -1]: -1 is the last slot (ScatterND), as QEfficient's padding.
  const graph::Node s = make_node("CtxScatter", "qeff", 3);
  expect_floats(run1(s, {f32({1, 1, 4, 1}, {0, 0, 0, 0}), i64({1, 2}, {1, -1}), f32({1, 1, 2, 1}, {5, 7})})[0],
                {0, 5, 0, 7});
  // Out of range (4, -5) is skipped; a repeated position keeps the last update.
  expect_floats(run1(s, {f32({1, 1, 4, 1}, {1, 2, 3, 4}), i64({1, 3}, {4, 2, 2}), f32({1, 1, 3, 1}, {8, 9, 6})})[0],
                {1, 2, 6, 4});
  // Positions shared by the batch ([1, s]), two heads, rows of 2.
  auto y = run1(s, {f32({2, 2, 2, 2}, std::vector<float>(16, 0)), i64({1, 1}, {1}),
                    f32({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8})})[0];
  expect_floats(y, {0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 5, 6, 0, 0, 7, 8});
  const graph::Node g = make_node("CtxGather", "qeff", 2);
  auto out = run1(g, {f32({1, 1, 4, 1}, {10, 11, 12, 13}), i64({1, 4}, {3, -4, 2, 9})})[0];
  expect_floats(out, {13, 10, 12, 0});  // 9 is out of range: zeros
  EXPECT_EQ(out.dims, (std::vector<int64_t>{1, 1, 4, 1}));
  EXPECT_QEFF_ERROR(infer(s, {typed(QEFF_DTYPE_F32, {1, 2, 8, 4}), typed(QEFF_DTYPE_I64, {1, 3}),
                              typed(QEFF_DTYPE_F32, {1, 2, 2, 4})}),
                    QEFF_E_FORMAT, "(qeff.CtxScatter)", "updates [1, 2, 2, 4] do not match cache [1, 2, 8, 4]",
                    "expected [1, 2, 3, 4]");
  EXPECT_QEFF_ERROR(infer(g, {typed(QEFF_DTYPE_F32, {1, 2, 8, 4}), typed(QEFF_DTYPE_F32, {1, 3})}), QEFF_E_UNSUPPORTED,
                    "input ctx_indices has element type F32, expected I64 or I32");
  EXPECT_QEFF_ERROR(infer(g, {typed(QEFF_DTYPE_F32, {2, 2, 8, 4}), typed(QEFF_DTYPE_I64, {3, 3})}), QEFF_E_FORMAT,
                    "positions [3, 3] do not match the cache batch of [2, 2, 8, 4]");
  // Any whole-byte cache type: an I32 "cache" is copied bit for bit.
  Tensor cache{QEFF_DTYPE_I32, {1, 1, 2, 1}, {1, 0, 0, 0, 2, 0, 0, 0}};
  Tensor upd{QEFF_DTYPE_I32, {1, 1, 1, 1}, {9, 0, 0, 0}};
  Tensor pos{QEFF_DTYPE_I32, {1, 1}, {0, 0, 0, 0}};
  EXPECT_EQ(run1(s, {cache, pos, upd})[0].bytes, (std::vector<uint8_t>{9, 0, 0, 0, 2, 0, 0, 0}));
}

// ---- pooling ---------------------------------------------------------------------------------------

TEST(NnOps, PoolingHandCases) {
  const auto x = f32({1, 3, 2}, {1, 2, 3, 4, 5, 6});
  auto pool = [&](const char *op, std::vector<int64_t> m) {
    return run1(make_node(op, "qeff", 2), {x, i64({1, 3}, std::move(m))})[0];
  };
  expect_floats(pool("MeanPool", {1, 1, 0}), {2, 3});
  expect_floats(pool("MaxPool", {1, 1, 0}), {3, 4});
  expect_floats(pool("ClsPool", {0, 1, 1}), {1, 2});
  expect_floats(pool("LastTokenPool", {1, 1, 0}), {3, 4});  // right padding
  expect_floats(pool("LastTokenPool", {0, 1, 1}), {5, 6});  // left padding
  // No tokens: mean 0 / max(0, 1e-9) = 0, max -1e9, last token X[0].
  expect_floats(pool("MeanPool", {0, 0, 0}), {0, 0});
  expect_floats(pool("MaxPool", {0, 0, 0}), {-1e9f, -1e9f});
  expect_floats(pool("LastTokenPool", {0, 0, 0}), {1, 2});
  // A bool mask and a float mask (CastLike to X: weights).
  expect_floats(run1(make_node("MeanPool", "qeff", 2), {x, boolean({1, 3}, {0, 1, 1})})[0], {4, 5});
  expect_floats(run1(make_node("MeanPool", "qeff", 2), {x, f32({1, 3}, {2, 0, 0})})[0], {1, 2});
  EXPECT_QEFF_ERROR(infer(make_node("MeanPool", "qeff", 2), {typed(QEFF_DTYPE_F32, {2, 3, 4}), typed(QEFF_DTYPE_I64, {2, 4})}),
                    QEFF_E_FORMAT, "(qeff.MeanPool)", "mask [2, 4] does not match X [2, 3, 4] (expected [2, 3])");
  EXPECT_EQ(ops::dims_of(infer(make_node("ClsPool", "qeff", 2), {typed(QEFF_DTYPE_F32, {2, 3, 4}),
                                                                typed(QEFF_DTYPE_I64, {2, 3})})[0]),
            (std::vector<int64_t>{2, 4}));
}

// ---- threads and in-place -------------------------------------------------------------------------

TEST(NnOps, TwoThreadsAndInPlaceRunsMatchSerial) {
  auto rnd = [](std::vector<int64_t> dims, uint32_t seed) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return f32(dims, nn_test::random_floats(static_cast<size_t>(n), seed, -3, 3));
  };
  std::vector<uint8_t> causal(6 * 40);
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 40; ++j) causal[static_cast<size_t>(i * 40 + j)] = j > 34 + i;
  struct Case {
    graph::Node n;
    std::vector<Tensor> in;
  };
  std::vector<Case> cases = {
      {make_node("Softmax", "", 1), {rnd({6, 5, 33}, 1)}},
      {make_node("LogSoftmax", "", 1, {iattr("axis", 1)}), {rnd({6, 5, 33}, 2)}},
      {make_node("LayerNormalization", "", 3, {fattr("epsilon", 1e-5)}), {rnd({9, 40}, 3), rnd({40}, 4), rnd({40}, 5)}},
      {make_node("RMSNorm", "qeff", 2, {fattr("epsilon", 1e-6)}), {rnd({9, 40}, 6), rnd({40}, 7)}},
      {make_node("Rotary", "qeff", 3), {rnd({2, 3, 6, 18}, 8), rnd({2, 6, 18}, 9), rnd({2, 6, 18}, 10)}},
      {make_node("Attention", "qeff", 4, attention_attrs(0.3, 2)),
       {rnd({2, 4, 6, 24}, 11), rnd({2, 2, 40, 24}, 12), rnd({2, 2, 40, 24}, 13), boolean({1, 1, 6, 40}, causal)}},
      {make_node("CtxScatter", "qeff", 3), {rnd({2, 3, 40, 8}, 14), i64({2, 2}, {5, -1, 0, 39}), rnd({2, 3, 2, 8}, 15)}},
      {make_node("CtxGather", "qeff", 2), {rnd({2, 3, 40, 8}, 16), i64({2, 3}, {5, -1, 0, 39, 2, 2})}},
      {make_node("MeanPool", "qeff", 2), {rnd({3, 5, 7}, 17), i64({3, 5}, {1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1})}},
  };
  ThreadParallel two(2);
  kernels::SerialParallel serial;
  for (Case &c : cases) {
    const std::vector<Tensor> a = run(c.n, c.in, serial), b = run(c.n, c.in, two);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].bytes, b[i].bytes) << c.n.op_type << " output " << i;
    if (def_of(c.n).flags & ops::kInPlace) {
      EXPECT_EQ(run(c.n, c.in, two, 17, /*in_place=*/true)[0].bytes, a[0].bytes) << c.n.op_type << " in place";
    }
  }
}

}  // namespace
