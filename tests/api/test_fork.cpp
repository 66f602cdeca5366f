// fork() after initialization (qeff.h, "fork"; docs/c-api.md; RELIABILITY
// B15.137). The parent loads, compiles and generates with a multi-threaded
// session (its worker threads idle in the program's session pool), then
// forks. The child, which has only the forking thread, must be able to load,
// compile and generate anew, and to reuse the parent's program (whose pooled
// session restarts its workers), with the parent's output; the parent is
// unaffected. Each child runs under alarm() so that a hang (workers that do
// not exist in the child) fails the test instead of blocking it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "embed_test.hpp"

using namespace embed_test;

#if defined(__SANITIZE_THREAD__)
#define QEFF_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QEFF_TSAN 1
#endif
#endif

namespace {

const std::map<std::string, std::string> kCompile = {
    {"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "48"}, {"compile.batch_size", "2"},
    {"cache.enabled", "false"}};
const std::map<std::string, std::string> kGenerate = {{"generate.max_new_tokens", "8"}, {"runtime.threads", "3"}};

Request prompts() {
  qeff_request *r = nullptr;
  EXPECT_EQ(qeff_request_create(&r), QEFF_OK);
  for (const char *t : {"Once upon a time there was a little robot", "Hello world", "The river was cold"})
    EXPECT_EQ(qeff_request_add_text(r, t, std::strlen(t)), QEFF_OK);
  return Request(r);
}

// The rows' texts of a greedy generation, or an empty vector on failure
// (usable in the child, where gtest's assertions do not report).
std::vector<std::string> generate_texts(const qeff_program *p, const qeff_request *r) {
  Options o = options(kGenerate);
  qeff_result *res = nullptr;
  if (qeff_generate(p, r, o.get(), &res) != QEFF_OK) {
    std::fprintf(stderr, "qeff_generate failed: %s\n", qeff_last_error_message());
    return {};
  }
  Result owned(res);
  size_t rows = 0;
  std::vector<std::string> out;
  if (qeff_result_num_rows(res, &rows) != QEFF_OK) return {};
  for (size_t row = 0; row < rows; ++row) {
    const char *t = nullptr;
    size_t n = 0;
    if (qeff_result_text(res, row, &t, &n) != QEFF_OK) return {};
    out.emplace_back(t, n);
  }
  return out;
}

// Runs `child` in a forked child (its return value is the exit code) and
// returns the child's wait status description: "" when it exited with 0.
std::string run_child(const std::function<int()> &child) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    alarm(240);  // a watchdog, not a timing assertion: a deadlock becomes SIGALRM
    int code = 99;
    try {
      code = child();
    } catch (...) {
      code = 98;
    }
    std::fflush(nullptr);
    _exit(code);  // no atexit handlers or destructors of the parent's objects
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return "waitpid failed";
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 0 ? "" : "child exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "child killed by signal " + std::to_string(WTERMSIG(status)) +
           (WTERMSIG(status) == SIGALRM ? " (SIGALRM: it hung)" : "");
  return "child ended oddly";
}

std::atomic<int> g_log_messages{0};
void count_log(qeff_log_level, const char *, void *) { ++g_log_messages; }

struct Fork : ::testing::Test {
  void SetUp() override {
#ifdef QEFF_TSAN
    GTEST_SKIP() << "ThreadSanitizer does not support starting threads after a multi-threaded fork";
#endif
    model = load_model("llama-tiny");
    ASSERT_TRUE(model);
    program = compile(model.get(), kCompile);
    ASSERT_TRUE(program);
    request = prompts();
    expected = generate_texts(program.get(), request.get());  // leaves a 3-thread session in the pool
    ASSERT_EQ(expected.size(), 3u);
    // The log sink's lock is taken around fork(); a child must still log.
    ASSERT_QEFF_OK(qeff_set_log_callback(count_log, QEFF_LOG_DEBUG, nullptr));
  }
  void TearDown() override { qeff_set_log_callback(nullptr, QEFF_LOG_ERROR, nullptr); }
  Model model;
  Program program;
  Request request;
  std::vector<std::string> expected;
};

TEST_F(Fork, ChildLoadsCompilesAndGeneratesLikeTheParent) {
  std::string status = run_child([&] {
    qeff_model *m = nullptr;
    if (qeff_model_load(model_dir("llama-tiny").c_str(), nullptr, &m) != QEFF_OK) return 1;
    Model child_model(m);
    Options o = options(kCompile);
    qeff_program *p = nullptr;
    if (qeff_compile(m, o.get(), &p) != QEFF_OK) return 2;
    Program child_program(p);
    Request r = prompts();
    if (generate_texts(p, r.get()) != expected) return 3;
    const int before = g_log_messages.load();
    qeff_model *none = nullptr;
    if (qeff_model_load("/nonexistent/qeff-model", nullptr, &none) != QEFF_E_NOT_FOUND) return 4;
    if (g_log_messages.load() == before) return 5;  // the callback ran in the child
    return 0;
  });
  EXPECT_EQ(status, "");
  EXPECT_EQ(generate_texts(program.get(), request.get()), expected) << "the parent after the fork";
}

TEST_F(Fork, ChildReusesTheParentsProgramAndHandles) {
  std::string status = run_child([&] {
    // The pooled session's workers are not in the child: they must restart.
    for (int round = 0; round < 2; ++round)
      if (generate_texts(program.get(), request.get()) != expected) return 1 + round;
    // A session made and run by hand over the parent's program, and the
    // parent's model compiled again.
    Options o = options(kCompile);
    qeff_program *p = nullptr;
    if (qeff_compile(model.get(), o.get(), &p) != QEFF_OK) return 3;
    Program again(p);
    if (generate_texts(p, request.get()) != expected) return 4;
    return 0;
  });
  EXPECT_EQ(status, "");
  // Forking twice (a child of a child) works the same way.
  status = run_child([&] {
    std::string inner = run_child([&] { return generate_texts(program.get(), request.get()) == expected ? 0 : 1; });
    if (!inner.empty()) {
      std::fprintf(stderr, "grandchild: %s\n", inner.c_str());
      return 1;
    }
    return generate_texts(program.get(), request.get()) == expected ? 0 : 2;
  });
  EXPECT_EQ(status, "");
  EXPECT_EQ(generate_texts(program.get(), request.get()), expected) << "the parent after the forks";
}

}  // namespace
