#include "hub/config.hpp"

#include <cmath>

#include "common/checked.hpp"
#include "common/error.hpp"

namespace qeff::hub {
namespace {

// Canonical field -> the names families use for it, in order of preference.
const std::vector<const char *> kHidden = {"hidden_size", "n_embd", "d_model", "dim"};
const std::vector<const char *> kLayers = {"num_hidden_layers", "n_layer", "n_layers",
                                           "num_layers"};
const std::vector<const char *> kHeads = {"num_attention_heads", "n_head", "n_heads"};
const std::vector<const char *> kInter = {"intermediate_size", "n_inner", "hidden_dim",
                                          "ffn_dim"};
const std::vector<const char *> kPositions = {"max_position_embeddings", "n_positions",
                                              "max_seq_len"};
const std::vector<const char *> kAct = {"hidden_act", "activation_function", "activation",
                                        "hidden_activation"};
const std::vector<const char *> kEps = {"rms_norm_eps", "layer_norm_eps", "layer_norm_epsilon",
                                        "norm_epsilon"};

JsonView first_present(const JsonView &obj, const std::vector<const char *> &names) {
  for (const char *n : names) {
    JsonView v = obj.get(n);
    if (v.present()) return v;
  }
  return obj.get(names.front());
}

bool any_present(const JsonView &obj, const std::vector<const char *> &names) {
  return first_present(obj, names).present();
}

// A positive dimension: E_CONFIG below 1, E_LIMIT above the cap.
int64_t dimension(const JsonView &v, int64_t cap) {
  // Huge finite values (2^40, 2^62) are a cap violation, not a type error;
  // 1e400 (inf) is not an integer and fails as_int() with the type error.
  if (v.is_number() && std::isfinite(v.as_number_unbounded()) &&
      v.as_number_unbounded() > static_cast<double>(cap))
    v.fail_here(QEFF_E_LIMIT, "= " + v.to_json() + " exceeds limits.config_dim = " +
                                  std::to_string(cap));
  int64_t x = v.as_int();
  if (x < 1) v.fail_here(QEFF_E_CONFIG, "must be >= 1, got " + std::to_string(x));
  return x;
}

int64_t required_dimension(const JsonView &obj, const std::vector<const char *> &names,
                           int64_t cap) {
  JsonView v = first_present(obj, names);
  if (!v.present()) v.fail_here(QEFF_E_CONFIG, "is missing (required)");
  return dimension(v, cap);
}

std::optional<int64_t> optional_dimension(const JsonView &obj,
                                          const std::vector<const char *> &names, int64_t cap) {
  JsonView v = first_present(obj, names);
  if (!v.present()) return std::nullopt;
  return dimension(v, cap);
}

double positive(const JsonView &v) {
  double x = v.as_double();
  if (!(x > 0)) v.fail_here(QEFF_E_CONFIG, "must be > 0, got " + v.describe());
  return x;
}

qeff_dtype torch_dtype_to_qeff(const std::string &s) {
  if (s == "float32" || s == "float") return QEFF_DTYPE_F32;
  if (s == "float16" || s == "half") return QEFF_DTYPE_F16;
  if (s == "bfloat16") return QEFF_DTYPE_BF16;
  if (s == "float64" || s == "double") return QEFF_DTYPE_F64;
  return QEFF_DTYPE_UNKNOWN;
}

RopeScaling parse_rope_scaling(const JsonView &v) {
  if (!v.is_object()) v.type_error("an object");
  RopeScaling r;
  auto type = v.opt_string("rope_type");
  if (!type) type = v.opt_string("type");
  if (!type) v.fail_here(QEFF_E_CONFIG, "has no \"rope_type\" (or \"type\")");
  r.type = *type;
  if (v.get("factor").present()) r.factor = positive(v.get("factor"));
  if (v.get("low_freq_factor").present()) r.low_freq_factor = positive(v.get("low_freq_factor"));
  if (v.get("high_freq_factor").present()) r.high_freq_factor = positive(v.get("high_freq_factor"));
  r.original_max_position_embeddings = v.opt_int("original_max_position_embeddings", 1, INT64_MAX);
  return r;
}

}  // namespace

std::vector<int64_t> read_id_list(const JsonView &obj, const char *key) {
  JsonView v = obj.get(key);
  if (!v.present()) return {};
  if (v.is_array()) return v.as_int_list(0, INT32_MAX);
  return {v.as_int(0, INT32_MAX)};
}

ModelConfig parse_model_config(const JsonDocument &doc, int64_t cap) {
  JsonView root = doc.root();
  ModelConfig c;
  JsonView archs = root.get("architectures");
  if (archs.present()) c.architectures = archs.as_string_list();
  if (auto t = root.opt_string("model_type")) c.model_type = *t;
  if (c.architectures.empty())
    fail(QEFF_E_UNSUPPORTED, doc.origin().name + ": no \"architectures\" entry" +
                                 (c.model_type.empty() ? "" : " (model_type " + quote(c.model_type) + ")") +
                                 "; supported architectures: " + supported_architectures_text());
  c.architecture = c.architectures.front();
  c.arch = find_architecture(c.architecture);
  if (c.arch == nullptr)
    fail(QEFF_E_UNSUPPORTED, doc.origin().name + ": architecture " + quote(c.architecture) +
                                 " is not supported; supported: " + supported_architectures_text());

  // Language-model sizes live at the top level, or in text_config for multimodal configs.
  JsonView src = root;
  JsonView text = root.get("text_config");
  if (!any_present(root, kHidden) && text.present()) {
    if (!text.is_object()) text.type_error("an object");
    src = text;
    c.nested_text_config = true;
  }

  c.vocab_size = required_dimension(src.get("vocab_size").present() ? src : root, {"vocab_size"}, cap);
  c.hidden_size = required_dimension(src, kHidden, cap);
  c.num_hidden_layers = required_dimension(src, kLayers, cap);
  c.num_attention_heads = required_dimension(src, kHeads, cap);
  c.num_key_value_heads =
      optional_dimension(src, {"num_key_value_heads", "num_kv_heads"}, cap).value_or(c.num_attention_heads);
  if (auto hd = optional_dimension(src, {"head_dim"}, cap)) {
    c.head_dim = *hd;
  } else {
    if (c.hidden_size % c.num_attention_heads != 0)
      first_present(src, kHidden).fail_here(
          QEFF_E_CONFIG, "hidden size " + std::to_string(c.hidden_size) +
                             " is not divisible by num_attention_heads = " +
                             std::to_string(c.num_attention_heads) + " (and there is no head_dim)");
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    first_present(src, {"num_key_value_heads", "num_kv_heads"})
        .fail_here(QEFF_E_CONFIG, "num_attention_heads = " + std::to_string(c.num_attention_heads) +
                                      " is not a multiple of num_key_value_heads = " +
                                      std::to_string(c.num_key_value_heads));
  // intermediate_size: GPT-2 writes n_inner: null for 4 * hidden.
  c.intermediate_size = optional_dimension(src, kInter, cap)
                            .value_or(c.arch->family == std::string("gpt2") ? 4 * c.hidden_size : 0);
  if (c.intermediate_size == 0)
    first_present(src, kInter).fail_here(QEFF_E_CONFIG, "is missing (required)");
  c.max_position_embeddings = optional_dimension(src, kPositions, cap);
  c.type_vocab_size = optional_dimension(src, {"type_vocab_size"}, cap);

  for (auto product : {checked_mul<int64_t>(c.vocab_size, c.hidden_size),
                       checked_mul<int64_t>(c.hidden_size, c.intermediate_size),
                       checked_mul<int64_t>(c.num_attention_heads, c.head_dim)})
    if (!product || !checked_mul<int64_t>(*product, c.num_hidden_layers + 8))
      fail(QEFF_E_LIMIT, doc.origin().name + ": model sizes (vocab " + std::to_string(c.vocab_size) +
                             ", hidden " + std::to_string(c.hidden_size) + ", intermediate " +
                             std::to_string(c.intermediate_size) + ", layers " +
                             std::to_string(c.num_hidden_layers) + ") overflow 64-bit arithmetic");

  JsonView act = first_present(src, kAct);
  if (act.present()) c.hidden_act = act.as_string();
  JsonView eps = first_present(src, kEps);
  if (eps.present()) c.norm_eps = positive(eps);

  // Rope: rope_theta + rope_scaling, or the newer rope_parameters holding both.
  JsonView rope_params = src.get("rope_parameters");
  if (rope_params.present()) {
    if (!rope_params.is_object()) rope_params.type_error("an object");
    if (rope_params.get("rope_theta").present()) c.rope_theta = positive(rope_params.get("rope_theta"));
    auto type = rope_params.opt_string("rope_type");
    if (type && *type != "default") c.rope_scaling = parse_rope_scaling(rope_params);
  }
  if (src.get("rope_theta").present()) c.rope_theta = positive(src.get("rope_theta"));
  JsonView scaling = src.get("rope_scaling");
  if (scaling.present()) c.rope_scaling = parse_rope_scaling(scaling);
  if (src.get("partial_rotary_factor").present()) {
    double f = positive(src.get("partial_rotary_factor"));
    if (f > 1.0) src.get("partial_rotary_factor").fail_here(QEFF_E_CONFIG, "must be <= 1");
    c.partial_rotary_factor = f;
  }
  bool use_sliding = src.opt_bool("use_sliding_window").value_or(true);
  if (auto sw = optional_dimension(src, {"sliding_window"}, INT64_MAX); sw && use_sliding)
    c.sliding_window = sw;
  c.attention_bias = src.opt_bool("attention_bias").value_or(false);

  auto tie = root.opt_bool("tie_word_embeddings");
  if (!tie && c.nested_text_config) tie = src.opt_bool("tie_word_embeddings");
  c.tie_word_embeddings = tie.value_or(c.arch->tie_default);

  // "dtype" is the newer spelling of "torch_dtype".
  auto dtype = root.opt_string("dtype");
  if (!dtype) dtype = root.opt_string("torch_dtype");
  if (!dtype && c.nested_text_config) dtype = src.opt_string("torch_dtype");
  if (dtype) {
    c.torch_dtype = *dtype;
    c.dtype = torch_dtype_to_qeff(*dtype);
  }

  JsonView ids = src.get("bos_token_id").present() || src.get("eos_token_id").present() ? src : root;
  if (auto bos = read_id_list(ids, "bos_token_id"); !bos.empty()) c.bos_token_id = bos.front();
  c.eos_token_ids = read_id_list(ids, "eos_token_id");
  // Some configs use -1 for "no padding token".
  if (auto pad = ids.opt_int("pad_token_id", -1, INT32_MAX); pad && *pad >= 0) c.pad_token_id = pad;
  return c;
}

}  // namespace qeff::hub
