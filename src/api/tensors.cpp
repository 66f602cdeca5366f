// Named tensor sets (qeff_tensors_*): the inputs and outputs of qeff_session_run.
#include <cstring>

#include "api/handles.hpp"
#include "common/dtype.hpp"
#include "common/error.hpp"
#include "common/utf8.hpp"
#include "graph/ir.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kTensorsTag;
using qeff::api::require;

namespace {

constexpr size_t kMaxRank = 8;

const qeff_tensors::Entry &entry(const qeff_tensors *t, size_t index, const char *function) {
  const qeff_tensors &set = checked_handle(t, kTensorsTag, "qeff_tensors", function);
  if (index >= set.entries.size())
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(function) + ": index " + std::to_string(index) +
                                            " is out of range (the set holds " + std::to_string(set.entries.size()) +
                                            " tensors)");
  return set.entries[index];
}

}  // namespace

extern "C" {

qeff_status qeff_tensors_create(qeff_tensors **out) { return qeff::api::create_handle(out, "qeff_tensors_create"); }

void qeff_tensors_free(qeff_tensors *tensors) { qeff::api::free_handle(tensors, kTensorsTag); }

qeff_status qeff_tensors_set(qeff_tensors *tensors, const char *name, qeff_dtype dtype, const int64_t *shape,
                             size_t rank, const void *data, size_t nbytes) {
  return guarded([&] {
    const char *fn = "qeff_tensors_set";
    qeff_tensors &set = checked_handle(tensors, kTensorsTag, "qeff_tensors", fn);
    require(name, "name", fn);
    std::string n(name);
    if (n.empty() || qeff::utf8_first_invalid(n) != n.size())
      qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": name must be non-empty UTF-8");
    int d = qeff::api::enum_value(dtype);
    if (d < QEFF_DTYPE_F32 || d > QEFF_DTYPE_U4 || qeff::dtype_bits(static_cast<qeff_dtype>(d)) == 0)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": tensor " + qeff::quote(n, 96) + ": unknown dtype " +
                                              std::to_string(d));
    if (rank > kMaxRank)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": tensor " + qeff::quote(n, 96) + ": rank " +
                                              std::to_string(rank) + " exceeds " + std::to_string(kMaxRank));
    if (rank > 0) require(shape, "shape", fn);
    std::vector<int64_t> dims(shape, shape + rank);
    qeff::graph::Shape s;
    for (size_t i = 0; i < rank; ++i) {
      if (dims[i] < 0)
        qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": tensor " + qeff::quote(n, 96) + ": dimension " +
                                                std::to_string(i) + " is " + std::to_string(dims[i]));
      s.push_back(qeff::graph::Dim::fixed(dims[i]));
    }
    auto bytes = qeff::graph::byte_size({static_cast<qeff_dtype>(d), s});
    if (!bytes || *bytes != nbytes)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": tensor " + qeff::quote(n, 96) + " of type " +
                                              qeff::graph::to_string({static_cast<qeff_dtype>(d), s}) + " needs " +
                                              (bytes ? std::to_string(*bytes) : std::string("too many")) +
                                              " bytes; " + std::to_string(nbytes) + " given");
    if (nbytes > 0) require(data, "data", fn);
    qeff_tensors::Entry e{n, static_cast<qeff_dtype>(d), dims, {}};
    if (nbytes) e.bytes.assign(static_cast<const uint8_t *>(data), static_cast<const uint8_t *>(data) + nbytes);
    for (auto &old : set.entries)
      if (old.name == n) {
        old = std::move(e);
        return;
      }
    set.entries.push_back(std::move(e));
  });
}

qeff_status qeff_tensors_count(const qeff_tensors *tensors, size_t *out) {
  return guarded([&] {
    const qeff_tensors &set = checked_handle(tensors, kTensorsTag, "qeff_tensors", "qeff_tensors_count");
    require(out, "out", "qeff_tensors_count");
    *out = set.entries.size();
  });
}

qeff_status qeff_tensors_find(const qeff_tensors *tensors, const char *name, size_t *out) {
  return guarded([&] {
    const qeff_tensors &set = checked_handle(tensors, kTensorsTag, "qeff_tensors", "qeff_tensors_find");
    require(name, "name", "qeff_tensors_find");
    require(out, "out", "qeff_tensors_find");
    for (size_t i = 0; i < set.entries.size(); ++i)
      if (set.entries[i].name == name) {
        *out = i;
        return;
      }
    qeff::fail(QEFF_E_NOT_FOUND, "qeff_tensors_find: no tensor " + qeff::quote(name, 96));
  });
}

qeff_status qeff_tensors_info(const qeff_tensors *tensors, size_t index, const char **name, qeff_dtype *dtype,
                              size_t *rank) {
  if (name != nullptr) *name = nullptr;
  return guarded([&] {
    const qeff_tensors::Entry &e = entry(tensors, index, "qeff_tensors_info");
    if (name) *name = e.name.c_str();
    if (dtype) *dtype = e.dtype;
    if (rank) *rank = e.shape.size();
  });
}

qeff_status qeff_tensors_shape(const qeff_tensors *tensors, size_t index, int64_t *shape, size_t capacity) {
  return guarded([&] {
    const qeff_tensors::Entry &e = entry(tensors, index, "qeff_tensors_shape");
    if (capacity < e.shape.size())
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_tensors_shape: capacity " + std::to_string(capacity) +
                                              " is less than the rank " + std::to_string(e.shape.size()));
    if (!e.shape.empty()) require(shape, "shape", "qeff_tensors_shape");
    std::copy(e.shape.begin(), e.shape.end(), shape);
  });
}

qeff_status qeff_tensors_data(const qeff_tensors *tensors, size_t index, const void **data, size_t *nbytes) {
  if (data != nullptr) *data = nullptr;
  return guarded([&] {
    const qeff_tensors::Entry &e = entry(tensors, index, "qeff_tensors_data");
    if (data) *data = e.bytes.data();
    if (nbytes) *nbytes = e.bytes.size();
  });
}

}  // extern "C"
