// Encoder models end to end through the C ABI: qeff_compile of every encoder
// fixture, qeff_generate over texts (tokenized by the library) and token ids,
// against the PyTorch references of the fixture generator (official
// transformers code; nomic-bert: a re-implementation checked against nomic's
// file). Tolerances: fp32 1e-4 absolute (observed ~1e-7); reduced-precision
// weights: cosine similarity to the fp32 reference >= 0.999 (bf16, int8,
// mxfp6), >= 0.9999 (f16), >= 0.99 (int4).
#include <thread>

#include "embed_test.hpp"

namespace {

using namespace embed_test;

const char *const kEmbedders[] = {"bert-tiny", "roberta-tiny", "xlm-roberta-tiny", "mpnet-tiny", "distilbert-tiny",
                                  "nomic-bert-tiny"};
const char *const kPoolings[] = {"mean", "avg", "cls", "max", "mean_sqrt_len", "last_token"};

class EveryEmbedder : public ::testing::TestWithParam<const char *> {};

// Each pooling mode with and without normalization, on a batch of mixed
// lengths split over two buckets and batches of 2 (the last one padded).
TEST_P(EveryEmbedder, EveryPoolingMatchesPyTorch) {
  const std::string name = GetParam();
  Reference ref(name);
  Model m = load_model(name);
  for (const char *pooling : kPoolings)
    for (const char *normalize : {"false", "true"}) {
      SCOPED_TRACE(std::string(pooling) + " normalize=" + normalize);
      Program p = compile(m.get(), {{"model.pooling", pooling}, {"model.normalize", normalize},
                                    {"compile.seq_len", "16,64"}, {"compile.batch_size", "2"}});
      Result r = generate(p.get(), text_request(ref).get());
      const std::string key = std::string(pooling) == "avg" ? "mean" : pooling;
      const auto &want = (normalize[0] == 't' ? ref.normalized : ref.pooled).at(key);
      EXPECT_LT(max_abs_diff(matrix(r.get()), want), 1e-4);
      EXPECT_EQ(stat(r.get(), "rows"), double(ref.texts.size()));
      EXPECT_EQ(stat(r.get(), "batches"), std::ceil(ref.texts.size() / 2.0));
      for (size_t i = 0; i < ref.lengths.size(); ++i) {
        size_t n = 0;
        ASSERT_QEFF_OK(qeff_result_num_tokens(r.get(), i, &n));
        EXPECT_EQ(n, size_t(ref.lengths[i])) << "row " << i;
      }
    }
}

// Pooling none: each row's token states, real tokens only; token ids in.
TEST_P(EveryEmbedder, PoolingNoneGivesEachRowsTokensOnly) {
  const std::string name = GetParam();
  Reference ref(name);
  Model m = load_model(name);
  Program p = compile(m.get(), {{"model.pooling", "none"}, {"compile.seq_len", "64"}, {"compile.batch_size", "3"}});
  Result r = generate(p.get(), token_request(ref.ids).get());
  for (size_t row = 0; row < ref.ids.size(); ++row) {
    const float *data = nullptr;
    size_t tokens = 0, dim = 0;
    ASSERT_QEFF_OK(qeff_result_token_embeddings(r.get(), row, &data, &tokens, &dim));
    ASSERT_EQ(tokens, ref.ids[row].size());
    ASSERT_EQ(dim, size_t(ref.hidden));
    const float *want = ref.last_hidden_state.data() + row * ref.seq * ref.hidden;
    EXPECT_LT(max_abs_diff(std::vector<float>(data, data + tokens * dim), std::vector<float>(want, want + tokens * dim)),
              1e-4)
        << "row " << row;
  }
  const float *data = nullptr;
  EXPECT_QEFF_ERROR(qeff_result_embeddings(r.get(), &data, nullptr, nullptr), QEFF_E_NOT_FOUND,
                    "qeff_result_token_embeddings");
  EXPECT_QEFF_ERROR(qeff_result_token_embeddings(r.get(), ref.ids.size(), &data, nullptr, nullptr),
                    QEFF_E_INVALID_ARGUMENT, "row");
}

// The defaults come from the sentence-transformers files (mean + Normalize,
// cls + Normalize for distilbert-tiny, mean without Normalize for nomic).
TEST_P(EveryEmbedder, DefaultPoolingFromSentenceTransformersFiles) {
  const std::string name = GetParam();
  Reference ref(name);
  Model m = load_model(name);
  Program p = compile(m.get(), {{"compile.seq_len", "64"}});
  Result r = generate(p.get(), text_request(ref).get());
  const auto &want = (ref.default_normalize ? ref.normalized : ref.pooled).at(ref.default_pooling);
  EXPECT_LT(max_abs_diff(matrix(r.get()), want), 1e-4);
}

// Reduced-precision weights: the smallest cosine of the mean-pooled
// embeddings to the fp32 reference (observed minimum printed; docs/kernels.md
// and docs/kernels-quant.md have the tables).
void expect_embeddings_close(const std::string &name, const char *dtype, double min_cos) {
  Reference ref(name);
  Model m = load_model(name);
  Program p = compile(m.get(), {{"model.pooling", "mean"}, {"compile.seq_len", "64"}, {"compile.weight_dtype", dtype}});
  Result r = generate(p.get(), text_request(ref).get());
  const double cos = min_cosine(matrix(r.get()), ref.pooled.at("mean"), size_t(ref.hidden));
  std::printf("[   NOTE   ] %s %s: min cosine %.6f\n", name.c_str(), dtype, cos);
  EXPECT_GE(cos, min_cos);
}

// 16-bit weights, f32 arithmetic.
TEST_P(EveryEmbedder, Bf16WeightsStayWithinCosine0999) { expect_embeddings_close(GetParam(), "bf16", 0.999); }
TEST_P(EveryEmbedder, F16WeightsStayWithinCosine09999) { expect_embeddings_close(GetParam(), "f16", 0.9999); }

// int8 weights with per-token activation quantization (W8A8).
TEST_P(EveryEmbedder, Int8WeightsStayWithinCosine0999) { expect_embeddings_close(GetParam(), "int8", 0.999); }

// 4-bit weight blocks with int8 activation blocks (W4A8).
TEST_P(EveryEmbedder, Int4WeightsStayWithinCosine099) { expect_embeddings_close(GetParam(), "int4", 0.99); }
// MXFP6 weight blocks with int8 activation blocks (W6A8).
TEST_P(EveryEmbedder, Mxfp6WeightsStayWithinCosine0999) { expect_embeddings_close(GetParam(), "mxfp6", 0.999); }

INSTANTIATE_TEST_SUITE_P(Embeddings, EveryEmbedder, ::testing::ValuesIn(kEmbedders),
                         [](const auto &info) {
                           std::string s = info.param;
                           for (char &c : s) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return s;
                         });

TEST(Rerankers, ScoresOfTextPairsMatchPyTorch) {
  for (const char *name : {"bert-reranker-tiny", "xlm-roberta-reranker-tiny"}) {
    SCOPED_TRACE(name);
    Reference ref(name);
    Model m = load_model(name);
    Program p = compile(m.get(), {{"compile.seq_len", "32,64"}, {"compile.batch_size", "2"}});
    Result r = generate(p.get(), text_request(ref).get());
    EXPECT_LT(max_abs_diff(matrix(r.get(), true), ref.logits), 1e-4);
    const float *data = nullptr;
    EXPECT_QEFF_ERROR(qeff_result_embeddings(r.get(), &data, nullptr, nullptr), QEFF_E_NOT_FOUND, "qeff_result_scores");
    // Pooling is an embedding-model option.
    qeff_program *bad = nullptr;
    Options o = options({{"model.pooling", "mean"}});
    EXPECT_QEFF_ERROR(qeff_compile(m.get(), o.get(), &bad), QEFF_E_INVALID_ARGUMENT, "pooling options apply to embedding models");
  }
}

// Lengths given out of order; each row runs the smallest bucket that fits it
// (visible in padded_tokens = batch x bucket length).
TEST(Embeddings, SmallestFittingBucketAndClearOverflow) {
  Reference ref("bert-tiny");
  Model m = load_model("bert-tiny");
  Program p = compile(m.get(), {{"model.pooling", "mean"}, {"compile.seq_len", "64,8,16"}});
  const std::vector<std::pair<size_t, double>> cases = {{1, 8}, {5, 8}, {8, 8}, {9, 16}, {16, 16}, {17, 64}, {64, 64}};
  for (const auto &[len, bucket] : cases) {
    std::vector<int32_t> ids(len, 7);
    Result r = generate(p.get(), token_request({ids}).get());
    EXPECT_EQ(stat(r.get(), "padded_tokens"), bucket) << "length " << len;
  }
  std::vector<int32_t> long_row(65, 7);
  qeff_result *res = nullptr;
  EXPECT_QEFF_ERROR(qeff_generate(p.get(), token_request({long_row}).get(), nullptr, &res), QEFF_E_CONTEXT_OVERFLOW,
                    "row 0 has 65 tokens", "longest compiled sequence length 64");
  EXPECT_EQ(res, nullptr);
  Result cut = generate(p.get(), token_request({long_row, {2, 9, 3}}).get(), {{"generate.truncate", "true"}});
  size_t n = 0;
  ASSERT_QEFF_OK(qeff_result_num_tokens(cut.get(), 0, &n));
  EXPECT_EQ(n, 64u);
  EXPECT_EQ(stat(cut.get(), "truncated_rows"), 1);
  // A text far longer than 64 tokens: truncated by the tokenizer (special tokens kept).
  std::string text;
  for (int i = 0; i < 40; ++i) text += "the quick brown fox ";
  qeff_request *rq = nullptr;
  ASSERT_QEFF_OK(qeff_request_create(&rq));
  Request req(rq);
  ASSERT_QEFF_OK(qeff_request_add_text(rq, text.data(), text.size()));
  EXPECT_QEFF_ERROR(qeff_generate(p.get(), rq, nullptr, &res), QEFF_E_CONTEXT_OVERFLOW, "longest compiled sequence length 64");
  Result t = generate(p.get(), rq, {{"generate.truncate", "true"}});
  ASSERT_QEFF_OK(qeff_result_num_tokens(t.get(), 0, &n));
  EXPECT_EQ(n, 64u);
}

TEST(Embeddings, CompileErrorsNameTheProblem) {
  Model m = load_model("bert-tiny");
  qeff_program *p = nullptr;
  Options bad_pooling = options({{"model.pooling", "median"}});
  EXPECT_QEFF_ERROR(qeff_compile(m.get(), bad_pooling.get(), &p), QEFF_E_INVALID_ARGUMENT, "model.pooling", "median",
                    "mean_sqrt_len");
  Options too_long = options({{"compile.seq_len", "256"}});
  EXPECT_QEFF_ERROR(qeff_compile(m.get(), too_long.get(), &p), QEFF_E_INVALID_ARGUMENT, "seq_len 256", "128 positions");
  EXPECT_EQ(p, nullptr);
  Model lm = load_model("llama-tiny");
  Options pooled = options({{"model.pooling", "mean"}});
  EXPECT_QEFF_ERROR(qeff_compile(lm.get(), pooled.get(), &p), QEFF_E_INVALID_ARGUMENT,
                    "pooling options apply to embedding models", "causal-lm");
}

TEST(Embeddings, GenerateErrorsAndEmptyRequests) {
  Model m = load_model("bert-tiny");
  Program p = compile(m.get(), {{"compile.seq_len", "16"}});
  qeff_result *res = nullptr;
  EXPECT_QEFF_ERROR(qeff_generate(p.get(), token_request({}).get(), nullptr, &res), QEFF_E_INVALID_ARGUMENT, "no rows");
  EXPECT_QEFF_ERROR(qeff_generate(p.get(), token_request({{}}).get(), nullptr, &res), QEFF_E_INVALID_ARGUMENT,
                    "row 0 has no tokens");
  EXPECT_QEFF_ERROR(qeff_generate(p.get(), token_request({{2, 100000, 3}}).get(), nullptr, &res),
                    QEFF_E_INVALID_ARGUMENT);
  Result r = generate(p.get(), token_request({{2, 5, 3}}).get());
  double v = 0;
  EXPECT_QEFF_ERROR(qeff_result_stat(r.get(), "bogus", &v), QEFF_E_NOT_FOUND, "bogus");
  const float *data = nullptr;
  EXPECT_QEFF_ERROR(qeff_result_scores(r.get(), &data, nullptr, nullptr), QEFF_E_NOT_FOUND, "qeff_result_embeddings");
  const char *json = nullptr;
  ASSERT_QEFF_OK(qeff_result_stats_json(r.get(), &json));
  EXPECT_NE(std::string(json).find("\"compute_ms\""), std::string::npos) << json;
  EXPECT_QEFF_ERROR(qeff_result_num_rows(nullptr, nullptr), QEFF_E_INVALID_HANDLE);
}

// A package carries the tokenizer: a program loaded without the model
// directory takes text and gives the same embeddings.
TEST(Embeddings, PackageCarriesTheTokenizer) {
  Reference ref("xlm-roberta-tiny");
  Model m = load_model("xlm-roberta-tiny");
  Program p = compile(m.get(), {{"compile.seq_len", "32"}});
  std::vector<float> before = matrix(generate(p.get(), text_request(ref).get()).get());
  const std::string dir = std::string(std::getenv("QEFF_HOME")) + "/embed-package";
  Options ow = options({{"package.overwrite", "true"}});
  ASSERT_QEFF_OK(qeff_program_save(p.get(), dir.c_str(), ow.get()));
  qeff_program *loaded = nullptr;
  ASSERT_QEFF_OK(qeff_program_load(dir.c_str(), nullptr, &loaded));
  Program q(loaded);
  qeff_tokenizer *tok = nullptr;
  ASSERT_QEFF_OK(qeff_program_tokenizer(q.get(), &tok));
  size_t vocab = 0;
  ASSERT_QEFF_OK(qeff_tokenizer_vocab_size(tok, &vocab));
  EXPECT_GT(vocab, 100u);
  qeff_tokenizer_free(tok);
  EXPECT_EQ(matrix(generate(q.get(), text_request(ref).get()).get()), before);
}

// The exported ONNX compiles to the same program (qeff_compile_onnx), which
// has no tokenizer: token ids only.
TEST(Embeddings, ExportedOnnxCompilesToTheSameEmbeddings) {
  Reference ref("mpnet-tiny");
  Model m = load_model("mpnet-tiny");
  Program p = compile(m.get(), {{"compile.seq_len", "64"}, {"compile.batch_size", "2"}});
  std::vector<float> want = matrix(generate(p.get(), token_request(ref.ids).get()).get());
  const std::string dir = std::string(std::getenv("QEFF_HOME")) + "/embed-export";
  Options ow = options({{"export.overwrite", "true"}});
  ASSERT_QEFF_OK(qeff_export(m.get(), dir.c_str(), ow.get()));
  EXPECT_QEFF_ERROR(qeff_export(m.get(), dir.c_str(), nullptr), QEFF_E_IO, "exists");
  qeff_program *onnx = nullptr;
  Options o = options({{"compile.seq_len", "64"}, {"compile.batch_size", "2"}});
  ASSERT_QEFF_OK(qeff_compile_onnx((dir + "/model.onnx").c_str(), o.get(), &onnx));
  Program q(onnx);
  EXPECT_LT(max_abs_diff(matrix(generate(q.get(), token_request(ref.ids).get()).get()), want), 1e-6);
  qeff_tokenizer *tok = nullptr;
  EXPECT_QEFF_ERROR(qeff_program_tokenizer(q.get(), &tok), QEFF_E_NOT_FOUND, "no tokenizer");
  qeff_result *res = nullptr;
  EXPECT_QEFF_ERROR(qeff_generate(q.get(), text_request(ref).get(), nullptr, &res), QEFF_E_INVALID_ARGUMENT,
                    "no tokenizer");
}

// One program, several threads generating at once: each call borrows its own
// session; results equal the single-threaded ones.
TEST(Embeddings, ConcurrentGenerateOnOneProgram) {
  Reference ref("roberta-tiny");
  Model m = load_model("roberta-tiny");
  Program p = compile(m.get(), {{"compile.seq_len", "64"}, {"compile.batch_size", "2"}});
  const std::vector<float> want = matrix(generate(p.get(), text_request(ref).get(), {{"runtime.threads", "1"}}).get());
  std::vector<std::thread> threads;
  std::vector<std::vector<float>> got(4);
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) got[t] = matrix(generate(p.get(), text_request(ref).get(), {{"runtime.threads", "1"}}).get());
    });
  for (auto &t : threads) t.join();
  for (const auto &g : got) EXPECT_EQ(g, want);
}

}  // namespace
