#include "onnx/import_tensors.hpp"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cstring>
#include <limits>

#include "common/checked.hpp"
#include "common/dtype.hpp"
#include "common/error.hpp"
#include "onnx/element_types.hpp"

// Raw tensor bytes are little-endian in ONNX and views share them unconverted.
static_assert(std::endian::native == std::endian::little, "the ONNX importer assumes a little-endian host");

namespace qeff::onnx_io::detail {
namespace {

using onnx::TensorProto;

const char *onnx_type_name(int64_t t) {
  switch (t) {
    case TensorProto::FLOAT: return "FLOAT";
    case TensorProto::UINT8: return "UINT8";
    case TensorProto::INT8: return "INT8";
    case TensorProto::UINT16: return "UINT16";
    case TensorProto::INT16: return "INT16";
    case TensorProto::INT32: return "INT32";
    case TensorProto::INT64: return "INT64";
    case TensorProto::STRING: return "STRING";
    case TensorProto::BOOL: return "BOOL";
    case TensorProto::FLOAT16: return "FLOAT16";
    case TensorProto::DOUBLE: return "DOUBLE";
    case TensorProto::UINT32: return "UINT32";
    case TensorProto::UINT64: return "UINT64";
    case TensorProto::COMPLEX64: return "COMPLEX64";
    case TensorProto::COMPLEX128: return "COMPLEX128";
    case TensorProto::BFLOAT16: return "BFLOAT16";
    default: return "?";
  }
}

// Appends `count` values of `src` as little-endian `Out`, each checked to lie in [lo, hi].
template <typename Out, typename In>
void append_checked(std::vector<uint8_t> *out, const In *src, int count, In lo, In hi, const std::string &what,
                    const char *field, int64_t elem_type) {
  size_t at = out->size();
  out->resize(at + static_cast<size_t>(count) * sizeof(Out));
  for (int i = 0; i < count; ++i) {
    In v = src[i];
    if (v < lo || v > hi)
      fail(QEFF_E_FORMAT, what + ": " + field + "[" + std::to_string(i) + "] = " + std::to_string(v) +
                              " is out of range for a " + onnx_type_name(elem_type) + " element");
    Out o = static_cast<Out>(v);
    std::memcpy(out->data() + at + static_cast<size_t>(i) * sizeof(Out), &o, sizeof(Out));
  }
}

template <typename T>
void append_raw(std::vector<uint8_t> *out, const T *src, int count) {
  if (count == 0) return;
  size_t at = out->size();
  out->resize(at + static_cast<size_t>(count) * sizeof(T));
  std::memcpy(out->data() + at, src, static_cast<size_t>(count) * sizeof(T));
}

}  // namespace

qeff_dtype dtype_from_onnx(int64_t t, const std::string &what) {
  if (auto d = qeff_dtype_of_onnx(t)) return *d;
  switch (t) {
    case TensorProto::STRING:
    case TensorProto::COMPLEX128:
      fail(QEFF_E_UNSUPPORTED,
           what + ": element type " + onnx_type_name(t) + " is not supported (no qeff dtype holds it)");
    case TensorProto::UNDEFINED:
      fail(QEFF_E_FORMAT, what + ": element type is UNDEFINED (0)");
    default: break;
  }
  fail(QEFF_E_FORMAT, what + ": unknown element type " + std::to_string(t) + " (ONNX IR " +
                          std::to_string(onnx::IR_VERSION) + " knows 1-16)");
}

bool is_external(const TensorProto &t) { return t.data_location() == TensorProto::EXTERNAL; }

TensorHeader tensor_header(const TensorProto &t, uint64_t max_rank, const std::string &what) {
  if (!t.has_data_type()) fail(QEFF_E_FORMAT, what + ": data_type is missing");
  TensorHeader h;
  h.type.dtype = dtype_from_onnx(t.data_type(), what);
  if (static_cast<uint64_t>(t.dims_size()) > max_rank)
    fail(QEFF_E_FORMAT, what + ": rank " + std::to_string(t.dims_size()) +
                            " is above limits.tensor_rank = " + std::to_string(max_rank));
  uint64_t n = 1;
  for (int i = 0; i < t.dims_size(); ++i) {
    int64_t d = t.dims(i);
    if (d < 0)
      fail(QEFF_E_FORMAT, what + ": dims[" + std::to_string(i) + "] = " + std::to_string(d) + " is negative");
    auto m = checked_mul<uint64_t>(n, static_cast<uint64_t>(d));
    if (!m) fail(QEFF_E_FORMAT, what + ": the element count of its dims overflows 64 bits");
    n = *m;
    h.type.shape.push_back(graph::Dim::fixed(d));
  }
  auto bytes = graph::byte_size(h.type.dtype, n);
  if (!bytes) fail(QEFF_E_FORMAT, what + ": its byte size (" + std::to_string(n) + " elements) overflows 64 bits");
  h.numel = n;
  h.nbytes = *bytes;
  if (t.has_segment()) fail(QEFF_E_UNSUPPORTED, what + ": segmented tensors are not supported");
  if (is_external(t)) {
    if (t.external_data_size() == 0)
      fail(QEFF_E_FORMAT, what + ": data_location is EXTERNAL but external_data is empty");
    const char *inline_field = t.has_raw_data()            ? "raw_data"
                               : t.float_data_size() > 0  ? "float_data"
                               : t.int32_data_size() > 0  ? "int32_data"
                               : t.string_data_size() > 0 ? "string_data"
                               : t.int64_data_size() > 0  ? "int64_data"
                               : t.double_data_size() > 0 ? "double_data"
                               : t.uint64_data_size() > 0 ? "uint64_data"
                                                          : nullptr;
    if (inline_field != nullptr)
      fail(QEFF_E_FORMAT, what + ": data_location is EXTERNAL but " + inline_field + " is also set");
  } else if (t.external_data_size() > 0) {
    fail(QEFF_E_FORMAT, what + ": has external_data entries but data_location is not EXTERNAL");
  }
  return h;
}

std::vector<uint8_t> inline_bytes(TensorProto *t, const TensorHeader &h, const std::string &what) {
  struct Field {
    const char *name;
    bool set;
  };
  const Field fields[] = {
      {"raw_data", t->has_raw_data()},          {"float_data", t->float_data_size() > 0},
      {"int32_data", t->int32_data_size() > 0}, {"string_data", t->string_data_size() > 0},
      {"int64_data", t->int64_data_size() > 0}, {"double_data", t->double_data_size() > 0},
      {"uint64_data", t->uint64_data_size() > 0},
  };
  std::string set_names;
  int set_count = 0;
  const char *field = nullptr;
  for (const auto &f : fields) {
    if (!f.set) continue;
    set_names += (set_count++ ? " and " : "") + std::string(f.name);
    field = f.name;
  }
  if (is_external(*t)) fail(QEFF_E_INTERNAL, what + ": inline_bytes called for external data");
  if (set_count > 1) fail(QEFF_E_FORMAT, what + ": two value fields are set (" + set_names + ")");
  if (set_count == 0) {
    if (h.nbytes == 0) return {};
    fail(QEFF_E_FORMAT, what + ": holds no data; its type " + graph::to_string(h.type) + " needs " +
                            std::to_string(h.nbytes) + " bytes");
  }
  const int64_t dt = t->data_type();
  if (t->has_raw_data()) {
    const std::string &raw = t->raw_data();
    if (raw.size() != h.nbytes)
      fail(QEFF_E_FORMAT, what + ": raw_data holds " + std::to_string(raw.size()) + " bytes; its type " +
                              graph::to_string(h.type) + " needs " + std::to_string(h.nbytes));
    std::vector<uint8_t> out(raw.begin(), raw.end());
    t->clear_raw_data();
    return out;
  }
  if (t->string_data_size() > 0)
    fail(QEFF_E_FORMAT, what + ": string_data is set for a " + onnx_type_name(dt) + " tensor");

  // The typed field ONNX assigns to each element type, and elements per value.
  const char *expected = nullptr;
  uint64_t per_element = 1;
  switch (dt) {
    case TensorProto::FLOAT: expected = "float_data"; break;
    case TensorProto::COMPLEX64: expected = "float_data"; per_element = 2; break;
    case TensorProto::INT64: expected = "int64_data"; break;
    case TensorProto::DOUBLE: expected = "double_data"; break;
    case TensorProto::UINT32:
    case TensorProto::UINT64: expected = "uint64_data"; break;
    default: expected = "int32_data"; break;  // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16
  }
  if (std::strcmp(field, expected) != 0)
    fail(QEFF_E_FORMAT, what + ": " + field + " cannot hold a " + onnx_type_name(dt) + " tensor (ONNX stores it in " +
                            expected + ")");
  auto want = checked_mul<uint64_t>(h.numel, per_element);
  int count = 0;
  if (dt == TensorProto::FLOAT || dt == TensorProto::COMPLEX64) count = t->float_data_size();
  else if (dt == TensorProto::INT64) count = t->int64_data_size();
  else if (dt == TensorProto::DOUBLE) count = t->double_data_size();
  else if (dt == TensorProto::UINT32 || dt == TensorProto::UINT64) count = t->uint64_data_size();
  else count = t->int32_data_size();
  if (!want || static_cast<uint64_t>(count) != *want)
    fail(QEFF_E_FORMAT, what + ": " + field + " holds " + std::to_string(count) + " values; its type " +
                            graph::to_string(h.type) + " needs " +
                            (want ? std::to_string(*want) : std::string("more than 2^64")));

  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(h.nbytes));
  const int32_t *i32 = t->int32_data().data();
  switch (dt) {
    case TensorProto::FLOAT:
    case TensorProto::COMPLEX64: append_raw(&out, t->float_data().data(), count); break;
    case TensorProto::INT64: append_raw(&out, t->int64_data().data(), count); break;
    case TensorProto::DOUBLE: append_raw(&out, t->double_data().data(), count); break;
    case TensorProto::UINT64: append_raw(&out, t->uint64_data().data(), count); break;
    case TensorProto::UINT32:
      append_checked<uint32_t, uint64_t>(&out, t->uint64_data().data(), count, 0, UINT32_MAX, what,
                                         "uint64_data", dt);
      break;
    case TensorProto::INT32: append_raw(&out, i32, count); break;
    case TensorProto::INT16:
      append_checked<int16_t, int32_t>(&out, i32, count, INT16_MIN, INT16_MAX, what, "int32_data", dt);
      break;
    case TensorProto::INT8:
      append_checked<int8_t, int32_t>(&out, i32, count, INT8_MIN, INT8_MAX, what, "int32_data", dt);
      break;
    case TensorProto::UINT8:
      append_checked<uint8_t, int32_t>(&out, i32, count, 0, UINT8_MAX, what, "int32_data", dt);
      break;
    case TensorProto::BOOL:
      append_checked<uint8_t, int32_t>(&out, i32, count, 0, 1, what, "int32_data", dt);
      break;
    default:  // UINT16, FLOAT16, BFLOAT16: 16-bit patterns
      append_checked<uint16_t, int32_t>(&out, i32, count, 0, UINT16_MAX, what, "int32_data", dt);
      break;
  }
  if (out.size() != h.nbytes)  // unreachable: counts were checked above
    fail(QEFF_E_INTERNAL, what + ": converted " + std::to_string(out.size()) + " bytes, expected " +
                              std::to_string(h.nbytes));
  t->clear_float_data();
  t->clear_int32_data();
  t->clear_int64_data();
  t->clear_double_data();
  t->clear_uint64_data();
  return out;
}

}  // namespace qeff::onnx_io::detail
