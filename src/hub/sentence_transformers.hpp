// sentence-transformers metadata: modules.json lists the pipeline (Transformer,
// Pooling, Normalize, ...), 1_Pooling/config.json the pooling mode. It gives an
// embedding model its default pooling and normalization.
#pragma once

#include <string>

#include "common/files.hpp"
#include "hub/limits.hpp"

namespace qeff::hub {

enum class PoolingMode { kMean, kCls, kMax, kMeanSqrtLen, kWeightedMean, kLastToken };

const char *pooling_mode_name(PoolingMode mode);

struct SentenceTransformersConfig {
  PoolingMode pooling = PoolingMode::kMean;
  bool normalize = false;
  bool include_prompt = true;
  int64_t embedding_dimension = 0;  // 0 when the pooling config does not say
};

// Reads modules.json and the files it points to (contained in `root`). Returns
// false when there is no modules.json. Throws QEFF_E_FORMAT/QEFF_E_CONFIG,
// QEFF_E_UNSUPPORTED (modules qeff cannot run, several pooling modes at once),
// QEFF_E_SECURITY (a module path escaping the directory).
bool read_sentence_transformers(const FileRoot &root, const HubLimits &limits,
                                SentenceTransformersConfig *out);

}  // namespace qeff::hub
