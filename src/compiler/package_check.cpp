// Validation of a Program before it is written and after it is read
// (package_format.hpp): everything the runtime would otherwise trust blindly
// (ids, indices, offsets and sizes, element types, shapes, names), so that a
// damaged or crafted package can never make it read or write out of bounds.
// Op semantics are not checked here: the runtime re-infers every step.
#include <algorithm>
#include <numeric>
#include <set>

#include "common/checked.hpp"
#include "common/dtype.hpp"
#include "common/error.hpp"
#include "common/utf8.hpp"
#include "compiler/package_format.hpp"

namespace qeff::compiler::package_detail {
namespace {

using graph::TensorType;

std::string idx(const std::string &field, size_t i) { return field + "[" + std::to_string(i) + "]"; }

class Checker {
 public:
  Checker(const Program &p, const CheckContext &ctx) : p_(p), ctx_(ctx) {}

  void run() {
    manifest();
    for (size_t i = 0; i < p_.plans.size(); ++i) plan(i);
  }

 private:
  // Same shape as JsonView::fail_here, so writer and reader messages agree.
  [[noreturn]] void bad(const std::string &file, const std::string &field, const std::string &what,
                        qeff_status status = QEFF_OK) const {
    fail(status == QEFF_OK ? ctx_.status : status, file + ": field " + quote(field) + " " + what);
  }

  void text(const std::string &file, const std::string &field, const std::string &s, bool allow_empty) const {
    if (!allow_empty && s.empty()) bad(file, field, "is empty");
    if (s.find('\0') != std::string::npos) bad(file, field, "= " + quote(s) + " contains a NUL byte");
    if (!utf8_valid(s)) bad(file, field, "= " + quote(s) + " is not valid UTF-8");
  }

  void dtype(const std::string &file, const std::string &field, qeff_dtype d) const {
    if (dtype_bits(d) == 0) bad(file, field, "has an unknown element type (code " + std::to_string(d) + ")");
  }

  void rank(const std::string &file, const std::string &field, const graph::Shape &s) const {
    if (s.size() > ctx_.max_rank)
      bad(file, field, "has rank " + std::to_string(s.size()) + "; the limit is " + std::to_string(ctx_.max_rank) +
                           " (PackageReadOptions::max_rank)",
          QEFF_E_LIMIT);
  }

  // A fixed type's byte size (field names the object holding dtype and shape).
  uint64_t fixed_type(const std::string &file, const std::string &field, const TensorType &t) const {
    dtype(file, field + ".dtype", t.dtype);
    rank(file, field + ".shape", t.shape);
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d].is_symbolic())
        bad(file, idx(field + ".shape", d), "= " + quote(t.shape[d].symbol) + " is symbolic; a plan needs fixed shapes");
      if (t.shape[d].value < 0) bad(file, idx(field + ".shape", d), "= " + std::to_string(t.shape[d].value) + " is negative");
    }
    auto bytes = graph::byte_size(t);
    if (!bytes)
      bad(file, field + ".shape", "= " + graph::to_string(t.shape) + " has no byte size for " + dtype_name(t.dtype) +
                                      " (overflow, or not a whole number of bytes)");
    return *bytes;
  }

  void signature_type(const std::string &file, const std::string &field, const TensorType &t) const {
    dtype(file, field + ".dtype", t.dtype);
    rank(file, field + ".shape", t.shape);
    for (size_t d = 0; d < t.shape.size(); ++d) {
      if (t.shape[d].is_symbolic()) text(file, idx(field + ".shape", d), t.shape[d].symbol, false);
      else if (t.shape[d].value < 0) bad(file, idx(field + ".shape", d), "= " + std::to_string(t.shape[d].value) + " is negative");
    }
  }

  void specialization(const std::string &file, const std::string &field, const Specialization &s) const {
    text(file, field + ".name", s.name, true);
    for (const auto &[k, v] : s.symbols) {
      text(file, field + ".symbols", k, false);
      if (v < 0) bad(file, field + ".symbols." + k, "= " + std::to_string(v) + " is negative");
    }
  }

  void signature(const std::string &field, const std::vector<graph::ValueInfo> &values) const {
    std::set<std::string> seen;
    for (size_t i = 0; i < values.size(); ++i) {
      text(ctx_.manifest, idx(field, i) + ".name", values[i].name, false);
      if (!seen.insert(values[i].name).second)
        bad(ctx_.manifest, idx(field, i) + ".name", "= " + quote(values[i].name) + " appears twice");
      signature_type(ctx_.manifest, idx(field, i), values[i].type);
    }
  }

  void manifest() {
    const std::string &m = ctx_.manifest;
    text(m, "target", p_.target, false);
    text(m, "source_hash", p_.source_hash, true);
    text(m, "options.target", p_.options.target, false);
    dtype(m, "options.weight_dtype", p_.options.weight_dtype);
    for (size_t i = 0; i < p_.options.specializations.size(); ++i)
      specialization(m, idx("options.specializations", i), p_.options.specializations[i]);
    signature("inputs", p_.inputs);
    signature("outputs", p_.outputs);
    for (size_t i = 0; i < p_.retained.size(); ++i) {
      text(m, idx("retained_state", i) + ".input", p_.retained[i].input, false);
      text(m, idx("retained_state", i) + ".output", p_.retained[i].output, false);
    }
    for (const auto &[k, v] : p_.metadata) {
      text(m, "metadata", k, true);
      text(m, "metadata." + k, v, true);
    }
    std::set<std::string> names;
    for (size_t i = 0; i < p_.constants.size(); ++i) {
      const Constant &c = p_.constants[i];
      std::string field = idx("constants", i);
      text(m, field + ".name", c.name, false);
      if (!names.insert(c.name).second) bad(m, field + ".name", "= " + quote(c.name) + " appears twice");
      uint64_t bytes = fixed_type(m, field, c.type);
      if (c.data.size() != bytes)
        bad(m, field, "holds " + std::to_string(c.data.size()) + " bytes but its type " + graph::to_string(c.type) +
                          " needs " + std::to_string(bytes));
    }
  }

  // `end` = offset + size must not overflow and must stay within `limit`.
  void within(const std::string &field, uint64_t offset, uint64_t size, uint64_t limit, const std::string &what) const {
    auto end = checked_add<uint64_t>(offset, size);
    if (!end || *end > limit)
      bad(ctx_.plan, field, "= " + std::to_string(offset) + " + " + std::to_string(size) + " bytes exceeds " + what +
                                " (" + std::to_string(limit) + " bytes)");
  }

  void id(const std::string &field, int64_t v, size_t count, bool allow_none, const std::string &what) const {
    if ((allow_none && v == -1) || (v >= 0 && static_cast<uint64_t>(v) < count)) return;
    bad(ctx_.plan, field, "= " + std::to_string(v) + " is out of range [" + (allow_none ? "-1" : "0") + ", " +
                              std::to_string(count) + ") (" + what + ")");
  }

  void plan(size_t pi) {
    const Plan &pl = p_.plans[pi];
    const std::string f = idx("plans", pi);
    const std::string &file = ctx_.plan;
    specialization(file, f + ".spec", pl.spec);
    const size_t n = pl.values.size();
    const std::string n_values = "plan " + std::to_string(pi) + " has " + std::to_string(n) + " values";

    std::vector<uint64_t> bytes(n);
    for (size_t v = 0; v < n; ++v) {
      text(file, idx(f + ".values", v) + ".name", pl.values[v].name, false);
      bytes[v] = fixed_type(file, idx(f + ".values", v), pl.values[v].type);
    }
    for (size_t v = 0; v < n; ++v) placement(pi, v, bytes);
    aliases_terminate(pi);

    for (size_t s = 0; s < pl.steps.size(); ++s) step(pi, s);
    if (pl.inputs.size() != p_.inputs.size())
      bad(file, f + ".inputs", "has " + std::to_string(pl.inputs.size()) + " entries; the program has " +
                                   std::to_string(p_.inputs.size()) + " inputs");
    for (size_t i = 0; i < pl.inputs.size(); ++i) id(idx(f + ".inputs", i), pl.inputs[i], n, true, n_values);
    if (pl.outputs.size() != p_.outputs.size())
      bad(file, f + ".outputs", "has " + std::to_string(pl.outputs.size()) + " entries; the program has " +
                                    std::to_string(p_.outputs.size()) + " outputs");
    for (size_t i = 0; i < pl.outputs.size(); ++i) id(idx(f + ".outputs", i), pl.outputs[i], n, false, n_values);
    for (size_t i = 0; i < pl.state_writes.size(); ++i) {
      id(idx(idx(f + ".state_writes", i), 0), pl.state_writes[i].first, n, false, n_values);
      id(idx(idx(f + ".state_writes", i), 1), pl.state_writes[i].second, p_.retained.size(), false,
         "the program has " + std::to_string(p_.retained.size()) + " retained-state pairs");
    }
  }

  void placement(size_t pi, size_t v, const std::vector<uint64_t> &bytes) const {
    const Plan &pl = p_.plans[pi];
    const PlannedValue &pv = pl.values[v];
    const std::string field = idx(idx("plans", pi) + ".values", v);
    switch (pv.placement) {
      case Placement::input:
        id(field + ".index", pv.index, p_.inputs.size(), false, "the program has " + std::to_string(p_.inputs.size()) + " inputs");
        break;
      case Placement::state:
        id(field + ".index", pv.index, p_.retained.size(), false,
           "the program has " + std::to_string(p_.retained.size()) + " retained-state pairs");
        break;
      case Placement::constant:
        id(field + ".index", pv.index, p_.constants.size(), false,
           "the program has " + std::to_string(p_.constants.size()) + " constants");
        within(field + ".offset", pv.offset, bytes[v], p_.constants[static_cast<size_t>(pv.index)].data.size(),
               "constant " + std::to_string(pv.index));
        break;
      case Placement::arena:
        within(field + ".offset", pv.offset, bytes[v], pl.arena_bytes, "the arena");
        break;
      case Placement::alias:
        id(field + ".index", pv.index, pl.values.size(), false,
           "plan " + std::to_string(pi) + " has " + std::to_string(pl.values.size()) + " values");
        if (static_cast<size_t>(pv.index) == v) bad(ctx_.plan, field + ".index", "= " + std::to_string(v) + " aliases itself");
        within(field + ".offset", pv.offset, bytes[v], bytes[static_cast<size_t>(pv.index)],
               "value " + std::to_string(pv.index));
        break;
      default:
        bad(ctx_.plan, field + ".placement", "has an unknown placement (" + std::to_string(static_cast<int>(pv.placement)) + ")");
    }
  }

  // Alias chains must end at a value with storage: a cycle has none.
  void aliases_terminate(size_t pi) const {
    const auto &values = p_.plans[pi].values;
    std::vector<uint8_t> state(values.size(), 0);  // 0 unseen, 1 on the current chain, 2 ends well
    for (size_t start = 0; start < values.size(); ++start) {
      std::vector<size_t> chain;
      size_t v = start;
      while (state[v] == 0 && values[v].placement == Placement::alias) {
        state[v] = 1;
        chain.push_back(v);
        v = static_cast<size_t>(values[v].index);
      }
      if (state[v] == 1)
        bad(ctx_.plan, idx(idx("plans", pi) + ".values", v) + ".index",
            "= " + std::to_string(values[v].index) + " closes a cycle of aliases");
      for (size_t c : chain) state[c] = 2;
      state[v] = 2;
    }
  }

  void step(size_t pi, size_t si) const {
    const Plan &pl = p_.plans[pi];
    const Step &s = pl.steps[si];
    const std::string f = idx(idx("plans", pi) + ".steps", si);
    const std::string &file = ctx_.plan;
    const size_t n = pl.values.size();
    const std::string n_values = "plan " + std::to_string(pi) + " has " + std::to_string(n) + " values";
    text(file, f + ".op", s.node.op_type, false);
    text(file, f + ".domain", s.node.domain, true);
    text(file, f + ".name", s.node.name, true);
    if (s.opset < 1) bad(file, f + ".opset", "= " + std::to_string(s.opset) + " is not a valid opset version");
    for (size_t i = 0; i < s.inputs.size(); ++i) id(idx(f + ".inputs", i), s.inputs[i], n, true, n_values);
    for (size_t i = 0; i < s.outputs.size(); ++i) id(idx(f + ".outputs", i), s.outputs[i], n, false, n_values);
    within(f + ".workspace_offset", s.workspace_offset, s.workspace_bytes, pl.arena_bytes, "the arena");
    std::set<std::string> names;
    for (size_t a = 0; a < s.node.attributes.size(); ++a) {
      const graph::Attribute &attr = s.node.attributes[a];
      std::string af = idx(f + ".attributes", a);
      text(file, af + ".name", attr.name, false);
      if (!names.insert(attr.name).second) bad(file, af + ".name", "= " + quote(attr.name) + " appears twice");
      if (const auto *str = std::get_if<std::string>(&attr.value)) text(file, af + ".value", *str, true);
      if (const auto *list = std::get_if<std::vector<std::string>>(&attr.value))
        for (size_t k = 0; k < list->size(); ++k) text(file, idx(af + ".value", k), (*list)[k], true);
      if (const auto *t = std::get_if<graph::ConstTensor>(&attr.value)) {
        uint64_t need = fixed_type(file, af, t->type);
        if (t->bytes.size() != need)
          bad(file, af + ".hex", "holds " + std::to_string(t->bytes.size()) + " bytes but " + graph::to_string(t->type) +
                                     " needs " + std::to_string(need));
      }
    }
    if (ctx_.writing) node_names(pi, si);
  }

  // The reader rebuilds a step's node input/output names from its value ids
  // (the plan stores each name once), so the writer insists they agree.
  void node_names(size_t pi, size_t si) const {
    const Plan &pl = p_.plans[pi];
    const Step &s = pl.steps[si];
    const std::string f = idx(idx("plans", pi) + ".steps", si);
    auto agree = [&](const std::vector<std::string> &names, const std::vector<int32_t> &ids, const char *what) {
      if (names.size() != ids.size())
        bad(ctx_.plan, f + "." + what, "has " + std::to_string(ids.size()) + " value ids but the node has " +
                                           std::to_string(names.size()) + " " + what);
      for (size_t i = 0; i < ids.size(); ++i) {
        const std::string &expect = ids[i] < 0 ? std::string() : pl.values[static_cast<size_t>(ids[i])].name;
        if (names[i] != expect)
          bad(ctx_.plan, idx(f + "." + what, i), "is value " + std::to_string(ids[i]) + " " + quote(expect) +
                                                     " but the node names " + quote(names[i]));
      }
    };
    agree(s.node.inputs, s.inputs, "inputs");
    agree(s.node.outputs, s.outputs, "outputs");
  }

  const Program &p_;
  const CheckContext &ctx_;
};

}  // namespace

void check_program(const Program &p, const CheckContext &ctx) { Checker(p, ctx).run(); }

void check_layout(const Program &p, const std::vector<ConstantLayout> &layout, uint64_t weights_size,
                  const std::string &manifest, const std::string &weights) {
  auto bad = [&](size_t i, const char *key, const std::string &what) {
    fail(QEFF_E_FORMAT, manifest + ": field " + quote("constants[" + std::to_string(i) + "]." + key) + " " + what);
  };
  for (size_t i = 0; i < layout.size(); ++i) {
    const ConstantLayout &c = layout[i];
    if (c.offset % kWeightAlignment != 0)
      bad(i, "offset", "= " + std::to_string(c.offset) + " is not a multiple of " + std::to_string(kWeightAlignment));
    auto end = checked_add<uint64_t>(c.offset, c.length);
    if (!end || *end > weights_size)
      bad(i, "length", "= " + std::to_string(c.length) + " at offset " + std::to_string(c.offset) +
                           " runs past the end of " + weights + " (" + std::to_string(weights_size) +
                           " bytes): tampered or truncated");
    auto type_bytes = graph::byte_size(p.constants[i].type);
    if (type_bytes && *type_bytes != c.length)
      bad(i, "length", "= " + std::to_string(c.length) + " but its type " + graph::to_string(p.constants[i].type) +
                           " needs " + std::to_string(*type_bytes) + " bytes");
  }
  // Sorted by offset, each non-empty constant must start at or after the end
  // of every non-empty one before it.
  std::vector<size_t> order(layout.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return layout[a].offset != layout[b].offset ? layout[a].offset < layout[b].offset : a < b;
  });
  uint64_t furthest = 0;  // largest end so far (no overflow: checked above)
  size_t owner = 0;
  for (size_t i : order) {
    const ConstantLayout &c = layout[i];
    if (c.length == 0) continue;
    if (c.offset < furthest)
      bad(i, "offset", "= " + std::to_string(c.offset) + " overlaps constants[" + std::to_string(owner) + "] (bytes " +
                           std::to_string(layout[owner].offset) + " to " + std::to_string(furthest) + ")");
    furthest = c.offset + c.length;
    owner = i;
  }
}

}  // namespace qeff::compiler::package_detail
