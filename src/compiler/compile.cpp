#include "compiler/compile.hpp"

#include <algorithm>
#include <set>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "compiler/fold.hpp"
#include "compiler/fuse.hpp"
#include "compiler/plan.hpp"
#include "compiler/specialize.hpp"
#include "ops/linear.hpp"

namespace qeff::compiler {
namespace {

constexpr const char *kRetainedSuffix = "_RetainedState";

void check_options(const CompileOptions &o) {
  auto targets = available_targets();
  if (std::find(targets.begin(), targets.end(), o.target) == targets.end())
    fail(QEFF_E_UNSUPPORTED, "target " + quote(o.target, 32) + " is not available in this build (available: cpu)");
  if (o.weight_dtype != QEFF_DTYPE_F32 && o.weight_dtype != QEFF_DTYPE_BF16 && o.weight_dtype != QEFF_DTYPE_F16 &&
      o.weight_dtype != QEFF_DTYPE_I8 && o.weight_dtype != QEFF_DTYPE_U4 && o.weight_dtype != QEFF_DTYPE_F6_E2M3)
    fail(QEFF_E_INVALID_ARGUMENT, "weight dtype must be f32, bf16, f16, int8, int4 or mxfp6");
  if (!int4_group_supported(o.int4_group))
    fail(QEFF_E_INVALID_ARGUMENT, "int4 group size " + std::to_string(o.int4_group) + " is not supported (32 or 128)");
  if (o.specializations.empty()) fail(QEFF_E_INVALID_ARGUMENT, "no specializations to compile");
  std::set<std::string> names;
  for (const auto &s : o.specializations) {
    if (s.name.empty() || s.name.size() > 128) fail(QEFF_E_INVALID_ARGUMENT, "a specialization name must have 1 to 128 bytes");
    if (!names.insert(s.name).second)
      fail(QEFF_E_INVALID_ARGUMENT, "specialization name " + quote(s.name, 64) + " is given twice");
  }
}

// The caller-visible signature and the X / X_RetainedState pairs.
void signature(const graph::Graph &g, Program &p) {
  std::set<std::string> outputs;
  for (const auto &o : g.outputs) outputs.insert(o.name);
  std::set<std::string> retained_outputs;
  for (const auto &in : g.inputs) {
    std::string out = in.name + kRetainedSuffix;
    if (outputs.count(out)) {
      p.retained.push_back({in.name, out});
      retained_outputs.insert(out);
    } else {
      p.inputs.push_back(in);
    }
  }
  for (const auto &o : g.outputs)
    if (!retained_outputs.count(o.name)) p.outputs.push_back(o);
}

}  // namespace

std::vector<std::string> available_targets() { return {"cpu"}; }

bool int4_group_supported(int64_t int4_group) { return ops::int4_group_supported(int4_group); }

Program compile(const graph::Graph &graph, const CompileOptions &options, const std::string &source_hash) {
  check_options(options);
  Program program;
  program.target = options.target;
  program.options = options;
  program.metadata = graph.metadata;
  program.source_hash = source_hash;
  signature(graph, program);
  FoldCache cache;
  ConstantTable constants(program.constants);
  for (const Specialization &spec : options.specializations) {
    cancellation_point("compiling specialization " + quote(spec.name));
    SpecializedGraph sg = specialize(graph, spec, cache);
    if (options.fuse) fuse(sg, cache, FuseOptions{options.weight_dtype, options.dequantize_int4, options.int4_group});
    else remove_dead_nodes(sg);
    fold_deferred(sg, cache);
    program.plans.push_back(build_plan(sg, program, constants));
  }
  return program;
}

int Program::find_plan(const std::vector<std::vector<int64_t>> &shapes) const {
  for (size_t p = 0; p < plans.size(); ++p) {
    bool ok = shapes.size() == plans[p].inputs.size();
    for (size_t i = 0; ok && i < shapes.size(); ++i) {
      int32_t v = plans[p].inputs[i];
      if (v < 0) continue;
      const auto &shape = plans[p].values[static_cast<size_t>(v)].type.shape;
      ok = shape.size() == shapes[i].size();
      for (size_t d = 0; ok && d < shape.size(); ++d) ok = shape[d].value == shapes[i][d];
    }
    if (ok) return static_cast<int>(p);
  }
  return -1;
}

const char *placement_name(Placement p) {
  switch (p) {
    case Placement::input: return "input";
    case Placement::state: return "state";
    case Placement::constant: return "constant";
    case Placement::arena: return "arena";
    case Placement::alias: return "alias";
  }
  return "unknown";
}

std::vector<Specialization> natural_specializations(const graph::Graph &graph, const NaturalParameters &p) {
  std::set<std::string> used, unknown;
  for (const auto &in : graph.inputs)
    for (const auto &d : in.type.shape)
      if (d.is_symbolic()) used.insert(d.symbol);
  for (const auto &s : used)
    if (s != "batch_size" && s != "seq_len" && s != "ctx_len") unknown.insert(s);
  if (!unknown.empty()) {
    std::string list;
    for (const auto &s : unknown) list += (list.empty() ? "" : ", ") + s;
    fail(QEFF_E_INVALID_ARGUMENT, "graph inputs use symbols (" + list +
                                      ") other than batch_size, seq_len and ctx_len; give compile.specializations");
  }
  auto make = [&](std::string name, int64_t seq) {
    Specialization s{std::move(name), {}};
    if (used.count("batch_size")) s.symbols["batch_size"] = p.batch_size;
    if (used.count("seq_len")) s.symbols["seq_len"] = seq;
    if (used.count("ctx_len")) s.symbols["ctx_len"] = p.ctx_len;
    return s;
  };
  std::vector<Specialization> out;
  if (used.count("ctx_len")) {
    if (p.prefill_seq_len > p.ctx_len)
      fail(QEFF_E_INVALID_ARGUMENT, "compile.prefill_seq_len = " + std::to_string(p.prefill_seq_len) +
                                        " exceeds compile.ctx_len = " + std::to_string(p.ctx_len));
    out.push_back(make("Prefill", p.prefill_seq_len));
    if (p.prefill_seq_len != 1 && used.count("seq_len")) out.push_back(make("Decode", 1));
    return out;
  }
  if (used.count("seq_len")) {
    if (p.seq_len.empty()) fail(QEFF_E_INVALID_ARGUMENT, "the graph has a seq_len symbol; give compile.seq_len");
    std::set<int64_t> lengths(p.seq_len.begin(), p.seq_len.end());
    for (int64_t n : lengths) out.push_back(make("Embedding_" + std::to_string(n), n));
    return out;
  }
  out.push_back(make("Default", 0));
  return out;
}

std::vector<Specialization> parse_specializations(const std::string &json, const std::string &what) {
  JsonDocument doc = JsonDocument::parse(json, JsonOrigin{what, QEFF_E_INVALID_ARGUMENT}, JsonLimits{1 << 20, 16}, false);
  JsonView root = doc.root();
  JsonView list = root.is_object() ? root.get("specializations") : root;
  if (!list.is_array()) fail(QEFF_E_INVALID_ARGUMENT, what + ": expected an array of specializations");
  std::vector<Specialization> out;
  for (size_t i = 0; i < list.size(); ++i) {
    JsonView e = list.at(i);
    if (!e.is_object()) fail(QEFF_E_INVALID_ARGUMENT, what + ": specializations[" + std::to_string(i) + "] is not an object");
    Specialization s;
    JsonView name = e.get("name");
    s.name = !name.present() ? "spec_" + std::to_string(i) : name.as_string();
    JsonView symbols = e.get("symbols");
    JsonView src = symbols.present() ? symbols : e;  // QEfficient writes the symbols at the top level
    for (const auto &key : src.keys()) {
      if (!symbols.present() && key == "name") continue;
      JsonView v = src.get(key);
      std::string field = what + ": specializations[" + std::to_string(i) + "]." + key;
      int64_t value = 0;
      if (v.is_number()) value = v.as_int(1, kMaxSymbolValue);
      else if (v.is_string()) {
        const std::string &t = v.as_string();
        if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos)
          fail(QEFF_E_INVALID_ARGUMENT, field + " = " + quote(t, 32) + " is not a decimal size");
        value = std::stoll(t);
      } else {
        fail(QEFF_E_INVALID_ARGUMENT, field + " must be a number or a decimal string");
      }
      s.symbols[key] = value;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace qeff::compiler
