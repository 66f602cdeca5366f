// 4-bit GEMM (q4.strip128x32h and q4.strip128x128h, gemm.hpp): each layout as
// a block format (weight quantization with per-group scales and zero points,
// where each value lives), over which gemm_blocks.hpp writes the packing loop
// and the portable kernel. The driver is in gemm_quant.cpp; the AVX2 kernels in
// gemm_q4_avx2.cpp.
#include "common/error.hpp"
#include "kernels/gemm_blocks.hpp"

namespace qeff::kernels {
namespace gemm_detail {
namespace {

template <class Layout>
struct Q4Format {
  static constexpr int64_t kGroup = Layout::kGroup;
  using Panels = Q4Panels<kGroup>;

  // A kernel's panel p: its nibble and fields bases (Layout's W, BlockArgs).
  struct View {
    const uint8_t *nibbles, *meta;
  };
  static View view(const BlockArgs &g, int p) {
    return {g.b + p * Layout::nibble_step(g), g.b + g.meta_offset + p * Layout::meta_step(g)};
  }
  // The nibble of column j (0..15) for k = 4 q + t of block b.
  static int value(const View &v, int64_t b, int q, int j, int t) {
    const uint8_t byte = v.nibbles[Layout::nibbles_at(b) + q * Layout::kQuadStep + (j % 8) * 4 + t];
    return j < 8 ? byte & 15 : byte >> 4;
  }
  static int zero(const View &v, int64_t b, int j) { return v.meta[Layout::meta_at(b) + Layout::kZeroOffset + j]; }
  static float scale(const View &v, int64_t b, int j) {
    uint16_t h;
    std::memcpy(&h, v.meta + Layout::meta_at(b) + j * 2, 2);
    return f16_to_f32(h);
  }

  // Packing, for panels of either width (Q4Panels says which).
  struct Panel {
    uint8_t *nibbles, *meta;
    int width;
  };
  static uint64_t packed_bytes(int64_t k, int64_t n) { return Panels(k, n).bytes(); }
  static Panel panel(uint8_t *bytes, int64_t k, int64_t n, int64_t p) {
    const typename Panels::At at = Panels(k, n).at(p);
    return {bytes + at.nibbles, bytes + at.meta, at.width};
  }
  // Group g's fields (f16 scale, u8 zero point) of column jj (0..15), and
  // its value at k = i (ORed into zeroed bytes).
  template <class Fn>
  static auto with_width(const Panel &panel, Fn fn) {
    return panel.width == 1 ? fn(typename Panels::Tail{}) : fn(typename Panels::Strip{});
  }
  static uint8_t *fields(const Panel &panel, int64_t g) {
    return panel.meta + with_width(panel, [&](auto l) { return decltype(l)::meta_at(g * kGroup / kQ4Block); });
  }
  static void put_scale(const Panel &panel, int64_t g, int jj, uint16_t scale) {
    std::memcpy(fields(panel, g) + jj * 2, &scale, 2);
  }
  static void put_zero(const Panel &panel, int64_t g, int jj, uint8_t zero) { fields(panel, g)[Layout::kZeroOffset + jj] = zero; }
  static void put_value(const Panel &panel, int64_t i, int jj, uint8_t q) {
    const int64_t at = with_width(panel, [&](auto l) {
      using L = decltype(l);
      return L::nibbles_at(i / kQ4Block) + i % kQ4Block / 4 * L::kQuadStep;
    });
    panel.nibbles[at + (jj % 8) * 4 + i % 4] |= static_cast<uint8_t>(jj < 8 ? q : q << 4);
  }

  // Scale, zero point and values of one group of a weight column (gemm.hpp).
  static void pack_group(const float *w, int64_t n, int64_t stride, const Panel &panel, int64_t g, int jj) {
    float lo = 0.0f, hi = 0.0f;
    bool non_finite = false;
    for (int64_t i = 0; i < n; ++i) {
      const float v = w[i * stride];
      if (!std::isfinite(v)) non_finite = true;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    const float range = hi - lo;
    if (non_finite || !std::isfinite(range)) put_scale(panel, g, jj, f32_to_f16(__builtin_nanf("")));
    if (non_finite || !std::isfinite(range) || !(range >= kGemmI8MinScale)) return;  // values and zero stay 0
    // f16 saturates at kF16Max (a group spanning more than 15 x 65504 clamps
    // its values); a scale that rounds to f16 zero leaves the group zero.
    const uint16_t scale = f32_to_f16(std::min(range / 15.0f, kF16Max));
    const float s = f16_to_f32(scale);
    if (!(s > 0.0f)) return;
    put_scale(panel, g, jj, scale);
    auto clamp15 = [](float v) { return v < 0.0f ? 0.0f : (v > 15.0f ? 15.0f : v); };
    const float z = clamp15(std::nearbyint(-lo / s));
    put_zero(panel, g, jj, static_cast<uint8_t>(z));
    for (int64_t i = 0; i < n; ++i)
      put_value(panel, g * kGroup + i, jj, static_cast<uint8_t>(clamp15(std::nearbyint(w[i * stride] / s) + z)));
  }

  // A checkpoint's values (gemm_q4_pack_values), group size v.group a
  // multiple of kGroup or at least K.
  static void pack_values(const Q4Values &v, int64_t k, int64_t n, uint8_t *bytes) {
    const int64_t groups = ceil_div(k, v.group), row_bytes = ceil_div(k, int64_t{2});
    for (int64_t j = 0; j < n; ++j) {
      const Panel panel = Q4Format::panel(bytes, k, n, j / kGemmPanel);
      const int jj = static_cast<int>(j % kGemmPanel);
      const uint8_t *row = v.nibbles + j * row_bytes;
      for (int64_t g = 0; g * kGroup < k; ++g) {
        const int64_t src = g * kGroup / v.group;
        put_scale(panel, g, jj, v.scale_f16[j * groups + src]);
        put_zero(panel, g, jj, v.zero[j * groups + src]);
      }
      for (int64_t kk = 0; kk < k; ++kk)
        put_value(panel, kk, jj, static_cast<uint8_t>((row[kk / 2] >> (kk % 2 * 4)) & 15));
    }
  }
};

}  // namespace

template <class Layout>
const Q4KernelSet &q4_kernels_portable() {
  return portable_block_kernels<Q4Format<Layout>>();
}
template const Q4KernelSet &q4_kernels_portable<Q4G32<1>>();
template const Q4KernelSet &q4_kernels_portable<Q4G32<kQ4Strip>>();
template const Q4KernelSet &q4_kernels_portable<Q4G128<1>>();
template const Q4KernelSet &q4_kernels_portable<Q4G128<kQ4Strip>>();

}  // namespace gemm_detail

namespace {

template <class Fn>
auto with_q4_format(GemmStorage s, Fn fn) {
  using namespace gemm_detail;
  if (s == GemmStorage::q4g128) return fn(Q4Format<Q4G128<kQ4Strip>>{});  // packing: either width
  return fn(Q4Format<Q4G32<kQ4Strip>>{});
}

}  // namespace

uint64_t gemm_q4_packed_bytes(int64_t k, int64_t n, GemmStorage s) {
  return with_q4_format(s, [&](auto f) { return decltype(f)::packed_bytes(k, n); });
}

void gemm_q4_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n, GemmStorage s, void *out) {
  with_q4_format(s, [&](auto f) { gemm_detail::pack_blocks<decltype(f)>(b, ldb, transposed, k, n, out); });
}

bool gemm_q4_values_fit(int64_t k, int64_t group, GemmStorage s) {
  if (k <= 0 || group <= 0 || (s != GemmStorage::q4 && s != GemmStorage::q4g128)) return false;
  return with_q4_format(s, [&](auto f) { return group >= k || group % decltype(f)::kGroup == 0; });
}

void gemm_q4_pack_values(const Q4Values &v, int64_t k, int64_t n, GemmStorage s, void *out) {
  auto *bytes = static_cast<uint8_t *>(out);
  if (k <= 0 || n <= 0) return;
  if (!gemm_q4_values_fit(k, v.group, s)) fail(QEFF_E_INTERNAL, "gemm_q4_pack_values: group size does not fit");
  std::memset(bytes, 0, gemm_q4_packed_bytes(k, n, s));
  with_q4_format(s, [&](auto f) { decltype(f)::pack_values(v, k, n, bytes); });
}

}  // namespace qeff::kernels
