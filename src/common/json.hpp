// JSON documents read from untrusted files (cJSON underneath), with the checks
// cJSON does not make: size and nesting caps before parsing, UTF-8 validation,
// BOM handling, duplicate keys, line/column in errors, and typed accessors whose
// errors name the file, the field path, the expected type and the value found.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qeff/qeff.h"

struct cJSON;

namespace qeff {

struct JsonLimits {
  uint64_t max_bytes = 128u << 20;
  int max_depth = 64;
};

// Where a document came from, and which status its semantic errors carry:
// config files report wrong types as QEFF_E_CONFIG, binary-format headers
// (safetensors) as QEFF_E_FORMAT.
struct JsonOrigin {
  std::string name;  // shown in messages (usually the file path)
  qeff_status type_error = QEFF_E_CONFIG;
  const char *key_kind = "key";  // how duplicate object keys are named in errors
};

class JsonView;

class JsonDocument {
 public:
  // Parses `text`. Throws QEFF_E_LIMIT (size, depth), QEFF_E_FORMAT (UTF-16,
  // invalid UTF-8, syntax with line:column, duplicate keys, not an object when
  // `require_object`), QEFF_E_OOM.
  static JsonDocument parse(std::string_view text, JsonOrigin origin, const JsonLimits &limits,
                            bool require_object = true);

  JsonDocument(JsonDocument &&) noexcept;
  JsonDocument &operator=(JsonDocument &&) noexcept;
  ~JsonDocument();

  JsonView root() const;
  const JsonOrigin &origin() const { return *origin_; }

 private:
  JsonDocument() = default;
  cJSON *root_ = nullptr;
  std::unique_ptr<JsonOrigin> origin_;
};

// A borrowed view of one JSON value inside a JsonDocument, with its path for
// messages. A view of an absent member is valid and reports !present().
class JsonView {
 public:
  JsonView(const cJSON *node, const JsonOrigin *origin, std::string path)
      : node_(node), origin_(origin), path_(std::move(path)) {}

  // Present means: the member exists and is not JSON null (null == absent, B2.16).
  bool present() const;
  bool is_object() const;
  bool is_array() const;
  bool is_string() const;
  bool is_number() const;
  bool is_bool() const;
  const std::string &path() const { return path_; }
  const cJSON *raw() const { return node_; }
  const JsonOrigin &origin() const { return *origin_; }

  JsonView get(std::string_view key) const;  // member of an object (absent if not an object)
  JsonView at(size_t index) const;           // element of an array
  size_t size() const;                       // members/elements; 0 for scalars
  std::vector<std::string> keys() const;     // object member names, in file order
  std::string describe() const;              // e.g. `string "32"`, `number 32.5`, `array`

  // Conversions of this value; throw origin().type_error naming path and value.
  int64_t as_int(int64_t lo = INT64_MIN, int64_t hi = INT64_MAX) const;
  double as_double() const;  // finite only
  double as_number_unbounded() const;  // any JSON number, including 1e400 (= inf)
  bool as_bool() const;
  std::string as_string() const;
  std::vector<int64_t> as_int_list(int64_t lo = INT64_MIN, int64_t hi = INT64_MAX) const;
  std::vector<std::string> as_string_list() const;

  // Optional members: nullopt when absent or null.
  std::optional<int64_t> opt_int(std::string_view key, int64_t lo = INT64_MIN,
                                 int64_t hi = INT64_MAX) const;
  std::optional<double> opt_double(std::string_view key) const;
  std::optional<bool> opt_bool(std::string_view key) const;
  std::optional<std::string> opt_string(std::string_view key) const;

  // Serialize this value back to compact JSON text; a number is the shortest
  // text that reads back as the same double (non-finite: null), so the text
  // parses back to the same values.
  std::string to_json() const;

  [[noreturn]] void fail_here(qeff_status status, const std::string &what) const;
  [[noreturn]] void type_error(const char *expected) const;

 private:
  const cJSON *node_;
  const JsonOrigin *origin_;
  std::string path_;
};

}  // namespace qeff
