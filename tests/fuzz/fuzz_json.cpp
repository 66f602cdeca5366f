// The JSON reader every config, index, tokenizer and package file goes
// through (JsonDocument::parse, cJSON underneath plus qeff's own checks).
//
// Invariants (RELIABILITY.md B2 9-12): a failure is QEFF_E_FORMAT /
// QEFF_E_LIMIT / QEFF_E_OOM naming the file. A success means the text (after
// an optional BOM) was UTF-8 without NUL bytes, nested no deeper than the cap,
// and every key and string value in the tree is valid UTF-8; no object has a
// duplicate key. Re-parse stability: printing the tree, parsing that and
// printing again gives the same text, and a required-object parse succeeds
// exactly when the top level is an object.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <cjson/cJSON.h>

#include "common/json.hpp"
#include "common/utf8.hpp"
#include "fuzz_common.hpp"

namespace {

const char kName[] = "fuzz.json";

int check_tree(const cJSON *node, int depth) {
  int deepest = depth;
  if (cJSON_IsString(node)) {
    FUZZ_CHECK(node->valuestring != nullptr && qeff::utf8_valid(node->valuestring),
               "string value is not valid UTF-8");
  }
  std::set<std::string> keys;
  for (const cJSON *c = node->child; c != nullptr; c = c->next) {
    if (cJSON_IsObject(node)) {
      FUZZ_CHECK(c->string != nullptr && qeff::utf8_valid(c->string), "object key is not valid UTF-8");
      FUZZ_CHECK(keys.insert(c->string).second, "duplicate key %s accepted", c->string);
    }
    int d = check_tree(c, depth + 1);
    if (d > deepest) deepest = d;
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), data != nullptr ? size : 0);
  for (int depth_cap : {8, 64}) {
    qeff::JsonLimits limits;
    limits.max_depth = depth_cap;
    std::optional<qeff::JsonDocument> doc;
    bool ok = qeff_fuzz::run_checked(
        "JsonDocument::parse", {QEFF_E_FORMAT, QEFF_E_LIMIT, QEFF_E_OOM},
        [&] { doc.emplace(qeff::JsonDocument::parse(text, {kName, QEFF_E_CONFIG}, limits, false)); }, kName);
    // The object-only parse agrees with the any-value parse.
    bool obj_ok = qeff_fuzz::run_checked(
        "JsonDocument::parse(require_object)", {QEFF_E_FORMAT, QEFF_E_LIMIT, QEFF_E_OOM},
        [&] { qeff::JsonDocument::parse(text, {kName, QEFF_E_CONFIG}, limits, true); }, kName);
    if (!ok) {
      FUZZ_CHECK(!obj_ok, "the object parse succeeds where the any-value parse fails");
      continue;
    }
    const cJSON *root = doc->root().raw();
    FUZZ_CHECK(root != nullptr, "parse succeeded without a root");
    FUZZ_CHECK(obj_ok == (cJSON_IsObject(root) != 0), "require_object disagrees with the top-level type");
    std::string_view body = text;
    if (body.size() >= 3 && body.substr(0, 3) == "\xef\xbb\xbf") body.remove_prefix(3);
    FUZZ_CHECK(qeff::utf8_valid(body), "invalid UTF-8 accepted");
    FUZZ_CHECK(body.find('\0') == std::string_view::npos, "NUL byte accepted");
    int deepest = check_tree(root, cJSON_IsObject(root) || cJSON_IsArray(root) ? 1 : 0);
    FUZZ_CHECK(deepest <= depth_cap + 1, "nesting %d above the cap %d accepted", deepest, depth_cap);

    // Re-parse stability.
    std::string printed = doc->root().to_json();
    qeff::JsonLimits big;
    big.max_depth = 1000;
    std::optional<qeff::JsonDocument> again;
    bool ok2 = qeff_fuzz::run_checked("re-parse", {}, [&] {
      again.emplace(qeff::JsonDocument::parse(printed, {kName, QEFF_E_CONFIG}, big, false));
    });
    FUZZ_CHECK(ok2, "the printed form of an accepted document does not parse again: %s", printed.c_str());
    std::string printed2 = again->root().to_json();
    FUZZ_CHECK(printed == printed2, "printing is not stable:\n  %s\n  %s", printed.c_str(), printed2.c_str());
  }
  return 0;
}
