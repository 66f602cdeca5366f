// build_decoder: the graph of a causal LM from its DecoderSpec, with the KV
// cache as retained state (transforms/kv_cache.hpp): embeddings, the blocks
// (attention over the cache, MLP, norms in the family's layout), the final
// norm and the LM head on each row's last real token.
#include "models/decoder.hpp"

#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "models/layers.hpp"
#include "transforms/kv_cache.hpp"

namespace qeff::models {
namespace {

class DecoderWriter {
 public:
  DecoderWriter(const DecoderSpec &s, Layers &l, transforms::KvCache &kv) : s_(s), l_(l), b_(l.b), kv_(kv) {}

  std::string run(const std::string &input_ids) {
    b_.set_scope("embeddings");
    std::string x = embeddings(input_ids);
    if (s_.rope.enabled) rope_tables();
    for (int64_t i = 0; i < s_.layers; ++i) {
      b_.set_scope("layers." + std::to_string(i));
      x = block(x, i);
    }
    b_.set_scope("head");
    std::string h = kv_.last_token(x, s_.hidden);
    h = norm(h, s_.final_norm, s_.hidden);
    std::string logits = s_.lm_head.empty() ? linear_w(h, s_.embed, s_.hidden, s_.vocab, "", false)
                                            : linear_w(h, s_.lm_head, s_.hidden, s_.vocab, "", false);
    if (s_.logits_divisor != 1.0) logits = b_.op("Div", {logits, l_.f32("logits_scaling", static_cast<float>(s_.logits_divisor))});
    if (s_.final_softcap > 0) logits = softcap(logits, s_.final_softcap);
    b_.set_scope("");
    return logits;
  }

 private:
  std::string lp(int64_t layer, const std::string &name) const {
    return s_.layer_prefix + std::to_string(layer) + "." + name;
  }

  // x @ W^T (+ b) for a [out, in] weight, or x @ W for GPT-2's Conv1D [in, out].
  std::string linear_w(const std::string &x, const std::string &weight, int64_t in, int64_t out,
                       const std::string &bias, bool conv1d) {
    std::string y;
    if (conv1d) {
      y = b_.op("MatMul", {x, l_.w.body(weight, {in, out})});
    } else {
      y = b_.op("MatMul", {x, l_.transposed_weight(weight, in, out)});
    }
    if (!bias.empty()) y = b_.op("Add", {y, l_.w.body(bias, {out})});
    return y;
  }

  std::string linear(const std::string &x, int64_t layer, const std::string &name, int64_t in, int64_t out,
                     bool bias) {
    return linear_w(x, lp(layer, name) + ".weight", in, out, bias ? lp(layer, name) + ".bias" : "", s_.conv1d);
  }

  std::string norm(const std::string &x, const std::string &prefix, int64_t dim) {
    if (s_.norm == NormKind::kLayerNorm)
      return b_.op("LayerNormalization", {x, l_.w.body(prefix + ".weight", {dim}), l_.w.body(prefix + ".bias", {dim})},
                   {{"axis", int64_t{-1}}, {"epsilon", s_.eps}});
    std::string w = l_.w.body(prefix + ".weight", {dim});
    if (s_.norm == NormKind::kRmsPlusOne) w = b_.op("Add", {w, l_.f32("one", 1.0f)});
    return b_.op("RMSNorm", {x, w}, {{"epsilon", s_.eps}}, std::nullopt, "qeff");
  }

  // RMSNorm of a q/k norm (always RMS, even in LayerNorm models).
  std::string rms(const std::string &x, const std::string &prefix, int64_t dim) {
    std::string w = l_.w.body(prefix + ".weight", {dim});
    if (s_.norm == NormKind::kRmsPlusOne) w = b_.op("Add", {w, l_.f32("one", 1.0f)});
    return b_.op("RMSNorm", {x, w}, {{"epsilon", s_.eps}}, std::nullopt, "qeff");
  }

  std::string embeddings(const std::string &ids) {
    std::string x = l_.embed(l_.w.body(s_.embed, {s_.vocab, s_.hidden}), ids);
    if (!s_.learned_positions.empty()) {
      std::string table = l_.w.body(s_.learned_positions, {s_.max_positions, s_.hidden});
      x = b_.op("Add", {x, l_.embed(table, kv_.position_ids())});
    }
    if (s_.embed_scale != 1.0) x = b_.op("Mul", {x, l_.f32("embed_scale", static_cast<float>(s_.embed_scale))});
    return x;
  }

  // cos/sin [batch, seq, rotary dim] from position_ids.
  void rope_tables() {
    const RopeSpec &r = s_.rope;
    std::string inv_freq;
    if (r.dynamic) {
      // HF dynamic NTK: seq = max(position) + 1 over the run; beyond the
      // trained positions, base *= (factor * seq / max - (factor - 1))^(d / (d - 2)).
      std::string top = b_.op("ReduceMax", {kv_.position_ids()}, {{"keepdims", int64_t{0}}});
      std::string seq = b_.op("Cast", {b_.op("Add", {top, b_.constant_i64("one", {1}, graph::Shape{})})},
                              {{"to", int64_t{1}}});
      seq = b_.op("Max", {seq, l_.f32("max_positions", static_cast<float>(r.max_positions))});
      std::string t = b_.op("Div", {b_.op("Mul", {l_.f32("factor", static_cast<float>(r.factor)), seq}),
                                    l_.f32("max_positions", static_cast<float>(r.max_positions))});
      t = b_.op("Sub", {t, l_.f32("factor_minus_one", static_cast<float>(r.factor - 1.0))});
      const double d = static_cast<double>(r.dim);
      std::string base = b_.op("Mul", {l_.f32("base", static_cast<float>(r.base)),
                                       b_.op("Pow", {t, l_.f32("ntk_power", static_cast<float>(d / (d - 2.0)))})});
      std::vector<float> exps;
      for (int64_t i = 0; i < r.dim; i += 2) exps.push_back(static_cast<float>(i) / static_cast<float>(r.dim));
      inv_freq = b_.op("Reciprocal", {b_.op("Pow", {base, b_.constant_f32("rope_exponents", exps)})});
    } else {
      inv_freq = b_.constant_f32("inv_freq", r.inv_freq);
    }
    std::string pos = b_.op("Cast", {b_.op("Unsqueeze", {kv_.position_ids(), l_.i64("axis2", {2})})}, {{"to", int64_t{1}}});
    std::string freqs = b_.op("Mul", {pos, inv_freq});  // [b, s, dim/2]
    std::string emb = b_.op("Concat", {freqs, freqs}, {{"axis", int64_t{-1}}});
    cos_ = b_.op("Cos", {emb});
    sin_ = b_.op("Sin", {emb});
  }

  std::string rotate(const std::string &x) {
    if (!s_.rope.enabled) return x;
    if (s_.rope.dim == s_.head_dim) return l_.rotary(x, cos_, sin_);
    std::vector<std::string> parts = b_.op_n("Split", {x, l_.i64("rotary_split", {s_.rope.dim, s_.head_dim - s_.rope.dim})},
                                             2, {{"axis", int64_t{-1}}});
    return b_.op("Concat", {l_.rotary(parts[0], cos_, sin_), parts[1]}, {{"axis", int64_t{-1}}});
  }

  std::string softcap(const std::string &x, double cap) {
    std::string c = l_.f32("softcap", static_cast<float>(cap));
    return b_.op("Mul", {b_.op("Tanh", {b_.op("Div", {x, c})}), c});
  }

  // Attention in standard ops (soft-capped scores): HF eager attention.
  std::string eager_attention(const std::string &q, const std::string &k, const std::string &v,
                              const std::string &mask, double scale) {
    const int64_t groups = s_.heads / s_.kv_heads;
    auto repeat = [&](const std::string &t) {
      if (groups == 1) return t;
      std::string u = b_.op("Unsqueeze", {t, l_.i64("axis2", {2})});
      u = b_.op("Expand", {u, l_.i64("repeat_kv", {1, 1, groups, 1, 1})});
      return b_.op("Reshape", {u, l_.i64("repeat_kv_shape", {0, s_.heads, -1, s_.head_dim})});
    };
    std::string kt = b_.op("Transpose", {repeat(k)}, {{"perm", std::vector<int64_t>{0, 1, 3, 2}}});
    std::string scores = b_.op("Mul", {b_.op("MatMul", {q, kt}), l_.f32("attn_scale", static_cast<float>(scale))});
    if (s_.attn_softcap > 0) scores = softcap(scores, s_.attn_softcap);
    scores = b_.op("Where", {mask, l_.f32("masked", std::numeric_limits<float>::lowest()), scores});
    std::string p = b_.op("Softmax", {scores}, {{"axis", int64_t{-1}}});
    return b_.op("MatMul", {p, repeat(v)});
  }

  std::string attention(const std::string &x, int64_t i) {
    const int64_t qd = s_.heads * s_.head_dim, kvd = s_.kv_heads * s_.head_dim;
    std::string q, k, v;
    if (!s_.qkv.empty()) {
      std::string qkv = linear(x, i, s_.qkv, s_.hidden, qd + 2 * kvd, s_.qkv_bias);
      auto parts = b_.op_n("Split", {qkv, l_.i64("qkv_split", {qd, kvd, kvd})}, 3, {{"axis", int64_t{-1}}});
      q = parts[0], k = parts[1], v = parts[2];
    } else {
      q = linear(x, i, s_.q, s_.hidden, qd, s_.qkv_bias);
      k = linear(x, i, s_.k, s_.hidden, kvd, s_.qkv_bias);
      v = linear(x, i, s_.v, s_.hidden, kvd, s_.qkv_bias);
    }
    if (s_.qk_norm == QkNorm::kFull) {
      q = rms(q, lp(i, s_.q_norm), qd);
      k = rms(k, lp(i, s_.k_norm), kvd);
    }
    q = l_.split_heads(q, s_.heads, s_.head_dim);
    k = l_.split_heads(k, s_.kv_heads, s_.head_dim);
    v = l_.split_heads(v, s_.kv_heads, s_.head_dim);
    if (s_.qk_norm == QkNorm::kPerHead) {
      q = rms(q, lp(i, s_.q_norm), s_.head_dim);
      k = rms(k, lp(i, s_.k_norm), s_.head_dim);
    }
    q = rotate(q);
    k = rotate(k);
    auto [keys, values] = kv_.update(i, k, v);
    const std::string mask = kv_.mask(s_.window[static_cast<size_t>(i)]);
    const double scale = s_.attn_scale > 0 ? s_.attn_scale : 1.0 / std::sqrt(static_cast<double>(s_.head_dim));
    const bool sixteen_bit = kv_.dtype() == QEFF_DTYPE_F16 || kv_.dtype() == QEFF_DTYPE_BF16;
    if (s_.attn_softcap > 0 && sixteen_bit) {  // the eager form computes in f32
      keys = b_.op("Cast", {keys}, {{"to", int64_t{1}}});
      values = b_.op("Cast", {values}, {{"to", int64_t{1}}});
    }
    std::string y = s_.attn_softcap > 0 ? eager_attention(q, keys, values, mask, scale)
                                        : l_.attention(q, keys, values, mask, scale, s_.heads / s_.kv_heads);
    return linear(l_.merge_heads(y, s_.heads, s_.head_dim), i, s_.o, qd, s_.hidden, s_.o_bias);
  }

  std::string mlp(const std::string &x, int64_t i) {
    switch (s_.mlp) {
      case MlpKind::kGated: {
        std::string g = l_.activation(linear(x, i, s_.gate, s_.hidden, s_.inter, s_.mlp_bias), s_.act);
        std::string u = linear(x, i, s_.up, s_.hidden, s_.inter, s_.mlp_bias);
        return linear(b_.op("Mul", {g, u}), i, s_.down, s_.inter, s_.hidden, s_.mlp_bias);
      }
      case MlpKind::kFusedGated: {
        std::string gu = linear(x, i, s_.gate_up, s_.hidden, 2 * s_.inter, s_.mlp_bias);
        auto parts = b_.op_n("Split", {gu, l_.i64("gate_up_split", {s_.inter, s_.inter})}, 2, {{"axis", int64_t{-1}}});
        std::string y = b_.op("Mul", {parts[1], l_.activation(parts[0], s_.act)});
        return linear(y, i, s_.down, s_.inter, s_.hidden, s_.mlp_bias);
      }
      case MlpKind::kPlain:
        break;
    }
    std::string h = l_.activation(linear(x, i, s_.up, s_.hidden, s_.inter, s_.mlp_bias), s_.act);
    return linear(h, i, s_.down, s_.inter, s_.hidden, s_.mlp_bias);
  }

  std::string residual(const std::string &x, const std::string &y) {
    if (s_.residual_scale == 1.0) return b_.op("Add", {x, y});
    return b_.op("Add", {x, b_.op("Mul", {y, l_.f32("residual_multiplier", static_cast<float>(s_.residual_scale))})});
  }

  std::string block(const std::string &x, int64_t i) {
    auto n = [&](const std::string &t, const std::string &name) { return norm(t, lp(i, name), s_.hidden); };
    switch (s_.block) {
      case BlockKind::kPreNorm: {
        std::string h = residual(x, attention(n(x, s_.norm1), i));
        return residual(h, mlp(n(h, s_.norm2), i));
      }
      case BlockKind::kSandwich: {
        std::string h = residual(x, n(attention(n(x, s_.norm1), i), s_.norm2));
        return residual(h, n(mlp(n(h, s_.norm3), i), s_.norm4));
      }
      case BlockKind::kPostNorm:
        break;
    }
    std::string h = residual(x, n(attention(x, i), s_.norm2));
    return residual(h, n(mlp(h, i), s_.norm4));
  }

  const DecoderSpec &s_;
  Layers &l_;
  graph::GraphBuilder &b_;
  transforms::KvCache &kv_;
  std::string cos_, sin_;
};

}  // namespace

std::string build_decoder(const DecoderSpec &spec, Layers &l, const std::string &input_ids,
                          const std::string &position_ids, qeff_dtype kv_dtype) {
  if (spec.heads % spec.kv_heads != 0)
    fail(QEFF_E_CONFIG, "num_attention_heads " + std::to_string(spec.heads) + " is not a multiple of " +
                            "num_key_value_heads " + std::to_string(spec.kv_heads));
  transforms::KvCache kv(l.b, position_ids, spec.layers, spec.kv_heads, spec.head_dim, kv_dtype);
  DecoderWriter writer(spec, l, kv);
  std::string logits = writer.run(input_ids);
  l.b.output(logits, {QEFF_DTYPE_F32, {graph::Dim::sym("batch_size"), graph::Dim::fixed(1), graph::Dim::fixed(spec.vocab)}},
             "logits");
  kv.declare_outputs();
  return logits;
}

}  // namespace qeff::models
