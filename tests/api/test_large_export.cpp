// RELIABILITY.md B9.81: exporting a model whose one initializer is larger than
// 2 GB (the protobuf limit) puts it in external data without ever
// materializing it. Opt-in (it writes a 2.2 GB sparse model and a 2.2 GB data
// file): run with QEFF_LARGE_TESTS=1, `meson test --suite large`.
//
// The model is a Llama with a 262,400 x 2048 f32 embedding (2.15 GB, tied to
// the LM head) in a sparse safetensors file. The export runs in a child process
// whose RLIMIT_DATA (private anonymous memory: malloc, new, anonymous mmap) is
// 1 GiB, so any copy of the embedding fails the export; the mapped file does
// not count. The test then reads model.onnx with the ONNX protobuf and checks
// the initializer's external-data location, offset and length, and marker
// values at the start, middle and end of the tensor in the data file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "model_writer.hpp"
#include "qeff/qeff.h"

namespace {

namespace fs = std::filesystem;
using qeff_test::TensorSpec;

constexpr int64_t kVocab = 262400, kHidden = 2048, kHeads = 16, kInter = 64;
constexpr uint64_t kEmbedBytes = uint64_t{kVocab} * kHidden * 4;  // 2,149,580,800

// Elements of the embedding given a recognisable value (the rest are zeros).
const std::vector<uint64_t> kMarkers = {0, uint64_t{kVocab} * kHidden / 2 + 7, uint64_t{kVocab} * kHidden - 1};

float marker_value(size_t i) { return 1.5f + static_cast<float>(i); }

std::vector<TensorSpec> tensors() {
  std::vector<TensorSpec> t = {{"model.embed_tokens.weight", {kVocab, kHidden}}, {"model.norm.weight", {kHidden}}};
  const std::string p = "model.layers.0.";
  for (const char *n : {"input_layernorm", "post_attention_layernorm"}) t.push_back({p + n + ".weight", {kHidden}});
  for (const char *n : {"q_proj", "k_proj", "v_proj", "o_proj"}) t.push_back({p + "self_attn." + n + ".weight", {kHidden, kHidden}});
  t.push_back({p + "mlp.gate_proj.weight", {kInter, kHidden}});
  t.push_back({p + "mlp.up_proj.weight", {kInter, kHidden}});
  t.push_back({p + "mlp.down_proj.weight", {kHidden, kInter}});
  return t;
}

// config.json plus a sparse model.safetensors (zeros but for the markers; the
// norms are ones so the graph is an ordinary one). Returns the header size.
uint64_t write_model(const fs::path &dir) {
  qeff_test::LlamaSpec s;
  s.vocab = kVocab;
  s.hidden = kHidden;
  s.layers = 1;
  s.heads = kHeads;
  s.kv_heads = kHeads;
  s.inter = kInter;
  s.tied = true;
  qeff_test::write_file(dir / "config.json", qeff_test::llama_config(s));
  const auto [header, data_len] = qeff_test::safetensors_header(tensors());
  const std::string path = (dir / "model.safetensors").string();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::pwrite(fd, header.data(), header.size(), 0), static_cast<ssize_t>(header.size()));
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(header.size() + data_len)), 0);
  for (size_t i = 0; i < kMarkers.size(); ++i) {
    float v = marker_value(i);
    EXPECT_EQ(::pwrite(fd, &v, 4, static_cast<off_t>(header.size() + kMarkers[i] * 4)), 4);
  }
  ::close(fd);
  return header.size();
}

TEST(LargeExport, B9_81_InitializerAbove2GbGoesToExternalDataWithoutACopy) {
  if (std::getenv("QEFF_LARGE_TESTS") == nullptr) GTEST_SKIP() << "set QEFF_LARGE_TESTS=1 (writes 4.4 GB to $TMPDIR)";
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "RLIMIT_DATA cannot bound a sanitizer's own reservations";
#endif
  qeff_test::TempDir tmp;
  write_model(tmp / "model");
  const std::string out = (tmp / "onnx").string();

  // The export, in a child with 1 GiB of private anonymous memory.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct rlimit lim = {uint64_t{1} << 30, uint64_t{1} << 30};
    if (::setrlimit(RLIMIT_DATA, &lim) != 0) ::_exit(3);
    qeff_model *m = nullptr;
    if (qeff_model_load((tmp / "model").c_str(), nullptr, &m) != QEFF_OK) {
      std::fprintf(stderr, "load: %s\n", qeff_last_error_message());
      ::_exit(4);
    }
    qeff_status s = qeff_export(m, out.c_str(), nullptr);
    if (s != QEFF_OK) std::fprintf(stderr, "export: %s\n", qeff_last_error_message());
    qeff_model_free(m);
    ::_exit(s == QEFF_OK ? 0 : 5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the export child died (signal " << WTERMSIG(status) << ")";
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the export failed within RLIMIT_DATA = 1 GiB (see stderr)";

  // model.onnx is small and points into model.onnx.data for the embedding.
  const fs::path model = fs::path(out) / "model.onnx", data = fs::path(out) / "model.onnx.data";
  ASSERT_LT(fs::file_size(model), uint64_t{64} << 20);
  onnx::ModelProto proto;
  std::ifstream in(model, std::ios::binary);
  ASSERT_TRUE(proto.ParseFromIstream(&in));
  const onnx::TensorProto *embed = nullptr;
  for (const auto &t : proto.graph().initializer())
    if (t.name() == "model.embed_tokens.weight") embed = &t;
  ASSERT_NE(embed, nullptr);
  ASSERT_EQ(embed->data_location(), onnx::TensorProto_DataLocation_EXTERNAL);
  EXPECT_TRUE(embed->raw_data().empty());
  std::string location;
  uint64_t offset = 0, length = 0;
  for (const auto &e : embed->external_data()) {
    if (e.key() == "location") location = e.value();
    if (e.key() == "offset") offset = std::stoull(e.value());
    if (e.key() == "length") length = std::stoull(e.value());
  }
  EXPECT_EQ(location, "model.onnx.data");
  EXPECT_EQ(length, kEmbedBytes);
  ASSERT_LE(offset + length, fs::file_size(data));

  // The values arrived: the markers where they belong, zeros around them.
  int fd = ::open(data.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  for (size_t i = 0; i < kMarkers.size(); ++i) {
    float v = 0;
    ASSERT_EQ(::pread(fd, &v, 4, static_cast<off_t>(offset + kMarkers[i] * 4)), 4);
    EXPECT_EQ(v, marker_value(i)) << "marker " << i;
    if (kMarkers[i] > 0) {
      ASSERT_EQ(::pread(fd, &v, 4, static_cast<off_t>(offset + (kMarkers[i] - 1) * 4)), 4);
      EXPECT_EQ(v, 0.0f);
    }
  }
  ::close(fd);
}

}  // namespace
