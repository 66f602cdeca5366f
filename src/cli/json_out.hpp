// Machine output of the qeff command line (--json, JSON lines): cJSON
// documents printed on one line. Strings with embedded NULs and float
// matrices are emitted as pre-escaped raw JSON (cJSON strings stop at NUL;
// floats print with 9 significant digits, enough to round-trip float32).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <cjson/cJSON.h>

namespace qcli {

struct JsonDeleter {
  void operator()(cJSON *j) const { cJSON_Delete(j); }
};
using Json = std::unique_ptr<cJSON, JsonDeleter>;

Json json_object();
Json json_array();
// Parse JSON text the library produced (stats, program info); throws Failure on garbage.
Json json_parse(const char *text);

// JSON string literal for `text` (UTF-8; NUL and control bytes escaped).
std::string json_quote(std::string_view text);
// A string node (a raw one when `text` holds NUL bytes).
cJSON *json_string(std::string_view text);
// Raw nodes (add with cJSON_AddItemToObject / cJSON_AddItemToArray).
cJSON *json_floats(const float *values, size_t count);  // NaN/Inf become null
cJSON *json_float_matrix(const float *values, size_t rows, size_t cols);
cJSON *json_ints(const int32_t *values, size_t count);

// Add helpers returning the added item.
cJSON *json_add(cJSON *object, const char *key, cJSON *item);
cJSON *json_add(cJSON *object, const char *key, double number);
cJSON *json_add(cJSON *object, const char *key, std::string_view text);
cJSON *json_add_bool(cJSON *object, const char *key, bool value);
void json_push(cJSON *array, cJSON *item);

// Print on one line to stdout (with a newline) and flush.
void json_print(const cJSON *document);

}  // namespace qcli
