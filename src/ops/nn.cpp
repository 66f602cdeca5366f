#include "ops/tables.hpp"

namespace qeff::ops::tables {

std::vector<OpDef> nn() { return {}; }

}  // namespace qeff::ops::tables
