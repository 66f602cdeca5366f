// gemm_packed_group (kernels/gemm.hpp): the products of one A, each bit for
// bit what gemm_packed gives it alone, with A quantized once for the
// storages that quantize it, on every ISA, serial and on 2 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/gemm.hpp"
#include "gemm_test_support.hpp"
#include "test_nn_support.hpp"

namespace {

using namespace qeff::kernels;
using gemm_test::random_vec;
using nn_test::IsaScope;
using qeff_test::ThreadParallel;

struct Member {
  int64_t n;
  Activation act;
  bool bias;
};

TEST(GemmGroup, EveryMemberEqualsItsOwnProduct) {
  const Member members[] = {{48, Activation::none, true}, {130, Activation::gelu_erf, false}, {37, Activation::silu, true}};
  const int count = 3;
  for (GemmStorage s : {GemmStorage::i8, GemmStorage::q4, GemmStorage::mx6, GemmStorage::f32})
    for (int64_t m : {1, 5, 70})
      for (int64_t k : {40, 96}) {
        const std::vector<float> a = random_vec(static_cast<size_t>(m * k), 11);
        std::vector<std::unique_ptr<nn_test::Workspace>> packed(count);  // 64-byte aligned, as loaded
        std::vector<std::vector<float>> bias(count);
        for (int i = 0; i < count; ++i) {
          const std::vector<float> w = random_vec(static_cast<size_t>(k * members[i].n), 20 + i);
          packed[i] = std::make_unique<nn_test::Workspace>(gemm_packed_bytes(k, members[i].n, s));
          gemm_pack(w.data(), members[i].n, false, k, members[i].n, s, packed[i]->get());
          bias[i] = random_vec(static_cast<size_t>(members[i].n), 30 + i);
        }
        for (Isa isa : nn_test::supported_isas()) {
          IsaScope scope(isa);
          GemmMember g[count];
          std::vector<std::vector<float>> want(count), got(count);
          uint64_t ws_bytes = 0;
          for (int i = 0; i < count; ++i) {
            want[i].assign(static_cast<size_t>(m * members[i].n), std::numeric_limits<float>::quiet_NaN());
            got[i] = want[i];
            g[i].b = PackedB{packed[i]->get(), k, members[i].n, s};
            g[i].c = got[i].data();
            g[i].ldc = members[i].n;
            g[i].ep.activation = members[i].act;
            g[i].ep.bias = members[i].bias ? bias[i].data() : nullptr;
            ws_bytes = std::max(ws_bytes, gemm_packed_workspace(m, g[i].b));
          }
          EXPECT_EQ(gemm_packed_group_workspace(m, g, count), ws_bytes);
          nn_test::Workspace ws(ws_bytes);
          SerialParallel serial;
          for (int i = 0; i < count; ++i)
            gemm_packed(m, a.data(), k, g[i].b, want[i].data(), members[i].n, g[i].ep, serial, ws.get());
          ThreadParallel two(2);
          gemm_packed_group(m, a.data(), k, g, count, two, ws.get());
          for (int i = 0; i < count; ++i)
            EXPECT_EQ(0, std::memcmp(got[i].data(), want[i].data(), got[i].size() * sizeof(float)))
                << gemm_format_name(s) << " " << isa_name(isa) << " m " << m << " k " << k << " member " << i;
          if (gemm_quantizes_a(s)) {  // one quantization phase (one hand-off for m > 16), one tile phase
            EXPECT_EQ(two.calls.size(), m > 16 ? 2u : 1u) << gemm_format_name(s) << " m " << m;
          }
        }
      }
}

}  // namespace
