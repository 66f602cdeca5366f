// The models layer (docs/models.md): one graph builder per architecture
// family writes HuggingFace's math for a loaded ModelSource into the graph IR,
// with the I/O contract of its task, ready for export or compilation:
//
//   embedding:                input_ids, attention_mask [batch_size, seq_len] I64
//                             -> output F32 [batch_size, hidden] (pooled) or
//                                [batch_size, seq_len, hidden] (pooling none)
//   sequence-classification:  input_ids, attention_mask (+ token_type_ids when
//                             the model has token types) -> logits F32 [batch_size, num_labels]
//   causal-lm:                input_ids, position_ids [batch_size, seq_len] I64 (-1: padding),
//                             past_key.N / past_value.N F32 [batch_size, kv_heads, ctx_len, head_dim]
//                             -> logits F32 [batch_size, 1, vocab], past_*.N_RetainedState
//                             (transforms/kv_cache.hpp)
//
// The graph's metadata describes it to the layers below (the generation layer
// reads it back from a compiled program or package): see kMeta* below.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graph/ir.hpp"
#include "transforms/pooling.hpp"

namespace qeff::hub {
struct ModelSource;
}

namespace qeff::models {

struct BuildOptions {
  // Embedding models: the pooling head and L2 normalization. Unset: what the
  // sentence-transformers files say (modules.json, 1_Pooling, Normalize), else
  // mean pooling without normalization (last_token for decoder embedders).
  std::optional<transforms::Pooling> pooling;
  std::optional<bool> normalize;
  // Causal LMs: the element type of the KV cache (F32, F16 or BF16).
  qeff_dtype kv_cache_dtype = QEFF_DTYPE_F32;  // or F16, BF16, transforms::kKvMxInt8
};

// Metadata keys every built graph carries.
inline constexpr const char *kMetaTask = "qeff.task";                  // qeff_task_name()
inline constexpr const char *kMetaArchitecture = "qeff.architecture";  // config.architectures[0]
inline constexpr const char *kMetaModelType = "qeff.model_type";
inline constexpr const char *kMetaPooling = "qeff.pooling";            // pooling_name(); embedding only
inline constexpr const char *kMetaNormalize = "qeff.normalize";        // "true"/"false"; embedding only
inline constexpr const char *kMetaMaxSeqLen = "qeff.max_seq_len";      // longest input the positions allow
inline constexpr const char *kMetaNumLabels = "qeff.num_labels";       // sequence-classification only
inline constexpr const char *kMetaLabels = "qeff.labels";              // JSON array of label names
inline constexpr const char *kMetaPadId = "qeff.pad_token_id";         // the id padding positions carry
inline constexpr const char *kMetaKvCacheDtype = "qeff.kv_cache_dtype";  // causal LMs: F32, F16, BF16 or MXINT8
inline constexpr const char *kMetaGeneration = "qeff.generation";     // causal LMs: JSON generation defaults

// Builds the graph of `source` (kept alive by the graph's weight views).
// Throws QEFF_E_UNSUPPORTED for an architecture without a builder (listing the
// supported ones) or a configuration the builder does not cover (naming the
// field and value), QEFF_E_MISMATCH for a weight of the wrong shape or a
// missing one (naming it), QEFF_E_INVALID_ARGUMENT for options that do not fit
// the task.
graph::Graph build_graph(std::shared_ptr<const hub::ModelSource> source, const BuildOptions &options = {});

// Architectures (config.architectures[0]) with a graph builder.
std::vector<std::string> supported_architectures();
bool has_builder(const std::string &architecture);

// The canonical text of `options` for cache keys.
std::string canonical_text(const BuildOptions &options);

}  // namespace qeff::models
