// Unit tests: the compile cache (src/compiler/cache.hpp): root resolution from
// the environment, keys, hits and misses (a rewritten external-data byte is a
// miss), corrupted entries rebuilt, one build for concurrent threads and
// processes, list/remove/clear, and the fallback when the cache is unusable.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/digest.hpp"
#include "common/log.hpp"
#include "compiler/cache.hpp"
#include "graph/builder.hpp"
#include "model_writer.hpp"
#include "onnx/export.hpp"
#include "program_samples.hpp"
#include "unit_test.hpp"

using namespace qeff::compiler;
using qeff_test::read_file;
using qeff_test::sample_program;
using qeff_test::TempDir;
using qeff_test::write_file;
namespace fs = std::filesystem;

namespace {

// Sets (or unsets, with nullopt) environment variables for one scope.
class EnvGuard {
 public:
  void set(const char *name, std::optional<std::string> value) {
    if (!saved_.count(name)) {
      const char *old = std::getenv(name);
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  }
  ~EnvGuard() {
    for (const auto &[name, value] : saved_) {
      if (value) ::setenv(name.c_str(), value->c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

// Collects warnings logged while it lives.
class LogCapture {
 public:
  LogCapture() { qeff::set_log_callback(&LogCapture::on_log, QEFF_LOG_WARN, this); }
  ~LogCapture() { qeff::set_log_callback(nullptr, QEFF_LOG_WARN, nullptr); }
  std::string text() const { return text_; }

 private:
  static void on_log(qeff_log_level, const char *message, void *self) {
    static_cast<LogCapture *>(self)->text_ += std::string(message) + "\n";
  }
  std::string text_;
};

std::string key_for(const std::string &source) {
  return cache_key("program", source, canonical_options_text(sample_program().options));
}

// A model with one external initializer (64x64 F32 > the 1 KiB inline limit).
void export_model_dir(const fs::path &dir) {
  auto weights = std::make_shared<std::vector<float>>(64 * 64, 0.5f);
  qeff::graph::GraphBuilder b("m");
  qeff::graph::TensorType act{QEFF_DTYPE_F32, {qeff::graph::Dim::sym("batch"), qeff::graph::Dim::fixed(64)}};
  auto x = b.input("x", act);
  auto w = b.initializer("w", {QEFF_DTYPE_F32, qeff::graph::fixed_shape({64, 64})},
                         qeff::graph::WeightData::view(reinterpret_cast<const uint8_t *>(weights->data()),
                                                       weights->size() * 4, weights));
  b.output(b.op("MatMul", {x, w}), act, "y");
  qeff::onnx_io::export_model(std::move(b).finish(), dir.string());
}

size_t entries_in(const fs::path &dir) {
  if (!fs::exists(dir)) return 0;
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST(Cache, RootFromEnvironment) {
  EnvGuard env;
  env.set("QEFF_HOME", "/q/home/");
  env.set("XDG_CACHE_HOME", "/xdg");
  env.set("HOME", "/home/u");
  EXPECT_EQ(default_cache_root(), "/q/home");
  env.set("QEFF_HOME", "relative/dir");  // not absolute: skipped
  EXPECT_EQ(default_cache_root(), "/xdg/qeff");
  env.set("QEFF_HOME", "");
  env.set("XDG_CACHE_HOME", std::nullopt);
  EXPECT_EQ(default_cache_root(), "/home/u/.cache/qeff");
  env.set("XDG_CACHE_HOME", "~/cache");
  EXPECT_EQ(default_cache_root(), "/home/u/.cache/qeff");
  env.set("HOME", std::nullopt);
  EXPECT_QEFF_ERROR(default_cache_root(), QEFF_E_INVALID_ARGUMENT, "QEFF_HOME, XDG_CACHE_HOME and HOME", "cache.dir");
  EXPECT_QEFF_ERROR(ProgramCache(), QEFF_E_INVALID_ARGUMENT, "no cache directory");
  EXPECT_QEFF_ERROR(ProgramCache("relative"), QEFF_E_INVALID_ARGUMENT, "absolute");
  env.set("HOME", "/h");
  EXPECT_EQ(ProgramCache().root(), "/h/.cache/qeff");
}

TEST(Cache, Keys) {
  std::string a = cache_key("program", "xxh3-128:00", "{}");
  EXPECT_EQ(a.size(), 8u + 32u);
  EXPECT_EQ(a.rfind("program-", 0), 0u);
  EXPECT_EQ(a, cache_key("program", "xxh3-128:00", "{}"));
  EXPECT_NE(a, cache_key("program", "xxh3-128:01", "{}"));
  EXPECT_NE(a, cache_key("program", "xxh3-128:00", "{ }"));
  EXPECT_NE(a.substr(8), cache_key("export", "xxh3-128:00", "{}").substr(7));
  // Fields are length-prefixed: moving bytes between them changes the key.
  EXPECT_NE(cache_key("program", "ab", "c"), cache_key("program", "a", "bc"));
  EXPECT_QEFF_ERROR(cache_key("model", "x", "y"), QEFF_E_INVALID_ARGUMENT, "\"model\"");
  TempDir t;
  ProgramCache cache((t / "cache").string());
  for (const char *bad : {"program-xyz", "../program", "program-0123456789ABCDEF0123456789abcdef", ""})
    EXPECT_QEFF_ERROR(cache.get_or_build(bad, [](const std::string &) {}), QEFF_E_INVALID_ARGUMENT, "cache key");
}

TEST(Cache, MissThenVerifiedHit) {
  TempDir t;
  ProgramCache cache((t / "cache").string());
  int compiles = 0;
  auto compile = [&] {
    ++compiles;
    return sample_program();
  };
  std::string key = key_for("source-1");
  Program first = cache.get_or_compile(key, compile);
  Program second = cache.get_or_compile(key, compile);
  EXPECT_EQ(compiles, 1);
  qeff_test::expect_same_program(sample_program(), first);
  qeff_test::expect_same_program(sample_program(), second);
  // Both programs view the cached weights.bin.
  EXPECT_EQ(second.constants[0].data.file(), fs::canonical(t / "cache" / "entries" / key / "weights.bin").string());

  auto entries = cache.list();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].key, key);
  EXPECT_EQ(entries[0].kind, "program");
  EXPECT_EQ(entries[0].path, (t / "cache" / "entries" / key).string());
  EXPECT_GT(entries[0].size_bytes, 577u);
  EXPECT_GT(entries[0].last_use, 0);
  EXPECT_EQ(entries_in(t / "cache" / "tmp"), 0u);
  EXPECT_EQ(entries_in(t.path()), 1u);  // nothing outside the root

  // Another key is a miss; get_or_build returns the entry directory.
  int builds = 0;
  std::string dir = cache.get_or_build(key_for("source-2"), [&](const std::string &tmp) {
    ++builds;
    write_package(sample_program(), tmp);
  });
  EXPECT_EQ(builds, 1);
  EXPECT_NO_THROW(read_package(dir));
  EXPECT_EQ(cache.get_or_build(key_for("source-2"), [&](const std::string &) { ++builds; }), dir);
  EXPECT_EQ(builds, 1);
}

TEST(Cache, ChangedExternalDataIsAMiss) {
  TempDir t;
  export_model_dir(t / "model");
  const fs::path onnx = t / "model" / "model.onnx", data = t / "model" / "model.onnx.data";
  ASSERT_TRUE(fs::exists(data));
  std::string d1 = digest_onnx_model(onnx.string());
  EXPECT_TRUE(qeff::is_digest_text(d1)) << d1;
  EXPECT_EQ(digest_onnx_model(onnx.string()), d1);

  ProgramCache cache((t / "cache").string());
  int compiles = 0;
  auto compile = [&] {
    ++compiles;
    return sample_program();
  };
  std::string options = canonical_options_text(sample_program().options);
  cache.get_or_compile(cache_key("program", digest_onnx_model(onnx.string()), options), compile);
  cache.get_or_compile(cache_key("program", digest_onnx_model(onnx.string()), options), compile);
  EXPECT_EQ(compiles, 1);

  // One byte of the weight file rewritten (same size): another digest, a miss.
  std::string bytes = read_file(data);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
  write_file(data, bytes);
  std::string d2 = digest_onnx_model(onnx.string());
  EXPECT_NE(d2, d1);
  cache.get_or_compile(cache_key("program", d2, options), compile);
  EXPECT_EQ(compiles, 2);
  EXPECT_EQ(cache.list().size(), 2u);

  // The .onnx itself counts too.
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(read_file(onnx)));
  m.set_producer_version("other");
  write_file(onnx, m.SerializeAsString());
  EXPECT_NE(digest_onnx_model(onnx.string()), d2);
}

TEST(Cache, DigestRefusesUnsafeExternalData) {
  TempDir t;
  export_model_dir(t / "model");
  const fs::path onnx = t / "model" / "model.onnx";
  // The data file replaced by a symlink: refused like the importer does.
  fs::rename(t / "model" / "model.onnx.data", t / "elsewhere.data");
  fs::create_symlink(t / "elsewhere.data", t / "model" / "model.onnx.data");
  EXPECT_QEFF_ERROR(digest_onnx_model(onnx.string()), QEFF_E_SECURITY, "model.onnx.data", "symlink");
  fs::remove(t / "model" / "model.onnx.data");
  EXPECT_QEFF_ERROR(digest_onnx_model(onnx.string()), QEFF_E_NOT_FOUND, "model.onnx.data");
  // A location escaping the directory.
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(read_file(onnx)));
  for (auto &e : *m.mutable_graph()->mutable_initializer(0)->mutable_external_data())
    if (e.key() == "location") e.set_value("../elsewhere.data");
  write_file(onnx, m.SerializeAsString());
  EXPECT_QEFF_ERROR(digest_onnx_model(onnx.string()), QEFF_E_SECURITY, "\"../elsewhere.data\"", "'..'");
  write_file(onnx, "not a protobuf \xff\xff");
  EXPECT_QEFF_ERROR(digest_onnx_model(onnx.string()), QEFF_E_FORMAT, "not a valid ONNX protobuf");
  EXPECT_QEFF_ERROR(digest_onnx_model((t / "missing.onnx").string()), QEFF_E_NOT_FOUND, "missing.onnx");
}

TEST(Cache, CorruptedEntryIsRebuilt) {
  TempDir t;
  ProgramCache cache((t / "cache").string());
  int compiles = 0;
  auto compile = [&] {
    ++compiles;
    return sample_program();
  };
  std::string key = key_for("corrupt");
  cache.get_or_compile(key, compile);
  const fs::path weights = t / "cache" / "entries" / key / "weights.bin";
  std::string bytes = read_file(weights);
  bytes[10] = static_cast<char>(bytes[10] ^ 1);
  write_file(weights, bytes);
  {
    LogCapture log;
    Program p = cache.get_or_compile(key, compile);
    EXPECT_EQ(compiles, 2);
    qeff_test::expect_same_program(sample_program(), p);
    EXPECT_NE(log.text().find("unusable"), std::string::npos) << log.text();
    EXPECT_NE(log.text().find("tampered or truncated"), std::string::npos) << log.text();
  }
  // An entry that is a file, or a symlink, is replaced too (never followed).
  fs::remove_all(t / "cache" / "entries" / key);
  write_file(t / "cache" / "entries" / key, "junk");
  cache.get_or_compile(key, compile);
  EXPECT_EQ(compiles, 3);
  fs::remove_all(t / "cache" / "entries" / key);
  fs::create_directories(t / "victim");
  write_file(t / "victim" / "keep.txt", "keep");
  fs::create_directory_symlink(t / "victim", t / "cache" / "entries" / key);
  cache.get_or_compile(key, compile);
  EXPECT_EQ(compiles, 4);
  EXPECT_EQ(read_file(t / "victim" / "keep.txt"), "keep");
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(t / "cache" / "entries" / key)));
  EXPECT_EQ(entries_in(t / "cache" / "tmp"), 0u);
}

// A cached program that this build refuses (get_or_compile's `accept`: the
// API passes the runtime's plan validation, which fails for an entry whose
// plan gives a kernel less workspace than this build's kernels need) is
// logged, removed and rebuilt; a freshly compiled one is not re-checked.
TEST(Cache, EntryRefusedByAcceptIsRebuilt) {
  TempDir t;
  ProgramCache cache((t / "cache").string());
  int compiles = 0, checks = 0;
  auto compile = [&] {
    ++compiles;
    return sample_program();
  };
  bool refuse = false;
  auto accept = [&](const Program &p) {
    ++checks;
    qeff_test::expect_same_program(sample_program(), p);
    if (refuse) throw qeff::Error(QEFF_E_FORMAT, "step 0 needs 2 workspace bytes; the plan gives 1");
  };
  const std::string key = key_for("accept");
  cache.get_or_compile(key, compile, {}, accept);
  EXPECT_EQ(compiles, 1);
  EXPECT_EQ(checks, 0);
  cache.get_or_compile(key, compile, {}, accept);
  EXPECT_EQ(compiles, 1);
  EXPECT_EQ(checks, 1);
  refuse = true;
  {
    LogCapture log;
    Program p = cache.get_or_compile(key, compile, {}, accept);
    qeff_test::expect_same_program(sample_program(), p);
    EXPECT_NE(log.text().find("unusable"), std::string::npos) << log.text();
    EXPECT_NE(log.text().find("workspace bytes"), std::string::npos) << log.text();
  }
  EXPECT_EQ(compiles, 2);
  EXPECT_EQ(checks, 2);
  EXPECT_EQ(cache.list().size(), 1u);
  EXPECT_EQ(entries_in(t / "cache" / "tmp"), 0u);
}

TEST(Cache, FailedBuildLeavesNothing) {
  TempDir t;
  ProgramCache cache((t / "cache").string());
  std::string key = key_for("failing");
  EXPECT_QEFF_ERROR(cache.get_or_build(key,
                                       [](const std::string &tmp) {
                                         write_file(fs::path(tmp) / "partial", "x");
                                         qeff::fail(QEFF_E_CANCELLED, "cancelled by the test");
                                       }),
                    QEFF_E_CANCELLED, "cancelled by the test");
  EXPECT_EQ(entries_in(t / "cache" / "entries"), 0u);
  EXPECT_EQ(entries_in(t / "cache" / "tmp"), 0u);
  EXPECT_QEFF_ERROR(cache.get_or_build(key, [](const std::string &) {}), QEFF_E_INTERNAL, "empty");
  EXPECT_EQ(entries_in(t / "cache" / "entries"), 0u);
  // A build abandoned by a dead builder of the same key is removed.
  fs::create_directories(t / "cache" / "tmp" / (key + ".0123456789abcdef") / "sub");
  cache.get_or_build(key, [](const std::string &tmp) { write_package(sample_program(), tmp); });
  EXPECT_EQ(entries_in(t / "cache" / "tmp"), 0u);
}

TEST(Cache, ExportEntriesNeedAVerifier) {
  TempDir t;
  ProgramCache cache((t / "cache").string());
  std::string key = cache_key("export", "src", "{}");
  EXPECT_QEFF_ERROR(cache.get_or_build(key, [](const std::string &) {}), QEFF_E_INVALID_ARGUMENT, "verify");
  int verified = 0;
  auto verify = [&](const std::string &dir) {
    ++verified;
    if (!fs::exists(fs::path(dir) / "model.onnx")) qeff::fail(QEFF_E_NOT_FOUND, "no model.onnx");
  };
  std::string dir = cache.get_or_build(key, [&](const std::string &tmp) { export_model_dir(tmp); }, verify);
  EXPECT_TRUE(fs::exists(fs::path(dir) / "model.onnx"));
  EXPECT_EQ(cache.get_or_build(key, [](const std::string &) { FAIL() << "rebuilt"; }, verify), dir);
  EXPECT_EQ(verified, 1);
  EXPECT_EQ(cache.list().at(0).kind, "export");
}

TEST(Cache, TwoThreadsBuildOnce) {
  TempDir t;
  ProgramCache cache((t / "cache").string());
  std::atomic<int> builds{0};
  std::string key = key_for("threads");
  std::string dirs[2];
  auto run = [&](int i) {
    dirs[i] = cache.get_or_build(key, [&](const std::string &tmp) {
      ++builds;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      write_package(sample_program(), tmp);
    });
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  EXPECT_EQ(builds.load(), 1);
  EXPECT_EQ(dirs[0], dirs[1]);
  EXPECT_NO_THROW(read_package(dirs[0]));
}

TEST(Cache, TwoProcessesBuildOnce) {
  TempDir t;
  const std::string root = (t / "cache").string(), log = (t / "builds.log").string();
  std::string key = key_for("processes");
  pid_t pids[2];
  for (pid_t &pid : pids) {
    pid = ::fork();
    if (pid == 0) {
      int rc = 0;
      try {
        ProgramCache cache(root);
        std::string dir = cache.get_or_build(key, [&](const std::string &tmp) {
          int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
          if (fd >= 0) {
            ssize_t n = ::write(fd, "build\n", 6);
            (void)n;
            ::close(fd);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(300));
          write_package(sample_program(), tmp);
        });
        read_package(dir);
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(read_file(log), "build\n");
  EXPECT_EQ(ProgramCache(root).list().size(), 1u);
}

TEST(Cache, RemoveAndClear) {
  TempDir t;
  ProgramCache cache((t / "cache").string());
  EXPECT_TRUE(cache.list().empty());  // no root yet: nothing, and nothing created
  EXPECT_EQ(cache.clear(), 0u);
  EXPECT_FALSE(fs::exists(t / "cache"));
  auto compile = [] { return sample_program(); };
  std::string a = key_for("a"), b = key_for("b"), c = key_for("c");
  for (const auto &k : {a, b, c}) cache.get_or_compile(k, compile);
  Program loaded = cache.get_or_compile(a, compile);
  EXPECT_EQ(cache.list().size(), 3u);
  EXPECT_TRUE(cache.remove(b));
  EXPECT_FALSE(cache.remove(b));
  EXPECT_EQ(cache.list().size(), 2u);
  fs::create_directories(t / "cache" / "tmp" / (c + ".fedcba9876543210"));  // an abandoned build
  EXPECT_EQ(cache.clear(), 2u);
  EXPECT_TRUE(cache.list().empty());
  EXPECT_EQ(entries_in(t / "cache" / "entries"), 0u);
  EXPECT_EQ(entries_in(t / "cache" / "tmp"), 0u);
  EXPECT_EQ(entries_in(t / "cache" / "locks"), 0u);
  // A program loaded before the clear still reads its (mapped) weights.
  EXPECT_EQ(loaded.constants[0].data.data()[3], qeff_test::ramp_bytes(512, 1)[3]);
}

TEST(Cache, UnusableRootFallsBackToCompiling) {
  TempDir t;
  write_file(t / "file", "x");
  ProgramCache cache((t / "file" / "cache").string());  // cannot be created under a file
  int compiles = 0;
  LogCapture log;
  Program p = cache.get_or_compile(key_for("fallback"), [&] {
    ++compiles;
    return sample_program();
  });
  EXPECT_EQ(compiles, 1);
  EXPECT_EQ(p.constants.size(), sample_program().constants.size());
  EXPECT_NE(log.text().find("without the cache"), std::string::npos) << log.text();
  EXPECT_QEFF_ERROR(cache.get_or_build(key_for("fallback"), [](const std::string &) {}), QEFF_E_IO, "cache");
}
