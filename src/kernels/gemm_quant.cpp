// The driver of the quantized products (i8.panel16x4, q4.strip128x32h,
// q4.strip128x128h and mxfp6.panel16x32, gemm.hpp): quantize the rows of A into the workspace, then run the
// storage's tiles over the same partitioning and epilogues as the f32 driver
// (gemm.cpp). One template over a Storage traits type, so every format is
// driven one way.
#include <algorithm>
#include <chrono>

#include "kernels/cpu.hpp"
#include "kernels/gemm_internal.hpp"
#include "kernels/stream_tuner.hpp"

namespace qeff::kernels::gemm_detail {
namespace {

// Rows of A quantized per task (a few rows, e.g. decode, stay on the calling
// thread: a hand-off to the pool would cost more than the rows).
constexpr int64_t kRowsPerTask = 16;

// Where A's quantized rows go: `rows` rows of ldq bytes (m, or for int8 from
// kAmxMinRows rows on, m rounded up to a row block of the AMX kernel, which
// loads whole blocks: rows past m are read, never written, and their sums
// never stored), then per row `blocks` f32 scales, then (q4) per row `blocks`
// int32 sums; 64-byte aligned pieces.
struct Workspace {
  int64_t rows = 0, ldq = 0, blocks = 0;
  uint64_t scale_offset = 0, sum_offset = 0, total = 0;
};

uint64_t align64(uint64_t n) { return (n + 63) / 64 * 64; }

// The kernel set of the active ISA among a storage's (the sets are built on
// first use, so one only the CPU supports is never touched elsewhere);
// avx512 without VNNI runs the AVX2 set, avx512vbmi the VNNI one unless the
// storage has a set of its own.
template <class Set>
const Set &for_active_isa(const Set &(*portable)(), const Set &(*avx2)(), const Set &(*avx512vnni)(),
                          const Set &(*avx512vbmi)() = nullptr) {
  const Isa isa = active_isa();
  if (avx512vbmi && isa_at_least(isa, Isa::avx512vbmi)) return avx512vbmi();
  if (isa_at_least(isa, Isa::avx512vnni)) return avx512vnni();
  return isa == Isa::portable ? portable() : avx2();
}

// The panels of a weight in one layout: every kernel call may take any of
// them, the plan cuts column blocks in whole tile widths.
template <class Set>
struct UniformPanels {
  static const Set &set_at(const Set &ks, const PackedB &, int64_t) { return ks; }
  static int64_t run_end(const PackedB &, int64_t, int64_t end) { return end; }
  static int plan_np(const Set &ks) { return ks.np_max; }
};

// int8: one scale per row; the tiles read A in quads. At Isa::amx products
// of kAmxMinRows rows or more run the AMX set (fewer would leave its 16-row
// tiles mostly empty).
struct I8Storage : UniformPanels<I8KernelSet> {
  using Set = I8KernelSet;

  static const Set &active(int64_t m) {
    if (m >= kAmxMinRows && isa_at_least(active_isa(), Isa::amx)) return i8_kernels_amx();
    return for_active_isa(&i8_kernels_portable, &i8_kernels_avx2, &i8_kernels_avx512vnni);
  }

  static Workspace workspace(int64_t m, int64_t k) {
    Workspace w;
    w.rows = m >= kAmxMinRows ? round_up(m, kAmxRowBlock) : m;
    w.ldq = round_up(ceil_div(k, 4) * 4, 64);
    w.blocks = 1;
    w.scale_offset = static_cast<uint64_t>(w.rows) * static_cast<uint64_t>(w.ldq);
    w.sum_offset = w.total = w.scale_offset + align64(static_cast<uint64_t>(w.rows) * 4);
    return w;
  }

  static void quantize(const Set &ks, const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q,
                       const Workspace &w, float *scale, int32_t *) {
    ks.quantize(a, lda, rows, k, q, w.ldq, scale);
  }

  static I8Args args(const PackedB &b, const Workspace &w) {
    I8Args g;
    g.kq = ceil_div(b.k, 4);
    g.lda = w.ldq;
    g.panel_stride = g.kq * 64;
    return g;
  }

  static void at_panel(I8Args &g, const PackedB &b, int64_t p) {
    const auto *bytes = static_cast<const uint8_t *>(b.data);
    const int64_t panels = ceil_div(b.n, kGemmPanel);
    g.b = reinterpret_cast<const int8_t *>(bytes + panels * kGemmPanel * 8) + p * g.panel_stride;
    g.b_scale = reinterpret_cast<const float *>(bytes) + p * kGemmPanel;
    g.b_sum = reinterpret_cast<const int32_t *>(bytes + panels * kGemmPanel * 4) + p * kGemmPanel;
  }

  static void at_row(I8Args &g, const int8_t *qa, const float *scale, const int32_t *, int64_t i) {
    g.qa = qa + i * g.lda;
    g.a_scale = scale + i;
  }
};

// The block formats (4-bit, MXFP6): one scale and one sum per block of 32 k
// of each row of A.
struct BlockStorage {
  using Set = Q4KernelSet;

  static Workspace workspace(int64_t m, int64_t k) {
    Workspace w;
    w.rows = m;
    w.blocks = ceil_div(k, kQ4Block);
    w.ldq = round_up(w.blocks * kQ4Block, 64);
    const uint64_t meta = align64(static_cast<uint64_t>(m) * static_cast<uint64_t>(w.blocks) * 4);
    w.scale_offset = static_cast<uint64_t>(m) * static_cast<uint64_t>(w.ldq);
    w.sum_offset = w.scale_offset + meta;
    w.total = w.sum_offset + meta;
    return w;
  }

  static void quantize(const Set &ks, const float *a, int64_t lda, int64_t rows, int64_t k, int8_t *q,
                       const Workspace &w, float *scale, int32_t *sum) {
    ks.quantize(a, lda, rows, k, q, w.ldq, scale, sum, w.blocks);
  }

  static BlockArgs args(const Workspace &w) {
    BlockArgs g;
    g.nb = w.blocks;
    g.lda = w.ldq;
    g.lds = w.blocks;
    return g;
  }

  static void at_row(BlockArgs &g, const int8_t *qa, const float *scale, const int32_t *sum, int64_t i) {
    g.qa = qa + i * g.lda;
    g.a_scale = scale + i * g.lds;
    g.a_sum = sum + i * g.lds;
  }
};

// 4-bit (Group: 32 or 128 k per weight scale): the panels of whole strips
// run the strip kernels, the others the W = 1 ones; no kernel call crosses a
// strip's end, and the plan cuts column blocks in whole strips.
template <int64_t Group>
struct Q4Storage : BlockStorage {
  using Strip = Q4Layout<Group, kQ4Strip>;
  using Tail = Q4Layout<Group, 1>;

  static const Set &active(int64_t) {
    return for_active_isa(&q4_kernels_portable<Strip>, &q4_kernels_avx2<Strip>, &q4_kernels_avx512vnni<Strip>);
  }
  static const Set &set_at(const Set &strip, const PackedB &b, int64_t p) {
    if (p < Q4Panels<Group>(b.k, b.n).strip_panels()) return strip;
    return for_active_isa(&q4_kernels_portable<Tail>, &q4_kernels_avx2<Tail>, &q4_kernels_avx512vnni<Tail>);
  }
  static int64_t run_end(const PackedB &b, int64_t p, int64_t end) { return Q4Panels<Group>(b.k, b.n).run_end(p, end); }
  static int plan_np(const Set &) { return kQ4Strip; }

  static BlockArgs args(const PackedB &b, const Workspace &w) {
    BlockArgs g = BlockStorage::args(w);
    g.panel_stride = Q4Panels<Group>(b.k, b.n).tail_stride();
    return g;
  }

  // Single-row products (decode GEMVs) time the strips' prefetch with and
  // without the far one (option 1: with) and take the faster.
  static StreamTuner &tuner() {
    static StreamTuner t;
    return t;
  }
  static void tune(BlockArgs &g, int option) { g.far_prefetch = option == 1 ? Strip::kPrefetchBytes : 0; }

  static void at_panel(BlockArgs &g, const PackedB &b, int64_t p) {
    const typename Q4Panels<Group>::At at = Q4Panels<Group>(b.k, b.n).at(p);
    g.b = static_cast<const uint8_t *>(b.data) + at.nibbles;
    g.meta_offset = at.meta - at.nibbles;
  }
};

// MXFP6: A is quantized as for 4-bit (the VBMI kernels use the sums); its own
// tiles and superblocks, panels one after the other.
struct Mx6Storage : BlockStorage, UniformPanels<Mx6KernelSet> {
  static const Set &active(int64_t) {
    return for_active_isa(&mx6_kernels_portable, &mx6_kernels_avx2, &mx6_kernels_avx512vnni,
                          &mx6_kernels_avx512vbmi);
  }

  static BlockArgs args(const PackedB &b, const Workspace &w) {
    BlockArgs g = BlockStorage::args(w);
    g.panel_stride = contiguous_panel_stride(b.k, kMx6SuperBytes);
    return g;
  }

  static void at_panel(BlockArgs &g, const PackedB &b, int64_t p) {
    g.b = static_cast<const uint8_t *>(b.data) + p * g.panel_stride;
  }
};

// Rows [m0, m1) x panels [p0, p1) of C = epilogue(A B), A already quantized.
template <class S>
void run_block(const typename S::Set &ks, typename S::Set::args_type g, const int8_t *qa, const float *scale,
               const int32_t *sum, const PackedB &b, float *c, int64_t ldc, const GemmEpilogue &ep, int64_t m0,
               int64_t m1, int64_t p0, int64_t p1) {
  g.ldc = ldc;
  if (ks.block) {
    S::at_panel(g, b, p0);
    S::at_row(g, qa, scale, sum, m0);
    g.c = c + m0 * ldc + p0 * kGemmPanel;
    g.nr = static_cast<int>(std::min(p1 * kGemmPanel, b.n) - p0 * kGemmPanel);
    ks.block(g, m1 - m0, p1 - p0);
  } else {
    const bool gemv = m1 - m0 == 1, narrow = cpu_tuning().narrow_gemv;
    for (int64_t p = p0; p < p1;) {
      const typename S::Set &set = S::set_at(ks, b, p);
      const auto &row = set.row(narrow);
      const int64_t end = S::run_end(b, p, p1);  // one call's panels share a layout
      const bool wide = gemv && end - p >= row.np;
      const int np = wide ? row.np : static_cast<int>(std::min<int64_t>(set.np_max, end - p));
      const int64_t col0 = p * kGemmPanel;
      g.nr = static_cast<int>(std::min<int64_t>(np * kGemmPanel, b.n - col0));
      S::at_panel(g, b, p);
      for (int64_t i = m0; i < m1; i += ks.mr_max) {
        const int mr = static_cast<int>(std::min<int64_t>(ks.mr_max, m1 - i));
        S::at_row(g, qa, scale, sum, i);
        g.c = c + i * ldc + col0;
        (wide ? row.run : set.tile[np - 1][mr - 1])(g);
      }
      p += np;
    }
  }
  // The whole block at once (in L2: no K blocking here, the strips are
  // written once): rows of all the block's columns make longer vector loops
  // than one strip's 16 or 32 columns.
  const int64_t col0 = p0 * kGemmPanel, cols = std::min(p1 * kGemmPanel, b.n) - col0;
  apply_epilogue(ep, c + m0 * ldc + col0, ldc, ep.residual ? ep.residual + m0 * ep.ldr + col0 : nullptr, m1 - m0,
                 col0, cols);
}

// The members' tiles after one quantization of A, as one task list.
template <class S>
void run(int64_t m, const float *a, int64_t lda, const GemmMember *members, int count, Parallel &par,
         void *workspace) {
  const typename S::Set &ks = S::active(m);
  const int64_t k = members[0].b.k;
  const Workspace w = S::workspace(m, k);
  auto *bytes = static_cast<uint8_t *>(workspace);
  auto *qa = reinterpret_cast<int8_t *>(bytes);
  auto *scale = reinterpret_cast<float *>(bytes + w.scale_offset);
  auto *sum = reinterpret_cast<int32_t *>(bytes + w.sum_offset);
  // Phase 1: quantize the rows of A.
  auto quantize = [&](int64_t begin, int64_t end) {
    const int64_t r0 = begin * kRowsPerTask, r1 = std::min(m, end * kRowsPerTask);
    S::quantize(ks, a + r0 * lda, lda, r1 - r0, k, qa + r0 * w.ldq, w, scale + r0 * w.blocks, sum + r0 * w.blocks);
  };
  if (m <= kRowsPerTask)
    quantize(0, 1);
  else
    par.parallel_for(ceil_div(m, kRowsPerTask), quantize);
  // Phase 2: the members' panels side by side (member i's at [first[i],
  // first[i + 1])) planned as one product, so that the tasks weigh alike
  // whatever the members' widths; a task's panels are cut at the members'
  // edges. Partitions do not change results, so each member's C is what
  // gemm_packed gives.
  int64_t first[kGemmMaxGroup + 1] = {0};
  for (int i = 0; i < count; ++i) first[i + 1] = first[i] + ceil_div(std::max<int64_t>(members[i].b.n, 0), kGemmPanel);
  const int64_t panels = first[count];
  if (panels == 0) return;
  const Plan plan = make_plan(ks.mr_max, S::plan_np(ks), m, panels * kGemmPanel, 1, par.num_threads());
  // A storage with a tuner (StreamTuner) times its single-row products per
  // shape (the key: K, the panels, the members) with the option it chose.
  // Other products (and other storages) run option 0, untimed.
  constexpr bool kTuned = requires(typename S::Set::args_type &g) { S::tune(g, 0); };
  const bool timed = kTuned && m == 1;
  const uint64_t key = static_cast<uint64_t>(k) << 40 ^ static_cast<uint64_t>(panels) << 8 ^
                       static_cast<uint64_t>(count) ^ uint64_t{1} << 63;
  int option = 0;
  std::chrono::steady_clock::time_point start;
  if constexpr (kTuned) {
    if (timed) {
      option = S::tuner().choose(key);
      start = std::chrono::steady_clock::now();
    }
  }
  par.parallel_for(plan.tasks(), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t m0 = t / plan.nblocks * plan.mc, m1 = std::min(m, m0 + plan.mc);
      const int64_t p0 = t % plan.nblocks * plan.pb, p1 = std::min(panels, p0 + plan.pb);
      for (int i = 0; i < count; ++i) {
        const int64_t lo = std::max(p0, first[i]), hi = std::min(p1, first[i + 1]);
        if (lo >= hi) continue;
        const GemmMember &g = members[i];
        typename S::Set::args_type args = S::args(g.b, w);
        if constexpr (kTuned) S::tune(args, option);
        run_block<S>(ks, args, qa, scale, sum, g.b, g.c, g.ldc, g.ep, m0, m1, lo - first[i], hi - first[i]);
      }
    }
  });
  if constexpr (kTuned) {
    if (timed) {
      const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
      S::tuner().record(key, option, took.count());
    }
  }
}

}  // namespace

uint64_t gemm_quant_workspace(int64_t m, const PackedB &b) {
  if (m <= 0) return 0;
  if (b.storage == GemmStorage::i8) return I8Storage::workspace(m, b.k).total;
  if (b.storage == GemmStorage::q4 || b.storage == GemmStorage::q4g128 || b.storage == GemmStorage::mx6)
    return BlockStorage::workspace(m, b.k).total;
  return 0;
}

void gemm_packed_quant(int64_t m, const float *a, int64_t lda, const GemmMember *members, int count,
                       Parallel &par, void *workspace) {
  const GemmStorage s = members[0].b.storage;
  if (s == GemmStorage::q4)
    run<Q4Storage<32>>(m, a, lda, members, count, par, workspace);
  else if (s == GemmStorage::q4g128)
    run<Q4Storage<128>>(m, a, lda, members, count, par, workspace);
  else if (s == GemmStorage::mx6)
    run<Mx6Storage>(m, a, lda, members, count, par, workspace);
  else
    run<I8Storage>(m, a, lda, members, count, par, workspace);
}

}  // namespace qeff::kernels::gemm_detail
