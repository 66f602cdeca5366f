// KV-cache scatter and gather (qeff.CtxScatter / qeff.CtxGather). Pure copies
// of `elem_bytes`-sized elements, so any cache dtype works.
//
// Positions follow ONNX ScatterND / GatherND indexing: a negative position p
// means p + ctx (QEfficient pads with position -1, which lands in the last
// cache slot, a slot the attention mask never exposes). Positions outside
// [-ctx, ctx), which ONNX Runtime rejects, are skipped by scatter and read as
// zeros by gather: kernels cannot fail at run time.
#pragma once

#include <cstdint>

#include "kernels/parallel.hpp"

namespace qeff::kernels {

struct CacheDims {
  int64_t batch = 1, heads = 1, ctx = 1;  // cache [batch, heads, ctx, row]
  int64_t n = 1;                          // positions per batch row
  int64_t pos_batch = 1;                  // positions [pos_batch, n], pos_batch 1 or batch
  int64_t row_bytes = 0;                  // bytes of one [.., .., 1, head_dim] row
};

// out = cache; out[b, h, pos[b, i]] = updates[b, h, i] for i < n, in order
// (a repeated position keeps the last update). out may equal cache (in
// place: nothing is copied but the updates). I is int64_t or int32_t.
template <class I>
void ctx_scatter(const CacheDims &dims, const void *cache, const I *pos, const void *updates, void *out,
                 Parallel &parallel);

// out[b, h, i] = cache[b, h, pos[b, i]] for i < n.
template <class I>
void ctx_gather(const CacheDims &dims, const void *cache, const I *pos, void *out, Parallel &parallel);

}  // namespace qeff::kernels
