// Pre-quantized checkpoints: config.json's "quantization_config" and the
// int4 tensors of each quantized Linear, in the three formats qeff reads,
// turned into one canonical form (docs/hub.md "Quantized checkpoints"):
//
//   AWQ, version "gemm" (AutoAWQ): <p>.qweight I32 [in, out/8] (8 nibbles of
//     one row, columns in AWQ's order 0 2 4 6 1 3 5 7), <p>.qzeros I32
//     [groups, out/8] (same order), <p>.scales [groups, out].
//   GPTQ (AutoGPTQ / optimum / GPTQModel): <p>.qweight I32 [in/8, out] (8
//     rows per word, row 8 r + i in nibble i), <p>.qzeros I32 [groups, out/8]
//     (column 8 c + i in nibble i; checkpoint_format "gptq" stores zero - 1,
//     "gptq_v2" the zero itself), <p>.scales [groups, out], optional
//     <p>.g_idx I32 [in], which must be k / group_size (act-order checkpoints
//     that reorder the groups are refused).
//   compressed-tensors, format "pack-quantized", symmetric int4:
//     <p>.weight_packed I32 [out, in/8] (column 8 c + i in nibble i, values
//     offset by 8 to 0..15), <p>.weight_scale [out, groups], optional
//     <p>.weight_shape I64 [2].
//
// Canonical form of a Linear [out, in]: w[n][k] = scale[n][k / group] *
// (value[n][k] - zero[n][k / group]), values 0..15, zero points as u8.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "qeff/qeff.h"

namespace qeff::hub {

class Checkpoint;

enum class QuantMethod { awq, gptq, compressed_tensors };

struct QuantizationConfig {
  QuantMethod method = QuantMethod::awq;
  std::string name;          // quant_method as written: "awq", "gptq", "compressed-tensors"
  int64_t group_size = -1;   // k per scale; -1: one group per output channel
  bool gptq_zero_minus_one = true;  // GPTQ checkpoint_format "gptq" (v1)
};

// Parses config.json's quantization_config (absent or null: nullopt). Throws
// QEFF_E_UNSUPPORTED naming the field and value for methods, bit widths and
// formats qeff cannot run (bitsandbytes, fp8, 8-bit GPTQ, AWQ gemv, ...),
// QEFF_E_CONFIG for malformed fields.
std::optional<QuantizationConfig> parse_quantization_config(const JsonView &config);

struct Int4Linear {
  int64_t out = 0, in = 0, group = 0;  // group: k per scale (in for one group)
  std::vector<uint8_t> values;         // [out][ceil(in / 2)], even k in the low nibble
  qeff_dtype scale_dtype = QEFF_DTYPE_F16;  // F16, BF16 or F32, as in the checkpoint
  std::vector<uint8_t> scales;         // [out][groups] of scale_dtype
  std::vector<uint8_t> zeros;          // [out][groups]
  int64_t groups() const { return (in + group - 1) / group; }
};

// The tensor naming a quantized Linear `prefix` in this format
// (<prefix>.qweight, or <prefix>.weight_packed).
std::string int4_marker_tensor(const QuantizationConfig &q, const std::string &prefix);

// Reads and unpacks Linear `prefix` of shape [out, in]. Throws
// QEFF_E_MISMATCH naming the file, tensor, shape or dtype found and expected,
// QEFF_E_UNSUPPORTED for reordered GPTQ groups.
Int4Linear read_int4_linear(const Checkpoint &weights, const QuantizationConfig &q, const std::string &prefix,
                            int64_t out, int64_t in);

}  // namespace qeff::hub
