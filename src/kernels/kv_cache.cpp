#include "kernels/kv_cache.hpp"

#include <cstring>

namespace qeff::kernels {
namespace {

// The cache slot of position p, or -1 when it is out of range.
int64_t slot_of(int64_t p, int64_t ctx) {
  if (p < 0) p += ctx;
  return p >= 0 && p < ctx ? p : -1;
}

}  // namespace

template <class I>
void ctx_scatter(const CacheDims &d, const void *cache, const I *pos, const void *updates, void *out,
                 Parallel &parallel) {
  const auto *src = static_cast<const uint8_t *>(cache);
  const auto *upd = static_cast<const uint8_t *>(updates);
  auto *dst = static_cast<uint8_t *>(out);
  const int64_t rb = d.row_bytes;
  // A head's work: its updates, and its whole cache when copied (bytes / 4).
  const int64_t work = ((out != cache ? d.ctx : 0) + d.n) * rb / 4;
  parallel_for_work(parallel, d.batch * d.heads, work, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / d.heads;
      uint8_t *head = dst + bh * d.ctx * rb;
      if (out != cache) std::memcpy(head, src + bh * d.ctx * rb, static_cast<size_t>(d.ctx * rb));
      const I *p = pos + (d.pos_batch == 1 ? 0 : b) * d.n;
      for (int64_t i = 0; i < d.n; ++i) {
        const int64_t slot = slot_of(static_cast<int64_t>(p[i]), d.ctx);
        if (slot >= 0) std::memcpy(head + slot * rb, upd + (bh * d.n + i) * rb, static_cast<size_t>(rb));
      }
    }
  });
}

template <class I>
void ctx_gather(const CacheDims &d, const void *cache, const I *pos, void *out, Parallel &parallel) {
  const auto *src = static_cast<const uint8_t *>(cache);
  auto *dst = static_cast<uint8_t *>(out);
  const int64_t rb = d.row_bytes;
  parallel_for_work(parallel, d.batch * d.heads, d.n * rb / 4, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const I *p = pos + (d.pos_batch == 1 ? 0 : bh / d.heads) * d.n;
      for (int64_t i = 0; i < d.n; ++i) {
        const int64_t slot = slot_of(static_cast<int64_t>(p[i]), d.ctx);
        uint8_t *row = dst + (bh * d.n + i) * rb;
        if (slot >= 0)
          std::memcpy(row, src + (bh * d.ctx + slot) * rb, static_cast<size_t>(rb));
        else
          std::memset(row, 0, static_cast<size_t>(rb));
      }
    }
  });
}

template void ctx_scatter<int64_t>(const CacheDims &, const void *, const int64_t *, const void *, void *, Parallel &);
template void ctx_scatter<int32_t>(const CacheDims &, const void *, const int32_t *, const void *, void *, Parallel &);
template void ctx_gather<int64_t>(const CacheDims &, const void *, const int64_t *, void *, Parallel &);
template void ctx_gather<int32_t>(const CacheDims &, const void *, const int32_t *, void *, Parallel &);

}  // namespace qeff::kernels
