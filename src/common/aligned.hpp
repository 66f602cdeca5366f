// 64-byte aligned, zero-initialized heap memory (one cache line, one AVX-512
// register): arenas, state buffers and folded or packed constants, which
// kernels read with SIMD loads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

namespace qeff {

inline constexpr size_t kAlignment = 64;

struct AlignedDelete {
  void operator()(uint8_t *p) const { ::operator delete[](p, std::align_val_t(kAlignment)); }
};
using AlignedPtr = std::unique_ptr<uint8_t[], AlignedDelete>;

// Throws std::bad_alloc (the api layer maps it to QEFF_E_OOM).
inline AlignedPtr make_aligned(size_t bytes) {
  auto *p = static_cast<uint8_t *>(::operator new[](bytes ? bytes : 1, std::align_val_t(kAlignment)));
  std::memset(p, 0, bytes ? bytes : 1);
  return AlignedPtr(p);
}

inline uint64_t align_up(uint64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace qeff
