// Caller callbacks that misbehave (qeff.h, "Callbacks"; RELIABILITY B12.113,
// B14.125): a qeff_generate_stream callback or a log callback that throws a
// C++ exception. The exception never unwinds through qeff: the stream call
// stops with QEFF_E_CANCELLED naming the exception (the callback is not called
// again, no result, the program stays usable and gives the same text), and a
// log callback's exception is dropped without changing the call that logged.
// Run under ASan too (build-asan): nothing leaks, nothing stays locked.
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "embed_test.hpp"

using namespace embed_test;

namespace {

const std::vector<std::string> kPrompts = {"Once upon a time there was a little robot", "Hello world",
                                           "The river was cold"};

Request prompts_request() {
  qeff_request *r = nullptr;
  EXPECT_EQ(qeff_request_create(&r), QEFF_OK);
  for (const auto &t : kPrompts) EXPECT_EQ(qeff_request_add_text(r, t.data(), t.size()), QEFF_OK);
  return Request(r);
}

std::vector<std::string> texts(const qeff_result *r) {
  std::vector<std::string> out;
  for (size_t row = 0; row < kPrompts.size(); ++row) {
    const char *t = nullptr;
    size_t n = 0;
    EXPECT_EQ(qeff_result_text(r, row, &t, &n), QEFF_OK) << qeff_last_error_message();
    out.emplace_back(t ? std::string(t, n) : std::string());
  }
  return out;
}

// What the callback throws, and at which event (-1: never).
struct Thrower {
  enum Kind { kStd, kInt } kind = kStd;
  int throw_at = -1;  // the event (0-based) that throws
  int calls = 0;
};

int throwing_callback(size_t, int32_t, const char *, size_t, int, void *payload) {
  auto *t = static_cast<Thrower *>(payload);
  const int index = t->calls++;
  if (index == t->throw_at) {
    if (t->kind == Thrower::kInt) throw 42;
    throw std::runtime_error("boom from the callback at event " + std::to_string(index));
  }
  return 0;
}

struct Callbacks : ::testing::Test {
  void SetUp() override {
    model = load_model("llama-tiny");
    ASSERT_TRUE(model);
    program = compile(model.get(), {{"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "48"},
                                    {"compile.batch_size", "2"}, {"cache.enabled", "false"}});
    ASSERT_TRUE(program);
    request = prompts_request();
    gen_options = options({{"generate.max_new_tokens", "6"}, {"runtime.threads", "2"}});
    Result r = generate_with(gen_options.get());
    ASSERT_TRUE(r);
    expected = texts(r.get());
  }
  Result generate_with(const qeff_options *o) {
    qeff_result *res = nullptr;
    EXPECT_EQ(qeff_generate(program.get(), request.get(), o, &res), QEFF_OK) << qeff_last_error_message();
    return Result(res);
  }
  // Runs the stream with `t`; returns its status, checking the result handle.
  qeff_status stream(Thrower &t, Result &out) {
    qeff_result *res = reinterpret_cast<qeff_result *>(&t);  // must be replaced
    qeff_status s = qeff_generate_stream(program.get(), request.get(), gen_options.get(), throwing_callback, &t, &res);
    if (s != QEFF_OK) {
      EXPECT_EQ(res, nullptr) << "a failed qeff_generate_stream left *out set";
    }
    out.reset(s == QEFF_OK ? res : nullptr);
    return s;
  }
  Model model;
  Program program;
  Request request;
  Options gen_options;
  std::vector<std::string> expected;
};

// A std::exception at the first, a middle and the last event: CANCELLED with
// the exception's text, the callback never called again, and the program
// gives the same texts afterwards (its pooled session came back clean).
TEST_F(Callbacks, StreamCallbackThatThrowsStopsTheCallAndTheProgramStaysUsable) {
  Thrower full;
  Result r;
  ASSERT_EQ(stream(full, r), QEFF_OK) << qeff_last_error_message();
  EXPECT_EQ(texts(r.get()), expected);
  const int total = full.calls;
  ASSERT_GT(total, 3);
  for (int at : {0, total / 2, total - 1}) {
    SCOPED_TRACE("throw at event " + std::to_string(at) + " of " + std::to_string(total));
    Thrower t;
    t.throw_at = at;
    Result none;
    const std::string what = "boom from the callback at event " + std::to_string(at);
    EXPECT_QEFF_ERROR(stream(t, none), QEFF_E_CANCELLED, "qeff_generate_stream", "callback threw", what.c_str(),
                      "must not throw");
    EXPECT_EQ(t.calls, at + 1) << "the callback was called again after it threw";
    Result again = generate_with(gen_options.get());
    ASSERT_TRUE(again);
    EXPECT_EQ(texts(again.get()), expected);
  }
  Thrower after;  // and the stream itself still streams the same text
  ASSERT_EQ(stream(after, r), QEFF_OK) << qeff_last_error_message();
  EXPECT_EQ(texts(r.get()), expected);
  EXPECT_EQ(after.calls, total);
}

TEST_F(Callbacks, NonStdExceptionIsCaughtToo) {
  Thrower t;
  t.kind = Thrower::kInt;
  t.throw_at = 2;
  Result none;
  EXPECT_QEFF_ERROR(stream(t, none), QEFF_E_CANCELLED, "qeff_generate_stream", "not std::exception");
  EXPECT_EQ(t.calls, 3);
}

// Many throwing and well-behaved streams at once on one program: every call
// returns (no lock or session stays taken) with its own status.
TEST_F(Callbacks, ThrowingCallbacksOnSeveralThreadsDoNotBlockOthers) {
  constexpr int kThreads = 4, kRounds = 3;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        Thrower t;
        t.throw_at = (i + round) % 2 == 0 ? 1 + i : -1;
        qeff_result *res = nullptr;
        qeff_status s = qeff_generate_stream(program.get(), request.get(), gen_options.get(), throwing_callback,
                                             &t, &res);
        Result owned(res);
        const bool ok = t.throw_at < 0 ? s == QEFF_OK && texts(res) == expected
                                       : s == QEFF_E_CANCELLED && res == nullptr && t.calls == t.throw_at + 1;
        if (!ok) ++wrong;
      }
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  Result after = generate_with(gen_options.get());
  ASSERT_TRUE(after);
  EXPECT_EQ(texts(after.get()), expected);
}

struct LogThrower {
  std::atomic<int> calls{0};
};

void throwing_log(qeff_log_level, const char *, void *payload) {
  ++static_cast<LogThrower *>(payload)->calls;
  throw std::runtime_error("boom from the log callback");
}

// A log callback that throws on every message: failing and succeeding calls
// give exactly what they give without it (status, message, results).
TEST_F(Callbacks, LogCallbackThatThrowsIsDropped) {
  LogThrower log;
  ASSERT_QEFF_OK(qeff_set_log_callback(throwing_log, QEFF_LOG_DEBUG, &log));
  qeff_model *m = reinterpret_cast<qeff_model *>(&log);
  // A failure is logged at DEBUG as it is set: the message must survive.
  EXPECT_QEFF_ERROR(qeff_model_load("/nonexistent/qeff-model", nullptr, &m), QEFF_E_NOT_FOUND, "does not exist");
  EXPECT_EQ(m, nullptr);
  EXPECT_GT(log.calls.load(), 0);
  // Loads, compiles and generates log along the way.
  const int before = log.calls.load();
  Model again = load_model("llama-tiny");
  ASSERT_TRUE(again);
  Program p = compile(again.get(), {{"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "48"},
                                    {"compile.batch_size", "2"}, {"cache.enabled", "false"}});
  ASSERT_TRUE(p);
  qeff_result *res = nullptr;
  ASSERT_QEFF_OK(qeff_generate(p.get(), request.get(), gen_options.get(), &res));
  Result owned(res);
  EXPECT_EQ(texts(res), expected);
  EXPECT_GT(log.calls.load(), before);
  ASSERT_QEFF_OK(qeff_set_log_callback(nullptr, QEFF_LOG_ERROR, nullptr));
}

}  // namespace
