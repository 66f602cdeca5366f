// Indexing generic ops (ops/generic_indexing.cpp) and Einsum: negative
// indices, out-of-range indices as QEFF_E_INVALID_ARGUMENT at run time (never
// an out-of-bounds access), scatter reductions, OneHot, Trilu.
#include <numeric>

#include "ops_test_support.hpp"

using namespace ops_test;

namespace {

std::vector<float> iota_f(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(OpsIndexing, GatherAxesAndNegativeIndices) {
  auto x = f32s({3, 2}, iota_f(6));
  auto g = run_op(make_node("Gather", 2, 1), {x, i64s({2, -3, -1})});
  EXPECT_EQ(g[0].shape, (Dims{3, 2}));
  EXPECT_EQ(g[0].values<float>(), (std::vector<float>{4, 5, 0, 1, 4, 5}));
  auto g1 = run_op(make_node("Gather", 2, 1, {attr("axis", int64_t{-1})}),
                   {x, tensor<int32_t>({2, 2}, {1, 0, 0, 1})});
  EXPECT_EQ(g1[0].shape, (Dims{3, 2, 2}));
  EXPECT_EQ(g1[0].values<float>(), (std::vector<float>{1, 0, 0, 1, 3, 2, 2, 3, 5, 4, 4, 5}));
  auto s = run_op(make_node("Gather", 2, 1), {x, scalar<int64_t>(1)});  // scalar index drops the axis
  EXPECT_EQ(s[0].shape, (Dims{2}));
  EXPECT_EQ(s[0].values<float>(), (std::vector<float>{2, 3}));
  EXPECT_QEFF_ERROR(run_op(make_node("Gather", 2, 1), {x, i64s({0, 3})}), QEFF_E_INVALID_ARGUMENT,
                    "node \"Gather_0\" (Gather)", "index 3 is out of range for a dimension of size 3", "[-3, 2]");
  EXPECT_QEFF_ERROR(run_op(make_node("Gather", 2, 1), {x, i64s({-4})}), QEFF_E_INVALID_ARGUMENT, "index -4");
  EXPECT_QEFF_ERROR(infer_op(make_node("Gather", 2, 1), {x, f32s({1}, {0})}), QEFF_E_FORMAT, "(Gather)",
                    "must be int32 or int64, not F32");
  EXPECT_QEFF_ERROR(infer_op(make_node("Gather", 2, 1, {attr("axis", int64_t{2})}), {x, i64s({0})}), QEFF_E_FORMAT,
                    "'axis' 2 is out of range for rank 2");
  // Large gather on the pool.
  std::vector<int64_t> idx(4000);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>((i * 7) % 100) - 50;
  auto big = run_both(make_node("Gather", 2, 1), {f32s({100, 16}, iota_f(1600)), i64s(idx)});
  EXPECT_EQ(big[0].values<float>()[16 * 3], static_cast<float>(((3 * 7) % 100 - 50 + 100) * 16));
}

TEST(OpsIndexing, GatherElementsAndGatherND) {
  auto x = f32s({2, 2}, {1, 2, 3, 4});
  auto ge = run_op(make_node("GatherElements", 2, 1, {attr("axis", int64_t{1})}),
                   {x, tensor<int64_t>({2, 2}, {0, 0, 1, 0})});
  EXPECT_EQ(ge[0].values<float>(), (std::vector<float>{1, 1, 4, 3}));
  auto ge0 = run_op(make_node("GatherElements", 2, 1), {x, tensor<int64_t>({1, 2}, {-1, 0})});
  EXPECT_EQ(ge0[0].values<float>(), (std::vector<float>{3, 2}));
  EXPECT_QEFF_ERROR(run_op(make_node("GatherElements", 2, 1), {x, tensor<int64_t>({1, 2}, {2, 0})}),
                    QEFF_E_INVALID_ARGUMENT, "(GatherElements)", "index 2 is out of range");

  auto gn = run_op(make_node("GatherND", 2, 1), {x, tensor<int64_t>({2, 2}, {0, 0, 1, -1})});
  EXPECT_EQ(gn[0].values<float>(), (std::vector<float>{1, 4}));
  auto rows = run_op(make_node("GatherND", 2, 1), {x, tensor<int64_t>({2, 1}, {1, 0})});
  EXPECT_EQ(rows[0].shape, (Dims{2, 2}));
  EXPECT_EQ(rows[0].values<float>(), (std::vector<float>{3, 4, 1, 2}));
  // batch_dims = 1: one index per batch row.
  auto x3 = f32s({2, 2, 2}, iota_f(8));
  auto bd = run_op(make_node("GatherND", 2, 1, {attr("batch_dims", int64_t{1})}), {x3, tensor<int64_t>({2, 1}, {1, 0})});
  EXPECT_EQ(bd[0].shape, (Dims{2, 2}));
  EXPECT_EQ(bd[0].values<float>(), (std::vector<float>{2, 3, 4, 5}));
  EXPECT_QEFF_ERROR(run_op(make_node("GatherND", 2, 1), {x, tensor<int64_t>({1, 2}, {0, 5})}), QEFF_E_INVALID_ARGUMENT,
                    "(GatherND)", "index 5 is out of range for a dimension of size 2");
  EXPECT_QEFF_ERROR(infer_op(make_node("GatherND", 2, 1), {x, tensor<int64_t>({1, 3}, {0, 0, 0})}), QEFF_E_FORMAT,
                    "last dimension of indices [1, 3] must be in [1, 2]");
}

TEST(OpsIndexing, ScatterElementsReductions) {
  auto data = f32s({2, 3}, {1, 1, 1, 1, 1, 1});
  auto idx = tensor<int64_t>({2, 2}, {0, 2, -1, 1});
  auto upd = f32s({2, 2}, {5, 6, 7, 8});
  Node n = make_node("ScatterElements", 3, 1, {attr("axis", int64_t{1})});
  EXPECT_EQ(run_op(n, {data, idx, upd})[0].values<float>(), (std::vector<float>{5, 1, 6, 1, 8, 7}));
  Node add = make_node("ScatterElements", 3, 1, {attr("axis", int64_t{1}), attr("reduction", std::string("add"))});
  auto dup = tensor<int64_t>({2, 2}, {0, 0, 2, 2});
  EXPECT_EQ(run_op(add, {data, dup, upd}, {16})[0].values<float>(), (std::vector<float>{12, 1, 1, 1, 1, 16}));
  Node mx = make_node("ScatterElements", 3, 1, {attr("axis", int64_t{1}), attr("reduction", std::string("max"))});
  EXPECT_EQ(run_op(mx, {f32s({1, 2}, {6, 0}), tensor<int64_t>({1, 2}, {0, 0}), f32s({1, 2}, {5, 7})}, {18})[0]
                .values<float>(),
            (std::vector<float>{7, 0}));
  EXPECT_QEFF_ERROR(run_op(mx, {data, idx, upd}, {16}), QEFF_E_FORMAT, "(ScatterElements)",
                    "'reduction' is \"max\", which opset 16 does not define");
  EXPECT_QEFF_ERROR(run_op(n, {data, tensor<int64_t>({1, 1}, {3}), f32s({1, 1}, {0})}), QEFF_E_INVALID_ARGUMENT,
                    "(ScatterElements)", "index 3");
  // In place (kInPlace): the planner may hand the data buffer as the output.
  EXPECT_EQ(run_op(n, {data, idx, upd}, {.in_place = true})[0].values<float>(),
            (std::vector<float>{5, 1, 6, 1, 8, 7}));
}

TEST(OpsIndexing, ScatterND) {
  auto data = f32s({4}, {1, 2, 3, 4});
  auto out = run_op(make_node("ScatterND", 3, 1), {data, tensor<int64_t>({2, 1}, {-1, 1}), f32s({2}, {9, 10})});
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{1, 10, 3, 9}));
  auto d2 = f32s({2, 2}, {1, 2, 3, 4});
  auto rows = run_op(make_node("ScatterND", 3, 1, {attr("reduction", std::string("mul"))}),
                     {d2, tensor<int64_t>({1, 1}, {1}), f32s({1, 2}, {10, 100})}, {16});
  EXPECT_EQ(rows[0].values<float>(), (std::vector<float>{1, 2, 30, 400}));
  EXPECT_QEFF_ERROR(run_op(make_node("ScatterND", 3, 1), {data, tensor<int64_t>({1, 1}, {4}), f32s({1}, {0})}),
                    QEFF_E_INVALID_ARGUMENT, "(ScatterND)", "index 4");
  EXPECT_QEFF_ERROR(infer_op(make_node("ScatterND", 3, 1), {data, tensor<int64_t>({1, 1}, {0}), f32s({2}, {0, 0})}),
                    QEFF_E_FORMAT, "updates [2] must have shape [1]");
}

TEST(OpsIndexing, OneHot) {
  auto o = run_op(make_node("OneHot", 3, 1), {i64s({0, 2, -1, 5}), scalar<int64_t>(3), f32s({2}, {0, 1})});
  EXPECT_EQ(o[0].shape, (Dims{4, 3}));
  // 5 is outside [-3, 2]: a row of off values, as ONNX defines.
  EXPECT_EQ(o[0].values<float>(), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0}));
  auto a0 = run_op(make_node("OneHot", 3, 1, {attr("axis", int64_t{0})}), {i64s({1, 0}), scalar(2.0f), i64s({-1, 7})});
  EXPECT_EQ(a0[0].shape, (Dims{2, 2}));
  EXPECT_EQ(a0[0].values<int64_t>(), (std::vector<int64_t>{-1, 7, 7, -1}));
  EXPECT_QEFF_ERROR(infer_op(make_node("OneHot", 3, 1), {i64s({0}), scalar<int64_t>(3), f32s({2}, {0, 1})},
                             {.known = std::vector<bool>{true, false, true}}),
                    QEFF_E_UNSUPPORTED, "(OneHot)", "'depth'", "compile-time constant");
}

TEST(OpsIndexing, Trilu) {
  auto x = f32s({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(run_op(make_node("Trilu", 1, 1), {x})[0].values<float>(), (std::vector<float>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  EXPECT_EQ(run_op(make_node("Trilu", 2, 1, {attr("upper", int64_t{0})}), {x, scalar<int64_t>(-1)})[0].values<float>(),
            (std::vector<float>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  EXPECT_EQ(run_op(make_node("Trilu", 2, 1), {x, scalar<int64_t>(1)})[0].values<float>(),
            (std::vector<float>{0, 2, 3, 0, 0, 6, 0, 0, 0}));
  // A causal mask of bools, batched.
  auto m = run_op(make_node("Trilu", 1, 1, {attr("upper", int64_t{0})}), {bools({2, 2, 2}, {1, 1, 1, 1, 1, 1, 1, 1})});
  EXPECT_EQ(m[0].values<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 1, 1, 0, 1, 1}));
  EXPECT_QEFF_ERROR(infer_op(make_node("Trilu", 1, 1), {f32s({3}, {1, 2, 3})}), QEFF_E_FORMAT, "(Trilu)", "rank >= 2");
}

TEST(OpsIndexing, Einsum) {
  auto a = f32s({2, 3}, {1, 2, 3, 4, 5, 6}), b = f32s({3, 2}, {1, 0, 0, 1, 1, 1});
  auto mm = run_op(make_node("Einsum", 2, 1, {attr("equation", std::string("ij,jk->ik"))}), {a, b});
  EXPECT_EQ(mm[0].values<float>(), (std::vector<float>{4, 5, 10, 11}));
  // Implicit output (sorted single labels), transpose, trace, diagonal, batched matmul with ellipsis.
  EXPECT_EQ(run_op(make_node("Einsum", 1, 1, {attr("equation", std::string("ij->ji"))}), {a})[0].values<float>(),
            (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(run_op(make_node("Einsum", 1, 1, {attr("equation", std::string("ba"))}), {a})[0].values<float>(),
            (std::vector<float>{1, 4, 2, 5, 3, 6}));
  auto sq = f32s({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(run_op(make_node("Einsum", 1, 1, {attr("equation", std::string("ii"))}), {sq})[0].values<float>(),
            (std::vector<float>{5}));
  EXPECT_EQ(run_op(make_node("Einsum", 1, 1, {attr("equation", std::string("ii->i"))}), {sq})[0].values<float>(),
            (std::vector<float>{1, 4}));
  auto q = f32s({2, 1, 2}, {1, 2, 3, 4}), k = f32s({2, 3, 2}, {1, 0, 0, 1, 1, 1, 2, 0, 0, 2, 1, -1});
  auto bm = run_op(make_node("Einsum", 2, 1, {attr("equation", std::string("...qd, ...kd -> ...qk"))}), {q, k});
  EXPECT_EQ(bm[0].shape, (Dims{2, 1, 3}));
  EXPECT_EQ(bm[0].values<float>(), (std::vector<float>{1, 2, 3, 6, 8, -1}));
  EXPECT_EQ(run_op(make_node("Einsum", 2, 1, {attr("equation", std::string("i,i->"))}), {i64s({1, 2}), i64s({3, 4})})[0]
                .values<int64_t>(),
            (std::vector<int64_t>{11}));
  EXPECT_QEFF_ERROR(infer_op(make_node("Einsum", 2, 1, {attr("equation", std::string("ij,jk->ik"))}), {a, a}),
                    QEFF_E_FORMAT, "(Einsum)", "label sizes differ: 3 vs 2");
  EXPECT_QEFF_ERROR(infer_op(make_node("Einsum", 2, 1, {attr("equation", std::string("ij->i"))}), {a, b}),
                    QEFF_E_FORMAT, "has 1 operands but the node has 2 inputs");
}

}  // namespace
