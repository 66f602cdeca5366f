// Weights are memory-mapped, never copied: loading a model whose weights are
// 192 MiB raises resident memory by far less than that, and the tensor data
// pages are only touched when read.
#include <unistd.h>

#include <fstream>
#include <string>

#include "api_test.hpp"
#include "model_writer.hpp"

using namespace qeff_test;

namespace {

// Resident set size of this process, in bytes (from /proc/self/statm).
uint64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

TEST(ZeroCopy, LoadDoesNotReadTheWeights) {
  TempDir tmp;
  fs::path dir = tmp / "big";
  // 192 MiB of F32 weights: vocab 8192 x hidden 2048 embedding + lm_head + layers.
  LlamaSpec s;
  s.vocab = 8192;
  s.hidden = 2048;
  s.heads = 16;
  s.kv_heads = 16;
  s.inter = 64;
  s.layers = 2;
  write_file(dir / "config.json", llama_config(s));
  // Write the safetensors header, then extend the file sparsely: the data
  // section exists (the loader checks its size) without being written.
  auto [header, data_len] = safetensors_header(llama_tensors(s));
  uint64_t full = header.size() + data_len;
  write_file(dir / "model.safetensors", header);
  fs::resize_file(dir / "model.safetensors", full);
  ASSERT_GT(full, 190u << 20);

  uint64_t before = rss_bytes();
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  uint64_t after = rss_bytes();
  int64_t params = 0;
  ASSERT_QEFF_OK(qeff_model_num_parameters(m, &params));
  EXPECT_GT(static_cast<uint64_t>(params) * 4, 190u << 20);
  // Far below the weights' size: only headers and metadata are resident.
  EXPECT_LT(after - std::min(after, before), 16u << 20)
      << "RSS grew by " << (after - before) << " bytes for " << full << " bytes of weights";
  qeff_model_free(m);
}

}  // namespace
