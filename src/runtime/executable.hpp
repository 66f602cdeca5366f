// A Program made ready to run (docs/runtime.md): validated for this runtime
// and with every step's kernel prepared. Immutable and shared: any number of
// sessions, on any threads, run the same Executable.
//
// Loading trusts nothing in the Program (it may come from a package someone
// edited): the target must be "cpu"; every value id, placement index, arena
// offset and constant must be in bounds and of the right size; every step's
// inputs must be written before they are read; and each step's output types
// are inferred again from its input types and compared with the plan's. A
// violation is QEFF_E_FORMAT naming the plan, step and value. A kernel that
// needs more workspace than its step was planned with is not a violation:
// it gets a region after the arena (Layout).
#pragma once

#include <memory>
#include <vector>

#include "compiler/program.hpp"
#include "ops/op.hpp"

namespace qeff::runtime {

class Executable {
 public:
  static std::shared_ptr<const Executable> load(std::shared_ptr<const compiler::Program> program);

  const compiler::Program &program() const { return *program_; }
  // The kernel of step `s` of plan `p` (nullptr for views, which run nothing).
  const ops::Kernel *kernel(size_t p, size_t s) const { return kernels_[p][s].get(); }

  // Where a plan's steps find their workspace: the planned offsets, except
  // for steps whose kernels need more than the plan gives (a package planned
  // by an older build): those share one region after the plan's arena, and
  // arena_bytes grows to hold it.
  struct Layout {
    uint64_t arena_bytes = 0;
    std::vector<uint64_t> workspace_offset;  // per step
  };
  const Layout &layout(size_t p) const { return layouts_[p]; }

 private:
  explicit Executable(std::shared_ptr<const compiler::Program> program) : program_(std::move(program)) {}
  void check_and_prepare();

  std::shared_ptr<const compiler::Program> program_;
  std::vector<std::vector<std::unique_ptr<ops::Kernel>>> kernels_;
  std::vector<Layout> layouts_;
};

// Bytes of a fixed-shape value (QEFF_E_FORMAT when it overflows).
uint64_t tensor_bytes(const graph::TensorType &type);

}  // namespace qeff::runtime
