#include "models/layers.hpp"

#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace qeff::models {

std::string Layers::i64(const std::string &hint, const std::vector<int64_t> &v) { return b.constant_i64(hint, v); }

std::string Layers::f32(const std::string &hint, float v) { return b.constant_f32(hint, {v}, graph::Shape{}); }

std::string Layers::linear(const std::string &x, const std::string &prefix, int64_t in, int64_t out, bool bias,
                           bool head) {
  std::string y = b.op("MatMul", {x, transposed_weight(prefix + ".weight", in, out, head)});
  if (bias) y = b.op("Add", {y, head ? w.head(prefix + ".bias", {out}) : w.body(prefix + ".bias", {out})});
  return y;
}

std::string Layers::transposed_weight(const std::string &name, int64_t in, int64_t out, bool head) {
  constexpr std::string_view suffix = ".weight";
  std::string weight;
  std::optional<Weights::Int4Inputs> q;
  if (name.size() > suffix.size() && name.ends_with(suffix))
    q = w.int4_linear(name.substr(0, name.size() - suffix.size()), out, in, head);
  if (q)  // a pre-quantized checkpoint's int4 Linear
    weight = b.op("Int4Dequantize", {q->values, q->scales, q->zeros}, {{"k", in}, {"block_size", q->group}},
                  std::nullopt, "qeff");
  else
    weight = head ? w.head(name, {out, in}) : w.body(name, {out, in});
  return b.op("Transpose", {weight}, {{"perm", std::vector<int64_t>{1, 0}}});
}

std::string Layers::layer_norm(const std::string &x, const std::string &prefix, int64_t dim, double eps, bool head) {
  auto get = [&](const std::string &n) { return head ? w.head(n, {dim}) : w.body(n, {dim}); };
  return b.op("LayerNormalization", {x, get(prefix + ".weight"), get(prefix + ".bias")},
              {{"axis", int64_t{-1}}, {"epsilon", eps}});
}

std::string Layers::gelu_erf(const std::string &x) {
  // x * (1 + erf(x / sqrt(2))) * 0.5: the form the compiler fuses into Gelu.
  std::string e = b.op("Erf", {b.op("Div", {x, f32("sqrt2", static_cast<float>(std::sqrt(2.0)))})});
  std::string one_plus = b.op("Add", {e, f32("one", 1.0f)});
  return b.op("Mul", {b.op("Mul", {x, one_plus}), f32("half", 0.5f)});
}

std::string Layers::activation(const std::string &x, const std::string &name) {
  if (name == "gelu") return gelu_erf(x);
  if (name == "relu") return b.op("Relu", {x});
  if (name == "tanh") return b.op("Tanh", {x});
  if (name == "silu" || name == "swish") return b.op("Mul", {x, b.op("Sigmoid", {x})});
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    std::string x3 = b.op("Mul", {b.op("Mul", {x, x}), x});
    std::string inner = b.op("Add", {x, b.op("Mul", {x3, f32("c044715", 0.044715f)})});
    std::string t = b.op("Tanh", {b.op("Mul", {inner, f32("sqrt_2_over_pi", static_cast<float>(std::sqrt(2.0 / M_PI)))})});
    return b.op("Mul", {b.op("Mul", {x, f32("half", 0.5f)}), b.op("Add", {t, f32("one", 1.0f)})});
  }
  fail(QEFF_E_UNSUPPORTED, "activation " + quote(name, 64) +
                               " is not supported (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish, tanh)");
}

std::string Layers::split_heads(const std::string &x, int64_t heads, int64_t head_dim) {
  std::string r = b.op("Reshape", {x, i64("heads_shape", {0, 0, heads, head_dim})});
  return b.op("Transpose", {r}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
}

std::string Layers::merge_heads(const std::string &x, int64_t heads, int64_t head_dim) {
  std::string t = b.op("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  return b.op("Reshape", {t, i64("merged_shape", {0, 0, heads * head_dim})});
}

std::string Layers::attention(const std::string &q, const std::string &k, const std::string &v,
                              const std::string &mask, double scale, int64_t kv_groups) {
  return b.op("Attention", {q, k, v, mask},
              {{"scale", scale},
               {"num_kv_groups", kv_groups},
               {"masked_value", static_cast<double>(std::numeric_limits<float>::lowest())}},
              std::nullopt, "qeff");
}

std::string Layers::rotary(const std::string &x, const std::string &cos, const std::string &sin) {
  return b.op("Rotary", {x, cos, sin}, {}, std::nullopt, "qeff");
}

std::string Layers::padding_mask(const std::string &attention_mask) {
  std::string pad = b.op("Equal", {attention_mask, i64("zero", {0})});
  return b.op("Unsqueeze", {pad, i64("axes_1_2", {1, 2})});
}

std::string Layers::embed(const std::string &table, const std::string &ids) {
  return b.op("Gather", {table, ids}, {{"axis", int64_t{0}}});
}

std::string Layers::positions(const std::string &ids) {
  std::string shape = b.op("Shape", {ids});
  std::string seq = b.op("Gather", {shape, b.constant_i64("one", {1}, graph::Shape{})}, {{"axis", int64_t{0}}});
  return b.op("Range", {b.constant_i64("zero", {0}, graph::Shape{}), seq, b.constant_i64("one", {1}, graph::Shape{})});
}

std::string Layers::padded_positions(const std::string &ids, int64_t padding_idx) {
  std::string pad = i64("padding_idx", {padding_idx});
  std::string real = b.op("Cast", {b.op("Not", {b.op("Equal", {ids, pad})})}, {{"to", int64_t{7}}});  // INT64
  std::string count = b.op("CumSum", {real, b.constant_i64("axis1", {1}, graph::Shape{})});
  return b.op("Add", {b.op("Mul", {count, real}), pad});
}

std::string Layers::post_norm_sublayers(const std::string &x, const std::string &attn, const PostNormNames &n,
                                        int64_t hidden, int64_t inter, const std::string &act, double eps) {
  std::string a = layer_norm(b.op("Add", {linear(attn, n.out, hidden, hidden), x}), n.out_norm, hidden, eps);
  std::string f = linear(activation(linear(a, n.up, hidden, inter), act), n.down, inter, hidden);
  return layer_norm(b.op("Add", {f, a}), n.ffn_norm, hidden, eps);
}

std::string Layers::first_token(const std::string &x) {
  std::string s = b.op("Gather", {x, b.constant_i64("zero", {0}, graph::Shape{})}, {{"axis", int64_t{1}}});
  return s;
}

}  // namespace qeff::models
