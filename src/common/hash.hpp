// A streaming 64-bit FNV-1a content hash: identifies exported models and, later,
// compiled-program cache entries (weights included, so a changed checkpoint
// never reuses a stale artifact). Not cryptographic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace qeff {

class ContentHash {
 public:
  void update(const void *data, size_t size) {
    const auto *p = static_cast<const unsigned char *>(data);
    uint64_t h = state_;
    for (size_t i = 0; i < size; ++i) {
      h ^= p[i];
      h *= 0x100000001b3ULL;
    }
    state_ = h;
  }
  void update(const std::string &s) { update(s.data(), s.size()); }
  uint64_t value() const { return state_; }
  // "fnv1a64:" followed by 16 lowercase hex digits.
  std::string text() const;

 private:
  uint64_t state_ = 0xcbf29ce484222325ULL;
};

}  // namespace qeff
