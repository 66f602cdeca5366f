// Cancellation of load, compile, export, package save/load and generate
// (qeff.h "Cancellation", docs/cancellation.md), driven through the C ABI.
//
// Linked against the static core for one test hook,
// qeff::set_cancellation_observer_for_testing: it runs at every cancellation
// point of the calling thread, so a test can request cancellation exactly at
// the Nth point of a call and check, for every point, that the call returns
// QEFF_E_CANCELLED, leaves its output directory as it was, and that the same
// handles then succeed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api_test.hpp"
#include "common/cancel.hpp"
#include "model_writer.hpp"
#include "resource_test.hpp"

namespace {

namespace fs = std::filesystem;
using qeff_test::TempDir;

struct Free {
  void operator()(qeff_options *p) const { qeff_options_free(p); }
  void operator()(qeff_cancel *p) const { qeff_cancel_free(p); }
  void operator()(qeff_model *p) const { qeff_model_free(p); }
  void operator()(qeff_program *p) const { qeff_program_free(p); }
  void operator()(qeff_request *p) const { qeff_request_free(p); }
  void operator()(qeff_result *p) const { qeff_result_free(p); }
  void operator()(qeff_stream *p) const { qeff_stream_free(p); }
  void operator()(qeff_tokenizer *p) const { qeff_tokenizer_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

std::string model_dir(const char *name) { return qeff_test::fixtures_dir() + "/models/" + name; }

// What a cancelled call must leave unchanged: every entry under `dir`
// (resource_test.hpp); empty when there is no directory to watch.
std::map<std::string, std::string> snapshot(const fs::path &dir) {
  if (dir.empty() || !fs::exists(dir)) return {};
  return qeff_test::snapshot(dir);
}

// Options with a token attached.
struct Cancellable {
  Owned<qeff_cancel> token;
  Owned<qeff_options> options;
  Cancellable() {
    qeff_cancel *t = nullptr;
    qeff_options *o = nullptr;
    EXPECT_EQ(qeff_cancel_create(&t), QEFF_OK);
    EXPECT_EQ(qeff_options_create(&o), QEFF_OK);
    token.reset(t);
    options.reset(o);
    EXPECT_EQ(qeff_options_set_cancel(o, t), QEFF_OK);
  }
  void set(const char *key, const std::string &value) {
    ASSERT_EQ(qeff_options_set(options.get(), key, value.c_str()), QEFF_OK) << qeff_last_error_message();
  }
};

// The observer, removed at scope exit even when an assertion returns early.
struct Observer {
  explicit Observer(std::function<void(std::string_view)> f) { qeff::set_cancellation_observer_for_testing(std::move(f)); }
  ~Observer() { qeff::set_cancellation_observer_for_testing({}); }
};

// One cancellable call: `run` makes the call with `o`; `undo` removes what a
// successful call produced (so every run starts from the same state);
// `watched` is the directory a cancelled call must leave as it was, or (with
// `may_complete`: the compile cache, whose entry is committed before it is
// read back) exactly as a successful call leaves it, never in between.
struct Call {
  const char *function;
  std::function<qeff_status(const qeff_options *o)> run;
  std::function<void()> undo = [] {};
  fs::path watched;
  bool may_complete = false;
};

using Snapshot = std::map<std::string, std::string>;

// The stages of an uncancelled run of `call`, one per cancellation point, and
// the watched directory after it.
std::vector<std::string> stages_of(const Call &call, Cancellable &c, Snapshot *after) {
  std::vector<std::string> stages;
  {
    Observer obs([&](std::string_view s) { stages.emplace_back(s); });
    EXPECT_EQ(call.run(c.options.get()), QEFF_OK) << qeff_last_error_message();
  }
  *after = snapshot(call.watched);
  call.undo();
  return stages;
}

// Cancels `call` at every one of its cancellation points in turn (at most
// `max_points`, spread evenly, always the first and the last).
void cancel_at_every_point(const Call &call, Cancellable &c, size_t max_points = 120) {
  Snapshot after;
  const std::vector<std::string> stages = stages_of(call, c, &after);
  ASSERT_GE(stages.size(), 2u) << call.function << " has no cancellation point after \"starting\"";
  EXPECT_EQ(stages.front(), "starting");
  const auto before = snapshot(call.watched);
  std::vector<size_t> points;
  const size_t n = stages.size(), step = std::max<size_t>(1, n / max_points);
  for (size_t k = 0; k < n; k += step) points.push_back(k);
  if (points.back() != n - 1) points.push_back(n - 1);
  for (size_t k : points) {
    SCOPED_TRACE(std::string(call.function) + " cancelled at point " + std::to_string(k) + " of " +
                 std::to_string(n) + " (" + stages[k] + ")");
    ASSERT_EQ(qeff_cancel_reset(c.token.get()), QEFF_OK);
    size_t seen = 0;
    std::string stage;  // this run's (names of temporary files differ between runs)
    qeff_status s;
    {
      Observer obs([&](std::string_view at) {
        if (seen++ != k) return;
        stage = at;
        qeff_cancel_request(c.token.get());
      });
      s = call.run(c.options.get());
    }
    if (s == QEFF_OK) call.undo();
    EXPECT_EQ(s, QEFF_E_CANCELLED) << qeff_last_error_message();
    if (s == QEFF_E_CANCELLED) {
      const std::string m = qeff_last_error_message();
      EXPECT_NE(m.find(call.function), std::string::npos) << m;
      EXPECT_NE(m.find("cancelled (qeff_cancel_request) while " + stage), std::string::npos) << m;
    }
    const Snapshot now = snapshot(call.watched);
    EXPECT_TRUE(now == before || (call.may_complete && now == after))
        << "a cancelled call left " << call.watched << " changed, and not as a successful call leaves it";
    if (now != before) call.undo();
  }
  // The same options and handles work once the token is reset.
  ASSERT_EQ(qeff_cancel_reset(c.token.get()), QEFF_OK);
  EXPECT_EQ(call.run(c.options.get()), QEFF_OK) << qeff_last_error_message();
  call.undo();
}

Owned<qeff_model> load_model(const char *name) {
  qeff_model *m = nullptr;
  EXPECT_EQ(qeff_model_load(model_dir(name).c_str(), nullptr, &m), QEFF_OK) << qeff_last_error_message();
  return Owned<qeff_model>(m);
}

Owned<qeff_program> compile_lm(const qeff_model *m) {
  Cancellable c;
  c.set("compile.prefill_seq_len", "16");
  c.set("compile.ctx_len", "64");
  c.set("cache.enabled", "false");
  qeff_program *p = nullptr;
  EXPECT_EQ(qeff_compile(m, c.options.get(), &p), QEFF_OK) << qeff_last_error_message();
  return Owned<qeff_program>(p);
}

Owned<qeff_request> text_request(std::initializer_list<const char *> texts) {
  qeff_request *r = nullptr;
  EXPECT_EQ(qeff_request_create(&r), QEFF_OK);
  for (const char *t : texts) EXPECT_EQ(qeff_request_add_text(r, t, std::strlen(t)), QEFF_OK);
  return Owned<qeff_request>(r);
}

std::vector<int32_t> tokens_of(const qeff_result *r, size_t row) {
  const int32_t *ids = nullptr;
  size_t n = 0;
  EXPECT_EQ(qeff_result_tokens(r, row, &ids, &n), QEFF_OK);
  return std::vector<int32_t>(ids, ids + n);
}

TEST(CancelToken, RequestResetAndAttach) {
  qeff_cancel *t = nullptr;
  ASSERT_QEFF_OK(qeff_cancel_create(&t));
  int requested = -1;
  ASSERT_QEFF_OK(qeff_cancel_is_requested(t, &requested));
  EXPECT_EQ(requested, 0);
  ASSERT_QEFF_OK(qeff_cancel_request(t));
  ASSERT_QEFF_OK(qeff_cancel_request(t));  // idempotent
  ASSERT_QEFF_OK(qeff_cancel_is_requested(t, &requested));
  EXPECT_EQ(requested, 1);
  ASSERT_QEFF_OK(qeff_cancel_reset(t));
  ASSERT_QEFF_OK(qeff_cancel_is_requested(t, &requested));
  EXPECT_EQ(requested, 0);

  EXPECT_QEFF_ERROR(qeff_cancel_create(nullptr), QEFF_E_INVALID_ARGUMENT, "out");
  EXPECT_QEFF_ERROR(qeff_cancel_request(nullptr), QEFF_E_INVALID_HANDLE, "qeff_cancel_request");
  EXPECT_QEFF_ERROR(qeff_cancel_reset(nullptr), QEFF_E_INVALID_HANDLE, "qeff_cancel_reset");
  EXPECT_QEFF_ERROR(qeff_cancel_is_requested(t, nullptr), QEFF_E_INVALID_ARGUMENT, "out");
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  // A handle of another type is refused, both ways round.
  EXPECT_QEFF_ERROR(qeff_cancel_request(reinterpret_cast<qeff_cancel *>(o)), QEFF_E_INVALID_HANDLE, "qeff_cancel");
  EXPECT_QEFF_ERROR(qeff_options_set_cancel(reinterpret_cast<qeff_options *>(t), t), QEFF_E_INVALID_HANDLE,
                    "qeff_options");
  EXPECT_QEFF_ERROR(qeff_options_set_cancel(o, reinterpret_cast<qeff_cancel *>(o)), QEFF_E_INVALID_HANDLE,
                    "qeff_cancel");
  qeff_cancel_free(reinterpret_cast<qeff_cancel *>(o));  // a wrong-type free is ignored

  // The options keep the token alive: freed by the caller, it still cancels
  // nothing and breaks nothing; detaching with NULL works.
  ASSERT_QEFF_OK(qeff_options_set_cancel(o, t));
  ASSERT_QEFF_OK(qeff_cancel_request(t));
  qeff_model *m = nullptr;
  EXPECT_QEFF_ERROR(qeff_model_load(model_dir("llama-tiny").c_str(), o, &m), QEFF_E_CANCELLED,
                    "qeff_model_load cancelled (qeff_cancel_request) while starting");
  EXPECT_EQ(m, nullptr);
  ASSERT_QEFF_OK(qeff_options_set_cancel(o, nullptr));
  ASSERT_QEFF_OK(qeff_model_load(model_dir("llama-tiny").c_str(), o, &m));
  qeff_model_free(m);
  ASSERT_QEFF_OK(qeff_options_set_cancel(o, t));
  qeff_cancel_free(t);  // the options' reference remains
  EXPECT_QEFF_ERROR(qeff_model_load(model_dir("llama-tiny").c_str(), o, &m), QEFF_E_CANCELLED, "starting");
  qeff_options_free(o);
  qeff_cancel_free(nullptr);
}

// A token requested before the call: every cancellable function returns
// QEFF_E_CANCELLED at once, with NULL out-pointers and nothing written.
TEST(CancelToken, RequestedBeforeTheCallCancelsEveryFunction) {
  TempDir tmp;
  Owned<qeff_model> lm = load_model("llama-tiny");
  Owned<qeff_program> program = compile_lm(lm.get());
  ASSERT_QEFF_OK(qeff_program_save(program.get(), (tmp / "pkg").c_str(), nullptr));
  ASSERT_QEFF_OK(qeff_export(lm.get(), (tmp / "onnx").c_str(), nullptr));
  Owned<qeff_request> request = text_request({"hello"});
  Cancellable c;
  ASSERT_QEFF_OK(qeff_cancel_request(c.token.get()));
  const qeff_options *o = c.options.get();
  const auto before = snapshot(tmp.path());

  auto expect_cancelled = [](qeff_status s, const char *function) {
    EXPECT_EQ(s, QEFF_E_CANCELLED) << function << ": " << qeff_last_error_message();
    EXPECT_EQ(std::string(qeff_last_error_message()), std::string(function) + " cancelled (qeff_cancel_request) while starting");
  };
  qeff_model *m = reinterpret_cast<qeff_model *>(1);
  expect_cancelled(qeff_model_load(model_dir("llama-tiny").c_str(), o, &m), "qeff_model_load");
  EXPECT_EQ(m, nullptr);
  qeff_tokenizer *tok = reinterpret_cast<qeff_tokenizer *>(1);
  expect_cancelled(qeff_tokenizer_load(model_dir("llama-tiny").c_str(), o, &tok), "qeff_tokenizer_load");
  EXPECT_EQ(tok, nullptr);
  qeff_program *p = reinterpret_cast<qeff_program *>(1);
  expect_cancelled(qeff_compile(lm.get(), o, &p), "qeff_compile");
  EXPECT_EQ(p, nullptr);
  p = reinterpret_cast<qeff_program *>(1);
  expect_cancelled(qeff_compile_onnx((tmp / "onnx" / "model.onnx").c_str(), o, &p), "qeff_compile_onnx");
  EXPECT_EQ(p, nullptr);
  p = reinterpret_cast<qeff_program *>(1);
  expect_cancelled(qeff_program_load((tmp / "pkg").c_str(), o, &p), "qeff_program_load");
  EXPECT_EQ(p, nullptr);
  expect_cancelled(qeff_export(lm.get(), (tmp / "onnx2").c_str(), o), "qeff_export");
  expect_cancelled(qeff_program_save(program.get(), (tmp / "pkg2").c_str(), o), "qeff_program_save");
  qeff_result *r = reinterpret_cast<qeff_result *>(1);
  expect_cancelled(qeff_generate(program.get(), request.get(), o, &r), "qeff_generate");
  EXPECT_EQ(r, nullptr);
  qeff_stream *s = reinterpret_cast<qeff_stream *>(1);
  expect_cancelled(qeff_stream_create(program.get(), request.get(), o, &s), "qeff_stream_create");
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(snapshot(tmp.path()), before);
}

TEST(CancelEveryPoint, ModelLoadWithTensorChecks) {
  Cancellable c;
  c.set("load.check_tensors", "true");
  for (const char *name : {"llama-tiny", "llama-tiny-sharded"}) {
    const std::string dir = model_dir(name);
    cancel_at_every_point({"qeff_model_load",
                           [&](const qeff_options *o) {
                             qeff_model *m = nullptr;
                             qeff_status s = qeff_model_load(dir.c_str(), o, &m);
                             EXPECT_EQ(s == QEFF_OK, m != nullptr);
                             qeff_model_free(m);
                             return s;
                           },
                           [] {}, dir},
                          c);
  }
}

// Compiling through the program cache: a cancelled compile leaves no entry
// and no temporary directory in the cache (its skeleton and the entry's lock
// file, made by the first compile, stay as they are).
TEST(CancelEveryPoint, CompileThroughTheCache) {
  TempDir tmp;
  Owned<qeff_model> m = load_model("llama-tiny");
  Cancellable c;
  c.set("compile.prefill_seq_len", "16");
  c.set("compile.ctx_len", "64");
  c.set("cache.dir", (tmp / "cache").string());
  cancel_at_every_point({"qeff_compile",
                         [&](const qeff_options *o) {
                           qeff_program *p = nullptr;
                           qeff_status s = qeff_compile(m.get(), o, &p);
                           EXPECT_EQ(s == QEFF_OK, p != nullptr);
                           qeff_program_free(p);
                           return s;
                         },
                         [&] {
                           for (const auto &e : fs::directory_iterator(tmp / "cache" / "entries")) fs::remove_all(e);
                         },
                         tmp / "cache", true},
                        c);
}

TEST(CancelEveryPoint, EncoderCompileAndEmbed) {
  Owned<qeff_model> m = load_model("bert-tiny");
  Cancellable c;
  c.set("cache.enabled", "false");
  c.set("compile.seq_len", "8,16,32");
  qeff_program *compiled = nullptr;
  cancel_at_every_point({"qeff_compile",
                         [&](const qeff_options *o) {
                           qeff_program *p = nullptr;
                           qeff_status s = qeff_compile(m.get(), o, &p);
                           qeff_program_free(compiled);
                           compiled = p;
                           return s;
                         },
                         [] {}, {}},
                        c);
  Owned<qeff_program> program(compiled);
  ASSERT_NE(program, nullptr);
  // Five rows of different lengths: several batches, a point between each.
  Owned<qeff_request> request = text_request({"a", "a longer sentence here", "mid size text", "x y", "z"});
  qeff_result *reference = nullptr;
  ASSERT_QEFF_OK(qeff_generate(program.get(), request.get(), nullptr, &reference));
  Owned<qeff_result> ref(reference);
  cancel_at_every_point({"qeff_generate",
                         [&](const qeff_options *o) {
                           qeff_result *r = nullptr;
                           qeff_status s = qeff_generate(program.get(), request.get(), o, &r);
                           if (s == QEFF_OK) {  // equal to the uncancelled run
                             const float *a = nullptr, *b = nullptr;
                             size_t ra = 0, da = 0, rb = 0, db = 0;
                             EXPECT_EQ(qeff_result_embeddings(r, &a, &ra, &da), QEFF_OK);
                             EXPECT_EQ(qeff_result_embeddings(ref.get(), &b, &rb, &db), QEFF_OK);
                             EXPECT_TRUE(ra == rb && da == db && std::equal(a, a + ra * da, b));
                           }
                           qeff_result_free(r);
                           return s;
                         },
                         [] {}, {}},
                        c);
}

// Export over an earlier export (export.overwrite): a cancelled export keeps
// the earlier files byte for byte.
TEST(CancelEveryPoint, ExportOverAnEarlierExport) {
  TempDir tmp;
  Owned<qeff_model> m = load_model("llama-tiny");
  const std::string out = (tmp / "onnx").string();
  ASSERT_QEFF_OK(qeff_export(m.get(), out.c_str(), nullptr));
  Cancellable c;
  c.set("export.overwrite", "true");
  cancel_at_every_point({"qeff_export", [&](const qeff_options *o) { return qeff_export(m.get(), out.c_str(), o); },
                         [] {}, tmp.path()},
                        c);
  // And the ONNX compiles (cancelled at each point too).
  const std::string onnx = out + "/model.onnx";
  Cancellable k;
  k.set("compile.prefill_seq_len", "16");
  k.set("compile.ctx_len", "64");
  k.set("cache.enabled", "false");
  cancel_at_every_point({"qeff_compile_onnx",
                         [&](const qeff_options *o) {
                           qeff_program *p = nullptr;
                           qeff_status s = qeff_compile_onnx(onnx.c_str(), o, &p);
                           qeff_program_free(p);
                           return s;
                         },
                         [] {}, tmp.path()},
                        k);
}

// Package save (new and over an old package) and load.
TEST(CancelEveryPoint, PackageSaveAndLoad) {
  TempDir tmp;
  Owned<qeff_model> m = load_model("llama-tiny");
  Owned<qeff_program> program = compile_lm(m.get());
  const std::string fresh = (tmp / "new").string(), old = (tmp / "old").string();
  ASSERT_QEFF_OK(qeff_program_save(program.get(), old.c_str(), nullptr));
  Cancellable c;
  cancel_at_every_point({"qeff_program_save",
                         [&](const qeff_options *o) { return qeff_program_save(program.get(), fresh.c_str(), o); },
                         [&] { fs::remove_all(fresh); }, tmp.path()},
                        c);
  c.set("package.overwrite", "true");
  cancel_at_every_point({"qeff_program_save",
                         [&](const qeff_options *o) { return qeff_program_save(program.get(), old.c_str(), o); },
                         [] {}, tmp.path()},
                        c);
  cancel_at_every_point({"qeff_program_load",
                         [&](const qeff_options *o) {
                           qeff_program *p = nullptr;
                           qeff_status s = qeff_program_load(old.c_str(), o, &p);
                           qeff_program_free(p);
                           return s;
                         },
                         [] {}, tmp.path()},
                        c);
}

// Text generation stops between steps; the program stays usable and a later
// uncancelled generation equals the first.
TEST(CancelEveryPoint, TextGeneration) {
  Owned<qeff_model> m = load_model("llama-tiny");
  Owned<qeff_program> program = compile_lm(m.get());
  Owned<qeff_request> request = text_request({"The quick brown fox", "Hello"});
  Cancellable c;
  c.set("generate.max_new_tokens", "12");
  qeff_result *first = nullptr;
  ASSERT_QEFF_OK(qeff_generate(program.get(), request.get(), c.options.get(), &first));
  Owned<qeff_result> ref(first);
  cancel_at_every_point({"qeff_generate",
                         [&](const qeff_options *o) {
                           qeff_result *r = nullptr;
                           qeff_status s = qeff_generate(program.get(), request.get(), o, &r);
                           EXPECT_EQ(s == QEFF_OK, r != nullptr);
                           for (size_t row = 0; r != nullptr && row < 2; ++row)
                             EXPECT_EQ(tokens_of(r, row), tokens_of(ref.get(), row));
                           qeff_result_free(r);
                           return s;
                         },
                         [] {}, {}},
                        c);
}

// A stream created with the token ends when it is requested: the next
// qeff_stream_next reports QEFF_E_CANCELLED once, the rows end as
// QEFF_FINISH_CANCELLED and the result keeps what was generated.
TEST(CancelStream, TokenStopsTheStream) {
  Owned<qeff_model> m = load_model("llama-tiny");
  Owned<qeff_program> program = compile_lm(m.get());
  Owned<qeff_request> request = text_request({"The quick brown fox"});
  Cancellable c;
  c.set("generate.max_new_tokens", "20");
  qeff_stream *stream = nullptr;
  ASSERT_QEFF_OK(qeff_stream_create(program.get(), request.get(), c.options.get(), &stream));
  Owned<qeff_stream> s(stream);
  qeff_stream_event e{};
  int tokens = 0;
  while (tokens < 3) {
    ASSERT_QEFF_OK(qeff_stream_next(stream, &e));
    ASSERT_EQ(e.has_event, 1);
    tokens += e.token >= 0 ? 1 : 0;
  }
  ASSERT_QEFF_OK(qeff_cancel_request(c.token.get()));
  qeff_status st = QEFF_OK;
  for (int i = 0; i < 100 && st == QEFF_OK; ++i) {
    st = qeff_stream_next(stream, &e);
    if (st == QEFF_OK && e.has_event == 0) break;
  }
  EXPECT_EQ(st, QEFF_E_CANCELLED) << qeff_last_error_message();
  EXPECT_NE(std::string(qeff_last_error_message()).find("qeff_cancel_request"), std::string::npos);
  ASSERT_QEFF_OK(qeff_stream_next(stream, &e));
  EXPECT_EQ(e.has_event, 0);
  qeff_result *r = nullptr;
  ASSERT_QEFF_OK(qeff_stream_result(stream, &r));
  Owned<qeff_result> result(r);
  qeff_finish_reason why = QEFF_FINISH_NONE;
  ASSERT_QEFF_OK(qeff_result_finish_reason(r, 0, &why));
  EXPECT_EQ(why, QEFF_FINISH_CANCELLED);
  EXPECT_GE(tokens_of(r, 0).size(), 3u);
  EXPECT_LT(tokens_of(r, 0).size(), 20u);
}

// The request comes from another thread while the call waits at a point in
// the middle of its run (a handshake, so the test is deterministic): the call
// sees it at that point; one token cancels two calls on two threads.
TEST(CancelThreads, RequestFromAnotherThreadStopsTwoCalls) {
  TempDir tmp;
  Owned<qeff_model> m = load_model("llama-tiny");
  Cancellable c;
  c.set("cache.enabled", "false");
  c.set("compile.prefill_seq_len", "16");
  c.set("compile.ctx_len", "64");
  c.set("export.overwrite", "true");
  std::mutex mu;
  std::condition_variable cv;
  int waiting = 0;
  auto wait_at_point = [&](size_t target) {
    return [&, target, seen = size_t{0}](std::string_view) mutable {
      if (seen++ != target) return;
      std::unique_lock<std::mutex> lock(mu);
      ++waiting;
      cv.notify_all();
      int requested = 0;
      while (requested == 0) {
        cv.wait_for(lock, std::chrono::milliseconds(1));
        qeff_cancel_is_requested(c.token.get(), &requested);
      }
    };
  };
  qeff_status compile_status = QEFF_OK, export_status = QEFF_OK;
  std::thread compiler([&] {
    Observer obs(wait_at_point(5));
    qeff_program *p = nullptr;
    compile_status = qeff_compile(m.get(), c.options.get(), &p);
    qeff_program_free(p);
  });
  std::thread exporter([&] {
    Observer obs(wait_at_point(3));
    export_status = qeff_export(m.get(), (tmp / "onnx").c_str(), c.options.get());
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return waiting == 2; });
  }
  ASSERT_QEFF_OK(qeff_cancel_request(c.token.get()));
  cv.notify_all();
  compiler.join();
  exporter.join();
  EXPECT_EQ(compile_status, QEFF_E_CANCELLED);
  EXPECT_EQ(export_status, QEFF_E_CANCELLED);
  EXPECT_FALSE(fs::exists(tmp / "onnx" / "model.onnx"));
}

// Free-running: generation on one thread, the request after a few ms from
// another. Either outcome is allowed (the call may finish first); a
// cancelled call has stopped, the program is reusable, and the time from the
// request to the return is printed (docs/cancellation.md has the figures).
TEST(CancelThreads, FreeRunningGenerationIsCancelledOrCompletes) {
  Owned<qeff_model> m = load_model("llama-tiny");
  Cancellable k;
  k.set("compile.prefill_seq_len", "16");
  k.set("compile.ctx_len", "256");
  k.set("cache.enabled", "false");
  qeff_program *compiled = nullptr;
  ASSERT_QEFF_OK(qeff_compile(m.get(), k.options.get(), &compiled));
  Owned<qeff_program> program(compiled);
  Owned<qeff_request> request = text_request({"The quick brown fox", "Hello", "One two three", "A"});
  Cancellable c;
  c.set("generate.max_new_tokens", "200");
  c.set("generate.ignore_eos", "true");
  int cancelled = 0;
  std::vector<double> latency_ms;
  for (int delay_ms : {0, 1, 2, 4, 8, 16}) {
    ASSERT_QEFF_OK(qeff_cancel_reset(c.token.get()));
    qeff_status status = QEFF_OK;
    std::atomic<bool> returned{false};
    std::chrono::steady_clock::time_point done;
    std::thread worker([&] {
      qeff_result *r = nullptr;
      status = qeff_generate(program.get(), request.get(), c.options.get(), &r);
      done = std::chrono::steady_clock::now();
      returned = true;
      qeff_result_free(r);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    const auto requested = std::chrono::steady_clock::now();
    ASSERT_QEFF_OK(qeff_cancel_request(c.token.get()));
    worker.join();
    ASSERT_TRUE(status == QEFF_OK || status == QEFF_E_CANCELLED) << qeff_status_name(status);
    if (status == QEFF_E_CANCELLED) {
      ++cancelled;
      latency_ms.push_back(std::chrono::duration<double, std::milli>(done - requested).count());
    }
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  std::printf("cancelled %d of 6 generations; latency ms (request to return):", cancelled);
  for (double l : latency_ms) std::printf(" %.3f", l);
  std::printf("\n");
  // The program is reusable after every outcome.
  ASSERT_QEFF_OK(qeff_cancel_reset(c.token.get()));
  qeff_result *r = nullptr;
  ASSERT_QEFF_OK(qeff_generate(program.get(), request.get(), c.options.get(), &r));
  qeff_result_free(r);
}

}  // namespace
