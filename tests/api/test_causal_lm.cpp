// Causal LMs at the C ABI: every architecture's graph against the PyTorch
// reference (logits within 1e-4), driven through the Prefill/Decode plans.
#include <algorithm>
#include <cmath>

#include "lm_test.hpp"

using namespace lm_test;

namespace {

class CausalLm : public ::testing::TestWithParam<std::string> {};

// Logits of the reference prompt: one prefill of the whole prompt (last
// position), then token by token through the Decode plan (every position:
// exercises the KV cache), then in prefill chunks of 4 with right padding.
TEST_P(CausalLm, LogitsMatchPyTorch) {
  const std::string name = GetParam();
  ASSERT_TRUE(fixture_exists(name)) << "no fixture " << name;
  LmReference ref(name);
  Model m = load_model(name);
  ASSERT_TRUE(m);
  const int64_t n = static_cast<int64_t>(ref.logits_ids.size());
  const size_t vocab = static_cast<size_t>(ref.vocab);
  auto row = [&](int64_t i) {
    return std::vector<float>(ref.logits.begin() + i * ref.vocab, ref.logits.begin() + (i + 1) * ref.vocab);
  };
  for (int64_t prefill : {n, int64_t{4}}) {
    Program p = compile(m.get(), {{"compile.prefill_seq_len", std::to_string(prefill)}, {"compile.ctx_len", "64"}});
    ASSERT_TRUE(p);
    qeff_session *s = nullptr;
    ASSERT_QEFF_OK(qeff_session_create(p.get(), nullptr, &s));
    Session session(s);
    // Chunks of `prefill` (the last one padded with position -1).
    std::vector<float> last;
    for (int64_t c = 0; c < n; c += prefill) {
      std::vector<int64_t> ids(static_cast<size_t>(prefill), 0), pos(static_cast<size_t>(prefill), -1);
      for (int64_t i = c; i < std::min(n, c + prefill); ++i) {
        ids[static_cast<size_t>(i - c)] = ref.logits_ids[static_cast<size_t>(i)];
        pos[static_cast<size_t>(i - c)] = i;
      }
      last = run_step(s, ids, pos);
      ASSERT_EQ(last.size(), vocab);
      const int64_t last_pos = std::min(n, c + prefill) - 1;
      EXPECT_LT(max_abs_diff(last, row(last_pos)), 1e-4) << name << " prefill " << prefill << " position " << last_pos;
    }
    if (prefill != n) continue;
    // Token by token.
    ASSERT_QEFF_OK(qeff_session_reset(s));
    double worst = 0;
    for (int64_t i = 0; i < n; ++i) {
      std::vector<float> out = run_step(s, {ref.logits_ids[static_cast<size_t>(i)]}, {i});
      worst = std::max(worst, max_abs_diff(out, row(i)));
    }
    EXPECT_LT(worst, 1e-4) << name << " decode";
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CausalLm, ::testing::ValuesIn(lm_fixtures()),
                         [](const auto &info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

}  // namespace

namespace {

// Greedy generation of the reference's max_new_tokens tokens equals
// transformers' generate(): batch 1 (token ids), and the two batch prompts of
// different lengths as text rows in one batch of 2, with prefill chunks of 4
// (several chunks) and of 32 (one).
TEST_P(CausalLm, GreedyGenerationMatchesTransformers) {
  const std::string name = GetParam();
  ASSERT_TRUE(fixture_exists(name)) << "no fixture " << name;
  LmReference ref(name);
  Model m = load_model(name);
  ASSERT_TRUE(m);
  const std::string max_new = std::to_string(ref.max_new_tokens);
  for (const char *prefill : {"4", "32"}) {
    Program single = compile(m.get(), {{"compile.prefill_seq_len", prefill}, {"compile.ctx_len", "96"}});
    ASSERT_TRUE(single);
    Result r = generate(single.get(), token_request({ref.single_ids}).get(), {{"generate.max_new_tokens", max_new}});
    ASSERT_TRUE(r);
    EXPECT_EQ(tokens(r.get(), 0), ref.until_eos(ref.single_new)) << name << " prefill " << prefill;

    Program batch = compile(m.get(), {{"compile.prefill_seq_len", prefill}, {"compile.ctx_len", "96"},
                                      {"compile.batch_size", "2"}});
    ASSERT_TRUE(batch);
    Result rb = generate(batch.get(), text_rows(ref.batch_prompts).get(), {{"generate.max_new_tokens", max_new}});
    ASSERT_TRUE(rb);
    for (size_t i = 0; i < ref.batch_new.size(); ++i) {
      EXPECT_EQ(tokens(rb.get(), i), ref.until_eos(ref.batch_new[i])) << name << " prefill " << prefill << " row " << i;
      size_t prompt = 0;
      EXPECT_EQ(qeff_result_num_tokens(rb.get(), i, &prompt), QEFF_OK);
      EXPECT_EQ(prompt, ref.batch_ids[i].size()) << "the library's tokenizer gives the reference prompt";
    }
  }
}

}  // namespace

namespace {

// Reduced-precision weights: every position's logits (token by token through
// the KV cache) stay close to the fp32 reference. bf16 storage (f32 math):
// cosine >= 0.999 and the same argmax at >= 80% of positions; int8 (W8A8,
// per-token activation quantization): cosine >= 0.995 and argmax >= 75% (the
// random-weight fixtures have nearly flat logits, so close calls flip; the
// observed figures are printed and tabled in docs/kernels.md).
void expect_close_to_fp32(const char *dtype, double min_cos, size_t min_agree_percent) {
  for (const char *name : {"llama-tiny", "qwen2-tiny", "gpt2-tiny"}) {
    LmReference ref(name);
    Model m = load_model(name);
    Program p = compile(m.get(), {{"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "32"},
                                  {"compile.weight_dtype", dtype}});
    ASSERT_TRUE(p);
    qeff_session *s = nullptr;
    ASSERT_QEFF_OK(qeff_session_create(p.get(), nullptr, &s));
    Session session(s);
    const size_t n = ref.logits_ids.size(), vocab = static_cast<size_t>(ref.vocab);
    size_t same = 0;
    double worst = 1;
    for (size_t i = 0; i < n; ++i) {
      std::vector<float> out = run_step(s, {ref.logits_ids[i]}, {static_cast<int64_t>(i)});
      std::vector<float> want(ref.logits.begin() + static_cast<long>(i * vocab),
                              ref.logits.begin() + static_cast<long>((i + 1) * vocab));
      const double cos = min_cosine(out, want, vocab);
      worst = std::min(worst, cos);
      EXPECT_GE(cos, min_cos) << name << " position " << i;
      same += std::max_element(out.begin(), out.end()) - out.begin() ==
              std::max_element(want.begin(), want.end()) - want.begin();
    }
    std::printf("[   NOTE   ] %s %s: min cosine %.6f, argmax agrees at %zu of %zu positions\n", name, dtype, worst,
                same, n);
    EXPECT_GE(same * 100, n * min_agree_percent) << name << ": argmax agrees at " << same << " of " << n << " positions";
  }
}

TEST(CausalLmPrecision, Bf16WeightsStayCloseToFp32) { expect_close_to_fp32("bf16", 0.999, 80); }

TEST(CausalLmPrecision, Int8WeightsStayCloseToFp32) { expect_close_to_fp32("int8", 0.995, 75); }

}  // namespace
