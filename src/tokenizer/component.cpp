#include "tokenizer/component.hpp"

#include <cjson/cJSON.h>

#include "common/error.hpp"

namespace qeff::tokenizer {

std::string component_type(const JsonView &v, const char *kind) {
  if (!v.is_object()) v.type_error((std::string("a ") + kind + " object").c_str());
  JsonView t = v.get("type");
  if (!t.present()) v.fail_here(QEFF_E_FORMAT, std::string("is a ") + kind + " without a \"type\"");
  return t.as_string();
}

void unknown_component(const JsonView &v, const char *kind, const std::string &type) {
  v.get("type").fail_here(QEFF_E_UNSUPPORTED,
                          std::string("names an unsupported ") + kind + " type " + quote(type));
}

ParseContext nested(const ParseContext &ctx, const JsonView &v) {
  if (ctx.depth + 1 > ctx.limits.nesting)
    v.fail_here(QEFF_E_LIMIT, "nests Sequence components deeper than the limit of " +
                                  std::to_string(ctx.limits.nesting));
  return ParseContext{ctx.limits, ctx.depth + 1};
}

void for_each_member(const JsonView &v, const std::function<void(std::string_view, const cJSON *)> &fn) {
  if (!v.is_object()) v.type_error("an object");
  for (const cJSON *c = v.raw()->child; c != nullptr; c = c->next) fn(c->string ? c->string : "", c);
}

void for_each_element(const JsonView &v, const std::function<void(size_t, const cJSON *)> &fn) {
  if (!v.is_array()) v.type_error("an array");
  size_t i = 0;
  for (const cJSON *c = v.raw()->child; c != nullptr; c = c->next) fn(i++, c);
}

JsonView member_view(const JsonView &parent, std::string_view key, const cJSON *node) {
  return JsonView(node, &parent.origin(), parent.path() + "." + std::string(key));
}

JsonView element_view(const JsonView &parent, size_t index, const cJSON *node) {
  return JsonView(node, &parent.origin(), parent.path() + "[" + std::to_string(index) + "]");
}

}  // namespace qeff::tokenizer
