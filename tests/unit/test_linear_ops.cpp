// Unit tests: the linear ops (src/ops/linear.cpp) through the op registry:
// infer, prepare and run of MatMul, Gemm and qeff.cpu.PackedMatMul against a
// double-precision reference (tolerance as in test_gemm.cpp: 1e-6 sqrt(K)
// sum |a b|), serial against two threads (bit-identical), and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "ops/linear.hpp"
#include "unit_test.hpp"

namespace qeff_test {
std::unique_ptr<qeff::kernels::Parallel> make_thread_parallel(int threads);  // test_gemm.cpp
}

namespace {

using namespace qeff;
using namespace qeff::ops;

struct T {
  qeff_dtype dtype = QEFF_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<float> f;
  std::vector<uint8_t> bytes;
  bool constant = false;
  const void *data() const { return dtype == QEFF_DTYPE_F32 ? static_cast<const void *>(f.data()) : bytes.data(); }
};

T rand_t(std::vector<int64_t> shape, uint32_t seed) {
  T t;
  t.shape = std::move(shape);
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  t.f.resize(n);
  for (float &x : t.f) x = dist(rng);
  return t;
}

graph::Node node_of(const char *domain, const char *op, size_t inputs, std::vector<graph::Attribute> attrs = {}) {
  graph::Node n;
  n.domain = domain;
  n.op_type = op;
  n.name = std::string("test/") + op;
  for (size_t i = 0; i < inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  n.outputs = {"out"};
  n.attributes = std::move(attrs);
  return n;
}

std::vector<graph::TensorType> types_of(const std::vector<const T *> &in) {
  std::vector<graph::TensorType> types;
  for (const T *t : in) types.push_back(t ? make_type(t->dtype, t->shape) : graph::TensorType{});
  return types;
}

// Runs node through find_op: infer, prepare (constants for inputs marked so),
// run on `par`; returns the output and sets *shape to its inferred shape.
std::vector<float> run_op(const graph::Node &node, const std::vector<const T *> &in, kernels::Parallel &par,
                          std::vector<int64_t> *shape = nullptr, int64_t opset = 17) {
  const OpDef *def = find_op(node.domain, node.op_type);
  if (!def) {
    ADD_FAILURE() << "no op " << node.op_type;
    return {};
  }
  std::vector<TensorView> views(in.size());
  std::vector<const TensorView *> values(in.size(), nullptr), constants(in.size(), nullptr);
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] && in[i]->constant) {
      views[i] = TensorView{in[i]->dtype, in[i]->shape, in[i]->data()};
      values[i] = constants[i] = &views[i];
    }
  const auto types = types_of(in);
  const auto out_types = def->infer(InferContext{node, opset, types, values});
  const auto dims = dims_of(out_types.at(0));
  if (shape) *shape = dims;
  auto kernel = def->prepare(PrepareContext{node, opset, types, out_types, constants});
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  std::vector<float> out(n, std::nanf(""));
  std::vector<const void *> ins;
  for (const T *t : in) ins.push_back(t ? t->data() : nullptr);
  void *outs[] = {out.data()};
  std::vector<uint8_t> ws(kernel->workspace_bytes() + 64);
  RunArgs args;
  args.inputs = ins.data();
  args.outputs = outs;
  args.workspace = ws.data() + (64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64;
  args.parallel = &par;
  kernel->run(args);
  return out;
}

// numpy.matmul in double, with the error bound of each element.
struct Ref {
  std::vector<int64_t> shape;
  std::vector<double> v, bound;
};

Ref ref_matmul(const T &a, const T &b) {
  auto as = a.shape, bs = b.shape;
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as.insert(as.begin(), 1);
  if (b1) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  const size_t r = std::max(ab.size(), bb.size());
  ab.insert(ab.begin(), r - ab.size(), 1);
  bb.insert(bb.begin(), r - bb.size(), 1);
  Ref ref;
  int64_t batch = 1;
  for (size_t i = 0; i < r; ++i) ref.shape.push_back(std::max(ab[i], bb[i])), batch *= ref.shape.back();
  if (!a1) ref.shape.push_back(m);
  if (!b1) ref.shape.push_back(n);
  for (int64_t t = 0; t < batch; ++t) {
    int64_t rem = t, ai = 0, bi = 0, sa = 1, sb = 1;
    for (size_t d = r; d-- > 0;) {
      const int64_t c = rem % std::max(ab[d], bb[d]);
      rem /= std::max(ab[d], bb[d]);
      ai += (ab[d] == 1 ? 0 : c) * sa, sa *= ab[d];
      bi += (bb[d] == 1 ? 0 : c) * sb, sb *= bb[d];
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0, mag = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          const double p = double(a.f[ai * m * k + i * k + kk]) * b.f[bi * k * n + kk * n + j];
          s += p, mag += std::fabs(p);
        }
        ref.v.push_back(s);
        ref.bound.push_back(1e-6 * std::sqrt(double(k) + 1) * (mag + 1e-3));
      }
  }
  return ref;
}

void expect_near(const std::vector<float> &got, const Ref &ref) {
  ASSERT_EQ(got.size(), ref.v.size());
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i)
    if (!(std::fabs(got[i] - ref.v[i]) <= ref.bound[i]))
      ADD_FAILURE() << "element " << i << ": " << got[i] << " vs " << ref.v[i] << " +- " << ref.bound[i], ++bad;
}

graph::Attribute attr(const char *name, graph::AttributeValue v) { return {name, std::move(v)}; }

TEST(LinearOps, MatMulShapesAndBroadcasting) {
  kernels::SerialParallel serial;
  auto two = qeff_test::make_thread_parallel(2);
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{5, 7}, {7, 3}},         {{2, 1, 3, 4}, {3, 4, 5}}, {{4}, {2, 4, 5}},   {{2, 3, 4}, {4}},
      {{4}, {4}},               {{1, 17}, {17, 33}},       {{3, 2, 8}, {1, 8, 6}}, {{2, 3, 40, 20}, {20, 18}},
      {{6, 300}, {300, 1}},     {{1, 5, 64}, {2, 1, 64, 7}},
  };
  uint32_t seed = 1;
  for (const auto &[sa, sb] : cases) {
    for (bool constant_b : {false, true}) {
      T a = rand_t(sa, seed++), b = rand_t(sb, seed++);
      b.constant = constant_b;
      graph::Node node = node_of("", "MatMul", 2);
      std::vector<int64_t> shape;
      const Ref ref = ref_matmul(a, b);
      SCOPED_TRACE(testing::Message() << graph::to_string(graph::fixed_shape(sa)) << " x "
                                      << graph::to_string(graph::fixed_shape(sb)) << " constant B " << constant_b);
      const auto y = run_op(node, {&a, &b}, serial, &shape);
      EXPECT_EQ(shape, ref.shape);
      expect_near(y, ref);
      EXPECT_EQ(run_op(node, {&a, &b}, *two), y);  // partitioning changes no bit
    }
  }
  EXPECT_EQ(find_op("", "MatMul")->flags & kInPlace, 0u);  // the output may never be an input's buffer
}

TEST(LinearOps, GemmAttributesAndC) {
  kernels::SerialParallel serial;
  auto two = qeff_test::make_thread_parallel(2);
  const int64_t m = 5, k = 37, n = 19;
  struct Case {
    bool ta, tb;
    double alpha, beta;
    std::vector<int64_t> c;  // empty vector with has_c=false: no C
    bool has_c;
  };
  const Case cases[] = {
      {false, false, 1.0, 1.0, {n}, true},    {false, true, 0.5, 2.0, {m, n}, true},
      {true, false, 1.0, -1.0, {m, 1}, true}, {true, true, 2.0, 1.0, {}, true},
      {false, true, 1.0, 1.0, {}, false},     {false, false, 1.0, 0.5, {1, n}, true},
  };
  uint32_t seed = 50;
  for (const Case &cs : cases)
    for (bool constant_b : {false, true}) {
      T a = rand_t(cs.ta ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}, seed++);
      T b = rand_t(cs.tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, seed++);
      T c = rand_t(cs.c, seed++);
      b.constant = constant_b;
      graph::Node node = node_of("", "Gemm", cs.has_c ? 3 : 2,
                                 {attr("alpha", cs.alpha), attr("beta", cs.beta), attr("transA", int64_t{cs.ta}),
                                  attr("transB", int64_t{cs.tb})});
      std::vector<const T *> in = {&a, &b};
      if (cs.has_c) in.push_back(&c);
      std::vector<int64_t> shape;
      const auto y = run_op(node, in, serial, &shape);
      EXPECT_EQ(shape, (std::vector<int64_t>{m, n}));
      Ref ref;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double s = 0, mag = 0;
          for (int64_t kk = 0; kk < k; ++kk) {
            const double p = double(cs.ta ? a.f[kk * m + i] : a.f[i * k + kk]) * (cs.tb ? b.f[j * k + kk] : b.f[kk * n + j]);
            s += p, mag += std::fabs(p);
          }
          double cv = 0;
          if (cs.has_c) {
            const int64_t ci = cs.c.size() == 2 ? (cs.c[0] == 1 ? 0 : i) * cs.c[1] + (cs.c[1] == 1 ? 0 : j)
                                                : (cs.c.empty() ? 0 : j);
            cv = cs.beta * c.f[ci];
          }
          ref.v.push_back(cs.alpha * s + cv);
          ref.bound.push_back(1e-6 * std::sqrt(double(k)) * (std::fabs(cs.alpha) * mag + std::fabs(cv) + 1e-3));
        }
      SCOPED_TRACE(testing::Message() << "transA " << cs.ta << " transB " << cs.tb << " constant B " << constant_b);
      expect_near(y, ref);
      EXPECT_EQ(run_op(node, in, *two), y);
    }
}

TEST(LinearOps, GemmOptionalCByOpset) {
  kernels::SerialParallel serial;
  T a = rand_t({2, 3}, 1), b = rand_t({3, 4}, 2);
  graph::Node node = node_of("", "Gemm", 2);
  EXPECT_EQ(run_op(node, {&a, &b}, serial, nullptr, 11).size(), 8u);
  EXPECT_QEFF_ERROR(run_op(node, {&a, &b}, serial, nullptr, 9), QEFF_E_FORMAT, "\"test/Gemm\"",
                    "input C is required before opset 11");
}

TEST(LinearOps, PackedMatMulWithEpilogues) {
  kernels::SerialParallel serial;
  auto two = qeff_test::make_thread_parallel(2);
  const int64_t k = 70, n = 45;
  T w = rand_t({n, k}, 3);  // a HF Linear weight [out, in]
  for (qeff_dtype storage : {QEFF_DTYPE_F32, QEFF_DTYPE_BF16})
    for (const char *act : {"none", "gelu_erf", "silu"})
      for (int extras = 0; extras < 4; ++extras) {
        const bool bias = extras & 1, residual = extras & 2;
        TensorView wv{QEFF_DTYPE_F32, w.shape, w.f.data()};
        PackedWeight pw = pack_matmul_weight(wv, true, storage);
        EXPECT_EQ(pw.k, k);
        EXPECT_EQ(pw.n, n);
        T packed;
        packed.dtype = QEFF_DTYPE_U8;
        packed.shape = {static_cast<int64_t>(pw.bytes.size())};
        packed.bytes = pw.bytes.to_vector();
        packed.constant = true;
        T a = rand_t({2, 3, k}, 4), b = rand_t({n}, 5), r = rand_t({2, 3, n}, 6);
        graph::Node node = node_of(kCpuDomain, "PackedMatMul", 2 + bias + residual + (residual && !bias),
                                   {attr("k", k), attr("n", n), attr("format", pw.format),
                                    attr("activation", std::string(act))});
        std::vector<const T *> in = {&a, &packed};
        if (bias || residual) in.push_back(bias ? &b : nullptr);
        if (residual) in.push_back(&r);
        if (!bias && residual) node.inputs[2] = "";
        std::vector<int64_t> shape;
        SCOPED_TRACE(testing::Message() << pw.format << " " << act << " bias " << bias << " residual " << residual);
        const auto y = run_op(node, in, serial, &shape);
        EXPECT_EQ(shape, (std::vector<int64_t>{2, 3, n}));
        // Reference: the weight as stored (bf16-rounded), transposed to [K, N].
        T wt = rand_t({k, n}, 0);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < k; ++j) {
            float v = w.f[i * k + j];
            if (storage == QEFF_DTYPE_BF16) v = kernels::bf16_to_f32(kernels::f32_to_bf16(v));
            wt.f[j * n + i] = v;
          }
        Ref ref = ref_matmul(a, wt);
        const auto activation = *kernels::parse_activation(act);
        for (size_t i = 0; i < ref.v.size(); ++i) {
          float v = static_cast<float>(ref.v[i] + (bias ? b.f[i % n] : 0.0));
          kernels::apply_activation(activation, &v, &v, 1);
          ref.v[i] = v + (residual ? r.f[i] : 0.0f);
          ref.bound[i] += 1e-6 * std::fabs(ref.v[i]) + (bias ? 1e-6 : 0.0);
        }
        expect_near(y, ref);
        EXPECT_EQ(run_op(node, in, *two), y);
      }
}

TEST(LinearOps, Errors) {
  kernels::SerialParallel serial;
  graph::Node mm = node_of("", "MatMul", 2);
  T a = rand_t({2, 8}, 1), b = rand_t({4, 16}, 2), s = rand_t({}, 3);
  EXPECT_QEFF_ERROR(run_op(mm, {&a, &b}, serial), QEFF_E_FORMAT,
                    "node \"test/MatMul\" (MatMul): inner dimensions differ: [2, 8] x [4, 16]");
  EXPECT_QEFF_ERROR(run_op(mm, {&s, &b}, serial), QEFF_E_FORMAT, "\"test/MatMul\"", "rank >= 1", "[] x [4, 16]");
  T c = rand_t({2, 3, 8}, 4), d = rand_t({4, 8, 5}, 5);
  EXPECT_QEFF_ERROR(run_op(mm, {&c, &d}, serial), QEFF_E_FORMAT, "\"test/MatMul\"", "do not broadcast",
                    "[2, 3, 8] x [4, 8, 5]");
  T h = rand_t({2, 8}, 6);
  h.dtype = QEFF_DTYPE_F16;
  T e = rand_t({8, 3}, 7);
  EXPECT_QEFF_ERROR(run_op(mm, {&h, &e}, serial), QEFF_E_UNSUPPORTED, "\"test/MatMul\"", "F16", "only F32");
  T i64 = rand_t({8, 3}, 8);
  i64.dtype = QEFF_DTYPE_I64;
  EXPECT_QEFF_ERROR(run_op(mm, {&a, &i64}, serial), QEFF_E_UNSUPPORTED, "\"test/MatMul\"", "I64");

  graph::Node gemm = node_of("", "Gemm", 2);
  T g3 = rand_t({2, 2, 8}, 9);
  EXPECT_QEFF_ERROR(run_op(gemm, {&g3, &e}, serial), QEFF_E_FORMAT, "\"test/Gemm\"", "rank 2");
  EXPECT_QEFF_ERROR(run_op(gemm, {&a, &b}, serial), QEFF_E_FORMAT, "\"test/Gemm\"", "inner dimensions differ");
  graph::Node gemm_c = node_of("", "Gemm", 3);
  T bad_c = rand_t({3, 3}, 10);
  EXPECT_QEFF_ERROR(run_op(gemm_c, {&a, &e, &bad_c}, serial), QEFF_E_FORMAT, "\"test/Gemm\"",
                    "input C [3, 3] does not broadcast to [2, 3]");

  T w = rand_t({8, 3}, 11);
  PackedWeight pw = pack_matmul_weight(TensorView{QEFF_DTYPE_F32, w.shape, w.f.data()}, false, QEFF_DTYPE_F32);
  T packed;
  packed.dtype = QEFF_DTYPE_U8;
  packed.shape = {static_cast<int64_t>(pw.bytes.size()) - 64};
  packed.bytes.assign(pw.bytes.begin(), pw.bytes.end() - 64);
  graph::Node pm = node_of(kCpuDomain, "PackedMatMul", 2, {attr("k", int64_t{8}), attr("n", int64_t{3}),
                                                           attr("format", std::string("f32.panel16"))});
  EXPECT_QEFF_ERROR(run_op(pm, {&a, &packed}, serial), QEFF_E_FORMAT, "\"test/PackedMatMul\"", "packed weight");
  packed.shape = {static_cast<int64_t>(pw.bytes.size())};
  packed.bytes = pw.bytes.to_vector();
  T wrong_k = rand_t({2, 7}, 12);
  EXPECT_QEFF_ERROR(run_op(pm, {&wrong_k, &packed}, serial), QEFF_E_FORMAT, "\"test/PackedMatMul\"",
                    "[2, 7] does not end in k = 8");
  pm.attributes.push_back(attr("activation", std::string("swish")));
  EXPECT_QEFF_ERROR(run_op(pm, {&a, &packed}, serial), QEFF_E_FORMAT, "unknown activation \"swish\"");
  // A group: A, then W and bias per member; its lists must agree with them.
  graph::Node group = node_of(kCpuDomain, "PackedMatMulGroup", 2,
                              {attr("k", int64_t{8}), attr("format", std::string("f32.panel16")),
                               attr("ns", std::vector<int64_t>{3, 3}), attr("activations", std::vector<std::string>{"none"})});
  EXPECT_QEFF_ERROR(run_op(group, {&a, &packed, nullptr, &packed, nullptr}, serial), QEFF_E_FORMAT,
                    "\"test/PackedMatMulGroup\"", "got 2 ns, 1 activations, 5 inputs");

  EXPECT_QEFF_ERROR(pack_matmul_weight(TensorView{QEFF_DTYPE_BF16, w.shape, w.f.data()}, false, QEFF_DTYPE_F32),
                    QEFF_E_UNSUPPORTED, "BF16");
  EXPECT_QEFF_ERROR(pack_matmul_weight(TensorView{QEFF_DTYPE_F32, w.shape, w.f.data()}, false, QEFF_DTYPE_F8_E4M3),
                    QEFF_E_UNSUPPORTED, "storage F8_E4M3");
  EXPECT_QEFF_ERROR(pack_matmul_weight(TensorView{QEFF_DTYPE_F32, w.shape, w.f.data()}, false, QEFF_DTYPE_U4, 64),
                    QEFF_E_UNSUPPORTED, "int4 group size 64", "32 or 128");
  EXPECT_EQ(pack_matmul_weight(TensorView{QEFF_DTYPE_F32, w.shape, w.f.data()}, false, QEFF_DTYPE_U4, 128).format,
            "q4.strip128x128h");
  EXPECT_QEFF_ERROR(pack_matmul_weight(TensorView{QEFF_DTYPE_F32, {24}, w.f.data()}, false, QEFF_DTYPE_F32),
                    QEFF_E_FORMAT, "rank 2");
}

}  // namespace
