#include "ops/tables.hpp"

namespace qeff::ops::tables {

std::vector<OpDef> generic() { return {}; }

}  // namespace qeff::ops::tables
