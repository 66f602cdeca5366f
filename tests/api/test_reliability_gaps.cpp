// RELIABILITY.md catalogue items that had no test of their own (see the
// "Catalogue" section of docs/reliability.md). Each test is named after its
// item and goes through the C ABI only (libqeff.so and qeff.h).
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <thread>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "api_test.hpp"
#include "lm_test.hpp"
#include "model_writer.hpp"

using namespace qeff_test;

namespace {

// Runs `body` on another thread and waits at most `seconds` for it: a
// deadlock or a hang ends the test binary with a message instead of hanging the
// run (no fork: the library's thread pools do not survive one).
bool with_deadline(const std::function<bool()> &body, int seconds = 120) {
  auto done = std::make_shared<std::promise<bool>>();
  std::future<bool> result = done->get_future();
  std::thread([body, done] { done->set_value(body()); }).detach();
  if (result.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::fprintf(stderr, "FATAL: no return within %d s (deadlock or hang)\n", seconds);
    std::fflush(stderr);
    std::_Exit(1);
  }
  return result.get();
}

// Binds a Unix socket at `p`; returns its fd (the socket stays until closed).
int bind_socket(const fs::path &p) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, p.c_str(), sizeof a.sun_path - 1);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0) << p;
  return fd;
}

size_t open_fds() {
  size_t n = 0;
  for (const auto &e : fs::directory_iterator("/proc/self/fd")) n += !e.path().empty();
  return n;
}

// B1.2: the path is a socket, or config.json is a socket: a format error, no hang.
TEST(ReliabilityGaps, B1_2_SocketInsteadOfDirectoryOrConfig) {
  TempDir tmp;
  fs::path dir = tmp / "model";
  write_llama(dir);
  int s1 = bind_socket(tmp / "sock");
  qeff_model *m = reinterpret_cast<qeff_model *>(1);
  qeff_status st = load((tmp / "sock").string(), &m);
  EXPECT_TRUE(st == QEFF_E_FORMAT || st == QEFF_E_IO) << qeff_status_name(st) << ": " << qeff_last_error_message();
  EXPECT_NE(std::string(qeff_last_error_message()).find("sock"), std::string::npos) << qeff_last_error_message();
  EXPECT_EQ(m, nullptr);
  fs::remove(dir / "config.json");
  int s2 = bind_socket(dir / "config.json");
  EXPECT_TRUE(with_deadline([&] {
    qeff_model *mm = nullptr;
    qeff_status s = load(dir.string(), &mm);
    return (s == QEFF_E_FORMAT || s == QEFF_E_IO) && mm == nullptr &&
           std::string(qeff_last_error_message()).find("config.json") != std::string::npos;
  }));
  ::close(s1);
  ::close(s2);
}

// B5.48: an index that names one shard for every tensor opens that shard once
// (a cap of one shard is enough).
TEST(ReliabilityGaps, B5_48_OneShardListedForEveryTensorIsOpenedOnce) {
  TempDir tmp;
  fs::path dir = tmp / "model";
  LlamaSpec spec;
  write_llama(dir, spec);
  fs::rename(dir / "model.safetensors", dir / "model-00001-of-00001.safetensors");
  std::string map;
  for (const auto &t : llama_tensors(spec))
    map += (map.empty() ? "" : ",") + std::string("\"") + t.name + "\": \"model-00001-of-00001.safetensors\"";
  write_file(dir / "model.safetensors.index.json", "{\"weight_map\": {" + map + "}}");
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  ASSERT_QEFF_OK(qeff_options_set_int(o, "limits.shard_count", 1));
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m, o));
  size_t n = 0;
  ASSERT_QEFF_OK(qeff_model_num_tensors(m, &n));
  EXPECT_EQ(n, llama_tensors(spec).size());
  qeff_model_free(m);
  qeff_options_free(o);
}

// B6.51/53/54: adapters are not applied; a PEFT adapter directory is refused
// as such (never loaded as if it were a model).
TEST(ReliabilityGaps, B6_51_AdapterDirectoryIsRefused) {
  TempDir tmp;
  write_file(tmp / "adapter_config.json",
             R"({"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"],)"
             R"( "base_model_name_or_path": "meta-llama/Llama-2-7b-hf"})");
  write_file(tmp / "adapter_model.safetensors",
             safetensors_file({{"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", {4, 16}}}));
  EXPECT_LOAD_ERROR(tmp.str(), QEFF_E_UNSUPPORTED, "PEFT LoRA adapter", "meta-llama/Llama-2-7b-hf");
}

// B11.97: thread count, batch size and context length out of range are
// argument errors naming the key (no clamp).
TEST(ReliabilityGaps, B11_97_ThreadsBatchAndContextOutOfRange) {
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "runtime.threads", -1), QEFF_E_INVALID_ARGUMENT, "runtime.threads");
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "runtime.threads", 100000), QEFF_E_INVALID_ARGUMENT, "runtime.threads");
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "compile.batch_size", 0), QEFF_E_INVALID_ARGUMENT, "compile.batch_size");
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "compile.ctx_len", 0), QEFF_E_INVALID_ARGUMENT, "compile.ctx_len");
  // A bad weight dtype ("fp7") is refused by qeff_compile: Program.CompileErrors.
  ASSERT_QEFF_OK(qeff_options_set_int(o, "runtime.threads", 0));  // 0: one per hardware thread (documented)
  qeff_options_free(o);
}

// B12.104: a negative or 2^31 max_new_tokens is an argument error; the
// largest allowed value is bounded by the context.
TEST(ReliabilityGaps, B12_104_MaxNewTokensBounds) {
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "generate.max_new_tokens", -1), QEFF_E_INVALID_ARGUMENT,
                    "generate.max_new_tokens");
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "generate.max_new_tokens", int64_t{1} << 31), QEFF_E_INVALID_ARGUMENT,
                    "generate.max_new_tokens");
  qeff_options_free(o);
  lm_test::Model model = lm_test::load_model("llama-tiny");
  ASSERT_TRUE(model);
  lm_test::Program p = lm_test::compile(model.get(), {{"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "16"}});
  ASSERT_TRUE(p);
  lm_test::Request req = lm_test::token_request({{1, 300, 301}});
  lm_test::Result r = lm_test::generate(p.get(), req.get(),
                                        {{"generate.max_new_tokens", "1048576"}, {"generate.ignore_eos", "true"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(lm_test::tokens(r.get(), 0).size(), 13u);  // 3 prompt + 13 = ctx_len 16
  EXPECT_EQ(lm_test::finish(r.get(), 0), QEFF_FINISH_CONTEXT);
}

// B12.113: a streaming callback that calls generate on the same program
// (re-entrancy) gets a result or QEFF_E_BUSY, never a deadlock or a crash.
struct Reentry {
  const qeff_program *program;
  const qeff_request *request;
  qeff_status inner = QEFF_OK;
  int calls = 0;
};

int reenter(size_t, int32_t, const char *, size_t, int, void *payload) {
  auto *r = static_cast<Reentry *>(payload);
  if (r->calls++ == 0) {
    qeff_options *o = nullptr;
    qeff_options_create(&o);
    qeff_options_set(o, "generate.max_new_tokens", "2");
    qeff_result *res = nullptr;
    r->inner = qeff_generate(r->program, r->request, o, &res);
    qeff_result_free(res);
    qeff_options_free(o);
  }
  return 0;
}

TEST(ReliabilityGaps, B12_113_ReentrantGenerateFromTheCallback) {
  lm_test::Model model = lm_test::load_model("llama-tiny");
  ASSERT_TRUE(model);
  lm_test::Program p = lm_test::compile(model.get(), {{"compile.prefill_seq_len", "4"}, {"compile.ctx_len", "16"}});
  ASSERT_TRUE(p);
  lm_test::Request req = lm_test::token_request({{1, 300, 301}});
  EXPECT_TRUE(with_deadline([&] {
    Reentry r{p.get(), req.get()};
    qeff_options *o = nullptr;
    qeff_options_create(&o);
    qeff_options_set(o, "generate.max_new_tokens", "4");
    qeff_result *res = nullptr;
    qeff_status outer = qeff_generate_stream(p.get(), req.get(), o, reenter, &r, &res);
    qeff_result_free(res);
    qeff_options_free(o);
    bool ok = outer == QEFF_OK && r.calls > 0 && (r.inner == QEFF_OK || r.inner == QEFF_E_BUSY);
    if (!ok)
      std::fprintf(stderr, "outer %s, inner %s after %d calls: %s\n", qeff_status_name(outer),
                   qeff_status_name(r.inner), r.calls, qeff_last_error_message());
    return ok;
  }));
}

// B13.118: with no file descriptor left, a sharded load fails cleanly (an
// error status, never E_INTERNAL or a crash), and every path closes its fds.
TEST(ReliabilityGaps, B13_118_FileDescriptorLimitWithShards) {
  TempDir tmp;
  fs::path dir = tmp / "model";
  LlamaSpec spec;
  write_llama(dir, spec);
  fs::remove(dir / "model.safetensors");
  auto t = llama_tensors(spec);
  std::vector<TensorSpec> a(t.begin(), t.begin() + 4), b(t.begin() + 4, t.end());
  write_file(dir / "model-00001-of-00002.safetensors", safetensors_file(a));
  write_file(dir / "model-00002-of-00002.safetensors", safetensors_file(b));
  std::string map;
  for (size_t i = 0; i < t.size(); ++i)
    map += (i ? "," : "") + std::string("\"") + t[i].name + "\": \"model-0000" + (i < 4 ? "1" : "2") +
           "-of-00002.safetensors\"";
  write_file(dir / "model.safetensors.index.json", "{\"weight_map\": {" + map + "}}");
  EXPECT_TRUE(with_deadline([&] {
    qeff_model *m = nullptr;
    if (load(dir.string(), &m) != QEFF_OK) return false;  // warm-up: one-time fds (logging, ...) opened
    qeff_model_free(m);
    const size_t before = open_fds();
    rlimit old{};
    ::getrlimit(RLIMIT_NOFILE, &old);
    bool ok = true;
    int failed = 0;
    const int lowest_free = ::dup(0);  // a new fd must be below the limit: none below this one is free
    ::close(lowest_free);
    for (rlim_t extra = 0; extra < 6; ++extra) {  // 0..5 fds to spare: fail at every step of the load
      rlimit low = old;
      low.rlim_cur = static_cast<rlim_t>(lowest_free) + extra;
      ::setrlimit(RLIMIT_NOFILE, &low);
      m = nullptr;
      qeff_status s = load(dir.string(), &m);
      ::setrlimit(RLIMIT_NOFILE, &old);
      failed += s != QEFF_OK;
      if (s == QEFF_OK) {
        qeff_model_free(m);
      } else if (s == QEFF_E_INTERNAL || m != nullptr || *qeff_last_error_message() == '\0') {
        std::fprintf(stderr, "spare %d: %s %s\n", static_cast<int>(extra), qeff_status_name(s),
                     qeff_last_error_message());
        ok = false;
      }
      if (open_fds() != before) {
        std::fprintf(stderr, "spare %d: %zu fds open, %zu before\n", static_cast<int>(extra), open_fds(), before);
        ok = false;
      }
    }
    if (failed == 0) std::fprintf(stderr, "no load failed: the fd limit was not reached\n");
    return ok && failed > 0;
  }));
}

}  // namespace
