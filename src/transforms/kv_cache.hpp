// The KV cache as retained state, with QEfficient's I/O contract for causal
// LMs (docs/models.md, ARCHITECTURE.md):
//
//   inputs   input_ids, position_ids  I64 [batch_size, seq_len]  (position -1: padding)
//            past_key.N, past_value.N F32 [batch_size, kv_heads, ctx_len, head_dim]
//                                      (or F16 / BF16: model.kv_cache_dtype)
//   outputs  logits                    F32 [batch_size, 1, vocab] (last real token of each row)
//            past_key.N_RetainedState, past_value.N_RetainedState (same as the inputs)
//
// A layer's new keys/values are scattered into its cache at position_ids
// (qeff.CtxScatter; -1 lands in the last slot, which no real query sees until
// a real token overwrites it) and attention runs over the whole cache with a
// mask that hides every slot after the query's position (and, for sliding-
// window layers, every slot at or before position - window). The runtime keeps
// the *_RetainedState outputs as the next run's inputs, updated in place.
// A 16-bit cache stores the new keys/values rounded to nearest even (a Cast
// before the scatter) and qeff.Attention reads it in place (its ONNX body
// casts to Q's type; the CPU kernel widens each element as it loads it), so
// the cache costs half the memory and the decode reads half the bytes.
//
// An MXINT8 cache (kKvMxInt8; QEfficient's mxint8_kv_cache) holds U8 rows of
// mxint8_row_bytes(head_dim) bytes (kernels/mxint8.hpp: int8 elements and an
// E8M0 scale per 32): new k/v go through qeff.MxInt8Quantize before the
// scatter, and update() returns them through qeff.MxInt8Dequantize, which the
// compiler fuses into the attention (qeff.cpu.Attention reads the rows in
// place). About 0.27 of the f32 cache's bytes for head_dim 64 and up.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "graph/builder.hpp"

namespace qeff::transforms {

// The MXINT8 cache in BuildOptions::kv_cache_dtype and KvCache (its stored
// element type is U8; I8 marks it, as no other int8 cache exists).
inline constexpr qeff_dtype kKvMxInt8 = QEFF_DTYPE_I8;
// "F32", "F16", "BF16" or "MXINT8".
const char *kv_cache_dtype_name(qeff_dtype dtype);

class KvCache {
 public:
  // Declares past_key.N / past_value.N for `layers` layers, of element type
  // dtype (QEFF_DTYPE_F32, QEFF_DTYPE_F16, QEFF_DTYPE_BF16 or kKvMxInt8).
  KvCache(graph::GraphBuilder &b, std::string position_ids, int64_t layers, int64_t kv_heads, int64_t head_dim,
          qeff_dtype dtype = QEFF_DTYPE_F32);

  // Scatters k/v [batch, kv_heads, seq, head_dim] (f32) of layer `layer` into
  // its cache and returns the updated caches (the attention keys/values,
  // [batch, kv_heads, ctx_len, head_dim], of the cache's dtype; f32 widened
  // from the rows for MXINT8).
  std::pair<std::string, std::string> update(int64_t layer, const std::string &k, const std::string &v);

  // Declares the RetainedState outputs (after logits, as the contract orders
  // them). Every layer must have been updated.
  void declare_outputs();

  // Bool [batch, 1, seq, ctx_len], true = masked: slots after the query's
  // position, and with window > 0 also slots <= position - window (HF's
  // sliding-window mask). Built once per window size.
  std::string mask(int64_t window = 0);

  // hidden [batch, seq, dim] -> [batch, 1, dim] at each row's last real token
  // (argmax of position_ids, QEfficient's logit index).
  std::string last_token(const std::string &hidden, int64_t dim);

  const std::string &position_ids() const { return position_ids_; }
  qeff_dtype dtype() const { return dtype_; }

 private:
  graph::GraphBuilder &b_;
  std::string position_ids_;
  int64_t layers_, kv_heads_, head_dim_;
  qeff_dtype dtype_;
  std::string slots_;                  // I64 [ctx_len]: 0 .. ctx_len-1
  std::string query_pos_;              // I64 [batch, 1, seq, 1]
  std::map<int64_t, std::string> masks_;
  std::map<int64_t, std::pair<std::string, std::string>> updated_;
};

// Names of the cache inputs and outputs.
std::string past_key_name(int64_t layer);
std::string past_value_name(int64_t layer);
inline constexpr const char *kRetainedSuffix = "_RetainedState";

}  // namespace qeff::transforms
