// qeff_model_*: loading a HuggingFace directory and introspecting it.
#include <cstring>
#include <string>
#include <type_traits>

#include "api/handles.hpp"
#include "common/error.hpp"
#include "common/dtype.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kModelTag;
using qeff::api::require;

namespace {

const qeff::hub::ModelSource &source(const qeff_model *m, const void *out, const char *function) {
  const qeff_model &model = checked_handle(m, kModelTag, "qeff_model", function);
  require(out, "out", function);
  return *model.source;
}

template <typename T, typename Get>
qeff_status get_value(const qeff_model *m, T *out, const char *function, Get get) {
  if constexpr (std::is_pointer_v<T>) {
    if (out != nullptr) *out = nullptr;  // a failed call leaves no stale pointer
  }
  return guarded([&] { *out = get(source(m, out, function)); });
}

// Looks up a dot-separated path in a JSON value; array elements by index.
qeff::JsonView lookup(qeff::JsonView v, const std::string &key) {
  size_t start = 0;
  while (start < key.size()) {
    size_t dot = key.find('.', start);
    if (dot == std::string::npos) dot = key.size();
    std::string part = key.substr(start, dot - start);
    if (v.is_array()) {
      bool digits = !part.empty() && part.size() < 10 &&
                    part.find_first_not_of("0123456789") == std::string::npos;
      v = digits ? v.at(std::stoul(part)) : qeff::JsonView(nullptr, &v.origin(), part);
    } else {
      v = v.get(part);
    }
    if (v.raw() == nullptr) return v;
    start = dot + 1;
  }
  return v;
}

}  // namespace

extern "C" {

qeff_status qeff_model_load(const char *path, const qeff_options *options, qeff_model **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    require(path, "path", "qeff_model_load");
    require(out, "out", "qeff_model_load");
    const qeff::Options &o = qeff::api::options_or_default(options, "qeff_model_load");
    qeff::api::CallScope cancel_scope(o, "qeff_model_load");
    auto model = std::make_unique<qeff_model>();
    model->source = qeff::hub::ModelSource::load(path, o);
    *out = model.release();
  });
}

void qeff_model_free(qeff_model *model) { qeff::api::free_handle(model, kModelTag); }

qeff_status qeff_model_path(const qeff_model *m, const char **out) {
  return get_value(m, out, "qeff_model_path", [](const auto &s) { return s.root.dir().c_str(); });
}

qeff_status qeff_model_architecture(const qeff_model *m, const char **out) {
  return get_value(m, out, "qeff_model_architecture",
                   [](const auto &s) { return s.config.architecture.c_str(); });
}

qeff_status qeff_model_type(const qeff_model *m, const char **out) {
  return get_value(m, out, "qeff_model_type", [](const auto &s) { return s.config.model_type.c_str(); });
}

qeff_status qeff_model_task(const qeff_model *m, qeff_task *out) {
  return get_value(m, out, "qeff_model_task", [](const auto &s) { return s.config.arch->task; });
}

qeff_status qeff_model_num_layers(const qeff_model *m, int64_t *out) {
  return get_value(m, out, "qeff_model_num_layers",
                   [](const auto &s) { return s.config.num_hidden_layers; });
}

qeff_status qeff_model_hidden_size(const qeff_model *m, int64_t *out) {
  return get_value(m, out, "qeff_model_hidden_size", [](const auto &s) { return s.config.hidden_size; });
}

qeff_status qeff_model_vocab_size(const qeff_model *m, int64_t *out) {
  return get_value(m, out, "qeff_model_vocab_size", [](const auto &s) { return s.config.vocab_size; });
}

qeff_status qeff_model_num_parameters(const qeff_model *m, int64_t *out) {
  return get_value(m, out, "qeff_model_num_parameters",
                   [](const auto &s) { return static_cast<int64_t>(s.weights.num_parameters()); });
}

qeff_status qeff_model_weight_dtype(const qeff_model *m, qeff_dtype *out) {
  return get_value(m, out, "qeff_model_weight_dtype", [](const auto &s) { return s.weight_dtype; });
}

qeff_status qeff_model_num_tensors(const qeff_model *m, size_t *out) {
  return get_value(m, out, "qeff_model_num_tensors",
                   [](const auto &s) { return s.weights.tensors().size(); });
}

qeff_status qeff_model_tensor_info(const qeff_model *m, size_t index, const char **name,
                                   qeff_dtype *dtype, size_t *rank, int64_t *dims,
                                   size_t dims_capacity) {
  if (name != nullptr) *name = nullptr;
  return guarded([&] {
    const auto &s = checked_handle(m, kModelTag, "qeff_model", "qeff_model_tensor_info").source;
    const auto &tensors = s->weights.tensors();
    if (index >= tensors.size())
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_model_tensor_info: index " + std::to_string(index) +
                                              " is out of range (the model has " +
                                              std::to_string(tensors.size()) + " tensors)");
    if (dims == nullptr && dims_capacity > 0)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_model_tensor_info: dims is NULL with a capacity of " +
                                              std::to_string(dims_capacity));
    const auto *t = tensors[index];
    if (name != nullptr) *name = t->name.c_str();
    if (dtype != nullptr) *dtype = t->dtype;
    if (rank != nullptr) *rank = t->shape.size();
    for (size_t i = 0; i < dims_capacity && i < t->shape.size(); ++i) dims[i] = t->shape[i];
  });
}

qeff_status qeff_model_find_tensor(const qeff_model *m, const char *name, size_t *index) {
  return guarded([&] {
    const auto &s = source(m, index, "qeff_model_find_tensor");
    require(name, "name", "qeff_model_find_tensor");
    const auto &tensors = s.weights.tensors();
    const auto *t = s.weights.find(name);
    if (t == nullptr)
      qeff::fail(QEFF_E_NOT_FOUND, "qeff_model_find_tensor: no tensor named " + qeff::quote(name));
    for (size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i] == t) *index = i;
  });
}

qeff_status qeff_model_config_get(const qeff_model *m, const char *key, const char **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const qeff_model &model = checked_handle(m, kModelTag, "qeff_model", "qeff_model_config_get");
    require(key, "key", "qeff_model_config_get");
    require(out, "out", "qeff_model_config_get");
    std::lock_guard<std::mutex> lock(model.cache_mutex);
    auto it = model.config_cache.find(key);
    if (it == model.config_cache.end()) {
      qeff::JsonView v = lookup(model.source->config_json.root(), key);
      if (v.raw() == nullptr)
        qeff::fail(QEFF_E_NOT_FOUND, "config.json has no field " + qeff::quote(key));
      it = model.config_cache.emplace(key, v.to_json()).first;
    }
    *out = it->second.c_str();
  });
}

const char *qeff_dtype_name(qeff_dtype dtype) {
  int v = qeff::api::enum_value(dtype);
  for (int d = QEFF_DTYPE_F32; d <= QEFF_DTYPE_U4; ++d)
    if (d == v) return qeff::dtype_name(static_cast<qeff_dtype>(d));
  return "UNKNOWN";
}

const char *qeff_task_name(qeff_task task) {
  switch (qeff::api::enum_value(task)) {
    case QEFF_TASK_EMBEDDING: return "embedding";
    case QEFF_TASK_CAUSAL_LM: return "causal-lm";
    case QEFF_TASK_SEQUENCE_CLASSIFICATION: return "sequence-classification";
    case QEFF_TASK_UNKNOWN: break;
  }
  return "unknown";
}

}  // extern "C"
