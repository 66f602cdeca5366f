// Text generation behaviour at the C ABI (llama-tiny): streaming (callback and
// pull iterator) concatenates to the final text for every row, cancellation
// from another thread, seeded sampling, stop conditions, options and errors.
#include <atomic>
#include <cctype>
#include <cstring>
#include <chrono>
#include <thread>

#include "lm_test.hpp"

using namespace lm_test;

namespace {

struct TextGeneration : ::testing::Test {
  void SetUp() override {
    model = load_model("llama-tiny");
    ASSERT_TRUE(model);
    program = compile(model.get(), {{"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "64"},
                                    {"compile.batch_size", "2"}});
    ASSERT_TRUE(program);
  }
  Model model;
  Program program;
  const std::vector<std::string> prompts = {"Once upon a time there was a little robot", "Hello world",
                                            "The river was cold"};
};

struct Collected {
  std::vector<std::string> text = std::vector<std::string>(3);
  std::vector<std::vector<int32_t>> ids = std::vector<std::vector<int32_t>>(3);
  std::vector<int> finished = std::vector<int>(3);
  int stop_after = -1;  // cancel after this many events
  int events = 0;
};

int collect(size_t row, int32_t token, const char *text, size_t length, int row_finished, void *payload) {
  auto *c = static_cast<Collected *>(payload);
  c->text.at(row).append(text, length);
  if (token >= 0) c->ids.at(row).push_back(token);
  c->finished.at(row) += row_finished;
  ++c->events;
  return c->stop_after >= 0 && c->events >= c->stop_after ? 1 : 0;
}

// Three rows on a batch-2 program (two groups): every row's streamed pieces
// concatenate to its final text and its tokens, in both streaming forms.
TEST_F(TextGeneration, StreamingPiecesConcatenateForEveryRow) {
  Options o = options({{"generate.max_new_tokens", "20"}});
  Request req = text_rows(prompts);
  Result plain = generate(program.get(), req.get(), {{"generate.max_new_tokens", "20"}});
  ASSERT_TRUE(plain);

  Collected c;
  qeff_result *r = nullptr;
  ASSERT_QEFF_OK(qeff_generate_stream(program.get(), req.get(), o.get(), collect, &c, &r));
  Result streamed(r);
  qeff_stream *s = nullptr;
  ASSERT_QEFF_OK(qeff_stream_create(program.get(), req.get(), o.get(), &s));
  Collected pulled;
  for (;;) {
    qeff_stream_event e;
    ASSERT_QEFF_OK(qeff_stream_next(s, &e));
    if (!e.has_event) break;
    EXPECT_EQ(std::strlen(e.text), e.length);
    collect(e.row, e.token, e.text, e.length, e.row_finished, &pulled);
  }
  qeff_stream_event end;
  ASSERT_QEFF_OK(qeff_stream_next(s, &end));
  EXPECT_EQ(end.has_event, 0);
  qeff_result *sr = nullptr;
  ASSERT_QEFF_OK(qeff_stream_result(s, &sr));
  Result stream_result(sr);
  qeff_stream_free(s);

  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string t = text(plain.get(), i);
    EXPECT_FALSE(t.empty()) << i;
    for (const Collected *col : {&c, &pulled}) {
      EXPECT_EQ(col->text[i], t) << "row " << i;
      EXPECT_EQ(col->ids[i], tokens(plain.get(), i)) << "row " << i;
      EXPECT_EQ(col->finished[i], 1) << "row " << i;
    }
    EXPECT_EQ(text(streamed.get(), i), t);
    EXPECT_EQ(text(stream_result.get(), i), t);
  }
  double groups = 0;
  EXPECT_EQ(qeff_result_stat(plain.get(), "groups", &groups), QEFF_OK);
  EXPECT_EQ(groups, 2);
  for (const char *k : {"ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "generated_tokens"})
    EXPECT_GT(stat(plain.get(), k), 0) << k;
}

TEST_F(TextGeneration, CallbackCancelsAndTheProgramStaysUsable) {
  Request req = text_rows(prompts);
  Options o = options({{"generate.max_new_tokens", "20"}});
  Collected c;
  c.stop_after = 3;
  qeff_result *r = reinterpret_cast<qeff_result *>(1);
  EXPECT_QEFF_ERROR(qeff_generate_stream(program.get(), req.get(), o.get(), collect, &c, &r), QEFF_E_CANCELLED,
                    "cancelled");
  EXPECT_EQ(r, nullptr);
  EXPECT_LT(c.events, 12);  // stopped promptly: at most the rest of one step's events
  Result again = generate(program.get(), req.get(), {{"generate.max_new_tokens", "5"}});
  ASSERT_TRUE(again);
  EXPECT_EQ(tokens(again.get(), 0).size(), 5u);
}

// qeff_stream_cancel from another thread while the owner pulls: the stream
// ends promptly with the open rows cancelled; the program still generates the
// same tokens afterwards.
TEST_F(TextGeneration, StreamCancelFromAnotherThread) {
  Request req = text_rows(prompts);
  Options o = options({{"generate.ignore_eos", "true"}});  // runs to the context end unless cancelled
  Result before = generate(program.get(), req.get(), {{"generate.max_new_tokens", "8"}});
  qeff_stream *s = nullptr;
  ASSERT_QEFF_OK(qeff_stream_create(program.get(), req.get(), o.get(), &s));
  std::atomic<int> events{0};
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    while (events.load() < 5) std::this_thread::yield();
    EXPECT_EQ(qeff_stream_cancel(s), QEFF_OK);
    cancelled = true;
  });
  int after_cancel = 0;
  qeff_status last = QEFF_OK;
  for (;;) {
    qeff_stream_event e;
    last = qeff_stream_next(s, &e);
    if (last != QEFF_OK || !e.has_event) break;
    ++events;
    if (cancelled) ++after_cancel;
    // Pause per event, as a consumer doing work would: on 2 cores the pool's
    // spinning threads can otherwise starve the canceller until the rows reach
    // the context end (CONTEXT instead of CANCELLED).
    else std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  canceller.join();
  EXPECT_EQ(last, QEFF_E_CANCELLED) << qeff_last_error_message();
  EXPECT_LT(after_cancel, 16);  // the events of at most one more step, plus each row's final event
  qeff_result *r = nullptr;
  ASSERT_QEFF_OK(qeff_stream_result(s, &r));
  Result partial(r);
  qeff_stream_free(s);
  EXPECT_EQ(finish(partial.get(), 0), QEFF_FINISH_CANCELLED);
  EXPECT_EQ(finish(partial.get(), 2), QEFF_FINISH_CANCELLED);
  EXPECT_LT(tokens(partial.get(), 0).size(), 60u);
  Result after = generate(program.get(), req.get(), {{"generate.max_new_tokens", "8"}});
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(tokens(after.get(), i), tokens(before.get(), i));
}

TEST_F(TextGeneration, SeededSamplingIsReproducible) {
  Request req = text_rows(prompts);
  std::map<std::string, std::string> sample = {{"generate.do_sample", "true"}, {"generate.temperature", "1.5"},
                                               {"generate.top_k", "0"}, {"generate.max_new_tokens", "24"},
                                               {"generate.ignore_eos", "true"}, {"generate.seed", "7"}};
  Result a = generate(program.get(), req.get(), sample);
  Result b = generate(program.get(), req.get(), sample);
  sample["generate.seed"] = "8";
  Result c = generate(program.get(), req.get(), sample);
  Result greedy = generate(program.get(), req.get(), {{"generate.max_new_tokens", "24"}, {"generate.ignore_eos", "true"}});
  bool differs_seed = false, differs_greedy = false;
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(text(a.get(), i), text(b.get(), i)) << i;
    EXPECT_EQ(tokens(a.get(), i), tokens(b.get(), i)) << i;
    differs_seed |= tokens(a.get(), i) != tokens(c.get(), i);
    differs_greedy |= tokens(a.get(), i) != tokens(greedy.get(), i);
  }
  EXPECT_TRUE(differs_seed);
  EXPECT_TRUE(differs_greedy);
}

TEST_F(TextGeneration, StopConditions) {
  Request req = text_rows({prompts[0]});
  Result full = generate(program.get(), req.get(), {{"generate.max_new_tokens", "16"}, {"generate.ignore_eos", "true"}});
  const std::vector<int32_t> ids = tokens(full.get(), 0);
  const std::string t = text(full.get(), 0);
  ASSERT_EQ(ids.size(), 16u);
  EXPECT_EQ(finish(full.get(), 0), QEFF_FINISH_LENGTH);
  // EOS: declare the 5th generated token an end-of-sequence id.
  Result eos = generate(program.get(), req.get(), {{"generate.eos_token_ids", std::to_string(ids[4])}});
  EXPECT_EQ(finish(eos.get(), 0), QEFF_FINISH_EOS);
  std::vector<int32_t> upto(ids.begin(), std::find(ids.begin(), ids.end(), ids[4]) + 1);
  EXPECT_EQ(tokens(eos.get(), 0), upto);
  // Stop string: two ASCII letters from the second half of the text; the text ends before them.
  size_t at = t.size() / 2;
  while (at + 1 < t.size() && !(std::isalpha(static_cast<unsigned char>(t[at])) &&
                                std::isalpha(static_cast<unsigned char>(t[at + 1]))))
    ++at;
  ASSERT_LT(at + 1, t.size()) << t;
  const std::string stop = t.substr(at, 2);
  Result st = generate(program.get(), req.get(),
                       {{"generate.stop", "[\"" + stop + "\"]"}, {"generate.ignore_eos", "true"},
                        {"generate.max_new_tokens", "16"}});
  EXPECT_EQ(finish(st.get(), 0), QEFF_FINISH_STOP);
  EXPECT_EQ(text(st.get(), 0), t.substr(0, t.find(stop)));
  // Context: prompt + generated fill ctx_len 64.
  Result ctx = generate(program.get(), req.get(), {{"generate.ignore_eos", "true"}});
  size_t prompt = 0;
  ASSERT_QEFF_OK(qeff_result_num_tokens(ctx.get(), 0, &prompt));
  EXPECT_EQ(finish(ctx.get(), 0), QEFF_FINISH_CONTEXT);
  EXPECT_EQ(prompt + tokens(ctx.get(), 0).size(), 64u);
}

TEST_F(TextGeneration, PromptLongerThanTheContext) {
  std::vector<int32_t> long_prompt(70, 100);
  long_prompt[0] = 1;
  Request req = token_request({long_prompt});
  Options o = options({});
  qeff_result *r = nullptr;
  EXPECT_QEFF_ERROR(qeff_generate(program.get(), req.get(), o.get(), &r), QEFF_E_CONTEXT_OVERFLOW, "row 0",
                    "70 prompt tokens", "64");
  EXPECT_EQ(r, nullptr);
  Result t = generate(program.get(), req.get(), {{"generate.truncate", "true"}, {"generate.max_new_tokens", "4"}});
  size_t prompt = 0;
  ASSERT_QEFF_OK(qeff_result_num_tokens(t.get(), 0, &prompt));
  EXPECT_EQ(prompt, 60u);
  EXPECT_EQ(tokens(t.get(), 0).size(), 4u);
  EXPECT_EQ(stat(t.get(), "truncated_rows"), 1);
}

TEST_F(TextGeneration, BadOptionsAndRequests) {
  qeff_result *r = nullptr;
  Request req = text_rows({"Hello"});
  Options bad_stop = options({{"generate.stop", "not json"}});
  EXPECT_QEFF_ERROR(qeff_generate(program.get(), req.get(), bad_stop.get(), &r), QEFF_E_INVALID_ARGUMENT,
                    "generate.stop");
  Options bad_temp = options({{"generate.do_sample", "true"}, {"generate.temperature", "0"}});
  EXPECT_QEFF_ERROR(qeff_generate(program.get(), req.get(), bad_temp.get(), &r), QEFF_E_INVALID_ARGUMENT,
                    "generate.temperature");
  Request out_of_vocab = token_request({{1, 600}});
  Options none = options({});
  EXPECT_QEFF_ERROR(qeff_generate(program.get(), out_of_vocab.get(), none.get(), &r), QEFF_E_INVALID_ARGUMENT,
                    "600", "vocabulary");
  qeff_request *pair = nullptr;
  ASSERT_QEFF_OK(qeff_request_create(&pair));
  Request pairs(pair);
  ASSERT_QEFF_OK(qeff_request_add_text_pair(pair, "a", 1, "b", 1));
  EXPECT_QEFF_ERROR(qeff_generate(program.get(), pair, none.get(), &r), QEFF_E_INVALID_ARGUMENT, "pair");
  Result ok = generate(program.get(), req.get(), {{"generate.max_new_tokens", "2"}});
  const float *data = nullptr;
  EXPECT_QEFF_ERROR(qeff_result_embeddings(ok.get(), &data, nullptr, nullptr), QEFF_E_NOT_FOUND, "qeff_result_text");
  const char *t = nullptr;
  EXPECT_QEFF_ERROR(qeff_result_text(ok.get(), 1, &t, nullptr), QEFF_E_INVALID_ARGUMENT, "row 1");
  qeff_stream *s = nullptr;
  ASSERT_QEFF_OK(qeff_stream_create(program.get(), req.get(), none.get(), &s));
  EXPECT_QEFF_ERROR(qeff_stream_result(s, &r), QEFF_E_STATE, "not ended");
  qeff_stream_free(s);  // before it ran: fine
}

// The program and the request may be freed before the stream.
TEST_F(TextGeneration, StreamOutlivesProgramAndRequest) {
  qeff_stream *s = nullptr;
  {
    Request req = text_rows({prompts[1]});
    Options o = options({{"generate.max_new_tokens", "6"}, {"generate.ignore_eos", "true"}});
    ASSERT_QEFF_OK(qeff_stream_create(program.get(), req.get(), o.get(), &s));
  }
  program.reset();
  model.reset();
  int n = 0;
  for (;;) {
    qeff_stream_event e;
    ASSERT_QEFF_OK(qeff_stream_next(s, &e));
    if (!e.has_event) break;
    ++n;
  }
  EXPECT_EQ(n, 7);  // six tokens and the final event
  qeff_stream_free(s);
}

}  // namespace

namespace {

namespace fs = std::filesystem;

// generation_config.json's values are the defaults: max_new_tokens, and the
// eos id list; an option overrides them.
TEST(TextGenerationDefaults, FromGenerationConfig) {
  qeff_test::TempDir dir;
  const fs::path src = fs::path(qeff_test::fixtures_dir()) / "models" / "llama-tiny";
  for (const auto &e : fs::directory_iterator(src)) fs::copy(e.path(), dir.path() / e.path().filename());
  // Find the greedy continuation first, then declare its 3rd token an EOS id.
  Model plain = load_model("llama-tiny");
  Program pp = compile(plain.get(), {{"compile.prefill_seq_len", "8"}, {"compile.ctx_len", "48"}});
  Request req = token_request({{1, 300, 301, 302}});
  Result base = generate(pp.get(), req.get(), {{"generate.max_new_tokens", "8"}, {"generate.ignore_eos", "true"}});
  const std::vector<int32_t> ids = tokens(base.get(), 0);
  ASSERT_EQ(ids.size(), 8u);
  fs::remove(dir.path() / "generation_config.json");
  qeff_test::write_file(dir.path() / "generation_config.json",
                        "{\"bos_token_id\": 1, \"eos_token_id\": [" + std::to_string(ids[2]) +
                            ", 2], \"max_new_tokens\": 5}");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(qeff_model_load(dir.path().c_str(), nullptr, &m));
  Model model(m);
  Program p = compile(model.get(), {{"compile.prefill_seq_len", "8"}, {"compile.ctx_len", "48"}});
  Result eos = generate(p.get(), req.get());
  const size_t cut = static_cast<size_t>(std::find(ids.begin(), ids.end(), ids[2]) - ids.begin()) + 1;
  EXPECT_EQ(tokens(eos.get(), 0), std::vector<int32_t>(ids.begin(), ids.begin() + static_cast<long>(cut)));
  EXPECT_EQ(finish(eos.get(), 0), QEFF_FINISH_EOS);
  Result capped = generate(p.get(), req.get(), {{"generate.eos_token_ids", "2"}});
  EXPECT_EQ(tokens(capped.get(), 0).size(), std::min<size_t>(5, ids.size()));
  Result longer = generate(p.get(), req.get(), {{"generate.ignore_eos", "true"}, {"generate.max_new_tokens", "8"}});
  EXPECT_EQ(tokens(longer.get(), 0), ids);
}

}  // namespace

namespace {

// GPT-2's learned positions bound the context: a longer ctx_len fails at compile time.
TEST(TextGenerationDefaults, LearnedPositionsBoundTheContext) {
  Model m = load_model("gpt2-tiny");
  qeff_program *p = nullptr;
  Options o = options({{"compile.ctx_len", "256"}});
  EXPECT_QEFF_ERROR(qeff_compile(m.get(), o.get(), &p), QEFF_E_INVALID_ARGUMENT, "ctx_len 256", "128 positions");
  EXPECT_EQ(p, nullptr);
}

}  // namespace
