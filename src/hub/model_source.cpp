#include "hub/model_source.hpp"

#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "hub/adapter_config.hpp"
#include "common/dtype.hpp"

namespace qeff::hub {
namespace {

std::string basename_of(const std::string &p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string dirname_of(const std::string &p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : p.substr(0, slash);
}

// `.../models--org--name` given directly: follow refs/main to its snapshot.
std::string resolve_cache_entry(const std::string &dir) {
  FileRoot entry(dir);
  // Only a cache entry has refs/main next to snapshots/ (and no config.json).
  if (!entry.exists("refs/main") || !entry.exists("snapshots") || entry.exists("config.json"))
    return dir;
  std::string rev = entry.read("refs/main", 256, "refs/main size");
  while (!rev.empty() && std::isspace(static_cast<unsigned char>(rev.back()))) rev.pop_back();
  bool ok = !rev.empty();
  for (char ch : rev) ok = ok && std::isalnum(static_cast<unsigned char>(ch));
  if (!ok)
    fail(QEFF_E_FORMAT, entry.display("refs/main") + " holds " + quote(rev) +
                            ", expected a revision hash");
  auto snap = entry.resolve("snapshots/" + rev);
  if (!snap)
    fail(QEFF_E_NOT_FOUND, entry.display("refs/main") + " names revision " + quote(rev) +
                               " but snapshots/" + rev + " does not exist");
  return canonical_directory(*snap);
}

const TensorView *find_prefixed(const Checkpoint &w, const ArchitectureInfo &a, const std::string &name,
                                std::string *prefix_used) {
  for (const auto &p : a.prefixes) {
    if (const TensorView *t = w.find(p + name)) {
      if (prefix_used) *prefix_used = p;
      return t;
    }
  }
  return nullptr;
}

JsonDocument read_json(const FileRoot &root, const std::string &name, const HubLimits &limits) {
  return JsonDocument::parse(root.read(name, limits.json.max_bytes, "limits.json_bytes"),
                             {root.display(name)}, limits.json);
}

}  // namespace

FileRoot open_model_root(const std::string &path, const std::string &extra_root) {
  check_path_argument(path, "model path");
  std::string dir = resolve_cache_entry(canonical_directory(path));
  FileRoot root(dir);
  // HF cache snapshot: <entry>/snapshots/<rev>/file -> ../../blobs/<sha>.
  std::string parent = dirname_of(dir);
  if (basename_of(parent) == "snapshots") {
    std::string entry = dirname_of(parent);
    root.allow_root(entry);
  }
  if (!extra_root.empty()) {
    check_path_argument(extra_root, "load.allowed_root");
    root.allow_root(canonical_directory(extra_root));
  }
  return root;
}

void check_config_against_weights(const ModelConfig &c, const Checkpoint &w, const std::string &dir) {
  const ArchitectureInfo &a = *c.arch;
  std::string prefix;
  const TensorView *emb = find_prefixed(w, a, a.embedding, &prefix);
  if (emb == nullptr)
    fail(QEFF_E_MISMATCH, quote(dir) + ": the weights have no embedding table " + quote(a.embedding) +
                              ", which " + c.architecture + " needs");
  std::vector<int64_t> want = {c.vocab_size, c.hidden_size};
  if (emb->shape != want)
    fail(QEFF_E_MISMATCH, *emb->file + ": tensor " + quote(emb->name) + " has shape " +
                              shape_text(emb->shape) + " but config.json (vocab_size, hidden_size) implies " +
                              shape_text(want));

  // Layers present: the indices after the layer prefix.
  std::set<int64_t> layers;
  std::string lp = prefix + a.layer_prefix;
  for (const auto *t : w.tensors()) {
    if (t->name.compare(0, lp.size(), lp) != 0) continue;
    size_t i = lp.size(), j = i;
    while (j < t->name.size() && std::isdigit(static_cast<unsigned char>(t->name[j]))) ++j;
    if (j == i || j - i > 9 || j >= t->name.size() || t->name[j] != '.') continue;
    layers.insert(std::stoll(t->name.substr(i, j - i)));
  }
  int64_t expected = c.num_hidden_layers;
  bool contiguous = !layers.empty() && *layers.begin() == 0 &&
                    *layers.rbegin() == static_cast<int64_t>(layers.size()) - 1;
  if (static_cast<int64_t>(layers.size()) != expected || !contiguous) {
    std::string have = layers.empty() ? "none" : std::to_string(layers.size()) + " (indices " +
                                                     std::to_string(*layers.begin()) + ".." +
                                                     std::to_string(*layers.rbegin()) + ")";
    fail(QEFF_E_MISMATCH, quote(dir) + ": config.json says num_hidden_layers = " +
                              std::to_string(expected) + " but the weights hold layers " + quote(lp + "N.*") +
                              ": " + have);
  }

  if (*a.lm_head != '\0') {
    const TensorView *head = w.find(prefix + a.lm_head);
    if (!c.tie_word_embeddings && head == nullptr)
      fail(QEFF_E_MISMATCH, quote(dir) + ": tie_word_embeddings is false but the weights have no " +
                                quote(a.lm_head));
    if (head != nullptr && head->shape != want)
      fail(QEFF_E_MISMATCH, *head->file + ": tensor " + quote(head->name) + " has shape " +
                                shape_text(head->shape) + ", expected " + shape_text(want));
    if (c.tie_word_embeddings && head != nullptr &&
        (head->dtype != emb->dtype || head->nbytes != emb->nbytes ||
         std::memcmp(head->data, emb->data, static_cast<size_t>(emb->nbytes)) != 0))
      fail(QEFF_E_MISMATCH, quote(dir) + ": tie_word_embeddings is true but " + quote(head->name) +
                                " differs from " + quote(emb->name));
  }
}

void check_tensors_finite(const Checkpoint &w) {
  for (const auto *t : w.tensors()) {
    unsigned bits = dtype_bits(t->dtype);
    for (uint64_t i = 0; i < t->numel; ++i) {
      if (i % (uint64_t{1} << 20) == 0) cancellation_point("checking tensor " + quote(t->name) + " (load.check_tensors)");
      const uint8_t *p = t->data + i * (bits / 8);
      bool finite = true;
      if (t->dtype == QEFF_DTYPE_F32) {
        float v;
        std::memcpy(&v, p, 4);
        finite = std::isfinite(v);
      } else if (t->dtype == QEFF_DTYPE_F64) {
        double v;
        std::memcpy(&v, p, 8);
        finite = std::isfinite(v);
      } else if (t->dtype == QEFF_DTYPE_F16 || t->dtype == QEFF_DTYPE_BF16) {
        uint16_t v;
        std::memcpy(&v, p, 2);
        uint16_t exp_mask = t->dtype == QEFF_DTYPE_F16 ? 0x7c00 : 0x7f80;
        finite = (v & exp_mask) != exp_mask;
      } else {
        break;  // integers are always finite; fp8/fp6/fp4 are checked when used
      }
      if (!finite)
        fail(QEFF_E_NUMERIC, *t->file + ": tensor " + quote(t->name) + " holds a NaN or Inf at element " +
                                 std::to_string(i) + " (load.check_tensors)");
    }
  }
}

std::unique_ptr<ModelSource> ModelSource::load(const std::string &path, const Options &options) {
  HubLimits limits = HubLimits::from(options);
  FileRoot root = open_model_root(path, options.get_string("load.allowed_root"));

  if (!root.exists("config.json")) {
    if (root.exists("adapter_config.json")) {
      JsonDocument doc = read_json(root, "adapter_config.json", limits);
      AdapterConfig a = parse_adapter_config(doc);
      fail(QEFF_E_UNSUPPORTED, quote(root.dir()) + " is a PEFT LoRA adapter (base model " +
                                   quote(a.base_model_name_or_path) +
                                   "); load the base model directory instead (applying adapters is not "
                                   "supported yet)");
    }
    fail(QEFF_E_NOT_FOUND, "no config.json in " + quote(root.dir()));
  }
  std::unique_ptr<ModelSource> m(new ModelSource(read_json(root, "config.json", limits)));
  m->root = std::move(root);
  m->config = parse_model_config(m->config_json, limits.config_dim);
  m->weights = Checkpoint::load(m->root, limits);
  check_config_against_weights(m->config, m->weights, m->root.dir());

  m->quantization = parse_quantization_config(m->config_json.root());

  std::map<qeff_dtype, uint64_t> by_dtype;
  // An int4 checkpoint's packed values (8 per I32 word) count as U4.
  const std::string marker = m->quantization ? int4_marker_tensor(*m->quantization, "") : "";
  for (const auto *t : m->weights.tensors()) {
    if (dtype_is_float(t->dtype)) by_dtype[t->dtype] += t->numel;
    if (!marker.empty() && t->dtype == QEFF_DTYPE_I32 && t->name.ends_with(marker))
      by_dtype[QEFF_DTYPE_U4] += t->numel * 8;
  }
  uint64_t best = 0;
  for (const auto &[d, n] : by_dtype)
    if (n > best) {
      best = n;
      m->weight_dtype = d;
    }
  if (m->config.dtype != QEFF_DTYPE_UNKNOWN && m->weight_dtype != QEFF_DTYPE_UNKNOWN &&
      m->config.dtype != m->weight_dtype)
    log_info(m->root.display("config.json") + ": torch_dtype " + quote(m->config.torch_dtype) +
             " but the weights are mostly " + dtype_name(m->weight_dtype));
  if (options.get_bool("load.check_tensors")) check_tensors_finite(m->weights);

  if (m->root.exists("generation_config.json"))
    m->generation = parse_generation_config(read_json(m->root, "generation_config.json", limits));
  if (m->root.exists("tokenizer_config.json")) {
    m->tokenizer_config = parse_tokenizer_config(read_json(m->root, "tokenizer_config.json", limits));
    if (m->root.exists("special_tokens_map.json"))
      merge_special_tokens_map(*m->tokenizer_config,
                               read_json(m->root, "special_tokens_map.json", limits));
  }
  m->has_tokenizer_json = m->root.exists("tokenizer.json");
  SentenceTransformersConfig st;
  if (read_sentence_transformers(m->root, limits, &st)) m->sentence_transformers = st;
  log_info("loaded " + m->config.architecture + " from " + m->root.dir() + ": " +
           std::to_string(m->weights.tensors().size()) + " tensors, " +
           std::to_string(m->weights.num_parameters()) + " parameters");
  return m;
}

}  // namespace qeff::hub
