// The models layer: graphs built from the fixture models (tests/fixtures),
// compiled and run by the CPU runtime, against the PyTorch references the
// fixture generator wrote (official transformers code; atol 1e-4 for fp32).
// Per-architecture, per-pooling coverage through the C ABI lives in
// tests/api/test_embeddings.cpp; this file checks the builders' insides.
#include <gtest/gtest.h>

#include <cmath>

#include "common/json.hpp"
#include "common/options.hpp"
#include "compiler/compile.hpp"
#include "hub/model_source.hpp"
#include "model_writer.hpp"
#include "models/model_builder.hpp"
#include "runtime/session.hpp"
#include "unit_test.hpp"

namespace {

using namespace qeff;

std::shared_ptr<const hub::ModelSource> load_fixture(const std::string &name) {
  return hub::ModelSource::load(qeff_test::fixtures_dir() + "/models/" + name, Options());
}

JsonDocument reference(const std::string &name) {
  std::string path = qeff_test::fixtures_dir() + "/reference/" + name + ".json";
  FileRoot root(canonical_directory(qeff_test::fixtures_dir() + "/reference"));
  return JsonDocument::parse(root.read(name + ".json", 64 << 20, "test"), JsonOrigin{path}, JsonLimits{64 << 20, 64});
}

std::vector<float> floats(const JsonView &entry) {
  std::vector<float> out;
  JsonView data = entry.get("data");
  for (size_t i = 0; i < data.size(); ++i) out.push_back(static_cast<float>(data.at(i).as_double()));
  return out;
}

struct Batch {
  std::vector<int64_t> ids, mask;
  int64_t rows = 0, cols = 0;
};

Batch batch_of(const JsonView &b) {
  Batch out;
  JsonView ids = b.get("input_ids"), mask = b.get("attention_mask");
  out.rows = static_cast<int64_t>(ids.size());
  out.cols = static_cast<int64_t>(ids.at(0).size());
  for (size_t r = 0; r < ids.size(); ++r) {
    for (int64_t v : ids.at(r).as_int_list()) out.ids.push_back(v);
    for (int64_t v : mask.at(r).as_int_list()) out.mask.push_back(v);
  }
  return out;
}

std::vector<float> run(const graph::Graph &g, const Batch &b) {
  compiler::CompileOptions o;
  o.specializations = {{"s", {{"batch_size", b.rows}, {"seq_len", b.cols}}}};
  auto exe = runtime::Executable::load(std::make_shared<compiler::Program>(compiler::compile(g, o)));
  runtime::Session s(exe, 2);
  auto out = s.run({{"input_ids", {QEFF_DTYPE_I64, {b.rows, b.cols}, b.ids.data()}},
                    {"attention_mask", {QEFF_DTYPE_I64, {b.rows, b.cols}, b.mask.data()}}});
  const float *p = out[0].tensor.as<float>();
  return std::vector<float>(p, p + out[0].tensor.numel());
}

double max_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

TEST(Models, BertTinyTokenStatesAndDefaultPoolingMatchTransformers) {
  auto src = load_fixture("bert-tiny");
  JsonDocument ref = reference("bert-tiny");
  JsonView batch = ref.root().get("batch");
  Batch b = batch_of(batch);
  models::BuildOptions none;
  none.pooling = transforms::Pooling::kNone;
  none.normalize = false;
  graph::Graph g = models::build_graph(src, none);
  EXPECT_EQ(g.metadata.at(models::kMetaTask), "embedding");
  EXPECT_EQ(g.metadata.at(models::kMetaPooling), "none");
  std::vector<float> hs = run(g, b);
  // Padded rows of last_hidden_state are compared too: HF computes them with
  // the same (fully masked-key-free) attention, so they must agree as well.
  EXPECT_LT(max_abs_diff(hs, floats(batch.get("last_hidden_state"))), 1e-4);
  // Default: the sentence-transformers files say mean pooling + Normalize.
  graph::Graph d = models::build_graph(src);
  EXPECT_EQ(d.metadata.at(models::kMetaPooling), "mean");
  EXPECT_EQ(d.metadata.at(models::kMetaNormalize), "true");
  EXPECT_LT(max_abs_diff(run(d, b), floats(batch.get("sentence_embedding"))), 1e-4);
}

TEST(Models, UnknownArchitectureListsTheSupportedOnes) {
  auto src = load_fixture("llama-tiny");
  EXPECT_QEFF_ERROR(models::build_graph(src), QEFF_E_UNSUPPORTED, "no graph builder for architecture",
                    "LlamaForCausalLM", "BertModel");
}

TEST(Models, PoolingOptionsNeedAnEmbeddingModel) {
  EXPECT_EQ(transforms::parse_pooling("avg"), transforms::Pooling::kMean);
  EXPECT_EQ(transforms::parse_pooling("bogus"), std::nullopt);
}

}  // namespace
