// Every committed fixture loads through the C ABI and its introspection matches
// the reference written by tests/fixtures/generate.py from the official HF code.
#include <cjson/cJSON.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <string>
#include <vector>

#include "api_test.hpp"
#include "model_writer.hpp"

namespace {

struct Json {
  cJSON *root = nullptr;
  explicit Json(const std::string &path) {
    std::string text = qeff_test::read_file(path);
    root = cJSON_Parse(text.c_str());
  }
  ~Json() { cJSON_Delete(root); }
  const cJSON *at(const char *a, const char *b = nullptr) const {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, a);
    return b != nullptr ? cJSON_GetObjectItemCaseSensitive(n, b) : n;
  }
};

class Fixture : public ::testing::TestWithParam<const char *> {};

TEST_P(Fixture, IntrospectionMatchesReference) {
  const std::string name = GetParam();
  const std::string dir = qeff_test::fixtures_dir() + "/models/" + name;
  Json ref(qeff_test::fixtures_dir() + "/reference/" + name + ".json");
  ASSERT_NE(ref.root, nullptr) << "reference file missing or invalid for " << name;

  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir, &m));
  const char *s = nullptr;
  ASSERT_QEFF_OK(qeff_model_architecture(m, &s));
  EXPECT_STREQ(s, cJSON_GetStringValue(ref.at("architecture")));
  ASSERT_QEFF_OK(qeff_model_type(m, &s));
  EXPECT_STREQ(s, cJSON_GetStringValue(ref.at("config_summary", "model_type")));
  ASSERT_QEFF_OK(qeff_model_path(m, &s));
  EXPECT_NE(std::string(s).find(name), std::string::npos);

  int64_t v = 0;
  ASSERT_QEFF_OK(qeff_model_num_layers(m, &v));
  EXPECT_EQ(v, ref.at("config_summary", "num_hidden_layers")->valueint);
  ASSERT_QEFF_OK(qeff_model_hidden_size(m, &v));
  EXPECT_EQ(v, ref.at("config_summary", "hidden_size")->valueint);
  ASSERT_QEFF_OK(qeff_model_vocab_size(m, &v));
  EXPECT_EQ(v, ref.at("config_summary", "vocab_size")->valueint);
  ASSERT_QEFF_OK(qeff_model_num_parameters(m, &v));
  EXPECT_EQ(v, static_cast<int64_t>(ref.at("parameters", "safetensors_numel")->valuedouble));
  EXPECT_EQ(v, static_cast<int64_t>(ref.at("parameters", "hf_num_parameters")->valuedouble));
  qeff_dtype d;
  ASSERT_QEFF_OK(qeff_model_weight_dtype(m, &d));
  EXPECT_EQ(d, QEFF_DTYPE_F32);

  qeff_task task;
  ASSERT_QEFF_OK(qeff_model_task(m, &task));
  std::string arch = cJSON_GetStringValue(ref.at("architecture"));
  EXPECT_EQ(task, arch == "BertModel" ? QEFF_TASK_EMBEDDING : QEFF_TASK_CAUSAL_LM);

  // Every tensor, sorted by name, with dtype and shape as stored.
  const cJSON *tensors = ref.at("safetensors", "tensors");
  size_t n = 0;
  ASSERT_QEFF_OK(qeff_model_num_tensors(m, &n));
  ASSERT_EQ(n, static_cast<size_t>(cJSON_GetArraySize(tensors)));
  std::vector<std::string> names;
  for (const cJSON *t = tensors->child; t != nullptr; t = t->next)
    names.push_back(cJSON_GetStringValue(cJSON_GetObjectItem(t, "name")));
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  for (const cJSON *t = tensors->child; t != nullptr; t = t->next) {
    std::string tname = cJSON_GetStringValue(cJSON_GetObjectItem(t, "name"));
    size_t index = 0;
    ASSERT_QEFF_OK(qeff_model_find_tensor(m, tname.c_str(), &index));
    EXPECT_EQ(sorted[index], tname);
    const char *got_name = nullptr;
    qeff_dtype td;
    size_t rank = 0;
    int64_t dims[8] = {0};
    ASSERT_QEFF_OK(qeff_model_tensor_info(m, index, &got_name, &td, &rank, dims, 8));
    EXPECT_EQ(tname, got_name);
    EXPECT_STREQ(qeff_dtype_name(td), cJSON_GetStringValue(cJSON_GetObjectItem(t, "dtype")));
    const cJSON *shape = cJSON_GetObjectItem(t, "shape");
    ASSERT_EQ(rank, static_cast<size_t>(cJSON_GetArraySize(shape))) << tname;
    for (size_t k = 0; k < rank; ++k)
      EXPECT_EQ(dims[k], cJSON_GetArrayItem(shape, static_cast<int>(k))->valueint) << tname;
  }
  size_t index = 0;
  EXPECT_QEFF_ERROR(qeff_model_find_tensor(m, "no.such.tensor", &index), QEFF_E_NOT_FOUND,
                    "no.such.tensor");
  EXPECT_QEFF_ERROR(qeff_model_tensor_info(m, n, nullptr, nullptr, nullptr, nullptr, 0),
                    QEFF_E_INVALID_ARGUMENT, "out of range");

  // Raw config fields stay reachable, including ones qeff does not model.
  ASSERT_QEFF_OK(qeff_model_config_get(m, "architectures.0", &s));
  EXPECT_EQ(std::string(s), "\"" + arch + "\"");
  ASSERT_QEFF_OK(qeff_model_config_get(m, "vocab_size", &s));
  EXPECT_EQ(std::stoll(s), ref.at("config_summary", "vocab_size")->valueint);
  ASSERT_QEFF_OK(qeff_model_config_get(m, "", &s));
  EXPECT_EQ(s[0], '{');
  EXPECT_QEFF_ERROR(qeff_model_config_get(m, "no_such_field.x", &s), QEFF_E_NOT_FOUND, "no_such_field");
  qeff_model_free(m);
}

INSTANTIATE_TEST_SUITE_P(All, Fixture,
                         ::testing::Values("bert-tiny", "llama-tiny", "llama-tiny-sharded",
                                           "gpt2-tiny", "qwen2-tiny"),
                         [](const auto &info) {
                           std::string n = info.param;
                           for (char &c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Fixture, ShardedEqualsSingleFile) {
  qeff_model *a = nullptr, *b = nullptr;
  ASSERT_QEFF_OK(load(qeff_test::fixtures_dir() + "/models/llama-tiny", &a));
  ASSERT_QEFF_OK(load(qeff_test::fixtures_dir() + "/models/llama-tiny-sharded", &b));
  size_t na = 0, nb = 0;
  ASSERT_QEFF_OK(qeff_model_num_tensors(a, &na));
  ASSERT_QEFF_OK(qeff_model_num_tensors(b, &nb));
  ASSERT_EQ(na, nb);
  for (size_t i = 0; i < na; ++i) {
    const char *x = nullptr, *y = nullptr;
    ASSERT_QEFF_OK(qeff_model_tensor_info(a, i, &x, nullptr, nullptr, nullptr, 0));
    ASSERT_QEFF_OK(qeff_model_tensor_info(b, i, &y, nullptr, nullptr, nullptr, 0));
    EXPECT_STREQ(x, y);
  }
  qeff_model_free(a);
  qeff_model_free(b);
}

TEST(Fixture, ModelIsSharedAcrossThreads) {
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(qeff_test::fixtures_dir() + "/models/llama-tiny", &m));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        const char *s = nullptr;
        int64_t p = 0;
        if (qeff_model_config_get(m, i % 2 ? "rope_theta" : "hidden_size", &s) != QEFF_OK ||
            qeff_model_num_parameters(m, &p) != QEFF_OK || p != 139584)
          ++failures;
      }
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  qeff_model_free(m);
}

}  // namespace
