#include "common/hash.hpp"

#include <cstdio>

namespace qeff {

std::string ContentHash::text() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(state_));
  return buf;
}

}  // namespace qeff
