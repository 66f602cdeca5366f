// Element types as safetensors names them, with their sizes in bits.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "qeff/qeff.h"

namespace qeff {

// Exact, case-sensitive safetensors name ("F32", "BF16", "F8_E4M3", ...).
std::optional<qeff_dtype> dtype_from_name(std::string_view name);
const char *dtype_name(qeff_dtype dtype);
// Bits per element (4 for F4, 6 for F6_*); 0 for QEFF_DTYPE_UNKNOWN.
unsigned dtype_bits(qeff_dtype dtype);
bool dtype_is_float(qeff_dtype dtype);

}  // namespace qeff
