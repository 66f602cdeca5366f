#include "common/digest.hpp"

#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "common/cancel.hpp"
#include "common/error.hpp"

namespace qeff {

struct Digest::State {
  XXH3_state_t *xxh = nullptr;
  State() {
    xxh = XXH3_createState();
    if (xxh == nullptr) throw std::bad_alloc();
    XXH3_128bits_reset(xxh);
  }
  ~State() { XXH3_freeState(xxh); }
};

Digest::Digest() : state_(std::make_unique<State>()) {}
Digest::~Digest() = default;
Digest::Digest(Digest &&) noexcept = default;
Digest &Digest::operator=(Digest &&) noexcept = default;

void Digest::update(const void *data, size_t size) {
  // Weights are digested in slices so a cancelled call stops within one slice.
  constexpr size_t kSlice = size_t{32} << 20;
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    const size_t n = std::min(size, kSlice);
    if (size > kSlice) cancellation_point("computing a digest");
    XXH3_128bits_update(state_->xxh, p, n);
    p += n;
    size -= n;
  }
}

void Digest::update_field(std::string_view bytes) {
  uint8_t len[8];
  uint64_t n = bytes.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
  update(len, sizeof len);
  update(bytes);
}

std::string Digest::text() const {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state_->xxh));
  static const char hex[] = "0123456789abcdef";
  std::string out(kDigestPrefix);
  for (unsigned char b : c.digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string digest_of(std::string_view bytes) {
  Digest d;
  d.update(bytes);
  return d.text();
}

bool is_digest_text(std::string_view text) {
  if (text.size() != kDigestPrefix.size() + kDigestHexDigits || text.substr(0, kDigestPrefix.size()) != kDigestPrefix)
    return false;
  for (char c : text.substr(kDigestPrefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

uint64_t digest_fd(int fd, const std::string &path, Digest *into) {
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(total));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(QEFF_E_IO, "cannot read " + quote(path) + ": " + std::strerror(errno));
    if (n == 0) return total;
    if (into != nullptr) into->update(buf.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
}

}  // namespace qeff
