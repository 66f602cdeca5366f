// Shape and data-movement generic ops (ops/generic_shape.cpp,
// generic_movement.cpp, generic_misc.cpp): views, opset variants, Slice
// clamping and negative steps, Pad modes, value-producing ops, and the
// "must be a compile-time constant" errors.
#include <numeric>

#include "ops_test_support.hpp"

using namespace ops_test;

namespace {

std::vector<float> iota_f(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

Dims out_shape(const Node &n, const std::vector<std::optional<Tensor>> &in, RunOptions o = {}) {
  return qeff::ops::dims_of(infer_op(n, in, o)[0]);
}

TEST(OpsShape, ReshapeZeroMinusOneAllowzero) {
  Node n = make_node("Reshape", 2, 1);
  auto x = f32s({2, 3, 4}, iota_f(24));
  auto out = run_op(n, {x, i64s({0, -1})});
  EXPECT_EQ(out[0].shape, (Dims{2, 12}));
  EXPECT_EQ(out[0].values<float>(), iota_f(24));
  EXPECT_EQ(out_shape(n, {x, i64s({-1, 0, 2})}), (Dims{4, 3, 2}));
  // allowzero (opset 14): 0 is a real zero size.
  Node az = make_node("Reshape", 2, 1, {attr("allowzero", int64_t{1})});
  EXPECT_EQ(out_shape(az, {f32s({0, 3}, {}), i64s({3, 0})}, {14}), (Dims{3, 0}));
  EXPECT_QEFF_ERROR(out_shape(n, {x, i64s({5, -1})}), QEFF_E_FORMAT, "(Reshape)", "cannot reshape [2, 3, 4]",
                    "[5, -1]");
  EXPECT_QEFF_ERROR(out_shape(n, {x, i64s({-1, -1})}), QEFF_E_FORMAT, "more than one -1");
  EXPECT_QEFF_ERROR(out_shape(n, {x, i64s({2, 12})}, {.known = std::vector<bool>{true, false}}),
                    QEFF_E_UNSUPPORTED, "node \"Reshape_0\" (Reshape)", "input 1 (\"in1\") 'shape'",
                    "must be a compile-time constant");
  EXPECT_TRUE(qeff::ops::find_op("", "Reshape")->flags & qeff::ops::kView);
  // The view kernel also works when the planner aliases the buffers.
  EXPECT_EQ(run_op(n, {x, i64s({24})}, {.in_place = true})[0].values<float>(), iota_f(24));
}

TEST(OpsShape, FlattenSqueezeUnsqueeze) {
  auto x = f32s({2, 1, 3, 1}, iota_f(6));
  EXPECT_EQ(out_shape(make_node("Flatten", 1, 1), {x}), (Dims{2, 3}));
  EXPECT_EQ(out_shape(make_node("Flatten", 1, 1, {attr("axis", int64_t{-1})}), {x}), (Dims{6, 1}));
  EXPECT_EQ(out_shape(make_node("Flatten", 1, 1, {attr("axis", int64_t{0})}), {x}), (Dims{1, 6}));
  EXPECT_QEFF_ERROR(out_shape(make_node("Flatten", 1, 1, {attr("axis", int64_t{5})}), {x}), QEFF_E_FORMAT,
                    "(Flatten)", "'axis' 5 is out of range for rank 4");
  // Squeeze: all size-1 dims; axes as input (13+) or attribute (< 13).
  EXPECT_EQ(out_shape(make_node("Squeeze", 1, 1), {x}), (Dims{2, 3}));
  EXPECT_EQ(out_shape(make_node("Squeeze", 2, 1), {x, i64s({-1})}), (Dims{2, 1, 3}));
  EXPECT_EQ(out_shape(make_node("Squeeze", 1, 1, {attr("axes", std::vector<int64_t>{1})}), {x}, {11}), (Dims{2, 3, 1}));
  EXPECT_QEFF_ERROR(out_shape(make_node("Squeeze", 2, 1), {x, i64s({0})}), QEFF_E_FORMAT, "(Squeeze)",
                    "cannot squeeze axis 0 of shape [2, 1, 3, 1]", "size is 2");
  auto y = f32s({2, 3}, iota_f(6));
  EXPECT_EQ(out_shape(make_node("Unsqueeze", 2, 1), {y, i64s({0, -1})}), (Dims{1, 2, 3, 1}));
  EXPECT_EQ(out_shape(make_node("Unsqueeze", 2, 1), {y, i64s({1})}), (Dims{2, 1, 3}));
  EXPECT_EQ(out_shape(make_node("Unsqueeze", 1, 1, {attr("axes", std::vector<int64_t>{2})}), {y}, {12}),
            (Dims{2, 3, 1}));
  EXPECT_QEFF_ERROR(out_shape(make_node("Unsqueeze", 2, 1), {y, i64s({1, 1})}), QEFF_E_FORMAT, "lists axis 1 twice");
  EXPECT_QEFF_ERROR(out_shape(make_node("Unsqueeze", 2, 1), {y, i64s({4})}), QEFF_E_FORMAT, "axes 4 is out of range");
  EXPECT_QEFF_ERROR(out_shape(make_node("Unsqueeze", 2, 1), {y, i64s({0})}, {.known = std::vector<bool>{true, false}}),
                    QEFF_E_UNSUPPORTED, "'axes'", "compile-time constant");
  EXPECT_EQ(run_op(make_node("Unsqueeze", 2, 1), {y, i64s({0})})[0].values<float>(), iota_f(6));
}

TEST(OpsShape, IdentityDropoutShapeSize) {
  auto x = f32s({2, 3}, iota_f(6));
  EXPECT_EQ(run_op(make_node("Identity", 1, 1), {x})[0].values<float>(), iota_f(6));
  auto d = run_op(make_node("Dropout", 1, 2), {x});
  EXPECT_EQ(d[0].values<float>(), iota_f(6));
  EXPECT_EQ(d[1].dtype, QEFF_DTYPE_BOOL);
  EXPECT_EQ(d[1].values<uint8_t>(), std::vector<uint8_t>(6, 1));
  EXPECT_EQ(run_op(make_node("Dropout", 3, 1), {x, f32s({}, {0.5f}), bools({}, {0})})[0].values<float>(), iota_f(6));
  EXPECT_QEFF_ERROR(run_op(make_node("Dropout", 3, 1), {x, f32s({}, {0.5f}), bools({}, {1})}), QEFF_E_UNSUPPORTED,
                    "(Dropout)", "'training_mode' is true");
  auto x4 = f32s({2, 3, 4, 5}, iota_f(120));
  EXPECT_EQ(run_op(make_node("Shape", 1, 1), {x4})[0].values<int64_t>(), (std::vector<int64_t>{2, 3, 4, 5}));
  Node sl = make_node("Shape", 1, 1, {attr("start", int64_t{1}), attr("end", int64_t{-1})});
  EXPECT_EQ(run_op(sl, {x4}, {15})[0].values<int64_t>(), (std::vector<int64_t>{3, 4}));
  Node clamp = make_node("Shape", 1, 1, {attr("start", int64_t{-10}), attr("end", int64_t{10})});
  EXPECT_EQ(run_op(clamp, {x4}, {15})[0].values<int64_t>(), (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(run_op(sl, {x4}, {13})[0].values<int64_t>(), (std::vector<int64_t>{2, 3, 4, 5}));  // before 15: ignored
  auto size = run_op(make_node("Size", 1, 1), {x4});
  EXPECT_EQ(size[0].shape, Dims{});
  EXPECT_EQ(size[0].values<int64_t>(), (std::vector<int64_t>{120}));
}

TEST(OpsShape, TransposeDefaultAndPerm) {
  auto x = f32s({2, 3}, iota_f(6));
  auto t = run_op(make_node("Transpose", 1, 1), {x});
  EXPECT_EQ(t[0].shape, (Dims{3, 2}));
  EXPECT_EQ(t[0].values<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  auto x3 = f32s({2, 3, 2}, iota_f(12));
  auto p = run_op(make_node("Transpose", 1, 1, {attr("perm", std::vector<int64_t>{1, 0, 2})}), {x3});
  EXPECT_EQ(p[0].values<float>(), (std::vector<float>{0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11}));
  EXPECT_QEFF_ERROR(run_op(make_node("Transpose", 1, 1, {attr("perm", std::vector<int64_t>{0, 0, 1})}), {x3}),
                    QEFF_E_FORMAT, "(Transpose)", "'perm'", "lists axis 0 twice");
  EXPECT_QEFF_ERROR(run_op(make_node("Transpose", 1, 1, {attr("perm", std::vector<int64_t>{1, 0})}), {x3}),
                    QEFF_E_FORMAT, "'perm' [1, 0] has 2 entries for an input of rank 3");
  // Large: the parallel path copies the same bytes (int64 = 8-byte elements).
  std::vector<int64_t> big(64 * 33 * 40);
  std::iota(big.begin(), big.end(), 0);
  auto b = run_both(make_node("Transpose", 1, 1, {attr("perm", std::vector<int64_t>{2, 0, 1})}),
                    {tensor<int64_t>({64, 33, 40}, big)});
  EXPECT_EQ(b[0].values<int64_t>()[1 * 64 * 33 + 2 * 33 + 3], (2 * 33 + 3) * 40 + 1);
}

TEST(OpsShape, ConcatAndSplit) {
  auto a = f32s({2, 2}, {1, 2, 3, 4}), b = f32s({2, 1}, {9, 8});
  auto c = run_op(make_node("Concat", 2, 1, {attr("axis", int64_t{-1})}), {a, b});
  EXPECT_EQ(c[0].shape, (Dims{2, 3}));
  EXPECT_EQ(c[0].values<float>(), (std::vector<float>{1, 2, 9, 3, 4, 8}));
  EXPECT_EQ(run_op(make_node("Concat", 2, 1, {attr("axis", int64_t{0})}), {a, f32s({1, 2}, {7, 7})})[0].values<float>(),
            (std::vector<float>{1, 2, 3, 4, 7, 7}));
  EXPECT_QEFF_ERROR(run_op(make_node("Concat", 2, 1, {attr("axis", int64_t{0})}), {a, b}), QEFF_E_FORMAT, "(Concat)",
                    "input 1 (\"in1\") has shape [2, 1], which does not match [2, 2] outside axis 0");
  EXPECT_QEFF_ERROR(run_op(make_node("Concat", 2, 1), {a, b}), QEFF_E_FORMAT, "'axis' is required");

  auto x = f32s({2, 5}, iota_f(10));
  auto s = run_op(make_node("Split", 2, 2, {attr("axis", int64_t{1})}), {x, i64s({2, 3})});
  EXPECT_EQ(s[0].values<float>(), (std::vector<float>{0, 1, 5, 6}));
  EXPECT_EQ(s[1].values<float>(), (std::vector<float>{2, 3, 4, 7, 8, 9}));
  // Attribute form before opset 13; equal parts without sizes.
  auto sa = run_op(make_node("Split", 1, 2, {attr("axis", int64_t{1}), attr("split", std::vector<int64_t>{4, 1})}),
                   {x}, {11});
  EXPECT_EQ(sa[1].values<float>(), (std::vector<float>{4, 9}));
  EXPECT_EQ(run_op(make_node("Split", 1, 2), {x})[1].values<float>(), (std::vector<float>{5, 6, 7, 8, 9}));
  // num_outputs (18): ceil-sized parts, the last one smaller.
  auto sn = run_op(make_node("Split", 1, 2, {attr("axis", int64_t{1}), attr("num_outputs", int64_t{2})}), {x}, {18});
  EXPECT_EQ(sn[0].shape, (Dims{2, 3}));
  EXPECT_EQ(sn[1].shape, (Dims{2, 2}));
  EXPECT_QEFF_ERROR(run_op(make_node("Split", 1, 2, {attr("axis", int64_t{1})}), {x}), QEFF_E_FORMAT, "(Split)",
                    "size 5 cannot be split into 2 equal parts");
  EXPECT_QEFF_ERROR(run_op(make_node("Split", 2, 2, {attr("axis", int64_t{1})}), {x, i64s({2, 2})}), QEFF_E_FORMAT,
                    "split [2, 2] must have 2 sizes summing to 5");
}

TEST(OpsShape, SliceClampsAndNegativeSteps) {
  auto x = f32s({3, 4}, iota_f(12));
  Node n = make_node("Slice", 5, 1);
  auto s = run_op(n, {x, i64s({1, 1}), i64s({3, 100}), i64s({0, 1}), i64s({1, 2})});
  EXPECT_EQ(s[0].shape, (Dims{2, 2}));
  EXPECT_EQ(s[0].values<float>(), (std::vector<float>{5, 7, 9, 11}));
  // Negative step: reverse the last axis entirely (start -1, end INT64_MIN).
  auto r = run_op(n, {x, i64s({-1}), i64s({INT64_MIN}), i64s({-1}), i64s({-1})});
  EXPECT_EQ(r[0].values<float>(), (std::vector<float>{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8}));
  auto r2 = run_op(n, {x, i64s({10}), i64s({0}), i64s({1}), i64s({-2})});  // start clamped to 3
  EXPECT_EQ(r2[0].values<float>(), (std::vector<float>{3, 1, 7, 5, 11, 9}));
  // Axes and steps omitted; an empty result.
  EXPECT_EQ(run_op(make_node("Slice", 3, 1), {x, i64s({-2}), i64s({INT64_MAX})})[0].values<float>(),
            (std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(out_shape(make_node("Slice", 3, 1), {x, i64s({2}), i64s({1})}), (Dims{0, 4}));
  EXPECT_QEFF_ERROR(out_shape(n, {x, i64s({0}), i64s({1}), i64s({0}), i64s({0})}), QEFF_E_FORMAT, "(Slice)", "zero step");
  EXPECT_QEFF_ERROR(out_shape(n, {x, i64s({0}), i64s({1}), i64s({2}), i64s({1})}), QEFF_E_FORMAT,
                    "axes 2 is out of range for rank 2");
  EXPECT_QEFF_ERROR(out_shape(make_node("Slice", 3, 1), {x, i64s({0}), i64s({1})},
                              {.known = std::vector<bool>{true, true, false}}),
                    QEFF_E_UNSUPPORTED, "input 2 (\"in2\") 'ends'", "compile-time constant");
}

TEST(OpsShape, ExpandTilePad) {
  auto e = run_op(make_node("Expand", 2, 1), {f32s({3, 1}, {1, 2, 3}), i64s({2, 1, 2})});
  EXPECT_EQ(e[0].shape, (Dims{2, 3, 2}));
  EXPECT_EQ(e[0].values<float>(), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(out_shape(make_node("Expand", 2, 1), {f32s({2, 3}, iota_f(6)), i64s({3})}), (Dims{2, 3}));
  EXPECT_QEFF_ERROR(out_shape(make_node("Expand", 2, 1), {f32s({2, 3}, iota_f(6)), i64s({4})}), QEFF_E_FORMAT,
                    "(Expand)", "shapes [2, 3] and [4] cannot be broadcast");
  auto t = run_op(make_node("Tile", 2, 1), {f32s({2, 2}, {1, 2, 3, 4}), i64s({2, 2})});
  EXPECT_EQ(t[0].shape, (Dims{4, 4}));
  EXPECT_EQ(t[0].values<float>(), (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}));
  EXPECT_QEFF_ERROR(out_shape(make_node("Tile", 2, 1), {f32s({2}, {1, 2}), i64s({2, 2})}), QEFF_E_FORMAT, "(Tile)",
                    "one entry per input dimension");

  auto x = f32s({2, 3}, {1, 2, 3, 4, 5, 6});
  auto pc = run_op(make_node("Pad", 3, 1), {x, i64s({0, 1, 1, 0}), f32s({}, {9})});
  EXPECT_EQ(pc[0].shape, (Dims{3, 4}));
  EXPECT_EQ(pc[0].values<float>(), (std::vector<float>{9, 1, 2, 3, 9, 4, 5, 6, 9, 9, 9, 9}));
  auto pr = run_op(make_node("Pad", 2, 1, {attr("mode", std::string("reflect"))}), {x, i64s({0, 2, 0, 1})});
  EXPECT_EQ(pr[0].values<float>(), (std::vector<float>{3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}));
  auto pe = run_op(make_node("Pad", 2, 1, {attr("mode", std::string("edge"))}), {x, i64s({1, 0, 0, 1})});
  EXPECT_EQ(pe[0].values<float>(), (std::vector<float>{1, 2, 3, 3, 1, 2, 3, 3, 4, 5, 6, 6}));
  // Negative pads crop; axes input (opset 18).
  EXPECT_EQ(run_op(make_node("Pad", 2, 1), {x, i64s({0, -1, 0, 0})})[0].values<float>(),
            (std::vector<float>{2, 3, 5, 6}));
  auto pa = run_op(make_node("Pad", 4, 1), {x, i64s({1, 1}), std::nullopt, i64s({-1})}, {18});
  EXPECT_EQ(pa[0].values<float>(), (std::vector<float>{0, 1, 2, 3, 0, 0, 4, 5, 6, 0}));
  EXPECT_QEFF_ERROR(out_shape(make_node("Pad", 2, 1, {attr("mode", std::string("wrap"))}), {x, i64s({0, 0, 0, 0})}),
                    QEFF_E_FORMAT, "(Pad)", "'mode' is \"wrap\"");
  EXPECT_QEFF_ERROR(out_shape(make_node("Pad", 2, 1), {x, i64s({1, 1})}), QEFF_E_FORMAT, "pads [1, 1] must have 2 x 2");
}

TEST(OpsShape, ConstantConstantOfShapeRange) {
  qeff::graph::ConstTensor ct{qeff::ops::make_type(QEFF_DTYPE_I32, {2}), {1, 0, 0, 0, 2, 0, 0, 0}};
  auto c = run_op(make_node("Constant", 0, 1, {attr("value", ct)}), {});
  EXPECT_EQ(c[0].dtype, QEFF_DTYPE_I32);
  EXPECT_EQ(c[0].values<int32_t>(), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(run_op(make_node("Constant", 0, 1, {attr("value_float", 2.5)}), {})[0].values<float>(),
            (std::vector<float>{2.5f}));
  EXPECT_EQ(run_op(make_node("Constant", 0, 1, {attr("value_ints", std::vector<int64_t>{3, 4})}), {})[0].shape,
            (Dims{2}));
  EXPECT_EQ(run_op(make_node("Constant", 0, 1, {attr("value_int", int64_t{7})}), {})[0].values<int64_t>(),
            (std::vector<int64_t>{7}));
  EXPECT_EQ(run_op(make_node("Constant", 0, 1, {attr("value_floats", std::vector<double>{1, 2})}), {})[0]
                .values<float>(),
            (std::vector<float>{1, 2}));
  EXPECT_QEFF_ERROR(run_op(make_node("Constant", 0, 1), {}), QEFF_E_FORMAT, "(Constant)", "exactly one value");
  EXPECT_QEFF_ERROR(run_op(make_node("Constant", 0, 1, {attr("value_string", std::string("x"))}), {}),
                    QEFF_E_UNSUPPORTED, "'value_string'");

  auto z = run_op(make_node("ConstantOfShape", 1, 1), {i64s({2, 3})});
  EXPECT_EQ(z[0].dtype, QEFF_DTYPE_F32);
  EXPECT_EQ(z[0].values<float>(), std::vector<float>(6, 0.0f));
  qeff::graph::ConstTensor one{qeff::ops::make_type(QEFF_DTYPE_I64, {1}), {5, 0, 0, 0, 0, 0, 0, 0}};
  EXPECT_EQ(run_op(make_node("ConstantOfShape", 1, 1, {attr("value", one)}), {i64s({3})})[0].values<int64_t>(),
            (std::vector<int64_t>{5, 5, 5}));
  EXPECT_QEFF_ERROR(run_op(make_node("ConstantOfShape", 1, 1), {i64s({2})}, {.known = std::vector<bool>{false}}),
                    QEFF_E_UNSUPPORTED, "(ConstantOfShape)", "'shape'", "compile-time constant");

  Node r = make_node("Range", 3, 1);
  EXPECT_EQ(run_op(r, {i64s({1}), i64s({10}), i64s({3})})[0].values<int64_t>(), (std::vector<int64_t>{1, 4, 7}));
  EXPECT_EQ(run_op(r, {scalar<int64_t>(5), scalar<int64_t>(1), scalar<int64_t>(-2)})[0].values<int64_t>(),
            (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(run_op(r, {scalar(0.0f), scalar(1.0f), scalar(0.25f)})[0].values<float>(),
            (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  EXPECT_EQ(out_shape(r, {scalar<int32_t>(3), scalar<int32_t>(1), scalar<int32_t>(1)}), (Dims{0}));
  EXPECT_QEFF_ERROR(out_shape(r, {scalar<int64_t>(0), scalar<int64_t>(1), scalar<int64_t>(0)}), QEFF_E_FORMAT,
                    "(Range)", "delta is 0");
  EXPECT_QEFF_ERROR(out_shape(r, {scalar<int64_t>(0), scalar<int64_t>(4), scalar<int64_t>(1)},
                              {.known = std::vector<bool>{true, false, true}}),
                    QEFF_E_UNSUPPORTED, "'limit'", "compile-time constant");
}

}  // namespace
