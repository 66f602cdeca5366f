// RELIABILITY.md B13.119: reads and writes interrupted by signals (EINTR) and
// short transfers are retried, never taken for EOF or success. The test runs
// a whole pipeline through the C ABI (tokenizer load, model load, compile
// through the compile cache and from it, save a package, load it back with
// digest verification, export ONNX, compile the export through the cache)
// twice: once plainly and once with tests/support/io_faults_shim.c making
// every other read(2), pread(2) and write(2) on a regular file fail with EINTR
// and the others transfer at most half of what was asked. Both runs must give
// the same tokens, the same files and the same program descriptions.
//
// The shim is an LD_PRELOAD library; when the test process was started
// without it, the test runs itself again under it (a child process).
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "api_test.hpp"
#include "lm_test.hpp"
#include "resource_test.hpp"

using namespace qeff_test;

namespace {

using EnableFn = void (*)(int);
using CountFn = unsigned long (*)(int);

struct Outputs {
  std::vector<std::vector<int32_t>> tokens;  // one generation per program
  std::vector<int32_t> encoded;              // the tokenizer's ids for a text
  std::map<std::string, std::string> package, onnx;
  std::vector<std::string> infos;            // qeff_program_info of each program
};

std::vector<int32_t> generate(const qeff_program *p) {
  lm_test::Request req = lm_test::token_request({{1, 300, 301, 302}});
  lm_test::Result r = lm_test::generate(p, req.get(), {{"generate.max_new_tokens", "5"}, {"generate.ignore_eos", "true"}});
  return r ? lm_test::tokens(r.get(), 0) : std::vector<int32_t>{};
}

std::string info(const qeff_program *p) {
  const char *json = nullptr;
  EXPECT_EQ(qeff_program_info(p, &json), QEFF_OK) << qeff_last_error_message();
  return json ? json : "";
}

// The pipeline, in `work` (holding a copy of the model in model/; caches and
// outputs go beside it). The files it wrote are read by the caller.
Outputs pipeline(const fs::path &work) {
  Outputs out;
  const fs::path model = work / "model", pkg = work / "pkg", onnx = work / "onnx";
  qeff_tokenizer *tok = nullptr;
  EXPECT_EQ(qeff_tokenizer_load(model.c_str(), nullptr, &tok), QEFF_OK) << qeff_last_error_message();
  qeff_encoding *enc = nullptr;
  const std::string text = "Hello, short reads and interrupted calls!";
  EXPECT_EQ(qeff_tokenizer_encode(tok, text.data(), text.size(), nullptr, &enc), QEFF_OK) << qeff_last_error_message();
  const int32_t *ids = nullptr;
  size_t n = 0;
  if (enc != nullptr && qeff_encoding_row(enc, 0, &ids, nullptr, &n) == QEFF_OK) out.encoded.assign(ids, ids + n);
  qeff_encoding_free(enc);
  qeff_tokenizer_free(tok);

  qeff_model *m = nullptr;
  EXPECT_EQ(qeff_model_load(model.c_str(), nullptr, &m), QEFF_OK) << qeff_last_error_message();
  lm_test::Model owned(m);
  const std::map<std::string, std::string> cached = {
      {"cache.enabled", "true"}, {"cache.dir", (work / "cache").string()}, {"compile.ctx_len", "32"},
      {"compile.prefill_seq_len", "8"}};
  for (int pass = 0; pass < 2; ++pass) {  // compiled and stored, then read back from the cache
    lm_test::Program p = lm_test::compile(m, cached);
    if (!p) return out;
    out.tokens.push_back(generate(p.get()));
    out.infos.push_back(info(p.get()));
    if (pass == 0) {
      EXPECT_EQ(qeff_program_save(p.get(), pkg.c_str(), nullptr), QEFF_OK) << qeff_last_error_message();
    }
  }
  lm_test::Options verify = lm_test::options({{"package.verify", "true"}});
  qeff_program *loaded = nullptr;
  EXPECT_EQ(qeff_program_load(pkg.c_str(), verify.get(), &loaded), QEFF_OK) << qeff_last_error_message();
  lm_test::Program from_package(loaded);
  if (loaded != nullptr) out.tokens.push_back(generate(loaded)), out.infos.push_back(info(loaded));

  EXPECT_EQ(qeff_export(m, onnx.c_str(), nullptr), QEFF_OK) << qeff_last_error_message();
  lm_test::Options onnx_options = lm_test::options(cached);
  for (int pass = 0; pass < 2; ++pass) {  // the cache digests the external data (pread)
    qeff_program *p = nullptr;
    EXPECT_EQ(qeff_compile_onnx((onnx / "model.onnx").c_str(), onnx_options.get(), &p), QEFF_OK)
        << qeff_last_error_message();
    lm_test::Program from_onnx(p);
    if (p != nullptr) out.tokens.push_back(generate(p)), out.infos.push_back(info(p));
  }
  return out;
}

// Runs this test again in a child with the shim preloaded; returns its exit status.
int rerun_under_the_shim() {
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  const std::string shim = (exe.parent_path() / "libqeff_io_faults.so").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("LD_PRELOAD", shim.c_str(), 1);
    // A sanitizer runtime linked into the test must come first otherwise.
    const char *asan = std::getenv("ASAN_OPTIONS");
    ::setenv("ASAN_OPTIONS", (std::string(asan ? asan : "") + ":verify_asan_link_order=0").c_str(), 1);
    std::string filter = "--gtest_filter=IoFaults.*";
    char *argv[] = {const_cast<char *>(exe.c_str()), filter.data(), nullptr};
    ::execv(exe.c_str(), argv);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(IoFaults, B13_119_InterruptedAndShortReadsAndWritesChangeNothing) {
  auto enable = reinterpret_cast<EnableFn>(::dlsym(RTLD_DEFAULT, "qeff_io_faults_enable"));
  auto count = reinterpret_cast<CountFn>(::dlsym(RTLD_DEFAULT, "qeff_io_faults_count"));
  if (enable == nullptr || count == nullptr) {
    ASSERT_EQ(std::getenv("QEFF_IO_FAULTS_CHILD"), nullptr) << "the shim did not load in the child";
    ::setenv("QEFF_IO_FAULTS_CHILD", "1", 1);
    EXPECT_EQ(rerun_under_the_shim(), 0) << "the test failed under the shim (output above)";
    return;
  }
  TempDir tmp;
  copy_model("llama-tiny", tmp / "plain" / "model");
  copy_model("llama-tiny", tmp / "faulty" / "model");
  Outputs plain = pipeline(tmp / "plain");
  ASSERT_FALSE(HasFailure()) << "the plain run failed";
  enable(1);
  Outputs faulty = pipeline(tmp / "faulty");
  enable(0);
  for (auto [o, dir] : {std::pair{&plain, tmp / "plain"}, std::pair{&faulty, tmp / "faulty"}}) {
    o->package = snapshot(dir / "pkg");
    o->onnx = snapshot(dir / "onnx");
  }
  ASSERT_EQ(plain.tokens.size(), 5u);
  EXPECT_FALSE(plain.encoded.empty());
  for (const auto &t : plain.tokens) EXPECT_EQ(t, plain.tokens[0]);  // every program generates the same
  EXPECT_EQ(faulty.tokens, plain.tokens);
  EXPECT_EQ(faulty.encoded, plain.encoded);
  EXPECT_EQ(faulty.infos, plain.infos);
  EXPECT_EQ(names(faulty.package), names(plain.package));
  EXPECT_TRUE(faulty.package == plain.package) << "package files differ";
  EXPECT_EQ(names(faulty.onnx), names(plain.onnx));
  EXPECT_TRUE(faulty.onnx == plain.onnx) << "ONNX files differ";
  // The shim was in the path of every kind of call.
  const char *calls[] = {"read", "pread", "write"};
  for (int i = 0; i < 3; ++i) EXPECT_GT(count(i), 10u) << calls[i] << " was never interrupted";
  std::printf("faults injected: read %lu, pread %lu, write %lu\n", count(0), count(1), count(2));
}

}  // namespace
