// qeff.MxInt8Quantize and qeff.MxInt8Dequantize: the MXINT8 KV cache's rows
// (kernels/mxint8.hpp). Their semantics are the ONNX local-function bodies of
// src/onnx/functions.cpp.
//
//   MxInt8Quantize    X F32 [..., d]                        -> Y U8 [..., d + ceil(d / 32)]
//   MxInt8Dequantize  X U8 [..., d + ceil(d / 32)], dim = d -> Y F32 [..., d]
#include "common/dtype.hpp"
#include "kernels/mxint8.hpp"
#include "ops/nn_common.hpp"

namespace qeff::ops::nn {
namespace {

std::vector<graph::TensorType> infer_quantize(const InferContext &ctx) {
  expect_arity(ctx, 1, 1);
  expect_dtype(ctx, 0, "X", {QEFF_DTYPE_F32});
  std::vector<int64_t> x = input_dims(ctx, 0, "X");
  if (x.empty()) fail_node(ctx.node, QEFF_E_FORMAT, "input X must have rank >= 1, got a scalar");
  x.back() = kernels::mxint8_row_bytes(x.back());
  return {make_type(QEFF_DTYPE_U8, x)};
}

std::vector<graph::TensorType> infer_dequantize(const InferContext &ctx) {
  expect_arity(ctx, 1, 1);
  expect_dtype(ctx, 0, "X", {QEFF_DTYPE_U8});
  const int64_t d = required_int(ctx.node, "dim");
  std::vector<int64_t> x = input_dims(ctx, 0, "X");
  if (x.empty()) fail_node(ctx.node, QEFF_E_FORMAT, "input X must have rank >= 1, got a scalar");
  if (d < 1 || x.back() != kernels::mxint8_row_bytes(d))
    fail_node(ctx.node, QEFF_E_FORMAT,
              "input X " + shape_str(x) + " does not hold MXINT8 rows of dim = " + std::to_string(d) +
                  (d < 1 ? "" : " (" + std::to_string(kernels::mxint8_row_bytes(d)) + " bytes each)"));
  x.back() = d;
  return {make_type(QEFF_DTYPE_F32, x)};
}

class RowsKernel final : public Kernel {
 public:
  RowsKernel(bool quantize, int64_t rows, int64_t d) : quantize_(quantize), rows_(rows), d_(d) {}
  void run(const RunArgs &args) const override {
    const int64_t bytes = kernels::mxint8_row_bytes(d_);
    kernels::parallel_for_work(parallel_of(args), rows_, d_, [&](int64_t b, int64_t e) {
      if (quantize_)
        kernels::mxint8_quantize_rows(static_cast<const float *>(args.inputs[0]) + b * d_, e - b, d_,
                                      static_cast<uint8_t *>(args.outputs[0]) + b * bytes);
      else
        kernels::mxint8_dequantize_rows(static_cast<const uint8_t *>(args.inputs[0]) + b * bytes, bytes, e - b, d_,
                                        static_cast<float *>(args.outputs[0]) + b * d_);
    });
  }

 private:
  bool quantize_;
  int64_t rows_, d_;
};

template <bool Quantize>
std::unique_ptr<Kernel> prepare_rows(const PrepareContext &ctx) {
  const std::vector<int64_t> x = dims_of(ctx.inputs[0]);
  const int64_t d = Quantize ? x.back() : required_int(ctx.node, "dim");
  return std::make_unique<RowsKernel>(Quantize, product(x, 0, x.size() - 1), d);
}

}  // namespace

std::vector<OpDef> mxint8_ops() {
  return {
      {"qeff", "MxInt8Quantize", infer_quantize, prepare_rows<true>, kNone},
      {"qeff", "MxInt8Dequantize", infer_dequantize, prepare_rows<false>, kNone},
  };
}

}  // namespace qeff::ops::nn
