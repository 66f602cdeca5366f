// Unit tests: the side configuration files of a model directory:
// generation_config.json (RELIABILITY.md B3.22), tokenizer_config.json and
// special_tokens_map.json (B2.14, B7), adapter_config.json (B6.49-50, 52) and
// the sentence-transformers modules.json / 1_Pooling/config.json.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "hub/adapter_config.hpp"
#include "hub/generation_config.hpp"
#include "hub/limits.hpp"
#include "hub/sentence_transformers.hpp"
#include "hub/tokenizer_config.hpp"
#include "model_writer.hpp"
#include "qeff/qeff.h"
#include "unit_test.hpp"

namespace {

using qeff::JsonDocument;
using qeff::hub::AdapterConfig;
using qeff::hub::GenerationConfig;
using qeff::hub::PoolingMode;
using qeff::hub::SentenceTransformersConfig;
using qeff::hub::TokenizerConfig;

JsonDocument doc(const std::string &text, const char *name) {
  return JsonDocument::parse(text, qeff::JsonOrigin{name}, qeff::JsonLimits{});
}

// ---------------------------------------------------------------------------
// generation_config.json

GenerationConfig gen(const std::string &text) {
  return qeff::hub::parse_generation_config(doc(text, "generation_config.json"));
}

TEST(GenerationConfig, ValidValues) {
  GenerationConfig g = gen(R"({
    "bos_token_id": 1, "eos_token_id": [2, 3], "pad_token_id": 0, "max_length": 4096,
    "max_new_tokens": 256, "do_sample": true, "temperature": 0.6, "top_k": 50, "top_p": 0.9,
    "min_p": 0.05, "repetition_penalty": 1.1, "transformers_version": "4.45.0"
  })");
  EXPECT_EQ(g.bos_token_id, 1);
  EXPECT_EQ(g.eos_token_ids, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(g.pad_token_id, 0);
  EXPECT_EQ(g.max_length, 4096);
  EXPECT_EQ(g.max_new_tokens, 256);
  EXPECT_TRUE(g.do_sample);
  EXPECT_EQ(g.temperature, 0.6);
  EXPECT_EQ(g.top_k, 50);
  EXPECT_EQ(g.top_p, 0.9);
  EXPECT_EQ(g.min_p, 0.05);
  EXPECT_EQ(g.repetition_penalty, 1.1);
}

TEST(GenerationConfig, EmptyAndNullMeanDefaults) {
  for (const char *text :
       {"{}", R"({"temperature": null, "top_p": null, "top_k": null, "max_new_tokens": null,
                  "repetition_penalty": null, "do_sample": null, "eos_token_id": null})"}) {
    SCOPED_TRACE(text);
    GenerationConfig g = gen(text);
    EXPECT_FALSE(g.bos_token_id.has_value());
    EXPECT_TRUE(g.eos_token_ids.empty());
    EXPECT_FALSE(g.max_new_tokens.has_value());
    EXPECT_FALSE(g.do_sample);
    EXPECT_FALSE(g.temperature.has_value());
    EXPECT_FALSE(g.top_k.has_value());
    EXPECT_FALSE(g.top_p.has_value());
    EXPECT_FALSE(g.repetition_penalty.has_value());
  }
}

TEST(GenerationConfig, BoundaryValuesAreAccepted) {
  GenerationConfig g = gen(R"({"temperature": 0, "top_p": 1, "top_k": 0, "min_p": 0,
                               "max_new_tokens": 0, "repetition_penalty": 1e-9})");
  EXPECT_EQ(g.temperature, 0.0);
  EXPECT_EQ(g.top_p, 1.0);
  EXPECT_EQ(g.top_k, 0);
  EXPECT_EQ(g.min_p, 0.0);
  EXPECT_EQ(g.max_new_tokens, 0);
  EXPECT_EQ(g.repetition_penalty, 1e-9);
  EXPECT_EQ(gen(R"({"top_p": 1e-300})").top_p, 1e-300);
}

TEST(GenerationConfig, OutOfRangeValuesNameTheField) {
  EXPECT_QEFF_ERROR(gen(R"({"temperature": -1})"), QEFF_E_CONFIG, "generation_config.json",
                    "field \"temperature\"", "= -1", "out of range", "must be >= 0");
  EXPECT_QEFF_ERROR(gen(R"({"temperature": -1e-300})"), QEFF_E_CONFIG, "field \"temperature\"");
  EXPECT_QEFF_ERROR(gen(R"({"temperature": 1e400})"), QEFF_E_CONFIG, "field \"temperature\"",
                    "a finite number");
  EXPECT_QEFF_ERROR(gen(R"({"top_p": 0})"), QEFF_E_CONFIG, "generation_config.json",
                    "field \"top_p\"", "= 0", "must be in (0, 1]");
  EXPECT_QEFF_ERROR(gen(R"({"top_p": 1.5})"), QEFF_E_CONFIG, "field \"top_p\"", "= 1.5",
                    "must be in (0, 1]");
  EXPECT_QEFF_ERROR(gen(R"({"top_p": -0.5})"), QEFF_E_CONFIG, "field \"top_p\"");
  EXPECT_QEFF_ERROR(gen(R"({"top_k": -1})"), QEFF_E_CONFIG, "field \"top_k\"", "= -1",
                    "out of range [0, 2147483647]");
  EXPECT_QEFF_ERROR(gen(R"({"top_k": 2.5})"), QEFF_E_CONFIG, "field \"top_k\"",
                    "must be an integer", "number 2.5");
  EXPECT_QEFF_ERROR(gen(R"({"repetition_penalty": 0})"), QEFF_E_CONFIG,
                    "field \"repetition_penalty\"", "= 0", "must be > 0");
  EXPECT_QEFF_ERROR(gen(R"({"repetition_penalty": -1.2})"), QEFF_E_CONFIG,
                    "field \"repetition_penalty\"", "must be > 0");
  EXPECT_QEFF_ERROR(gen(R"({"max_new_tokens": -5})"), QEFF_E_CONFIG, "field \"max_new_tokens\"",
                    "= -5", "out of range");
  EXPECT_QEFF_ERROR(gen(R"({"max_length": -1})"), QEFF_E_CONFIG, "field \"max_length\"",
                    "out of range");
  EXPECT_QEFF_ERROR(gen(R"({"min_p": 1.5})"), QEFF_E_CONFIG, "field \"min_p\"",
                    "must be in [0, 1]");
}

TEST(GenerationConfig, WrongTypesNameTheField) {
  EXPECT_QEFF_ERROR(gen(R"({"temperature": "0.7"})"), QEFF_E_CONFIG, "field \"temperature\"",
                    "must be a number", "string \"0.7\"");
  EXPECT_QEFF_ERROR(gen(R"({"do_sample": "yes"})"), QEFF_E_CONFIG, "field \"do_sample\"",
                    "true or false");
  EXPECT_QEFF_ERROR(gen(R"({"max_new_tokens": [5]})"), QEFF_E_CONFIG, "field \"max_new_tokens\"",
                    "must be an integer");
  EXPECT_QEFF_ERROR(gen(R"({"eos_token_id": [1, -2]})"), QEFF_E_CONFIG,
                    "field \"eos_token_id[1]\"", "out of range");
  EXPECT_EQ(gen(R"({"pad_token_id": [7, 8]})").pad_token_id, 7);
}

// ---------------------------------------------------------------------------
// tokenizer_config.json and special_tokens_map.json

TokenizerConfig tok(const std::string &text) {
  return qeff::hub::parse_tokenizer_config(doc(text, "tokenizer_config.json"));
}

TEST(TokenizerConfig, TokensAsStrings) {
  TokenizerConfig t = tok(R"({
    "bos_token": "<s>", "eos_token": "</s>", "pad_token": null, "unk_token": "<unk>",
    "add_bos_token": true, "add_eos_token": false, "model_max_length": 512,
    "padding_side": "left", "tokenizer_class": "LlamaTokenizer", "chat_template": "{{ x }}",
    "clean_up_tokenization_spaces": false
  })");
  EXPECT_EQ(t.bos_token, "<s>");
  EXPECT_EQ(t.eos_token, "</s>");
  EXPECT_EQ(t.pad_token, std::nullopt);
  EXPECT_EQ(t.unk_token, "<unk>");
  EXPECT_EQ(t.add_bos_token, true);
  EXPECT_EQ(t.add_eos_token, false);
  EXPECT_EQ(t.model_max_length, 512);
  EXPECT_EQ(t.padding_side, "left");
  EXPECT_EQ(t.tokenizer_class, "LlamaTokenizer");
  EXPECT_EQ(t.chat_template, "{{ x }}");
}

TEST(TokenizerConfig, Defaults) {
  TokenizerConfig t = tok("{}");
  EXPECT_FALSE(t.bos_token.has_value());
  EXPECT_FALSE(t.add_bos_token.has_value());
  EXPECT_FALSE(t.model_max_length.has_value());
  EXPECT_EQ(t.padding_side, "right");
  EXPECT_EQ(t.tokenizer_class, "");
  EXPECT_FALSE(t.chat_template.has_value());
}

TEST(TokenizerConfig, TokensAsAddedTokenObjects) {
  TokenizerConfig t = tok(R"({
    "bos_token": {"__type": "AddedToken", "content": "<|begin|>", "lstrip": false,
                  "normalized": true, "rstrip": false, "single_word": false},
    "eos_token": {"content": "<|end|>"}, "pad_token": "<pad>"
  })");
  EXPECT_EQ(t.bos_token, "<|begin|>");
  EXPECT_EQ(t.eos_token, "<|end|>");
  EXPECT_EQ(t.pad_token, "<pad>");
  EXPECT_QEFF_ERROR(tok(R"({"bos_token": {"lstrip": false}})"), QEFF_E_CONFIG,
                    "tokenizer_config.json", "field \"bos_token.content\"", "is missing");
  EXPECT_QEFF_ERROR(tok(R"({"eos_token": {"content": 5}})"), QEFF_E_CONFIG,
                    "field \"eos_token.content\"", "must be a string");
  EXPECT_QEFF_ERROR(tok(R"({"unk_token": 5})"), QEFF_E_CONFIG, "field \"unk_token\"",
                    "a string or a token object", "number 5");
  EXPECT_QEFF_ERROR(tok(R"({"pad_token": ["<pad>"]})"), QEFF_E_CONFIG, "field \"pad_token\"");
}

TEST(TokenizerConfig, ModelMaxLength) {
  EXPECT_EQ(tok(R"({"model_max_length": 512})").model_max_length, 512);
  EXPECT_EQ(tok(R"({"model_max_length": 512.0})").model_max_length, 512);
  EXPECT_EQ(tok(R"({"model_max_length": 1})").model_max_length, 1);
  // transformers' VERY_LARGE_INTEGER, written both ways: unlimited.
  EXPECT_EQ(tok(R"({"model_max_length": 1e30})").model_max_length, std::nullopt);
  EXPECT_EQ(tok(R"({"model_max_length": 1000000000000000019884624838656})").model_max_length,
            std::nullopt);
  EXPECT_EQ(tok(R"({"model_max_length": 1e400})").model_max_length, std::nullopt);
  EXPECT_EQ(tok(R"({"model_max_length": 9223372036854775807})").model_max_length, std::nullopt);
  EXPECT_EQ(tok(R"({"model_max_length": null})").model_max_length, std::nullopt);
  EXPECT_EQ(tok(R"({"model_max_length": 9000000000000000000})").model_max_length,
            INT64_C(9000000000000000000));
  EXPECT_QEFF_ERROR(tok(R"({"model_max_length": 0})"), QEFF_E_CONFIG, "tokenizer_config.json",
                    "field \"model_max_length\"", "must be >= 1", "number 0");
  EXPECT_QEFF_ERROR(tok(R"({"model_max_length": -1e400})"), QEFF_E_CONFIG,
                    "field \"model_max_length\"", "must be >= 1");
  EXPECT_QEFF_ERROR(tok(R"({"model_max_length": 512.5})"), QEFF_E_CONFIG,
                    "field \"model_max_length\"", "must be an integer", "512.5");
  EXPECT_QEFF_ERROR(tok(R"({"model_max_length": "512"})"), QEFF_E_CONFIG,
                    "field \"model_max_length\"", "must be a number", "string \"512\"");
}

TEST(TokenizerConfig, PaddingSide) {
  EXPECT_EQ(tok(R"({"padding_side": "right"})").padding_side, "right");
  EXPECT_EQ(tok(R"({"padding_side": null})").padding_side, "right");
  EXPECT_QEFF_ERROR(tok(R"({"padding_side": "up"})"), QEFF_E_CONFIG, "tokenizer_config.json",
                    "field \"padding_side\"", "must be \"left\" or \"right\"", "string \"up\"");
  EXPECT_QEFF_ERROR(tok(R"({"padding_side": "Left"})"), QEFF_E_CONFIG, "string \"Left\"");
  EXPECT_QEFF_ERROR(tok(R"({"padding_side": 1})"), QEFF_E_CONFIG, "field \"padding_side\"",
                    "must be a string");
}

TEST(TokenizerConfig, ChatTemplateStringAndListForms) {
  EXPECT_EQ(tok(R"({"chat_template": "{% for m in messages %}{{ m }}{% endfor %}"})").chat_template,
            "{% for m in messages %}{{ m }}{% endfor %}");
  TokenizerConfig t = tok(R"({"chat_template": [
      {"name": "tool_use", "template": "TOOLS"},
      {"name": "default", "template": "DEFAULT"},
      {"name": "rag", "template": "RAG"}]})");
  EXPECT_EQ(t.chat_template, "DEFAULT");
  EXPECT_EQ(tok(R"({"chat_template": [{"name": "rag", "template": "RAG"}]})").chat_template,
            std::nullopt);
  EXPECT_EQ(tok(R"({"chat_template": []})").chat_template, std::nullopt);
  EXPECT_EQ(tok(R"({"chat_template": null})").chat_template, std::nullopt);
  EXPECT_QEFF_ERROR(tok(R"({"chat_template": ["x"]})"), QEFF_E_CONFIG,
                    "field \"chat_template[0]\"", "an object {name, template}");
  EXPECT_QEFF_ERROR(tok(R"({"chat_template": [{"name": "default"}]})"), QEFF_E_CONFIG,
                    "field \"chat_template[0].template\"", "must be a string");
  EXPECT_QEFF_ERROR(tok(R"({"chat_template": [{"name": "default", "template": 3}]})"),
                    QEFF_E_CONFIG, "field \"chat_template[0].template\"");
  EXPECT_QEFF_ERROR(tok(R"({"chat_template": 5})"), QEFF_E_CONFIG, "field \"chat_template\"",
                    "a string or a list of {name, template}");
}

TEST(TokenizerConfig, MergeSpecialTokensMap) {
  TokenizerConfig t = tok(R"({"bos_token": "<s>", "pad_token": null})");
  JsonDocument map = doc(R"({"bos_token": "<BOS>", "eos_token": {"content": "</s>"},
                             "pad_token": "<pad>", "unk_token": "<unk>"})",
                         "special_tokens_map.json");
  qeff::hub::merge_special_tokens_map(t, map);
  EXPECT_EQ(t.bos_token, "<s>");  // tokenizer_config.json wins
  EXPECT_EQ(t.eos_token, "</s>");
  EXPECT_EQ(t.pad_token, "<pad>");
  EXPECT_EQ(t.unk_token, "<unk>");
  TokenizerConfig u = tok("{}");
  EXPECT_QEFF_ERROR(qeff::hub::merge_special_tokens_map(u, doc(R"({"eos_token": 1})", "special_tokens_map.json")),
                    QEFF_E_CONFIG, "special_tokens_map.json", "field \"eos_token\"");
  // A token already set is not read again from the map, even if the map's is bad.
  TokenizerConfig v = tok(R"({"eos_token": "</s>"})");
  EXPECT_NO_THROW(qeff::hub::merge_special_tokens_map(v, doc(R"({"eos_token": 1})", "special_tokens_map.json")));
  EXPECT_EQ(v.eos_token, "</s>");
}

// ---------------------------------------------------------------------------
// adapter_config.json

AdapterConfig adapter(const std::string &text) {
  return qeff::hub::parse_adapter_config(doc(text, "adapter_config.json"));
}

// A typical PEFT LoRA config, with the unsupported features present but unset.
const char kLora[] = R"({
  "peft_type": "LORA", "base_model_name_or_path": "meta-llama/Llama-3.2-1B", "r": 8,
  "lora_alpha": 16, "lora_dropout": 0.05, "target_modules": ["q_proj", "v_proj"],
  "bias": "none", "fan_in_fan_out": false, "task_type": "CAUSAL_LM", "use_dora": false,
  "use_rslora": false, "rank_pattern": {}, "alpha_pattern": {}, "modules_to_save": null,
  "layers_to_transform": null, "layers_pattern": null, "inference_mode": true
})";

std::string lora(const std::string &from, const std::string &to) {
  return qeff_test::replace(kLora, from, to);
}

TEST(AdapterConfig, ValidLora) {
  AdapterConfig a = adapter(kLora);
  EXPECT_EQ(a.base_model_name_or_path, "meta-llama/Llama-3.2-1B");
  EXPECT_EQ(a.r, 8);
  EXPECT_EQ(a.lora_alpha, 16.0);
  EXPECT_EQ(a.lora_dropout, 0.05);
  EXPECT_EQ(a.target_modules, (std::vector<std::string>{"q_proj", "v_proj"}));
  EXPECT_EQ(a.bias, "none");
  EXPECT_FALSE(a.fan_in_fan_out);
  EXPECT_EQ(a.scaling(), 2.0);
  // Minimal form.
  AdapterConfig m = adapter(R"({"peft_type":"LORA","r":4,"lora_alpha":8.5,"target_modules":["o_proj"]})");
  EXPECT_EQ(m.r, 4);
  EXPECT_EQ(m.lora_alpha, 8.5);
  EXPECT_EQ(m.base_model_name_or_path, "");
  EXPECT_EQ(m.bias, "none");
  // use_dora false (and null, and empty patterns) are accepted.
  EXPECT_NO_THROW(adapter(lora("\"use_dora\": false", "\"use_dora\": null")));
  EXPECT_NO_THROW(adapter(lora("\"modules_to_save\": null", "\"modules_to_save\": []")));
  EXPECT_NO_THROW(adapter(lora("\"layers_to_transform\": null", "\"layers_to_transform\": []")));
  EXPECT_TRUE(adapter(lora("\"fan_in_fan_out\": false", "\"fan_in_fan_out\": true")).fan_in_fan_out);
}

TEST(AdapterConfig, OtherPeftTypesAreUnsupported) {
  EXPECT_QEFF_ERROR(adapter(lora("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"")),
                    QEFF_E_UNSUPPORTED, "adapter_config.json", "field \"peft_type\"", "\"IA3\"",
                    "only LORA");
  EXPECT_QEFF_ERROR(adapter(lora("\"peft_type\": \"LORA\"", "\"peft_type\": \"lora\"")),
                    QEFF_E_UNSUPPORTED, "\"lora\"");
  EXPECT_QEFF_ERROR(adapter(lora("\"peft_type\": \"LORA\"", "\"peft_type\": \"ADALORA\"")),
                    QEFF_E_UNSUPPORTED, "\"ADALORA\"");
  EXPECT_QEFF_ERROR(adapter(lora("\"peft_type\": \"LORA\", ", "")), QEFF_E_CONFIG,
                    "field \"peft_type\"", "is missing");
  EXPECT_QEFF_ERROR(adapter(lora("\"peft_type\": \"LORA\"", "\"peft_type\": 1")), QEFF_E_CONFIG,
                    "field \"peft_type\"", "must be a string");
}

TEST(AdapterConfig, UnsupportedFeaturesNameTheField) {
  struct Case {
    const char *from, *to, *field, *value;
  };
  const Case cases[] = {
      {"\"use_dora\": false", "\"use_dora\": true", "field \"use_dora\"", "= true"},
      {"\"use_rslora\": false", "\"use_rslora\": true", "field \"use_rslora\"", "= true"},
      {"\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 4}", "field \"rank_pattern\"",
       "q_proj"},
      {"\"alpha_pattern\": {}", "\"alpha_pattern\": {\"v_proj\": 32}", "field \"alpha_pattern\"",
       "v_proj"},
      {"\"modules_to_save\": null", "\"modules_to_save\": [\"lm_head\"]",
       "field \"modules_to_save\"", "lm_head"},
      {"\"layers_to_transform\": null", "\"layers_to_transform\": [0, 1]",
       "field \"layers_to_transform\"", "[0,1]"},
      {"\"layers_to_transform\": null", "\"layers_to_transform\": 3",
       "field \"layers_to_transform\"", "= 3"},
      {"\"layers_to_transform\": null", "\"layers_to_transform\": 0",
       "field \"layers_to_transform\"", "= 0"},
      {"\"layers_pattern\": null", "\"layers_pattern\": \"layers\"", "field \"layers_pattern\"",
       "layers"},
      {"\"use_dora\": false", "\"use_dora\": \"false\"", "field \"use_dora\"", "\"false\""},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.to);
    EXPECT_QEFF_ERROR(adapter(lora(c.from, c.to)), QEFF_E_UNSUPPORTED, "adapter_config.json",
                      c.field, c.value, "not supported");
  }
}

TEST(AdapterConfig, RegexTargetModulesAreUnsupported) {
  EXPECT_QEFF_ERROR(
      adapter(lora("[\"q_proj\", \"v_proj\"]", "\".*decoder.*(SelfAttention|EncDecAttention).*(q|v)$\"")),
      QEFF_E_UNSUPPORTED, "adapter_config.json", "field \"target_modules\"",
      "regular expression");
  EXPECT_QEFF_ERROR(adapter(lora("[\"q_proj\", \"v_proj\"]", "\"all-linear\"")), QEFF_E_UNSUPPORTED,
                    "field \"target_modules\"");
  // A catastrophic pattern is rejected without being run.
  EXPECT_QEFF_ERROR(adapter(lora("[\"q_proj\", \"v_proj\"]", "\"(a+)+$\"")), QEFF_E_UNSUPPORTED,
                    "field \"target_modules\"");
}

TEST(AdapterConfig, TargetModulesErrors) {
  EXPECT_QEFF_ERROR(adapter(lora("[\"q_proj\", \"v_proj\"]", "[]")), QEFF_E_CONFIG,
                    "field \"target_modules\"", "is empty");
  EXPECT_QEFF_ERROR(adapter(lora("[\"q_proj\", \"v_proj\"]", "null")), QEFF_E_CONFIG,
                    "field \"target_modules\"", "is missing");
  EXPECT_QEFF_ERROR(adapter(lora("[\"q_proj\", \"v_proj\"]", "[\"q_proj\", 7]")), QEFF_E_CONFIG,
                    "field \"target_modules[1]\"", "must be a string");
  EXPECT_QEFF_ERROR(adapter(lora("[\"q_proj\", \"v_proj\"]", "{\"q_proj\": 1}")), QEFF_E_CONFIG,
                    "field \"target_modules\"", "an array of strings");
}

TEST(AdapterConfig, RankAndAlphaMustBePositive) {
  EXPECT_QEFF_ERROR(adapter(lora("\"r\": 8", "\"r\": 0")), QEFF_E_CONFIG, "adapter_config.json",
                    "field \"r\"", "must be >= 1, got 0");
  EXPECT_QEFF_ERROR(adapter(lora("\"r\": 8", "\"r\": -1")), QEFF_E_CONFIG, "field \"r\"",
                    "must be >= 1, got -1");
  EXPECT_QEFF_ERROR(adapter(lora("\"r\": 8", "\"r\": 8.5")), QEFF_E_CONFIG, "field \"r\"",
                    "must be an integer", "8.5");
  EXPECT_QEFF_ERROR(adapter(lora("\"r\": 8,", "")), QEFF_E_CONFIG, "field \"r\"", "is missing");
  EXPECT_QEFF_ERROR(adapter(lora("\"r\": 8", "\"r\": null")), QEFF_E_CONFIG, "field \"r\"",
                    "is missing");
  EXPECT_EQ(adapter(lora("\"r\": 8", "\"r\": 8.0")).r, 8);
  EXPECT_QEFF_ERROR(adapter(lora("\"lora_alpha\": 16", "\"lora_alpha\": 0")), QEFF_E_CONFIG,
                    "field \"lora_alpha\"", "must be > 0", "number 0");
  EXPECT_QEFF_ERROR(adapter(lora("\"lora_alpha\": 16", "\"lora_alpha\": -16")), QEFF_E_CONFIG,
                    "field \"lora_alpha\"", "must be > 0");
  EXPECT_QEFF_ERROR(adapter(lora("\"lora_alpha\": 16", "\"lora_alpha\": 1e400")), QEFF_E_CONFIG,
                    "field \"lora_alpha\"", "a finite number");
  EXPECT_QEFF_ERROR(adapter(lora("\"lora_alpha\": 16, ", "")), QEFF_E_CONFIG,
                    "field \"lora_alpha\"", "is missing");
  EXPECT_QEFF_ERROR(adapter(lora("\"lora_alpha\": 16", "\"lora_alpha\": \"16\"")), QEFF_E_CONFIG,
                    "field \"lora_alpha\"", "must be a number");
}

TEST(AdapterConfig, BiasOtherThanNoneIsUnsupported) {
  EXPECT_QEFF_ERROR(adapter(lora("\"bias\": \"none\"", "\"bias\": \"all\"")), QEFF_E_UNSUPPORTED,
                    "field \"bias\"", "\"all\"", "only \"none\"");
  EXPECT_QEFF_ERROR(adapter(lora("\"bias\": \"none\"", "\"bias\": \"lora_only\"")),
                    QEFF_E_UNSUPPORTED, "\"lora_only\"");
  EXPECT_EQ(adapter(lora("\"bias\": \"none\"", "\"bias\": null")).bias, "none");
}

// ---------------------------------------------------------------------------
// sentence-transformers

const char kTransformer[] =
    R"({"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"})";
const char kNormalize[] =
    R"({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})";

std::string pooling_module(const std::string &path) {
  return R"({"idx": 1, "name": "1", "path": ")" + path +
         R"(", "type": "sentence_transformers.models.Pooling"})";
}

std::string modules(std::initializer_list<std::string> items) {
  std::string s = "[";
  for (const auto &i : items) s += (s.size() > 1 ? ",\n" : "\n") + i;
  return s + "\n]";
}

std::string pooling_config(std::initializer_list<const char *> true_modes, const char *extra = "") {
  const char *all[] = {"pooling_mode_cls_token", "pooling_mode_mean_tokens",
                       "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                       "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};
  std::string s = "{\"word_embedding_dimension\": 32";
  for (const char *m : all) {
    bool on = false;
    for (const char *t : true_modes) on = on || std::string(t) == m;
    s += std::string(", \"") + m + "\": " + (on ? "true" : "false");
  }
  return s + extra + "}";
}

struct StDir {
  qeff_test::TempDir dir;
  qeff::hub::HubLimits limits;
  bool read(SentenceTransformersConfig *out) const {
    qeff::FileRoot root(qeff::canonical_directory(dir.str()));
    return qeff::hub::read_sentence_transformers(root, limits, out);
  }
  void write(const std::string &rel, const std::string &text) const {
    qeff_test::write_file(dir / rel, text);
  }
};

TEST(SentenceTransformers, MeanPoolingWithNormalize) {
  StDir d;
  d.write("modules.json", modules({kTransformer, pooling_module("1_Pooling"), kNormalize}));
  d.write("1_Pooling/config.json", pooling_config({"pooling_mode_mean_tokens"}));
  SentenceTransformersConfig c;
  c.pooling = PoolingMode::kMax;  // overwritten
  ASSERT_TRUE(d.read(&c));
  EXPECT_EQ(c.pooling, PoolingMode::kMean);
  EXPECT_TRUE(c.normalize);
  EXPECT_TRUE(c.include_prompt);
  EXPECT_EQ(c.embedding_dimension, 32);
  EXPECT_STREQ(qeff::hub::pooling_mode_name(c.pooling), "mean");
}

TEST(SentenceTransformers, ClsPoolingWithoutNormalize) {
  StDir d;
  d.write("modules.json", modules({kTransformer, pooling_module("1_Pooling")}));
  d.write("1_Pooling/config.json", pooling_config({"pooling_mode_cls_token"}));
  SentenceTransformersConfig c;
  c.normalize = true;  // reset by the reader
  ASSERT_TRUE(d.read(&c));
  EXPECT_EQ(c.pooling, PoolingMode::kCls);
  EXPECT_FALSE(c.normalize);
  EXPECT_STREQ(qeff::hub::pooling_mode_name(c.pooling), "cls");
}

TEST(SentenceTransformers, LastTokenPooling) {
  StDir d;
  d.write("modules.json", modules({kTransformer, pooling_module("pool"), kNormalize}));
  d.write("pool/config.json", pooling_config({"pooling_mode_lasttoken"}, ", \"include_prompt\": false"));
  SentenceTransformersConfig c;
  ASSERT_TRUE(d.read(&c));
  EXPECT_EQ(c.pooling, PoolingMode::kLastToken);
  EXPECT_TRUE(c.normalize);
  EXPECT_FALSE(c.include_prompt);
  EXPECT_STREQ(qeff::hub::pooling_mode_name(c.pooling), "last_token");
}

// sentence-transformers >= 5: one "pooling_mode" string and newer module paths.
TEST(SentenceTransformers, PoolingModeStringForm) {
  StDir d;
  d.write("modules.json",
          modules({R"({"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.Transformer"})",
                   pooling_module("1_Pooling"),
                   R"({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.Normalize"})"}));
  struct Case {
    const char *name;
    PoolingMode mode;
  };
  for (const Case &c : {Case{"mean", PoolingMode::kMean}, Case{"cls", PoolingMode::kCls},
                        Case{"max", PoolingMode::kMax}, Case{"lasttoken", PoolingMode::kLastToken},
                        Case{"weightedmean", PoolingMode::kWeightedMean},
                        Case{"mean_sqrt_len_tokens", PoolingMode::kMeanSqrtLen}}) {
    SCOPED_TRACE(c.name);
    d.write("1_Pooling/config.json",
            std::string("{\"pooling_mode\": \"") + c.name + "\", \"embedding_dimension\": 48}");
    SentenceTransformersConfig out;
    ASSERT_TRUE(d.read(&out));
    EXPECT_EQ(out.pooling, c.mode);
    EXPECT_TRUE(out.normalize);
    EXPECT_EQ(out.embedding_dimension, 48);
  }
  SentenceTransformersConfig out;
  d.write("1_Pooling/config.json", "{\"pooling_mode\": \"median\"}");
  EXPECT_QEFF_ERROR(d.read(&out), QEFF_E_UNSUPPORTED, "1_Pooling/config.json",
                    "field \"pooling_mode\"", "\"median\"", "not a supported pooling mode");
  d.write("1_Pooling/config.json", "{\"pooling_mode\": 1}");
  EXPECT_QEFF_ERROR(d.read(&out), QEFF_E_CONFIG, "field \"pooling_mode\"", "must be a string");
  // The string and a different boolean at once: two modes.
  d.write("1_Pooling/config.json", "{\"pooling_mode\": \"mean\", \"pooling_mode_cls_token\": true}");
  EXPECT_QEFF_ERROR(d.read(&out), QEFF_E_UNSUPPORTED, "several pooling modes");
  // A Pooling class from another package is not ours.
  d.write("1_Pooling/config.json", "{\"pooling_mode\": \"mean\"}");
  d.write("modules.json",
          modules({kTransformer,
                   R"({"idx": 1, "name": "1", "path": "1_Pooling", "type": "my_lib.models.Pooling"})"}));
  EXPECT_QEFF_ERROR(d.read(&out), QEFF_E_UNSUPPORTED, "field \"[1].type\"",
                    "\"my_lib.models.Pooling\"", "not supported");
}

TEST(SentenceTransformers, FixtureBertTiny) {
  qeff::FileRoot root(qeff::canonical_directory(qeff_test::fixtures_dir() + "/models/bert-tiny"));
  SentenceTransformersConfig c;
  ASSERT_TRUE(qeff::hub::read_sentence_transformers(root, {}, &c));
  EXPECT_EQ(c.pooling, PoolingMode::kMean);
  EXPECT_TRUE(c.normalize);
  EXPECT_EQ(c.embedding_dimension, 32);
}

TEST(SentenceTransformers, NoModulesJson) {
  StDir d;
  d.write("config.json", "{}");
  SentenceTransformersConfig c;
  c.pooling = PoolingMode::kMax;
  EXPECT_FALSE(d.read(&c));
  EXPECT_EQ(c.pooling, PoolingMode::kMax);  // untouched
}

TEST(SentenceTransformers, SeveralPoolingModesAreUnsupported) {
  StDir d;
  d.write("modules.json", modules({kTransformer, pooling_module("1_Pooling")}));
  d.write("1_Pooling/config.json",
          pooling_config({"pooling_mode_mean_tokens", "pooling_mode_max_tokens"}));
  SentenceTransformersConfig c;
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_UNSUPPORTED, "1_Pooling/config.json",
                    "several pooling modes");
}

TEST(SentenceTransformers, NoPoolingModeIsAConfigError) {
  StDir d;
  d.write("modules.json", modules({kTransformer, pooling_module("1_Pooling")}));
  d.write("1_Pooling/config.json", pooling_config({}));
  SentenceTransformersConfig c;
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_CONFIG, "1_Pooling/config.json",
                    "no pooling_mode_* field is true");
  d.write("1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": \"true\"}");
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_CONFIG, "field \"pooling_mode_mean_tokens\"",
                    "true or false");
  d.write("1_Pooling/config.json",
          pooling_config({"pooling_mode_mean_tokens"}, ", \"word_embedding_dimension\": \"32\""));
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_FORMAT, "duplicate key \"word_embedding_dimension\"");
}

TEST(SentenceTransformers, PoolingPathEscapingTheDirectory) {
  qeff_test::TempDir outside;
  qeff_test::write_file(outside / "config.json", pooling_config({"pooling_mode_mean_tokens"}));
  StDir d;
  d.write("modules.json", modules({kTransformer, pooling_module("../x")}));
  SentenceTransformersConfig c;
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_SECURITY, "\"../x/config.json\"");
  d.write("modules.json", modules({kTransformer, pooling_module(outside.str())}));
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_SECURITY, "unsafe file name");
  d.write("modules.json", modules({kTransformer, pooling_module("a/../../x")}));
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_SECURITY, "unsafe file name");
  // A symlinked pooling directory resolving outside is refused too.
  std::filesystem::create_directory_symlink(outside.path(), d.dir / "1_Pooling");
  d.write("modules.json", modules({kTransformer, pooling_module("1_Pooling")}));
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_SECURITY, "outside the model directory");
}

TEST(SentenceTransformers, PoolingPathMissingOrAbsent) {
  StDir d;
  d.write("modules.json", modules({kTransformer, pooling_module("")}));
  SentenceTransformersConfig c;
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_FORMAT, "modules.json", "field \"[1].path\"",
                    "is missing for the Pooling module");
  d.write("modules.json", modules({kTransformer, pooling_module("1_Pooling")}));
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_NOT_FOUND, "1_Pooling/config.json");
}

TEST(SentenceTransformers, DenseModuleIsUnsupported) {
  StDir d;
  d.write("modules.json",
          modules({kTransformer, pooling_module("1_Pooling"),
                   R"({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})",
                   kNormalize}));
  d.write("1_Pooling/config.json", pooling_config({"pooling_mode_mean_tokens"}));
  SentenceTransformersConfig c;
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_UNSUPPORTED, "modules.json", "field \"[2].type\"",
                    "\"sentence_transformers.models.Dense\"", "not supported");
}

TEST(SentenceTransformers, MalformedModulesJson) {
  StDir d;
  SentenceTransformersConfig c;
  d.write("modules.json", "{\"0\": {}}");
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_FORMAT, "modules.json", "must be an array of modules",
                    "an object");
  d.write("modules.json", "[1]");
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_FORMAT, "field \"[0]\"", "must be an object");
  d.write("modules.json", "[");
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_FORMAT, "modules.json", "line 1");
  d.write("modules.json", "[{\"path\": \"\"}]");
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_CONFIG, "field \"[0].type\"", "must be a string");
  d.write("modules.json", "");
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_FORMAT, "modules.json", "empty");
  d.limits.json.max_bytes = 8;
  d.write("modules.json", modules({kTransformer}));
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_LIMIT, "modules.json", "limits.json_bytes");
}

TEST(SentenceTransformers, ModulesJsonSymlinkOutsideIsRefused) {
  qeff_test::TempDir outside;
  qeff_test::write_file(outside / "modules.json", modules({kTransformer}));
  StDir d;
  std::filesystem::create_symlink(outside / "modules.json", d.dir / "modules.json");
  SentenceTransformersConfig c;
  EXPECT_QEFF_ERROR(d.read(&c), QEFF_E_SECURITY, "modules.json", "outside the model directory");
}

}  // namespace
