// Pass 3 of the compiler (docs/compiler.md): lowering a specialized, fused
// graph to a Plan and planning its memory.
//  - every value gets an id and a placement: caller input, retained state,
//    constant, arena offset, or an alias of another value;
//  - views (ops::kView) alias their input; an op flagged ops::kInPlace writes
//    over input 0 when that buffer is dead afterwards (an arena value, or the
//    retained state whose X_RetainedState it computes);
//  - arena values live from the step that writes them to their last reader
//    (graph outputs to the end); offsets are assigned largest first, each at
//    the lowest 64-byte aligned offset free during its lifetime; a step's
//    workspace lives during that step only.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/program.hpp"
#include "compiler/specialize.hpp"

namespace qeff::compiler {

// The program-wide constant table, shared by the plans: a value folded the
// same for every specialization is stored once.
class ConstantTable {
 public:
  explicit ConstantTable(std::vector<Constant> &constants) : constants_(constants) {}
  int32_t add(const std::string &name, const KnownValue &value);

 private:
  std::vector<Constant> &constants_;
  std::map<std::pair<std::string, const void *>, int32_t> index_;
  std::map<std::string, int> name_uses_;
};

// `program` supplies the signature (inputs, outputs) and the retained pairs.
Plan build_plan(const SpecializedGraph &g, const Program &program, ConstantTable &constants);

}  // namespace qeff::compiler
