// AVX-512 (F/DQ) row loops: the templates of rowops_simd.hpp over 16-float registers.
#include "kernels/rowops_simd.hpp"

namespace qeff::kernels {

const RowOps &rowops_avx512() {
  static const RowOps ops = simd::RowKernels<simd::Avx512>::table(Isa::avx512);
  return ops;
}

}  // namespace qeff::kernels
