// qeff dtypes <-> ONNX TensorProto.DataType: the one table export and import
// share, so the two directions cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>

#include "qeff/qeff.h"

namespace qeff::onnx_io {

// The ONNX element type holding `dtype`; nullopt for dtypes ONNX 1.12 lacks
// (FP8, FP6, FP4).
std::optional<int> onnx_elem_type_of(qeff_dtype dtype);

// The qeff dtype of ONNX element type `elem_type`; nullopt for UNDEFINED,
// STRING, COMPLEX128 and unknown values.
std::optional<qeff_dtype> qeff_dtype_of_onnx(int64_t elem_type);

}  // namespace qeff::onnx_io
