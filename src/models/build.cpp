// build_graph: the architecture registry of the models layer and the task
// contracts (model_builder.hpp): inputs, the family's body, the pooling head or
// the classification head, outputs and metadata.
#include <algorithm>

#include "common/dtype.hpp"
#include "common/error.hpp"
#include "common/json_writer.hpp"
#include "hub/model_source.hpp"
#include "models/decoder.hpp"
#include "models/encoder.hpp"
#include "models/model_builder.hpp"
#include "transforms/kv_cache.hpp"

namespace qeff::models {

int64_t EncoderContext::head_dim() const {
  if (cfg.num_attention_heads <= 0 || cfg.hidden_size % cfg.num_attention_heads != 0)
    unsupported_config(*this, "hidden_size", std::to_string(cfg.hidden_size),
                       "a multiple of num_attention_heads (" + std::to_string(cfg.num_attention_heads) + ")");
  return cfg.hidden_size / cfg.num_attention_heads;
}

void unsupported_config(const EncoderContext &ctx, const std::string &field, const std::string &value,
                        const std::string &supported) {
  fail(QEFF_E_UNSUPPORTED, ctx.config.origin().name + ": " + field + " = " + quote(value, 64) + " is not supported by the " +
                               ctx.cfg.architecture + " builder (supported: " + supported + ")");
}

namespace {

const std::vector<const EncoderFamily *> &encoder_families() {
  static const std::vector<const EncoderFamily *> f = {&bert_family(), &mpnet_family(), &distilbert_family(),
                                                       &nomic_bert_family()};
  return f;
}

const EncoderFamily *find_encoder_family(const hub::ArchitectureInfo *arch) {
  if (arch == nullptr || arch->task == QEFF_TASK_CAUSAL_LM) return nullptr;
  for (const EncoderFamily *f : encoder_families())
    if (std::string(f->name) == arch->family) return f;
  return nullptr;
}

transforms::Pooling default_pooling(const hub::ModelSource &src) {
  if (!src.sentence_transformers) return transforms::Pooling::kMean;
  switch (src.sentence_transformers->pooling) {
    case hub::PoolingMode::kMean: return transforms::Pooling::kMean;
    case hub::PoolingMode::kCls: return transforms::Pooling::kCls;
    case hub::PoolingMode::kMax: return transforms::Pooling::kMax;
    case hub::PoolingMode::kMeanSqrtLen: return transforms::Pooling::kMeanSqrtLen;
    case hub::PoolingMode::kLastToken: return transforms::Pooling::kLastToken;
    case hub::PoolingMode::kWeightedMean: break;
  }
  fail(QEFF_E_UNSUPPORTED, src.root.display("1_Pooling/config.json") +
                               ": pooling mode weightedmean is not supported; choose a pooling explicitly (" +
                               transforms::pooling_names() + ")");
}

// num_labels and the label names from id2label (HF's default: two labels).
std::vector<std::string> labels(const hub::ModelSource &src) {
  JsonView root = src.config_json.root();
  JsonView id2label = root.get("id2label");
  int64_t n = root.opt_int("num_labels", 1, 1 << 20).value_or(id2label.present() ? static_cast<int64_t>(id2label.size()) : 2);
  std::vector<std::string> names(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) names[static_cast<size_t>(i)] = "LABEL_" + std::to_string(i);
  if (id2label.is_object())
    for (const std::string &k : id2label.keys()) {
      char *end = nullptr;
      long long i = std::strtoll(k.c_str(), &end, 10);
      if (end != k.c_str() && *end == '\0' && i >= 0 && i < n) names[static_cast<size_t>(i)] = id2label.get(k).as_string();
    }
  if (n < 1) root.get("num_labels").fail_here(QEFF_E_CONFIG, "must be at least 1");
  return names;
}

std::string labels_json(const std::vector<std::string> &names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + json_quote(names[i]);
  return s + "]";
}

SpecReader find_lm_family(const hub::ArchitectureInfo *arch) {
  if (arch == nullptr || arch->task != QEFF_TASK_CAUSAL_LM) return nullptr;
  return find_decoder_family(arch->family);
}

// Defaults for text generation (generation_config.json, else config.json's
// special ids) as the JSON text of kMetaGeneration.
std::string generation_defaults(const hub::ModelSource &src) {
  const hub::ModelConfig &cfg = src.config;
  hub::GenerationConfig g = src.generation.value_or(hub::GenerationConfig{});
  std::vector<int64_t> eos = g.eos_token_ids.empty() ? cfg.eos_token_ids : g.eos_token_ids;
  std::optional<int64_t> pad = g.pad_token_id ? g.pad_token_id : cfg.pad_token_id;
  std::optional<int64_t> bos = g.bos_token_id ? g.bos_token_id : cfg.bos_token_id;
  JsonWriter w(false);
  w.begin_object();
  w.key("eos_token_ids").begin_array();
  for (int64_t id : eos) w.value(id);
  w.end_array();
  auto opt_int = [&](const char *k, const std::optional<int64_t> &v) {
    if (v) w.key(k).value(*v);
  };
  auto opt_double = [&](const char *k, const std::optional<double> &v) {
    if (v) w.key(k).value(*v);
  };
  opt_int("bos_token_id", bos);
  opt_int("pad_token_id", pad);
  opt_int("max_length", g.max_length);
  opt_int("max_new_tokens", g.max_new_tokens);
  w.key("do_sample").value(g.do_sample);
  opt_double("temperature", g.temperature);
  opt_int("top_k", g.top_k);
  opt_double("top_p", g.top_p);
  opt_double("min_p", g.min_p);
  opt_double("repetition_penalty", g.repetition_penalty);
  w.end_object();
  return w.take();
}

graph::Graph build_causal_lm(std::shared_ptr<const hub::ModelSource> source, SpecReader reader, qeff_dtype kv_dtype) {
  const hub::ModelSource &src = *source;
  const hub::ModelConfig &cfg = src.config;
  JsonView config = src.config_json.root();
  if (cfg.nested_text_config) config = config.get("text_config");
  const DecoderSpec spec = reader(DecoderConfig{cfg, config});

  graph::GraphBuilder b(cfg.architecture);
  Weights w(source, b);
  Layers l{b, w};
  const graph::Shape tokens{graph::Dim::sym("batch_size"), graph::Dim::sym("seq_len")};
  std::string ids = b.input("input_ids", {QEFF_DTYPE_I64, tokens});
  std::string positions = b.input("position_ids", {QEFF_DTYPE_I64, tokens});
  build_decoder(spec, l, ids, positions, kv_dtype);
  b.set_metadata(kMetaTask, qeff_task_name(QEFF_TASK_CAUSAL_LM));
  b.set_metadata(kMetaArchitecture, cfg.architecture);
  b.set_metadata(kMetaModelType, cfg.model_type);
  if (spec.max_positions > 0) b.set_metadata(kMetaMaxSeqLen, std::to_string(spec.max_positions));
  b.set_metadata(kMetaPadId, std::to_string(cfg.pad_token_id.value_or(0)));
  b.set_metadata(kMetaKvCacheDtype, transforms::kv_cache_dtype_name(kv_dtype));
  b.set_metadata(kMetaGeneration, generation_defaults(src));
  return std::move(b).finish();
}

}  // namespace

std::vector<std::string> supported_architectures() {
  std::vector<std::string> out;
  for (const auto &a : hub::architectures())
    if (find_encoder_family(&a) != nullptr || find_lm_family(&a) != nullptr) out.emplace_back(a.name);
  return out;
}

bool has_builder(const std::string &architecture) {
  const hub::ArchitectureInfo *a = hub::find_architecture(architecture);
  return find_encoder_family(a) != nullptr || find_lm_family(a) != nullptr;
}

std::string canonical_text(const BuildOptions &o) {
  std::string s = "pooling=";
  s += o.pooling ? transforms::pooling_name(*o.pooling) : "default";
  s += ";normalize=";
  s += o.normalize ? (*o.normalize ? "true" : "false") : "default";
  if (o.kv_cache_dtype != QEFF_DTYPE_F32)
    s += std::string(";kv_cache_dtype=") + transforms::kv_cache_dtype_name(o.kv_cache_dtype);
  return s;
}

graph::Graph build_graph(std::shared_ptr<const hub::ModelSource> source, const BuildOptions &options) {
  const hub::ModelSource &src = *source;
  const hub::ModelConfig &cfg = src.config;
  const EncoderFamily *family = find_encoder_family(cfg.arch);
  if (SpecReader lm = find_lm_family(cfg.arch)) {
    if (options.pooling || options.normalize)
      fail(QEFF_E_INVALID_ARGUMENT, std::string("pooling options apply to embedding models; ") + cfg.architecture +
                                        " is a causal-lm model");
    return build_causal_lm(std::move(source), lm, options.kv_cache_dtype);
  }
  if (family == nullptr) {
    std::string list;
    for (const std::string &a : supported_architectures()) list += (list.empty() ? "" : ", ") + a;
    fail(QEFF_E_UNSUPPORTED, src.root.display("config.json") + ": no graph builder for architecture " +
                                 quote(cfg.architecture, 64) + " in qeff " + QEFF_VERSION_STRING +
                                 " (supported: " + list + ")");
  }
  if (options.kv_cache_dtype != QEFF_DTYPE_F32)
    fail(QEFF_E_INVALID_ARGUMENT, std::string("model.kv_cache_dtype applies to causal LMs; ") + cfg.architecture +
                                      " has no KV cache");
  const qeff_task task = cfg.arch->task;
  if (task != QEFF_TASK_EMBEDDING && (options.pooling || options.normalize))
    fail(QEFF_E_INVALID_ARGUMENT, std::string("pooling options apply to embedding models; ") + cfg.architecture +
                                      " is a " + qeff_task_name(task) + " model");

  graph::GraphBuilder b(cfg.architecture);
  Weights w(source, b);
  Layers l{b, w};
  const graph::Shape tokens{graph::Dim::sym("batch_size"), graph::Dim::sym("seq_len")};
  EncoderContext ctx{cfg, src.config_json.root(), l, b.input("input_ids", {QEFF_DTYPE_I64, tokens}),
                     b.input("attention_mask", {QEFF_DTYPE_I64, tokens}), {}, 0};
  std::vector<std::string> label_names;
  if (task == QEFF_TASK_SEQUENCE_CLASSIFICATION) {
    label_names = labels(src);
    ctx.num_labels = static_cast<int64_t>(label_names.size());
    if (family->uses_token_types(ctx)) ctx.token_type_ids = b.input("token_type_ids", {QEFF_DTYPE_I64, tokens});
  }
  const int64_t max_len = family->max_seq_len(ctx);
  std::string hidden = family->body(ctx);

  b.set_metadata(kMetaTask, qeff_task_name(task));
  b.set_metadata(kMetaArchitecture, cfg.architecture);
  b.set_metadata(kMetaModelType, cfg.model_type);
  if (max_len > 0) b.set_metadata(kMetaMaxSeqLen, std::to_string(max_len));
  b.set_metadata(kMetaPadId, std::to_string(cfg.pad_token_id.value_or(0)));
  const graph::Dim batch = graph::Dim::sym("batch_size");
  if (task == QEFF_TASK_SEQUENCE_CLASSIFICATION) {
    std::string logits = family->classifier(ctx, hidden);
    b.output(logits, {QEFF_DTYPE_F32, {batch, graph::Dim::fixed(ctx.num_labels)}}, "logits");
    b.set_metadata(kMetaNumLabels, std::to_string(ctx.num_labels));
    b.set_metadata(kMetaLabels, labels_json(label_names));
  } else {
    const transforms::Pooling pooling = options.pooling.value_or(default_pooling(src));
    // sentence-transformers' Normalize acts on the sentence embedding only:
    // token states (pooling none) are normalized only when asked.
    const bool normalize = options.normalize.value_or(pooling != transforms::Pooling::kNone && src.sentence_transformers &&
                                                      src.sentence_transformers->normalize);
    std::string y = transforms::add_pooling(b, hidden, ctx.attention_mask, pooling, normalize);
    graph::Shape shape{batch};
    if (pooling == transforms::Pooling::kNone) shape.push_back(graph::Dim::sym("seq_len"));
    shape.push_back(graph::Dim::fixed(cfg.hidden_size));
    b.output(y, {QEFF_DTYPE_F32, shape}, "output");
    b.set_metadata(kMetaPooling, transforms::pooling_name(pooling));
    b.set_metadata(kMetaNormalize, normalize ? "true" : "false");
  }
  return std::move(b).finish();
}

}  // namespace qeff::models
