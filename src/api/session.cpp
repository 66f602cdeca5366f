// Sessions over a compiled program (qeff_session_*).
#include "api/handles.hpp"
#include "common/error.hpp"

#include <cstdio>
#include <string>

using qeff::api::checked_handle;
using qeff::api::InUse;
using qeff::api::guarded;
using qeff::api::kProgramTag;
using qeff::api::kSessionTag;
using qeff::api::kTensorsTag;
using qeff::api::require;

namespace {

qeff_tensors *new_tensor_set(std::vector<qeff_tensors::Entry> entries) {
  auto *t = new qeff_tensors();
  t->entries = std::move(entries);
  return t;
}

qeff_tensors::Entry copy_entry(const std::string &name, const qeff::ops::TensorView &v, uint64_t bytes) {
  const auto *p = static_cast<const uint8_t *>(v.data);
  return {name, v.dtype, v.shape, std::vector<uint8_t>(p, p + bytes)};
}

}  // namespace

namespace qeff::api {

InUse::InUse(std::atomic<bool> &flag, const char *type, const void *handle, const char *function) : flag_(flag) {
  if (flag_.exchange(true, std::memory_order_acquire)) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", handle);
    fail(QEFF_E_BUSY, std::string(function) + ": the " + type + " " + address +
                          " is in use by another call on another thread (one call at a time per " + type +
                          "; use one per thread)");
  }
}

}  // namespace qeff::api

extern "C" {

qeff_status qeff_session_create(const qeff_program *program, const qeff_options *options, qeff_session **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_session_create";
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", fn);
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    require(out, "out", fn);
    auto s = std::make_unique<qeff_session>();
    s->session = std::make_unique<qeff::runtime::Session>(p.executable, static_cast<int>(o.get_int("runtime.threads")));
    *out = s.release();
  });
}

void qeff_session_free(qeff_session *session) { qeff::api::free_handle(session, kSessionTag); }

qeff_status qeff_session_run(qeff_session *session, const qeff_tensors *inputs, qeff_tensors **outputs) {
  if (outputs != nullptr) *outputs = nullptr;
  return guarded([&] {
    const char *fn = "qeff_session_run";
    qeff_session &s = checked_handle(session, kSessionTag, "qeff_session", fn);
    InUse busy(s.in_use, "qeff_session", &s, fn);  // until the outputs are copied out of the arena
    const qeff_tensors &in = checked_handle(inputs, kTensorsTag, "qeff_tensors", fn);
    require(outputs, "outputs", fn);
    std::vector<qeff::runtime::NamedTensor> named;
    for (const auto &e : in.entries) named.push_back({e.name, {e.dtype, e.shape, e.bytes.data()}});
    std::vector<qeff::runtime::NamedTensor> results = s.session->run(named);
    std::vector<qeff_tensors::Entry> entries;
    for (const auto &r : results) {
      qeff::graph::TensorType t = qeff::ops::make_type(r.tensor.dtype, r.tensor.shape);
      entries.push_back(copy_entry(r.name, r.tensor, qeff::runtime::tensor_bytes(t)));
    }
    *outputs = new_tensor_set(std::move(entries));
  });
}

qeff_status qeff_session_reset(qeff_session *session) {
  return guarded([&] {
    const char *fn = "qeff_session_reset";
    qeff_session &s = checked_handle(session, kSessionTag, "qeff_session", fn);
    InUse busy(s.in_use, "qeff_session", &s, fn);
    s.session->reset_state();
  });
}

qeff_status qeff_session_read_state(qeff_session *session, const char *name, qeff_tensors **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_session_read_state";
    qeff_session &s = checked_handle(session, kSessionTag, "qeff_session", fn);
    InUse busy(s.in_use, "qeff_session", &s, fn);
    require(name, "name", fn);
    require(out, "out", fn);
    auto [type, bytes] = s.session->read_state(name);
    std::vector<qeff_tensors::Entry> entries;
    entries.push_back({name, type.dtype, qeff::ops::dims_of(type), std::move(bytes)});
    *out = new_tensor_set(std::move(entries));
  });
}

}  // extern "C"
