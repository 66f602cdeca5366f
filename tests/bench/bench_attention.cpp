// Decode attention over a KV cache of each element type (f32, f16, bf16,
// mxint8): TinyLlama-1.1B's shape (32 query heads, 4 kv heads, head_dim 64,
// 22 layers with their own caches, so the caches stream from memory as in a
// real decode step), for several valid lengths of a ctx_len-2048 cache (or
// one valid length of a cache of another ctx_len). With evict=1 a 512 MiB
// buffer is read before each run, as a decode step's weights stream through
// the last-level cache: the caches then come from DRAM, as in a decode step
// (without it, 22 layers' caches of a short context stay in a large L3).
// Reports, per cache type, the min / median time of one token's 22 layers
// and the cache bytes that token reads. Not a test: run it by hand on an
// idle machine.
//
//   build-rel/tests/bench/bench_attention [runs=9] [threads=2] [ctx=2048] [valid=128,512,2048] [evict=0]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "bench_pool.hpp"
#include "kernels/attention.hpp"
#include "kernels/half.hpp"
#include "kernels/mxint8.hpp"

namespace {

using namespace qeff::kernels;

constexpr int64_t kLayers = 22, kHeads = 32, kKvHeads = 4, kDim = 64;
int64_t kCtx = 2048;  // the cache's ctx_len (argument 3)

struct Cache {
  KvDtype kv;
  const char *name;
  int64_t row_bytes;
  std::vector<std::vector<uint8_t>> k, v;  // per layer
};

Cache make_cache(KvDtype kv, const char *name, const std::vector<float> &src) {
  Cache c{kv, name, 0, {}, {}};
  const int64_t rows = kKvHeads * kCtx;
  c.row_bytes = kv == KvDtype::f32 ? kDim * 4 : kv == KvDtype::mxint8 ? mxint8_row_bytes(kDim) : kDim * 2;
  auto encode = [&](const float *x) {
    std::vector<uint8_t> out(static_cast<size_t>(rows * c.row_bytes));
    if (kv == KvDtype::mxint8) {
      mxint8_quantize_rows(x, rows, kDim, out.data());
    } else if (kv == KvDtype::f32) {
      std::copy(reinterpret_cast<const uint8_t *>(x), reinterpret_cast<const uint8_t *>(x + rows * kDim), out.data());
    } else {
      auto *h = reinterpret_cast<uint16_t *>(out.data());
      for (int64_t i = 0; i < rows * kDim; ++i) h[i] = kv == KvDtype::bf16 ? f32_to_bf16(x[i]) : f32_to_f16(x[i]);
    }
    return out;
  };
  for (int64_t l = 0; l < kLayers; ++l) {
    c.k.push_back(encode(src.data()));
    c.v.push_back(encode(src.data() + rows * kDim));
  }
  return c;
}

}  // namespace

int main(int argc, char **argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 9;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (argc > 3) kCtx = std::max<int64_t>(std::atoll(argv[3]), 1);
  std::vector<int64_t> valids = {128, 512, 2048};
  if (argc > 4) valids = {std::clamp<int64_t>(std::atoll(argv[4]), 1, kCtx)};
  const bool evict = argc > 5 && std::atoi(argv[5]) != 0;
  std::vector<uint8_t> evict_buf(evict ? size_t{512} << 20 : 0, 1);
  uint64_t evict_sum = 0;
  qeff::bench::Pool pool(threads);
  std::mt19937 rng(1);
  std::normal_distribution<float> n01(0.0f, 1.0f);
  std::vector<float> src(static_cast<size_t>(2 * kKvHeads * kCtx * kDim));
  for (float &x : src) x = n01(rng);
  std::vector<float> q(static_cast<size_t>(kHeads * kDim)), y(q.size());
  for (float &x : q) x = n01(rng);
  std::vector<Cache> caches;
  caches.push_back(make_cache(KvDtype::f32, "f32", src));
  caches.push_back(make_cache(KvDtype::f16, "f16", src));
  caches.push_back(make_cache(KvDtype::bf16, "bf16", src));
  caches.push_back(make_cache(KvDtype::mxint8, "mxint8", src));
  std::printf("decode attention, TinyLlama shape (%lld layers, %lld/%lld heads, head_dim %lld, ctx %lld), %d threads\n",
              static_cast<long long>(kLayers), static_cast<long long>(kHeads), static_cast<long long>(kKvHeads),
              static_cast<long long>(kDim), static_cast<long long>(kCtx), threads);
  std::printf("%-8s %-8s %12s %12s %10s %10s\n", "valid", "cache", "min ms", "median ms", "MB/token", "GB/s");
  for (int64_t valid : valids) {
    std::vector<uint8_t> mask(static_cast<size_t>(kCtx));
    for (int64_t j = 0; j < kCtx; ++j) mask[static_cast<size_t>(j)] = j >= valid;
    for (const Cache &c : caches) {
      AttentionDims d;
      d.q_heads = kHeads;
      d.kv_heads = kKvHeads;
      d.kv_len = kCtx;
      d.head_dim = d.v_dim = kDim;
      d.scale = 0.125f;
      d.kv = c.kv;
      std::vector<uint8_t> ws_raw(attention_workspace_bytes(d) + 64);
      void *ws = reinterpret_cast<void *>((reinterpret_cast<uintptr_t>(ws_raw.data()) + 63) & ~uintptr_t{63});
      std::vector<double> ms;
      for (int r = 0; r < runs; ++r) {
        for (size_t i = 0; i < evict_buf.size(); i += 64) evict_sum += evict_buf[i];
        const auto t0 = std::chrono::steady_clock::now();
        for (int64_t l = 0; l < kLayers; ++l)
          attention(d, q.data(), c.k[static_cast<size_t>(l)].data(), c.v[static_cast<size_t>(l)].data(), mask.data(),
                    y.data(), ws, pool);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(ms.begin(), ms.end());
      const double mb = 2.0 * kLayers * kKvHeads * valid * static_cast<double>(c.row_bytes) / 1e6;
      std::printf("%-8lld %-8s %12.3f %12.3f %10.2f %10.1f\n", static_cast<long long>(valid), c.name, ms.front(),
                  ms[ms.size() / 2], mb, mb / ms.front());
    }
  }
  if (evict) std::printf("(caches evicted before each run; %llu)\n", static_cast<unsigned long long>(evict_sum));
  return 0;
}
