// The models layer: graphs built from the fixture models (tests/fixtures),
// compiled and run by the CPU runtime, against the PyTorch references the
// fixture generator wrote (official transformers code; atol 1e-4 for fp32).
// Per-architecture, per-pooling coverage through the C ABI lives in
// tests/api/test_embeddings.cpp; this file checks the builders' insides.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

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
  std::vector<int64_t> ids, mask, types;  // types: zeros when the reference has no token_type_ids
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
  JsonView types = b.get("token_type_ids");
  for (size_t r = 0; r < types.size(); ++r)
    for (int64_t v : types.at(r).as_int_list()) out.types.push_back(v);
  out.types.resize(out.ids.size(), 0);
  return out;
}

std::vector<float> run(const graph::Graph &g, const Batch &b) {
  compiler::CompileOptions o;
  o.specializations = {{"s", {{"batch_size", b.rows}, {"seq_len", b.cols}}}};
  auto exe = runtime::Executable::load(std::make_shared<compiler::Program>(compiler::compile(g, o)));
  runtime::Session s(exe, 2);
  std::vector<runtime::NamedTensor> inputs = {{"input_ids", {QEFF_DTYPE_I64, {b.rows, b.cols}, b.ids.data()}},
                                               {"attention_mask", {QEFF_DTYPE_I64, {b.rows, b.cols}, b.mask.data()}}};
  for (const graph::ValueInfo &in : g.inputs)
    if (in.name == "token_type_ids") inputs.push_back({in.name, {QEFF_DTYPE_I64, {b.rows, b.cols}, b.types.data()}});
  auto out = s.run(inputs);
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

TEST(Models, EveryRegisteredCausalLmHasABuilder) {
  const std::vector<std::string> archs = models::supported_architectures();
  for (const char *a : {"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
                        "GemmaForCausalLM", "Gemma2ForCausalLM", "Phi3ForCausalLM", "GraniteForCausalLM",
                        "Olmo2ForCausalLM", "Starcoder2ForCausalLM", "GPT2LMHeadModel", "BertModel"})
    EXPECT_NE(std::find(archs.begin(), archs.end(), a), archs.end()) << a;
  // Decoder embedders are recognised at load but have no builder yet.
  EXPECT_FALSE(models::has_builder("LlamaModel"));
}

TEST(Models, PoolingOptionsNeedAnEmbeddingModel) {
  EXPECT_EQ(transforms::parse_pooling("avg"), transforms::Pooling::kMean);
  EXPECT_EQ(transforms::parse_pooling("bogus"), std::nullopt);
}

// ---- Encoder fixtures with an "encoder" reference block (right-padded batch) ----

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// Token states on the real (unpadded) positions and mean pooling against the
// reference, within 1e-4; the differences are recorded as test properties.
void expect_encoder_matches(const std::string &name) {
  SCOPED_TRACE(name);
  auto src = load_fixture(name);
  JsonDocument ref = reference(name);
  JsonView enc = ref.root().get("encoder");
  Batch b = batch_of(enc);
  const int64_t hidden = enc.get("last_hidden_state").get("shape").at(2).as_int();
  models::BuildOptions o;
  o.pooling = transforms::Pooling::kNone;
  o.normalize = false;
  std::vector<float> hs = run(models::build_graph(src, o), b), want = floats(enc.get("last_hidden_state"));
  ASSERT_EQ(hs.size(), want.size());
  double tokens = 0;
  for (int64_t t = 0; t < b.rows * b.cols; ++t)
    if (b.mask[static_cast<size_t>(t)] != 0)
      for (int64_t k = t * hidden; k < (t + 1) * hidden; ++k)
        tokens = std::max(tokens, std::fabs(double(hs[size_t(k)]) - double(want[size_t(k)])));
  o.pooling = transforms::Pooling::kMean;
  const double mean = max_abs_diff(run(models::build_graph(src, o), b), floats(enc.get("pooled").get("mean")));
  ::testing::Test::RecordProperty(name + ".token_states_max_abs_diff", sci(tokens));
  ::testing::Test::RecordProperty(name + ".mean_pooling_max_abs_diff", sci(mean));
  EXPECT_LT(tokens, 1e-4);
  EXPECT_LT(mean, 1e-4);
}

// The default (sequence-classification) graph's logits against the reference.
void expect_reranker_matches(const std::string &name) {
  SCOPED_TRACE(name);
  auto src = load_fixture(name);
  JsonDocument ref = reference(name);
  JsonView enc = ref.root().get("encoder");
  graph::Graph g = models::build_graph(src);
  EXPECT_EQ(g.metadata.at(models::kMetaTask), "sequence-classification");
  const double d = max_abs_diff(run(g, batch_of(enc)), floats(enc.get("logits")));
  ::testing::Test::RecordProperty(name + ".logits_max_abs_diff", sci(d));
  EXPECT_LT(d, 1e-4);
}

TEST(Models, DistilBertTinyMatchesTransformers) {
  expect_encoder_matches("distilbert-tiny");
  EXPECT_EQ(models::build_graph(load_fixture("distilbert-tiny")).metadata.at(models::kMetaMaxSeqLen), "128");
}

TEST(Models, MpnetTinyMatchesTransformers) {
  // seq_len 24 crosses the first logarithmic bucket boundary (|i - j| = 16).
  expect_encoder_matches("mpnet-tiny");
  // Positions count from padding_idx + 1: 130 - 2.
  EXPECT_EQ(models::build_graph(load_fixture("mpnet-tiny")).metadata.at(models::kMetaMaxSeqLen), "128");
}

TEST(Models, NomicBertTinyMatchesTheOfficialCode) { expect_encoder_matches("nomic-bert-tiny"); }

TEST(Models, RobertaAndXlmRobertaTinyMatchTransformers) {
  expect_encoder_matches("roberta-tiny");
  expect_encoder_matches("xlm-roberta-tiny");
}

TEST(Models, RerankerLogitsMatchTransformers) {
  expect_reranker_matches("bert-reranker-tiny");
  expect_reranker_matches("xlm-roberta-reranker-tiny");
}

TEST(Models, NomicBertRejectsSettingsItDoesNotCover) {
  const std::string dir = qeff_test::fixtures_dir() + "/models/nomic-bert-tiny";
  const std::string config = qeff_test::read_file(dir + "/config.json");
  for (auto [from, to, field] : std::vector<std::array<std::string, 3>>{
           {"\"prenorm\": false", "\"prenorm\": true", "prenorm"},
           {"\"causal\": false", "\"causal\": true", "causal"},
           {"\"rotary_emb_interleaved\": false", "\"rotary_emb_interleaved\": true", "rotary_emb_interleaved"},
           {"\"rotary_emb_fraction\": 1.0", "\"rotary_emb_fraction\": 0.5", "rotary_emb_fraction"},
           {"\"rotary_scaling_factor\": null", "\"rotary_scaling_factor\": 2.0", "rotary_scaling_factor"},
           {"\"activation_function\": \"swiglu\"", "\"activation_function\": \"relu\"", "activation_function"}}) {
    SCOPED_TRACE(field);
    qeff_test::TempDir tmp;
    qeff_test::write_file(tmp / "config.json", qeff_test::replace(config, from, to));
    qeff_test::write_file(tmp / "model.safetensors", qeff_test::read_file(dir + "/model.safetensors"));
    std::shared_ptr<const hub::ModelSource> src = hub::ModelSource::load(tmp.str(), Options());
    EXPECT_QEFF_ERROR(models::build_graph(src), QEFF_E_UNSUPPORTED, field.c_str(), "NomicBertModel");
  }
}

}  // namespace
