#include "runtime/session.hpp"

#include <cstring>

#include "common/dtype.hpp"
#include "common/error.hpp"

namespace qeff::runtime {
namespace {

using compiler::Placement;

std::string shape_text(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// Holds the session's lock for one call, or fails with QEFF_E_BUSY.
std::unique_lock<std::mutex> enter(std::mutex &mu) {
  std::unique_lock<std::mutex> lock(mu, std::try_to_lock);
  if (!lock.owns_lock()) fail(QEFF_E_BUSY, "the session is running another call; use one session per thread");
  return lock;
}

}  // namespace

Session::Session(std::shared_ptr<const Executable> exe, int threads)
    : exe_(std::move(exe)), pool_(threads), arenas_(exe_->program().plans.size()),
      states_(exe_->program().retained.size()) {}

size_t Session::select_plan(const std::vector<NamedTensor> &inputs, std::vector<const NamedTensor *> &by_index) const {
  const compiler::Program &prog = exe_->program();
  by_index.assign(prog.inputs.size(), nullptr);
  std::string expected;
  for (const auto &in : prog.inputs) expected += (expected.empty() ? "" : ", ") + in.name;
  for (const NamedTensor &t : inputs) {
    if (find_state(t.name)) continue;  // a state overwrite, applied by prepare_state()
    size_t i = 0;
    while (i < prog.inputs.size() && prog.inputs[i].name != t.name) ++i;
    if (i == prog.inputs.size())
      fail(QEFF_E_INVALID_ARGUMENT, "unknown input " + quote(t.name, 96) + " (the program takes: " + expected + ")");
    if (by_index[i]) fail(QEFF_E_INVALID_ARGUMENT, "input " + quote(t.name, 96) + " is given twice");
    if (t.tensor.dtype != prog.inputs[i].type.dtype)
      fail(QEFF_E_MISMATCH, "input " + quote(t.name, 96) + " has dtype " + dtype_name(t.tensor.dtype) +
                                "; the program takes " + dtype_name(prog.inputs[i].type.dtype));
    by_index[i] = &t;
  }
  std::vector<std::vector<int64_t>> shapes;
  for (size_t i = 0; i < by_index.size(); ++i) {
    if (!by_index[i]) fail(QEFF_E_INVALID_ARGUMENT, "input " + quote(prog.inputs[i].name, 96) + " is missing");
    if (!by_index[i]->tensor.data && by_index[i]->tensor.numel() > 0)
      fail(QEFF_E_INVALID_ARGUMENT, "input " + quote(prog.inputs[i].name, 96) + " has no data");
    shapes.push_back(by_index[i]->tensor.shape);
  }
  int p = prog.find_plan(shapes);
  if (p < 0) {
    std::string given, have;
    for (size_t i = 0; i < shapes.size(); ++i) given += (i ? ", " : "") + prog.inputs[i].name + shape_text(shapes[i]);
    for (const auto &plan : prog.plans) {
      have += (have.empty() ? "" : "; ") + plan.spec.name + " {";
      bool first = true;
      for (const auto &[k, v] : plan.spec.symbols) have += (first ? "" : ", ") + k + ": " + std::to_string(v), first = false;
      have += "}";
    }
    fail(QEFF_E_MISMATCH, "no specialization takes inputs " + given + " (compiled: " + have + ")");
  }
  return static_cast<size_t>(p);
}

std::optional<size_t> Session::find_state(const std::string &name) const {
  const auto &r = exe_->program().retained;
  for (size_t k = 0; k < r.size(); ++k)
    if (r[k].input == name) return k;
  return std::nullopt;
}

void Session::prepare_state(const compiler::Plan &plan, const std::vector<NamedTensor> &inputs) {
  for (const auto &v : plan.values) {
    if (v.placement != Placement::state) continue;
    State &s = states_[static_cast<size_t>(v.index)];
    // A retained-state input given by the caller replaces the kept state.
    const NamedTensor *given = nullptr;
    for (const NamedTensor &t : inputs)
      if (t.name == v.name) given = &t;
    if (given) {
      graph::TensorType type = ops::make_type(given->tensor.dtype, given->tensor.shape);
      if (!(type == v.type))
        fail(QEFF_E_MISMATCH, "retained state " + quote(v.name, 96) + " given as " + graph::to_string(type) +
                                  "; specialization " + quote(plan.spec.name, 64) + " holds " + graph::to_string(v.type));
    } else if (s.data && !(s.type == v.type)) {
      fail(QEFF_E_STATE, "retained state " + quote(v.name, 96) + " holds " + graph::to_string(s.type) +
                             " from specialization " + quote(s.spec, 64) + "; specialization " +
                             quote(plan.spec.name, 64) + " needs " + graph::to_string(v.type) + "; reset the session first");
    }
    if (!given && s.data) continue;
    s.data = make_aligned(tensor_bytes(v.type));  // zeros, unless the caller gave the bytes
    s.type = v.type;
    s.spec = plan.spec.name;
    if (given && given->tensor.data) std::memcpy(s.data.get(), given->tensor.data, tensor_bytes(v.type));
  }
}

std::vector<NamedTensor> Session::run(const std::vector<NamedTensor> &inputs) {
  auto lock = enter(busy_);
  const compiler::Program &prog = exe_->program();
  std::vector<const NamedTensor *> given;
  size_t p = select_plan(inputs, given);
  const compiler::Plan &plan = prog.plans[p];
  if (state_poisoned_)
    fail(QEFF_E_STATE, "a failed run left the retained state undefined; reset the session first");
  prepare_state(plan, inputs);
  const Executable::Layout &layout = exe_->layout(p);
  if (!arenas_[p]) arenas_[p] = make_aligned(layout.arena_bytes);
  uint8_t *arena = arenas_[p].get();

  std::vector<void *> ptr(plan.values.size(), nullptr);
  for (size_t v = 0; v < plan.values.size(); ++v) {
    const compiler::PlannedValue &pv = plan.values[v];
    auto i = static_cast<size_t>(pv.index);
    switch (pv.placement) {
      case Placement::input: ptr[v] = const_cast<void *>(given[i]->tensor.data); break;
      case Placement::state: ptr[v] = states_[i].data.get(); break;
      case Placement::constant: ptr[v] = const_cast<uint8_t *>(prog.constants[i].data.data()); break;
      case Placement::arena: ptr[v] = arena + pv.offset; break;
      case Placement::alias: ptr[v] = ptr[i]; break;
    }
  }
  std::vector<const void *> ins;
  std::vector<void *> outs;
  try {
    for (size_t s = 0; s < plan.steps.size(); ++s) {
      const ops::Kernel *k = exe_->kernel(p, s);
      if (!k) continue;  // a view
      const compiler::Step &st = plan.steps[s];
      ins.clear(), outs.clear();
      for (int32_t v : st.inputs) ins.push_back(v < 0 ? nullptr : ptr[static_cast<size_t>(v)]);
      for (int32_t v : st.outputs) outs.push_back(ptr[static_cast<size_t>(v)]);
      ops::RunArgs args{ins.data(), outs.data(), arena + layout.workspace_offset[s], &pool_};
      k->run(args);
    }
  } catch (...) {
    if (!states_.empty()) state_poisoned_ = true;
    throw;
  }
  for (auto [v, k] : plan.state_writes)
    std::memmove(states_[static_cast<size_t>(k)].data.get(), ptr[static_cast<size_t>(v)],
                 tensor_bytes(plan.values[static_cast<size_t>(v)].type));
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < plan.outputs.size(); ++i) {
    const compiler::PlannedValue &pv = plan.values[static_cast<size_t>(plan.outputs[i])];
    out.push_back({prog.outputs[i].name, {pv.type.dtype, ops::dims_of(pv.type), ptr[static_cast<size_t>(plan.outputs[i])]}});
  }
  last_plan_ = static_cast<int>(p);
  return out;
}

void Session::reset_state() {
  auto lock = enter(busy_);
  for (State &s : states_) s = State{};
  state_poisoned_ = false;
}

std::pair<graph::TensorType, std::vector<uint8_t>> Session::read_state(const std::string &name) {
  auto lock = enter(busy_);
  auto k = find_state(name);
  if (!k) fail(QEFF_E_NOT_FOUND, "the program has no retained state " + quote(name, 96));
  const State &s = states_[*k];
  if (!s.data) fail(QEFF_E_STATE, "retained state " + quote(name, 96) + " does not exist until a run creates it");
  uint64_t n = tensor_bytes(s.type);
  return {s.type, std::vector<uint8_t>(s.data.get(), s.data.get() + n)};
}

}  // namespace qeff::runtime
