#include "hub/generation_config.hpp"

#include "hub/config.hpp"

namespace qeff::hub {
namespace {

std::optional<double> in_range(const JsonView &obj, const char *key, double lo, bool lo_open,
                               double hi, const char *rule) {
  JsonView v = obj.get(key);
  if (!v.present()) return std::nullopt;
  double x = v.as_double();
  if ((lo_open ? !(x > lo) : !(x >= lo)) || !(x <= hi))
    v.fail_here(QEFF_E_CONFIG, std::string("= ") + v.to_json() + " is out of range (" + rule + ")");
  return x;
}

}  // namespace

GenerationConfig parse_generation_config(const JsonDocument &doc) {
  JsonView root = doc.root();
  GenerationConfig g;
  if (auto bos = read_id_list(root, "bos_token_id"); !bos.empty()) g.bos_token_id = bos.front();
  g.eos_token_ids = read_id_list(root, "eos_token_id");
  if (auto pad = read_id_list(root, "pad_token_id"); !pad.empty()) g.pad_token_id = pad.front();
  g.max_length = root.opt_int("max_length", 0, INT64_MAX);
  g.max_new_tokens = root.opt_int("max_new_tokens", 0, INT64_MAX);
  g.do_sample = root.opt_bool("do_sample").value_or(false);
  g.temperature = in_range(root, "temperature", 0.0, false, 1e9, "must be >= 0");
  g.top_k = root.opt_int("top_k", 0, INT32_MAX);
  g.top_p = in_range(root, "top_p", 0.0, true, 1.0, "must be in (0, 1]");
  g.min_p = in_range(root, "min_p", 0.0, false, 1.0, "must be in [0, 1]");
  g.repetition_penalty = in_range(root, "repetition_penalty", 0.0, true, 1e9, "must be > 0");
  return g;
}

}  // namespace qeff::hub
