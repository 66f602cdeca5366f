#include "ops/tables.hpp"

namespace qeff::ops::tables {

std::vector<OpDef> linear() { return {}; }

}  // namespace qeff::ops::tables
