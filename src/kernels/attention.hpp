// Fused attention (qeff.Attention, see src/onnx/functions.cpp):
//   y = softmax(where(mask, masked_value, q k^T scale)) v
// with GQA (query head h reads kv head h / groups, HF repeat_kv) and a boolean
// mask (nonzero = masked) broadcast over batch, heads and query rows.
//
// Blocked with an online softmax over key blocks of kKeyBlock (a short
// prefill: all its keys in one block of up to 256): no [seq x ctx]
// matrix is formed; each task holds one block of scores and its rows'
// accumulators in its workspace slot.
//
// Valid prefix: for each query row the mask row is scanned (bytes, a word at
// a time) for its first and last unmasked key; only keys in between are read
// (q k dots and v rows), and inside that range masked keys are skipped. With a
// KV cache of ctx_len 4096 holding 10 valid positions a decode row costs
// O(10 head_dim), whatever the cache beyond holds (NaN included).
//
// Masked keys still carry weight exp(masked_value - max) in the ONNX body.
// That weight underflows to exactly 0 in float whenever masked_value is far
// below the row's largest score (always, for HF's finfo.min and QEfficient's
// -10000 with real scores); when it does not, the masked keys' v rows are
// added with that weight, as the body does, and the row costs O(ctx). A fully
// masked row is therefore the uniform average of v over all kv_len positions
// (every score equals masked_value), or NaN when masked_value is -inf, exactly
// as ONNX Runtime computes the body.
#pragma once

#include <cstdint>

#include "kernels/parallel.hpp"

namespace qeff::kernels {

// The element type of K and V: f32, or a 16-bit KV cache read as it is
// (each element widened exactly to f32 as it is loaded; the math is f32), or
// MXINT8 rows (kernels/mxint8.hpp: [.., mxint8_row_bytes(head_dim)] bytes,
// widened exactly a key block at a time).
enum class KvDtype { f32 = 0, bf16 = 1, f16 = 2, mxint8 = 3 };

struct AttentionDims {
  int64_t batch = 1, q_heads = 1, kv_heads = 1;  // q_heads = kv_heads * groups
  int64_t q_len = 1, kv_len = 1;
  int64_t head_dim = 1, v_dim = 1;               // q, k: head_dim; v, y: v_dim
  int64_t mask_batch = 1, mask_heads = 1, mask_rows = 1;  // each 1 (broadcast) or the full size
  float scale = 1.0f;
  float masked_value = -3.40282347e38f;
  KvDtype kv = KvDtype::f32;
  // The sequence-major layout (q [batch, q_len, q_heads, head_dim], k
  // [batch, kv_len, kv_heads, head_dim], v [batch, kv_len, kv_heads, v_dim],
  // y [batch, q_len, q_heads, v_dim]: a Linear's output viewed as heads, no
  // transposition) instead of the head-major one below. Only with
  // q_heads == kv_heads and f32 or 16-bit K and V.
  bool seq_major = false;
};

inline constexpr int64_t kKeyBlock = 64;

// Workspace attention() needs for these dims (64-byte aligned slots).
uint64_t attention_workspace_bytes(const AttentionDims &dims);

// q [batch, q_heads, q_len, head_dim], k [batch, kv_heads, kv_len, head_dim],
// v [batch, kv_heads, kv_len, v_dim] (k and v of dims.kv's element type),
// mask [mask_batch, mask_heads, mask_rows, kv_len] (bytes), y [batch,
// q_heads, q_len, v_dim]; or q, k, v and y sequence-major (dims.seq_major). workspace: 64-byte aligned,
// attention_workspace_bytes(dims). Results do not depend on the number of
// threads, and a 16-bit or MXINT8 K and V give exactly what f32 K and V
// holding the same values give.
void attention(const AttentionDims &dims, const float *q, const void *k, const void *v, const uint8_t *mask,
               float *y, void *workspace, Parallel &parallel);

}  // namespace qeff::kernels
