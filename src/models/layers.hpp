// The building blocks graph builders share (HF math written with standard ONNX
// ops and the qeff fused functions): linear layers, norms, activations,
// attention heads, embeddings. Each writes nodes into a GraphBuilder and
// returns the name of its result.
#pragma once

#include <string>
#include <vector>

#include "graph/builder.hpp"
#include "models/weights.hpp"

namespace qeff::models {

struct Layers {
  graph::GraphBuilder &b;
  Weights &w;

  // x @ W^T (+ bias): torch.nn.Linear with weight `<prefix>.weight` [out, in]
  // and, when `bias`, `<prefix>.bias` [out] (body tensors, or head tensors when `head`).
  std::string linear(const std::string &x, const std::string &prefix, int64_t in, int64_t out, bool bias = true,
                     bool head = false);
  // W^T [in, out] of the [out, in] weight tensor `name` (`<module>.weight`):
  // Transpose of the float tensor, or of qeff.Int4Dequantize when the
  // checkpoint stores the module as int4 (Weights::int4_linear).
  std::string transposed_weight(const std::string &name, int64_t in, int64_t out, bool head = false);
  // torch.nn.LayerNorm over the last axis: `<prefix>.weight`, `<prefix>.bias`.
  std::string layer_norm(const std::string &x, const std::string &prefix, int64_t dim, double eps, bool head = false);
  // HF activations by config name: gelu (exact erf), gelu_new / gelu_pytorch_tanh
  // (tanh form), relu, silu / swish, tanh. QEFF_E_UNSUPPORTED otherwise.
  std::string activation(const std::string &x, const std::string &name);
  std::string gelu_erf(const std::string &x);

  // [b, s, heads * d] -> [b, heads, s, d] and back.
  std::string split_heads(const std::string &x, int64_t heads, int64_t head_dim);
  std::string merge_heads(const std::string &x, int64_t heads, int64_t head_dim);
  // qeff.Attention: softmax(where(mask, min, Q K^T scale)) V; mask bool, true = masked.
  std::string attention(const std::string &q, const std::string &k, const std::string &v, const std::string &mask,
                        double scale, int64_t kv_groups = 1);
  // qeff.Rotary: x cos + rotate_half(x) sin for x [b, h, s, d], cos/sin [1 or b, s, d].
  std::string rotary(const std::string &x, const std::string &cos, const std::string &sin);
  // Bool [b, 1, 1, s], true where the I64 attention mask is 0 (padding keys).
  std::string padding_mask(const std::string &attention_mask);

  // The post-norm residual sublayers of BERT-style encoders, from the merged
  // attention heads `attn` of input `x`: a = LN(x + out(attn)), then
  // LN(a + down(act(up(a)))). The names are the weight prefixes.
  struct PostNormNames {
    std::string out, out_norm, up, down, ffn_norm;
  };
  std::string post_norm_sublayers(const std::string &x, const std::string &attn, const PostNormNames &names,
                                  int64_t hidden, int64_t inter, const std::string &act, double eps);

  // table[ids] for an embedding table [rows, dim].
  std::string embed(const std::string &table, const std::string &ids);
  // Positions 0 .. seq-1 of `ids` [b, s] as an I64 [s] (folded by the compiler).
  std::string positions(const std::string &ids);
  // RoBERTa-style position ids of `ids` [b, s] (HF create_position_ids_from_input_ids):
  // cumsum(ids != pad, 1) * (ids != pad) + pad, I64 [b, s].
  std::string padded_positions(const std::string &ids, int64_t padding_idx);
  // x[:, 0] of [b, s, h] -> [b, h].
  std::string first_token(const std::string &x);
  std::string i64(const std::string &hint, const std::vector<int64_t> &v);
  std::string f32(const std::string &hint, float v);
};

}  // namespace qeff::models
