// Decode GEMVs alone: one token's matmuls of the TinyLlama-1.1B shape (22
// layers of q/k/v/o, gate/up/down, then lm_head) over packed weights much
// larger than the caches, in each packed storage, on the benchmark thread
// pool as the runtime runs them. Prints ms per token and the weight bytes
// streamed per second, to set against benchmarks/bandwidth.c's read
// bandwidth: the fraction of it a storage's kernel reaches by itself, before
// attention, norms and the rest of a decode step. Not a test: run it by hand
// on an idle machine.
//
//   build/tests/bench/bench_gemv [runs=5] [threads=2] [storages=bf16,i8,q4,mx6] [layers=22|hot] [widths]
//
// (f32 and f16 are accepted too; f32 needs 4.4 GB.) `hot` instead of a layer
// count runs one 1024 x 256 weight (at most 1 MiB packed, so it stays in L2)
// 2000 times per run: the kernel's compute rate without the memory, which has
// to exceed the read bandwidth for the streamed figure to reach it.
// `widths` as a fifth argument alternates the wide and the narrow single-row
// kernels (CpuTuning::narrow_gemv) run by run in one process and prints both
// with the per-run ratios: on a VM whose bandwidth changes by the second (2
// vCPUs placed on one or two paths to memory) an A/B of two processes
// compares the placements, this compares the kernels under the same one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bench_pool.hpp"
#include "kernels/cpu.hpp"
#include "kernels/gemm.hpp"

namespace {

using qeff::kernels::GemmStorage;

struct Shape {
  int64_t k, n;
};

// One layer's Linears (TinyLlama: hidden 2048, 4 KV heads of 64, intermediate 5632).
const Shape kLayer[] = {{2048, 2048}, {2048, 256}, {2048, 256}, {2048, 2048}, {2048, 5632}, {2048, 5632}, {5632, 2048}};
const Shape kHead{2048, 32000};

struct Weight {
  Shape s;
  std::vector<uint8_t> raw;  // + 64 for alignment
  void *data() { return raw.data() + (64 - reinterpret_cast<uintptr_t>(raw.data()) % 64) % 64; }
};

bool parse_storage(const std::string &name, GemmStorage *out) {
  const std::pair<const char *, GemmStorage> names[] = {{"f32", GemmStorage::f32}, {"bf16", GemmStorage::bf16},
                                                        {"f16", GemmStorage::f16}, {"i8", GemmStorage::i8},
                                                        {"q4", GemmStorage::q4},   {"mx6", GemmStorage::mx6},
                                                        {"q4g128", GemmStorage::q4g128}};
  for (const auto &[n, s] : names)
    if (name == n) {
      *out = s;
      return true;
    }
  return false;
}

}  // namespace

int main(int argc, char **argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const std::string storages = argc > 3 ? argv[3] : "bf16,i8,q4,mx6";
  const bool hot = argc > 4 && std::string(argv[4]) == "hot";
  const int layers = hot ? 0 : argc > 4 ? std::atoi(argv[4]) : 22;
  const int repeat = hot ? 2000 : 1;
  const bool widths = argc > 5 && std::string(argv[5]) == "widths";
  qeff::bench::Pool pool(threads);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> x(5632), y(32000);
  for (float &v : x) v = normal(rng);
  // One random source, the largest matrix; every weight packs a prefix of it.
  std::vector<float> source(static_cast<size_t>(kHead.k * kHead.n));
  for (float &v : source) v = normal(rng);
  if (hot)
    std::printf("storage  weights(MB)  ms/2000 min  median  GB/s at min  (%d threads, one 1024 x 256 weight from L2)\n",
                threads);
  else
    std::printf("storage  weights(MB)  ms/token min  median  GB/s at min  (%d threads, %d layers)\n", threads, layers);
  size_t start = 0;
  while (start <= storages.size()) {
    size_t comma = storages.find(',', start);
    if (comma == std::string::npos) comma = storages.size();
    const std::string name = storages.substr(start, comma - start);
    start = comma + 1;
    GemmStorage st;
    if (!parse_storage(name, &st)) {
      std::fprintf(stderr, "unknown storage %s\n", name.c_str());
      return 2;
    }
    // Pack one source matrix per shape, copied into every layer's weight.
    std::vector<Weight> weights;
    uint64_t bytes = 0;
    std::vector<Shape> shapes;
    for (int l = 0; l < layers; ++l) shapes.insert(shapes.end(), std::begin(kLayer), std::end(kLayer));
    if (hot)
      shapes.push_back(Shape{1024, 256});
    else
      shapes.push_back(kHead);
    for (const Shape &s : shapes) {
      Weight pw{s, std::vector<uint8_t>(qeff::kernels::gemm_packed_bytes(s.k, s.n, st) + 64)};
      qeff::kernels::gemm_pack(source.data(), s.k, true, s.k, s.n, st, pw.data());
      bytes += pw.raw.size() - 64;
      weights.push_back(std::move(pw));
    }
    uint64_t ws_bytes = 0;
    for (Weight &w : weights)
      ws_bytes = std::max(ws_bytes, qeff::kernels::gemm_packed_workspace(1, {w.data(), w.s.k, w.s.n, st}));
    std::vector<uint8_t> ws_raw(ws_bytes + 64);
    void *ws = ws_raw.data() + (64 - reinterpret_cast<uintptr_t>(ws_raw.data()) % 64) % 64;
    auto run_once = [&] {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < repeat; ++i)
        for (Weight &w : weights)
          qeff::kernels::gemm_packed(1, x.data(), w.s.k, {w.data(), w.s.k, w.s.n, st}, y.data(), w.s.n, {}, pool, ws);
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    };
    auto report = [&](const std::string &label, std::vector<double> ms) {
      std::sort(ms.begin(), ms.end());
      std::printf("%-7s  %11.1f  %12.2f  %6.2f  %11.2f\n", label.c_str(), bytes / 1e6, ms.front(), ms[ms.size() / 2],
                  bytes * repeat / 1e6 / ms.front());
    };
    if (!widths) {
      std::vector<double> ms;
      for (int r = 0; r < runs + 1; ++r) {  // the first run warms up
        const double t = run_once();
        if (r > 0) ms.push_back(t);
      }
      report(name, ms);
      continue;
    }
    std::vector<double> ms[2];  // [narrow]
    std::string ratios;
    for (int r = 0; r < runs + 1; ++r) {
      double t[2];
      for (int narrow = 0; narrow < 2; ++narrow) {
        qeff::kernels::CpuTuning tuning;
        tuning.narrow_gemv = narrow != 0;
        qeff::kernels::set_cpu_tuning(tuning);
        t[narrow] = run_once();
        if (r > 0) ms[narrow].push_back(t[narrow]);
      }
      if (r > 0) {
        char buf[16];
        std::snprintf(buf, sizeof buf, " %.2f", t[0] / t[1]);
        ratios += buf;
      }
    }
    qeff::kernels::reset_cpu_tuning();
    report(name + "/w", ms[0]);
    report(name + "/n", ms[1]);
    std::printf("         narrow speed-up per run (wide ms / narrow ms):%s\n", ratios.c_str());
  }
  return 0;
}
