// Helpers of the embedding API tests: owned handles, the fixtures' PyTorch
// references (tests/fixtures/reference/<name>.json, "encoder" block), compile
// and generate calls. Only the C ABI is used.
#pragma once

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "api_test.hpp"
#include "model_writer.hpp"

namespace embed_test {

template <class T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const { Free(p); }
};
using Model = std::unique_ptr<qeff_model, Deleter<qeff_model, qeff_model_free>>;
using Program = std::unique_ptr<qeff_program, Deleter<qeff_program, qeff_program_free>>;
using Options = std::unique_ptr<qeff_options, Deleter<qeff_options, qeff_options_free>>;
using Request = std::unique_ptr<qeff_request, Deleter<qeff_request, qeff_request_free>>;
using Result = std::unique_ptr<qeff_result, Deleter<qeff_result, qeff_result_free>>;

inline std::string model_dir(const std::string &name) { return qeff_test::fixtures_dir() + "/models/" + name; }

// The "encoder" block of a fixture's reference.
struct Reference {
  std::vector<std::string> texts;                         // or, for rerankers, pairs:
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::vector<int32_t>> ids;                  // unpadded, special tokens included
  std::vector<int64_t> lengths;
  std::vector<float> last_hidden_state;                   // [rows, seq, hidden]
  int64_t seq = 0, hidden = 0;
  std::map<std::string, std::vector<float>> pooled, normalized;
  std::vector<float> logits;
  std::string default_pooling;
  bool default_normalize = false;

  explicit Reference(const std::string &name) {
    std::ifstream f(qeff_test::fixtures_dir() + "/reference/" + name + ".json");
    std::stringstream ss;
    ss << f.rdbuf();
    cJSON *root = cJSON_Parse(ss.str().c_str());
    if (root == nullptr) throw std::runtime_error("cannot parse the reference of " + name);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "encoder");
    if (const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "texts"))
      for (const cJSON *s = t->child; s; s = s->next) texts.emplace_back(s->valuestring);
    if (const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "pairs"))
      for (const cJSON *s = p->child; s; s = s->next) pairs.emplace_back(s->child->valuestring, s->child->next->valuestring);
    for (const cJSON *row = cJSON_GetObjectItemCaseSensitive(e, "ids_unpadded")->child; row; row = row->next) {
      ids.emplace_back();
      for (const cJSON *v = row->child; v; v = v->next) ids.back().push_back(v->valueint);
    }
    for (const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "lengths")->child; v; v = v->next) lengths.push_back(v->valueint);
    if (const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "last_hidden_state")) {
      last_hidden_state = floats(h);
      const cJSON *shape = cJSON_GetObjectItemCaseSensitive(h, "shape");
      seq = cJSON_GetArrayItem(shape, 1)->valueint;
      hidden = cJSON_GetArrayItem(shape, 2)->valueint;
    }
    for (const char *block : {"pooled", "normalized"})
      if (const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, block))
        for (const cJSON *m = b->child; m; m = m->next) (block[0] == 'p' ? pooled : normalized)[m->string] = floats(m);
    if (const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "logits")) logits = floats(l);
    if (const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "default_pooling")) default_pooling = d->valuestring;
    default_normalize = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "default_normalize"));
    cJSON_Delete(root);
  }

  static std::vector<float> floats(const cJSON *entry) {
    std::vector<float> out;
    for (const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, "data")->child; v; v = v->next)
      out.push_back(static_cast<float>(v->valuedouble));
    return out;
  }
};

inline Options options(const std::map<std::string, std::string> &kv) {
  qeff_options *o = nullptr;
  EXPECT_EQ(qeff_options_create(&o), QEFF_OK);
  EXPECT_EQ(qeff_options_set(o, "cache.enabled", "false"), QEFF_OK);
  for (const auto &[k, v] : kv) EXPECT_EQ(qeff_options_set(o, k.c_str(), v.c_str()), QEFF_OK) << k << " = " << v;
  return Options(o);
}

inline Model load_model(const std::string &name) {
  qeff_model *m = nullptr;
  EXPECT_EQ(qeff_model_load(model_dir(name).c_str(), nullptr, &m), QEFF_OK) << qeff_last_error_message();
  return Model(m);
}

inline Program compile(const qeff_model *m, const std::map<std::string, std::string> &kv) {
  qeff_program *p = nullptr;
  Options o = options(kv);
  EXPECT_EQ(qeff_compile(m, o.get(), &p), QEFF_OK) << qeff_last_error_message();
  return Program(p);
}

inline Request text_request(const Reference &ref) {
  qeff_request *r = nullptr;
  EXPECT_EQ(qeff_request_create(&r), QEFF_OK);
  for (const auto &t : ref.texts) EXPECT_EQ(qeff_request_add_text(r, t.data(), t.size()), QEFF_OK);
  for (const auto &[a, b] : ref.pairs)
    EXPECT_EQ(qeff_request_add_text_pair(r, a.data(), a.size(), b.data(), b.size()), QEFF_OK);
  return Request(r);
}

inline Request token_request(const std::vector<std::vector<int32_t>> &rows) {
  qeff_request *r = nullptr;
  EXPECT_EQ(qeff_request_create(&r), QEFF_OK);
  for (const auto &ids : rows) EXPECT_EQ(qeff_request_add_tokens(r, ids.data(), ids.size()), QEFF_OK);
  return Request(r);
}

inline Result generate(const qeff_program *p, const qeff_request *r, const std::map<std::string, std::string> &kv = {}) {
  qeff_result *res = nullptr;
  Options o = options(kv);
  EXPECT_EQ(qeff_generate(p, r, o.get(), &res), QEFF_OK) << qeff_last_error_message();
  return Result(res);
}

// The [rows, dim] matrix of a result (embeddings, or scores when `scores`).
inline std::vector<float> matrix(const qeff_result *r, bool scores = false) {
  const float *data = nullptr;
  size_t rows = 0, dim = 0;
  qeff_status s = scores ? qeff_result_scores(r, &data, &rows, &dim) : qeff_result_embeddings(r, &data, &rows, &dim);
  EXPECT_EQ(s, QEFF_OK) << qeff_last_error_message();
  return data ? std::vector<float>(data, data + rows * dim) : std::vector<float>();
}

inline double stat(const qeff_result *r, const char *name) {
  double v = -1;
  EXPECT_EQ(qeff_result_stat(r, name, &v), QEFF_OK) << qeff_last_error_message();
  return v;
}

inline double max_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
  EXPECT_EQ(a.size(), b.size());
  double m = a.size() == b.size() ? 0 : INFINITY;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

// Smallest cosine similarity between corresponding rows of dimension `dim`.
inline double min_cosine(const std::vector<float> &a, const std::vector<float> &b, size_t dim) {
  double worst = 1;
  for (size_t r = 0; r * dim < std::min(a.size(), b.size()); ++r) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = r * dim; i < (r + 1) * dim; ++i) ab += double(a[i]) * b[i], aa += double(a[i]) * a[i], bb += double(b[i]) * b[i];
    worst = std::min(worst, ab / std::sqrt(aa * bb));
  }
  return worst;
}

}  // namespace embed_test
