// The GEMM driver (blocking, partitioning over the caller's Parallel, packing,
// epilogues) and the portable microkernel. The ISA files hold only
// microkernels (gemm_internal.hpp has the contract).
#include "kernels/gemm.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <type_traits>
#include <vector>

#include "kernels/cpu.hpp"
#include "kernels/gemm_internal.hpp"
#include "kernels/rowops.hpp"

namespace qeff::kernels {
namespace gemm_detail {
namespace {

// Portable microkernel: plain loops the compiler may vectorize for the
// baseline ISA. 4 x 16 keeps the accumulators within 16 SSE registers.
template <int MR, int NP, class BT>
struct PortableKernel {
  static float load(float v) { return v; }
  static float load(uint16_t v) { return bf16_to_f32(v); }
  static float load(F16Bits v) { return f16_to_f32(v.bits); }

  static void run(const MicroArgs &g) {
    float acc[MR][NP * 16] = {};
    const BT *b = static_cast<const BT *>(g.b);
    for (int64_t k = 0; k < g.kc; ++k)
      for (int q = 0; q < NP; ++q) {
        float bv[16];
        const BT *bk = b + q * g.panel_stride + k * 16;
        for (int j = 0; j < 16; ++j) bv[j] = load(bk[j]);
        for (int r = 0; r < MR; ++r) {
          const float av = g.a[r * g.lda + k];
          for (int j = 0; j < 16; ++j) acc[r][q * 16 + j] += av * bv[j];
        }
      }
    for (int r = 0; r < MR; ++r) {
      float *cr = g.c + r * g.ldc;
      if (g.accumulate)
        for (int j = 0; j < g.nr; ++j) cr[j] += acc[r][j];
      else
        for (int j = 0; j < g.nr; ++j) cr[j] = acc[r][j];
    }
  }
};

}  // namespace

const KernelSet &kernels_portable() {
  static const KernelSet s = make_kernel_set<PortableKernel, 4, 1, 2>();
  return s;
}

// Rows of B per block: a 16-column f32 panel slice of kKc rows is 16 KiB, so
// it stays in L1 while every microtile of a row block streams past it.
constexpr int64_t kKc = 256;
// Rows of A per block: an A block of kMc x kKc floats (96 KiB) stays in L2
// while the block's panels go by.
constexpr int64_t kMc = 96;

Plan make_plan(int mr_max, int np_max, int64_t m, int64_t n, int64_t batch, int threads) {
  Plan p;
  const int64_t t = std::max(threads, 1);
  // About kMc rows per block; when M needs several blocks and the batch does
  // not feed every thread, a multiple of the thread count of them, so that
  // equal ranges of tasks are equal work. Small M stays one block (splitting
  // it would leave ragged microtiles) and is split over N below.
  int64_t want = ceil_div(m, kMc);
  if (want > 1 && batch < t) want = round_up(want, t);
  p.mc = round_up(ceil_div(m, want), mr_max);
  p.mblocks = ceil_div(m, p.mc);
  // Split N only when rows do not give every thread two tasks (small M, and
  // M = 1 decode): more column blocks re-read A, which is cheap then.
  const int64_t groups = ceil_div(ceil_div(n, kGemmPanel), np_max);
  const int64_t nb = std::clamp<int64_t>(ceil_div(2 * t, batch * p.mblocks), 1, groups);
  p.pb = ceil_div(groups, nb) * np_max;
  p.nblocks = ceil_div(ceil_div(n, kGemmPanel), p.pb);
  return p;
}

namespace {
std::atomic<int> g_pack_ranges{0};  // gemm_pack_ranges_for_tests
}  // namespace

void for_column_ranges(int64_t k, int64_t n, const std::function<void(int, int64_t, int64_t)> &fn) {
  const int64_t panels = ceil_div(n, kGemmPanel);
  int64_t threads = 1;
  if (const int forced = g_pack_ranges.load(std::memory_order_relaxed); forced > 0)
    threads = std::min<int64_t>({forced, kPackMaxThreads, std::max<int64_t>(panels, 1)});
  else if (k * n >= kPackParallelWeights)
    threads = std::min<int64_t>({std::max(1u, std::thread::hardware_concurrency()), kPackMaxThreads, panels});
  auto range = [&](int64_t t) {  // whole panels: threads never share a panel's bytes
    fn(static_cast<int>(t), std::min(n, panels * t / threads * kGemmPanel),
       std::min(n, panels * (t + 1) / threads * kGemmPanel));
  };
  std::vector<std::thread> crew;
  crew.reserve(static_cast<size_t>(threads - 1));
  try {
    for (int64_t t = 1; t < threads; ++t) crew.emplace_back(range, t);
  } catch (...) {  // no thread to be had: the caller packs the ranges not started
    for (int64_t t = static_cast<int64_t>(crew.size()) + 1; t < threads; ++t) range(t);
  }
  range(0);
  for (std::thread &t : crew) t.join();
}

void apply_epilogue(const GemmEpilogue &ep, float *c, int64_t ldc, const float *residual, int64_t rows,
                    int64_t col0, int64_t cols) {
  if (!ep.bias && ep.activation == Activation::none && !residual) return;
  const RowOps &ops = rowops();
  for (int64_t r = 0; r < rows; ++r) {
    float *row = c + r * ldc;
    ops.epilogue(ep.activation, row, ep.bias ? ep.bias + col0 : nullptr, residual ? residual + r * ep.ldr : nullptr,
                 row, cols);
  }
}

}  // namespace gemm_detail

namespace {

using gemm_detail::ceil_div;
using gemm_detail::KernelSet;
using gemm_detail::kKc;
using gemm_detail::kStreamRowTiles;
using gemm_detail::F16Bits;
using gemm_detail::kMaxMr;
using gemm_detail::kMaxNp;
using gemm_detail::MicroArgs;
using gemm_detail::MicroKernel;
using gemm_detail::RowKernels;
using gemm_detail::apply_epilogue;
using gemm_detail::make_plan;
using gemm_detail::Plan;


const KernelSet &active_set() {
  switch (active_isa()) {
    case Isa::amx:  // no f32 code of their own
    case Isa::avx512vbmi:
    case Isa::avx512vnni:
    case Isa::avx512: return gemm_detail::kernels_avx512();
    case Isa::avx2: return gemm_detail::kernels_avx2();
    case Isa::portable: break;
  }
  return gemm_detail::kernels_portable();
}

size_t storage_bytes(GemmStorage s) { return s == GemmStorage::bf16 || s == GemmStorage::f16 ? 2 : 4; }

// Rows [m0, m1) x panels [p0, p1) of C = epilogue(A B), B packed. residual
// points at the residual's row 0 (of this matrix), or is nullptr.
void run_block(const KernelSet &ks, const float *a, int64_t lda, const PackedB &b, float *c, int64_t ldc,
               const GemmEpilogue &ep, const float *residual, int64_t m0, int64_t m1, int64_t p0,
               int64_t p1) {
  const auto *bytes = static_cast<const uint8_t *>(b.data);
  const size_t esz = storage_bytes(b.storage);
  const int64_t panel_stride = b.k * kGemmPanel;
  const RowKernels &row = ks.row(cpu_tuning().narrow_gemv);
  const MicroKernel gemv_kernel = b.storage == GemmStorage::bf16  ? row.bf16
                                  : b.storage == GemmStorage::f16 ? row.f16
                                                                  : row.f32;
  const MicroKernel(&tiles)[kMaxNp][kMaxMr] = b.storage == GemmStorage::bf16  ? ks.bf16
                                              : b.storage == GemmStorage::f16 ? ks.f16
                                                                              : ks.f32;
  const bool gemv = m1 - m0 == 1;
  // One K block of one column strip (np panels from p): every row block's
  // tiles, then the epilogue after the last K block.
  auto strip = [&](int64_t k0, int64_t p, int np) {
    const int64_t kc = std::min(kKc, b.k - k0);
    const bool wide = gemv && p1 - p >= row.np;  // then np == row.np
    const int64_t col0 = p * kGemmPanel;
    const int nr = static_cast<int>(std::min<int64_t>(np * kGemmPanel, b.n - col0));
    MicroArgs g;
    g.kc = kc;
    g.lda = lda;
    g.b = bytes + (p * panel_stride + k0 * kGemmPanel) * esz;
    g.panel_stride = panel_stride;
    g.ldc = ldc;
    g.nr = nr;
    g.accumulate = k0 > 0;
    g.stream = m1 - m0 <= kStreamRowTiles * ks.mr_max;
    for (int64_t i = m0; i < m1; i += ks.mr_max) {
      const int mr = static_cast<int>(std::min<int64_t>(ks.mr_max, m1 - i));
      g.a = a + i * lda + k0;
      g.c = c + i * ldc + col0;
      (wide ? gemv_kernel : tiles[np - 1][mr - 1])(g);
    }
    // Finish the column strip of the row block while it is in cache.
    if (k0 + kc >= b.k)
      apply_epilogue(ep, c + m0 * ldc + col0, ldc, residual ? residual + m0 * ep.ldr + col0 : nullptr, m1 - m0,
                     col0, nr);
  };
  // fn(k0) for every K block (one, of zero rows, when K is 0: the tiles
  // then store zeros).
  auto each_k_block = [&](auto &&fn) {
    for (int64_t k0 = 0;; k0 += kKc) {
      fn(k0);
      if (k0 + kKc >= b.k) break;
    }
  };
  // fn(p, np) for every column strip.
  auto each_strip = [&](auto &&fn) {
    for (int64_t p = p0; p < p1;) {
      const int np = gemv && p1 - p >= row.np ? row.np : static_cast<int>(std::min<int64_t>(ks.np_max, p1 - p));
      fn(p, np);
      p += np;
    }
  };
  if (gemv)  // one row: each strip streams its panels through the whole of K
             // before the next (sequential reads the hardware prefetcher
             // follows; the K blocks' sums and their order are the same)
    each_strip([&](int64_t p, int np) { each_k_block([&](int64_t k0) { strip(k0, p, np); }); });
  else
    each_k_block([&](int64_t k0) { each_strip([&](int64_t p, int np) { strip(k0, p, np); }); });
}

// Packs panel p of the K x N matrix B (see gemm_pack) into dst.
template <class T>
void pack_panel(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, int64_t p, T *dst) {
  const int64_t col0 = p * kGemmPanel;
  const int64_t cols = std::min(kGemmPanel, n - col0);
  auto put = [](float v) {
    if constexpr (std::is_same_v<T, float>)
      return v;
    else if constexpr (std::is_same_v<T, F16Bits>)
      return F16Bits{f32_to_f16(std::clamp(v, -kF16Max, kF16Max))};  // saturates, infinities too (NaN stays NaN)
    else
      return f32_to_bf16(v);
  };
  if (cols < kGemmPanel)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = cols; j < kGemmPanel; ++j) dst[kk * kGemmPanel + j] = T{};
  if (transposed) {
    // Rows of the stored [N, K] matrix are contiguous: read them in order.
    for (int64_t j = 0; j < cols; ++j) {
      const float *src = b + (col0 + j) * ldb;
      for (int64_t kk = 0; kk < k; ++kk) dst[kk * kGemmPanel + j] = put(src[kk]);
    }
  } else {
    for (int64_t kk = 0; kk < k; ++kk) {
      const float *src = b + kk * ldb + col0;
      for (int64_t j = 0; j < cols; ++j) dst[kk * kGemmPanel + j] = put(src[j]);
    }
  }
}

void pack_panel_as(GemmStorage s, const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                   int64_t p, void *out) {
  if (s == GemmStorage::bf16)
    pack_panel(b, ldb, transposed, k, n, p, static_cast<uint16_t *>(out) + p * k * kGemmPanel);
  else if (s == GemmStorage::f16)
    pack_panel(b, ldb, transposed, k, n, p, static_cast<F16Bits *>(out) + p * k * kGemmPanel);
  else
    pack_panel(b, ldb, transposed, k, n, p, static_cast<float *>(out) + p * k * kGemmPanel);
}

}  // namespace

const char *gemm_format_name(GemmStorage s) {
  switch (s) {
    case GemmStorage::bf16: return "bf16.panel16";
    case GemmStorage::i8: return "i8.panel16x4";
    case GemmStorage::q4: return "q4.strip128x32h";
    case GemmStorage::q4g128: return "q4.strip128x128h";
    case GemmStorage::mx6: return "mxfp6.panel16x32";
    case GemmStorage::f16: return "f16.panel16";
    case GemmStorage::f32: break;
  }
  return "f32.panel16";
}

namespace {
constexpr GemmStorage kAllStorages[] = {GemmStorage::f32, GemmStorage::bf16, GemmStorage::i8, GemmStorage::q4,
                                        GemmStorage::mx6, GemmStorage::f16,  GemmStorage::q4g128};
}  // namespace

const std::string &gemm_format_list() {
  static const std::string list = [] {
    std::string l;
    for (GemmStorage s : kAllStorages) l += std::string(l.empty() ? "" : ",") + gemm_format_name(s);
    return l;
  }();
  return list;
}

bool parse_gemm_format(std::string_view name, GemmStorage *out) {
  for (GemmStorage s : kAllStorages)
    if (name == gemm_format_name(s)) {
      *out = s;
      return true;
    }
  return false;
}

uint64_t gemm_packed_bytes(int64_t k, int64_t n, GemmStorage s) {
  if (s == GemmStorage::i8) return gemm_i8_packed_bytes(k, n);
  if (s == GemmStorage::q4 || s == GemmStorage::q4g128) return gemm_q4_packed_bytes(k, n, s);
  if (s == GemmStorage::mx6) return gemm_mx6_packed_bytes(k, n);
  const uint64_t elems = static_cast<uint64_t>(ceil_div(n, kGemmPanel)) * static_cast<uint64_t>(k) * kGemmPanel;
  return (elems * storage_bytes(s) + 63) / 64 * 64;
}

void gemm_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, GemmStorage s, void *out) {
  if (s == GemmStorage::i8) return gemm_i8_pack(b, ldb, transposed, k, n, out);
  if (s == GemmStorage::q4 || s == GemmStorage::q4g128) return gemm_q4_pack(b, ldb, transposed, k, n, s, out);
  if (s == GemmStorage::mx6) return gemm_mx6_pack(b, ldb, transposed, k, n, out);
  const uint64_t used = static_cast<uint64_t>(ceil_div(n, kGemmPanel)) * k * kGemmPanel * storage_bytes(s);
  gemm_detail::for_column_ranges(k, n, [&](int, int64_t c0, int64_t c1) {
    for (int64_t p = c0 / kGemmPanel; p < ceil_div(c1, kGemmPanel); ++p) pack_panel_as(s, b, ldb, transposed, k, n, p, out);
  });
  // Zero the tail so the bytes (which go into packages) are deterministic.
  const uint64_t total = gemm_packed_bytes(k, n, s);
  if (total > used) std::memset(static_cast<uint8_t *>(out) + used, 0, total - used);
}

void gemm_pack_ranges_for_tests(int ranges) { gemm_detail::g_pack_ranges.store(ranges, std::memory_order_relaxed); }

uint64_t gemm_packed_workspace(int64_t m, const PackedB &b) {
  return gemm_detail::gemm_quant_workspace(m, b);
}

bool gemm_quantizes_a(GemmStorage s) {
  return s == GemmStorage::i8 || s == GemmStorage::q4 || s == GemmStorage::q4g128 || s == GemmStorage::mx6;
}

uint64_t gemm_packed_group_workspace(int64_t m, const GemmMember *members, int count) {
  uint64_t w = 0;
  for (int i = 0; i < count; ++i) w = std::max(w, gemm_packed_workspace(m, members[i].b));
  return w;
}

void gemm_packed_group(int64_t m, const float *a, int64_t lda, const GemmMember *members, int count, Parallel &par,
                       void *workspace) {
  if (m <= 0 || count <= 0) return;
  if (count > kGemmMaxGroup) {
    gemm_packed_group(m, a, lda, members, kGemmMaxGroup, par, workspace);
    return gemm_packed_group(m, a, lda, members + kGemmMaxGroup, count - kGemmMaxGroup, par, workspace);
  }
  if (gemm_quantizes_a(members[0].b.storage))
    return gemm_detail::gemm_packed_quant(m, a, lda, members, count, par, workspace);
  for (int i = 0; i < count; ++i) {
    const GemmMember &g = members[i];
    gemm_packed(m, a, lda, g.b, g.c, g.ldc, g.ep, par, workspace);
  }
}

void gemm_packed(int64_t m, const float *a, int64_t lda, const PackedB &b, float *c, int64_t ldc,
                 const GemmEpilogue &ep, Parallel &par, void *workspace) {
  if (m <= 0 || b.n <= 0) return;
  if (gemm_quantizes_a(b.storage)) {
    const GemmMember one{b, c, ldc, ep};
    return gemm_detail::gemm_packed_quant(m, a, lda, &one, 1, par, workspace);
  }
  const KernelSet &ks = active_set();
  const Plan plan = make_plan(ks.mr_max, ks.np_max, m, b.n, 1, par.num_threads());
  const int64_t panels = ceil_div(b.n, kGemmPanel);
  par.parallel_for(plan.tasks(), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t mb = t / plan.nblocks, nb = t % plan.nblocks;
      const int64_t m0 = mb * plan.mc, p0 = nb * plan.pb;
      run_block(ks, a, lda, b, c, ldc, ep, ep.residual, m0, std::min(m, m0 + plan.mc), p0,
                std::min(panels, p0 + plan.pb));
    }
  });
}

namespace {

// Where gemm_batched keeps its packed operands: every distinct B matrix
// packed (f32), then every distinct A matrix transposed when trans_a.
struct BatchedLayout {
  uint64_t b_bytes = 0;  // one packed B
  uint64_t a_bytes = 0;  // one transposed A (0 without trans_a)
  uint64_t total = 0;
};

BatchedLayout batched_layout(const GemmBatch &g) {
  BatchedLayout l;
  l.b_bytes = gemm_packed_bytes(g.k, g.n, GemmStorage::f32);
  if (g.trans_a) l.a_bytes = (static_cast<uint64_t>(g.m) * g.k * 4 + 63) / 64 * 64;
  l.total = l.b_bytes * g.num_b + l.a_bytes * g.num_a;
  return l;
}

// Rows of A^T per packing task.
constexpr int64_t kTransposeRows = 64;

}  // namespace

uint64_t gemm_batched_workspace(const GemmBatch &g) { return batched_layout(g).total; }

void gemm_batched(const GemmBatch &g, void *workspace, Parallel &par) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  const BatchedLayout l = batched_layout(g);
  auto *ws = static_cast<uint8_t *>(workspace);
  uint8_t *a_ws = ws + l.b_bytes * g.num_b;
  const int64_t panels = ceil_div(g.n, kGemmPanel);
  const int64_t a_chunks = g.trans_a ? ceil_div(g.m, kTransposeRows) : 0;

  // Phase 1: pack every B panel (and transpose A row chunks) in parallel.
  par.parallel_for(g.num_b * panels + g.num_a * a_chunks, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      if (u < g.num_b * panels) {
        const int64_t j = u / panels, p = u % panels;
        pack_panel_as(GemmStorage::f32, g.b + j * g.b_stride, g.ldb, g.trans_b, g.k, g.n, p,
                      ws + j * l.b_bytes);
        continue;
      }
      const int64_t v = u - g.num_b * panels;
      const int64_t j = v / a_chunks, i0 = (v % a_chunks) * kTransposeRows;
      const float *src = g.a + j * g.a_stride;  // K x M, row stride lda
      auto *dst = reinterpret_cast<float *>(a_ws + j * l.a_bytes);  // M x K
      for (int64_t i = i0; i < std::min(g.m, i0 + kTransposeRows); ++i)
        for (int64_t kk = 0; kk < g.k; ++kk) dst[i * g.k + kk] = src[kk * g.lda + i];
    }
  });

  // Phase 2: (batch, row block, column block) tasks.
  const KernelSet &ks = active_set();
  const Plan plan = make_plan(ks.mr_max, ks.np_max, g.m, g.n, g.batch, par.num_threads());
  const int64_t per_batch = plan.tasks();
  par.parallel_for(g.batch * per_batch, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t i = t / per_batch, r = t % per_batch;
      const int64_t ai = g.a_index ? g.a_index[i] : i % g.num_a;
      const int64_t bi = g.b_index ? g.b_index[i] : i % g.num_b;
      const float *a = g.trans_a ? reinterpret_cast<const float *>(a_ws + ai * l.a_bytes) : g.a + ai * g.a_stride;
      const int64_t lda = g.trans_a ? g.k : g.lda;
      const PackedB b{ws + bi * l.b_bytes, g.k, g.n, GemmStorage::f32};
      const float *residual = g.ep.residual ? g.ep.residual + i * g.residual_stride : nullptr;
      const int64_t mb = r / plan.nblocks, nb = r % plan.nblocks;
      const int64_t m0 = mb * plan.mc, p0 = nb * plan.pb;
      run_block(ks, a, lda, b, g.c + i * g.c_stride, g.ldc, g.ep, residual, m0, std::min(g.m, m0 + plan.mc), p0,
                std::min(panels, p0 + plan.pb));
    }
  });
}

}  // namespace qeff::kernels
