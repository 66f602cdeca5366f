#include "kernels/rotary.hpp"

#include "kernels/rowops.hpp"

namespace qeff::kernels {

void rotary(const float *x, const float *cos, const float *sin, float *y, int64_t batch, int64_t heads, int64_t seq,
            int64_t dim, int64_t cos_batch, Parallel &parallel) {
  if (batch <= 0 || heads <= 0 || seq <= 0 || dim <= 0) return;
  const RowOps &ops = rowops();
  parallel_for_work(parallel, batch * heads, seq * dim, [&](int64_t b, int64_t e) {
    for (int64_t bh = b; bh < e; ++bh) {
      const int64_t cb = cos_batch == 1 ? 0 : bh / heads;
      for (int64_t s = 0; s < seq; ++s) {
        const int64_t row = (bh * seq + s) * dim, crow = (cb * seq + s) * dim;
        ops.rotary(x + row, cos + crow, sin + crow, y + row, dim / 2);
      }
    }
  });
}

}  // namespace qeff::kernels
