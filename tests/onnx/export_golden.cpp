// Writes the golden graphs as ONNX model directories under argv[1], for
// check_ort.py to run with ONNX Runtime against an independent NumPy reference.
// Weights are deterministic: element i of a tensor with `salt` s is
// sin(0.37 * i + s) * 0.5 (the script recomputes them the same way).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <onnx/checker.h>

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

// Exact GELU written with Erf: 0.5 * x * (1 + erf(x / sqrt(2))).
std::string gelu_erf(GraphBuilder &b, const std::string &x) {
  auto erf = b.op("Erf", {b.op("Div", {x, b.constant_f32("sqrt2", {1.41421356f}, Shape{})})});
  auto one = b.op("Add", {erf, b.constant_f32("one", {1.0f}, Shape{})});
  return b.op("Mul", {b.op("Mul", {x, one}), b.constant_f32("half", {0.5f}, Shape{})});
}

// Gemm with a transposed [out, in] weight (as HF Linear stores it) + exact GELU.
Graph gemm_gelu() {
  GraphBuilder b("gemm_gelu");
  auto x = b.input("x", f32(fixed_shape({4, 32})));
  auto h = b.op("Gemm", {x, weight(b, "fc.weight", {48, 32}, 0.4), weight(b, "fc.bias", {48}, 0.5)},
                {{"transB", int64_t{1}}});
  b.output(gelu_erf(b, h), f32(fixed_shape({4, 48})), "y");
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

TensorType f32s(std::vector<Dim> d) { return f32(Shape(std::move(d))); }
Dim sym(const char *s) { return Dim::sym(s); }
Dim fix(int64_t v) { return Dim::fixed(v); }

// qeff.RMSNorm over [batch, seq, 64], eps 1e-6 (HF LlamaRMSNorm).
Graph rms_norm() {
  GraphBuilder b("rms_norm");
  b.set_opset("qeff", 1);
  auto s = f32s({sym("batch"), sym("seq"), fix(64)});
  auto x = b.input("x", s);
  auto y = b.op("RMSNorm", {x, weight(b, "norm.weight", {64}, 0.8)}, {{"epsilon", 1e-6}}, {}, "qeff");
  b.output(y, s, "y");
  return std::move(b).finish();
}

// qeff.Rotary of x[batch, heads, seq, 16] with cos/sin[batch, seq, 16] (HF apply_rotary_pos_emb).
Graph rotary() {
  GraphBuilder b("rotary");
  b.set_opset("qeff", 1);
  auto s = f32s({sym("batch"), fix(4), sym("seq"), fix(16)});
  auto cs = f32s({sym("batch"), sym("seq"), fix(16)});
  auto y = b.op("Rotary", {b.input("x", s), b.input("cos", cs), b.input("sin", cs)}, {}, {}, "qeff");
  b.output(y, s, "y");
  return std::move(b).finish();
}

// qeff.Attention with GQA (4 query heads, 2 kv heads) and a boolean mask
// (true = masked) covering causal and padding positions.
Graph attention() {
  GraphBuilder b("attention");
  b.set_opset("qeff", 1);
  auto q = b.input("q", f32s({sym("batch"), fix(4), sym("seq"), fix(16)}));
  auto k = b.input("k", f32s({sym("batch"), fix(2), sym("ctx"), fix(16)}));
  auto v = b.input("v", f32s({sym("batch"), fix(2), sym("ctx"), fix(16)}));
  auto mask = b.input("mask", {QEFF_DTYPE_BOOL, {sym("batch"), fix(1), sym("seq"), sym("ctx")}});
  auto y = b.op("Attention", {q, k, v, mask},
                {{"scale", 0.25}, {"num_kv_groups", int64_t{2}}, {"masked_value", -3.4028234663852886e38}},
                {}, "qeff");
  b.output(y, f32s({sym("batch"), fix(4), sym("seq"), fix(16)}), "y");
  return std::move(b).finish();
}

// A KV cache across two calls, as one graph: scatter the prompt's keys at
// positions p1, then the next token's at p2, then gather positions `ctx`.
Graph kv_cache() {
  GraphBuilder b("kv_cache");
  b.set_opset("qeff", 1);
  auto cache_t = f32s({sym("batch"), fix(2), fix(8), fix(4)});
  auto cache = b.input("cache", cache_t);
  auto p1 = b.input("p1", {QEFF_DTYPE_I64, {sym("batch"), sym("seq")}});
  auto u1 = b.input("u1", f32s({sym("batch"), fix(2), sym("seq"), fix(4)}));
  auto p2 = b.input("p2", {QEFF_DTYPE_I64, {sym("batch"), fix(1)}});
  auto u2 = b.input("u2", f32s({sym("batch"), fix(2), fix(1), fix(4)}));
  auto ctx = b.input("ctx", {QEFF_DTYPE_I64, {sym("batch"), sym("n")}});
  auto c1 = b.op("CtxScatter", {cache, p1, u1}, {}, {}, "qeff");
  auto c2 = b.op("CtxScatter", {c1, p2, u2}, {}, {}, "qeff");
  b.output(c2, cache_t, "cache_out");
  b.output(b.op("CtxGather", {c2, ctx}, {}, {}, "qeff"), f32s({sym("batch"), fix(2), sym("n"), fix(4)}),
           "gathered");
  return std::move(b).finish();
}

// y = x W^T (+ b): a HF Linear with its [out, in] weight.
std::string linear(GraphBuilder &b, const std::string &x, const std::string &name, int64_t in, int64_t out,
                   double salt, bool bias) {
  auto y = b.op("MatMul", {x, b.op("Transpose", {weight(b, name + ".weight", {out, in}, salt)},
                                   {{"perm", std::vector<int64_t>{1, 0}}})});
  return bias ? b.op("Add", {y, weight(b, name + ".bias", {out}, salt + 0.05)}) : y;
}

// [b, s, heads * d] -> [b, heads, s, d]
std::string split_heads(GraphBuilder &b, const std::string &x, int64_t heads, int64_t d) {
  auto shape = b.constant_i64("heads_shape", {0, 0, heads, d});
  return b.op("Transpose", {b.op("Reshape", {x, shape})}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
}

// [b, heads, s, d] -> [b, s, heads * d]
std::string merge_heads(GraphBuilder &b, const std::string &x, int64_t hidden) {
  auto t = b.op("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  return b.op("Reshape", {t, b.constant_i64("merged_shape", {0, 0, hidden})});
}

// One HF LlamaDecoderLayer (hidden 64, 4 heads, 2 kv heads, intermediate 128):
// RMSNorm, q/k/v projections, rotary, GQA attention, o_proj, residual,
// RMSNorm, SiLU-gated MLP, residual. Salts match make_reference.py.
Graph llama_layer() {
  const int64_t H = 64, hq = 4, hkv = 2, d = 16, I = 128;
  GraphBuilder b("llama_layer");
  b.set_opset("qeff", 1);
  auto hs = f32s({sym("batch"), sym("seq"), fix(H)});
  auto x = b.input("x", hs);
  auto cs = f32s({sym("batch"), sym("seq"), fix(d)});
  auto cos = b.input("cos", cs), sin = b.input("sin", cs);
  auto mask = b.input("mask", {QEFF_DTYPE_BOOL, {sym("batch"), fix(1), sym("seq"), sym("seq")}});
  auto h = b.op("RMSNorm", {x, weight(b, "input_layernorm.weight", {H}, 1.0)}, {{"epsilon", 1e-5}}, {}, "qeff");
  auto q = split_heads(b, linear(b, h, "q_proj", H, hq * d, 1.1, false), hq, d);
  auto k = split_heads(b, linear(b, h, "k_proj", H, hkv * d, 1.2, false), hkv, d);
  auto v = split_heads(b, linear(b, h, "v_proj", H, hkv * d, 1.3, false), hkv, d);
  q = b.op("Rotary", {q, cos, sin}, {}, {}, "qeff");
  k = b.op("Rotary", {k, cos, sin}, {}, {}, "qeff");
  auto attn = b.op("Attention", {q, k, v, mask},
                   {{"scale", 0.25}, {"num_kv_groups", hq / hkv}, {"masked_value", -3.4028234663852886e38}},
                   {}, "qeff");
  auto x1 = b.op("Add", {x, linear(b, merge_heads(b, attn, H), "o_proj", hq * d, H, 1.4, false)});
  auto h2 = b.op("RMSNorm", {x1, weight(b, "post_attention_layernorm.weight", {H}, 1.5)}, {{"epsilon", 1e-5}},
                 {}, "qeff");
  auto gate = linear(b, h2, "gate_proj", H, I, 1.6, false);
  auto silu = b.op("Mul", {gate, b.op("Sigmoid", {gate})});
  auto mlp = linear(b, b.op("Mul", {silu, linear(b, h2, "up_proj", H, I, 1.7, false)}), "down_proj", I, H, 1.8, false);
  b.output(b.op("Add", {x1, mlp}), hs, "y");
  return std::move(b).finish();
}

// One HF BertLayer (hidden 32, 4 heads, intermediate 64, exact GELU,
// LayerNorm eps 1e-12) with a padding mask.
Graph bert_layer() {
  const int64_t H = 32, heads = 4, d = 8, I = 64;
  GraphBuilder b("bert_layer");
  b.set_opset("qeff", 1);
  auto hs = f32s({sym("batch"), sym("seq"), fix(H)});
  auto x = b.input("x", hs);
  auto mask = b.input("mask", {QEFF_DTYPE_BOOL, {sym("batch"), fix(1), fix(1), sym("seq")}});
  auto q = split_heads(b, linear(b, x, "query", H, H, 2.1, true), heads, d);
  auto k = split_heads(b, linear(b, x, "key", H, H, 2.2, true), heads, d);
  auto v = split_heads(b, linear(b, x, "value", H, H, 2.3, true), heads, d);
  auto attn = b.op("Attention", {q, k, v, mask},
                   {{"scale", 1.0 / std::sqrt(8.0)}, {"num_kv_groups", int64_t{1}},
                    {"masked_value", -3.4028234663852886e38}},
                   {}, "qeff");
  auto layer_norm = [&](const std::string &in, const std::string &name, double salt) {
    return b.op("LayerNormalization", {in, weight(b, name + ".weight", {H}, salt), weight(b, name + ".bias", {H}, salt + 0.05)},
                {{"axis", int64_t{-1}}, {"epsilon", 1e-12}});
  };
  auto a = layer_norm(b.op("Add", {linear(b, merge_heads(b, attn, H), "attention.output.dense", H, H, 2.4, true), x}),
                      "attention.output.LayerNorm", 2.5);
  auto gelu = gelu_erf(b, linear(b, a, "intermediate.dense", H, I, 2.6, true));
  auto out = layer_norm(b.op("Add", {linear(b, gelu, "output.dense", I, H, 2.7, true), a}), "output.LayerNorm", 2.8);
  b.output(out, hs, "y");
  return std::move(b).finish();
}

// qeff pooling functions over a padded batch: x[batch, seq, 16], mask[batch, seq].
Graph pooling() {
  GraphBuilder b("pooling");
  b.set_opset("qeff", 1);
  auto x = b.input("x", f32s({sym("batch"), sym("seq"), fix(16)}));
  auto mask = b.input("mask", {QEFF_DTYPE_I64, {sym("batch"), sym("seq")}});
  auto pooled = f32s({sym("batch"), fix(16)});
  for (auto [op, name] : {std::pair{"MeanPool", "mean"}, std::pair{"MaxPool", "max"},
                          std::pair{"ClsPool", "cls"}, std::pair{"LastTokenPool", "last_token"}})
    b.output(b.op(op, {x, mask}, {}, {}, "qeff"), pooled, name);
  return std::move(b).finish();
}

// One decode step of a KV cache, run twice by check_ort.py (the cache output
// of the first call is the input of the second): scatter `update` at
// `position`, then gather positions `ctx`.
Graph kv_step() {
  GraphBuilder b("kv_step");
  b.set_opset("qeff", 1);
  auto cache_t = f32s({sym("batch"), fix(2), fix(8), fix(4)});
  auto cache = b.input("cache", cache_t);
  auto pos = b.input("position", {QEFF_DTYPE_I64, {sym("batch"), sym("seq")}});
  auto upd = b.input("update", f32s({sym("batch"), fix(2), sym("seq"), fix(4)}));
  auto ctx = b.input("ctx", {QEFF_DTYPE_I64, {sym("batch"), sym("n")}});
  auto out = b.op("CtxScatter", {cache, pos, upd}, {}, {}, "qeff");
  b.output(out, cache_t, "cache_RetainedState");
  b.output(b.op("CtxGather", {out, ctx}, {}, {}, "qeff"), f32s({sym("batch"), fix(2), sym("n"), fix(4)}),
           "gathered");
  return std::move(b).finish();
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  std::string out = argv[1];
  std::filesystem::create_directories(out);
  qeff::onnx_io::ExportOptions options;
  options.metadata = {{"qeff.source_model", "golden"}};
  options.overwrite = true;  // re-run by the build when export_golden changes
  try {
    for (const Graph &g : {mlp_relu(), gemm_gelu(), layer_norm(), rms_norm(), rotary(), attention(), kv_cache(),
                            llama_layer(), bert_layer(), pooling(), kv_step()}) {
      auto files = qeff::onnx_io::export_model(g, out + "/" + g.name, options);
      onnx::checker::check_model(files.model_path);  // the C++ checker (Python's runs in check_ort.py)
    }
  } catch (const qeff::Error &e) {
    std::fprintf(stderr, "export failed: %s\n", e.what());
    return 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "onnx checker: %s\n", e.what());
    return 1;
  }
  return 0;
}
