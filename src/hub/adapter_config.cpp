#include "hub/adapter_config.hpp"

#include "common/error.hpp"

namespace qeff::hub {
namespace {

// A field that must be absent, null, false or empty for qeff to apply the adapter.
void require_unset(const JsonView &root, const char *key) {
  JsonView v = root.get(key);
  if (!v.present()) return;
  if (v.is_bool() && !v.as_bool()) return;
  if ((v.is_object() || v.is_array()) && v.size() == 0) return;
  v.fail_here(QEFF_E_UNSUPPORTED, "= " + v.to_json() + " is not supported by qeff's LoRA");
}

}  // namespace

AdapterConfig parse_adapter_config(const JsonDocument &doc) {
  JsonView root = doc.root();
  AdapterConfig a;
  JsonView type = root.get("peft_type");
  if (!type.present()) type.fail_here(QEFF_E_CONFIG, "is missing (required)");
  if (type.as_string() != "LORA")
    type.fail_here(QEFF_E_UNSUPPORTED, "= " + quote(type.as_string()) + ": only LORA adapters are supported");
  for (const char *k : {"use_dora", "use_rslora", "rank_pattern", "alpha_pattern", "modules_to_save",
                        "layers_to_transform", "layers_pattern"})
    require_unset(root, k);
  a.base_model_name_or_path = root.opt_string("base_model_name_or_path").value_or("");
  JsonView r = root.get("r");
  if (!r.present()) r.fail_here(QEFF_E_CONFIG, "is missing (required)");
  a.r = r.as_int();
  if (a.r < 1) r.fail_here(QEFF_E_CONFIG, "must be >= 1, got " + std::to_string(a.r));
  JsonView alpha = root.get("lora_alpha");
  if (!alpha.present()) alpha.fail_here(QEFF_E_CONFIG, "is missing (required)");
  a.lora_alpha = alpha.as_double();
  if (!(a.lora_alpha > 0)) alpha.fail_here(QEFF_E_CONFIG, "must be > 0, got " + alpha.describe());
  if (auto d = root.opt_double("lora_dropout")) a.lora_dropout = *d;
  JsonView targets = root.get("target_modules");
  if (!targets.present()) targets.fail_here(QEFF_E_CONFIG, "is missing (required)");
  if (targets.is_string())
    targets.fail_here(QEFF_E_UNSUPPORTED, "is a regular expression; give a list of module names");
  a.target_modules = targets.as_string_list();
  if (a.target_modules.empty()) targets.fail_here(QEFF_E_CONFIG, "is empty");
  if (auto bias = root.opt_string("bias")) a.bias = *bias;
  if (a.bias != "none")
    root.get("bias").fail_here(QEFF_E_UNSUPPORTED, "= " + quote(a.bias) + ": only \"none\" is supported");
  a.fan_in_fan_out = root.opt_bool("fan_in_fan_out").value_or(false);
  return a;
}

}  // namespace qeff::hub
