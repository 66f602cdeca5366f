// Elementwise generic ops (ops/generic_elementwise.cpp, generic_unary.cpp):
// hand-computed values, broadcasting, integer edge cases, Cast edge cases,
// parallel and in-place runs, and error messages.
#include <cmath>
#include <limits>

#include "ops_test_support.hpp"

using namespace ops_test;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::vector<float> f32_out(const Node &n, const std::vector<std::optional<Tensor>> &in, RunOptions o = {}) {
  auto outs = run_op(n, in, o);
  return outs[0].values<float>();
}

TEST(OpsElementwise, AddBroadcastShapes) {
  Node n = make_node("Add", 2, 1);
  auto out = run_op(n, {f32s({2, 3}, {1, 2, 3, 4, 5, 6}), f32s({3}, {10, 20, 30})});
  EXPECT_EQ(out[0].shape, (Dims{2, 3}));
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  // [2,1] + [1,3] -> [2,3]; scalar on the left.
  EXPECT_EQ(f32_out(n, {f32s({2, 1}, {1, 2}), f32s({1, 3}, {10, 20, 30})}),
            (std::vector<float>{11, 21, 31, 12, 22, 32}));
  EXPECT_EQ(f32_out(n, {f32s({}, {100}), f32s({2, 2}, {1, 2, 3, 4})}), (std::vector<float>{101, 102, 103, 104}));
  // A middle-dim broadcast: [2,1,2] + [3,1] -> [2,3,2].
  auto mid = run_op(n, {f32s({2, 1, 2}, {1, 2, 3, 4}), f32s({3, 1}, {10, 20, 30})});
  EXPECT_EQ(mid[0].shape, (Dims{2, 3, 2}));
  EXPECT_EQ(mid[0].values<float>(), (std::vector<float>{11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34}));
}

TEST(OpsElementwise, SubMulDivIntegers) {
  auto i32 = [](Dims s, std::vector<int32_t> v) { return tensor<int32_t>(std::move(s), v); };
  EXPECT_EQ(run_op(make_node("Sub", 2, 1), {i32({3}, {5, 0, -3}), i32({}, {2})})[0].values<int32_t>(),
            (std::vector<int32_t>{3, -2, -5}));
  EXPECT_EQ(run_op(make_node("Mul", 2, 1), {i32({2}, {INT32_MAX, -4}), i32({2}, {2, 3})})[0].values<int32_t>(),
            (std::vector<int32_t>{-2, -12}));  // wraps
  // Truncating division; x / 0 = 0; INT_MIN / -1 = INT_MIN (documented, never UB).
  EXPECT_EQ(run_op(make_node("Div", 2, 1), {i32({4}, {7, -7, 5, INT32_MIN}), i32({4}, {2, 2, 0, -1})})[0]
                .values<int32_t>(),
            (std::vector<int32_t>{3, -3, 0, INT32_MIN}));
  EXPECT_EQ(f32_out(make_node("Div", 2, 1), {f32s({2}, {1, -1}), f32s({2}, {4, 0})}),
            (std::vector<float>{0.25f, -kInf}));
}

TEST(OpsElementwise, ModSignConventions) {
  auto i64 = [](std::vector<int64_t> v) { return tensor<int64_t>({static_cast<int64_t>(v.size())}, v); };
  // fmod = 0: the sign of the divisor (Python); fmod = 1: the sign of the dividend (C).
  EXPECT_EQ(run_op(make_node("Mod", 2, 1), {i64({-7, 7, 7, -7, 5}), i64({3, -3, 3, -3, 0})})[0].values<int64_t>(),
            (std::vector<int64_t>{2, -2, 1, -1, 0}));
  EXPECT_EQ(run_op(make_node("Mod", 2, 1, {attr("fmod", int64_t{1})}), {i64({-7, 7}), i64({3, -3})})[0]
                .values<int64_t>(),
            (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(f32_out(make_node("Mod", 2, 1, {attr("fmod", int64_t{1})}), {f32s({2}, {-7.5f, 7.5f}), f32s({2}, {2, 2})}),
            (std::vector<float>{-1.5f, 1.5f}));
  EXPECT_QEFF_ERROR(run_op(make_node("Mod", 2, 1), {f32s({1}, {1}), f32s({1}, {1})}), QEFF_E_FORMAT,
                    "node \"Mod_0\" (Mod)", "'fmod' must be 1", "F32");
}

TEST(OpsElementwise, PowMixedTypes) {
  EXPECT_EQ(f32_out(make_node("Pow", 2, 1), {f32s({3}, {2, 3, 4}), f32s({}, {2})}), (std::vector<float>{4, 9, 16}));
  // A float base with an int64 exponent (opset 12+): converted to the base type.
  EXPECT_EQ(f32_out(make_node("Pow", 2, 1), {f32s({2}, {2, 9}), tensor<int64_t>({2}, {3, -1})}),
            (std::vector<float>{8, 1.0f / 9}));
  EXPECT_EQ(run_op(make_node("Pow", 2, 1), {i64s({2, -3, 1, 2}), i64s({10, 3, -5, -1})})[0].values<int64_t>(),
            (std::vector<int64_t>{1024, -27, 1, 0}));
}

TEST(OpsElementwise, ComparisonsAndLogic) {
  auto x = f32s({4}, {1, 2, kNaN, 4}), y = f32s({}, {2});
  EXPECT_EQ(run_op(make_node("Less", 2, 1), {x, y})[0].values<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(run_op(make_node("LessOrEqual", 2, 1), {x, y})[0].values<uint8_t>(), (std::vector<uint8_t>{1, 1, 0, 0}));
  EXPECT_EQ(run_op(make_node("Greater", 2, 1), {x, y})[0].values<uint8_t>(), (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(run_op(make_node("GreaterOrEqual", 2, 1), {x, y})[0].values<uint8_t>(),
            (std::vector<uint8_t>{0, 1, 0, 1}));
  auto eq = run_op(make_node("Equal", 2, 1), {x, y});
  EXPECT_EQ(eq[0].dtype, QEFF_DTYPE_BOOL);
  EXPECT_EQ(eq[0].values<uint8_t>(), (std::vector<uint8_t>{0, 1, 0, 0}));
  auto a = bools({4}, {0, 0, 1, 1}), b = bools({4}, {0, 1, 0, 1});
  EXPECT_EQ(run_op(make_node("Equal", 2, 1), {a, b})[0].values<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 1}));
  EXPECT_EQ(run_op(make_node("And", 2, 1), {a, b})[0].values<uint8_t>(), (std::vector<uint8_t>{0, 0, 0, 1}));
  EXPECT_EQ(run_op(make_node("Or", 2, 1), {a, b})[0].values<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 1}));
  EXPECT_EQ(run_op(make_node("Xor", 2, 1), {a, b})[0].values<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 0}));
  EXPECT_EQ(run_op(make_node("Not", 1, 1), {a})[0].values<uint8_t>(), (std::vector<uint8_t>{1, 1, 0, 0}));
}

TEST(OpsElementwise, VariadicMaxMinSumMean) {
  std::vector<std::optional<Tensor>> in{f32s({2, 2}, {1, 8, 3, 4}), f32s({2}, {5, 6}), f32s({}, {2})};
  EXPECT_EQ(f32_out(make_node("Max", 3, 1), in), (std::vector<float>{5, 8, 5, 6}));
  EXPECT_EQ(f32_out(make_node("Min", 3, 1), in), (std::vector<float>{1, 2, 2, 2}));
  EXPECT_EQ(f32_out(make_node("Sum", 3, 1), in), (std::vector<float>{8, 16, 10, 12}));
  EXPECT_EQ(f32_out(make_node("Mean", 3, 1), in), (std::vector<float>{8.0f / 3, 16.0f / 3, 10.0f / 3, 4}));
  EXPECT_EQ(f32_out(make_node("Sum", 1, 1), {f32s({2}, {1, 2})}), (std::vector<float>{1, 2}));
  // NaN propagates through Max/Min from either side.
  auto m = f32_out(make_node("Max", 2, 1), {f32s({2}, {kNaN, 1}), f32s({2}, {1, kNaN})});
  EXPECT_TRUE(std::isnan(m[0]) && std::isnan(m[1]));
  EXPECT_EQ(run_op(make_node("Max", 2, 1), {i64s({-5, 7}), i64s({3, 2})})[0].values<int64_t>(),
            (std::vector<int64_t>{3, 7}));
  EXPECT_QEFF_ERROR(run_op(make_node("Mean", 2, 1), {i64s({1}), i64s({1})}), QEFF_E_UNSUPPORTED, "(Mean)", "I64");
}

TEST(OpsElementwise, WhereBroadcasts) {
  auto out = run_op(make_node("Where", 3, 1), {bools({2, 1}, {1, 0}), f32s({3}, {1, 2, 3}), f32s({}, {-1})});
  EXPECT_EQ(out[0].shape, (Dims{2, 3}));
  EXPECT_EQ(out[0].values<float>(), (std::vector<float>{1, 2, 3, -1, -1, -1}));
  EXPECT_EQ(run_op(make_node("Where", 3, 1), {bools({2}, {0, 1}), i64s({1, 2}), i64s({3, 4})})[0].values<int64_t>(),
            (std::vector<int64_t>{3, 2}));
  EXPECT_QEFF_ERROR(run_op(make_node("Where", 3, 1), {f32s({1}, {1}), f32s({1}, {1}), f32s({1}, {1})}),
                    QEFF_E_FORMAT, "(Where)", "condition", "must be bool");
}

TEST(OpsElementwise, Errors) {
  EXPECT_QEFF_ERROR(infer_op(make_node("Add", 2, 1), {f32s({2, 3}, std::vector<float>(6)), f32s({4}, {1, 2, 3, 4})}),
                    QEFF_E_FORMAT, "node \"Add_0\" (Add)", "shapes [2, 3] and [4] cannot be broadcast");
  EXPECT_QEFF_ERROR(infer_op(make_node("Add", 2, 1), {f32s({1}, {1}), i64s({1})}), QEFF_E_FORMAT, "(Add)",
                    "input 1 (\"in1\") has element type I64", "F32");
  EXPECT_QEFF_ERROR(infer_op(make_node("Add", 2, 1), {bools({1}, {1}), bools({1}, {1})}), QEFF_E_UNSUPPORTED,
                    "(Add)", "element type BOOL is not supported", "F32");
  EXPECT_QEFF_ERROR(infer_op(make_node("Add", 2, 1), {f32s({1}, {1})}), QEFF_E_FORMAT, "(Add)", "has 1 inputs",
                    "expected 2");
  EXPECT_QEFF_ERROR(infer_op(make_node("Sqrt", 1, 1), {i64s({1})}), QEFF_E_UNSUPPORTED, "(Sqrt)", "I64");
}

TEST(OpsElementwise, UnaryValues) {
  EXPECT_EQ(run_op(make_node("Abs", 1, 1), {tensor<int32_t>({3}, {-3, 4, INT32_MIN})})[0].values<int32_t>(),
            (std::vector<int32_t>{3, 4, INT32_MIN}));
  EXPECT_EQ(run_op(make_node("Neg", 1, 1), {i64s({5, -2})})[0].values<int64_t>(), (std::vector<int64_t>{-5, 2}));
  EXPECT_EQ(run_op(make_node("Relu", 1, 1), {i64s({-5, 2})})[0].values<int64_t>(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(f32_out(make_node("Relu", 1, 1), {f32s({3}, {-1, 0, 2})}), (std::vector<float>{0, 0, 2}));
  EXPECT_EQ(f32_out(make_node("Sqrt", 1, 1), {f32s({2}, {4, 9})}), (std::vector<float>{2, 3}));
  EXPECT_EQ(f32_out(make_node("Reciprocal", 1, 1), {f32s({2}, {4, -0.5f})}), (std::vector<float>{0.25f, -2}));
  EXPECT_EQ(f32_out(make_node("Sign", 1, 1), {f32s({3}, {-2, 0, 3})}), (std::vector<float>{-1, 0, 1}));
  EXPECT_EQ(f32_out(make_node("Ceil", 1, 1), {f32s({2}, {1.2f, -1.2f})}), (std::vector<float>{2, -1}));
  EXPECT_EQ(f32_out(make_node("Floor", 1, 1), {f32s({2}, {1.2f, -1.2f})}), (std::vector<float>{1, -2}));
  // Round: half to even.
  auto r = f32_out(make_node("Round", 1, 1), {f32s({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f, 3.5f})});
  EXPECT_EQ(r, (std::vector<float>{0, 2, 2, -0.0f, -2, 2, -3, 4}));
  EXPECT_TRUE(std::signbit(r[3]));
  EXPECT_EQ(f32_out(make_node("LeakyRelu", 1, 1, {attr("alpha", 0.5)}), {f32s({2}, {-2, 3})}),
            (std::vector<float>{-1, 3}));
  EXPECT_EQ(f32_out(make_node("HardSigmoid", 1, 1), {f32s({3}, {-5, 0, 5})}), (std::vector<float>{0, 0.5f, 1}));
  EXPECT_EQ(f32_out(make_node("HardSwish", 1, 1), {f32s({3}, {-4, 0, 4})}), (std::vector<float>{0, 0, 4}));
  EXPECT_EQ(f32_out(make_node("HardSwish", 1, 1), {f32s({1}, {1})}), (std::vector<float>{1.0f * (1.0f / 6 + 0.5f)}));
  auto inf = run_op(make_node("IsInf", 1, 1, {attr("detect_negative", int64_t{0})}), {f32s({4}, {kInf, -kInf, kNaN, 1})});
  EXPECT_EQ(inf[0].values<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 0}));
  EXPECT_EQ(run_op(make_node("IsNaN", 1, 1), {f32s({2}, {kNaN, 1})})[0].values<uint8_t>(), (std::vector<uint8_t>{1, 0}));
}

TEST(OpsElementwise, TranscendentalsMatchLibm) {
  const std::vector<float> x{-3.0f, -0.5f, 0.0f, 0.7f, 2.5f};
  auto check = [&](const char *op, auto ref, std::vector<Attribute> attrs = {}, int64_t opset = 17) {
    auto y = f32_out(make_node(op, 1, 1, std::move(attrs)), {f32s({5}, x)}, {opset});
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = ref(double(x[i]));
      if (std::isnan(want)) EXPECT_TRUE(std::isnan(y[i])) << op << " at " << x[i];
      else if (std::isinf(want)) EXPECT_EQ(y[i], want) << op << " at " << x[i];
      else EXPECT_NEAR(y[i], want, 2e-6 * std::max(1.0, std::fabs(want))) << op << " at " << x[i];
    }
  };
  check("Exp", [](double v) { return std::exp(v); });
  check("Log", [](double v) { return std::log(v); });  // NaN below 0, -inf at 0
  check("Erf", [](double v) { return std::erf(v); });
  check("Tanh", [](double v) { return std::tanh(v); });
  check("Sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); });
  check("Softplus", [](double v) { return std::log1p(std::exp(v)); });
  check("Sin", [](double v) { return std::sin(v); });
  check("Cos", [](double v) { return std::cos(v); });
  check("Gelu", [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, {}, 20);
  check("Gelu", [](double v) { return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))); },
        {attr("approximate", std::string("tanh"))}, 20);
  auto d = run_op(make_node("Exp", 1, 1), {tensor<double>({1}, {1.0})})[0].values<double>();
  EXPECT_EQ(d[0], std::exp(1.0));
  EXPECT_QEFF_ERROR(run_op(make_node("Gelu", 1, 1, {attr("approximate", std::string("fast"))}), {f32s({1}, {1})}),
                    QEFF_E_FORMAT, "(Gelu)", "'approximate'", "\"fast\"");
}

TEST(OpsElementwise, ClipOpsetVariants) {
  auto x = f32s({5}, {-5, -1, 0.5f, 3, kNaN});
  auto y = f32_out(make_node("Clip", 3, 1), {x, f32s({}, {-1}), f32s({}, {1})});
  EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 4), (std::vector<float>{-1, -1, 0.5f, 1}));
  EXPECT_TRUE(std::isnan(y[4]));
  // Only max given (min omitted); min > max gives max everywhere.
  EXPECT_EQ(f32_out(make_node("Clip", 3, 1), {f32s({2}, {-9, 9}), std::nullopt, f32s({}, {2})}),
            (std::vector<float>{-9, 2}));
  EXPECT_EQ(f32_out(make_node("Clip", 3, 1), {f32s({2}, {-9, 9}), f32s({}, {3}), f32s({}, {2})}),
            (std::vector<float>{2, 2}));
  // Opset 6-10: attributes.
  EXPECT_EQ(f32_out(make_node("Clip", 1, 1, {attr("min", 0.0), attr("max", 2.0)}), {f32s({3}, {-1, 1, 5})}, {10}),
            (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(run_op(make_node("Clip", 3, 1), {i64s({-5, 5}), i64s({-2}), std::nullopt})[0].values<int64_t>(),
            (std::vector<int64_t>{-2, 5}));
  EXPECT_QEFF_ERROR(infer_op(make_node("Clip", 2, 1), {f32s({1}, {1}), f32s({2}, {1, 2})}), QEFF_E_FORMAT, "(Clip)",
                    "must be a scalar", "[2]");
}

Node cast_to(int64_t onnx_type) { return make_node("Cast", 1, 1, {attr("to", onnx_type)}); }
constexpr int64_t kOnnxF32 = 1, kOnnxU8 = 2, kOnnxI32 = 6, kOnnxI64 = 7, kOnnxBool = 9, kOnnxF16 = 10,
                  kOnnxBF16 = 16, kOnnxString = 8;

TEST(OpsElementwise, CastFloatToIntTruncatesAndSaturates) {
  auto x = f32s({7}, {1.9f, -1.9f, 3e9f, -3e9f, kNaN, kInf, -0.5f});
  auto out = run_op(cast_to(kOnnxI32), {x});
  EXPECT_EQ(out[0].dtype, QEFF_DTYPE_I32);
  EXPECT_EQ(out[0].values<int32_t>(), (std::vector<int32_t>{1, -1, INT32_MAX, INT32_MIN, 0, INT32_MAX, 0}));
  EXPECT_EQ(run_op(cast_to(kOnnxU8), {f32s({4}, {-1, 300, 2.5f, 255.9f})})[0].values<uint8_t>(),
            (std::vector<uint8_t>{0, 255, 2, 255}));
  EXPECT_EQ(run_op(cast_to(kOnnxI64), {f32s({2}, {9.3e18f, -1e19f})})[0].values<int64_t>(),
            (std::vector<int64_t>{INT64_MAX, INT64_MIN}));
  EXPECT_EQ(run_op(cast_to(kOnnxBool), {f32s({4}, {0, -0.0f, kNaN, 2})})[0].values<uint8_t>(),
            (std::vector<uint8_t>{0, 0, 1, 1}));
  // Integer narrowing keeps the low bits; bool -> float is 0/1.
  EXPECT_EQ(run_op(cast_to(kOnnxI32), {i64s({(int64_t{1} << 32) + 5, -1})})[0].values<int32_t>(),
            (std::vector<int32_t>{5, -1}));
  EXPECT_EQ(f32_out(cast_to(kOnnxF32), {bools({2}, {1, 0})}), (std::vector<float>{1, 0}));
}

TEST(OpsElementwise, CastHalfAndBFloat16) {
  auto h = run_op(cast_to(kOnnxF16), {f32s({7}, {1.0f, 65519.0f, 65520.0f, kNaN, 0x1p-24f, -2.0f, 1.0f + 0x1p-11f})});
  EXPECT_EQ(h[0].values<uint16_t>(),
            (std::vector<uint16_t>{0x3C00, 0x7BFF, 0x7C00, 0x7E00, 0x0001, 0xC000, 0x3C00}));  // last: tie -> even
  auto back = f32_out(cast_to(kOnnxF32), {tensor<uint16_t>({3}, {0x3C01, 0x0001, 0xFC00}, QEFF_DTYPE_F16)});
  EXPECT_EQ(back, (std::vector<float>{1.0f + 0x1p-10f, 0x1p-24f, -kInf}));
  auto b = run_op(cast_to(kOnnxBF16), {f32s({3}, {1.0f, 1.00390625f, 1.01171875f})});
  EXPECT_EQ(b[0].values<uint16_t>(), (std::vector<uint16_t>{0x3F80, 0x3F80, 0x3F82}));  // ties to even
  EXPECT_EQ(f32_out(cast_to(kOnnxF32), {tensor<uint16_t>({1}, {0x3FC0}, QEFF_DTYPE_BF16)}), (std::vector<float>{1.5f}));
  // CastLike takes the target type from its second input.
  auto cl = run_op(make_node("CastLike", 2, 1), {f32s({2}, {2.7f, -2.7f}), i64s({0})});
  EXPECT_EQ(cl[0].values<int64_t>(), (std::vector<int64_t>{2, -2}));
  EXPECT_QEFF_ERROR(infer_op(cast_to(kOnnxString), {f32s({1}, {1})}), QEFF_E_UNSUPPORTED, "(Cast)", "'to'",
                    "element type 8");
  EXPECT_QEFF_ERROR(infer_op(make_node("Cast", 1, 1), {f32s({1}, {1})}), QEFF_E_FORMAT, "(Cast)", "'to' is required");
}

TEST(OpsElementwise, ParallelPathsGiveIdenticalBytes) {
  const int64_t n = 300 * 257;
  std::vector<float> a(n), b(257);
  for (int64_t i = 0; i < n; ++i) a[i] = static_cast<float>((i * 37) % 101) / 7.0f - 6.0f;
  for (int64_t i = 0; i < 257; ++i) b[i] = static_cast<float>(i) / 3.0f;
  auto A = f32s({300, 257}, a), B = f32s({257}, b), C = f32s({300, 1}, std::vector<float>(a.begin(), a.begin() + 300));
  auto same = run_both(make_node("Add", 2, 1), {A, A});
  auto row = run_both(make_node("Mul", 2, 1), {A, B});
  EXPECT_EQ(row[0].values<float>()[257 + 3], a[257 + 3] * b[3]);
  auto col = run_both(make_node("Sub", 2, 1), {A, C});
  EXPECT_EQ(col[0].values<float>()[257 * 5 + 7], a[257 * 5 + 7] - a[5]);
  run_both(make_node("Exp", 1, 1), {A});
  run_both(make_node("Round", 1, 1), {A});
  run_both(make_node("Cast", 1, 1, {attr("to", kOnnxF16)}), {A});
  run_both(make_node("Where", 3, 1), {bools({257}, std::vector<int>(257, 1)), A, C});
  run_both(make_node("Max", 3, 1), {A, B, C});
}

TEST(OpsElementwise, InPlaceMatchesOutOfPlace) {
  auto a = f32s({2, 3}, {1, 2, 3, 4, 5, 6}), b = f32s({3}, {1, 10, 100});
  for (const char *op : {"Add", "Sub", "Mul", "Div", "Max", "Sum"}) {
    auto ref = run_op(make_node(op, 2, 1), {a, b});
    auto in = run_op(make_node(op, 2, 1), {a, b}, {.in_place = true});
    EXPECT_EQ(ref[0].bytes, in[0].bytes) << op;
    EXPECT_TRUE(qeff::ops::find_op("", op)->flags & qeff::ops::kInPlace) << op;
  }
  auto ref = run_op(make_node("Tanh", 1, 1), {a});
  EXPECT_EQ(run_op(make_node("Tanh", 1, 1), {a}, {.in_place = true})[0].bytes, ref[0].bytes);
}

}  // namespace
