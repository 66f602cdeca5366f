// Test support for program packages and the compile cache: a small,
// hand-built compiler::Program that uses every part of the structure (two
// plans, constants with padding and an empty one, a retained-state pair,
// aliases, attributes of every variant type, non-finite floats), and a
// field-by-field comparison that treats doubles bit-exactly.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "compiler/program.hpp"

namespace qeff_test {

using qeff::compiler::Constant;
using qeff::compiler::Placement;
using qeff::compiler::Plan;
using qeff::compiler::PlannedValue;
using qeff::compiler::Program;
using qeff::compiler::Specialization;
using qeff::compiler::Step;
using qeff::graph::Attribute;
using qeff::graph::ConstTensor;
using qeff::graph::Dim;
using qeff::graph::TensorType;

inline TensorType fixed(qeff_dtype d, std::vector<int64_t> dims) { return {d, qeff::graph::fixed_shape(dims)}; }

inline std::vector<uint8_t> ramp_bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

// Adds a step whose node names its values (as the writer requires).
inline void add_step(Plan &plan, std::string op, std::string domain, std::vector<int32_t> in, std::vector<int32_t> out,
                     std::vector<Attribute> attrs = {}) {
  Step s;
  s.node.op_type = std::move(op);
  s.node.domain = std::move(domain);
  s.node.name = s.node.op_type + "_" + std::to_string(plan.steps.size());
  for (int32_t id : in) s.node.inputs.push_back(id < 0 ? "" : plan.values[static_cast<size_t>(id)].name);
  for (int32_t id : out) s.node.outputs.push_back(plan.values[static_cast<size_t>(id)].name);
  s.node.attributes = std::move(attrs);
  s.inputs = std::move(in);
  s.outputs = std::move(out);
  s.opset = s.node.domain.empty() ? 17 : 1;
  plan.steps.push_back(std::move(s));
}

inline double nan_with_payload() {
  uint64_t bits = 0x7ff8000000000123ULL;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// `big_constant_bytes` > 0 adds a constant of that many bytes (for tests that
// need a large weights.bin).
inline Program sample_program(size_t big_constant_bytes = 0) {
  Program p;
  p.target = "cpu";
  p.options.target = "cpu";
  p.options.weight_dtype = QEFF_DTYPE_BF16;
  p.options.fuse = false;
  p.options.specializations = {{"Prefill", {{"batch_size", 1}, {"seq_len", 4}, {"ctx_len", 8}}},
                               {"Decode", {{"batch_size", 1}, {"seq_len", 1}, {"ctx_len", 8}}}};
  p.inputs = {{"input_ids", {QEFF_DTYPE_I64, {Dim::sym("batch_size"), Dim::sym("seq_len")}}}};
  p.outputs = {{"logits", {QEFF_DTYPE_F32, {Dim::sym("batch_size"), Dim::sym("seq_len"), Dim::fixed(16)}}}};
  p.retained = {{"past_key", "past_key_RetainedState"}};
  p.metadata = {{"qeff.source_model", "unit-test \xe2\x9c\x93"}, {"empty", ""}};
  p.source_hash = "fnv1a64:0123456789abcdef";

  auto constant = [&](std::string name, TensorType t, size_t bytes, uint8_t seed) {
    p.constants.push_back({std::move(name), std::move(t), qeff::graph::WeightData::owned(ramp_bytes(bytes, seed))});
  };
  constant("embed", fixed(QEFF_DTYPE_F32, {16, 8}), 512, 1);
  constant("scale.bf16", fixed(QEFF_DTYPE_BF16, {3}), 6, 2);  // 6 bytes: the next one needs padding
  constant("empty", fixed(QEFF_DTYPE_F32, {0, 4}), 0, 3);
  constant("flag", fixed(QEFF_DTYPE_BOOL, {1}), 1, 4);
  if (big_constant_bytes > 0)
    constant("big", fixed(QEFF_DTYPE_U8, {static_cast<int64_t>(big_constant_bytes)}), big_constant_bytes, 5);

  ConstTensor tensor{fixed(QEFF_DTYPE_F32, {2}), {0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}};
  for (const auto &spec : p.options.specializations) {
    Plan plan;
    plan.spec = spec;
    int64_t s = spec.symbols.at("seq_len");
    auto value = [&](std::string name, TensorType t, Placement where, int32_t index, uint64_t offset) {
      plan.values.push_back({std::move(name), std::move(t), where, index, offset});
      return static_cast<int32_t>(plan.values.size() - 1);
    };
    uint64_t hidden_bytes = static_cast<uint64_t>(s) * 8 * 4;
    int32_t ids = value("input_ids", fixed(QEFF_DTYPE_I64, {1, s}), Placement::input, 0, 0);
    int32_t past = value("past_key", fixed(QEFF_DTYPE_F32, {1, 2, 8, 4}), Placement::state, 0, 0);
    int32_t embed = value("embed", fixed(QEFF_DTYPE_F32, {16, 8}), Placement::constant, 0, 0);
    int32_t hidden = value("hidden", fixed(QEFF_DTYPE_F32, {1, s, 8}), Placement::arena, -1, 0);
    int32_t flat = value("hidden_flat", fixed(QEFF_DTYPE_F32, {s, 8}), Placement::alias, hidden, 0);
    int32_t logits = value("logits", fixed(QEFF_DTYPE_F32, {1, s, 16}), Placement::arena, -1, 256);
    int32_t updated = value("past_key_RetainedState", fixed(QEFF_DTYPE_F32, {1, 2, 8, 4}), Placement::arena, -1, 1024);
    int32_t flag = value("flag", fixed(QEFF_DTYPE_BOOL, {1}), Placement::constant, 3, 0);
    (void)hidden_bytes;

    add_step(plan, "Gather", "", {embed, ids}, {hidden}, {{"axis", int64_t{0}}});
    add_step(plan, "Reshape", "", {hidden}, {flat});
    add_step(plan, "MatMulEpilogue", "qeff", {flat, embed, -1, flag}, {logits},
             {{"alpha", 0.1},
              {"neg_zero", -0.0},
              {"big", 1e300},
              {"tiny", 5e-324},
              {"inf", std::numeric_limits<double>::infinity()},
              {"nan", nan_with_payload()},
              {"activation", std::string("gelu \"tanh\"\n\xc3\xbc")},
              {"perm", std::vector<int64_t>{INT64_MAX, INT64_MIN, -1, 0, (int64_t{1} << 53) + 1}},
              {"no_ints", std::vector<int64_t>{}},
              {"scales", std::vector<double>{1.0 / 3.0, -std::numeric_limits<double>::infinity(), 0.0}},
              {"no_floats", std::vector<double>{}},
              {"names", std::vector<std::string>{"a", "", "\xe2\x9c\x93"}},
              {"value", tensor}});
    add_step(plan, "CtxScatter", "qeff", {past, ids, hidden}, {updated}, {{"empty_string", std::string()}});
    plan.steps.back().workspace_offset = 1536;
    plan.steps.back().workspace_bytes = 512;
    plan.inputs = {ids};
    plan.outputs = {logits};
    plan.state_writes = {{updated, 0}};
    plan.arena_bytes = 2048;
    p.plans.push_back(std::move(plan));
  }
  return p;
}

inline bool same_double(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

inline bool same_attribute(const qeff::graph::AttributeValue &a, const qeff::graph::AttributeValue &b) {
  if (a.index() != b.index()) return false;
  if (const auto *x = std::get_if<double>(&a)) return same_double(*x, std::get<double>(b));
  if (const auto *x = std::get_if<std::vector<double>>(&a)) {
    const auto &y = std::get<std::vector<double>>(b);
    if (x->size() != y.size()) return false;
    for (size_t i = 0; i < x->size(); ++i)
      if (!same_double((*x)[i], y[i])) return false;
    return true;
  }
  return a == b;
}

// Field-by-field equality with messages naming the first differing field.
inline void expect_same_program(const Program &a, const Program &b) {
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.options.target, b.options.target);
  EXPECT_EQ(a.options.weight_dtype, b.options.weight_dtype);
  EXPECT_EQ(a.options.fuse, b.options.fuse);
  EXPECT_EQ(a.options.specializations, b.options.specializations);
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    EXPECT_EQ(a.inputs[i].name, b.inputs[i].name);
    EXPECT_EQ(a.inputs[i].type, b.inputs[i].type) << "inputs[" << i << "]";
  }
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    EXPECT_EQ(a.outputs[i].name, b.outputs[i].name);
    EXPECT_EQ(a.outputs[i].type, b.outputs[i].type) << "outputs[" << i << "]";
  }
  ASSERT_EQ(a.retained.size(), b.retained.size());
  for (size_t i = 0; i < a.retained.size(); ++i) {
    EXPECT_EQ(a.retained[i].input, b.retained[i].input);
    EXPECT_EQ(a.retained[i].output, b.retained[i].output);
  }
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.source_hash, b.source_hash);
  ASSERT_EQ(a.constants.size(), b.constants.size());
  for (size_t i = 0; i < a.constants.size(); ++i) {
    const auto &x = a.constants[i], &y = b.constants[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type) << "constants[" << i << "]";
    ASSERT_EQ(x.data.size(), y.data.size()) << "constants[" << i << "]";
    if (x.data.size() > 0) {
      EXPECT_EQ(std::memcmp(x.data.data(), y.data.data(), x.data.size()), 0) << "constants[" << i << "]";
    }
  }
  ASSERT_EQ(a.plans.size(), b.plans.size());
  for (size_t pi = 0; pi < a.plans.size(); ++pi) {
    const Plan &x = a.plans[pi], &y = b.plans[pi];
    SCOPED_TRACE("plans[" + std::to_string(pi) + "]");
    EXPECT_EQ(x.spec, y.spec);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    EXPECT_EQ(x.state_writes, y.state_writes);
    EXPECT_EQ(x.arena_bytes, y.arena_bytes);
    ASSERT_EQ(x.values.size(), y.values.size());
    for (size_t v = 0; v < x.values.size(); ++v) {
      EXPECT_EQ(x.values[v].name, y.values[v].name);
      EXPECT_EQ(x.values[v].type, y.values[v].type) << "values[" << v << "]";
      EXPECT_EQ(x.values[v].placement, y.values[v].placement) << "values[" << v << "]";
      EXPECT_EQ(x.values[v].index, y.values[v].index) << "values[" << v << "]";
      EXPECT_EQ(x.values[v].offset, y.values[v].offset) << "values[" << v << "]";
    }
    ASSERT_EQ(x.steps.size(), y.steps.size());
    for (size_t s = 0; s < x.steps.size(); ++s) {
      const Step &m = x.steps[s], &n = y.steps[s];
      SCOPED_TRACE("steps[" + std::to_string(s) + "]");
      EXPECT_EQ(m.node.op_type, n.node.op_type);
      EXPECT_EQ(m.node.domain, n.node.domain);
      EXPECT_EQ(m.node.name, n.node.name);
      EXPECT_EQ(m.node.inputs, n.node.inputs);
      EXPECT_EQ(m.node.outputs, n.node.outputs);
      EXPECT_EQ(m.opset, n.opset);
      EXPECT_EQ(m.inputs, n.inputs);
      EXPECT_EQ(m.outputs, n.outputs);
      EXPECT_EQ(m.workspace_offset, n.workspace_offset);
      EXPECT_EQ(m.workspace_bytes, n.workspace_bytes);
      ASSERT_EQ(m.node.attributes.size(), n.node.attributes.size());
      for (size_t k = 0; k < m.node.attributes.size(); ++k) {
        EXPECT_EQ(m.node.attributes[k].name, n.node.attributes[k].name);
        EXPECT_TRUE(same_attribute(m.node.attributes[k].value, n.node.attributes[k].value))
            << "attribute " << m.node.attributes[k].name;
      }
    }
  }
}

}  // namespace qeff_test
