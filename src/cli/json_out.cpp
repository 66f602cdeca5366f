// Machine output (json_out.hpp).
#include "json_out.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common.hpp"

namespace qcli {

Json json_object() { return Json(cJSON_CreateObject()); }
Json json_array() { return Json(cJSON_CreateArray()); }

Json json_parse(const char *text) {
  Json j(cJSON_Parse(text ? text : ""));
  if (!j) throw Failure(QEFF_E_INTERNAL, "the library returned JSON that does not parse");
  return j;
}

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

cJSON *json_string(std::string_view text) {
  if (text.find('\0') == std::string_view::npos) return cJSON_CreateString(std::string(text).c_str());
  return cJSON_CreateRaw(json_quote(text).c_str());  // cJSON strings stop at NUL
}

namespace {

void append_float(std::string &out, float v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  out += buf;
}

}  // namespace

cJSON *json_floats(const float *values, size_t count) {
  std::string out = "[";
  for (size_t i = 0; i < count; ++i) {
    if (i) out += ',';
    append_float(out, values[i]);
  }
  out += ']';
  return cJSON_CreateRaw(out.c_str());
}

cJSON *json_float_matrix(const float *values, size_t rows, size_t cols) {
  std::string out = "[";
  for (size_t r = 0; r < rows; ++r) {
    if (r) out += ',';
    out += '[';
    for (size_t c = 0; c < cols; ++c) {
      if (c) out += ',';
      append_float(out, values[r * cols + c]);
    }
    out += ']';
  }
  out += ']';
  return cJSON_CreateRaw(out.c_str());
}

cJSON *json_ints(const int32_t *values, size_t count) {
  std::string out = "[";
  for (size_t i = 0; i < count; ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  out += ']';
  return cJSON_CreateRaw(out.c_str());
}

cJSON *json_add(cJSON *object, const char *key, cJSON *item) {
  cJSON_AddItemToObject(object, key, item);
  return item;
}
cJSON *json_add(cJSON *object, const char *key, double number) {
  return json_add(object, key, std::isfinite(number) ? cJSON_CreateNumber(number) : cJSON_CreateNull());
}
cJSON *json_add(cJSON *object, const char *key, std::string_view text) {
  return json_add(object, key, json_string(text));
}
cJSON *json_add_bool(cJSON *object, const char *key, bool value) {
  return json_add(object, key, cJSON_CreateBool(value));
}
void json_push(cJSON *array, cJSON *item) { cJSON_AddItemToArray(array, item); }

void json_print(const cJSON *document) {
  char *text = cJSON_PrintUnformatted(document);
  if (text == nullptr) throw Failure(QEFF_E_OOM, "out of memory printing JSON");
  std::fputs(text, stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  cJSON_free(text);
}

}  // namespace qcli
