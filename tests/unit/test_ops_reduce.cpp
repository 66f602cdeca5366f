// Reductions and scans (ops/generic_reduce.cpp), opset variants of the axes
// argument, and the registry coverage check: every ONNX op the importer
// accepts must have an OpDef.
#include <cmath>
#include <numeric>

#include "onnx/import.hpp"
#include "ops_test_support.hpp"

using namespace ops_test;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> iota_f(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

TEST(OpsReduce, AxesAttributeVsInputByOpset) {
  auto x = f32s({2, 3}, {1, 2, 3, 4, 5, 6});
  // ReduceSum: axes input from 13.
  auto s = run_op(make_node("ReduceSum", 2, 1), {x, i64s({1})});
  EXPECT_EQ(s[0].shape, (Dims{2, 1}));
  EXPECT_EQ(s[0].values<float>(), (std::vector<float>{6, 15}));
  auto s11 = run_op(make_node("ReduceSum", 1, 1, {attr("axes", std::vector<int64_t>{0}), attr("keepdims", int64_t{0})}),
                    {x}, {11});
  EXPECT_EQ(s11[0].shape, (Dims{3}));
  EXPECT_EQ(s11[0].values<float>(), (std::vector<float>{5, 7, 9}));
  // ReduceMean: attribute until 17, input from 18.
  auto m17 = run_op(make_node("ReduceMean", 1, 1, {attr("axes", std::vector<int64_t>{-1})}), {x}, {17});
  EXPECT_EQ(m17[0].values<float>(), (std::vector<float>{2, 5}));
  auto m18 = run_op(make_node("ReduceMean", 2, 1, {attr("keepdims", int64_t{0})}), {x, i64s({-1})}, {18});
  EXPECT_EQ(m18[0].shape, (Dims{2}));
  EXPECT_EQ(m18[0].values<float>(), (std::vector<float>{2, 5}));
  // No axes: all; noop_with_empty_axes: identity.
  auto all = run_op(make_node("ReduceSum", 1, 1, {attr("keepdims", int64_t{0})}), {x});
  EXPECT_EQ(all[0].shape, Dims{});
  EXPECT_EQ(all[0].values<float>(), (std::vector<float>{21}));
  EXPECT_EQ(run_op(make_node("ReduceSum", 1, 1, {attr("noop_with_empty_axes", int64_t{1})}), {x})[0].values<float>(),
            (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_QEFF_ERROR(run_op(make_node("ReduceSum", 2, 1), {x, i64s({2})}), QEFF_E_FORMAT, "(ReduceSum)",
                    "axes 2 is out of range for rank 2");
  EXPECT_QEFF_ERROR(run_op(make_node("ReduceMax", 2, 1), {x, i64s({0})}, {.opset = 18, .known = std::vector<bool>{true, false}}),
                    QEFF_E_UNSUPPORTED, "(ReduceMax)", "'axes'", "compile-time constant");
}

TEST(OpsReduce, EveryKind) {
  auto x = f32s({2, 2}, {1, 2, 3, 4});
  auto red = [&](const char *op) {
    return run_op(make_node(op, 1, 1, {attr("axes", std::vector<int64_t>{1})}), {x}, {13})[0].values<float>();
  };
  EXPECT_EQ(red("ReduceMax"), (std::vector<float>{2, 4}));
  EXPECT_EQ(red("ReduceMin"), (std::vector<float>{1, 3}));
  EXPECT_EQ(red("ReduceProd"), (std::vector<float>{2, 12}));
  EXPECT_EQ(red("ReduceSumSquare"), (std::vector<float>{5, 25}));
  auto l2 = red("ReduceL2");
  EXPECT_FLOAT_EQ(l2[0], std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(l2[1], 5.0f);
  auto lse = red("ReduceLogSumExp");
  EXPECT_FLOAT_EQ(lse[0], static_cast<float>(std::log(std::exp(1.0) + std::exp(2.0))));
  // Stable for large values; NaN propagates through Max.
  auto big = run_op(make_node("ReduceLogSumExp", 1, 1), {f32s({2}, {1000, 1000})}, {13})[0].values<float>();
  EXPECT_FLOAT_EQ(big[0], 1000.0f + std::log(2.0f));
  auto mx = run_op(make_node("ReduceMax", 1, 1), {f32s({3}, {1, kNaN, 3})}, {13})[0].values<float>();
  EXPECT_TRUE(std::isnan(mx[0]));
  // Integers: exact, middle axis, keepdims.
  auto xi = tensor<int64_t>({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  auto si = run_op(make_node("ReduceSum", 2, 1), {xi, i64s({1})});
  EXPECT_EQ(si[0].shape, (Dims{2, 1, 2}));
  EXPECT_EQ(si[0].values<int64_t>(), (std::vector<int64_t>{9, 12, 27, 30}));
  EXPECT_EQ(run_op(make_node("ReduceMean", 1, 1, {attr("axes", std::vector<int64_t>{0, 2})}), {xi}, {13})[0]
                .values<int64_t>(),
            (std::vector<int64_t>{4, 6, 8}));  // 18/4, 26/4, 34/4: truncated
}

TEST(OpsReduce, ParallelReductionsAreDeterministic) {
  auto x = f32s({512, 130}, iota_f(512 * 130));
  auto rows = run_both(make_node("ReduceSum", 2, 1), {x, i64s({1})});
  EXPECT_EQ(rows[0].values<float>()[2], static_cast<float>(130 * 2 * 130 + 129 * 130 / 2));
  run_both(make_node("ReduceMean", 2, 1), {x, i64s({0})}, {18});
  run_both(make_node("ArgMax", 1, 1, {attr("axis", int64_t{1})}), {x});
  run_both(make_node("CumSum", 2, 1), {x, scalar<int64_t>(1)});
  run_both(make_node("TopK", 2, 2), {x, i64s({5})});
}

TEST(OpsReduce, ArgMaxArgMin) {
  auto x = f32s({2, 3}, {1, 5, 5, 7, 0, 7});
  auto a = run_op(make_node("ArgMax", 1, 1, {attr("axis", int64_t{1})}), {x});
  EXPECT_EQ(a[0].shape, (Dims{2, 1}));
  EXPECT_EQ(a[0].values<int64_t>(), (std::vector<int64_t>{1, 0}));
  Node last = make_node("ArgMax", 1, 1,
                        {attr("axis", int64_t{-1}), attr("keepdims", int64_t{0}), attr("select_last_index", int64_t{1})});
  auto l = run_op(last, {x});
  EXPECT_EQ(l[0].shape, (Dims{2}));
  EXPECT_EQ(l[0].values<int64_t>(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(run_op(make_node("ArgMin", 1, 1), {x})[0].values<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(run_op(make_node("ArgMax", 1, 1), {i64s({3, 9, 9})})[0].values<int64_t>(), (std::vector<int64_t>{1}));
}

TEST(OpsReduce, CumSum) {
  auto x = f32s({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(run_op(make_node("CumSum", 2, 1), {x, scalar<int64_t>(1)})[0].values<float>(),
            (std::vector<float>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(run_op(make_node("CumSum", 2, 1), {x, tensor<int32_t>({1}, {0})})[0].values<float>(),
            (std::vector<float>{1, 2, 3, 5, 7, 9}));
  Node er = make_node("CumSum", 2, 1, {attr("exclusive", int64_t{1}), attr("reverse", int64_t{1})});
  EXPECT_EQ(run_op(er, {x, scalar<int64_t>(-1)})[0].values<float>(), (std::vector<float>{5, 3, 0, 11, 6, 0}));
  Node ex = make_node("CumSum", 2, 1, {attr("exclusive", int64_t{1})});
  EXPECT_EQ(run_op(ex, {i64s({1, 2, 3}), scalar<int64_t>(0)})[0].values<int64_t>(), (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(run_op(ex, {i64s({1, 2, 3}), scalar<int64_t>(0)}, {.in_place = true})[0].values<int64_t>(),
            (std::vector<int64_t>{0, 1, 3}));
  // A run-time axis that is out of range throws at run time.
  EXPECT_QEFF_ERROR(run_op(make_node("CumSum", 2, 1), {x, scalar<int64_t>(2)}, {.known = std::vector<bool>{true, false}}),
                    QEFF_E_INVALID_ARGUMENT, "(CumSum)", "axis 2 is out of range");
  EXPECT_QEFF_ERROR(run_op(make_node("CumSum", 2, 1), {x, scalar<int64_t>(2)}), QEFF_E_FORMAT, "(CumSum)",
                    "axis 2 is out of range for rank 2");
}

TEST(OpsReduce, TopK) {
  auto x = f32s({2, 4}, {1, 3, 3, 2, kNaN, 0, 5, 5});
  auto t = run_op(make_node("TopK", 2, 2), {x, i64s({2})});
  EXPECT_EQ(t[0].shape, (Dims{2, 2}));
  auto v = t[0].values<float>();
  EXPECT_EQ(v[0], 3);
  EXPECT_EQ(v[1], 3);
  EXPECT_TRUE(std::isnan(v[2]));  // NaN is the largest
  EXPECT_EQ(v[3], 5);
  EXPECT_EQ(t[1].values<int64_t>(), (std::vector<int64_t>{1, 2, 0, 2}));  // ties: lower index first
  auto s = run_op(make_node("TopK", 2, 2, {attr("largest", int64_t{0}), attr("axis", int64_t{0})}),
                  {f32s({3, 1}, {2, 1, 3}), i64s({2})});
  EXPECT_EQ(s[0].values<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(s[1].values<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_QEFF_ERROR(infer_op(make_node("TopK", 2, 2), {x, i64s({5})}), QEFF_E_FORMAT, "(TopK)",
                    "K 5 is out of range for axis 1 of size 4");
  EXPECT_QEFF_ERROR(infer_op(make_node("TopK", 2, 2), {x, i64s({1})}, {.known = std::vector<bool>{true, false}}),
                    QEFF_E_UNSUPPORTED, "'K'", "compile-time constant");
}

// Passes once the three op tables (generic, linear, nn) are complete.
TEST(OpsRegistry, EveryImportableOnnxOpIsRegistered) {
  std::vector<std::string> missing;
  for (std::string_view op : qeff::onnx_io::supported_onnx_ops())
    if (qeff::ops::find_op("", op) == nullptr) missing.emplace_back(op);
  EXPECT_TRUE(missing.empty()) << "ONNX ops the importer accepts but no OpDef implements: "
                               << ::testing::PrintToString(missing);
}

}  // namespace
