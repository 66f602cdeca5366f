#include "runtime/executable.hpp"

#include <algorithm>
#include <cstdint>

#include "common/error.hpp"
#include "common/log.hpp"

namespace qeff::runtime {
namespace {

using compiler::Placement;
using compiler::Plan;

class Checker {
 public:
  Checker(const compiler::Program &prog, size_t p) : prog_(prog), plan_(prog.plans[p]) {
    where_ = "plan " + std::to_string(p) + " (" + quote(plan_.spec.name, 64) + ")";
  }

  // The plan's kernels, and in `layout` where each step's workspace lies.
  std::vector<std::unique_ptr<ops::Kernel>> run(Executable::Layout &layout) {
    std::vector<bool> written(plan_.values.size(), false);
    for (size_t v = 0; v < plan_.values.size(); ++v) check_value(v, written);
    std::vector<std::unique_ptr<ops::Kernel>> kernels;
    layout.workspace_offset.clear();
    uint64_t overflow = 0;  // the most workspace a step needs beyond its planned region
    std::vector<size_t> short_steps;
    for (size_t s = 0; s < plan_.steps.size(); ++s) {
      kernels.push_back(check_step(s, written));
      const compiler::Step &st = plan_.steps[s];
      layout.workspace_offset.push_back(st.workspace_offset);
      const uint64_t ws = kernels.back() ? kernels.back()->workspace_bytes() : 0;
      if (ws > st.workspace_bytes) {
        short_steps.push_back(s);
        overflow = std::max(overflow, ws);
      }
    }
    // Steps run one at a time, so one region after the arena serves every
    // step whose kernel needs more than the plan gave it (a package planned
    // by an older build whose kernels needed less).
    layout.arena_bytes = plan_.arena_bytes;
    if (overflow > 0) {
      const uint64_t base = (plan_.arena_bytes + 63) / 64 * 64;
      if (base < plan_.arena_bytes || overflow > UINT64_MAX - base) bad("workspace overflow");
      for (size_t s : short_steps) layout.workspace_offset[s] = base;
      layout.arena_bytes = base + overflow;
      log_info("program " + where_ + ": " + std::to_string(short_steps.size()) +
               " step(s) need more workspace than the package planned (an older build's plan); " +
               std::to_string(overflow) + " bytes after the arena serve them");
    }
    for (size_t i = 0; i < plan_.outputs.size(); ++i) check_written(plan_.outputs[i], written, "outputs");
    if (plan_.inputs.size() != prog_.inputs.size() || plan_.outputs.size() != prog_.outputs.size())
      bad("inputs/outputs do not match the program signature");
    for (auto [v, k] : plan_.state_writes) {
      check_written(v, written, "state_writes");
      if (k < 0 || static_cast<size_t>(k) >= prog_.retained.size()) bad("state_writes names state " + std::to_string(k));
    }
    return kernels;
  }

 private:
  [[noreturn]] void bad(const std::string &what) const {
    fail(QEFF_E_FORMAT, "program " + where_ + ": " + what);
  }
  const compiler::PlannedValue &value(int32_t v, const char *field) const {
    if (v < 0 || static_cast<size_t>(v) >= plan_.values.size())
      bad(std::string(field) + " refers to value " + std::to_string(v) + " of " + std::to_string(plan_.values.size()));
    return plan_.values[static_cast<size_t>(v)];
  }
  void check_written(int32_t v, const std::vector<bool> &written, const char *field) const {
    value(v, field);
    if (!written[static_cast<size_t>(v)]) bad(std::string(field) + " reads value " + std::to_string(v) + " before it is written");
  }

  void check_value(size_t v, std::vector<bool> &written) {
    const compiler::PlannedValue &pv = plan_.values[v];
    std::string label = "value " + std::to_string(v) + " (" + quote(pv.name, 64) + ")";
    if (!graph::is_fixed(pv.type.shape) || !pv.type.known()) bad(label + " has no fixed type");
    uint64_t bytes = tensor_bytes(pv.type);
    auto index = static_cast<size_t>(pv.index);
    switch (pv.placement) {
      case Placement::input:
        if (pv.index < 0 || index >= prog_.inputs.size()) bad(label + " is input " + std::to_string(pv.index));
        if (prog_.inputs[index].type.dtype != pv.type.dtype) bad(label + " has the wrong dtype for its input");
        written[v] = true;
        break;
      case Placement::state:
        if (pv.index < 0 || index >= prog_.retained.size()) bad(label + " is state " + std::to_string(pv.index));
        written[v] = true;
        break;
      case Placement::constant:
        if (pv.index < 0 || index >= prog_.constants.size()) bad(label + " is constant " + std::to_string(pv.index));
        if (!(prog_.constants[index].type == pv.type) || prog_.constants[index].data.size() != bytes)
          bad(label + " does not match constant " + quote(prog_.constants[index].name, 64));
        written[v] = true;
        break;
      case Placement::arena:
        if (pv.offset > plan_.arena_bytes || bytes > plan_.arena_bytes - pv.offset || pv.offset % 64)
          bad(label + " at offset " + std::to_string(pv.offset) + " (" + std::to_string(bytes) +
              " bytes) is outside the arena of " + std::to_string(plan_.arena_bytes) + " bytes or misaligned");
        break;
      case Placement::alias:
        if (pv.index < 0 || index >= v) bad(label + " aliases value " + std::to_string(pv.index));
        if (tensor_bytes(plan_.values[index].type) != bytes) bad(label + " aliases a value of another size");
        break;
      default:
        bad(label + " has an unknown placement");
    }
  }

  std::unique_ptr<ops::Kernel> check_step(size_t s, std::vector<bool> &written) {
    const compiler::Step &st = plan_.steps[s];
    std::string label = "step " + std::to_string(s) + " (" + ops::node_label(st.node) + ")";
    const ops::OpDef *def = ops::find_op(st.node.domain, st.node.op_type);
    if (!def) bad(label + ": no CPU kernel for this op");
    std::vector<graph::TensorType> in_types, out_types;
    std::vector<ops::TensorView> views(st.inputs.size());
    std::vector<const ops::TensorView *> consts(st.inputs.size(), nullptr);
    for (size_t i = 0; i < st.inputs.size(); ++i) {
      if (st.inputs[i] < 0) {
        in_types.push_back({});
        continue;
      }
      check_written(st.inputs[i], written, "a step input");
      const compiler::PlannedValue &pv = plan_.values[static_cast<size_t>(st.inputs[i])];
      in_types.push_back(pv.type);
      if (pv.placement == Placement::constant) {
        views[i] = {pv.type.dtype, ops::dims_of(pv.type), prog_.constants[static_cast<size_t>(pv.index)].data.data()};
        consts[i] = &views[i];
      }
    }
    for (int32_t o : st.outputs) {
      const compiler::PlannedValue &pv = value(o, "a step output");
      if (written[static_cast<size_t>(o)]) bad(label + " writes value " + std::to_string(o) + " twice");
      if (pv.placement != Placement::arena && pv.placement != Placement::alias)
        bad(label + " writes a value placed as " + compiler::placement_name(pv.placement));
      written[static_cast<size_t>(o)] = true;
      out_types.push_back(pv.type);
    }
    ops::InferContext ictx{st.node, st.opset, in_types, consts};
    std::vector<graph::TensorType> inferred = def->infer(ictx);
    if (inferred.size() < out_types.size()) bad(label + " has more outputs than the op produces");
    for (size_t i = 0; i < out_types.size(); ++i)
      if (!(inferred[i] == out_types[i]))
        bad(label + " output " + std::to_string(i) + " is planned as " + graph::to_string(out_types[i]) +
            " but the op computes " + graph::to_string(inferred[i]));
    if (def->flags & ops::kView) return nullptr;
    ops::PrepareContext pctx{st.node, st.opset, in_types, out_types, consts};
    std::unique_ptr<ops::Kernel> kernel = def->prepare(pctx);
    if (!kernel) bad(label + ": the op prepared no kernel");
    if (st.workspace_offset > plan_.arena_bytes || st.workspace_bytes > plan_.arena_bytes - st.workspace_offset ||
        st.workspace_offset % 64)
      bad(label + " has workspace " + std::to_string(st.workspace_bytes) + " bytes at offset " +
          std::to_string(st.workspace_offset) + ", outside the arena of " + std::to_string(plan_.arena_bytes));
    return kernel;
  }

  const compiler::Program &prog_;
  const Plan &plan_;
  std::string where_;
};

}  // namespace

uint64_t tensor_bytes(const graph::TensorType &type) {
  auto b = graph::byte_size(type);
  if (!b) fail(QEFF_E_FORMAT, "tensor " + graph::to_string(type) + " has no valid byte size");
  return *b;
}

std::shared_ptr<const Executable> Executable::load(std::shared_ptr<const compiler::Program> program) {
  if (!program) fail(QEFF_E_INVALID_ARGUMENT, "no program");
  if (program->target != "cpu")
    fail(QEFF_E_UNSUPPORTED, "program was compiled for target " + quote(program->target, 32) +
                                 "; this runtime runs target cpu");
  std::shared_ptr<Executable> e(new Executable(std::move(program)));
  e->check_and_prepare();
  return e;
}

void Executable::check_and_prepare() {
  layouts_.resize(program_->plans.size());
  for (size_t p = 0; p < program_->plans.size(); ++p) kernels_.push_back(Checker(*program_, p).run(layouts_[p]));
}

}  // namespace qeff::runtime
