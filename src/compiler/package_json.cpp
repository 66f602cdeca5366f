// JSON (de)serialization of program packages: manifest.json, plan.json and
// specializations.json (docs/package.md). Parsing here checks types only;
// ranges and cross-references are checked by check_program()
// (package_check.cpp), which the writer runs too, so that qeff never writes a
// package it would refuse to read.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <variant>

#include "common/checked.hpp"
#include "common/digest.hpp"
#include "common/dtype.hpp"
#include "common/error.hpp"
#include "common/json_writer.hpp"
#include "compiler/package_format.hpp"

namespace qeff::compiler::package_detail {
namespace {

using graph::AttributeValue;
using graph::ConstTensor;
using graph::Dim;
using graph::Shape;
using graph::TensorType;

// cJSON holds numbers as doubles: integers beyond 2^53 are written as decimal
// strings so that they survive (e.g. INT64_MAX in Slice-style attributes).
constexpr int64_t kMaxExactInt = int64_t{1} << 53;

// On-disk names of placements, pinned by the format (independent of any
// display name the compiler uses).
constexpr const char *kPlacementNames[] = {"input", "state", "constant", "arena", "alias"};
constexpr Placement kPlacements[] = {Placement::input, Placement::state, Placement::constant, Placement::arena,
                                     Placement::alias};

// Attribute variant alternatives, in AttributeValue's order.
constexpr const char *kAttributeTypes[] = {"int", "float", "string", "ints", "floats", "strings", "tensor"};
static_assert(std::size(kAttributeTypes) == std::variant_size_v<AttributeValue>);

const std::string kDigestPlaceholder = std::string(kDigestPrefix) + std::string(kDigestHexDigits, '0');

// --- writing ---------------------------------------------------------------

void put_int(JsonWriter &w, int64_t v) {
  if (v >= -kMaxExactInt && v <= kMaxExactInt) w.value(v);
  else w.value(std::to_string(v));
}

void put_uint(JsonWriter &w, uint64_t v) {
  if (v <= static_cast<uint64_t>(kMaxExactInt)) w.value(v);
  else w.value(std::to_string(v));
}

// Non-finite doubles have no JSON number: "inf", "-inf", or "nan:0x<bits>"
// (the NaN's exact bits).
void put_double(JsonWriter &w, double v) {
  if (std::isfinite(v)) {
    w.value(v);
  } else if (std::isinf(v)) {
    w.value(v > 0 ? "inf" : "-inf");
  } else {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    char buf[32];
    std::snprintf(buf, sizeof buf, "nan:0x%016llx", static_cast<unsigned long long>(bits));
    w.value(buf);
  }
}

void put_hex(JsonWriter &w, const std::vector<uint8_t> &bytes) {
  static const char hex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  w.value(s);
}

void put_fixed_shape(JsonWriter &w, const Shape &shape) {
  w.begin_array(true);
  for (const auto &d : shape) put_int(w, d.value);
  w.end_array();
}

// A signature shape: a symbol is written as its name, a fixed dim as a number.
void put_shape(JsonWriter &w, const Shape &shape) {
  w.begin_array(true);
  for (const auto &d : shape) {
    if (d.is_symbolic()) w.value(d.symbol);
    else put_int(w, d.value);
  }
  w.end_array();
}

void put_specialization(JsonWriter &w, const Specialization &s) {
  w.begin_object(true).key("name").value(s.name).key("symbols").begin_object(true);
  for (const auto &[k, v] : s.symbols) put_int(w.key(k), v);
  w.end_object().end_object();
}

void put_options(JsonWriter &w, const CompileOptions &o) {
  // Keys in sorted order: this object is also the canonical option text.
  w.begin_object();
  w.key("dequantize_int4").value(o.dequantize_int4);
  w.key("fuse").value(o.fuse);
  // Only when not the default, so the option text (and cache keys) of
  // programs that do not set it stay as earlier builds wrote them.
  if (o.int4_group != 32) put_int(w.key("int4_group"), o.int4_group);
  w.key("specializations").begin_array();
  for (const auto &s : o.specializations) put_specialization(w, s);
  w.end_array();
  w.key("target").value(o.target);
  w.key("weight_dtype").value(dtype_name(o.weight_dtype));
  w.end_object();
}

void put_signature(JsonWriter &w, const std::vector<graph::ValueInfo> &values) {
  w.begin_array();
  for (const auto &v : values) {
    w.begin_object(true).key("name").value(v.name).key("dtype").value(dtype_name(v.type.dtype)).key("shape");
    put_shape(w, v.type.shape);
    w.end_object();
  }
  w.end_array();
}

void put_attribute(JsonWriter &w, const graph::Attribute &a) {
  w.begin_object(true).key("name").value(a.name).key("type").value(kAttributeTypes[a.value.index()]);
  std::visit(
      [&](const auto &v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          put_int(w.key("value"), v);
        } else if constexpr (std::is_same_v<T, double>) {
          put_double(w.key("value"), v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          w.key("value").value(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          w.key("value").begin_array(true);
          for (int64_t x : v) put_int(w, x);
          w.end_array();
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          w.key("value").begin_array(true);
          for (double x : v) put_double(w, x);
          w.end_array();
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          w.key("value").begin_array(true);
          for (const auto &x : v) w.value(x);
          w.end_array();
        } else {
          w.key("dtype").value(dtype_name(v.type.dtype)).key("shape");
          put_fixed_shape(w, v.type.shape);
          put_hex(w.key("hex"), v.bytes);
        }
      },
      a.value);
  w.end_object();
}

void put_ids(JsonWriter &w, const std::vector<int32_t> &ids) {
  w.begin_array(true);
  for (int32_t id : ids) w.value(static_cast<int64_t>(id));
  w.end_array();
}

void put_plan(JsonWriter &w, const Plan &plan) {
  w.begin_object();
  w.key("spec");
  put_specialization(w, plan.spec);
  put_uint(w.key("arena_bytes"), plan.arena_bytes);
  put_ids(w.key("inputs"), plan.inputs);
  put_ids(w.key("outputs"), plan.outputs);
  w.key("state_writes").begin_array(true);
  for (const auto &[value, state] : plan.state_writes)
    w.begin_array(true).value(static_cast<int64_t>(value)).value(static_cast<int64_t>(state)).end_array();
  w.end_array();
  w.key("values").begin_array();
  for (const auto &v : plan.values) {
    w.begin_object(true).key("name").value(v.name).key("dtype").value(dtype_name(v.type.dtype)).key("shape");
    put_fixed_shape(w, v.type.shape);
    w.key("placement").value(kPlacementNames[static_cast<size_t>(v.placement)]);
    w.key("index").value(static_cast<int64_t>(v.index));
    put_uint(w.key("offset"), v.offset);
    w.end_object();
  }
  w.end_array();
  w.key("steps").begin_array();
  for (const auto &s : plan.steps) {
    w.begin_object(true);
    w.key("op").value(s.node.op_type).key("domain").value(s.node.domain).key("name").value(s.node.name);
    put_int(w.key("opset"), s.opset);
    put_ids(w.key("inputs"), s.inputs);
    put_ids(w.key("outputs"), s.outputs);
    put_uint(w.key("workspace_offset"), s.workspace_offset);
    put_uint(w.key("workspace_bytes"), s.workspace_bytes);
    w.key("attributes").begin_array(true);
    for (const auto &a : s.node.attributes) put_attribute(w, a);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

// --- reading ---------------------------------------------------------------

JsonView need(const JsonView &obj, std::string_view key) {
  JsonView v = obj.get(key);
  if (!v.present()) v.fail_here(QEFF_E_FORMAT, "is missing");
  return v;
}

JsonView need_array(const JsonView &obj, std::string_view key) {
  JsonView v = need(obj, key);
  if (!v.is_array()) v.type_error("an array");
  return v;
}

JsonView need_object(const JsonView &obj, std::string_view key) {
  JsonView v = need(obj, key);
  if (!v.is_object()) v.type_error("an object");
  return v;
}

// A number, or a decimal string for magnitudes beyond 2^53 (see put_int).
int64_t get_int(const JsonView &v, int64_t lo = INT64_MIN, int64_t hi = INT64_MAX) {
  int64_t x = 0;
  if (v.is_string()) {
    std::string s = v.as_string();
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      v.type_error("an integer (a number, or a decimal string beyond 2^53)");
  } else {
    if (!v.is_number()) v.type_error("an integer");
    x = v.as_int();
  }
  if (x < lo || x > hi)
    v.fail_here(QEFF_E_FORMAT, "= " + std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
  return x;
}

uint64_t get_uint(const JsonView &v) {
  uint64_t x = 0;
  if (v.is_string()) {
    std::string s = v.as_string();
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      v.type_error("a non-negative integer (a number, or a decimal string beyond 2^53)");
    return x;
  }
  if (!v.is_number()) v.type_error("a non-negative integer");
  return static_cast<uint64_t>(v.as_int(0, INT64_MAX));
}

int32_t get_id(const JsonView &v) { return static_cast<int32_t>(get_int(v, INT32_MIN, INT32_MAX)); }

double get_double(const JsonView &v) {
  if (v.is_number()) return v.as_double();
  if (!v.is_string()) v.type_error("a number, \"inf\", \"-inf\" or \"nan:0x<16 hex digits>\"");
  std::string s = v.as_string();
  if (s == "inf") return HUGE_VAL;
  if (s == "-inf") return -HUGE_VAL;
  uint64_t bits = 0;
  if (s.size() == 22 && s.compare(0, 6, "nan:0x") == 0) {
    auto r = std::from_chars(s.data() + 6, s.data() + s.size(), bits, 16);
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isnan(d)) return d;
  }
  v.type_error("a number, \"inf\", \"-inf\" or \"nan:0x<16 hex digits>\" (the bits of a NaN)");
}

qeff_dtype get_dtype(const JsonView &v) {
  std::string name = v.as_string();
  auto d = dtype_from_name(name);
  if (!d) v.fail_here(QEFF_E_FORMAT, "= " + quote(name) + " is not a known element type");
  return *d;
}

void check_rank(const JsonView &v, uint64_t max_rank) {
  if (!v.is_array()) v.type_error("an array of dimensions");
  if (v.size() > max_rank)
    v.fail_here(QEFF_E_LIMIT, "has rank " + std::to_string(v.size()) + "; the limit is " +
                                  std::to_string(max_rank) + " (PackageReadOptions::max_rank)");
}

Shape get_fixed_shape(const JsonView &v, uint64_t max_rank) {
  check_rank(v, max_rank);
  Shape s;
  for (size_t i = 0, n = v.size(); i < n; ++i) s.push_back(Dim::fixed(get_int(v.at(i))));
  return s;
}

Shape get_shape(const JsonView &v, uint64_t max_rank) {
  check_rank(v, max_rank);
  Shape s;
  for (size_t i = 0, n = v.size(); i < n; ++i) {
    JsonView d = v.at(i);
    if (!d.is_string()) {
      s.push_back(Dim::fixed(get_int(d)));
      continue;
    }
    std::string symbol = d.as_string();
    if (symbol.empty()) d.fail_here(QEFF_E_FORMAT, "is an empty symbol name");
    s.push_back(Dim::sym(std::move(symbol)));
  }
  return s;
}

Specialization get_specialization(const JsonView &v) {
  if (!v.is_object()) v.type_error("an object");
  Specialization s;
  s.name = need(v, "name").as_string();
  JsonView symbols = need_object(v, "symbols");
  for (const auto &k : symbols.keys()) s.symbols[k] = get_int(symbols.get(k));
  return s;
}

std::vector<graph::ValueInfo> get_signature(const JsonView &v, uint64_t max_rank) {
  std::vector<graph::ValueInfo> out;
  for (size_t i = 0, n = v.size(); i < n; ++i) {
    JsonView e = v.at(i);
    out.push_back({need(e, "name").as_string(), {get_dtype(need(e, "dtype")), get_shape(need(e, "shape"), max_rank)}});
  }
  return out;
}

std::vector<uint8_t> get_hex(const JsonView &v) {
  std::string s = v.as_string();
  auto digit = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (s.size() % 2 != 0) v.fail_here(QEFF_E_FORMAT, "has an odd number of hex digits (" + std::to_string(s.size()) + ")");
  std::vector<uint8_t> out(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = digit(s[2 * i]), lo = digit(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      v.fail_here(QEFF_E_FORMAT, "has a character that is not a hex digit at offset " + std::to_string(2 * i));
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return out;
}

graph::Attribute get_attribute(const JsonView &v, uint64_t max_rank) {
  graph::Attribute a;
  a.name = need(v, "name").as_string();
  JsonView type = need(v, "type");
  std::string t = type.as_string();
  auto list = [&](auto get) {
    JsonView value = need_array(v, "value");
    std::vector<decltype(get(value))> out;
    for (size_t i = 0, n = value.size(); i < n; ++i) out.push_back(get(value.at(i)));
    return out;
  };
  if (t == "int") a.value = get_int(need(v, "value"));
  else if (t == "float") a.value = get_double(need(v, "value"));
  else if (t == "string") a.value = need(v, "value").as_string();
  else if (t == "ints") a.value = list([](const JsonView &e) { return get_int(e); });
  else if (t == "floats") a.value = list([](const JsonView &e) { return get_double(e); });
  else if (t == "strings") a.value = list([](const JsonView &e) { return e.as_string(); });
  else if (t == "tensor")
    a.value = ConstTensor{{get_dtype(need(v, "dtype")), get_fixed_shape(need(v, "shape"), max_rank)},
                          get_hex(need(v, "hex"))};
  else
    type.fail_here(QEFF_E_FORMAT, "= " + quote(t) + " is not an attribute type (int, float, string, ints, floats, "
                                                    "strings, tensor)");
  return a;
}

std::vector<int32_t> get_ids(const JsonView &v) {
  if (!v.is_array()) v.type_error("an array of value ids");
  std::vector<int32_t> out;
  for (size_t i = 0, n = v.size(); i < n; ++i) out.push_back(get_id(v.at(i)));
  return out;
}

Plan get_plan(const JsonView &v, uint64_t max_rank) {
  if (!v.is_object()) v.type_error("an object");
  Plan plan;
  plan.spec = get_specialization(need(v, "spec"));
  plan.arena_bytes = get_uint(need(v, "arena_bytes"));
  plan.inputs = get_ids(need(v, "inputs"));
  plan.outputs = get_ids(need(v, "outputs"));
  JsonView writes = need_array(v, "state_writes");
  for (size_t i = 0, n = writes.size(); i < n; ++i) {
    JsonView pair = writes.at(i);
    if (!pair.is_array() || pair.size() != 2) pair.type_error("a [value id, state index] pair");
    plan.state_writes.emplace_back(get_id(pair.at(0)), get_id(pair.at(1)));
  }
  JsonView values = need_array(v, "values");
  plan.values.reserve(values.size());
  for (size_t i = 0, n = values.size(); i < n; ++i) {
    JsonView e = values.at(i);
    PlannedValue pv;
    pv.name = need(e, "name").as_string();
    pv.type = {get_dtype(need(e, "dtype")), get_fixed_shape(need(e, "shape"), max_rank)};
    JsonView placement = need(e, "placement");
    std::string p = placement.as_string();
    size_t k = 0;
    while (k < std::size(kPlacementNames) && p != kPlacementNames[k]) ++k;
    if (k == std::size(kPlacementNames))
      placement.fail_here(QEFF_E_FORMAT, "= " + quote(p) + " is not a placement (input, state, constant, arena, alias)");
    pv.placement = kPlacements[k];
    pv.index = get_id(need(e, "index"));
    pv.offset = get_uint(need(e, "offset"));
    plan.values.push_back(std::move(pv));
  }
  JsonView steps = need_array(v, "steps");
  plan.steps.reserve(steps.size());
  for (size_t i = 0, n = steps.size(); i < n; ++i) {
    JsonView e = steps.at(i);
    Step s;
    s.node.op_type = need(e, "op").as_string();
    s.node.domain = need(e, "domain").as_string();
    s.node.name = need(e, "name").as_string();
    s.opset = get_int(need(e, "opset"));
    s.inputs = get_ids(need(e, "inputs"));
    s.outputs = get_ids(need(e, "outputs"));
    s.workspace_offset = get_uint(need(e, "workspace_offset"));
    s.workspace_bytes = get_uint(need(e, "workspace_bytes"));
    JsonView attrs = need_array(e, "attributes");
    for (size_t j = 0, m = attrs.size(); j < m; ++j) s.node.attributes.push_back(get_attribute(attrs.at(j), max_rank));
    plan.steps.push_back(std::move(s));
  }
  return plan;
}

}  // namespace

std::vector<ConstantLayout> layout_constants(const Program &p, uint64_t *total) {
  std::vector<ConstantLayout> layout;
  uint64_t end = 0;
  for (size_t i = 0; i < p.constants.size(); ++i) {
    uint64_t size = p.constants[i].data.size();
    auto padded = checked_add<uint64_t>(end, kWeightAlignment - 1);
    auto next = padded ? checked_add<uint64_t>(*padded / kWeightAlignment * kWeightAlignment, size) : std::nullopt;
    if (!next) fail(QEFF_E_INVALID_ARGUMENT, "the program's constants exceed 2^64 bytes");
    layout.push_back({*next - size, size});
    end = *next;
  }
  *total = end;
  return layout;
}

std::string manifest_text(const Program &p, const std::vector<ConstantLayout> &layout,
                          const std::map<std::string, FileEntry> &files, const std::string &isa) {
  JsonWriter w;
  w.begin_object();
  w.key("format").value(kPackageFormat);
  w.key("format_version").value(kPackageFormatVersion);
  w.key("library_version").value(QEFF_VERSION_STRING);
  w.key("target").value(p.target);
  w.key("isa").value(isa);
  w.key("source_hash").value(p.source_hash);
  w.key("options");
  put_options(w, p.options);
  w.key("inputs");
  put_signature(w, p.inputs);
  w.key("outputs");
  put_signature(w, p.outputs);
  w.key("retained_state").begin_array();
  for (const auto &r : p.retained) w.begin_object(true).key("input").value(r.input).key("output").value(r.output).end_object();
  w.end_array();
  w.key("metadata").begin_object();
  for (const auto &[k, v] : p.metadata) w.key(k).value(v);
  w.end_object();
  w.key("constants").begin_array();
  for (size_t i = 0; i < p.constants.size(); ++i) {
    const Constant &c = p.constants[i];
    w.begin_object(true).key("name").value(c.name).key("dtype").value(dtype_name(c.type.dtype)).key("shape");
    put_fixed_shape(w, c.type.shape);
    put_uint(w.key("offset"), layout[i].offset);
    put_uint(w.key("length"), layout[i].length);
    w.end_object();
  }
  w.end_array();
  w.key("files").begin_object();
  for (const auto &[name, entry] : files) {
    w.key(name).begin_object(true);
    put_uint(w.key("size"), entry.size);
    w.key("digest").value(entry.digest).end_object();
  }
  w.end_object();
  w.key("manifest_digest").value(kDigestPlaceholder);
  w.end_object();
  return w.take() + "\n";
}

std::string seal_manifest(std::string text) {
  size_t at = text.rfind(kDigestPlaceholder);
  if (at == std::string::npos) fail(QEFF_E_INTERNAL, "manifest without its digest placeholder");
  text.replace(at, kDigestPlaceholder.size(), digest_of(text));
  return text;
}

std::string manifest_self_digest(const std::string &text, const std::string &claimed) {
  size_t at = text.rfind(claimed);
  if (claimed.empty() || at == std::string::npos) return {};
  std::string copy = text;
  copy.replace(at, claimed.size(), kDigestPlaceholder);
  return digest_of(copy);
}

std::string plan_text(const Program &p) {
  JsonWriter w;
  w.begin_object().key("plans").begin_array();
  for (const auto &plan : p.plans) put_plan(w, plan);
  w.end_array().end_object();
  return w.take() + "\n";
}

std::string specializations_text(const Program &p) {
  // QEfficient's named form: symbol values as strings, as it writes them.
  JsonWriter w;
  w.begin_object().key("specializations").begin_array();
  for (const auto &plan : p.plans) {
    w.begin_object(true).key("name").value(plan.spec.name).key("symbols").begin_object(true);
    for (const auto &[k, v] : plan.spec.symbols) w.key(k).value(std::to_string(v));
    w.end_object().end_object();
  }
  w.end_array().end_object();
  return w.take() + "\n";
}

ManifestHead read_manifest_head(const JsonView &root) {
  JsonView format = need(root, "format");
  if (!format.is_string() || format.as_string() != kPackageFormat)
    format.fail_here(QEFF_E_FORMAT, "is " + format.describe() + "; not a " + kPackageFormat + " package");
  JsonView version = need(root, "format_version");
  int64_t v = get_int(version);
  if (v != kPackageFormatVersion) {
    auto by = root.get("library_version");
    std::string writer = by.is_string() ? " (written by qeff " + quote(by.as_string(), 40) + ")" : "";
    version.fail_here(QEFF_E_UNSUPPORTED, "= " + std::to_string(v) + ": package format version " + std::to_string(v) +
                                              writer + " is not supported; this qeff " + QEFF_VERSION_STRING +
                                              " reads format version " + std::to_string(kPackageFormatVersion) +
                                              " only (recompile the model with this version)");
  }
  ManifestHead head;
  head.library_version = need(root, "library_version").as_string();
  head.isa = need(root, "isa").as_string();
  head.manifest_digest = need(root, "manifest_digest").as_string();
  JsonView files = need_object(root, "files");
  for (const auto &name : files.keys()) {
    JsonView e = files.get(name);
    bool known = false;
    for (const char *f : kListedFiles) known = known || name == f;
    if (!known && !is_asset_name(name)) e.fail_here(QEFF_E_FORMAT, "names a file this format does not have");
    FileEntry entry;
    entry.size = get_uint(need(e, "size"));
    JsonView digest = need(e, "digest");
    entry.digest = digest.as_string();
    if (!is_digest_text(entry.digest))
      digest.fail_here(QEFF_E_FORMAT, "= " + quote(entry.digest) + " is not an xxh3-128 digest");
    head.files[name] = entry;
  }
  for (const char *f : kListedFiles)
    if (!head.files.count(f)) files.get(f).fail_here(QEFF_E_FORMAT, "is missing");
  return head;
}

void read_manifest_body(const JsonView &root, uint64_t max_rank, Program *p, std::vector<ConstantLayout> *layout) {
  p->target = need(root, "target").as_string();
  p->source_hash = need(root, "source_hash").as_string();
  JsonView options = need_object(root, "options");
  p->options.dequantize_int4 = options.opt_bool("dequantize_int4").value_or(false);
  p->options.fuse = need(options, "fuse").as_bool();
  p->options.int4_group = options.opt_int("int4_group", 32, 128).value_or(32);
  p->options.target = need(options, "target").as_string();
  p->options.weight_dtype = get_dtype(need(options, "weight_dtype"));
  JsonView specs = need_array(options, "specializations");
  for (size_t i = 0, n = specs.size(); i < n; ++i) p->options.specializations.push_back(get_specialization(specs.at(i)));
  p->inputs = get_signature(need_array(root, "inputs"), max_rank);
  p->outputs = get_signature(need_array(root, "outputs"), max_rank);
  JsonView retained = need_array(root, "retained_state");
  for (size_t i = 0, n = retained.size(); i < n; ++i) {
    JsonView e = retained.at(i);
    p->retained.push_back({need(e, "input").as_string(), need(e, "output").as_string()});
  }
  JsonView metadata = need_object(root, "metadata");
  for (const auto &k : metadata.keys()) p->metadata[k] = metadata.get(k).as_string();
  JsonView constants = need_array(root, "constants");
  for (size_t i = 0, n = constants.size(); i < n; ++i) {
    JsonView e = constants.at(i);
    Constant c;
    c.name = need(e, "name").as_string();
    c.type = {get_dtype(need(e, "dtype")), get_fixed_shape(need(e, "shape"), max_rank)};
    p->constants.push_back(std::move(c));
    layout->push_back({get_uint(need(e, "offset")), get_uint(need(e, "length"))});
  }
}

void read_plans(const JsonView &root, uint64_t max_rank, Program *p) {
  JsonView plans = need_array(root, "plans");
  for (size_t i = 0, n = plans.size(); i < n; ++i) p->plans.push_back(get_plan(plans.at(i), max_rank));
}

bool is_asset_name(const std::string &name) {
  for (const char *f : kAssetFiles)
    if (name == f) return true;
  return false;
}

}  // namespace qeff::compiler::package_detail

namespace qeff::compiler {

std::string canonical_options_text(const CompileOptions &o) {
  JsonWriter w(false);
  package_detail::put_options(w, o);
  return w.take();
}

}  // namespace qeff::compiler
