// Prefill / encoder attention alone: the fused kernel over f32 q, k, v in
// the sequence-major layout the encoders run (BERT-base: 12 heads of 64;
// MiniLM-L6: 12 heads of 32; batch 32 x seq 128), and the head-major causal
// prefill of TinyLlama-1.1B's shape (32 query heads, 4 kv heads of 64, 128
// tokens); `bert4` is BERT-base at batch 4, whose q, k and v stay in the
// caches (the loops alone, without the stream from memory). Reports min / median ms of one layer's call and the FLOP rate of
// its two products (q k^T and p v: 4 batch heads q_len kv_len head_dim),
// to set against the FMA peak. Not a test: run it by hand on an idle
// machine.
//
//   build-rel/tests/bench/bench_attention_prefill [runs=15] [threads=2] [workloads=bert,minilm,llama] (or bert4)
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_pool.hpp"
#include "common/aligned.hpp"
#include "kernels/attention.hpp"

namespace {

using qeff::kernels::AttentionDims;

struct Workload {
  const char *name;
  AttentionDims d;
  bool causal;
};

AttentionDims dims(int64_t batch, int64_t q_heads, int64_t kv_heads, int64_t seq, int64_t head_dim, bool seq_major) {
  AttentionDims d;
  d.batch = batch, d.q_heads = q_heads, d.kv_heads = kv_heads;
  d.q_len = d.kv_len = seq;
  d.head_dim = d.v_dim = head_dim;
  d.scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  d.seq_major = seq_major;
  return d;
}

}  // namespace

int main(int argc, char **argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 15;
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  const std::string which = argc > 3 ? argv[3] : "bert,minilm,llama";
  std::vector<Workload> all = {{"bert", dims(32, 12, 12, 128, 64, true), false},
                               {"bert4", dims(4, 12, 12, 128, 64, true), false},
                               {"minilm", dims(32, 12, 12, 128, 32, true), false},
                               {"llama", dims(1, 32, 4, 128, 64, false), true}};
  qeff::bench::Pool pool(threads);
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::printf("%-8s %10s %10s %10s  (%d threads)\n", "workload", "min ms", "median ms", "GFLOP/s", threads);
  for (Workload &w : all) {
    if (("," + which + ",").find("," + std::string(w.name) + ",") == std::string::npos) continue;
    AttentionDims &d = w.d;
    const size_t nq = static_cast<size_t>(d.batch * d.q_heads * d.q_len * d.head_dim);
    const size_t nk = static_cast<size_t>(d.batch * d.kv_heads * d.kv_len * d.head_dim);
    std::vector<float> q(nq), k(nk), v(nk), y(nq);
    for (auto *t : {&q, &k, &v})
      for (float &x : *t) x = nd(rng);
    std::vector<uint8_t> mask;
    if (w.causal) {  // [1, 1, q_len, kv_len]: key j is masked for query rows before it
      d.mask_rows = d.q_len;
      mask.resize(static_cast<size_t>(d.q_len * d.kv_len));
      for (int64_t i = 0; i < d.q_len; ++i)
        for (int64_t j = 0; j < d.kv_len; ++j) mask[static_cast<size_t>(i * d.kv_len + j)] = j > i;
    } else {  // [batch, 1, 1, kv_len], nothing masked (the encoders' padding-free batch)
      d.mask_batch = d.batch;
      mask.assign(static_cast<size_t>(d.batch * d.kv_len), 0);
    }
    auto ws = qeff::make_aligned(qeff::kernels::attention_workspace_bytes(d));
    std::vector<double> ms;
    for (int r = 0; r <= runs; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      qeff::kernels::attention(d, q.data(), k.data(), v.data(), mask.data(), y.data(), ws.get(), pool);
      const double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (r > 0) ms.push_back(t);  // run 0 warms the caches and the pool
    }
    std::sort(ms.begin(), ms.end());
    const double flop = 4.0 * static_cast<double>(d.batch * d.q_heads * d.q_len * d.kv_len * d.head_dim) /
                        (w.causal ? 2.0 : 1.0);
    std::printf("%-8s %10.3f %10.3f %10.1f\n", w.name, ms.front(), ms[ms.size() / 2], flop / ms.front() / 1e6);
  }
  return 0;
}
