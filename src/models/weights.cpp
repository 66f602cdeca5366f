#include "models/weights.hpp"

#include "common/error.hpp"
#include "hub/model_source.hpp"
#include "hub/quantization.hpp"
#include "hub/safetensors.hpp"

namespace qeff::models {

Weights::Weights(std::shared_ptr<const hub::ModelSource> source, graph::GraphBuilder &b)
    : source_(std::move(source)), b_(b) {
  const hub::ArchitectureInfo *arch = source_->config.arch;
  if (arch != nullptr)
    for (const std::string &p : arch->prefixes)
      if (source_->weights.find(p + arch->embedding) != nullptr) {
        prefix_ = p;
        break;
      }
}

bool Weights::has_body(const std::string &name) const { return source_->weights.find(prefix_ + name) != nullptr; }
bool Weights::has_head(const std::string &name) const { return source_->weights.find(name) != nullptr; }

std::optional<std::vector<int64_t>> Weights::body_shape(const std::string &name) const {
  const hub::TensorView *t = source_->weights.find(prefix_ + name);
  return t ? std::optional(t->shape) : std::nullopt;
}

std::optional<std::vector<int64_t>> Weights::head_shape(const std::string &name) const {
  const hub::TensorView *t = source_->weights.find(name);
  return t ? std::optional(t->shape) : std::nullopt;
}

std::string Weights::body(const std::string &name, const std::vector<int64_t> &shape) {
  return value(prefix_ + name, shape);
}

std::string Weights::head(const std::string &name, const std::vector<int64_t> &shape) { return value(name, shape); }

std::string Weights::value(const std::string &full, const std::vector<int64_t> &shape) {
  if (auto it = values_.find(full); it != values_.end()) return it->second;
  const hub::TensorView *t = source_->weights.find(full);
  const std::string where = source_->root.dir();
  if (t == nullptr)
    fail(QEFF_E_MISMATCH, where + ": the checkpoint has no tensor " + quote(full) + " (expected shape " +
                              hub::shape_text(shape) + " for " + source_->config.architecture + ")");
  if (t->shape != shape)
    fail(QEFF_E_MISMATCH, *t->file + ": tensor " + quote(full) + " has shape " + hub::shape_text(t->shape) +
                              ", expected " + hub::shape_text(shape) + " from config.json");
  if (t->dtype != QEFF_DTYPE_F32 && t->dtype != QEFF_DTYPE_BF16 && t->dtype != QEFF_DTYPE_F16)
    fail(QEFF_E_UNSUPPORTED, *t->file + ": tensor " + quote(full) + " has dtype " + qeff_dtype_name(t->dtype) +
                                 " (float weights F32, BF16 or F16 expected)");
  // The view keeps the whole ModelSource (and so the mapping) alive.
  std::shared_ptr<const void> owner(source_, source_.get());
  graph::WeightData data = graph::WeightData::view(t->data, t->nbytes, owner);
  std::string v = b_.initializer(full, {t->dtype, graph::fixed_shape(shape)}, std::move(data));
  if (t->dtype != QEFF_DTYPE_F32) v = b_.op("Cast", {v}, {{"to", int64_t{1}}});  // ONNX FLOAT
  values_[full] = v;
  return v;
}

std::optional<Weights::Int4Inputs> Weights::int4_linear(const std::string &name, int64_t out, int64_t in,
                                                        bool head) {
  if (!source_->quantization) return std::nullopt;
  const hub::QuantizationConfig &q = *source_->quantization;
  const std::string full = (head ? "" : prefix_) + name;
  if (source_->weights.find(hub::int4_marker_tensor(q, full)) == nullptr) return std::nullopt;
  hub::Int4Linear l = hub::read_int4_linear(source_->weights, q, full, out, in);
  const int64_t groups = l.groups();
  Int4Inputs r;
  r.group = l.group;
  r.values = b_.initializer(full + ".int4_values", {QEFF_DTYPE_U8, graph::fixed_shape({out, (in + 1) / 2})},
                            graph::WeightData::owned(std::move(l.values)));
  r.scales = b_.initializer(full + ".int4_scales", {l.scale_dtype, graph::fixed_shape({out, groups})},
                            graph::WeightData::owned(std::move(l.scales)));
  r.zeros = b_.initializer(full + ".int4_zeros", {QEFF_DTYPE_U8, graph::fixed_shape({out, groups})},
                           graph::WeightData::owned(std::move(l.zeros)));
  return r;
}

}  // namespace qeff::models
