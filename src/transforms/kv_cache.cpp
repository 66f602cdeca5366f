#include "transforms/kv_cache.hpp"

#include "common/error.hpp"
#include "kernels/mxint8.hpp"

namespace qeff::transforms {
namespace {

graph::TensorType cache_type(qeff_dtype dtype, int64_t kv_heads, int64_t head_dim) {
  const bool mx = dtype == kKvMxInt8;
  return {mx ? QEFF_DTYPE_U8 : dtype,
          {graph::Dim::sym("batch_size"), graph::Dim::fixed(kv_heads), graph::Dim::sym("ctx_len"),
           graph::Dim::fixed(mx ? kernels::mxint8_row_bytes(head_dim) : head_dim)}};
}

}  // namespace

const char *kv_cache_dtype_name(qeff_dtype dtype) {
  switch (dtype) {
    case QEFF_DTYPE_F16: return "F16";
    case QEFF_DTYPE_BF16: return "BF16";
    case kKvMxInt8: return "MXINT8";
    default: return "F32";
  }
}

std::string past_key_name(int64_t layer) { return "past_key." + std::to_string(layer); }
std::string past_value_name(int64_t layer) { return "past_value." + std::to_string(layer); }

KvCache::KvCache(graph::GraphBuilder &b, std::string position_ids, int64_t layers, int64_t kv_heads,
                 int64_t head_dim, qeff_dtype dtype)
    : b_(b),
      position_ids_(std::move(position_ids)),
      layers_(layers),
      kv_heads_(kv_heads),
      head_dim_(head_dim),
      dtype_(dtype) {
  if (dtype_ != QEFF_DTYPE_F32 && dtype_ != QEFF_DTYPE_F16 && dtype_ != QEFF_DTYPE_BF16 && dtype_ != kKvMxInt8)
    fail(QEFF_E_INTERNAL,
         "KvCache: cache element type " + std::to_string(dtype_) + " is not F32, F16, BF16 or MXINT8");
  for (int64_t i = 0; i < layers_; ++i) {
    b_.input(past_key_name(i), cache_type(dtype_, kv_heads_, head_dim_));
    b_.input(past_value_name(i), cache_type(dtype_, kv_heads_, head_dim_));
  }
}

std::pair<std::string, std::string> KvCache::update(int64_t layer, const std::string &k, const std::string &v) {
  if (layer < 0 || layer >= layers_ || updated_.count(layer))
    fail(QEFF_E_INTERNAL, "KvCache::update: layer " + std::to_string(layer) + " is out of range or updated twice");
  auto stored = [&](const std::string &x) {
    if (dtype_ == QEFF_DTYPE_F32) return x;
    if (dtype_ == kKvMxInt8) return b_.op("MxInt8Quantize", {x}, {}, std::nullopt, "qeff");
    return b_.op("Cast", {x}, {{"to", int64_t{dtype_ == QEFF_DTYPE_F16 ? 10 : 16}}});  // ONNX FLOAT16 / BFLOAT16
  };
  std::string keys = b_.op("CtxScatter", {past_key_name(layer), position_ids_, stored(k)}, {}, std::nullopt, "qeff");
  std::string values =
      b_.op("CtxScatter", {past_value_name(layer), position_ids_, stored(v)}, {}, std::nullopt, "qeff");
  updated_[layer] = {keys, values};
  if (dtype_ != kKvMxInt8) return {keys, values};
  // Attention reads f32 rows; the compiler fuses these into qeff.cpu.Attention,
  // which reads the MXINT8 rows in place.
  auto widened = [&](const std::string &x) {
    return b_.op("MxInt8Dequantize", {x}, {{"dim", head_dim_}}, std::nullopt, "qeff");
  };
  return {widened(keys), widened(values)};
}

void KvCache::declare_outputs() {
  for (int64_t i = 0; i < layers_; ++i) {
    auto it = updated_.find(i);
    if (it == updated_.end()) fail(QEFF_E_INTERNAL, "KvCache: layer " + std::to_string(i) + " was never updated");
    b_.output(it->second.first, cache_type(dtype_, kv_heads_, head_dim_), past_key_name(i) + kRetainedSuffix);
    b_.output(it->second.second, cache_type(dtype_, kv_heads_, head_dim_), past_value_name(i) + kRetainedSuffix);
  }
}

std::string KvCache::mask(int64_t window) {
  if (auto it = masks_.find(window); it != masks_.end()) return it->second;
  if (slots_.empty()) {
    // Slot indices 0 .. ctx_len-1 from the cache shape (folded per specialization).
    std::string shape = b_.op("Shape", {past_key_name(0)});
    std::string ctx = b_.op("Gather", {shape, b_.constant_i64("two", {2}, graph::Shape{})}, {{"axis", int64_t{0}}});
    slots_ = b_.op("Range", {b_.constant_i64("zero", {0}, graph::Shape{}), ctx,
                             b_.constant_i64("one", {1}, graph::Shape{})});
    query_pos_ = b_.op("Unsqueeze", {position_ids_, b_.constant_i64("axes_1_3", {1, 3})});
  }
  // Future slots: slot > position (a padding query, position -1, sees nothing).
  std::string m = b_.op("Greater", {slots_, query_pos_});
  if (window > 0) {
    std::string low = b_.op("Sub", {query_pos_, b_.constant_i64("window", {window}, graph::Shape{})});
    m = b_.op("Or", {m, b_.op("LessOrEqual", {slots_, low})});
  }
  masks_[window] = m;
  return m;
}

std::string KvCache::last_token(const std::string &hidden, int64_t dim) {
  // QEfficient's logit index: argmax(position_ids, 1), the last real token of
  // each row (padding positions are -1).
  std::string idx = b_.op("ArgMax", {position_ids_}, {{"axis", int64_t{1}}, {"keepdims", int64_t{1}}});
  idx = b_.op("Unsqueeze", {idx, b_.constant_i64("axes_2", {2})});                      // [b, 1, 1]
  idx = b_.op("Expand", {idx, b_.constant_i64("last_token_shape", {1, 1, dim})});        // [b, 1, dim]
  return b_.op("GatherElements", {hidden, idx}, {{"axis", int64_t{1}}});
}

}  // namespace qeff::transforms
