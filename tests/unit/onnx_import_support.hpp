// Shared helpers of the ONNX import tests (test_onnx_import*.cpp): graphs to
// export, protobuf editing helpers and a graph comparison.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <onnx/onnx_pb.h>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "graph/builder.hpp"
#include "model_writer.hpp"
#include "onnx/export.hpp"
#include "onnx/external_data.hpp"
#include "onnx/import.hpp"
#include "unit_test.hpp"

namespace onnx_import_test {

using namespace qeff::graph;
using qeff_test::TempDir;
namespace fs = std::filesystem;
namespace oi = qeff::onnx_io;


inline TensorType f32(Shape s) { return {QEFF_DTYPE_F32, std::move(s)}; }

inline std::shared_ptr<std::vector<float>> ramp(size_t n) {
  auto v = std::make_shared<std::vector<float>>(n);
  for (size_t i = 0; i < n; ++i) (*v)[i] = static_cast<float>(i) * 0.001f - 1.0f;
  return v;
}

inline WeightData view_of(const std::shared_ptr<std::vector<float>> &w, size_t floats) {
  return WeightData::view(reinterpret_cast<const uint8_t *>(w->data()), floats * 4, w);
}

inline WeightData owned(size_t nbytes, uint8_t seed) {
  std::vector<uint8_t> b(nbytes);
  for (size_t i = 0; i < nbytes; ++i) b[i] = static_cast<uint8_t>(seed + i * 7);
  return WeightData::owned(std::move(b));
}

// Every attribute type, every exportable element type, a qeff function, value_info,
// symbolic dims, metadata; two weights go external.
inline Graph rich_graph(const std::shared_ptr<std::vector<float>> &w) {
  GraphBuilder b("rich");
  Shape act = {Dim::sym("batch"), Dim::sym("seq"), Dim::fixed(16)};
  auto x = b.input("x", f32(act));
  auto mask = b.input("mask", {QEFF_DTYPE_BOOL, {Dim::sym("batch"), Dim::sym("seq")}});
  auto fc = b.initializer("fc.weight", f32(fixed_shape({16, 32})), view_of(w, 16 * 32));
  auto fc2 = b.initializer("fc2.weight", f32(fixed_shape({32, 16})), view_of(w, 32 * 16));
  auto nw = b.constant_f32("norm.weight", std::vector<float>(16, 1.0f));
  const std::pair<qeff_dtype, std::vector<int64_t>> extra[] = {
      {QEFF_DTYPE_U8, {3}},  {QEFF_DTYPE_I8, {5}},  {QEFF_DTYPE_U16, {2}}, {QEFF_DTYPE_I16, {2, 2}},
      {QEFF_DTYPE_I32, {3}}, {QEFF_DTYPE_F16, {4}}, {QEFF_DTYPE_F64, {2}}, {QEFF_DTYPE_U32, {1}},
      {QEFF_DTYPE_U64, {2}}, {QEFF_DTYPE_BF16, {3}}, {QEFF_DTYPE_C64, {2}}, {QEFF_DTYPE_BOOL, {0}},
  };
  uint8_t seed = 1;
  for (const auto &[dt, dims] : extra) {
    TensorType t{dt, fixed_shape(dims)};
    b.initializer(std::string("extra.") + qeff_dtype_name(dt), t, owned(*byte_size(dt, *numel(t.shape)), seed++));
  }
  auto h = b.op("MatMul", {x, fc}, {}, f32({Dim::sym("batch"), Dim::sym("seq"), Dim::fixed(32)}));
  h = b.op("Gelu", {h}, {{"approximate", std::string("tanh")}});
  h = b.op("MatMul", {h, fc2});
  h = b.op("RMSNorm", {h, nw}, {{"epsilon", 0.03125}}, f32(act), "qeff");
  ConstTensor fill{f32(fixed_shape({1})), {0, 0, 0xc0, 0x3f}};  // 1.5f
  auto shape = b.op("Shape", {h});
  auto c = b.op("ConstantOfShape", {shape}, {{"value", fill}});
  auto m = b.op("Where", {b.op("Unsqueeze", {mask, b.constant_i64("axes", {-1})}), h, c});
  auto t = b.op("Transpose", {m}, {{"perm", std::vector<int64_t>{1, 0, 2}},
                                   {"qeff_scales", std::vector<double>{0.5, -2.0}},
                                   {"qeff_tags", std::vector<std::string>{"a", "b\x01"}},
                                   {"qeff_count", int64_t{-7}}});
  b.output(t, f32({Dim::sym("seq"), Dim::sym("batch"), Dim::fixed(16)}), "output");
  b.set_metadata("qeff.source_model", "unit-test");
  b.set_opset("", 20);
  return std::move(b).finish();
}

// x[batch, 16] @ w[16, 32] (external, 2 KiB) -> ReduceSum(axes) -> Relu -> out.
// Nodes: 0 MatMul, 1 ReduceSum, 2 Relu, 3 Identity; initializers: "w", "axes".
inline Graph small_graph(const std::shared_ptr<std::vector<float>> &w) {
  GraphBuilder b("small");
  auto x = b.input("x", f32({Dim::sym("batch"), Dim::fixed(16)}));
  auto wt = b.initializer("w", f32(fixed_shape({16, 32})), view_of(w, 16 * 32));
  auto y = b.op("MatMul", {x, wt}, {}, f32({Dim::sym("batch"), Dim::fixed(32)}));
  auto s = b.op("ReduceSum", {y, b.constant_i64("axes", {1})}, {{"keepdims", int64_t{1}}});
  b.output(b.op("Relu", {s}), f32({Dim::sym("batch"), Dim::fixed(1)}), "out");
  return std::move(b).finish();
}

inline oi::ExportOptions with_meta() {
  oi::ExportOptions o;
  o.metadata["qeff.transforms"] = "none";
  return o;
}

inline onnx::ModelProto read_proto(const fs::path &p) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(qeff_test::read_file(p)));
  return m;
}

inline void write_proto(const fs::path &p, const onnx::ModelProto &m) { qeff_test::write_file(p, m.SerializeAsString()); }

inline onnx::TensorProto *init(onnx::ModelProto &m, const std::string &name) {
  for (auto &t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return &t;
  throw std::runtime_error("no initializer " + name);
}

// Sets (or adds) an external_data entry of initializer "w".
inline void set_ext(onnx::ModelProto &m, const std::string &key, const std::string &value) {
  auto *t = init(m, "w");
  for (auto &e : *t->mutable_external_data())
    if (e.key() == key) {
      e.set_value(value);
      return;
    }
  auto *e = t->add_external_data();
  e->set_key(key);
  e->set_value(value);
}

inline onnx::AttributeProto *add_attr(onnx::NodeProto *n, const char *name, onnx::AttributeProto_AttributeType type) {
  auto *a = n->add_attribute();
  a->set_name(name);
  a->set_type(type);
  return a;
}

// A temp dir holding small_graph exported (model.onnx + model.onnx.data).
struct Exported {
  TempDir dir;
  std::shared_ptr<std::vector<float>> weights = ramp(64 * 64);
  fs::path model = dir / "model.onnx";
  Exported() { oi::export_model(small_graph(weights), dir.str()); }
  onnx::ModelProto proto() const { return read_proto(model); }
  void rewrite(const std::function<void(onnx::ModelProto &)> &f) const {
    onnx::ModelProto m = proto();
    f(m);
    write_proto(model, m);
  }
};

inline void expect_same_graph(const Graph &a, const Graph &b) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    EXPECT_EQ(a.inputs[i].name, b.inputs[i].name);
    EXPECT_EQ(a.inputs[i].type, b.inputs[i].type) << a.inputs[i].name;
  }
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    EXPECT_EQ(a.outputs[i].name, b.outputs[i].name);
    EXPECT_EQ(a.outputs[i].type, b.outputs[i].type);
  }
  ASSERT_EQ(a.value_info.size(), b.value_info.size());
  for (size_t i = 0; i < a.value_info.size(); ++i) {
    EXPECT_EQ(a.value_info[i].name, b.value_info[i].name);
    EXPECT_EQ(a.value_info[i].type, b.value_info[i].type);
  }
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (size_t i = 0; i < a.initializers.size(); ++i) {
    const auto &x = a.initializers[i], &y = b.initializers[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type) << x.name;
    ASSERT_EQ(x.data.size(), y.data.size()) << x.name;
    if (x.data.size() > 0) {
      EXPECT_EQ(std::memcmp(x.data.data(), y.data.data(), x.data.size()), 0) << x.name;
    }
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const auto &x = a.nodes[i], &y = b.nodes[i];
    EXPECT_EQ(x.op_type, y.op_type);
    EXPECT_EQ(x.domain, y.domain);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.outputs, y.outputs);
    ASSERT_EQ(x.attributes.size(), y.attributes.size()) << x.name;
    for (size_t j = 0; j < x.attributes.size(); ++j) {
      EXPECT_EQ(x.attributes[j].name, y.attributes[j].name);
      EXPECT_TRUE(x.attributes[j].value == y.attributes[j].value) << x.name << "." << x.attributes[j].name;
    }
  }
}


}  // namespace onnx_import_test
