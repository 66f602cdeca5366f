// The amx rung (kernels/cpu.hpp) and its int8 kernel (kernels/gemm_i8_amx.cpp).
//
// On a CPU without AMX the unit tests run the amx rung under the trap
// emulator of tests/support/amx_emulator.hpp: the environment below installs
// it and makes detected_isa() report Isa::amx, so every test of this binary
// that loops over kAllIsas (or runs at the active ISA) also runs the AMX
// kernel's machine code, its tile instructions emulated. On a CPU with AMX
// nothing is emulated and the same tests run on the hardware.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "amx_emulator.hpp"
#include "gemm_test_support.hpp"
#include "kernels/amx.hpp"

namespace {

using namespace gemm_test;
using qeff_test::amx_emulated_instructions;

bool g_emulated = false;

class AmxEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    if (isa_supported(Isa::amx) || !isa_supported(Isa::avx512vbmi)) return;
    if (!qeff_test::install_amx_emulator()) return;
    emulate_isa(Isa::amx);
    g_emulated = true;
    std::printf("[   NOTE   ] no AMX on this CPU: the amx rung runs under the trap emulator\n");
  }
  void TearDown() override {
    if (g_emulated) emulate_isa(Isa::portable);
  }
};

const bool g_registered = [] {
  testing::AddGlobalTestEnvironment(new AmxEnvironment);
  return true;
}();

#define SKIP_WITHOUT_AMX()                                                              \
  if (!isa_supported(Isa::amx)) GTEST_SKIP() << "neither AMX nor its emulator here (the emulator needs AVX-512 VBMI)"

// The tile instructions as the SDM defines them, on shapes smaller than the
// kernels' (3 x 12-byte A rows, strides that are not the row length): checks
// the emulator here and, on an AMX CPU, that the hardware is what the
// emulator (and the kernel) assume.
TEST(AmxTiles, DotProductsFollowTheDefinition) {
  SKIP_WITHOUT_AMX();
  qeff::kernels::amx::TileConfig cfg;
  cfg.colsb[0] = 8, cfg.rows[0] = 3;   // C: 3 x 2 int32
  cfg.colsb[1] = 12, cfg.rows[1] = 3;  // A: 3 rows x 3 quads
  cfg.colsb[2] = 8, cfg.rows[2] = 3;   // B: 3 quads x 2 columns
  cfg.colsb[3] = 8, cfg.rows[3] = 3;   // a second C
  int8_t a[3][20], b[3][16];
  int32_t c0[3][5], c1[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 20; ++j) a[i][j] = static_cast<int8_t>((i * 37 + j * 11) % 256 - 128);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 16; ++j) b[i][j] = static_cast<int8_t>((i * 53 + j * 29 + 7) % 256 - 128);
  std::memset(c0, 0x55, sizeof c0);
  std::memset(c1, 0x55, sizeof c1);
  const int32_t init[3][3] = {{5, -7, 0}, {1 << 30, -3, 0}, {0, 9, 0}};
  std::memcpy(c1, init, sizeof c1);
  const uint64_t before = amx_emulated_instructions();
  qeff::kernels::amx::load_config(cfg);
  QEFF_TILE_LOAD(1, &a[0][0], sizeof a[0]);
  QEFF_TILE_LOAD(2, &b[0][0], sizeof b[0]);
  QEFF_TILE_ZERO(0);
  QEFF_TILE_LOAD(3, &c1[0][0], sizeof c1[0]);
  QEFF_TILE_DPBSSD(0, 1, 2);
  QEFF_TILE_DPBSSD(3, 1, 2);
  QEFF_TILE_DPBSSD(3, 1, 2);
  QEFF_TILE_STORE(0, &c0[0][0], sizeof c0[0]);
  QEFF_TILE_STORE(3, &c1[0][0], sizeof c1[0]);
  qeff::kernels::amx::release();
  if (g_emulated) {
    EXPECT_EQ(amx_emulated_instructions() - before, 11u);
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 2; ++j) {
      int32_t s = 0;
      for (int q = 0; q < 3; ++q)
        for (int t = 0; t < 4; ++t) s += int32_t(a[i][4 * q + t]) * b[q][4 * j + t];
      EXPECT_EQ(c0[i][j], s) << i << "," << j;
      EXPECT_EQ(c1[i][j], init[i][j] + 2 * s) << i << "," << j;
    }
    for (int j = 2; j < 5; ++j) EXPECT_EQ(c0[i][j], 0x55555555) << "stored past the tile's columns";
    EXPECT_EQ(c1[i][2], 0) << "the third column is not the tile's";
  }
}

// Products of 16 rows or more run the AMX kernel (counted when emulated);
// fewer run the VNNI one; every shape around the tiles' edges (rows 16 / 32,
// 64 k per step, 2 panels per block) gives exactly the VNNI path's values,
// with 1 and 3 threads.
TEST(GemmAmx, EqualsTheVnniPathBitForBit) {
  SKIP_WITHOUT_AMX();
  SerialParallel serial;
  ThreadParallel three(3);
  uint32_t seed = 4000;
  for (int64_t m : {1, 15, 16, 17, 31, 32, 33, 70}) {
    for (int64_t k : {1, 4, 63, 64, 65, 200, 384}) {
      for (int64_t n : {1, 16, 17, 33, 64}) {
        const Problem p{m, k, n, n % 2 == 1, m % 2 == 1, Activation::gelu_erf};
        Operands o(p, seed += 7);
        SCOPED_TRACE(testing::Message() << p.m << "x" << p.k << "x" << p.n);
        std::vector<float> want;
        {
          IsaGuard g(Isa::avx512vnni);
          want = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial);
        }
        IsaGuard g(Isa::amx);
        const uint64_t before = amx_emulated_instructions();
        EXPECT_EQ(run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial), want);
        if (g_emulated && m >= 16) {
          EXPECT_GT(amx_emulated_instructions(), before) << "the AMX kernel did not run";
        } else if (g_emulated) {
          EXPECT_EQ(amx_emulated_instructions(), before) << "fewer than 16 rows ran the AMX kernel";
        }
        EXPECT_EQ(run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, three), want) << "3 threads";
      }
    }
  }
}

// NaN / infinite rows are NaN, zero and tiny rows zero, in an AMX-sized product.
TEST(GemmAmx, NonFiniteAndZeroRowsStayInTheirRow) {
  SKIP_WITHOUT_AMX();
  SerialParallel serial;
  IsaGuard g(Isa::amx);
  Problem p{40, 70, 40};
  Operands o(p, 31);
  const auto clean = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial);
  o.a[1 * p.k + 65] = std::nanf("");
  o.a[2 * p.k + 3] = -INFINITY;
  for (int64_t i = 0; i < p.k; ++i) o.a[3 * p.k + i] = 0.0f, o.a[4 * p.k + i] = 1e-31f;
  const auto c = run_packed(p, o.a, o.b, o.bias, o.res, GemmStorage::i8, serial);
  for (int64_t j = 0; j < p.n; ++j) {
    SCOPED_TRACE(testing::Message() << "column " << j);
    expect_special_rows(c, clean, p.n, j);
  }
  for (int64_t i = 5 * p.n; i < p.m * p.n; ++i) ASSERT_EQ(c[i], clean[i]) << i;
}

}  // namespace
