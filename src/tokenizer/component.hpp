// What every tokenizer.json component parser shares: the limits and the
// nesting depth of Sequence components, plus helpers for "type" dispatch.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/json.hpp"
#include "tokenizer/limits.hpp"

namespace qeff::tokenizer {

struct ParseContext {
  const TokenizerLimits &limits;
  size_t depth = 0;  // Sequence nesting
};

// The "type" member of a component object; `kind` ("normalizer", ...) names
// the component in errors.
std::string component_type(const JsonView &v, const char *kind);

// QEFF_E_UNSUPPORTED naming the unknown type, the field and the file.
[[noreturn]] void unknown_component(const JsonView &v, const char *kind, const std::string &type);

// Enters a Sequence: QEFF_E_LIMIT past limits.nesting.
ParseContext nested(const ParseContext &ctx, const JsonView &v);

// Iteration over large objects and arrays (vocabularies, merges) straight
// over cJSON's lists: JsonView::get/at are linear lookups, so indexing them
// in a loop would be quadratic. Build a JsonView (member_view/element_view)
// only to report an error about one entry.
void for_each_member(const JsonView &v, const std::function<void(std::string_view, const cJSON *)> &fn);
void for_each_element(const JsonView &v, const std::function<void(size_t, const cJSON *)> &fn);
JsonView member_view(const JsonView &parent, std::string_view key, const cJSON *node);
JsonView element_view(const JsonView &parent, size_t index, const cJSON *node);

}  // namespace qeff::tokenizer
