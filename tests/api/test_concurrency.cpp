// The threading contract of include/qeff/qeff.h (docs/c-api.md, "Threading"),
// at the C ABI, on the fixtures:
//  - one encoder program shared by N threads calling qeff_generate: every
//    output bit-equal to the single-thread one (same "runtime.threads") and
//    within 1e-4 of the PyTorch reference;
//  - one causal-LM program shared by N threads generating greedily, and mixed
//    traffic (embed on the encoder program, generate, pull streams, callback
//    streams) at once: tokens equal to the single-thread runs;
//  - explicit sessions: one per thread over one program (equal outputs), and
//    concurrent calls on ONE session or ONE stream: each call is correct or
//    QEFF_E_BUSY, never a corrupted output;
//  - one tokenizer shared by N threads: equal to the single-thread results.
// Built as its own executable (meson test "concurrency") so that a TSan build
// (-Db_sanitize=thread) can run just these.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <latch>
#include <mutex>
#include <thread>

#include "lm_test.hpp"

using namespace lm_test;

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif
#else
constexpr bool kTsan = false;
#endif

// Threads x requests per thread; smaller under TSan (2 cores, ~10x slower).
constexpr int kThreads = 8;
constexpr int kEmbedRequests = kTsan ? 16 : 32;
constexpr int kLmRequests = kTsan ? 6 : 16;
constexpr int kMaxNew = 12;

// QEFF_E_BUSY results of calls that overlap on one handle: counted, with the
// last message kept for the checks; the caller then retries.
struct BusyLog {
  std::atomic<int> count{0};
  std::mutex mu;
  std::string message;

  // True (after yielding) when `st` is QEFF_E_BUSY.
  bool note(qeff_status st) {
    if (st != QEFF_E_BUSY) return false;
    ++count;
    {
      std::lock_guard<std::mutex> lock(mu);
      message = qeff_last_error_message();
    }
    std::this_thread::yield();
    return true;
  }
};

// Runs fn(t) on `n` threads released together.
template <class F>
void run_threads(int n, F fn) {
  std::latch start(n);
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t)
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      fn(t);
    });
  for (auto &th : threads) th.join();
}

bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// qeff_generate without gtest assertions (called from worker threads): the
// matrix, or empty with `error` set.
std::vector<float> embed_once(const qeff_program *p, const qeff_request *r, const qeff_options *o, std::string &error) {
  qeff_result *res = nullptr;
  if (qeff_generate(p, r, o, &res) != QEFF_OK) {
    error = qeff_last_error_message();
    return {};
  }
  Result owned(res);
  const float *data = nullptr;
  size_t rows = 0, dim = 0;
  if (qeff_result_embeddings(res, &data, &rows, &dim) != QEFF_OK) {
    error = qeff_last_error_message();
    return {};
  }
  return std::vector<float>(data, data + rows * dim);
}

std::vector<int32_t> generate_tokens(const qeff_program *p, const qeff_request *r, const qeff_options *o,
                                     std::string &error) {
  qeff_result *res = nullptr;
  if (qeff_generate(p, r, o, &res) != QEFF_OK) {
    error = qeff_last_error_message();
    return {};
  }
  Result owned(res);
  const int32_t *ids = nullptr;
  size_t n = 0;
  if (qeff_result_tokens(res, 0, &ids, &n) != QEFF_OK) error = qeff_last_error_message();
  return ids ? std::vector<int32_t>(ids, ids + n) : std::vector<int32_t>();
}

// Tokens of row 0 pulled through qeff_stream_next.
std::vector<int32_t> stream_tokens(const qeff_program *p, const qeff_request *r, const qeff_options *o,
                                   std::string &error) {
  qeff_stream *s = nullptr;
  if (qeff_stream_create(p, r, o, &s) != QEFF_OK) {
    error = qeff_last_error_message();
    return {};
  }
  std::vector<int32_t> ids;
  for (;;) {
    qeff_stream_event e;
    if (qeff_stream_next(s, &e) != QEFF_OK) {
      error = qeff_last_error_message();
      break;
    }
    if (!e.has_event) break;
    if (e.token >= 0) ids.push_back(e.token);
  }
  qeff_stream_free(s);
  return ids;
}

int collect_tokens(size_t, int32_t token, const char *, size_t, int, void *payload) {
  if (token >= 0) static_cast<std::vector<int32_t> *>(payload)->push_back(token);
  return 0;
}

// Tokens of row 0 through the callback stream; checks that the result agrees.
std::vector<int32_t> callback_tokens(const qeff_program *p, const qeff_request *r, const qeff_options *o,
                                     std::string &error) {
  std::vector<int32_t> ids;
  qeff_result *res = nullptr;
  if (qeff_generate_stream(p, r, o, collect_tokens, &ids, &res) != QEFF_OK) {
    error = qeff_last_error_message();
    return {};
  }
  Result owned(res);
  const int32_t *got = nullptr;
  size_t n = 0;
  if (qeff_result_tokens(res, 0, &got, &n) != QEFF_OK || std::vector<int32_t>(got, got + n) != ids)
    error = "qeff_generate_stream: the callback's tokens differ from the result's";
  return ids;
}

struct Concurrency : ::testing::Test {
  static void SetUpTestSuite() {
    bert_ref = new Reference("bert-tiny");
    bert = load_model("bert-tiny").release();
    encoder = compile(bert, {{"compile.seq_len", "64"}}).release();
    llama = load_model("llama-tiny").release();
    lm = compile(llama, {{"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "64"}, {"compile.batch_size", "1"}})
             .release();
  }
  static void TearDownTestSuite() {
    qeff_program_free(lm);
    qeff_model_free(llama);
    qeff_program_free(encoder);
    qeff_model_free(bert);
    delete bert_ref;
  }
  void SetUp() override {
    ASSERT_NE(encoder, nullptr);
    ASSERT_NE(lm, nullptr);
  }

  // One request per prompt (different prompts per thread).
  static std::vector<Request> lm_requests() {
    std::vector<Request> r;
    for (const auto &p : prompts) r.push_back(text_rows({p}));
    return r;
  }
  // The encoder request of thread t: the reference texts rotated by t (so
  // threads differ; rows come back in request order).
  static std::vector<std::string> rotated(size_t t) {
    std::vector<std::string> texts = bert_ref->texts;
    std::rotate(texts.begin(), texts.begin() + static_cast<long>(t % texts.size()), texts.end());
    return texts;
  }
  static std::vector<float> rotated_reference(size_t t) {
    const auto &want = (bert_ref->default_normalize ? bert_ref->normalized : bert_ref->pooled).at(bert_ref->default_pooling);
    const size_t rows = bert_ref->texts.size(), dim = want.size() / rows;
    std::vector<float> out;
    for (size_t i = 0; i < rows; ++i) {
      size_t src = (i + t) % rows;
      out.insert(out.end(), want.begin() + static_cast<long>(src * dim), want.begin() + static_cast<long>((src + 1) * dim));
    }
    return out;
  }

  static inline Reference *bert_ref = nullptr;
  static inline qeff_model *bert = nullptr, *llama = nullptr;
  static inline qeff_program *encoder = nullptr, *lm = nullptr;
  static inline const std::vector<std::string> prompts = {
      "Once upon a time there was a little robot", "Hello world", "The river was cold", "Every morning the robot",
      "Café au lait in Zürich", "A B C D E F G", "the quick brown fox", "Good morning, world!"};
};

void print_figure(const char *what, int threads, int requests, int mismatches, double seconds) {
  std::printf("[concurrency] %s: %d threads x %d requests, %d mismatches, %.2f s%s\n", what, threads, requests,
              mismatches, seconds, kTsan ? " (TSan)" : "");
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// 1. One encoder program, N threads x M qeff_generate calls. Threads use
// "runtime.threads" 1 or 2 (each session's own pool): outputs are compared
// bit for bit with the single-thread call of the same setting.
TEST_F(Concurrency, SharedEncoderProgramGivesTheSingleThreadOutputs) {
  Options opts[2] = {options({{"runtime.threads", "1"}}), options({{"runtime.threads", "2"}})};
  std::vector<Request> requests;
  std::vector<std::vector<float>> base[2];
  for (size_t t = 0; t < kThreads; ++t) {
    qeff_request *r = nullptr;
    ASSERT_QEFF_OK(qeff_request_create(&r));
    requests.emplace_back(r);
    for (const auto &text : rotated(t)) ASSERT_QEFF_OK(qeff_request_add_text(r, text.data(), text.size()));
    for (int k = 0; k < 2; ++k) {
      std::string error;
      base[k].push_back(embed_once(encoder, r, opts[k].get(), error));
      ASSERT_EQ(error, "");
      EXPECT_LT(max_abs_diff(base[k].back(), rotated_reference(t)), 1e-4) << "thread " << t;
    }
  }
  std::atomic<int> mismatches{0}, failures{0};
  std::mutex mu;
  std::string first_error;
  const auto t0 = std::chrono::steady_clock::now();
  run_threads(kThreads, [&](int t) {
    const int k = t % 2;
    for (int i = 0; i < kEmbedRequests; ++i) {
      std::string error;
      std::vector<float> got = embed_once(encoder, requests[size_t(t)].get(), opts[k].get(), error);
      if (!error.empty()) {
        ++failures;
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.empty()) first_error = error;
      } else if (!same_bits(got, base[k][size_t(t)])) {
        ++mismatches;
      }
    }
  });
  const double s = since(t0);
  EXPECT_EQ(failures.load(), 0) << first_error;
  EXPECT_EQ(mismatches.load(), 0);
  print_figure("encoder qeff_generate", kThreads, kEmbedRequests, mismatches.load(), s);
}

// 2a. One causal-LM program, N threads generating greedily, each its own prompt.
TEST_F(Concurrency, SharedLmProgramGreedyTokensEqualSingleThread) {
  Options o = options({{"generate.max_new_tokens", std::to_string(kMaxNew)}, {"runtime.threads", "1"}});
  std::vector<Request> reqs = lm_requests();
  std::vector<std::vector<int32_t>> base;
  for (auto &r : reqs) {
    std::string error;
    base.push_back(generate_tokens(lm, r.get(), o.get(), error));
    ASSERT_EQ(error, "");
    ASSERT_FALSE(base.back().empty());
  }
  std::atomic<int> mismatches{0}, failures{0};
  const auto t0 = std::chrono::steady_clock::now();
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kLmRequests; ++i) {
      std::string error;
      auto got = generate_tokens(lm, reqs[size_t(t) % reqs.size()].get(), o.get(), error);
      if (!error.empty()) ++failures;
      else if (got != base[size_t(t) % reqs.size()]) ++mismatches;
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  print_figure("lm qeff_generate", kThreads, kLmRequests, mismatches.load(), since(t0));
}

// 2b. Mixed traffic at once: embed (encoder program), generate, pull streams
// and callback streams (LM program).
TEST_F(Concurrency, MixedEmbedGenerateAndStreams) {
  Options o = options({{"generate.max_new_tokens", std::to_string(kMaxNew)}, {"runtime.threads", "1"}});
  std::vector<Request> reqs = lm_requests();
  std::vector<std::vector<int32_t>> base;
  for (auto &r : reqs) {
    std::string error;
    base.push_back(generate_tokens(lm, r.get(), o.get(), error));
    ASSERT_EQ(error, "");
  }
  Request embed_req = text_request(*bert_ref);
  std::string error0;
  const std::vector<float> embed_base = embed_once(encoder, embed_req.get(), o.get(), error0);
  ASSERT_EQ(error0, "");
  std::atomic<int> mismatches{0}, failures{0};
  std::mutex mu;
  std::string first_error;
  const auto t0 = std::chrono::steady_clock::now();
  run_threads(kThreads, [&](int t) {
    for (int i = 0; i < kLmRequests; ++i) {
      std::string error;
      bool ok = true;
      const size_t p = size_t(t) % reqs.size();
      switch (t % 4) {
        case 0: ok = same_bits(embed_once(encoder, embed_req.get(), o.get(), error), embed_base); break;
        case 1: ok = generate_tokens(lm, reqs[p].get(), o.get(), error) == base[p]; break;
        case 2: ok = stream_tokens(lm, reqs[p].get(), o.get(), error) == base[p]; break;
        case 3: ok = callback_tokens(lm, reqs[p].get(), o.get(), error) == base[p]; break;
      }
      if (!error.empty()) {
        ++failures;
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.empty()) first_error = error;
      } else if (!ok) {
        ++mismatches;
      }
    }
  });
  EXPECT_EQ(failures.load(), 0) << first_error;
  EXPECT_EQ(mismatches.load(), 0);
  print_figure("mixed embed/generate/stream/callback", kThreads, kLmRequests, mismatches.load(), since(t0));
}

// Greedy generation by hand over qeff_session_run (prefill chunks of 4, then
// decode): the tokens and the last logits.
struct Manual {
  std::vector<int32_t> tokens;
  std::vector<float> logits;
};

Manual manual_generate(qeff_session *s, const std::vector<int32_t> &prompt, int steps) {
  Manual m;
  std::vector<float> logits;
  const int64_t n = static_cast<int64_t>(prompt.size());
  for (int64_t c = 0; c < n; c += 4) {
    std::vector<int64_t> ids(4, 0), pos(4, -1);
    for (int64_t i = c; i < std::min(n, c + 4); ++i) ids[size_t(i - c)] = prompt[size_t(i)], pos[size_t(i - c)] = i;
    logits = run_step(s, ids, pos);
  }
  for (int i = 0; i < steps && !logits.empty(); ++i) {
    int32_t next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    m.tokens.push_back(next);
    logits = run_step(s, {next}, {n + i});
  }
  m.logits = logits;
  return m;
}

std::vector<int32_t> encode_ids(const qeff_tokenizer *tok, const std::string &text) {
  qeff_encoding *e = nullptr;
  std::vector<int32_t> out;
  if (qeff_tokenizer_encode(tok, text.data(), text.size(), nullptr, &e) != QEFF_OK) return out;
  const int32_t *ids = nullptr;
  size_t n = 0;
  if (qeff_encoding_row(e, 0, &ids, nullptr, &n) == QEFF_OK) out.assign(ids, ids + n);
  qeff_encoding_free(e);
  return out;
}

// 3a. Explicit sessions: one per thread over one program, named tensors.
TEST_F(Concurrency, OneSessionPerThreadOverOneProgram) {
  qeff_tokenizer *tk = nullptr;
  ASSERT_QEFF_OK(qeff_program_tokenizer(lm, &tk));
  std::vector<std::vector<int32_t>> ids;
  for (const auto &p : prompts) ids.push_back(encode_ids(tk, p));
  qeff_tokenizer_free(tk);
  Options one = options({{"runtime.threads", "1"}});
  std::vector<Manual> base;
  for (const auto &p : ids) {
    qeff_session *s = nullptr;
    ASSERT_QEFF_OK(qeff_session_create(lm, one.get(), &s));
    Session owned(s);
    base.push_back(manual_generate(s, p, 6));
    ASSERT_FALSE(base.back().logits.empty());
  }
  std::atomic<int> mismatches{0};
  const auto t0 = std::chrono::steady_clock::now();
  run_threads(kThreads, [&](int t) {
    qeff_session *s = nullptr;
    if (qeff_session_create(lm, one.get(), &s) != QEFF_OK) {
      ++mismatches;
      return;
    }
    Session owned(s);
    for (int i = 0; i < kLmRequests; ++i) {
      if (i > 0 && qeff_session_reset(s) != QEFF_OK) ++mismatches;
      Manual m = manual_generate(s, ids[size_t(t) % ids.size()], 6);
      const Manual &want = base[size_t(t) % ids.size()];
      if (m.tokens != want.tokens || !same_bits(m.logits, want.logits)) ++mismatches;
    }
  });
  EXPECT_EQ(mismatches.load(), 0);
  print_figure("qeff_session_run, one session per thread", kThreads, kLmRequests, mismatches.load(), since(t0));
}

// 3b. Concurrent qeff_session_run on ONE session: each call returns the right
// logits or QEFF_E_BUSY naming the session, never a corrupted output. The
// calls prefill positions 0..3, so the answer does not depend on the order.
TEST_F(Concurrency, ConcurrentRunsOnOneSessionAreCorrectOrBusy) {
  qeff_session *s = nullptr;
  Options one = options({{"runtime.threads", "1"}});
  ASSERT_QEFF_OK(qeff_session_create(lm, one.get(), &s));
  Session owned(s);
  qeff_tokenizer *tk = nullptr;
  ASSERT_QEFF_OK(qeff_program_tokenizer(lm, &tk));
  const std::vector<int32_t> prompt = encode_ids(tk, prompts[0]);
  qeff_tokenizer_free(tk);
  ASSERT_GE(prompt.size(), 4u);
  const std::vector<int64_t> ids(prompt.begin(), prompt.begin() + 4), pos = {0, 1, 2, 3};
  const std::vector<float> want = run_step(s, ids, pos);
  ASSERT_FALSE(want.empty());
  constexpr int kCallers = 3, kCalls = 40;
  std::atomic<int> ok{0}, wrong{0}, other{0};
  BusyLog busy;
  std::mutex mu;
  std::string other_message;
  run_threads(kCallers, [&](int) {
    qeff_tensors *in = nullptr;
    if (qeff_tensors_create(&in) != QEFF_OK) return;
    Tensors inputs(in);
    const int64_t shape[2] = {1, 4};
    qeff_tensors_set(in, "input_ids", QEFF_DTYPE_I64, shape, 2, ids.data(), 32);
    qeff_tensors_set(in, "position_ids", QEFF_DTYPE_I64, shape, 2, pos.data(), 32);
    for (int i = 0; i < kCalls; ++i) {
      qeff_tensors *out = nullptr;
      qeff_status st = qeff_session_run(s, in, &out);
      Tensors outputs(out);
      if (busy.note(st)) continue;
      if (st != QEFF_OK) {
        ++other;
        std::lock_guard<std::mutex> lock(mu);
        other_message = qeff_last_error_message();
        continue;
      }
      size_t index = 0;
      const void *data = nullptr;
      size_t nbytes = 0;
      qeff_tensors_find(out, "logits", &index);
      qeff_tensors_data(out, index, &data, &nbytes);
      const float *f = static_cast<const float *>(data);
      if (f == nullptr || !same_bits(std::vector<float>(f, f + nbytes / sizeof(float)), want)) ++wrong;
      else ++ok;
    }
  });
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(other.load(), 0) << other_message;
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(ok.load() + busy.count.load(), kCallers * kCalls);
  if (busy.count.load() > 0) {
    EXPECT_NE(busy.message.find("qeff_session_run"), std::string::npos) << busy.message;
    EXPECT_NE(busy.message.find("qeff_session"), std::string::npos) << busy.message;
  }
  std::printf("[concurrency] one session, %d threads x %d runs: %d ok, %d QEFF_E_BUSY, %d wrong\n", kCallers, kCalls,
              ok.load(), busy.count.load(), wrong.load());
  // The session is still usable.
  EXPECT_TRUE(same_bits(run_step(s, ids, pos), want));
}

// 3c. Two threads pulling ONE stream: each call delivers an event or returns
// QEFF_E_BUSY; no event is lost or repeated, and the result is the
// single-thread generation.
TEST_F(Concurrency, ConcurrentPullsOnOneStreamAreCorrectOrBusy) {
  const std::string max_new = "40";  // prompt + 40 < ctx_len 64
  Options o = options({{"generate.max_new_tokens", max_new}, {"runtime.threads", "1"},
                       {"generate.ignore_eos", "true"}});
  Request req = text_rows({prompts[0], prompts[1]});
  Result plain = generate(lm, req.get(), {{"generate.max_new_tokens", max_new},
                                          {"runtime.threads", "1"}, {"generate.ignore_eos", "true"}});
  ASSERT_TRUE(plain);
  qeff_stream *s = nullptr;
  ASSERT_QEFF_OK(qeff_stream_create(lm, req.get(), o.get(), &s));
  std::unique_ptr<qeff_stream, Deleter<qeff_stream, qeff_stream_free>> owned(s);
  std::atomic<int> other{0};
  BusyLog busy;
  std::mutex mu;
  std::vector<std::vector<int32_t>> seen(2);  // tokens per row, in no particular order
  run_threads(2, [&](int) {
    for (;;) {
      qeff_stream_event e;
      qeff_status st = qeff_stream_next(s, &e);
      if (busy.note(st)) continue;
      if (st != QEFF_OK) {
        ++other;
        return;
      }
      if (!e.has_event) return;
      if (e.token >= 0) {
        std::lock_guard<std::mutex> lock(mu);
        seen.at(e.row).push_back(e.token);
      }
    }
  });
  EXPECT_EQ(other.load(), 0);
  qeff_result *r = nullptr;
  ASSERT_QEFF_OK(qeff_stream_result(s, &r));
  Result streamed(r);
  for (size_t row = 0; row < 2; ++row) {
    std::vector<int32_t> want = tokens(plain.get(), row);
    EXPECT_EQ(tokens(streamed.get(), row), want) << "row " << row;
    std::sort(want.begin(), want.end());
    std::sort(seen[row].begin(), seen[row].end());
    EXPECT_EQ(seen[row], want) << "row " << row << ": events lost or repeated";
  }
  if (busy.count.load() > 0) {
    EXPECT_NE(busy.message.find("qeff_stream"), std::string::npos) << busy.message;
  }
  std::printf("[concurrency] one stream, 2 threads: %d QEFF_E_BUSY\n", busy.count.load());
}

// 4. One tokenizer shared by N threads encoding and decoding different texts.
TEST_F(Concurrency, SharedTokenizerEqualsSingleThread) {
  for (const qeff_program *p : {encoder, lm}) {
    qeff_tokenizer *tk = nullptr;
    ASSERT_QEFF_OK(qeff_program_tokenizer(p, &tk));
    std::unique_ptr<qeff_tokenizer, Deleter<qeff_tokenizer, qeff_tokenizer_free>> owned(tk);
    std::vector<std::string> texts = prompts;
    for (const auto &t : bert_ref->texts) texts.push_back(t);
    struct Out {
      std::vector<int32_t> ids;
      std::string decoded, token;
    };
    auto work = [&](size_t i, Out &o) {
      o.ids = encode_ids(tk, texts[i]);
      char *d = nullptr;
      size_t n = 0;
      if (qeff_tokenizer_decode(tk, o.ids.data(), o.ids.size(), 1, &d, &n) == QEFF_OK) o.decoded.assign(d, n);
      qeff_string_free(d);
      const char *tok = nullptr;
      size_t len = 0;
      if (!o.ids.empty() && qeff_tokenizer_id_to_token(tk, o.ids.back(), &tok, &len) == QEFF_OK) o.token.assign(tok, len);
    };
    std::vector<Out> base(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      work(i, base[i]);
      ASSERT_FALSE(base[i].ids.empty());
    }
    std::atomic<int> mismatches{0};
    const int rounds = kTsan ? 20 : 50;
    const auto t0 = std::chrono::steady_clock::now();
    run_threads(kThreads, [&](int t) {
      for (int r = 0; r < rounds; ++r)
        for (size_t k = 0; k < texts.size(); ++k) {
          size_t i = (k + size_t(t)) % texts.size();
          Out o;
          work(i, o);
          if (o.ids != base[i].ids || o.decoded != base[i].decoded || o.token != base[i].token) ++mismatches;
        }
    });
    EXPECT_EQ(mismatches.load(), 0);
    print_figure(p == encoder ? "tokenizer (bert-tiny)" : "tokenizer (llama-tiny)", kThreads,
                 rounds * int(texts.size()), mismatches.load(), since(t0));
  }
}

}  // namespace
