// GEMM candidates on the shapes qeff runs (docs/kernels.md, "## GEMM"): our
// packed microkernels on every ISA this CPU has (f32 and bf16 storage),
// OpenBLAS cblas_sgemm and oneDNN (dnnl_sgemm, and the matmul primitive with
// weights pre-packed in its own layout). Every candidate runs inside the same
// persistent thread pool, one single-threaded library call per partition, as
// the runtime would run it; OpenBLAS with its own threads is shown as a
// reference only. Not a test: run it by hand on an idle machine.
//
//   build-k1/tests/bench/bench_gemm [runs=7] [threads=2] [shape-name-substring]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/cpu.hpp"
#include "kernels/gemm.hpp"
#include "bench_pool.hpp"
#include "kernels/parallel.hpp"

#ifdef QEFF_BENCH_OPENBLAS
#include <cblas.h>
#endif
#ifdef QEFF_BENCH_DNNL
#include <omp.h>

#include <dnnl.hpp>
#endif

namespace {

using qeff::bench::Pool;
using qeff::kernels::Parallel;

struct Shape {
  const char *name;
  int64_t m, k, n;
};

struct Result {
  double min_ms, median_ms;
};

Result time_it(int runs, const std::function<void()> &fn) {
  fn();  // warm-up: first touch, lazy initialisation
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms.front(), ms[ms.size() / 2]};
}

void report(const Shape &s, const char *what, Result r) {
  const double gflop = 2.0 * s.m * s.k * s.n * 1e-9;
  std::printf("| %-20s | %-28s | %9.3f | %9.3f | %7.1f |\n", s.name, what, r.min_ms, r.median_ms,
              gflop / (r.min_ms * 1e-3));
  std::fflush(stdout);
}

// The libraries' partitioning: T contiguous row ranges, or column ranges when
// M is too small to give every thread rows.
template <class F>
void partition(Pool &pool, const Shape &s, F call) {
  const int t = pool.num_threads();
  const bool by_rows = s.m >= 8 * t;
  const int64_t extent = by_rows ? s.m : s.n;
  pool.parallel_for(t, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int64_t lo = extent * i / t, hi = extent * (i + 1) / t;
      if (by_rows) call(lo, hi - lo, int64_t{0}, s.n);
      else call(int64_t{0}, s.m, lo, hi - lo);
    }
  });
}

}  // namespace

int main(int argc, char **argv) {
  const int runs = argc > 1 ? std::max(5, std::atoi(argv[1])) : 7;
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  const Shape shapes[] = {
      {"MiniLM 4096x384x384", 4096, 384, 384},    {"MiniLM 4096x384x1536", 4096, 384, 1536},
      {"small 16x384x384", 16, 384, 384},         {"Llama 128x2048x2048", 128, 2048, 2048},
      {"Llama 128x2048x5632", 128, 2048, 5632},   {"decode 1x2048x5632", 1, 2048, 5632},
      {"lm_head 1x2048x32000", 1, 2048, 32000},  // past the caches: weight streaming
  };
  const char *only = argc > 3 ? argv[3] : nullptr;  // run the shapes whose name contains this
  Pool pool(threads);
#ifdef QEFF_BENCH_OPENBLAS
  openblas_set_num_threads(1);  // one single-threaded call per partition
#endif
#ifdef QEFF_BENCH_DNNL
  pool.on_each_thread([](int) { omp_set_num_threads(1); });
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
#endif
  std::printf("threads %d, runs %d, detected ISA %s; times in ms (min, median), GFLOP/s from min\n\n", threads,
              runs, qeff::kernels::isa_name(qeff::kernels::detected_isa()));
  std::printf("| shape (MxKxN) | candidate | min ms | median ms | GFLOP/s |\n|---|---|---|---|---|\n");

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const Shape &s : shapes) {
    if (only != nullptr && std::strstr(s.name, only) == nullptr) continue;
    std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    for (float &x : a) x = dist(rng);
    for (float &x : b) x = dist(rng);

    using namespace qeff::kernels;
    for (GemmStorage st : {GemmStorage::f32, GemmStorage::bf16, GemmStorage::i8, GemmStorage::q4, GemmStorage::mx6}) {
      std::vector<uint8_t> packed(gemm_packed_bytes(s.k, s.n, st) + 64);
      void *aligned = packed.data() + (64 - reinterpret_cast<uintptr_t>(packed.data()) % 64) % 64;
      gemm_pack(b.data(), s.n, false, s.k, s.n, st, aligned);
      PackedB pb{aligned, s.k, s.n, st};
      std::vector<uint8_t> ws(gemm_packed_workspace(s.m, pb) + 64);
      void *ws_aligned = ws.data() + (64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64;
      const bool float_storage = st == GemmStorage::f32 || st == GemmStorage::bf16 || st == GemmStorage::f16;
      for (Isa isa : kAllIsas) {
        if (!isa_supported(isa)) continue;
        if (isa == Isa::portable && st != GemmStorage::f32) continue;
        if (isa == Isa::avx512vnni && float_storage) continue;        // runs the avx512 code
        if (isa == Isa::avx512vbmi && st != GemmStorage::mx6) continue;  // runs the avx512vnni code
        if (isa == Isa::amx && (st != GemmStorage::i8 || s.m < 16)) continue;  // the same as below
        force_isa(isa);
        std::string what = std::string("qeff ") + isa_name(isa) + " " + gemm_format_name(st);
        report(s, what.c_str(), time_it(runs, [&] {
                 gemm_packed(s.m, a.data(), s.k, pb, c.data(), s.n, {}, pool, ws_aligned);
               }));
      }
      reset_isa();
    }
#ifdef QEFF_BENCH_OPENBLAS
    report(s, "OpenBLAS sgemm per part", time_it(runs, [&] {
             partition(pool, s, [&](int64_t m0, int64_t m, int64_t n0, int64_t n) {
               cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, s.k, 1.0f, a.data() + m0 * s.k, s.k,
                           b.data() + n0, s.n, 0.0f, c.data() + m0 * s.n + n0, s.n);
             });
           }));
    openblas_set_num_threads(threads);
    report(s, "(OpenBLAS own threads)", time_it(runs, [&] {
             cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(),
                         s.n, 0.0f, c.data(), s.n);
           }));
    openblas_set_num_threads(1);
#endif
#ifdef QEFF_BENCH_DNNL
    report(s, "oneDNN dnnl_sgemm per part", time_it(runs, [&] {
             partition(pool, s, [&](int64_t m0, int64_t m, int64_t n0, int64_t n) {
               dnnl_sgemm('N', 'N', m, n, s.k, 1.0f, a.data() + m0 * s.k, s.k, b.data() + n0, s.n, 0.0f,
                          c.data() + m0 * s.n + n0, s.n);
             });
           }));
    {
      // The matmul primitive per partition, weights reordered once into the
      // layout the primitive asks for (format any), as a compiler would.
      using namespace dnnl;
      using tag = memory::format_tag;
      using dt = memory::data_type;
      struct Part {
        int64_t m0, m, n0, n;
        matmul prim;
        memory src, wei, dst;
      };
      std::vector<Part> parts;
      stream s0(engine);
      partition(pool, s, [&](int64_t m0, int64_t m, int64_t n0, int64_t n) { parts.push_back({m0, m, n0, n, {}, {}, {}, {}}); });
      std::sort(parts.begin(), parts.end(), [](const Part &x, const Part &y) { return x.m0 + x.n0 < y.m0 + y.n0; });
      for (Part &p : parts) {
        memory::desc src_md({p.m, s.k}, dt::f32, {s.k, 1});
        memory::desc wei_any({s.k, p.n}, dt::f32, tag::any);
        memory::desc wei_user({s.k, p.n}, dt::f32, {s.n, 1});
        memory::desc dst_md({p.m, p.n}, dt::f32, {s.n, 1});
        matmul::primitive_desc pd(matmul::desc(src_md, wei_any, dst_md), engine);
        memory user(wei_user, engine, b.data() + p.n0);
        p.wei = memory(pd.weights_desc(), engine);
        reorder(user, p.wei).execute(s0, user, p.wei);
        s0.wait();
        p.src = memory(src_md, engine, a.data() + p.m0 * s.k);
        p.dst = memory(dst_md, engine, c.data() + p.m0 * s.n + p.n0);
        p.prim = matmul(pd);
      }
      report(s, "oneDNN matmul prepacked", time_it(runs, [&] {
               pool.parallel_for(static_cast<int64_t>(parts.size()), [&](int64_t b0, int64_t e0) {
                 stream st(engine);
                 for (int64_t i = b0; i < e0; ++i) {
                   Part &p = parts[i];
                   p.prim.execute(st, {{DNNL_ARG_SRC, p.src}, {DNNL_ARG_WEIGHTS, p.wei}, {DNNL_ARG_DST, p.dst}});
                 }
                 st.wait();
               });
             }));
    }
#endif
  }
  return 0;
}
