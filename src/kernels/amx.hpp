// AMX tile instructions for the kernels of the amx rung (kernels/cpu.hpp):
// the 64-byte tile configuration and inline-asm wrappers. Own asm rather than
// GCC's <immintrin.h> macros: GCC 12's _tile_loadconfig declares an 8-byte
// memory operand, so the compiler may drop the stores that fill the other 56
// bytes of the configuration (ldtilecfg then faults), and its _tile_loadd /
// _tile_stored pass only the address, so stores to a buffer a tile then loads
// (or reads of a buffer a tile stored) may be moved across them. Here the
// configuration is the operand as a whole and every tile access clobbers
// memory. Tile numbers are immediates, hence macros.
//
// Only code that runs at Isa::amx may execute these (any other CPU raises
// SIGILL; the unit tests emulate them: tests/support/amx_emulator.hpp).
#pragma once

#include <cstdint>

namespace qeff::kernels::amx {

// Palette 1: 8 tiles of up to 16 rows x 64 bytes (Intel SDM, LDTILECFG).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};  // bytes per row of tile t (t < 8)
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

inline constexpr int kMaxRows = 16;
inline constexpr int kRowBytes = 64;

// Every tile 16 rows x 64 bytes.
inline TileConfig full_tiles() {
  TileConfig c;
  for (int t = 0; t < 8; ++t) {
    c.colsb[t] = kRowBytes;
    c.rows[t] = kMaxRows;
  }
  return c;
}

// Loads the configuration (zeroing every tile).
inline void load_config(const TileConfig &cfg) { __asm__ volatile("ldtilecfg %0" : : "m"(cfg) : "memory"); }

// Returns the tiles to their initial state (cheaper context switches).
inline void release() { __asm__ volatile("tilerelease" : : : "memory"); }

}  // namespace qeff::kernels::amx

// tmm<t> = 0.
#define QEFF_TILE_ZERO(t) __asm__ volatile("tilezero %%tmm" #t : : : "memory")
// tmm<t> = the configured rows of colsb bytes at base, base + stride, ...
#define QEFF_TILE_LOAD(t, base, stride) \
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #t : : "r"(base), "r"(static_cast<long>(stride)) : "memory")
// The rows of tmm<t> to base, base + stride, ...
#define QEFF_TILE_STORE(t, base, stride) \
  __asm__ volatile("tilestored %%tmm" #t ", (%0,%1,1)" : : "r"(base), "r"(static_cast<long>(stride)) : "memory")
// tmm<c> (int32 m x n) += tmm<a> (int8 m x 4k) . tmm<b> (int8 k rows of n x 4),
// both signed: for each m, n, k: c[m][n] += sum_t a[m][4k + t] * b[k][4n + t].
#define QEFF_TILE_DPBSSD(c, a, b) __asm__ volatile("tdpbssd %%tmm" #b ", %%tmm" #a ", %%tmm" #c : : : "memory")
