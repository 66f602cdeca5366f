// Helpers of the causal-LM API tests: the fixtures' PyTorch references
// (tests/fixtures/reference/<name>.json: logits of a prompt, greedy
// generations) and a raw prefill/decode driver over qeff_session_run. Only the
// C ABI is used.
#pragma once

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "embed_test.hpp"

namespace lm_test {

using namespace embed_test;

// Every causal-LM fixture.
inline const std::vector<std::string> &lm_fixtures() {
  static const std::vector<std::string> names = {
      "llama-tiny",   "llama3-tiny",   "llama-dynamic-tiny", "mistral-tiny", "qwen2-tiny",  "qwen3-tiny",
      "gemma-tiny",   "gemma2-tiny",   "phi3-tiny",          "gpt2-tiny",    "granite-tiny", "olmo2-tiny",
      "starcoder2-tiny"};
  return names;
}

// The pre-quantized int4 checkpoints (tests/fixtures/README.md).
inline const std::vector<std::string> &int4_fixtures() {
  static const std::vector<std::string> names = {"llama-tiny-awq", "llama-tiny-gptq", "qwen2-tiny-ct"};
  return names;
}

inline bool fixture_exists(const std::string &name) {
  std::ifstream f(qeff_test::fixtures_dir() + "/reference/" + name + ".json");
  return f.good();
}

struct LmReference {
  std::vector<int32_t> logits_ids;        // the logits prompt
  std::vector<float> logits;              // [len, vocab]
  int64_t vocab = 0;
  std::vector<int32_t> single_ids, single_new;  // generate_single
  std::string single_text;
  std::vector<std::string> batch_prompts;
  std::vector<std::vector<int32_t>> batch_ids;  // unpadded
  std::vector<std::vector<int32_t>> batch_new;  // each row generated alone
  std::vector<int64_t> eos;
  int64_t max_new_tokens = 0;

  explicit LmReference(const std::string &name) {
    std::ifstream f(qeff_test::fixtures_dir() + "/reference/" + name + ".json");
    std::stringstream ss;
    ss << f.rdbuf();
    cJSON *root = cJSON_Parse(ss.str().c_str());
    if (root == nullptr) throw std::runtime_error("cannot parse the reference of " + name);
    auto get = [](const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); };
    auto ints = [](const cJSON *a) {
      std::vector<int32_t> v;
      for (const cJSON *x = a ? a->child : nullptr; x; x = x->next) v.push_back(x->valueint);
      return v;
    };
    const cJSON *l = get(root, "logits");
    logits_ids = ints(get(l, "input_ids"));
    logits = Reference::floats(get(l, "logits"));
    vocab = cJSON_GetArrayItem(get(get(l, "logits"), "shape"), 1)->valueint;
    const cJSON *s = get(root, "generate_single");
    single_ids = ints(get(s, "input_ids"));
    single_new = ints(get(s, "new_token_ids"));
    single_text = get(s, "new_text")->valuestring;
    max_new_tokens = get(s, "max_new_tokens")->valueint;
    const cJSON *b = get(root, "generate_batch");
    for (const cJSON *p = get(b, "prompts")->child; p; p = p->next) batch_prompts.emplace_back(p->valuestring);
    // Each row alone equals the batch for every fixture but dynamic NTK
    // rope, where HF's base depends on the whole batch (as qeff's does).
    const bool alone = cJSON_IsTrue(get(b, "batch_matches_individual"));
    for (const cJSON *r = get(b, alone ? "each_row_generated_alone_new_token_ids" : "new_token_ids")->child; r;
         r = r->next)
      batch_new.push_back(ints(r));
    for (const cJSON *p = get(root, "prompts")->child; p; p = p->next)
      for (const std::string &bp : batch_prompts)
        if (bp == get(p, "text")->valuestring && cJSON_IsTrue(get(p, "add_special_tokens")) &&
            batch_ids.size() < batch_prompts.size())
          batch_ids.push_back(ints(get(p, "ids")));
    const cJSON *e = get(get(root, "special_token_ids"), "eos_token_id");
    if (cJSON_IsArray(e))
      for (const cJSON *x = e->child; x; x = x->next) eos.push_back(x->valueint);
    else if (cJSON_IsNumber(e))
      eos.push_back(e->valueint);
    cJSON_Delete(root);
  }

  // Generated ids up to and including the first EOS (HF pads after it).
  std::vector<int32_t> until_eos(const std::vector<int32_t> &ids) const {
    std::vector<int32_t> out;
    for (int32_t id : ids) {
      out.push_back(id);
      if (std::find(eos.begin(), eos.end(), id) != eos.end()) break;
    }
    return out;
  }
};

// reference/quantized/<name>.json: the logits of the PyTorch model with
// fake-quantized weights (tests/fixtures/fixturegen/quantized.py), one mode.
struct QuantizedReference {
  std::vector<int32_t> input_ids;
  std::vector<float> logits;  // positions x vocab
  double min_cosine_to_fp32 = 0;
  int argmax_agreement = 0;

  QuantizedReference(const std::string &name, const std::string &mode) {
    std::ifstream f(qeff_test::fixtures_dir() + "/reference/quantized/" + name + ".json");
    std::stringstream ss;
    ss << f.rdbuf();
    cJSON *root = cJSON_Parse(ss.str().c_str());
    if (root == nullptr) throw std::runtime_error("cannot parse the quantized reference of " + name);
    for (const cJSON *x = cJSON_GetObjectItemCaseSensitive(root, "input_ids")->child; x; x = x->next)
      input_ids.push_back(x->valueint);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "modes"), mode.c_str());
    if (m == nullptr) throw std::runtime_error("no mode " + mode + " in the quantized reference of " + name);
    logits = Reference::floats(cJSON_GetObjectItemCaseSensitive(m, "logits"));
    min_cosine_to_fp32 = cJSON_GetObjectItemCaseSensitive(m, "min_cosine_to_fp32")->valuedouble;
    argmax_agreement = cJSON_GetObjectItemCaseSensitive(m, "argmax_agreement_with_fp32")->valueint;
    cJSON_Delete(root);
  }
};

using Tensors = std::unique_ptr<qeff_tensors, Deleter<qeff_tensors, qeff_tensors_free>>;
using Session = std::unique_ptr<qeff_session, Deleter<qeff_session, qeff_session_free>>;

// One run of a causal-LM program with batch 1: ids at positions (-1 pads);
// returns the logits [vocab].
inline std::vector<float> run_step(qeff_session *s, const std::vector<int64_t> &ids, const std::vector<int64_t> &pos) {
  qeff_tensors *in = nullptr;
  EXPECT_EQ(qeff_tensors_create(&in), QEFF_OK);
  Tensors inputs(in);
  const int64_t shape[2] = {1, static_cast<int64_t>(ids.size())};
  EXPECT_EQ(qeff_tensors_set(in, "input_ids", QEFF_DTYPE_I64, shape, 2, ids.data(), ids.size() * 8), QEFF_OK);
  EXPECT_EQ(qeff_tensors_set(in, "position_ids", QEFF_DTYPE_I64, shape, 2, pos.data(), pos.size() * 8), QEFF_OK);
  qeff_tensors *out = nullptr;
  EXPECT_EQ(qeff_session_run(s, in, &out), QEFF_OK) << qeff_last_error_message();
  Tensors outputs(out);
  size_t index = 0;
  EXPECT_EQ(qeff_tensors_find(out, "logits", &index), QEFF_OK);
  const void *data = nullptr;
  size_t nbytes = 0;
  EXPECT_EQ(qeff_tensors_data(out, index, &data, &nbytes), QEFF_OK);
  const float *f = static_cast<const float *>(data);
  return std::vector<float>(f, f + nbytes / sizeof(float));
}

}  // namespace lm_test

namespace lm_test {

// Generated ids / text / finish reason of row `row` of a text-generation result.
inline std::vector<int32_t> tokens(const qeff_result *r, size_t row) {
  const int32_t *ids = nullptr;
  size_t n = 0;
  EXPECT_EQ(qeff_result_tokens(r, row, &ids, &n), QEFF_OK) << qeff_last_error_message();
  return ids ? std::vector<int32_t>(ids, ids + n) : std::vector<int32_t>();
}

inline std::string text(const qeff_result *r, size_t row) {
  const char *t = nullptr;
  size_t n = 0;
  EXPECT_EQ(qeff_result_text(r, row, &t, &n), QEFF_OK) << qeff_last_error_message();
  return t ? std::string(t, n) : std::string();
}

inline qeff_finish_reason finish(const qeff_result *r, size_t row) {
  qeff_finish_reason f = QEFF_FINISH_NONE;
  EXPECT_EQ(qeff_result_finish_reason(r, row, &f), QEFF_OK) << qeff_last_error_message();
  return f;
}

inline Request text_rows(const std::vector<std::string> &texts) {
  qeff_request *r = nullptr;
  EXPECT_EQ(qeff_request_create(&r), QEFF_OK);
  for (const auto &t : texts) EXPECT_EQ(qeff_request_add_text(r, t.data(), t.size()), QEFF_OK);
  return Request(r);
}

}  // namespace lm_test
