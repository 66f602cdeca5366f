// Every JSON config kind of a model directory, all on the same document:
// config.json (parse_model_config, parse_quantization_config, with the default limits.config_dim and with
// the largest allowed, INT64_MAX), generation_config.json,
// tokenizer_config.json (+ special_tokens_map.json merge) and PEFT
// adapter_config.json. Seeds are the fixtures' files of every kind, so the
// fuzzer also mixes keys of one kind into another.
//
// Invariants (RELIABILITY.md B2, B3, B6): a failure is QEFF_E_FORMAT (JSON
// level) or QEFF_E_CONFIG / QEFF_E_LIMIT / QEFF_E_UNSUPPORTED naming the file.
// A success gives values inside their documented ranges: model sizes in
// [1, config_dim], heads divisible by KV heads, positive finite rope/eps
// values, partial_rotary_factor in (0, 1], token ids in [0, INT32_MAX];
// generation temperature >= 0, top_p in (0, 1], min_p in [0, 1],
// repetition_penalty > 0; model_max_length >= 1, padding side left/right;
// LoRA r >= 1, alpha > 0 with a finite scaling, non-empty target modules.
// Re-parse stability: the printed document parses again and gives the same
// model config.
#include <cmath>
#include <cstdint>
#include <string>

#include "common/json.hpp"
#include "fuzz_common.hpp"
#include "hub/adapter_config.hpp"
#include "hub/config.hpp"
#include "hub/generation_config.hpp"
#include "hub/quantization.hpp"
#include "hub/tokenizer_config.hpp"

namespace {

using qeff::hub::ModelConfig;

void check_model(const ModelConfig &c, int64_t cap) {
  FUZZ_CHECK(c.arch != nullptr && !c.architectures.empty() && c.architecture == c.architectures.front(),
             "architecture not resolved");
  for (int64_t v : {c.vocab_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads,
                    c.num_key_value_heads, c.head_dim})
    FUZZ_CHECK(v >= 1 && v <= cap, "a size %lld outside [1, %lld]", (long long)v, (long long)cap);
  FUZZ_CHECK(c.intermediate_size >= 1, "intermediate_size %lld", (long long)c.intermediate_size);
  FUZZ_CHECK(c.num_attention_heads % c.num_key_value_heads == 0, "heads %% kv heads != 0 accepted");
  if (c.max_position_embeddings) FUZZ_CHECK(*c.max_position_embeddings >= 1, "max_position_embeddings < 1");
  FUZZ_CHECK(std::isfinite(c.rope_theta) && c.rope_theta > 0, "rope_theta %g", c.rope_theta);
  if (c.norm_eps) FUZZ_CHECK(std::isfinite(*c.norm_eps) && *c.norm_eps > 0, "norm_eps %g", *c.norm_eps);
  if (c.partial_rotary_factor)
    FUZZ_CHECK(*c.partial_rotary_factor > 0 && *c.partial_rotary_factor <= 1, "partial_rotary_factor %g",
               *c.partial_rotary_factor);
  if (c.rope_scaling) FUZZ_CHECK(std::isfinite(c.rope_scaling->factor) && c.rope_scaling->factor > 0, "rope factor");
  if (c.sliding_window) FUZZ_CHECK(*c.sliding_window >= 1, "sliding_window < 1");
  for (int64_t id : c.eos_token_ids) FUZZ_CHECK(id >= 0 && id <= INT32_MAX, "eos id %lld", (long long)id);
  if (c.bos_token_id) FUZZ_CHECK(*c.bos_token_id >= 0 && *c.bos_token_id <= INT32_MAX, "bos id");
  if (c.pad_token_id) FUZZ_CHECK(*c.pad_token_id >= 0 && *c.pad_token_id <= INT32_MAX, "pad id");
}

bool same_model(const ModelConfig &a, const ModelConfig &b) {
  return a.architectures == b.architectures && a.model_type == b.model_type && a.vocab_size == b.vocab_size &&
         a.hidden_size == b.hidden_size && a.num_hidden_layers == b.num_hidden_layers &&
         a.num_attention_heads == b.num_attention_heads && a.num_key_value_heads == b.num_key_value_heads &&
         a.head_dim == b.head_dim && a.intermediate_size == b.intermediate_size &&
         a.max_position_embeddings == b.max_position_embeddings && a.hidden_act == b.hidden_act &&
         a.norm_eps == b.norm_eps && a.rope_theta == b.rope_theta && a.sliding_window == b.sliding_window &&
         a.tie_word_embeddings == b.tie_word_embeddings && a.torch_dtype == b.torch_dtype &&
         a.eos_token_ids == b.eos_token_ids && a.bos_token_id == b.bos_token_id && a.pad_token_id == b.pad_token_id;
}

const std::initializer_list<qeff_status> kConfigErrors = {QEFF_E_CONFIG, QEFF_E_LIMIT, QEFF_E_UNSUPPORTED};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), data != nullptr ? size : 0);
  const std::string name = "config.json";
  std::optional<qeff::JsonDocument> doc;
  if (!qeff_fuzz::run_checked(
          "JsonDocument::parse", {QEFF_E_FORMAT, QEFF_E_LIMIT, QEFF_E_OOM},
          [&] { doc.emplace(qeff::JsonDocument::parse(text, {name, QEFF_E_CONFIG}, {}, true)); }, name))
    return 0;

  // config.json, at the default cap and at the largest one allowed.
  for (int64_t cap : {int64_t{16777216}, INT64_MAX}) {
    ModelConfig c;
    if (!qeff_fuzz::run_checked(
            "parse_model_config", kConfigErrors, [&] { c = qeff::hub::parse_model_config(*doc, cap); }, name))
      continue;
    check_model(c, cap);
    std::string printed = doc->root().to_json();
    ModelConfig c2;
    bool ok2 = qeff_fuzz::run_checked("parse_model_config(re-parsed)", {}, [&] {
      qeff::JsonDocument again = qeff::JsonDocument::parse(printed, {name, QEFF_E_CONFIG}, {}, true);
      c2 = qeff::hub::parse_model_config(again, cap);
    });
    FUZZ_CHECK(ok2 && same_model(c, c2), "the re-parsed config differs: %s", printed.c_str());
  }

  // quantization_config (a pre-quantized int4 checkpoint).
  std::optional<qeff::hub::QuantizationConfig> q;
  if (qeff_fuzz::run_checked(
          "parse_quantization_config", kConfigErrors,
          [&] { q = qeff::hub::parse_quantization_config(doc->root()); }, name) &&
      q) {
    FUZZ_CHECK(q->group_size == -1 || q->group_size >= 1, "group_size %lld", (long long)q->group_size);
    FUZZ_CHECK(!q->name.empty(), "no method name");
  }

  qeff::hub::GenerationConfig g;
  if (qeff_fuzz::run_checked(
          "parse_generation_config", kConfigErrors, [&] { g = qeff::hub::parse_generation_config(*doc); }, name)) {
    if (g.temperature) FUZZ_CHECK(*g.temperature >= 0 && std::isfinite(*g.temperature), "temperature %g", *g.temperature);
    if (g.top_p) FUZZ_CHECK(*g.top_p > 0 && *g.top_p <= 1, "top_p %g", *g.top_p);
    if (g.min_p) FUZZ_CHECK(*g.min_p >= 0 && *g.min_p <= 1, "min_p %g", *g.min_p);
    if (g.repetition_penalty)
      FUZZ_CHECK(*g.repetition_penalty > 0 && std::isfinite(*g.repetition_penalty), "repetition_penalty");
    if (g.top_k) FUZZ_CHECK(*g.top_k >= 0, "top_k < 0");
    if (g.max_new_tokens) FUZZ_CHECK(*g.max_new_tokens >= 0, "max_new_tokens < 0");
    if (g.max_length) FUZZ_CHECK(*g.max_length >= 0, "max_length < 0");
    for (int64_t id : g.eos_token_ids) FUZZ_CHECK(id >= 0 && id <= INT32_MAX, "eos id");
  }

  qeff::hub::TokenizerConfig t;
  if (qeff_fuzz::run_checked(
          "parse_tokenizer_config", kConfigErrors, [&] { t = qeff::hub::parse_tokenizer_config(*doc); }, name)) {
    if (t.model_max_length) FUZZ_CHECK(*t.model_max_length >= 1, "model_max_length < 1");
    FUZZ_CHECK(t.padding_side == "left" || t.padding_side == "right", "padding_side %s", t.padding_side.c_str());
    // The same document as special_tokens_map.json fills only what is missing.
    qeff::hub::TokenizerConfig merged = t;
    if (qeff_fuzz::run_checked(
            "merge_special_tokens_map", kConfigErrors,
            [&] { qeff::hub::merge_special_tokens_map(merged, *doc); }, name)) {
      if (t.bos_token) FUZZ_CHECK(merged.bos_token == t.bos_token, "merge replaced bos_token");
      if (t.eos_token) FUZZ_CHECK(merged.eos_token == t.eos_token, "merge replaced eos_token");
    }
  }

  qeff::hub::AdapterConfig a;
  if (qeff_fuzz::run_checked(
          "parse_adapter_config", kConfigErrors, [&] { a = qeff::hub::parse_adapter_config(*doc); }, name)) {
    FUZZ_CHECK(a.r >= 1, "r %lld", (long long)a.r);
    FUZZ_CHECK(a.lora_alpha > 0 && std::isfinite(a.lora_alpha), "lora_alpha %g", a.lora_alpha);
    FUZZ_CHECK(std::isfinite(a.scaling()), "scaling %g", a.scaling());
    FUZZ_CHECK(!a.target_modules.empty(), "no target modules");
    FUZZ_CHECK(a.bias == "none", "bias %s", a.bias.c_str());
  }
  return 0;
}
