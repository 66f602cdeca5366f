// Unit tests: config.json semantics (src/hub/config.hpp parse_model_config).
// RELIABILITY.md B2 (14-16) and B3 (17-21): aliases across families, newer
// schema variants, wrong types, absurd sizes and inconsistent head counts.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "hub/architectures.hpp"
#include "hub/config.hpp"
#include "model_writer.hpp"
#include "qeff/qeff.h"
#include "unit_test.hpp"

namespace {

using qeff::JsonDocument;
using qeff::hub::ModelConfig;

constexpr int64_t kCap = 16777216;  // the default limits.config_dim

ModelConfig parse(const std::string &text, int64_t cap = kCap) {
  JsonDocument doc = JsonDocument::parse(text, qeff::JsonOrigin{"config.json"}, qeff::JsonLimits{});
  return qeff::hub::parse_model_config(doc, cap);
}

// An ordered set of top-level fields, each a raw JSON value.
using Fields = std::vector<std::pair<std::string, std::string>>;

const char kDrop[] = "<drop>";

std::string render(const Fields &fields) {
  std::string s = "{";
  for (const auto &[k, v] : fields) s += (s.size() > 1 ? ",\n" : "\n") + ("\"" + k + "\": " + v);
  return s + "\n}";
}

// `base` with each change applied: replace the value, append a new key, or
// remove the key when the value is kDrop.
std::string with(Fields base, std::initializer_list<std::pair<std::string, std::string>> changes) {
  for (const auto &[k, v] : changes) {
    auto it = base.begin();
    while (it != base.end() && it->first != k) ++it;
    if (v == kDrop) {
      if (it != base.end()) base.erase(it);
    } else if (it != base.end()) {
      it->second = v;
    } else {
      base.emplace_back(k, v);
    }
  }
  return render(base);
}

const Fields kLlama = {
    {"architectures", "[\"LlamaForCausalLM\"]"},
    {"model_type", "\"llama\""},
    {"vocab_size", "64"},
    {"hidden_size", "16"},
    {"intermediate_size", "32"},
    {"num_hidden_layers", "2"},
    {"num_attention_heads", "4"},
    {"num_key_value_heads", "2"},
    {"max_position_embeddings", "128"},
    {"rms_norm_eps", "1e-06"},
    {"rope_theta", "10000.0"},
    {"hidden_act", "\"silu\""},
    {"torch_dtype", "\"float32\""},
    {"bos_token_id", "1"},
    {"eos_token_id", "2"},
};

std::string llama(std::initializer_list<std::pair<std::string, std::string>> changes = {}) {
  return with(kLlama, changes);
}

// ---------------------------------------------------------------------------
// Fields and aliases

TEST(ModelConfig, LlamaFromTheTestWriter) {
  ModelConfig c = parse(qeff_test::llama_config({}));
  EXPECT_EQ(c.architectures, (std::vector<std::string>{"LlamaForCausalLM"}));
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  ASSERT_NE(c.arch, nullptr);
  EXPECT_STREQ(c.arch->name, "LlamaForCausalLM");
  EXPECT_STREQ(c.arch->family, "llama");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.vocab_size, 64);
  EXPECT_EQ(c.hidden_size, 16);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 4);
  EXPECT_EQ(c.intermediate_size, 32);
  EXPECT_EQ(c.max_position_embeddings, 128);
  EXPECT_EQ(c.type_vocab_size, std::nullopt);
  EXPECT_EQ(c.hidden_act, "silu");
  EXPECT_EQ(c.norm_eps, 1e-6);
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.rope_scaling.has_value());
  EXPECT_FALSE(c.partial_rotary_factor.has_value());
  EXPECT_FALSE(c.sliding_window.has_value());
  EXPECT_FALSE(c.attention_bias);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.torch_dtype, "float32");
  EXPECT_EQ(c.dtype, QEFF_DTYPE_F32);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{2}));
  EXPECT_EQ(c.pad_token_id, std::nullopt);
  EXPECT_FALSE(c.nested_text_config);
  EXPECT_TRUE(parse(qeff_test::llama_config({.tied = true})).tie_word_embeddings);
}

TEST(ModelConfig, KeyValueHeadsDefaultToAttentionHeads) {
  ModelConfig c = parse(llama({{"num_key_value_heads", kDrop}}));
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(parse(llama({{"num_key_value_heads", "null"}})).num_key_value_heads, 4);
  EXPECT_EQ(parse(llama({{"num_key_value_heads", "1"}})).num_key_value_heads, 1);
}

TEST(ModelConfig, Gpt2Aliases) {
  const char *gpt2 = R"({
    "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257,
    "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": null, "n_positions": 1024,
    "n_ctx": 1024, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05,
    "bos_token_id": 50256, "eos_token_id": 50256
  })";
  ModelConfig c = parse(gpt2);
  EXPECT_STREQ(c.arch->family, "gpt2");
  EXPECT_EQ(c.vocab_size, 50257);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.num_key_value_heads, 12);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.intermediate_size, 4 * 768);  // n_inner: null means 4 * hidden
  EXPECT_EQ(c.max_position_embeddings, 1024);
  EXPECT_EQ(c.hidden_act, "gelu_new");
  EXPECT_EQ(c.norm_eps, 1e-5);
  EXPECT_TRUE(c.tie_word_embeddings);  // GPT-2's default
  EXPECT_EQ(c.bos_token_id, 50256);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{50256}));
  // An explicit n_inner wins; absent means 4 * hidden too.
  std::string explicit_inner = qeff_test::replace(gpt2, "\"n_inner\": null", "\"n_inner\": 1000");
  EXPECT_EQ(parse(explicit_inner).intermediate_size, 1000);
  std::string no_inner = qeff_test::replace(gpt2, "\"n_inner\": null,", "");
  EXPECT_EQ(parse(no_inner).intermediate_size, 3072);
  // Wrong types through an alias name the alias.
  EXPECT_QEFF_ERROR(parse(qeff_test::replace(gpt2, "\"n_layer\": 12", "\"n_layer\": \"12\"")),
                    QEFF_E_CONFIG, "config.json", "field \"n_layer\"", "must be an integer",
                    "string \"12\"");
  EXPECT_QEFF_ERROR(parse(qeff_test::replace(gpt2, "\"n_inner\": null", "\"n_inner\": 0")),
                    QEFF_E_CONFIG, "field \"n_inner\"", "must be >= 1, got 0");
}

TEST(ModelConfig, DistilBertAliases) {
  const char *distil = R"({
    "architectures": ["DistilBertModel"], "model_type": "distilbert", "vocab_size": 30522,
    "dim": 768, "n_layers": 6, "n_heads": 12, "hidden_dim": 3072,
    "max_position_embeddings": 512, "activation": "gelu", "pad_token_id": 0
  })";
  ModelConfig c = parse(distil);
  EXPECT_STREQ(c.arch->family, "distilbert");
  EXPECT_EQ(c.arch->task, QEFF_TASK_EMBEDDING);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 6);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_EQ(c.hidden_act, "gelu");
  EXPECT_EQ(c.pad_token_id, 0);
  EXPECT_TRUE(c.tie_word_embeddings);
  // The first alias present wins over later ones.
  std::string both = qeff_test::replace(distil, "\"dim\": 768", "\"hidden_size\": 384, \"dim\": 768");
  EXPECT_EQ(parse(both).hidden_size, 384);
}

TEST(ModelConfig, IntermediateSizeRequiredOutsideGpt2) {
  EXPECT_QEFF_ERROR(parse(llama({{"intermediate_size", kDrop}})), QEFF_E_CONFIG, "config.json",
                    "field \"intermediate_size\"", "is missing (required)");
  EXPECT_QEFF_ERROR(parse(llama({{"intermediate_size", "null"}})), QEFF_E_CONFIG,
                    "field \"intermediate_size\"", "is missing");
}

TEST(ModelConfig, RequiredSizesMissing) {
  EXPECT_QEFF_ERROR(parse(llama({{"vocab_size", kDrop}})), QEFF_E_CONFIG,
                    "field \"vocab_size\" is missing (required)");
  EXPECT_QEFF_ERROR(parse(llama({{"hidden_size", kDrop}})), QEFF_E_CONFIG,
                    "field \"hidden_size\" is missing (required)");
  EXPECT_QEFF_ERROR(parse(llama({{"num_hidden_layers", "null"}})), QEFF_E_CONFIG,
                    "field \"num_hidden_layers\" is missing (required)");
  EXPECT_QEFF_ERROR(parse(llama({{"num_attention_heads", kDrop}})), QEFF_E_CONFIG,
                    "field \"num_attention_heads\" is missing (required)");
}

// ---------------------------------------------------------------------------
// Nested text_config (multimodal wrappers)

TEST(ModelConfig, NestedTextConfig) {
  const char *nested = R"({
    "architectures": ["LlamaForCausalLM"], "model_type": "llava",
    "text_config": {
      "vocab_size": 100, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 3,
      "num_attention_heads": 8, "num_key_value_heads": 4, "max_position_embeddings": 256,
      "tie_word_embeddings": true, "torch_dtype": "bfloat16", "eos_token_id": [7, 8],
      "rope_theta": 500000.0, "hidden_act": "silu"
    }
  })";
  ModelConfig c = parse(nested);
  EXPECT_TRUE(c.nested_text_config);
  EXPECT_EQ(c.vocab_size, 100);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.num_attention_heads, 8);
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim, 4);
  EXPECT_EQ(c.intermediate_size, 64);
  EXPECT_EQ(c.max_position_embeddings, 256);
  EXPECT_EQ(c.rope_theta, 500000.0);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.dtype, QEFF_DTYPE_BF16);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{7, 8}));
  // tie_word_embeddings and dtype: the top level wins over the nested ones.
  // vocab_size: the nested one wins, the top level fills in when it is absent.
  std::string top = qeff_test::replace(
      nested, "\"model_type\": \"llava\",",
      "\"model_type\": \"llava\", \"vocab_size\": 200, \"tie_word_embeddings\": false, "
      "\"torch_dtype\": \"float16\",");
  c = parse(top);
  EXPECT_EQ(c.vocab_size, 100);
  EXPECT_EQ(parse(qeff_test::replace(top, "\"vocab_size\": 100, ", "")).vocab_size, 200);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.dtype, QEFF_DTYPE_F16);
  // Errors inside name the nested path.
  EXPECT_QEFF_ERROR(parse(qeff_test::replace(nested, "\"num_hidden_layers\": 3", "\"num_hidden_layers\": \"3\"")),
                    QEFF_E_CONFIG, "field \"text_config.num_hidden_layers\"", "string \"3\"");
  EXPECT_QEFF_ERROR(parse(qeff_test::replace(nested, "\"hidden_size\": 32", "\"hidden_size\": 33")),
                    QEFF_E_CONFIG, "field \"text_config.hidden_size\"", "not divisible");
}

TEST(ModelConfig, TextConfigIgnoredWhenTopLevelHasSizes) {
  ModelConfig c = parse(llama({{"text_config", "{\"hidden_size\": 4096}"}}));
  EXPECT_FALSE(c.nested_text_config);
  EXPECT_EQ(c.hidden_size, 16);
  // Not an object, and needed.
  EXPECT_QEFF_ERROR(parse("{\"architectures\":[\"LlamaForCausalLM\"],\"text_config\":5}"),
                    QEFF_E_CONFIG, "field \"text_config\"", "must be an object", "number 5");
  // null is absent: the top level is then missing its sizes.
  EXPECT_QEFF_ERROR(parse("{\"architectures\":[\"LlamaForCausalLM\"],\"text_config\":null}"),
                    QEFF_E_CONFIG, "field \"vocab_size\" is missing");
}

// ---------------------------------------------------------------------------
// Rope

TEST(ModelConfig, RopeScalingLlama3) {
  ModelConfig c = parse(llama({{"rope_theta", "500000.0"},
                               {"rope_scaling",
                                R"({"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                   "original_max_position_embeddings": 8192, "rope_type": "llama3"})"}}));
  EXPECT_EQ(c.rope_theta, 500000.0);
  ASSERT_TRUE(c.rope_scaling.has_value());
  EXPECT_EQ(c.rope_scaling->type, "llama3");
  EXPECT_EQ(c.rope_scaling->factor, 8.0);
  EXPECT_EQ(c.rope_scaling->low_freq_factor, 1.0);
  EXPECT_EQ(c.rope_scaling->high_freq_factor, 4.0);
  EXPECT_EQ(c.rope_scaling->original_max_position_embeddings, 8192);
}

TEST(ModelConfig, RopeScalingLinearAndLegacyTypeKey) {
  ModelConfig c = parse(llama({{"rope_scaling", R"({"type": "linear", "factor": 2.0})"}}));
  ASSERT_TRUE(c.rope_scaling.has_value());
  EXPECT_EQ(c.rope_scaling->type, "linear");
  EXPECT_EQ(c.rope_scaling->factor, 2.0);
  EXPECT_FALSE(c.rope_scaling->low_freq_factor.has_value());
  EXPECT_FALSE(c.rope_scaling->original_max_position_embeddings.has_value());
  // rope_type wins over the legacy key when both are there.
  c = parse(llama({{"rope_scaling", R"({"type": "linear", "rope_type": "dynamic", "factor": 2})"}}));
  EXPECT_EQ(c.rope_scaling->type, "dynamic");
  // No factor: 1.
  EXPECT_EQ(parse(llama({{"rope_scaling", R"({"rope_type": "linear"})"}})).rope_scaling->factor, 1.0);
  // null is absent.
  EXPECT_FALSE(parse(llama({{"rope_scaling", "null"}})).rope_scaling.has_value());
}

TEST(ModelConfig, RopeScalingErrors) {
  EXPECT_QEFF_ERROR(parse(llama({{"rope_scaling", R"({"factor": 2.0})"}})), QEFF_E_CONFIG,
                    "field \"rope_scaling\"", "has no \"rope_type\" (or \"type\")");
  EXPECT_QEFF_ERROR(parse(llama({{"rope_scaling", "\"linear\""}})), QEFF_E_CONFIG,
                    "field \"rope_scaling\"", "must be an object", "string \"linear\"");
  EXPECT_QEFF_ERROR(parse(llama({{"rope_scaling", R"({"type": "linear", "factor": 0})"}})),
                    QEFF_E_CONFIG, "field \"rope_scaling.factor\"", "must be > 0", "number 0");
  EXPECT_QEFF_ERROR(parse(llama({{"rope_scaling", R"({"type": "linear", "factor": "2"})"}})),
                    QEFF_E_CONFIG, "field \"rope_scaling.factor\"", "must be a number");
  EXPECT_QEFF_ERROR(parse(llama({{"rope_scaling", R"({"type": 3})"}})), QEFF_E_CONFIG,
                    "field \"rope_scaling.type\"", "must be a string");
  EXPECT_QEFF_ERROR(
      parse(llama({{"rope_scaling", R"({"rope_type": "llama3", "factor": 8, "low_freq_factor": -1})"}})),
      QEFF_E_CONFIG, "field \"rope_scaling.low_freq_factor\"", "must be > 0");
  EXPECT_QEFF_ERROR(
      parse(llama({{"rope_scaling",
                    R"({"rope_type": "llama3", "factor": 8, "original_max_position_embeddings": 0})"}})),
      QEFF_E_CONFIG, "field \"rope_scaling.original_max_position_embeddings\"", "out of range");
  EXPECT_QEFF_ERROR(parse(llama({{"rope_theta", "0"}})), QEFF_E_CONFIG, "field \"rope_theta\"",
                    "must be > 0");
  EXPECT_QEFF_ERROR(parse(llama({{"rope_theta", "1e400"}})), QEFF_E_CONFIG, "field \"rope_theta\"",
                    "a finite number");
}

TEST(ModelConfig, RopeParameters) {
  ModelConfig c = parse(llama({{"rope_theta", kDrop},
                               {"rope_parameters", R"({"rope_type": "default", "rope_theta": 500000.0})"}}));
  EXPECT_EQ(c.rope_theta, 500000.0);
  EXPECT_FALSE(c.rope_scaling.has_value());
  c = parse(llama({{"rope_theta", kDrop},
                   {"rope_parameters",
                    R"({"rope_type": "yarn", "factor": 4.0, "rope_theta": 1000000.0,
                        "original_max_position_embeddings": 32768})"}}));
  EXPECT_EQ(c.rope_theta, 1000000.0);
  ASSERT_TRUE(c.rope_scaling.has_value());
  EXPECT_EQ(c.rope_scaling->type, "yarn");
  EXPECT_EQ(c.rope_scaling->factor, 4.0);
  EXPECT_EQ(c.rope_scaling->original_max_position_embeddings, 32768);
  // Without a theta anywhere: the default.
  c = parse(llama({{"rope_theta", kDrop}, {"rope_parameters", R"({"rope_type": "default"})"}}));
  EXPECT_EQ(c.rope_theta, 10000.0);
  EXPECT_QEFF_ERROR(parse(llama({{"rope_parameters", "[1]"}})), QEFF_E_CONFIG,
                    "field \"rope_parameters\"", "must be an object");
  EXPECT_QEFF_ERROR(parse(llama({{"rope_parameters", R"({"rope_type": "default", "rope_theta": -1})"}})),
                    QEFF_E_CONFIG, "field \"rope_parameters.rope_theta\"", "must be > 0");
  EXPECT_QEFF_ERROR(
      parse(llama({{"rope_parameters", R"({"rope_type": "linear", "factor": -2})"}})),
      QEFF_E_CONFIG, "field \"rope_parameters.factor\"", "must be > 0");
}

TEST(ModelConfig, PartialRotaryFactor) {
  EXPECT_EQ(parse(llama({{"partial_rotary_factor", "0.5"}})).partial_rotary_factor, 0.5);
  EXPECT_EQ(parse(llama({{"partial_rotary_factor", "1"}})).partial_rotary_factor, 1.0);
  EXPECT_QEFF_ERROR(parse(llama({{"partial_rotary_factor", "1.5"}})), QEFF_E_CONFIG,
                    "field \"partial_rotary_factor\"", "must be <= 1");
  EXPECT_QEFF_ERROR(parse(llama({{"partial_rotary_factor", "0"}})), QEFF_E_CONFIG,
                    "field \"partial_rotary_factor\"", "must be > 0");
}

// ---------------------------------------------------------------------------
// dtype, token ids, sliding window

TEST(ModelConfig, DtypeAndTorchDtype) {
  ModelConfig c = parse(llama({{"dtype", "\"bfloat16\""}}));  // torch_dtype float32 is also there
  EXPECT_EQ(c.torch_dtype, "bfloat16");
  EXPECT_EQ(c.dtype, QEFF_DTYPE_BF16);
  c = parse(llama({{"torch_dtype", kDrop}, {"dtype", "\"float16\""}}));
  EXPECT_EQ(c.dtype, QEFF_DTYPE_F16);
  c = parse(llama({{"torch_dtype", "\"float64\""}}));
  EXPECT_EQ(c.dtype, QEFF_DTYPE_F64);
  c = parse(llama({{"torch_dtype", "\"int8\""}}));
  EXPECT_EQ(c.torch_dtype, "int8");
  EXPECT_EQ(c.dtype, QEFF_DTYPE_UNKNOWN);
  c = parse(llama({{"torch_dtype", kDrop}}));
  EXPECT_EQ(c.torch_dtype, "");
  EXPECT_EQ(c.dtype, QEFF_DTYPE_UNKNOWN);
  c = parse(llama({{"torch_dtype", "null"}, {"dtype", "null"}}));
  EXPECT_EQ(c.dtype, QEFF_DTYPE_UNKNOWN);
  EXPECT_QEFF_ERROR(parse(llama({{"torch_dtype", "32"}})), QEFF_E_CONFIG, "field \"torch_dtype\"",
                    "must be a string", "number 32");
  EXPECT_QEFF_ERROR(parse(llama({{"dtype", "[\"bfloat16\"]"}})), QEFF_E_CONFIG, "field \"dtype\"",
                    "must be a string");
}

TEST(ModelConfig, EosTokenIdIntOrList) {
  EXPECT_EQ(parse(llama({{"eos_token_id", "128001"}})).eos_token_ids, (std::vector<int64_t>{128001}));
  EXPECT_EQ(parse(llama({{"eos_token_id", "[128001, 128008, 128009]"}})).eos_token_ids,
            (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_TRUE(parse(llama({{"eos_token_id", "null"}})).eos_token_ids.empty());
  EXPECT_TRUE(parse(llama({{"eos_token_id", kDrop}})).eos_token_ids.empty());
  EXPECT_TRUE(parse(llama({{"eos_token_id", "[]"}})).eos_token_ids.empty());
  EXPECT_EQ(parse(llama({{"bos_token_id", "[5, 6]"}})).bos_token_id, 5);
  EXPECT_EQ(parse(llama({{"bos_token_id", "null"}})).bos_token_id, std::nullopt);
  EXPECT_QEFF_ERROR(parse(llama({{"eos_token_id", "\"2\""}})), QEFF_E_CONFIG,
                    "field \"eos_token_id\"", "must be an integer", "string \"2\"");
  EXPECT_QEFF_ERROR(parse(llama({{"eos_token_id", "[1, \"x\"]"}})), QEFF_E_CONFIG,
                    "field \"eos_token_id[1]\"", "string \"x\"");
  EXPECT_QEFF_ERROR(parse(llama({{"eos_token_id", "-5"}})), QEFF_E_CONFIG, "field \"eos_token_id\"",
                    "out of range");
  EXPECT_QEFF_ERROR(parse(llama({{"eos_token_id", "4294967296"}})), QEFF_E_CONFIG,
                    "field \"eos_token_id\"", "out of range [0, 2147483647]");
}

TEST(ModelConfig, PadTokenId) {
  EXPECT_EQ(parse(llama({{"pad_token_id", "-1"}})).pad_token_id, std::nullopt);
  EXPECT_EQ(parse(llama({{"pad_token_id", "null"}})).pad_token_id, std::nullopt);
  EXPECT_EQ(parse(llama({{"pad_token_id", "0"}})).pad_token_id, 0);
  EXPECT_EQ(parse(llama({{"pad_token_id", "5"}})).pad_token_id, 5);
  EXPECT_QEFF_ERROR(parse(llama({{"pad_token_id", "-2"}})), QEFF_E_CONFIG, "field \"pad_token_id\"",
                    "out of range");
  EXPECT_QEFF_ERROR(parse(llama({{"pad_token_id", "\"<pad>\""}})), QEFF_E_CONFIG,
                    "field \"pad_token_id\"", "must be an integer");
}

TEST(ModelConfig, SlidingWindow) {
  EXPECT_EQ(parse(llama({{"sliding_window", "4096"}})).sliding_window, 4096);
  EXPECT_EQ(parse(llama({{"sliding_window", "4096"}, {"use_sliding_window", "true"}})).sliding_window,
            4096);
  EXPECT_EQ(parse(llama({{"sliding_window", "4096"}, {"use_sliding_window", "false"}})).sliding_window,
            std::nullopt);
  EXPECT_EQ(parse(llama({{"sliding_window", "null"}})).sliding_window, std::nullopt);
  EXPECT_EQ(parse(llama({{"sliding_window", "null"}, {"use_sliding_window", "true"}})).sliding_window,
            std::nullopt);
  EXPECT_QEFF_ERROR(parse(llama({{"sliding_window", "-1"}})), QEFF_E_CONFIG,
                    "field \"sliding_window\"", "must be >= 1");
  EXPECT_QEFF_ERROR(parse(llama({{"sliding_window", "4096"}, {"use_sliding_window", "\"no\""}})),
                    QEFF_E_CONFIG, "field \"use_sliding_window\"", "true or false");
}

// ---------------------------------------------------------------------------
// Architectures and tie defaults

TEST(ModelConfig, TieDefaultsPerArchitecture) {
  EXPECT_FALSE(parse(llama({{"tie_word_embeddings", kDrop}})).tie_word_embeddings);
  EXPECT_FALSE(parse(llama({{"tie_word_embeddings", "null"}})).tie_word_embeddings);
  EXPECT_TRUE(parse(llama({{"tie_word_embeddings", "true"}})).tie_word_embeddings);
  auto arch = [](const char *name) {
    return parse(llama({{"architectures", std::string("[\"") + name + "\"]"}}));
  };
  EXPECT_TRUE(arch("GemmaForCausalLM").tie_word_embeddings);
  EXPECT_TRUE(arch("Gemma2ForCausalLM").tie_word_embeddings);
  EXPECT_FALSE(arch("Qwen2ForCausalLM").tie_word_embeddings);
  EXPECT_FALSE(arch("MistralForCausalLM").tie_word_embeddings);
  EXPECT_TRUE(arch("GPT2LMHeadModel").tie_word_embeddings);
  EXPECT_TRUE(arch("BertModel").tie_word_embeddings);
  // Explicit values beat the default.
  EXPECT_FALSE(parse(llama({{"architectures", "[\"GemmaForCausalLM\"]"}, {"tie_word_embeddings", "false"}}))
                   .tie_word_embeddings);
  EXPECT_QEFF_ERROR(parse(llama({{"tie_word_embeddings", "\"true\""}})), QEFF_E_CONFIG,
                    "field \"tie_word_embeddings\"", "true or false", "string \"true\"");
  EXPECT_QEFF_ERROR(parse(llama({{"tie_word_embeddings", "1"}})), QEFF_E_CONFIG,
                    "field \"tie_word_embeddings\"", "true or false");
}

TEST(ModelConfig, MissingArchitecturesIsUnsupportedListingSupported) {
  for (const char *archs : {kDrop, "null", "[]"}) {
    SCOPED_TRACE(archs);
    EXPECT_QEFF_ERROR(parse(llama({{"architectures", archs}})), QEFF_E_UNSUPPORTED, "config.json",
                      "no \"architectures\" entry", "model_type \"llama\"",
                      "supported architectures:", "LlamaForCausalLM", "GPT2LMHeadModel", "BertModel");
  }
  EXPECT_QEFF_ERROR(parse(llama({{"architectures", kDrop}, {"model_type", kDrop}})),
                    QEFF_E_UNSUPPORTED, "no \"architectures\" entry; supported");
}

TEST(ModelConfig, UnknownArchitectureIsUnsupportedListingSupported) {
  try {
    parse(llama({{"architectures", "[\"FooForCausalLM\"]"}}));
    ADD_FAILURE() << "no error";
  } catch (const qeff::Error &e) {
    EXPECT_EQ(e.status(), QEFF_E_UNSUPPORTED) << e.what();
    std::string m = e.what();
    EXPECT_NE(m.find("architecture \"FooForCausalLM\" is not supported"), std::string::npos) << m;
    for (const auto &a : qeff::hub::architectures())
      EXPECT_NE(m.find(a.name), std::string::npos) << "message lacks " << a.name << ": " << m;
  }
  // Only the first entry counts.
  EXPECT_QEFF_ERROR(parse(llama({{"architectures", "[\"FooModel\", \"LlamaForCausalLM\"]"}})),
                    QEFF_E_UNSUPPORTED, "\"FooModel\"");
  // Case matters.
  EXPECT_QEFF_ERROR(parse(llama({{"architectures", "[\"llamaforcausallm\"]"}})), QEFF_E_UNSUPPORTED,
                    "\"llamaforcausallm\"", "LlamaForCausalLM");
  // Hostile text is quoted.
  EXPECT_QEFF_ERROR(parse(llama({{"architectures", "[\"Bad\\nName\"]"}})), QEFF_E_UNSUPPORTED,
                    "\"Bad\\x0aName\"");
}

TEST(ModelConfig, ArchitecturesOfTheWrongType) {
  EXPECT_QEFF_ERROR(parse(llama({{"architectures", "\"LlamaForCausalLM\""}})), QEFF_E_CONFIG,
                    "field \"architectures\"", "an array of strings", "string \"LlamaForCausalLM\"");
  EXPECT_QEFF_ERROR(parse(llama({{"architectures", "[5]"}})), QEFF_E_CONFIG,
                    "field \"architectures[0]\"", "must be a string", "number 5");
  EXPECT_QEFF_ERROR(parse(llama({{"model_type", "5"}})), QEFF_E_CONFIG, "field \"model_type\"",
                    "must be a string");
}

// ---------------------------------------------------------------------------
// Wrong types and bad sizes (B2.15, B3.18-19)

TEST(ModelConfig, WrongTypesNameKeyAndExpectedType) {
  struct Case {
    const char *value;
    const char *shown;
  };
  for (const Case &c : {Case{"\"32\"", "string \"32\""}, Case{"true", "got true"},
                        Case{"32.5", "number 32.5"}, Case{"[32]", "an array"},
                        Case{"{}", "an object"}, Case{"false", "got false"}}) {
    SCOPED_TRACE(c.value);
    EXPECT_QEFF_ERROR(parse(llama({{"num_hidden_layers", c.value}})), QEFF_E_CONFIG, "config.json",
                      "field \"num_hidden_layers\"", "must be an integer", c.shown);
  }
  EXPECT_QEFF_ERROR(parse(llama({{"hidden_act", "5"}})), QEFF_E_CONFIG, "field \"hidden_act\"",
                    "must be a string", "number 5");
  EXPECT_QEFF_ERROR(parse(llama({{"rms_norm_eps", "\"1e-6\""}})), QEFF_E_CONFIG,
                    "field \"rms_norm_eps\"", "must be a number");
  EXPECT_QEFF_ERROR(parse(llama({{"rms_norm_eps", "0"}})), QEFF_E_CONFIG, "field \"rms_norm_eps\"",
                    "must be > 0");
  EXPECT_QEFF_ERROR(parse(llama({{"attention_bias", "1"}})), QEFF_E_CONFIG,
                    "field \"attention_bias\"", "true or false");
  EXPECT_QEFF_ERROR(parse(llama({{"vocab_size", "1e400"}})), QEFF_E_CONFIG, "field \"vocab_size\"",
                    "must be an integer", "inf");
  EXPECT_QEFF_ERROR(parse(llama({{"vocab_size", "-1e400"}})), QEFF_E_CONFIG, "field \"vocab_size\"");
}

TEST(ModelConfig, IntegralFloatsAreAccepted) {
  ModelConfig c = parse(llama({{"num_hidden_layers", "32.0"}, {"hidden_size", "16.0"},
                               {"vocab_size", "6.4e1"}, {"attention_bias", "true"}}));
  EXPECT_EQ(c.num_hidden_layers, 32);
  EXPECT_EQ(c.hidden_size, 16);
  EXPECT_EQ(c.vocab_size, 64);
  EXPECT_TRUE(c.attention_bias);
}

TEST(ModelConfig, NonPositiveSizesAreConfigErrors) {
  EXPECT_QEFF_ERROR(parse(llama({{"num_hidden_layers", "0"}})), QEFF_E_CONFIG, "config.json",
                    "field \"num_hidden_layers\"", "must be >= 1, got 0");
  EXPECT_QEFF_ERROR(parse(llama({{"hidden_size", "-1"}})), QEFF_E_CONFIG, "field \"hidden_size\"",
                    "must be >= 1, got -1");
  EXPECT_QEFF_ERROR(parse(llama({{"vocab_size", "0"}})), QEFF_E_CONFIG, "field \"vocab_size\"",
                    "must be >= 1");
  EXPECT_QEFF_ERROR(parse(llama({{"num_attention_heads", "0"}})), QEFF_E_CONFIG,
                    "field \"num_attention_heads\"", "must be >= 1");
  EXPECT_QEFF_ERROR(parse(llama({{"num_key_value_heads", "0"}})), QEFF_E_CONFIG,
                    "field \"num_key_value_heads\"", "must be >= 1");
  EXPECT_QEFF_ERROR(parse(llama({{"intermediate_size", "-4"}})), QEFF_E_CONFIG,
                    "field \"intermediate_size\"", "must be >= 1, got -4");
  EXPECT_QEFF_ERROR(parse(llama({{"max_position_embeddings", "0"}})), QEFF_E_CONFIG,
                    "field \"max_position_embeddings\"", "must be >= 1, got 0");
  EXPECT_QEFF_ERROR(parse(llama({{"hidden_size", "-9223372036854775808"}})), QEFF_E_CONFIG,
                    "field \"hidden_size\"", "must be >= 1");
  EXPECT_EQ(parse(llama({{"max_position_embeddings", kDrop}})).max_position_embeddings, std::nullopt);
}

TEST(ModelConfig, AbsurdSizesAreLimitErrors) {
  EXPECT_QEFF_ERROR(parse(llama({{"vocab_size", "1099511627776"}})), QEFF_E_LIMIT, "config.json",
                    "field \"vocab_size\"", "= 1099511627776", "exceeds limits.config_dim = 16777216");
  EXPECT_QEFF_ERROR(parse(llama({{"intermediate_size", "4611686018427387904"}})), QEFF_E_LIMIT,
                    "field \"intermediate_size\"", "exceeds limits.config_dim = 16777216");
  EXPECT_QEFF_ERROR(parse(llama({{"num_hidden_layers", "1e300"}})), QEFF_E_LIMIT,
                    "field \"num_hidden_layers\"", "limits.config_dim");
  EXPECT_QEFF_ERROR(parse(llama({{"max_position_embeddings", "1000000000000000019884624838656"}})),
                    QEFF_E_LIMIT, "field \"max_position_embeddings\"", "limits.config_dim");
  // Exactly at the cap is fine; one more is not.
  EXPECT_EQ(parse(llama({{"vocab_size", "16777216"}})).vocab_size, 16777216);
  EXPECT_QEFF_ERROR(parse(llama({{"vocab_size", "16777217"}})), QEFF_E_LIMIT, "field \"vocab_size\"");
  // The cap is the caller's.
  EXPECT_QEFF_ERROR(parse(llama(), 32), QEFF_E_LIMIT, "field \"vocab_size\"", "= 64",
                    "limits.config_dim = 32");
  EXPECT_EQ(parse(llama(), 128).vocab_size, 64);
}

TEST(ModelConfig, SizeProductsUseCheckedArithmetic) {
  // With no per-dimension cap, vocab * hidden would wrap int64.
  std::string big = llama({{"vocab_size", "4294967296"}, {"hidden_size", "4294967296"}});
  EXPECT_QEFF_ERROR(parse(big, INT64_MAX), QEFF_E_LIMIT, "config.json", "overflow 64-bit arithmetic",
                    "vocab 4294967296", "hidden 4294967296");
  std::string layers = llama({{"vocab_size", "1073741824"}, {"hidden_size", "1073741824"},
                              {"num_hidden_layers", "9223372036854775000"}});
  EXPECT_QEFF_ERROR(parse(layers, INT64_MAX), QEFF_E_LIMIT, "overflow 64-bit arithmetic");
}

TEST(ModelConfig, HeadDivisibility) {
  EXPECT_QEFF_ERROR(parse(llama({{"hidden_size", "18"}})), QEFF_E_CONFIG, "config.json",
                    "field \"hidden_size\"", "hidden size 18 is not divisible by num_attention_heads = 4",
                    "no head_dim");
  // An explicit head_dim makes it fine (Gemma: 8 heads * 256 != 3072).
  ModelConfig c = parse(llama({{"hidden_size", "18"}, {"head_dim", "8"}}));
  EXPECT_EQ(c.hidden_size, 18);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(parse(llama({{"head_dim", "32"}})).head_dim, 32);
  // null head_dim is absent.
  EXPECT_QEFF_ERROR(parse(llama({{"hidden_size", "18"}, {"head_dim", "null"}})), QEFF_E_CONFIG,
                    "not divisible");
  EXPECT_QEFF_ERROR(parse(llama({{"head_dim", "0"}})), QEFF_E_CONFIG, "field \"head_dim\"",
                    "must be >= 1");
  // Through an alias, the alias is named.
  EXPECT_QEFF_ERROR(
      parse(R"({"architectures":["GPT2LMHeadModel"],"vocab_size":10,"n_embd":10,"n_layer":1,"n_head":3})"),
      QEFF_E_CONFIG, "field \"n_embd\"", "hidden size 10 is not divisible by num_attention_heads = 3");
}

TEST(ModelConfig, KeyValueHeadDivisibility) {
  EXPECT_QEFF_ERROR(parse(llama({{"num_key_value_heads", "3"}})), QEFF_E_CONFIG, "config.json",
                    "field \"num_key_value_heads\"",
                    "num_attention_heads = 4 is not a multiple of num_key_value_heads = 3");
  EXPECT_QEFF_ERROR(parse(llama({{"num_key_value_heads", "8"}})), QEFF_E_CONFIG,
                    "not a multiple of num_key_value_heads = 8");
  EXPECT_EQ(parse(llama({{"num_key_value_heads", "4"}})).num_key_value_heads, 4);
}

TEST(ModelConfig, ReadIdList) {
  JsonDocument d = JsonDocument::parse(R"({"a": 3, "b": [1, 2], "c": null, "d": "x"})",
                                       qeff::JsonOrigin{"x.json"}, qeff::JsonLimits{});
  EXPECT_EQ(qeff::hub::read_id_list(d.root(), "a"), (std::vector<int64_t>{3}));
  EXPECT_EQ(qeff::hub::read_id_list(d.root(), "b"), (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(qeff::hub::read_id_list(d.root(), "c").empty());
  EXPECT_TRUE(qeff::hub::read_id_list(d.root(), "missing").empty());
  EXPECT_QEFF_ERROR(qeff::hub::read_id_list(d.root(), "d"), QEFF_E_CONFIG, "x.json", "field \"d\"");
}

}  // namespace
