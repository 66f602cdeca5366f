// Matrix products: MatMul, Gemm, and the compiler's qeff.cpu.PackedMatMul,
// whose weight operand was packed at compile time for the GEMM kernels.
//
// qeff.cpu.PackedMatMul (domain "qeff.cpu": produced by the compiler's fusion
// pass only, never exported or imported):
//   inputs:  A [..., M, K] f32; W packed bytes (U8 [nbytes], a compile-time
//            constant from pack_matmul_weight); bias [N] f32 (optional, "");
//            residual, the shape of Y, f32 (optional, "")
//   attrs:   k, n (int), format (string, PackedWeight::format),
//            activation (string, kernels::activation_name; default "none")
//   output:  Y [..., M, N] = activation(A W + bias) + residual
//
// qeff.cpu.PackedMatMulGroup (the fusion pass's shared_input rule): several
// PackedMatMuls of one A without residuals, run by gemm_packed_group (A
// quantized once for int8 / 4-bit / MXFP6 weights, one task list):
//   inputs:  A; then per member W_i (packed) and bias_i (optional, "")
//   attrs:   k, format (one for all); ns (ints), activations (strings), one
//            per member
//   outputs: Y_i [..., M, ns[i]], each what PackedMatMul gives bit for bit
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/aligned.hpp"
#include "ops/op.hpp"

namespace qeff::ops {

inline constexpr const char *kCpuDomain = "qeff.cpu";

// A packed layout's bytes: 64-byte aligned and zeroed when made, as the
// kernels read them, so the compiler adopts them as the packed constant
// without another copy (compiler/aligned.hpp adopt_aligned).
class PackedBytes {
 public:
  PackedBytes() = default;
  explicit PackedBytes(uint64_t n) : block_(make_aligned(n)), size_(n) {}
  uint8_t *data() { return block_.get(); }
  const uint8_t *data() const { return block_.get(); }
  uint64_t size() const { return size_; }
  const uint8_t *begin() const { return data(); }
  const uint8_t *end() const { return data() + size_; }
  std::vector<uint8_t> to_vector() const { return {begin(), end()}; }
  AlignedPtr release() {  // the block; this is empty afterwards
    size_ = 0;
    return std::move(block_);
  }

 private:
  AlignedPtr block_;
  uint64_t size_ = 0;
};

struct PackedWeight {
  PackedBytes bytes;    // the packed layout
  std::string format;   // names layout and storage dtype, e.g. "f32.panel16"
  int64_t k = 0, n = 0;
};

// Packs a constant weight for PackedMatMul: w is f32 [K, N] (transposed ==
// false, an ONNX MatMul B) or [N, K] (transposed == true, a HF Linear weight,
// Gemm transB=1). storage is QEFF_DTYPE_F32, QEFF_DTYPE_BF16 (round to
// nearest even; computed in f32), QEFF_DTYPE_I8 (kernels/gemm.hpp: per-column
// scales, A quantized per row at run time; K <= kGemmI8MaxK), QEFF_DTYPE_U4
// (4-bit groups of int4_group = 32 or 128 k with scales and zero points, A
// quantized per block of 32) or QEFF_DTYPE_F6_E2M3 (MXFP6: E2M3 blocks of 32
// with E8M0 scales, A likewise). The layout does not depend on the ISA, so a
// package runs on any CPU.
PackedWeight pack_matmul_weight(const TensorView &w, bool transposed, qeff_dtype storage, int64_t int4_group = 32);

// Whether int4_group is a 4-bit group size the kernels store (32 or 128).
bool int4_group_supported(int64_t int4_group);

}  // namespace qeff::ops
