// ONNX TensorProto -> qeff types and bytes, for the importer (import.hpp):
// element types, fixed shapes with checked arithmetic, and inline values
// (raw_data or the typed fields) as exact little-endian bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/ir.hpp"

namespace onnx {
class TensorProto;
}

namespace qeff::onnx_io::detail {

// TensorProto.DataType -> qeff dtype (the inverse of export's mapping).
// Throws QEFF_E_FORMAT for UNDEFINED and unknown values, QEFF_E_UNSUPPORTED for
// STRING and COMPLEX128. `what` names the tensor or value in messages.
qeff_dtype dtype_from_onnx(int64_t elem_type, const std::string &what);

struct TensorHeader {
  graph::TensorType type;  // fixed shape
  uint64_t numel = 0;
  uint64_t nbytes = 0;
};

// Element type and dims of `t`, checked: rank <= max_rank, no negative dims, no
// overflow of the element count or byte size (QEFF_E_FORMAT), no segments
// (QEFF_E_UNSUPPORTED), external_data entries if and only if data_location is
// EXTERNAL, and then no inline value field (QEFF_E_FORMAT).
TensorHeader tensor_header(const onnx::TensorProto &t, uint64_t max_rank, const std::string &what);

bool is_external(const onnx::TensorProto &t);

// The inline value of a tensor that is not external as raw little-endian bytes: from
// raw_data (size must equal numel x element size) or from the typed field that
// ONNX assigns to the element type (exact element count, values in range).
// Two value fields, string_data, or no data for a non-empty tensor are
// QEFF_E_FORMAT. Frees the tensor's copy of the bytes once converted.
std::vector<uint8_t> inline_bytes(onnx::TensorProto *t, const TensorHeader &h, const std::string &what);

}  // namespace qeff::onnx_io::detail
