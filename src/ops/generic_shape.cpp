// Shape ops: the views Reshape, Flatten, Squeeze, Unsqueeze, Identity and
// Dropout (output 0 is input 0's bytes, ops::kView; their kernel only copies
// when the planner did not alias the buffers, so constant folding works too),
// and Shape and Size, whose outputs are known at compile time once the
// specialization binds every dimension.
//
// Inputs that decide an output shape (Reshape's shape, Squeeze/Unsqueeze axes
// from opset 13) must be compile-time constants: QEFF_E_UNSUPPORTED otherwise.
#include <algorithm>

#include "common/dtype.hpp"
#include "ops/generic_util.hpp"

namespace qeff::ops::generic {
namespace {

uint64_t byte_count(const OpCtx &c, size_t i) {
  return static_cast<uint64_t>(dims_numel(c.dims(i))) * elem_bytes(c.node, c.dtype(i));
}

std::unique_ptr<Kernel> view_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  return copy_kernel(byte_count(c, 0));
}

Dims reshape_dims(const OpCtx &c) {
  c.need_inputs(2, 2);
  const Dims in = c.dims(0);
  const Dims want = c.ints(1, "shape");
  const bool allowzero = c.opset >= 14 && c.attr_bool("allowzero", false);
  Dims out(want.size());
  int64_t infer_at = -1, known = 1;
  for (size_t i = 0; i < want.size(); ++i) {
    int64_t d = want[i];
    if (d == -1) {
      if (infer_at >= 0) c.fail(QEFF_E_FORMAT, "shape " + dims_str(want) + " has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (d == 0 && !allowzero) {
      if (i >= in.size())
        c.fail(QEFF_E_FORMAT, "shape " + dims_str(want) + " copies dimension " + std::to_string(i) +
                                  " (0) of the input, which has rank " + std::to_string(in.size()));
      d = in[i];
    }
    if (d < 0) c.fail(QEFF_E_FORMAT, "shape " + dims_str(want) + " has the invalid dimension " + std::to_string(d));
    out[i] = d;
    known *= d;
  }
  const int64_t total = dims_numel(in);
  if (infer_at >= 0) {
    if (known == 0 || total % known != 0)
      c.fail(QEFF_E_FORMAT, "cannot reshape " + dims_str(in) + " (" + std::to_string(total) + " elements) to " +
                                dims_str(want));
    out[static_cast<size_t>(infer_at)] = total / known;
  } else if (known != total) {
    c.fail(QEFF_E_FORMAT, "cannot reshape " + dims_str(in) + " (" + std::to_string(total) + " elements) to " +
                              dims_str(want) + " (" + std::to_string(known) + " elements)");
  }
  return out;
}

Dims flatten_dims(const OpCtx &c) {
  c.need_inputs(1, 1);
  const Dims in = c.dims(0);
  const int64_t r = static_cast<int64_t>(in.size());
  int64_t axis = c.attr_int("axis", 1);
  if (axis < -r || axis > r)
    c.fail(QEFF_E_FORMAT, "attribute 'axis' " + std::to_string(axis) + " is out of range for rank " +
                              std::to_string(r) + " (expected [" + std::to_string(-r) + ", " + std::to_string(r) + "])");
  if (axis < 0) axis += r;
  return {dims_numel(Dims(in.begin(), in.begin() + axis)), dims_numel(Dims(in.begin() + axis, in.end()))};
}

// Squeeze/Unsqueeze axes: the attribute before opset 13, the input from 13.
std::optional<std::vector<int64_t>> axes_arg(const OpCtx &c) {
  if (c.opset < 13) {
    c.need_inputs(1, 1);
    return c.attr_ints("axes");
  }
  c.need_inputs(1, 2);
  if (!c.has(1)) return std::nullopt;
  return c.ints(1, "axes");
}

Dims squeeze_dims(const OpCtx &c) {
  const Dims in = c.dims(0);
  const std::optional<std::vector<int64_t>> given = axes_arg(c);
  Dims out;
  if (!given) {
    for (int64_t d : in)
      if (d != 1) out.push_back(d);
    return out;
  }
  std::vector<int64_t> axes = c.axes(*given, static_cast<int64_t>(in.size()), "axes");
  for (size_t i = 0; i < in.size(); ++i) {
    bool squeezed = std::find(axes.begin(), axes.end(), static_cast<int64_t>(i)) != axes.end();
    if (squeezed && in[i] != 1)
      c.fail(QEFF_E_FORMAT, "cannot squeeze axis " + std::to_string(i) + " of shape " + dims_str(in) +
                                ": its size is " + std::to_string(in[i]) + ", not 1");
    if (!squeezed) out.push_back(in[i]);
  }
  return out;
}

Dims unsqueeze_dims(const OpCtx &c) {
  const Dims in = c.dims(0);
  const std::optional<std::vector<int64_t>> given = axes_arg(c);
  if (!given) c.fail(QEFF_E_FORMAT, c.opset < 13 ? "attribute 'axes' is required" : "input 1 'axes' is required");
  const int64_t r = static_cast<int64_t>(in.size() + given->size());
  std::vector<int64_t> axes = c.axes(*given, r, "axes");
  Dims out;
  size_t next = 0;
  for (int64_t i = 0; i < r; ++i)
    out.push_back(std::find(axes.begin(), axes.end(), i) != axes.end() ? 1 : in[next++]);
  return out;
}

template <Dims (*kDims)(const OpCtx &)>
std::vector<graph::TensorType> view_infer(const InferContext &ic) {
  OpCtx c(ic);
  Dims out = kDims(c);
  elem_bytes(c.node, c.dtype(0));
  return {make_type(c.dtype(0), out)};
}

Dims identity_dims(const OpCtx &c) {
  c.need_inputs(1, 1);
  return c.dims(0);
}

// Dropout at inference: identity, and a mask of all true when asked for.
// training_mode (opset 12+) must be a constant false: training is not run.
void check_dropout(const OpCtx &c) {
  if (c.opset >= 12) {
    c.need_inputs(1, 3);
    if (c.has(2)) {
      const TensorView &t = c.constant(2, "training_mode");
      if (t.dtype != QEFF_DTYPE_BOOL || t.numel() != 1)
        c.fail(QEFF_E_FORMAT, c.input_label(2) + " 'training_mode' must be a bool scalar");
      if (*t.as<bool>())
        c.fail(QEFF_E_UNSUPPORTED, c.input_label(2) + " 'training_mode' is true; only inference is supported");
    }
  } else {
    c.need_inputs(1, 1);
  }
}

std::vector<graph::TensorType> dropout_infer(const InferContext &ic) {
  OpCtx c(ic);
  check_dropout(c);
  elem_bytes(c.node, c.dtype(0));
  std::vector<graph::TensorType> out{c.type(0)};
  if (c.node.outputs.size() > 1) out.push_back(make_type(QEFF_DTYPE_BOOL, c.dims(0)));
  return out;
}

std::unique_ptr<Kernel> dropout_prepare(const PrepareContext &pc) {
  OpCtx c(pc);
  const uint64_t bytes = byte_count(c, 0);
  const bool mask = pc.outputs.size() > 1;
  const int64_t n = dims_numel(c.dims(0));
  return make_kernel([bytes, mask, n](const RunArgs &a) {
    if (a.outputs[0] != a.inputs[0] && bytes > 0) std::memmove(a.outputs[0], a.inputs[0], bytes);
    if (mask && a.outputs[1] != nullptr) std::fill_n(static_cast<bool *>(a.outputs[1]), n, true);
  });
}

// Shape (start/end from opset 15, clamped as ONNX says) and Size: values
// known from the input type alone; the kernel writes them.
Dims shape_values(const OpCtx &c) {
  c.need_inputs(1, 1);
  const Dims in = c.dims(0);
  const int64_t r = static_cast<int64_t>(in.size());
  if (c.node.op_type == "Size") return {dims_numel(in)};
  int64_t start = 0, end = r;
  if (c.opset >= 15) {
    start = c.attr_int("start", 0);
    end = c.attr_int("end", r);
  }
  auto clamp = [r](int64_t v) { return std::clamp(v < 0 ? v + r : v, int64_t(0), r); };
  start = clamp(start);
  end = clamp(end);
  return Dims(in.begin() + start, in.begin() + std::max(start, end));
}

std::vector<graph::TensorType> shape_infer(const InferContext &ic) {
  OpCtx c(ic);
  Dims v = shape_values(c);
  return {make_type(QEFF_DTYPE_I64, c.node.op_type == "Size" ? Dims{} : Dims{static_cast<int64_t>(v.size())})};
}

std::unique_ptr<Kernel> shape_prepare(const PrepareContext &pc) {
  Dims v = shape_values(OpCtx(pc));
  return make_kernel([v](const RunArgs &a) {
    if (!v.empty()) std::memcpy(a.outputs[0], v.data(), v.size() * sizeof(int64_t));
  });
}

}  // namespace

std::vector<OpDef> shape_ops() {
  return {
      {"", "Reshape", &view_infer<reshape_dims>, &view_prepare, kView},
      {"", "Flatten", &view_infer<flatten_dims>, &view_prepare, kView},
      {"", "Squeeze", &view_infer<squeeze_dims>, &view_prepare, kView},
      {"", "Unsqueeze", &view_infer<unsqueeze_dims>, &view_prepare, kView},
      {"", "Identity", &view_infer<identity_dims>, &view_prepare, kView},
      {"", "Dropout", &dropout_infer, &dropout_prepare, kView},
      {"", "Shape", &shape_infer, &shape_prepare, kTypeOnly},
      {"", "Size", &shape_infer, &shape_prepare, kTypeOnly},
  };
}

}  // namespace qeff::ops::generic
