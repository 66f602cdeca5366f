#include "hub/sentence_transformers.hpp"

#include <utility>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/log.hpp"

namespace qeff::hub {
namespace {

struct ModeKey {
  const char *key;
  PoolingMode mode;
};

constexpr ModeKey kModes[] = {
    {"pooling_mode_mean_tokens", PoolingMode::kMean},
    {"pooling_mode_cls_token", PoolingMode::kCls},
    {"pooling_mode_max_tokens", PoolingMode::kMax},
    {"pooling_mode_mean_sqrt_len_tokens", PoolingMode::kMeanSqrtLen},
    {"pooling_mode_weightedmean_tokens", PoolingMode::kWeightedMean},
    {"pooling_mode_lasttoken", PoolingMode::kLastToken},
};

void read_pooling(const FileRoot &root, const std::string &dir, const HubLimits &limits,
                  SentenceTransformersConfig *out) {
  std::string rel = dir + "/config.json";
  JsonDocument doc = JsonDocument::parse(root.read(rel, limits.json.max_bytes, "limits.json_bytes"),
                                         {root.display(rel)}, limits.json);
  JsonView cfg = doc.root();
  int found = 0;
  // sentence-transformers >= 5 writes one "pooling_mode" string instead.
  if (auto mode = cfg.opt_string("pooling_mode")) {
    static const std::pair<const char *, PoolingMode> kNames[] = {
        {"mean", PoolingMode::kMean},          {"cls", PoolingMode::kCls},
        {"max", PoolingMode::kMax},            {"mean_sqrt_len_tokens", PoolingMode::kMeanSqrtLen},
        {"weightedmean", PoolingMode::kWeightedMean}, {"lasttoken", PoolingMode::kLastToken}};
    for (const auto &[name, m] : kNames)
      if (*mode == name) {
        out->pooling = m;
        ++found;
      }
    if (found == 0)
      cfg.get("pooling_mode").fail_here(QEFF_E_UNSUPPORTED, "= " + quote(*mode) + " is not a supported pooling mode");
  }
  for (const auto &m : kModes) {
    if (cfg.opt_bool(m.key).value_or(false)) {
      out->pooling = m.mode;
      ++found;
    }
  }
  if (found == 0)
    fail(QEFF_E_CONFIG, root.display(rel) + ": no pooling_mode_* field is true");
  if (found > 1)
    fail(QEFF_E_UNSUPPORTED, root.display(rel) +
                                 ": several pooling modes at once (concatenated) are not supported");
  out->include_prompt = cfg.opt_bool("include_prompt").value_or(true);
  out->embedding_dimension = cfg.opt_int("word_embedding_dimension", 1, INT32_MAX)
                                 .value_or(cfg.opt_int("embedding_dimension", 1, INT32_MAX).value_or(0));
}

}  // namespace

const char *pooling_mode_name(PoolingMode m) {
  switch (m) {
    case PoolingMode::kMean: return "mean";
    case PoolingMode::kCls: return "cls";
    case PoolingMode::kMax: return "max";
    case PoolingMode::kMeanSqrtLen: return "mean_sqrt_len";
    case PoolingMode::kWeightedMean: return "weightedmean";
    case PoolingMode::kLastToken: return "last_token";
  }
  return "unknown";
}

bool read_sentence_transformers(const FileRoot &root, const HubLimits &limits,
                                SentenceTransformersConfig *out) {
  if (!root.exists("modules.json")) return false;
  JsonDocument doc =
      JsonDocument::parse(root.read("modules.json", limits.json.max_bytes, "limits.json_bytes"),
                          {root.display("modules.json")}, limits.json, /*require_object=*/false);
  JsonView mods = doc.root();
  if (!mods.is_array()) mods.fail_here(QEFF_E_FORMAT, "must be an array of modules, got " + mods.describe());
  *out = SentenceTransformersConfig{};
  for (size_t i = 0; i < mods.size(); ++i) {
    JsonView m = mods.at(i);
    if (!m.is_object()) m.fail_here(QEFF_E_FORMAT, "must be an object {idx, name, path, type}");
    std::string type = m.get("type").as_string();
    std::string path = m.opt_string("path").value_or("");
    // Module classes by their last name: "sentence_transformers.models.Pooling"
    // and the newer module paths of sentence-transformers >= 5 alike.
    std::string cls = type.substr(type.rfind('.') == std::string::npos ? 0 : type.rfind('.') + 1);
    bool ours = type.rfind("sentence_transformers.", 0) == 0;
    if (ours && cls == "Transformer") continue;
    if (ours && cls == "Normalize") {
      out->normalize = true;
    } else if (ours && cls == "Pooling") {
      if (path.empty()) m.get("path").fail_here(QEFF_E_FORMAT, "is missing for the Pooling module");
      read_pooling(root, path, limits, out);
    } else {
      m.get("type").fail_here(QEFF_E_UNSUPPORTED, "= " + quote(type) +
                                                      ": this sentence-transformers module is not supported");
    }
  }
  log_debug("sentence-transformers: pooling " + std::string(pooling_mode_name(out->pooling)) +
            (out->normalize ? ", normalized" : ""));
  return true;
}

}  // namespace qeff::hub
