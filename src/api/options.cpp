// qeff_options_*: the C face of qeff::Options.
#include <string>
#include <vector>

#include "api/handles.hpp"
#include "common/error.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kOptionsTag;
using qeff::api::require;

namespace qeff::api {

const Options &options_or_default(const qeff_options *options, const char *function) {
  static const Options defaults;
  if (options == nullptr) return defaults;
  return checked_handle(options, kOptionsTag, "qeff_options", function).options;
}

}  // namespace qeff::api

namespace {

qeff::Options &opts(qeff_options *o, const char *key, const char *function) {
  qeff::Options &r = checked_handle(o, kOptionsTag, "qeff_options", function).options;
  require(key, "key", function);
  return r;
}

}  // namespace

extern "C" {

qeff_status qeff_options_create(qeff_options **out) {
  return qeff::api::create_handle(out, "qeff_options_create");
}

void qeff_options_free(qeff_options *options) { qeff::api::free_handle(options, kOptionsTag); }

qeff_status qeff_options_set_bool(qeff_options *o, const char *key, int value) {
  return guarded([&] { opts(o, key, "qeff_options_set_bool").set_bool(key, value != 0); });
}

qeff_status qeff_options_set_int(qeff_options *o, const char *key, int64_t value) {
  return guarded([&] { opts(o, key, "qeff_options_set_int").set_int(key, value); });
}

qeff_status qeff_options_set_float(qeff_options *o, const char *key, double value) {
  return guarded([&] { opts(o, key, "qeff_options_set_float").set_float(key, value); });
}

qeff_status qeff_options_set_string(qeff_options *o, const char *key, const char *value) {
  return guarded([&] {
    qeff::Options &r = opts(o, key, "qeff_options_set_string");
    require(value, "value", "qeff_options_set_string");
    r.set_string(key, value);
  });
}

qeff_status qeff_options_set_int_list(qeff_options *o, const char *key, const int64_t *values,
                                      size_t count) {
  return guarded([&] {
    qeff::Options &r = opts(o, key, "qeff_options_set_int_list");
    if (count > 0) require(values, "values", "qeff_options_set_int_list");
    if (count > 4096)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_options_set_int_list: " + std::to_string(count) +
                                              " values; the limit is 4096");
    r.set_int_list(key, std::vector<int64_t>(values, values + count));
  });
}

qeff_status qeff_options_set(qeff_options *o, const char *key, const char *value) {
  return guarded([&] {
    qeff::Options &r = opts(o, key, "qeff_options_set");
    require(value, "value", "qeff_options_set");
    r.set_text(key, value);
  });
}

qeff_status qeff_options_get(const qeff_options *o, const char *key, const char **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const qeff::Options &r = checked_handle(o, kOptionsTag, "qeff_options", "qeff_options_get").options;
    require(key, "key", "qeff_options_get");
    require(out, "out", "qeff_options_get");
    if (qeff::find_option(key) == nullptr)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_options_get: unknown option " + qeff::quote(key));
    *out = r.get_text(key).c_str();
  });
}

size_t qeff_options_key_count(void) { return qeff::option_registry().size(); }

qeff_status qeff_options_key_info(size_t index, const char **name, qeff_option_type *type,
                                  const char **description) {
  return guarded([&] {
    const auto &reg = qeff::option_registry();
    if (index >= reg.size())
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_options_key_info: index " + std::to_string(index) +
                                              " is out of range (there are " +
                                              std::to_string(reg.size()) + " keys)");
    if (name != nullptr) *name = reg[index].name;
    if (type != nullptr) *type = reg[index].type;
    if (description != nullptr) *description = reg[index].description;
  });
}

}  // extern "C"
