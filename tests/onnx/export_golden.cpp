// Writes the golden graphs as ONNX model directories under argv[1], for
// check_ort.py to run with ONNX Runtime against an independent NumPy reference.
// Weights are deterministic: element i of a tensor with `salt` s is
// sin(0.37 * i + s) * 0.5 (the script recomputes them the same way).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "graph/builder.hpp"
#include "onnx/export.hpp"

using namespace qeff::graph;

namespace {

TensorType f32(Shape s) { return {QEFF_DTYPE_F32, std::move(s)}; }

std::string weight(GraphBuilder &b, const std::string &name, std::vector<int64_t> shape, double salt) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  auto v = std::make_shared<std::vector<float>>(n);
  for (size_t i = 0; i < n; ++i) (*v)[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i) + salt) * 0.5);
  return b.initializer(name, f32(fixed_shape(shape)),
                       WeightData::view(reinterpret_cast<const uint8_t *>(v->data()), n * 4, v));
}

// x[batch, 32] -> Relu(x W1 + b1) W2 -> [batch, 16]
Graph mlp_relu() {
  GraphBuilder b("mlp_relu");
  Shape in = {Dim::sym("batch"), Dim::fixed(32)};
  auto x = b.input("x", f32(in));
  auto h = b.op("Relu", {b.op("Add", {b.op("MatMul", {x, weight(b, "fc1.weight", {32, 64}, 0.1)}),
                                       weight(b, "fc1.bias", {64}, 0.2)})});
  b.output(b.op("MatMul", {h, weight(b, "fc2.weight", {64, 16}, 0.3)}),
           f32({Dim::sym("batch"), Dim::fixed(16)}), "y");
  return std::move(b).finish();
}

// Gemm with a transposed [out, in] weight (as HF Linear stores it) + exact GELU
// written with Erf: 0.5 * x * (1 + erf(x / sqrt(2))).
Graph gemm_gelu() {
  GraphBuilder b("gemm_gelu");
  auto x = b.input("x", f32(fixed_shape({4, 32})));
  auto h = b.op("Gemm", {x, weight(b, "fc.weight", {48, 32}, 0.4), weight(b, "fc.bias", {48}, 0.5)},
                {{"transB", int64_t{1}}});
  auto erf = b.op("Erf", {b.op("Div", {h, b.constant_f32("sqrt2", {1.41421356f}, Shape{})})});
  auto one = b.op("Add", {erf, b.constant_f32("one", {1.0f}, Shape{})});
  auto y = b.op("Mul", {b.op("Mul", {h, one}), b.constant_f32("half", {0.5f}, Shape{})});
  b.output(y, f32(fixed_shape({4, 48})), "y");
  return std::move(b).finish();
}

// LayerNormalization (opset 17) over the last axis of [batch, seq, 32].
Graph layer_norm() {
  GraphBuilder b("layer_norm");
  Shape s = {Dim::sym("batch"), Dim::sym("seq"), Dim::fixed(32)};
  auto x = b.input("x", f32(s));
  auto y = b.op("LayerNormalization",
                {x, weight(b, "ln.weight", {32}, 0.6), weight(b, "ln.bias", {32}, 0.7)},
                {{"axis", int64_t{-1}}, {"epsilon", 1e-5}});
  b.output(y, f32(s), "y");
  return std::move(b).finish();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  std::string out = argv[1];
  try {
    for (const Graph &g : {mlp_relu(), gemm_gelu(), layer_norm()})
      qeff::onnx_io::export_model(g, out + "/" + g.name, {{{"qeff.source_model", "golden"}}});
  } catch (const qeff::Error &e) {
    std::fprintf(stderr, "export failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
