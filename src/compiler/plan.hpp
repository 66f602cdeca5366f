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

// What one session of a program allocates at most, from its memory plan: the
// arena of every plan (a session keeps one per specialization it has run) and
// each retained state (the KV cache) at the largest size a plan gives it. The
// weights are not counted (they are shared and already mapped). Sums saturate
// at UINT64_MAX.
struct SessionBytes {
  uint64_t arenas = 0, state = 0, total = 0;
  std::string largest_plan;  // the specialization with the largest arena
  uint64_t largest_arena = 0;
};
SessionBytes session_bytes(const Program &program);

// Throws QEFF_E_LIMIT naming the sizes and `limit_text` (the limit as the
// caller set it, e.g. "limits.program_bytes = 1000") when
// session_bytes(program).total exceeds `limit`, so that a program whose session
// could never be allocated is refused before anything is allocated.
void check_session_bytes(const Program &program, uint64_t limit, const std::string &limit_text);

}  // namespace qeff::compiler
