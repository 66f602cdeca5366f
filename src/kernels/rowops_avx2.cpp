// AVX2 + FMA row loops: the templates of rowops_simd.hpp over 8-float registers.
#include "kernels/rowops_simd.hpp"

namespace qeff::kernels {

const RowOps &rowops_avx2() {
  static const RowOps ops = simd::RowKernels<simd::Avx2>::table(Isa::avx2);
  return ops;
}

}  // namespace qeff::kernels
