// Helpers shared by the nn op files (nn.cpp, nn_qeff.cpp, nn_attention.cpp,
// nn_mxint8.cpp):
// messages that name the node, attribute readers, shape checks.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "kernels/parallel.hpp"
#include "ops/op.hpp"

namespace qeff::ops::nn {

// Fails with `status` and "node "name" (Op): message".
[[noreturn]] void fail_node(const graph::Node &node, qeff_status status, const std::string &message);

std::string shape_str(const std::vector<int64_t> &dims);  // "[2, 8]"
int64_t product(const std::vector<int64_t> &dims, size_t begin, size_t end);

// Attributes: nullopt when absent; a wrong attribute type is QEFF_E_FORMAT.
std::optional<int64_t> attr_int(const graph::Node &node, const char *name);
std::optional<float> attr_float(const graph::Node &node, const char *name);
// A qeff function attribute: ONNX 1.12 local functions have no defaults, so a
// missing one is QEFF_E_FORMAT, as export reports it.
float required_float(const graph::Node &node, const char *name);
int64_t required_int(const graph::Node &node, const char *name);

// Input count in [min_in, max_in] (trailing omitted inputs count as absent)
// and output count in [min_out, max_out]; QEFF_E_FORMAT otherwise.
void expect_arity(const InferContext &ctx, size_t min_in, size_t max_in, size_t min_out = 1, size_t max_out = 1);
// Input `i` (named `what` in messages) is present and of one of `dtypes`;
// `unsupported` picks QEFF_E_UNSUPPORTED (valid ONNX we do not run) over
// QEFF_E_FORMAT (a type the op's definition forbids).
void expect_dtype(const InferContext &ctx, size_t i, const char *what, std::initializer_list<qeff_dtype> dtypes,
                  bool unsupported = true);
// Dims of input i, with its rank checked when rank >= 0.
std::vector<int64_t> input_dims(const InferContext &ctx, size_t i, const char *what, int rank = -1);
// A normalization axis attribute in [-rank, rank), made non-negative.
int64_t normalize_axis(const graph::Node &node, int64_t axis, size_t rank);

// True when `param`, without its leading 1s, equals `target` without its
// leading 1s (a per-element weight for the normalized dims); otherwise fails:
// QEFF_E_UNSUPPORTED when it merely broadcasts, QEFF_E_FORMAT when it cannot.
void expect_row_param(const graph::Node &node, const char *what, const std::vector<int64_t> &param,
                      const std::vector<int64_t> &target);

// The run's thread pool, or a serial one when the caller gave none.
kernels::Parallel &parallel_of(const RunArgs &args);

// Op tables of the other nn files.
std::vector<OpDef> qeff_ops();
std::vector<OpDef> mxint8_ops();
std::vector<OpDef> int4_ops();
OpDef attention_op();
OpDef mxint8_attention_op();
OpDef seq_major_attention_op();

}  // namespace qeff::ops::nn
