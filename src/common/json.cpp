#include "common/json.hpp"

#include <cjson/cJSON.h>

#include <cmath>
#include <cstring>
#include <sstream>
#include <unordered_set>

#include "common/checked.hpp"
#include "common/error.hpp"
#include "common/json_writer.hpp"
#include "common/utf8.hpp"

namespace qeff {
namespace {

std::string line_col(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

// A parsed tree as compact JSON (nesting bounded by the parser's
// max_depth), through JsonWriter rather than cJSON_PrintUnformatted: cJSON
// keeps 15 digits of a number when they come within a relative epsilon of
// it, so 42222221669573810 printed back as 42222221669573800. An integral
// number is written as its integer digits (below 1e18: 500000, not 5e+05),
// any other as JsonWriter's shortest round-trip text, a non-finite one as
// null. (The document's strings are valid UTF-8: parse checks the text and
// cJSON refuses unpaired surrogate escapes.)
void print_json(const cJSON *n, JsonWriter &w) {
  if (cJSON_IsNumber(n)) {
    const double v = n->valuedouble;
    if (!std::isfinite(v))
      w.null();
    else if (std::trunc(v) == v && std::fabs(v) < 1e18)
      w.value(static_cast<int64_t>(v));
    else
      w.value(v);
  } else if (cJSON_IsString(n)) {
    w.value(n->valuestring);
  } else if (cJSON_IsArray(n) || cJSON_IsObject(n)) {
    const bool object = cJSON_IsObject(n);
    object ? w.begin_object() : w.begin_array();
    for (const cJSON *c = n->child; c != nullptr; c = c->next) {
      if (object) w.key(c->string);
      print_json(c, w);
    }
    object ? w.end_object() : w.end_array();
  } else if (cJSON_IsBool(n)) {
    w.value(cJSON_IsTrue(n) != 0);
  } else {
    w.null();
  }
}

// Rejects nesting deeper than max_depth before cJSON recurses into it, and the
// bytes cJSON wrongly accepts: raw control characters inside strings, and
// control or non-ASCII bytes (e.g. a second BOM) outside them.
void check_depth(std::string_view text, int max_depth, const JsonOrigin &origin) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    unsigned char u = static_cast<unsigned char>(c);
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      else if (u < 0x20)
        fail(QEFF_E_FORMAT, origin.name + ": unescaped control character " +
                                quote(text.substr(i, 1)) + " inside a string at " + line_col(text, i));
      continue;
    }
    if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u >= 0x80)
      fail(QEFF_E_FORMAT, origin.name + ": invalid JSON at " + line_col(text, i) +
                              ": unexpected byte " + quote(text.substr(i, 1)));
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        fail(QEFF_E_LIMIT, origin.name + ": JSON nesting deeper than " + std::to_string(max_depth) +
                               " levels at " + line_col(text, i) + " (limits.json_depth)");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// Objects with the same key twice are ambiguous: always an error.
void check_duplicates(const cJSON *root, const JsonOrigin &origin) {
  struct Item {
    const cJSON *node;
    std::string path;
  };
  std::vector<Item> stack{{root, ""}};
  while (!stack.empty()) {
    Item item = std::move(stack.back());
    stack.pop_back();
    const cJSON *n = item.node;
    if (cJSON_IsObject(n)) {
      std::unordered_set<std::string_view> seen;
      for (const cJSON *c = n->child; c != nullptr; c = c->next) {
        std::string_view k = c->string != nullptr ? c->string : "";
        if (!seen.insert(k).second)
          fail(QEFF_E_FORMAT, origin.name + ": duplicate " + origin.key_kind + " " + quote(k) +
                                  (item.path.empty() ? "" : " in " + quote(item.path)));
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
          stack.push_back({c, item.path.empty() ? std::string(k) : item.path + "." + std::string(k)});
      }
    } else if (cJSON_IsArray(n)) {
      size_t i = 0;
      for (const cJSON *c = n->child; c != nullptr; c = c->next, ++i)
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
          stack.push_back({c, item.path + "." + std::to_string(i)});
    }
  }
}

const char *kind_name(const cJSON *n) {
  if (n == nullptr) return "nothing";
  if (cJSON_IsObject(n)) return "an object";
  if (cJSON_IsArray(n)) return "an array";
  if (cJSON_IsString(n)) return "a string";
  if (cJSON_IsNumber(n)) return "a number";
  if (cJSON_IsBool(n)) return "a bool";
  if (cJSON_IsNull(n)) return "null";
  return "an invalid value";
}

}  // namespace

JsonDocument JsonDocument::parse(std::string_view text, JsonOrigin origin, const JsonLimits &limits,
                                 bool require_object) {
  if (text.size() > limits.max_bytes)
    fail(QEFF_E_LIMIT, origin.name + ": JSON file of " + std::to_string(text.size()) +
                           " bytes exceeds limits.json_bytes = " + std::to_string(limits.max_bytes));
  if (text.size() >= 2 && ((static_cast<unsigned char>(text[0]) == 0xff &&
                            static_cast<unsigned char>(text[1]) == 0xfe) ||
                           (static_cast<unsigned char>(text[0]) == 0xfe &&
                            static_cast<unsigned char>(text[1]) == 0xff)))
    fail(QEFF_E_FORMAT, origin.name + ": UTF-16 JSON is not supported (expected UTF-8)");
  if (text.size() >= 3 && text.substr(0, 3) == "\xef\xbb\xbf") text.remove_prefix(3);
  size_t bad = utf8_first_invalid(text);
  if (bad != text.size())
    fail(QEFF_E_FORMAT, origin.name + ": invalid UTF-8 at byte " + std::to_string(bad) + " (" +
                            line_col(text, bad) + ")");
  if (!text.empty() && std::memchr(text.data(), '\0', text.size()) != nullptr)  // memchr(NULL, ...) is UB
    fail(QEFF_E_FORMAT, origin.name + ": NUL byte inside JSON");
  check_depth(text, limits.max_depth, origin);

  const char *end = nullptr;
  cJSON *root = cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false);
  if (root == nullptr) {
    size_t off = end != nullptr && end >= text.data() ? static_cast<size_t>(end - text.data()) : 0;
    if (off >= text.size())
      fail(QEFF_E_FORMAT, origin.name + ": truncated or empty JSON (" + line_col(text, off) + ")");
    fail(QEFF_E_FORMAT, origin.name + ": invalid JSON at " + line_col(text, off));
  }
  JsonDocument doc;
  doc.root_ = root;
  doc.origin_ = std::make_unique<JsonOrigin>(std::move(origin));
  size_t off = static_cast<size_t>(end - text.data());
  while (off < text.size() && std::strchr(" \t\r\n", text[off]) != nullptr) ++off;
  if (off != text.size())
    fail(QEFF_E_FORMAT, doc.origin_->name + ": unexpected data after the JSON value at " +
                            line_col(text, off));
  if (require_object && !cJSON_IsObject(root))
    fail(QEFF_E_FORMAT, doc.origin_->name + ": expected a JSON object at the top level, got " +
                            kind_name(root));
  check_duplicates(root, *doc.origin_);
  return doc;
}

JsonDocument::JsonDocument(JsonDocument &&o) noexcept
    : root_(o.root_), origin_(std::move(o.origin_)) {
  o.root_ = nullptr;
}

JsonDocument &JsonDocument::operator=(JsonDocument &&o) noexcept {
  if (this != &o) {
    cJSON_Delete(root_);
    root_ = o.root_;
    origin_ = std::move(o.origin_);
    o.root_ = nullptr;
  }
  return *this;
}

JsonDocument::~JsonDocument() { cJSON_Delete(root_); }

JsonView JsonDocument::root() const { return JsonView(root_, origin_.get(), ""); }

bool JsonView::present() const { return node_ != nullptr && !cJSON_IsNull(node_); }
bool JsonView::is_object() const { return cJSON_IsObject(node_); }
bool JsonView::is_array() const { return cJSON_IsArray(node_); }
bool JsonView::is_string() const { return cJSON_IsString(node_); }
bool JsonView::is_number() const { return cJSON_IsNumber(node_); }
bool JsonView::is_bool() const { return cJSON_IsBool(node_); }

JsonView JsonView::get(std::string_view key) const {
  std::string p = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (!cJSON_IsObject(node_)) return JsonView(nullptr, origin_, p);
  for (const cJSON *c = node_->child; c != nullptr; c = c->next)
    if (c->string != nullptr && key == c->string) return JsonView(c, origin_, p);
  return JsonView(nullptr, origin_, p);
}

JsonView JsonView::at(size_t index) const {
  std::string p = path_ + "[" + std::to_string(index) + "]";
  if (!cJSON_IsArray(node_)) return JsonView(nullptr, origin_, p);
  size_t i = 0;
  for (const cJSON *c = node_->child; c != nullptr; c = c->next, ++i)
    if (i == index) return JsonView(c, origin_, p);
  return JsonView(nullptr, origin_, p);
}

size_t JsonView::size() const {
  if (!cJSON_IsObject(node_) && !cJSON_IsArray(node_)) return 0;
  size_t n = 0;
  for (const cJSON *c = node_->child; c != nullptr; c = c->next) ++n;
  return n;
}

std::vector<std::string> JsonView::keys() const {
  std::vector<std::string> k;
  if (cJSON_IsObject(node_))
    for (const cJSON *c = node_->child; c != nullptr; c = c->next) k.emplace_back(c->string);
  return k;
}

std::string JsonView::describe() const {
  const cJSON *n = node_;
  if (n == nullptr) return "nothing";
  if (cJSON_IsString(n)) return "string " + quote(n->valuestring, 60);
  if (cJSON_IsNumber(n)) {
    std::ostringstream s;
    s.precision(17);
    s << "number " << n->valuedouble;
    return s.str();
  }
  if (cJSON_IsBool(n)) return cJSON_IsTrue(n) ? "true" : "false";
  return kind_name(n);
}

void JsonView::fail_here(qeff_status status, const std::string &what) const {
  fail(status, origin_->name + ": field " + quote(path_.empty() ? "<root>" : path_) + " " + what);
}

void JsonView::type_error(const char *expected) const {
  fail_here(origin_->type_error, std::string("must be ") + expected + ", got " + describe());
}

int64_t JsonView::as_int(int64_t lo, int64_t hi) const {
  if (!cJSON_IsNumber(node_)) type_error("an integer");
  double v = node_->valuedouble;
  if (!std::isfinite(v) || std::trunc(v) != v) type_error("an integer");
  auto i = double_to_int(v, lo, hi);
  if (!i) {
    std::ostringstream s;
    s << "= " << to_json() << " is out of range [" << lo << ", " << hi << "]";
    fail_here(origin_->type_error, s.str());
  }
  return *i;
}

double JsonView::as_double() const {
  if (!cJSON_IsNumber(node_)) type_error("a number");
  if (!std::isfinite(node_->valuedouble)) type_error("a finite number");
  return node_->valuedouble;
}

double JsonView::as_number_unbounded() const {
  if (!cJSON_IsNumber(node_)) type_error("a number");
  return node_->valuedouble;
}

bool JsonView::as_bool() const {
  if (!cJSON_IsBool(node_)) type_error("true or false");
  return cJSON_IsTrue(node_);
}

std::string JsonView::as_string() const {
  if (!cJSON_IsString(node_) || node_->valuestring == nullptr) type_error("a string");
  return node_->valuestring;
}

std::vector<int64_t> JsonView::as_int_list(int64_t lo, int64_t hi) const {
  if (!cJSON_IsArray(node_)) type_error("an array of integers");
  std::vector<int64_t> out;
  for (size_t i = 0, n = size(); i < n; ++i) out.push_back(at(i).as_int(lo, hi));
  return out;
}

std::vector<std::string> JsonView::as_string_list() const {
  if (!cJSON_IsArray(node_)) type_error("an array of strings");
  std::vector<std::string> out;
  size_t i = 0;
  for (const cJSON *c = node_->child; c != nullptr; c = c->next, ++i)
    out.push_back(JsonView(c, origin_, path_ + "[" + std::to_string(i) + "]").as_string());
  return out;
}

std::optional<int64_t> JsonView::opt_int(std::string_view key, int64_t lo, int64_t hi) const {
  JsonView v = get(key);
  if (!v.present()) return std::nullopt;
  return v.as_int(lo, hi);
}

std::optional<double> JsonView::opt_double(std::string_view key) const {
  JsonView v = get(key);
  if (!v.present()) return std::nullopt;
  return v.as_double();
}

std::optional<bool> JsonView::opt_bool(std::string_view key) const {
  JsonView v = get(key);
  if (!v.present()) return std::nullopt;
  return v.as_bool();
}

std::optional<std::string> JsonView::opt_string(std::string_view key) const {
  JsonView v = get(key);
  if (!v.present()) return std::nullopt;
  return v.as_string();
}

std::string JsonView::to_json() const {
  if (node_ == nullptr) return "null";
  JsonWriter w(/*pretty=*/false);
  print_json(node_, w);
  return w.take();
}

}  // namespace qeff
