#include "onnx/element_types.hpp"

#include <onnx/onnx_pb.h>

namespace qeff::onnx_io {
namespace {

struct Pair {
  qeff_dtype dtype;
  int onnx;
};

constexpr Pair kPairs[] = {
    {QEFF_DTYPE_F32, onnx::TensorProto_DataType_FLOAT},
    {QEFF_DTYPE_U8, onnx::TensorProto_DataType_UINT8},
    {QEFF_DTYPE_I8, onnx::TensorProto_DataType_INT8},
    {QEFF_DTYPE_U16, onnx::TensorProto_DataType_UINT16},
    {QEFF_DTYPE_I16, onnx::TensorProto_DataType_INT16},
    {QEFF_DTYPE_I32, onnx::TensorProto_DataType_INT32},
    {QEFF_DTYPE_I64, onnx::TensorProto_DataType_INT64},
    {QEFF_DTYPE_BOOL, onnx::TensorProto_DataType_BOOL},
    {QEFF_DTYPE_F16, onnx::TensorProto_DataType_FLOAT16},
    {QEFF_DTYPE_F64, onnx::TensorProto_DataType_DOUBLE},
    {QEFF_DTYPE_U32, onnx::TensorProto_DataType_UINT32},
    {QEFF_DTYPE_U64, onnx::TensorProto_DataType_UINT64},
    {QEFF_DTYPE_BF16, onnx::TensorProto_DataType_BFLOAT16},
    {QEFF_DTYPE_C64, onnx::TensorProto_DataType_COMPLEX64},
};

}  // namespace

std::optional<int> onnx_elem_type_of(qeff_dtype dtype) {
  for (const auto &p : kPairs)
    if (p.dtype == dtype) return p.onnx;
  return std::nullopt;
}

std::optional<qeff_dtype> qeff_dtype_of_onnx(int64_t elem_type) {
  for (const auto &p : kPairs)
    if (p.onnx == elem_type) return p.dtype;
  return std::nullopt;
}

}  // namespace qeff::onnx_io
