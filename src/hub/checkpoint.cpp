#include "hub/checkpoint.hpp"

#include <algorithm>
#include <map>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/log.hpp"

namespace qeff::hub {
namespace {

constexpr const char *kSingle = "model.safetensors";
constexpr const char *kIndex = "model.safetensors.index.json";

// Weight files of other frameworks: recognised so the error can say why.
constexpr const char *kForeign[] = {"pytorch_model.bin", "pytorch_model.bin.index.json",
                                    "model.pt", "tf_model.h5", "flax_model.msgpack",
                                    "model.ckpt.index"};

void check_shard_name(const std::string &name, const JsonView &where) {
  bool unsafe = name.empty() || name.find('/') != std::string::npos ||
                name.find('\\') != std::string::npos || name == "." || name == "..";
  if (unsafe)
    fail(QEFF_E_SECURITY, where.origin().name + ": shard " + quote(name) + " of tensor " +
                              quote(where.path()) + " is not a plain file name in the model directory");
  if (name.size() < 12 || name.compare(name.size() - 12, 12, ".safetensors") != 0)
    fail(QEFF_E_UNSUPPORTED, where.origin().name + ": shard " + quote(name) + " of tensor " +
                                 quote(where.path()) + " is not a .safetensors file " +
                                 "(pickle checkpoints are not supported)");
}

}  // namespace

Checkpoint Checkpoint::load(const FileRoot &root, const HubLimits &limits) {
  Checkpoint c;
  if (root.exists(kSingle)) {
    c.files_.push_back(SafetensorsFile::open(root.map(kSingle), limits));
    for (const auto &t : c.files_.back().tensors()) c.tensors_.push_back(&t);
  } else if (root.exists(kIndex)) {
    c.sharded_ = true;
    JsonDocument doc = JsonDocument::parse(root.read(kIndex, limits.json.max_bytes, "limits.json_bytes"),
                                           {root.display(kIndex), QEFF_E_FORMAT}, limits.json);
    JsonView map = doc.root().get("weight_map");
    if (!map.present()) map.fail_here(QEFF_E_FORMAT, "is missing (required)");
    if (!map.is_object()) map.type_error("an object mapping tensor names to shard files");
    JsonView meta = doc.root().get("metadata");
    if (meta.present() && !meta.is_object()) meta.type_error("an object");
    if (map.size() > limits.tensor_count)
      fail(QEFF_E_LIMIT, root.display(kIndex) + ": " + std::to_string(map.size()) +
                             " tensors exceed limits.tensor_count = " + std::to_string(limits.tensor_count));

    // Every distinct shard is opened once, in order of first mention.
    std::map<std::string, size_t> shard_index;
    std::vector<std::pair<std::string, size_t>> wanted;  // tensor -> shard
    for (const auto &name : map.keys()) {
      JsonView v = map.get(name);
      if (!v.is_string()) v.type_error("a shard file name");
      std::string shard = v.as_string();
      check_shard_name(shard, v);
      auto it = shard_index.find(shard);
      if (it == shard_index.end()) {
        if (shard_index.size() >= limits.shard_count)
          fail(QEFF_E_LIMIT, root.display(kIndex) + ": more than " +
                                 std::to_string(limits.shard_count) + " shards (limits.shard_count)");
        it = shard_index.emplace(shard, shard_index.size()).first;
      }
      wanted.emplace_back(name, it->second);
    }
    std::vector<std::string> names(shard_index.size());
    for (const auto &[name, i] : shard_index) names[i] = name;
    c.files_.reserve(names.size());
    for (const auto &name : names) {
      cancellation_point("opening shard " + quote(name));
      if (!root.exists(name))
        fail(QEFF_E_NOT_FOUND, root.display(kIndex) + " names shard " + quote(name) +
                                   ", which does not exist");
      c.files_.push_back(SafetensorsFile::open(root.map(name), limits));
    }
    for (const auto &[name, shard] : wanted) {
      const TensorView *t = c.files_[shard].find(name);
      if (t == nullptr)
        fail(QEFF_E_MISMATCH, root.display(kIndex) + " places tensor " + quote(name) + " in " +
                                  quote(names[shard]) + ", which does not contain it");
      c.tensors_.push_back(t);
    }
    size_t listed = 0;
    for (const auto &f : c.files_) listed += f.tensors().size();
    if (listed != c.tensors_.size())
      log_warn(root.display(kIndex) + ": " + std::to_string(listed - c.tensors_.size()) +
               " tensors in the shards are not in the index and are ignored");
    if (meta.present() && meta.get("total_size").is_number() &&
        meta.get("total_size").as_number_unbounded() != static_cast<double>(c.num_bytes()))
      log_warn(root.display(kIndex) + ": metadata.total_size " + meta.get("total_size").to_json() +
               " differs from the " + std::to_string(c.num_bytes()) + " bytes of the tensors");
    std::sort(c.tensors_.begin(), c.tensors_.end(),
              [](const TensorView *a, const TensorView *b) { return a->name < b->name; });
  } else {
    for (const char *f : kForeign)
      if (root.exists(f))
        fail(QEFF_E_UNSUPPORTED, root.display(f) + ": pickle and other framework checkpoints are not "
                                                   "supported; convert the model to safetensors");
    fail(QEFF_E_NOT_FOUND, "no " + std::string(kSingle) + " or " + kIndex + " in " + quote(root.dir()));
  }
  if (c.tensors_.size() > limits.tensor_count)
    fail(QEFF_E_LIMIT, quote(root.dir()) + ": " + std::to_string(c.tensors_.size()) +
                           " tensors exceed limits.tensor_count = " + std::to_string(limits.tensor_count));
  return c;
}

const TensorView *Checkpoint::find(const std::string &name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorView *t, const std::string &n) { return t->name < n; });
  return it != tensors_.end() && (*it)->name == name ? *it : nullptr;
}

uint64_t Checkpoint::num_parameters() const {
  uint64_t n = 0;
  for (const auto *t : tensors_) n += t->numel;
  return n;
}

uint64_t Checkpoint::num_bytes() const {
  uint64_t n = 0;
  for (const auto *t : tensors_) n += t->nbytes;
  return n;
}

}  // namespace qeff::hub
