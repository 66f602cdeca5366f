// Unit tests: the graph IR, its builder and its verifier (src/graph/).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "graph/builder.hpp"
#include "graph/ir.hpp"
#include "graph/verify.hpp"
#include "unit_test.hpp"

using namespace qeff::graph;

namespace {

TensorType f32(Shape s) { return {QEFF_DTYPE_F32, std::move(s)}; }

// A 4x4 F32 weight viewing bytes owned by a shared buffer (as a mapped file would be).
struct Weights {
  std::shared_ptr<std::vector<float>> buf = std::make_shared<std::vector<float>>(16, 0.5f);
  WeightData view() const {
    return WeightData::view(reinterpret_cast<const uint8_t *>(buf->data()), buf->size() * 4, buf,
                            "model.safetensors", 128);
  }
};

Graph mlp() {
  Weights w;
  GraphBuilder b("mlp");
  Shape act = {Dim::sym("batch"), Dim::fixed(4)};
  auto x = b.input("x", f32(act));
  auto weight = b.initializer("fc.weight", f32(fixed_shape({4, 4})), w.view());
  auto bias = b.constant_f32("fc.bias", {0.1f, 0.2f, 0.3f, 0.4f});
  auto y = b.op("Add", {b.op("MatMul", {x, weight}), bias}, {}, f32(act));
  auto z = b.op("Gelu", {y}, {{"approximate", std::string("tanh")}});
  b.output(z, f32(act), "output");
  b.set_metadata("source", "unit test");
  return std::move(b).finish();
}

TEST(GraphIr, ShapesAndTypes) {
  Shape s = {Dim::sym("batch"), Dim::fixed(64)};
  EXPECT_EQ(to_string(s), "[batch, 64]");
  EXPECT_FALSE(is_fixed(s));
  EXPECT_FALSE(numel(s).has_value());
  EXPECT_EQ(numel(fixed_shape({2, 3, 4})), 24u);
  EXPECT_EQ(numel(fixed_shape({})), 1u);
  EXPECT_EQ(numel(fixed_shape({1LL << 40, 1LL << 40})), std::nullopt);
  EXPECT_EQ(to_string(f32(s)), "F32[batch, 64]");
  EXPECT_EQ(byte_size(QEFF_DTYPE_BF16, 3), 6u);
  EXPECT_EQ(byte_size(QEFF_DTYPE_F4, 4), 2u);
  EXPECT_EQ(byte_size(QEFF_DTYPE_F4, 3), std::nullopt);
  EXPECT_EQ(byte_size(QEFF_DTYPE_UNKNOWN, 3), std::nullopt);
}

TEST(GraphIr, WeightViewsAreNotCopiedAndKeepTheirOwnerAlive) {
  Weights w;
  std::weak_ptr<std::vector<float>> alive = w.buf;
  const uint8_t *bytes = reinterpret_cast<const uint8_t *>(w.buf->data());
  Graph g;
  {
    WeightData v = w.view();
    w.buf.reset();  // the view now holds the only reference
    g.initializers.push_back({"w", f32(fixed_shape({4, 4})), v});
  }
  EXPECT_FALSE(alive.expired());
  Graph copy = g;  // copies share the bytes
  EXPECT_EQ(copy.initializers[0].data.data(), bytes);
  EXPECT_TRUE(copy.initializers[0].data.is_view());
  EXPECT_EQ(copy.initializers[0].data.file(), "model.safetensors");
  EXPECT_EQ(copy.initializers[0].data.file_offset(), 128u);
  g.initializers.clear();
  copy.initializers.clear();
  EXPECT_TRUE(alive.expired());

  WeightData owned = WeightData::owned({1, 2, 3});
  EXPECT_FALSE(owned.is_view());
  EXPECT_EQ(owned.size(), 3u);
  EXPECT_EQ(owned.data()[2], 3);
}

TEST(GraphBuilder, BuildsAVerifiedGraph) {
  Graph g = mlp();
  ASSERT_EQ(g.nodes.size(), 4u);  // MatMul, Add, Gelu, Identity (naming the output)
  EXPECT_EQ(g.nodes[0].op_type, "MatMul");
  EXPECT_EQ(g.nodes[3].op_type, "Identity");
  EXPECT_EQ(g.outputs[0].name, "output");
  EXPECT_EQ(g.initializers.size(), 2u);
  ASSERT_NE(g.initializer("fc.bias"), nullptr);
  float b2;
  std::memcpy(&b2, g.initializer("fc.bias")->data.data() + 8, 4);
  EXPECT_FLOAT_EQ(b2, 0.3f);
  const Attribute *a = g.nodes[2].attribute("approximate");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(std::get<std::string>(a->value), "tanh");
  ASSERT_NE(g.type_of(g.nodes[1].outputs[0]), nullptr);  // recorded in value_info
  EXPECT_EQ(g.type_of("x")->shape[0].symbol, "batch");
  EXPECT_EQ(g.type_of("nope"), nullptr);
  EXPECT_EQ(g.metadata.at("source"), "unit test");
  EXPECT_EQ(g.opsets.at(""), 17);
}

TEST(GraphBuilder, NamesAreUniqueWithinScopes) {
  GraphBuilder b("names");
  auto x = b.input("x", f32(fixed_shape({2})));
  b.set_scope("layers.0");
  auto a = b.op("Relu", {x});
  auto c = b.op("Relu", {a});
  EXPECT_NE(a, c);
  EXPECT_EQ(a.rfind("layers.0/", 0), 0u);
  auto outs = b.op_n("Split", {c}, 2, {{"axis", int64_t{0}}});
  EXPECT_EQ(outs.size(), 2u);
  EXPECT_NE(outs[0], outs[1]);
  EXPECT_QEFF_ERROR(b.input("x", f32(fixed_shape({2}))), QEFF_E_INVALID_ARGUMENT, "\"x\"", "already");
  b.output(outs[0], f32(fixed_shape({1})));
  Graph g = std::move(b).finish();
  EXPECT_EQ(g.outputs[0].name, outs[0]);
}

TEST(GraphVerify, CatchesBrokenInvariants) {
  Graph base = mlp();
  {
    Graph g = base;
    g.nodes[1].inputs[0] = "undefined_value";
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "\"mlp\"", "undefined_value", "not defined before");
  }
  {
    Graph g = base;
    std::swap(g.nodes[0], g.nodes[1]);  // Add before the MatMul it reads
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "Add", "not defined before");
  }
  {
    Graph g = base;
    g.nodes[1].outputs[0] = g.nodes[0].outputs[0];  // SSA: defined twice
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "defined twice");
  }
  {
    Graph g = base;
    g.inputs.push_back({"fc.weight", f32(fixed_shape({4, 4}))});
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "fc.weight", "defined twice");
  }
  {
    Graph g = base;
    g.outputs[0].name = "missing";
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "output \"missing\"", "never defined");
  }
  {
    Graph g = base;
    g.outputs.push_back(g.outputs[0]);
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "listed twice");
  }
  {
    Graph g = base;
    g.inputs[0].type.dtype = QEFF_DTYPE_UNKNOWN;
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "input \"x\"", "no element type");
  }
  {
    Graph g = base;
    g.inputs[0].type.shape[1] = Dim::fixed(-3);
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "input \"x\"", "negative");
  }
  {
    Graph g = base;
    g.initializers[0].type.shape = fixed_shape({4, 5});
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "fc.weight", "64 bytes", "expected 80");
  }
  {
    Graph g = base;
    g.initializers[0].type.shape = {Dim::sym("n"), Dim::fixed(4)};
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "fc.weight", "symbolic");
  }
  {
    Graph g = base;
    g.nodes[2].attributes.push_back({"approximate", std::string("none")});
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "Gelu", "duplicate", "approximate");
  }
  {
    Graph g = base;
    g.nodes[0].op_type.clear();
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "no op type");
  }
  {
    Graph g = base;
    g.nodes[0].outputs.clear();
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "MatMul", "no outputs");
  }
  {
    Graph g = base;
    g.value_info.push_back({"ghost", f32(fixed_shape({1}))});
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "value_info", "ghost");
  }
  {
    Graph g = base;
    g.opsets.clear();
    EXPECT_QEFF_ERROR(verify(g), QEFF_E_FORMAT, "opset");
  }
  {
    Graph g = base;
    g.nodes[0].inputs.push_back("");  // an omitted optional input is fine
    EXPECT_NO_THROW(verify(g));
  }
}

}  // namespace
