// The compiler passes (specialize, fold, fuse, plan) and the runtime
// (Executable validation, Session) on small graphs built in the test, with
// expected values computed here in double precision.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "compiler/compile.hpp"
#include "graph/builder.hpp"
#include "runtime/executable.hpp"
#include "runtime/session.hpp"
#include "unit_test.hpp"

using namespace qeff;
using namespace qeff::graph;
using compiler::CompileOptions;
using compiler::Specialization;

namespace {

TensorType f32(Shape s) { return {QEFF_DTYPE_F32, std::move(s)}; }

std::shared_ptr<std::vector<float>> values(size_t n, double salt) {
  auto v = std::make_shared<std::vector<float>>(n);
  for (size_t i = 0; i < n; ++i) (*v)[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i) + salt) * 0.5);
  return v;
}

std::string weight(GraphBuilder &b, const std::string &name, std::vector<int64_t> shape, double salt) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  auto v = values(n, salt);
  return b.initializer(name, f32(fixed_shape(shape)),
                       WeightData::view(reinterpret_cast<const uint8_t *>(v->data()), n * 4, v));
}

// y = Relu(x W1 + b1) W2 + x, x[batch, 8]: every fusion rule but GELU applies.
Graph mlp() {
  GraphBuilder b("mlp");
  auto x = b.input("x", f32({Dim::sym("batch"), Dim::fixed(8)}));
  auto h = b.op("Relu", {b.op("Add", {b.op("MatMul", {x, weight(b, "w1", {8, 16}, 0.1)}), weight(b, "b1", {16}, 0.2)})});
  auto y = b.op("Add", {b.op("MatMul", {h, weight(b, "w2", {16, 8}, 0.3)}), x});
  b.output(y, f32({Dim::sym("batch"), Dim::fixed(8)}), "y");
  return std::move(b).finish();
}

std::vector<double> mlp_reference(const std::vector<float> &x, int64_t batch) {
  auto w1 = values(8 * 16, 0.1), b1 = values(16, 0.2), w2 = values(16 * 8, 0.3);
  std::vector<double> y(static_cast<size_t>(batch) * 8);
  for (int64_t r = 0; r < batch; ++r) {
    std::vector<double> h(16);
    for (int j = 0; j < 16; ++j) {
      double s = (*b1)[static_cast<size_t>(j)];
      for (int k = 0; k < 8; ++k) s += double(x[static_cast<size_t>(r * 8 + k)]) * (*w1)[static_cast<size_t>(k * 16 + j)];
      h[static_cast<size_t>(j)] = std::max(s, 0.0);
    }
    for (int j = 0; j < 8; ++j) {
      double s = x[static_cast<size_t>(r * 8 + j)];
      for (int k = 0; k < 16; ++k) s += h[static_cast<size_t>(k)] * (*w2)[static_cast<size_t>(k * 8 + j)];
      y[static_cast<size_t>(r * 8 + j)] = s;
    }
  }
  return y;
}

CompileOptions options(std::vector<Specialization> specs, bool fuse = true) {
  CompileOptions o;
  o.specializations = std::move(specs);
  o.fuse = fuse;
  return o;
}

std::shared_ptr<const runtime::Executable> load(compiler::Program p) {
  return runtime::Executable::load(std::make_shared<compiler::Program>(std::move(p)));
}

runtime::NamedTensor f32_input(const std::string &name, const std::vector<float> &data, std::vector<int64_t> shape) {
  return {name, {QEFF_DTYPE_F32, std::move(shape), data.data()}};
}

void expect_mlp(runtime::Session &s, int64_t batch) {
  std::vector<float> x(static_cast<size_t>(batch) * 8);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(0.3 * double(i)));
  auto out = s.run({f32_input("x", x, {batch, 8})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tensor.shape, (std::vector<int64_t>{batch, 8}));
  auto ref = mlp_reference(x, batch);
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(out[0].tensor.as<float>()[i], ref[i], 1e-5) << i;
}

// The value a plan's last step of `op` writes.
const compiler::PlannedValue &last_output_of(const compiler::Plan &p, const std::string &op) {
  for (size_t s = p.steps.size(); s-- > 0;)
    if (p.steps[s].node.op_type == op) return p.values[static_cast<size_t>(p.steps[s].outputs[0])];
  throw std::runtime_error("no step " + op);
}

size_t count_steps(const compiler::Plan &p, const std::string &op) {
  size_t n = 0;
  for (const auto &s : p.steps) n += s.node.op_type == op;
  return n;
}

}  // namespace

TEST(Compiler, FusesMlpIntoTwoPackedMatMulsAndMatchesReference) {
  auto program = compiler::compile(mlp(), options({{"b3", {{"batch", 3}}}, {"b1", {{"batch", 1}}}}));
  ASSERT_EQ(program.plans.size(), 2u);
  for (const auto &plan : program.plans) {
    EXPECT_EQ(plan.steps.size(), 3u);  // the builder names the output "y" with an Identity (a view)
    EXPECT_EQ(count_steps(plan, "PackedMatMul"), 2u);
    EXPECT_EQ(count_steps(plan, "Identity"), 1u);
  }
  const auto &first = program.plans[0].steps[0].node;
  EXPECT_EQ(std::get<std::string>(first.attribute("activation")->value), "relu");
  EXPECT_FALSE(first.inputs[2].empty());                 // bias merged
  EXPECT_EQ(program.plans[0].steps[1].node.inputs.size(), 4u);  // residual merged
  // The packed weights are stored once for both specializations.
  EXPECT_EQ(program.constants.size(), 3u);  // w1 packed, b1, w2 packed
  runtime::Session s(load(std::move(program)), 2);
  expect_mlp(s, 3);
  EXPECT_EQ(s.last_plan(), 0);
  expect_mlp(s, 1);
  EXPECT_EQ(s.last_plan(), 1);
}

TEST(Compiler, UnfusedAndBf16PathsAgree) {
  auto unfused = compiler::compile(mlp(), options({{"b2", {{"batch", 2}}}}, false));
  EXPECT_EQ(count_steps(unfused.plans[0], "MatMul"), 2u);
  runtime::Session plain(load(std::move(unfused)), 1);
  expect_mlp(plain, 2);
  CompileOptions o = options({{"b2", {{"batch", 2}}}});
  o.weight_dtype = QEFF_DTYPE_BF16;
  runtime::Session bf16(load(compiler::compile(mlp(), o)), 1);
  std::vector<float> x(16, 0.25f);
  auto got = bf16.run({f32_input("x", x, {2, 8})});
  auto ref = mlp_reference(x, 2);
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[0].tensor.as<float>()[i], ref[i], 2e-2);
}

// y = GELU(x W1 + b1) with GELU in an exported form: A is
// Mul(Mul(h, Add(Erf(Div(h, sqrt 2)), 1)), 0.5), B is Mul(Mul(h, 0.5), Add(...)).
Graph gelu_mlp(bool form_a) {
  GraphBuilder b("gelu_mlp");
  auto x = b.input("x", f32({Dim::sym("batch"), Dim::fixed(8)}));
  auto h = b.op("Add", {b.op("MatMul", {x, weight(b, "w1", {8, 16}, 0.1)}), weight(b, "b1", {16}, 0.2)});
  auto one_plus_erf = b.op(
      "Add", {b.op("Erf", {b.op("Div", {h, b.constant_f32("sqrt2", {1.41421356f}, Shape{})})}),
              b.constant_f32("one", {1.0f}, Shape{})});
  auto half = b.constant_f32("half", {0.5f}, Shape{});
  auto y = form_a ? b.op("Mul", {b.op("Mul", {h, one_plus_erf}), half})
                  : b.op("Mul", {b.op("Mul", {h, half}), one_plus_erf});
  b.output(y, f32({Dim::sym("batch"), Dim::fixed(16)}), "y");
  return std::move(b).finish();
}

TEST(Compiler, ExportedGeluFusesIntoItsMatMul) {
  // The gelu_erf rule rewrites the pattern into Gelu, then the activation
  // rule merges that Gelu into the PackedMatMul: the pattern's merged nodes
  // must not count as readers of the MatMul's output any more.
  for (bool form_a : {true, false}) {
    auto program = compiler::compile(gelu_mlp(form_a), options({{"b2", {{"batch", 2}}}}));
    const auto &plan = program.plans[0];
    EXPECT_EQ(count_steps(plan, "PackedMatMul"), 1u) << form_a;
    EXPECT_EQ(count_steps(plan, "Gelu"), 0u) << form_a;
    EXPECT_EQ(count_steps(plan, "Erf"), 0u) << form_a;
    EXPECT_EQ(std::get<std::string>(plan.steps[0].node.attribute("activation")->value), "gelu_erf") << form_a;
    runtime::Session s(load(std::move(program)), 1);
    std::vector<float> x(16);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(0.3 * double(i)) * 2);
    auto out = s.run({f32_input("x", x, {2, 8})});
    auto w1 = values(8 * 16, 0.1), b1 = values(16, 0.2);
    for (int r = 0; r < 2; ++r)
      for (int j = 0; j < 16; ++j) {
        double v = (*b1)[static_cast<size_t>(j)];
        for (int k = 0; k < 8; ++k) v += double(x[static_cast<size_t>(r * 8 + k)]) * (*w1)[static_cast<size_t>(k * 16 + j)];
        EXPECT_NEAR(out[0].tensor.as<float>()[r * 16 + j], 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-5);
      }
  }
}

TEST(Compiler, SpecializationErrorsNameTheSymbol) {
  Graph g = mlp();
  EXPECT_QEFF_ERROR(compiler::compile(g, options({{"P", {}}})), QEFF_E_INVALID_ARGUMENT,
                    "specialization \"P\" does not bind symbol \"batch\"", "input \"x\", dimension 0");
  EXPECT_QEFF_ERROR(compiler::compile(g, options({{"P", {{"batch", 1}, {"seqlen", 4}}}})),
                    QEFF_E_INVALID_ARGUMENT, "binds symbol \"seqlen\", which no graph input uses (inputs use: batch)");
  EXPECT_QEFF_ERROR(compiler::compile(g, options({{"P", {{"batch", 0}}}})), QEFF_E_INVALID_ARGUMENT,
                    "binds \"batch\" to 0");
  EXPECT_QEFF_ERROR(compiler::compile(g, options({})), QEFF_E_INVALID_ARGUMENT, "no specializations");
  EXPECT_QEFF_ERROR(compiler::compile(g, options({{"A", {{"batch", 1}}}, {"A", {{"batch", 2}}}})),
                    QEFF_E_INVALID_ARGUMENT, "\"A\" is given twice");
  CompileOptions o = options({{"A", {{"batch", 1}}}});
  o.target = "qaic";
  EXPECT_QEFF_ERROR(compiler::compile(g, o), QEFF_E_UNSUPPORTED, "target \"qaic\" is not available");
}

TEST(Compiler, DeclaredOutputTypeIsChecked) {
  GraphBuilder b("wrong");
  auto x = b.input("x", f32({Dim::sym("batch"), Dim::fixed(4)}));
  b.output(b.op("Relu", {x}), f32({Dim::sym("batch"), Dim::fixed(5)}), "y");
  EXPECT_QEFF_ERROR(compiler::compile(std::move(b).finish(), options({{"S", {{"batch", 2}}}})), QEFF_E_MISMATCH,
                    "output \"y\" is declared F32[batch, 5] but computes F32[2, 4]");
}

TEST(Compiler, ShapeArithmeticFoldsAndViewsAlias) {
  // y = Reshape(x, Concat(Shape(x)[0], [-1])) : a flatten written the way torch exports it.
  GraphBuilder b("flatten");
  auto x = b.input("x", f32({Dim::sym("batch"), Dim::fixed(2), Dim::fixed(3)}));
  auto first = b.op("Gather", {b.op("Shape", {x}), b.constant_i64("zero", {0})}, {{"axis", int64_t{0}}});
  auto shape = b.op("Concat", {first, b.constant_i64("rest", {-1})}, {{"axis", int64_t{0}}});
  b.output(b.op("Relu", {b.op("Reshape", {x, shape})}), f32({Dim::sym("batch"), Dim::fixed(6)}), "y");
  auto program = compiler::compile(std::move(b).finish(), options({{"S", {{"batch", 2}}}}));
  const auto &plan = program.plans[0];
  ASSERT_EQ(plan.steps.size(), 3u);  // Reshape (a view), Relu, Identity (naming y); Shape/Gather/Concat folded
  EXPECT_EQ(plan.steps[0].node.op_type, "Reshape");
  const auto &reshaped = plan.values[static_cast<size_t>(plan.steps[0].outputs[0])];
  EXPECT_EQ(reshaped.placement, compiler::Placement::alias);
  EXPECT_EQ(plan.arena_bytes, 64u);  // only y: 12 floats in one aligned slot
}

TEST(Compiler, InPlaceChainsShareOneBuffer) {
  GraphBuilder b("chain");
  auto v = b.input("x", f32(fixed_shape({64, 64})));
  for (int i = 0; i < 6; ++i) v = b.op("Relu", {b.op("Neg", {v})});
  b.output(v, f32(fixed_shape({64, 64})), "y");
  auto program = compiler::compile(std::move(b).finish(), options({{"S", {}}}));
  // The first step reads the caller's input (never overwritten); every later
  // step works in place in one 16 KiB buffer.
  EXPECT_EQ(program.plans[0].arena_bytes, 64u * 64u * 4u);
}

// A cache [1, 1, 8, 2] kept as retained state: scatter `update` at `pos`,
// output the sum over the cache (ReduceSum).
Graph cache_graph() {
  GraphBuilder b("cache");
  b.set_opset("qeff", 1);
  TensorType cache_t = f32(fixed_shape({1, 1, 8, 2}));
  auto cache = b.input("cache", cache_t);
  auto pos = b.input("pos", {QEFF_DTYPE_I64, {Dim::fixed(1), Dim::sym("seq_len")}});
  auto upd = b.input("update", f32({Dim::fixed(1), Dim::fixed(1), Dim::sym("seq_len"), Dim::fixed(2)}));
  auto next = b.op("CtxScatter", {cache, pos, upd}, {}, {}, "qeff");
  b.output(next, cache_t, "cache_RetainedState");
  b.output(b.op("ReduceSum", {next, b.constant_i64("axes", {2})}, {{"keepdims", int64_t{0}}}),
           f32(fixed_shape({1, 1, 2})), "sum");
  return std::move(b).finish();
}

TEST(Runtime, RetainedStateIsUpdatedInPlaceAcrossRuns) {
  auto program = compiler::compile(cache_graph(), options({{"Prefill", {{"seq_len", 3}}}, {"Decode", {{"seq_len", 1}}}}));
  ASSERT_EQ(program.retained.size(), 1u);
  EXPECT_EQ(program.inputs.size(), 2u);  // the state input is not part of the signature
  for (const auto &plan : program.plans) EXPECT_TRUE(plan.state_writes.empty()) << "scatter runs in place";
  runtime::Session s(load(std::move(program)), 1);
  std::vector<int64_t> p3 = {0, 1, 2}, p1 = {3};
  std::vector<float> u3 = {1, 2, 3, 4, 5, 6}, u1 = {10, 20};
  auto r1 = s.run({{"pos", {QEFF_DTYPE_I64, {1, 3}, p3.data()}}, f32_input("update", u3, {1, 1, 3, 2})});
  EXPECT_FLOAT_EQ(r1[0].tensor.as<float>()[0], 9.0f);
  auto r2 = s.run({{"pos", {QEFF_DTYPE_I64, {1, 1}, p1.data()}}, f32_input("update", u1, {1, 1, 1, 2})});
  EXPECT_FLOAT_EQ(r2[0].tensor.as<float>()[0], 19.0f);
  EXPECT_FLOAT_EQ(r2[0].tensor.as<float>()[1], 32.0f);
  auto [type, bytes] = s.read_state("cache");
  EXPECT_EQ(type, f32(fixed_shape({1, 1, 8, 2})));
  EXPECT_FLOAT_EQ(reinterpret_cast<const float *>(bytes.data())[6], 10.0f);
  s.reset_state();
  EXPECT_QEFF_ERROR(s.read_state("cache"), QEFF_E_STATE, "does not exist until a run creates it");
  EXPECT_QEFF_ERROR(s.read_state("nope"), QEFF_E_NOT_FOUND, "no retained state \"nope\"");
  auto r3 = s.run({{"pos", {QEFF_DTYPE_I64, {1, 1}, p1.data()}}, f32_input("update", u1, {1, 1, 1, 2})});
  EXPECT_FLOAT_EQ(r3[0].tensor.as<float>()[0], 10.0f);  // the cache started again from zeros
}

TEST(Runtime, InputErrorsNameInputsAndSpecializations) {
  runtime::Session s(load(compiler::compile(mlp(), options({{"b3", {{"batch", 3}}}, {"b1", {{"batch", 1}}}}))), 1);
  std::vector<float> x(40);
  EXPECT_QEFF_ERROR(s.run({f32_input("x", x, {5, 8})}), QEFF_E_MISMATCH,
                    "no specialization takes inputs x[5, 8] (compiled: b3 {batch: 3}; b1 {batch: 1})");
  EXPECT_QEFF_ERROR(s.run({}), QEFF_E_INVALID_ARGUMENT, "input \"x\" is missing");
  EXPECT_QEFF_ERROR(s.run({f32_input("z", x, {1, 8})}), QEFF_E_INVALID_ARGUMENT,
                    "unknown input \"z\" (the program takes: x)");
  EXPECT_QEFF_ERROR(s.run({f32_input("x", x, {1, 8}), f32_input("x", x, {1, 8})}), QEFF_E_INVALID_ARGUMENT,
                    "given twice");
  std::vector<int64_t> ids(8);
  EXPECT_QEFF_ERROR(s.run({{"x", {QEFF_DTYPE_I64, {1, 8}, ids.data()}}}), QEFF_E_MISMATCH, "has dtype I64");
}

TEST(Runtime, TamperedPlansAreRefused) {
  auto base = compiler::compile(mlp(), options({{"b2", {{"batch", 2}}}}));
  {
    auto p = base;
    const_cast<compiler::PlannedValue &>(last_output_of(p.plans[0], "PackedMatMul")).offset = p.plans[0].arena_bytes + 64;
    EXPECT_QEFF_ERROR(load(std::move(p)), QEFF_E_FORMAT, "outside the arena");
  }
  {
    auto p = base;
    auto &v = const_cast<compiler::PlannedValue &>(last_output_of(p.plans[0], "PackedMatMul"));
    v.type.shape[0] = Dim::fixed(1);
    v.type.shape[1] = Dim::fixed(16);  // same size, another shape
    EXPECT_QEFF_ERROR(load(std::move(p)), QEFF_E_FORMAT, "planned as F32[1, 16] but the op computes F32[2, 8]");
  }
  {
    auto p = base;
    p.plans[0].steps[0].inputs[0] = 99;
    EXPECT_QEFF_ERROR(load(std::move(p)), QEFF_E_FORMAT, "refers to value 99");
  }
  {
    auto p = base;
    std::swap(p.plans[0].steps[0], p.plans[0].steps[1]);
    EXPECT_QEFF_ERROR(load(std::move(p)), QEFF_E_FORMAT, "before it is written");
  }
  {
    auto p = base;
    p.target = "qaic";
    EXPECT_QEFF_ERROR(load(std::move(p)), QEFF_E_UNSUPPORTED, "compiled for target \"qaic\"");
  }
}

// A package planned by an older build whose kernels needed less workspace:
// the steps that need more get one region after the arena and compute the
// same bytes; a planned region outside the arena is still refused.
TEST(Runtime, StepsPlannedWithTooLittleWorkspaceRunInARegionAfterTheArena) {
  CompileOptions o = options({{"b3", {{"batch", 3}}}});
  o.weight_dtype = QEFF_DTYPE_I8;  // the int8 GEMMs quantize x into their workspace
  const compiler::Program base = compiler::compile(mlp(), o);
  auto short_ws = base;
  uint64_t needed = 0;
  for (auto &st : short_ws.plans[0].steps) {
    needed = std::max(needed, st.workspace_bytes);
    st.workspace_bytes = 0;
    st.workspace_offset = 0;
  }
  ASSERT_GT(needed, 0u);
  auto exe = load(std::move(short_ws));
  const uint64_t region = (base.plans[0].arena_bytes + 63) / 64 * 64;
  EXPECT_GE(exe->layout(0).arena_bytes, region + needed);
  for (size_t st = 0; st < base.plans[0].steps.size(); ++st) {
    if (base.plans[0].steps[st].workspace_bytes > 0) {
      EXPECT_EQ(exe->layout(0).workspace_offset[st], region) << st;
    }
  }
  runtime::Session reference(load(base), 1), planned_short(exe, 2);
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.7 * double(i)));
  auto want = reference.run({f32_input("x", x, {3, 8})});
  auto got = planned_short.run({f32_input("x", x, {3, 8})});
  ASSERT_EQ(got.size(), 1u);
  for (size_t i = 0; i < 24; ++i) EXPECT_EQ(got[0].tensor.as<float>()[i], want[0].tensor.as<float>()[i]) << i;
  auto outside = base;
  outside.plans[0].steps[0].workspace_offset = outside.plans[0].arena_bytes + 64;
  EXPECT_QEFF_ERROR(load(std::move(outside)), QEFF_E_FORMAT, "outside the arena");
}

TEST(Runtime, SessionsShareOneExecutableAcrossThreads) {
  auto exe = load(compiler::compile(mlp(), options({{"b3", {{"batch", 3}}}})));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([exe] {
      runtime::Session s(exe, 2);
      for (int i = 0; i < 20; ++i) expect_mlp(s, 3);
    });
  for (auto &t : threads) t.join();
}

TEST(Compiler, NaturalSpecializations) {
  GraphBuilder b("lm");
  auto ids = b.input("input_ids", {QEFF_DTYPE_I64, {Dim::sym("batch_size"), Dim::sym("seq_len")}});
  auto c = b.input("cache", f32({Dim::sym("batch_size"), Dim::sym("ctx_len")}));
  b.output(b.op("Identity", {ids}), {QEFF_DTYPE_I64, {Dim::sym("batch_size"), Dim::sym("seq_len")}}, "out");
  b.output(b.op("Identity", {c}), f32({Dim::sym("batch_size"), Dim::sym("ctx_len")}), "c");
  Graph g = std::move(b).finish();
  compiler::NaturalParameters p;
  p.prefill_seq_len = 16;
  p.ctx_len = 64;
  auto specs = compiler::natural_specializations(g, p);
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[0], (Specialization{"Prefill", {{"batch_size", 1}, {"seq_len", 16}, {"ctx_len", 64}}}));
  EXPECT_EQ(specs[1], (Specialization{"Decode", {{"batch_size", 1}, {"seq_len", 1}, {"ctx_len", 64}}}));
  p.prefill_seq_len = 65;
  EXPECT_QEFF_ERROR(compiler::natural_specializations(g, p), QEFF_E_INVALID_ARGUMENT, "exceeds compile.ctx_len = 64");
  auto parsed = compiler::parse_specializations(
      R"({"specializations": [{"batch_size": "1", "seq_len": "32", "ctx_len": 128}]})", "specializations.json");
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0], (Specialization{"spec_0", {{"batch_size", 1}, {"seq_len", 32}, {"ctx_len", 128}}}));
  EXPECT_QEFF_ERROR(compiler::parse_specializations(R"([{"name": "A", "symbols": {"s": "3x"}}])", "opt"),
                    QEFF_E_INVALID_ARGUMENT, "opt: specializations[0].s = \"3x\" is not a decimal size");
}

TEST(Runtime, ConcurrentCallsOnOneSessionAreBusyNotCorrupt) {
  // Views returned by run() are valid until the session's next call, so only
  // one thread runs valid calls; the intruder's calls fail on their shapes.
  auto exe = load(compiler::compile(mlp(), options({{"b256", {{"batch", 256}}}})));
  runtime::Session s(exe, 1);
  std::atomic<bool> stop{false};
  std::atomic<int> busy{0}, other{0};
  std::thread intruder([&] {
    std::vector<float> x(8, 1.0f);
    while (!stop.load()) {
      try {
        s.run({f32_input("x", x, {1, 8})});  // no such specialization: must never get this far concurrently
      } catch (const Error &e) {
        (e.status() == QEFF_E_BUSY ? busy : other).fetch_add(1);
      }
    }
  });
  // Our own calls may meet the intruder holding the session: retry those.
  auto run_checked = [&] {
    for (;;) {
      try {
        expect_mlp(s, 256);
        return;
      } catch (const Error &e) {
        ASSERT_EQ(e.status(), QEFF_E_BUSY) << e.what();
      }
    }
  };
  // Until the intruder has met our lock at least once: a time bound, not a
  // count, so a starved or single-core machine also gets there.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (busy.load() == 0 && std::chrono::steady_clock::now() < deadline) run_checked();
  for (int i = 0; i < 20; ++i) run_checked();
  stop = true;
  intruder.join();
  EXPECT_GT(busy.load(), 0);
  // The intruder's own calls, when they got the session, fail on their shapes.
  SUCCEED() << busy.load() << " busy, " << other.load() << " mismatched";
}

namespace {

// y = Attention(q, MxInt8Dequantize(MxInt8Quantize(k)), ..(v), mask): the
// shape of an MXINT8 KV cache's attention (transforms/kv_cache.hpp).
Graph mxint8_attention() {
  GraphBuilder b("mx");
  auto q = b.input("q", f32(fixed_shape({1, 4, 2, 40})));
  auto k = b.input("k", f32(fixed_shape({1, 2, 7, 40})));
  auto v = b.input("v", f32(fixed_shape({1, 2, 7, 40})));
  auto mask = b.input("mask", {QEFF_DTYPE_BOOL, fixed_shape({1, 1, 2, 7})});
  auto rows = [&](const std::string &x) {
    auto packed = b.op("MxInt8Quantize", {x}, {}, std::nullopt, "qeff");
    return b.op("MxInt8Dequantize", {packed}, {{"dim", int64_t{40}}}, std::nullopt, "qeff");
  };
  auto y = b.op("Attention", {q, rows(k), rows(v), mask},
                {{"scale", 0.158}, {"num_kv_groups", int64_t{2}}, {"masked_value", -1e4}}, std::nullopt, "qeff");
  b.output(y, f32(fixed_shape({1, 4, 2, 40})), "y");
  return std::move(b).finish();
}

}  // namespace

TEST(Compiler, MxInt8AttentionReadsTheRowsInPlace) {
  auto fused = compiler::compile(mxint8_attention(), options({{"one", {}}}));
  EXPECT_EQ(count_steps(fused.plans[0], "MxInt8Dequantize"), 0u);
  EXPECT_EQ(count_steps(fused.plans[0], "Attention"), 1u);
  bool cpu_domain = false;
  for (const auto &s : fused.plans[0].steps) cpu_domain |= s.node.op_type == "Attention" && s.node.domain == "qeff.cpu";
  EXPECT_TRUE(cpu_domain);
  auto unfused = compiler::compile(mxint8_attention(), options({{"one", {}}}, false));
  EXPECT_EQ(count_steps(unfused.plans[0], "MxInt8Dequantize"), 2u);
  std::vector<float> q(320), k(560), v(560);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<float>(std::sin(0.7 * double(i)));
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<float>(std::cos(0.3 * double(i)) * (1 + double(i % 40)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(std::sin(0.11 * double(i)) * 1e-3);
  std::vector<uint8_t> mask = {0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1};
  std::vector<runtime::NamedTensor> in = {f32_input("q", q, {1, 4, 2, 40}), f32_input("k", k, {1, 2, 7, 40}),
                                          f32_input("v", v, {1, 2, 7, 40}),
                                          {"mask", {QEFF_DTYPE_BOOL, {1, 1, 2, 7}, mask.data()}}};
  runtime::Session a(load(std::move(fused)), 1), b(load(std::move(unfused)), 1);
  auto ya = a.run(in), yb = b.run(in);
  const float *pa = ya[0].tensor.as<float>(), *pb = yb[0].tensor.as<float>();
  EXPECT_EQ(std::vector<float>(pa, pa + 320), std::vector<float>(pb, pb + 320));
}

namespace {

// BERT's self-attention core: q, k, v [2, 5, 3 * 8] viewed as 3 heads
// (Reshape + Transpose), qeff.Attention, heads merged back.
Graph bert_attention() {
  GraphBuilder b("bert_attention");
  auto heads = [&](const std::string &x) {
    auto r = b.op("Reshape", {x, b.constant_i64("heads_shape", {0, 0, 3, 8})});
    return b.op("Transpose", {r}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  };
  std::vector<std::string> in;
  for (const char *name : {"q", "k", "v"}) in.push_back(heads(b.input(name, f32(fixed_shape({2, 5, 24})))));
  auto mask = b.input("mask", {QEFF_DTYPE_BOOL, fixed_shape({2, 1, 1, 5})});
  auto y = b.op("Attention", {in[0], in[1], in[2], mask},
                {{"scale", 0.35}, {"num_kv_groups", int64_t{1}}, {"masked_value", -3.4e38}}, std::nullopt, "qeff");
  auto t = b.op("Transpose", {y}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  b.output(b.op("Reshape", {t, b.constant_i64("merged_shape", {0, 0, 24})}), f32(fixed_shape({2, 5, 24})), "y");
  return std::move(b).finish();
}

}  // namespace

TEST(Compiler, HeadTransposesAroundAttentionFoldIntoItsLayout) {
  auto fused = compiler::compile(bert_attention(), options({{"one", {}}}));
  EXPECT_EQ(count_steps(fused.plans[0], "Transpose"), 0u);
  EXPECT_EQ(count_steps(fused.plans[0], "AttentionBSHD"), 1u);
  auto unfused = compiler::compile(bert_attention(), options({{"one", {}}}, false));
  EXPECT_EQ(count_steps(unfused.plans[0], "Transpose"), 4u);
  std::vector<float> q(240), k(240), v(240);
  for (size_t i = 0; i < q.size(); ++i) {
    q[i] = static_cast<float>(std::sin(0.7 * double(i)));
    k[i] = static_cast<float>(std::cos(0.3 * double(i)));
    v[i] = static_cast<float>(std::sin(0.11 * double(i) + 1));
  }
  std::vector<uint8_t> mask = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  std::vector<runtime::NamedTensor> in = {f32_input("q", q, {2, 5, 24}), f32_input("k", k, {2, 5, 24}),
                                          f32_input("v", v, {2, 5, 24}),
                                          {"mask", {QEFF_DTYPE_BOOL, {2, 1, 1, 5}, mask.data()}}};
  runtime::Session a(load(std::move(fused)), 2), b(load(std::move(unfused)), 1);
  auto ya = a.run(in), yb = b.run(in);
  const float *pa = ya[0].tensor.as<float>(), *pb = yb[0].tensor.as<float>();
  EXPECT_EQ(std::vector<float>(pa, pa + 240), std::vector<float>(pb, pb + 240));
}

namespace {

// Transposes that only move axes of size 1 (decode's [1, 1, heads, d] ->
// [1, heads, 1, d]; [1, 5, 1] reversed) and one that does not ([2, 1, 3]
// reversed), each followed by a Relu.
Graph unit_transposes() {
  GraphBuilder b("unit_transposes");
  auto x = b.input("x", f32(fixed_shape({1, 1, 3, 8})));
  auto z = b.input("z", f32(fixed_shape({2, 1, 3})));
  auto w = b.input("w", f32(fixed_shape({1, 5, 1})));
  auto heads = b.op("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  b.output(b.op("Relu", {heads}), f32(fixed_shape({1, 3, 1, 8})), "heads");
  b.output(b.op("Relu", {b.op("Transpose", {z})}), f32(fixed_shape({3, 1, 2})), "swapped");
  b.output(b.op("Relu", {b.op("Transpose", {w})}), f32(fixed_shape({1, 5, 1})), "reversed");
  return std::move(b).finish();
}

}  // namespace

TEST(Compiler, TransposesOfUnitAxesBecomeViews) {
  auto fused = compiler::compile(unit_transposes(), options({{"one", {}}}));
  EXPECT_EQ(count_steps(fused.plans[0], "Transpose"), 1u);  // [2, 1, 3] reversed moves data
  auto unfused = compiler::compile(unit_transposes(), options({{"one", {}}}, false));
  EXPECT_EQ(count_steps(unfused.plans[0], "Transpose"), 3u);
  std::vector<float> x(24), z(6), w(5);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.7 * double(i)));
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>(std::cos(0.3 * double(i)));
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i) - 2.0f;
  std::vector<runtime::NamedTensor> in = {f32_input("x", x, {1, 1, 3, 8}), f32_input("z", z, {2, 1, 3}),
                                          f32_input("w", w, {1, 5, 1})};
  runtime::Session a(load(std::move(fused)), 1), b(load(std::move(unfused)), 1);
  auto ya = a.run(in), yb = b.run(in);
  for (size_t o = 0; o < 3; ++o) {
    const size_t n = ya[o].tensor.numel();
    const float *pa = ya[o].tensor.as<float>(), *pb = yb[o].tensor.as<float>();
    EXPECT_EQ(ya[o].tensor.shape, yb[o].tensor.shape) << o;
    EXPECT_EQ(std::vector<float>(pa, pa + n), std::vector<float>(pb, pb + n)) << o;
  }
  // The swap of [2, 1, 3]'s outer axes: element (i, 0, j) of z at (j, 0, i).
  const float *swapped = ya[1].tensor.as<float>();
  EXPECT_EQ(swapped[1 * 2 + 0], z[0 * 3 + 1]);
}

namespace {

// Three Linears of one x [batch, 16] (the second with Relu) and a fourth
// adding x as a residual: q, k, v and an output projection's shape.
Graph three_linears() {
  GraphBuilder b("three");
  auto x = b.input("x", f32({Dim::sym("batch"), Dim::fixed(16)}));
  for (int i = 0; i < 4; ++i) {
    const int64_t n = i == 3 ? 16 : 24 + 8 * i;
    auto y = b.op("Add", {b.op("MatMul", {x, weight(b, "w" + std::to_string(i), {16, n}, 0.1 * i)}),
                          weight(b, "b" + std::to_string(i), {n}, 0.5 + i)});
    if (i == 1) y = b.op("Relu", {y});
    if (i == 3) y = b.op("Add", {y, x});
    b.output(y, f32({Dim::sym("batch"), Dim::fixed(n)}), "y" + std::to_string(i));
  }
  return std::move(b).finish();
}

}  // namespace

TEST(Compiler, LinearsOfOneQuantizedInputShareItsQuantization) {
  CompileOptions o = options({{"b3", {{"batch", 3}}}});
  o.weight_dtype = QEFF_DTYPE_I8;
  auto grouped = compiler::compile(three_linears(), o);
  // y0..y2 in one group; y3 keeps its residual and its own step.
  EXPECT_EQ(count_steps(grouped.plans[0], "PackedMatMulGroup"), 1u);
  EXPECT_EQ(count_steps(grouped.plans[0], "PackedMatMul"), 1u);
  o.weight_dtype = QEFF_DTYPE_F32;  // f32 weights do not quantize A: nothing to share
  auto plain = compiler::compile(three_linears(), o);
  EXPECT_EQ(count_steps(plain.plans[0], "PackedMatMulGroup"), 0u);
  EXPECT_EQ(count_steps(plain.plans[0], "PackedMatMul"), 4u);
  std::vector<float> x(48);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(0.3 * double(i)));
  runtime::Session a(load(std::move(grouped)), 2), b(load(std::move(plain)), 1);
  auto ya = a.run({f32_input("x", x, {3, 16})}), yb = b.run({f32_input("x", x, {3, 16})});
  ASSERT_EQ(ya.size(), 4u);
  for (size_t o = 0; o < 4; ++o) {
    ASSERT_EQ(ya[o].tensor.shape, yb[o].tensor.shape);
    const size_t n = static_cast<size_t>(ya[o].tensor.shape[0] * ya[o].tensor.shape[1]);
    for (size_t i = 0; i < n; ++i)  // int8 against f32: within the quantization error
      EXPECT_NEAR(ya[o].tensor.as<float>()[i], yb[o].tensor.as<float>()[i], 3e-2) << "y" << o << " " << i;
  }
}

// Linear layers as exported: MatMul(x, Transpose(W)) with W [out, in].
// y1 = x W1^T (x [batch, 8], packed from W1 as stored: no transposed copy of
// W1 is made or kept) and y2 = z W2^T (z [8], one-dimensional: not packed,
// so its transpose folds as before).
Graph exported_linears() {
  GraphBuilder b("linears");
  auto x = b.input("x", f32({Dim::sym("batch"), Dim::fixed(8)}));
  auto z = b.input("z", f32(fixed_shape({8})));
  auto t = [&b](const std::string &w) { return b.op("Transpose", {w}, {{"perm", std::vector<int64_t>{1, 0}}}); };
  b.output(b.op("MatMul", {x, t(weight(b, "w1", {16, 8}, 0.4))}), f32({Dim::sym("batch"), Dim::fixed(16)}), "y1");
  b.output(b.op("MatMul", {z, t(weight(b, "w2", {4, 8}, 0.5))}), f32(fixed_shape({4})), "y2");
  return std::move(b).finish();
}

TEST(Compiler, TransposedWeightsArePackedAsStored) {
  auto w1 = values(16 * 8, 0.4), w2 = values(4 * 8, 0.5);
  std::vector<float> x(3 * 8), z(8);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(0.3 * double(i)));
  for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>(std::sin(0.2 * double(i)));
  for (bool fuse : {true, false}) {
    SCOPED_TRACE(fuse ? "fused" : "unfused");
    auto program = compiler::compile(exported_linears(), options({{"b3", {{"batch", 3}}}, {"b1", {{"batch", 1}}}}, fuse));
    for (const auto &plan : program.plans) {
      EXPECT_EQ(count_steps(plan, "Transpose"), 0u);  // folded or packed, never run
      EXPECT_EQ(count_steps(plan, "PackedMatMul"), fuse ? 1u : 0u);
      EXPECT_EQ(count_steps(plan, "MatMul"), fuse ? 1u : 2u);
    }
    // One constant per weight for both specializations: packed w1 (fused) or
    // the folded transposes.
    ASSERT_EQ(program.constants.size(), 2u);
    if (fuse) {
      bool packed_w1 = false;
      for (const auto &c : program.constants) packed_w1 = packed_w1 || c.name == "w1.packed_t";
      EXPECT_TRUE(packed_w1);
    }
    runtime::Session s(load(std::move(program)), 2);
    auto out = s.run({f32_input("x", x, {3, 8}), f32_input("z", z, {8})});
    ASSERT_EQ(out.size(), 2u);
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t j = 0; j < 16; ++j) {
        double want = 0;
        for (int64_t k = 0; k < 8; ++k) want += double(x[size_t(r * 8 + k)]) * (*w1)[size_t(j * 8 + k)];
        EXPECT_NEAR(out[0].tensor.as<float>()[r * 16 + j], want, 1e-5) << r << "," << j;
      }
    for (int64_t j = 0; j < 4; ++j) {
      double want = 0;
      for (int64_t k = 0; k < 8; ++k) want += double(z[size_t(k)]) * (*w2)[size_t(j * 8 + k)];
      EXPECT_NEAR(out[1].tensor.as<float>()[j], want, 1e-5) << j;
    }
  }
}
