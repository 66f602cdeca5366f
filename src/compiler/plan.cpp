#include "compiler/plan.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "common/aligned.hpp"
#include "common/checked.hpp"
#include "common/error.hpp"

namespace qeff::compiler {
namespace {

constexpr size_t kEnd = std::numeric_limits<size_t>::max();

uint64_t value_bytes(const graph::TensorType &t) {
  auto b = graph::byte_size(t);
  if (!b) fail(QEFF_E_LIMIT, "tensor of type " + graph::to_string(t) + " is too large");
  return *b;
}

struct Interval {
  uint64_t bytes;
  size_t first, last;  // step indices, inclusive
  uint64_t *offset;    // where the result goes
};

// Largest first, lowest free offset among the already placed intervals that
// overlap in time. Returns the arena size.
uint64_t assign_offsets(std::vector<Interval> &items) {
  std::stable_sort(items.begin(), items.end(), [](const Interval &a, const Interval &b) { return a.bytes > b.bytes; });
  std::vector<const Interval *> placed;
  uint64_t total = 0;
  for (Interval &it : items) {
    std::vector<std::pair<uint64_t, uint64_t>> busy;  // [begin, end) bytes
    for (const Interval *p : placed)
      if (p->first <= it.last && it.first <= p->last) busy.push_back({*p->offset, *p->offset + align_up(p->bytes)});
    std::sort(busy.begin(), busy.end());
    uint64_t offset = 0;
    for (auto [b, e] : busy) {
      if (offset + align_up(it.bytes) <= b) break;
      offset = std::max(offset, e);
    }
    *it.offset = offset;
    total = std::max(total, offset + align_up(it.bytes));
    placed.push_back(&it);
  }
  return total;
}

class Planner {
 public:
  Planner(const SpecializedGraph &g, const Program &program, ConstantTable &constants)
      : g_(g), program_(program), constants_(constants) {}

  Plan build() {
    plan_.spec = g_.spec;
    for (size_t j = 0; j < g_.nodes.size(); ++j) {
      for (const auto &in : g_.nodes[j].inputs) last_reader_[in] = j;
      for (const auto &out : g_.nodes[j].outputs) producer_[out] = j;
    }
    for (size_t k = 0; k < program_.retained.size(); ++k) state_of_[program_.retained[k].input] = static_cast<int32_t>(k);
    for (size_t i = 0; i < program_.inputs.size(); ++i) input_of_[program_.inputs[i].name] = static_cast<int32_t>(i);
    for (const auto &name : g_.inputs) add_input(name);
    for (const graph::Node &n : g_.nodes) add_step(n);
    finish_outputs();
    plan_arena();
    return std::move(plan_);
  }

 private:
  int32_t id(const std::string &name) {
    if (auto it = ids_.find(name); it != ids_.end()) return it->second;
    auto k = g_.known.find(name);
    if (k == g_.known.end()) fail(QEFF_E_INTERNAL, "plan: value " + quote(name) + " is read before it is written");
    return add_value(name, k->second.type, Placement::constant, constants_.add(name, k->second));
  }
  int32_t add_value(const std::string &name, const graph::TensorType &type, Placement p, int32_t index) {
    auto v = static_cast<int32_t>(plan_.values.size());
    plan_.values.push_back({name, type, p, index, 0});
    ids_[name] = v;
    root_.push_back(v);
    members_.push_back({v});
    last_use_.push_back(0);
    first_def_.push_back(0);
    return v;
  }
  int32_t root(int32_t v) const {
    while (root_[static_cast<size_t>(v)] != v) v = root_[static_cast<size_t>(v)];
    return v;
  }
  void alias(int32_t v, int32_t of) {
    plan_.values[static_cast<size_t>(v)].placement = Placement::alias;
    plan_.values[static_cast<size_t>(v)].index = of;
    int32_t r = root(of);
    root_[static_cast<size_t>(v)] = r;
    members_[static_cast<size_t>(r)].push_back(v);
  }

  void add_input(const std::string &name) {
    const graph::TensorType &t = g_.types.at(name);
    if (auto s = state_of_.find(name); s != state_of_.end()) add_value(name, t, Placement::state, s->second);
    else add_value(name, t, Placement::input, input_of_.at(name));
  }

  void add_step(const graph::Node &n) {
    const ops::OpDef *def = ops::find_op(n.domain, n.op_type);
    Step step;
    step.node = n;
    step.opset = g_.node_opsets.count(opset_key(n)) ? g_.node_opsets.at(opset_key(n)) : 1;
    size_t s = plan_.steps.size();
    std::vector<graph::TensorType> in_types, out_types;
    std::vector<ops::TensorView> views(n.inputs.size());
    std::vector<const ops::TensorView *> consts(n.inputs.size(), nullptr);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (n.inputs[i].empty()) {
        step.inputs.push_back(-1);
        in_types.push_back({});
        continue;
      }
      int32_t v = id(n.inputs[i]);
      step.inputs.push_back(v);
      in_types.push_back(plan_.values[static_cast<size_t>(v)].type);
      if (auto k = g_.known.find(n.inputs[i]); k != g_.known.end()) {
        views[i] = k->second.view();
        consts[i] = &views[i];
      }
    }
    for (const auto &o : n.outputs) {
      out_types.push_back(g_.types.at(o));
      int32_t v = add_value(o, out_types.back(), Placement::arena, -1);
      first_def_[static_cast<size_t>(v)] = s;
      step.outputs.push_back(v);
    }
    // Record reads before deciding on aliasing, so lifetimes cover this step.
    for (int32_t v : step.inputs)
      if (v >= 0) last_use_[static_cast<size_t>(v)] = s;
    if (!step.outputs.empty() && !step.inputs.empty() && step.inputs[0] >= 0) {
      int32_t in0 = step.inputs[0], out0 = step.outputs[0];
      if (def->flags & ops::kView) alias(out0, in0);
      else if ((def->flags & ops::kInPlace) && can_overwrite(in0, out0, n, s)) alias(out0, in0);
    }
    if (!(def->flags & ops::kView)) {
      ops::PrepareContext ctx{n, step.opset, in_types, out_types, consts};
      auto kernel = def->prepare(ctx);
      step.workspace_bytes = kernel ? kernel->workspace_bytes() : 0;
    }
    plan_.steps.push_back(std::move(step));
  }

  // Whether `out` may take `in`'s buffer at step `s`: same size, `in` read by
  // nothing after this step, and the buffer is an arena value or the
  // retained state this very output becomes (so no state write can clobber a
  // value the caller still reads).
  bool can_overwrite(int32_t in, int32_t out, const graph::Node &n, size_t s) {
    const PlannedValue &iv = plan_.values[static_cast<size_t>(in)];
    if (value_bytes(iv.type) != value_bytes(plan_.values[static_cast<size_t>(out)].type)) return false;
    if (reads_after(in, s)) return false;
    const PlannedValue &r = plan_.values[static_cast<size_t>(root(in))];
    if (r.placement == Placement::arena) return !is_output(r.name) && !is_output(iv.name);
    if (r.placement != Placement::state) return false;
    return viewed_as(n.outputs[0], program_.retained[static_cast<size_t>(r.index)].output);
  }
  bool is_output(const std::string &name) const { return outputs_.count(name) != 0; }
  // Whether any later node, or a graph output, reads `v` or a value sharing its buffer.
  bool reads_after(int32_t v, size_t s) const {
    for (int32_t m : members_[static_cast<size_t>(root(v))]) {
      const std::string &name = plan_.values[static_cast<size_t>(m)].name;
      if (is_output(name)) return true;
      auto it = last_reader_.find(name);
      if (it != last_reader_.end() && it->second > s) return true;
    }
    return false;
  }
  // Whether `target` is `value` seen through views (Identity, Reshape, ...).
  bool viewed_as(const std::string &value, std::string target) const {
    for (size_t guard = 0; guard <= g_.nodes.size() && target != value; ++guard) {
      auto it = producer_.find(target);
      const graph::Node *producer = it == producer_.end() ? nullptr : &g_.nodes[it->second];
      if (producer && producer->outputs[0] != target) return false;  // not a view's data output
      const ops::OpDef *def = producer ? ops::find_op(producer->domain, producer->op_type) : nullptr;
      if (!def || !(def->flags & ops::kView) || producer->inputs.empty()) return false;
      target = producer->inputs[0];
    }
    return target == value;
  }

  void finish_outputs() {
    for (const auto &o : program_.outputs) plan_.outputs.push_back(id(o.name));
    for (const auto &in : program_.inputs) {
      auto it = ids_.find(in.name);
      plan_.inputs.push_back(it == ids_.end() ? -1 : it->second);
    }
    for (size_t k = 0; k < program_.retained.size(); ++k) {
      int32_t out = id(program_.retained[k].output);
      int32_t st = ids_.at(program_.retained[k].input);
      if (root(out) != root(st)) plan_.state_writes.push_back({out, static_cast<int32_t>(k)});
      last_use_[static_cast<size_t>(out)] = kEnd;
    }
    for (int32_t v : plan_.outputs) last_use_[static_cast<size_t>(v)] = kEnd;
  }

  void plan_arena() {
    size_t n_steps = plan_.steps.size();
    std::vector<size_t> last(plan_.values.size(), 0);
    for (size_t v = 0; v < plan_.values.size(); ++v) {
      size_t r = static_cast<size_t>(root(static_cast<int32_t>(v)));
      last[r] = std::max(last[r], last_use_[v] == kEnd ? n_steps : last_use_[v]);
    }
    std::vector<Interval> items;
    for (size_t v = 0; v < plan_.values.size(); ++v) {
      PlannedValue &pv = plan_.values[v];
      if (pv.placement != Placement::arena) continue;
      items.push_back({value_bytes(pv.type), first_def_[v], std::max(last[v], first_def_[v]), &pv.offset});
    }
    for (size_t s = 0; s < n_steps; ++s)
      if (plan_.steps[s].workspace_bytes)
        items.push_back({plan_.steps[s].workspace_bytes, s, s, &plan_.steps[s].workspace_offset});
    plan_.arena_bytes = assign_offsets(items);
  }

  const SpecializedGraph &g_;
  const Program &program_;
  ConstantTable &constants_;
  Plan plan_;
  std::map<std::string, int32_t> ids_, state_of_, input_of_;
  std::vector<int32_t> root_;
  std::vector<std::vector<int32_t>> members_;  // per root: the values sharing its buffer
  std::map<std::string, size_t> last_reader_, producer_;  // node indices
  std::set<std::string> outputs_{g_.outputs.begin(), g_.outputs.end()};
  std::vector<size_t> last_use_, first_def_;
};

}  // namespace

int32_t ConstantTable::add(const std::string &name, const KnownValue &value) {
  auto key = std::pair{name, static_cast<const void *>(value.data.data())};
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  int uses = name_uses_[name]++;
  auto i = static_cast<int32_t>(constants_.size());
  constants_.push_back({uses ? name + "#" + std::to_string(uses) : name, value.type, value.data});
  index_[key] = i;
  return i;
}

Plan build_plan(const SpecializedGraph &g, const Program &program, ConstantTable &constants) {
  return Planner(g, program, constants).build();
}

SessionBytes session_bytes(const Program &program) {
  auto add = [](uint64_t a, uint64_t b) { return checked_add(a, b).value_or(UINT64_MAX); };
  SessionBytes s;
  std::vector<uint64_t> state(program.retained.size(), 0);
  for (const Plan &plan : program.plans) {
    s.arenas = add(s.arenas, plan.arena_bytes);
    if (plan.arena_bytes > s.largest_arena || s.largest_plan.empty()) {
      s.largest_arena = plan.arena_bytes;
      s.largest_plan = plan.spec.name;
    }
    for (const PlannedValue &v : plan.values)
      if (v.placement == Placement::state && v.index >= 0 && static_cast<size_t>(v.index) < state.size())
        state[static_cast<size_t>(v.index)] =
            std::max(state[static_cast<size_t>(v.index)], graph::byte_size(v.type).value_or(UINT64_MAX));
  }
  for (uint64_t b : state) s.state = add(s.state, b);
  s.total = add(s.arenas, s.state);
  return s;
}

void check_session_bytes(const Program &program, uint64_t limit, const std::string &limit_text) {
  SessionBytes s = session_bytes(program);
  if (s.total <= limit) return;
  auto bytes = [](uint64_t b) { return b == UINT64_MAX ? std::string("more than 2^64") : std::to_string(b); };
  fail(QEFF_E_LIMIT, "a session of this program needs " + bytes(s.total) + " bytes (arenas " + bytes(s.arenas) +
                         ", the largest " + bytes(s.largest_arena) + " for specialization " + quote(s.largest_plan, 64) +
                         "; retained state " + bytes(s.state) + "), above " + limit_text +
                         "; compile smaller specializations (batch_size, ctx_len, seq_len)");
}

}  // namespace qeff::compiler
