#include "hub/tokenizer_config.hpp"

namespace qeff::hub {
namespace {

// A special token is a string or an AddedToken object {"content": "..."}.
std::optional<std::string> special_token(const JsonView &obj, const char *key) {
  JsonView v = obj.get(key);
  if (!v.present()) return std::nullopt;
  if (v.is_object()) {
    JsonView content = v.get("content");
    if (!content.present()) content.fail_here(QEFF_E_CONFIG, "is missing (required in a token object)");
    return content.as_string();
  }
  if (!v.is_string()) v.type_error("a string or a token object {\"content\": ...}");
  return v.as_string();
}

}  // namespace

TokenizerConfig parse_tokenizer_config(const JsonDocument &doc) {
  JsonView root = doc.root();
  TokenizerConfig t;
  t.bos_token = special_token(root, "bos_token");
  t.eos_token = special_token(root, "eos_token");
  t.pad_token = special_token(root, "pad_token");
  t.unk_token = special_token(root, "unk_token");
  t.add_bos_token = root.opt_bool("add_bos_token");
  t.add_eos_token = root.opt_bool("add_eos_token");
  JsonView mml = root.get("model_max_length");
  if (mml.present()) {
    double v = mml.as_number_unbounded();
    if (!(v >= 1)) mml.fail_here(QEFF_E_CONFIG, "must be >= 1, got " + mml.describe());
    // transformers writes 1e30 (VERY_LARGE_INTEGER) for "no limit".
    if (v < 9.2e18) t.model_max_length = mml.as_int(1, INT64_MAX);
  }
  if (auto side = root.opt_string("padding_side")) {
    if (*side != "left" && *side != "right")
      root.get("padding_side").fail_here(QEFF_E_CONFIG, "must be \"left\" or \"right\", got " +
                                                            root.get("padding_side").describe());
    t.padding_side = *side;
  }
  if (auto cls = root.opt_string("tokenizer_class")) t.tokenizer_class = *cls;
  JsonView tmpl = root.get("chat_template");
  if (tmpl.present()) {
    if (tmpl.is_string()) {
      t.chat_template = tmpl.as_string();
    } else if (tmpl.is_array()) {
      // A list of named templates: [{"name": "default", "template": "..."}, ...]
      for (size_t i = 0; i < tmpl.size(); ++i) {
        JsonView item = tmpl.at(i);
        if (!item.is_object()) item.type_error("an object {name, template}");
        if (item.opt_string("name").value_or("") == "default")
          t.chat_template = item.get("template").as_string();
      }
    } else {
      tmpl.type_error("a string or a list of {name, template}");
    }
  }
  return t;
}

void merge_special_tokens_map(TokenizerConfig &t, const JsonDocument &doc) {
  JsonView root = doc.root();
  if (!t.bos_token) t.bos_token = special_token(root, "bos_token");
  if (!t.eos_token) t.eos_token = special_token(root, "eos_token");
  if (!t.pad_token) t.pad_token = special_token(root, "pad_token");
  if (!t.unk_token) t.unk_token = special_token(root, "unk_token");
}

}  // namespace qeff::hub
