// Fast content digests: XXH3-128 (xxHash, ~20 GB/s), written as
// "xxh3-128:<32 lowercase hex digits>". They detect corruption and identify
// content (program packages, cache keys); they are not cryptographic, so they
// do not defend against someone who can rewrite both a file and its digest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace qeff {

inline constexpr std::string_view kDigestPrefix = "xxh3-128:";
inline constexpr size_t kDigestHexDigits = 32;

class Digest {
 public:
  Digest();
  ~Digest();
  Digest(Digest &&) noexcept;
  Digest &operator=(Digest &&) noexcept;
  Digest(const Digest &) = delete;
  Digest &operator=(const Digest &) = delete;

  void update(const void *data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Length-prefixed, so that a sequence of fields never collides with another
  // split of the same bytes ("ab","c" vs "a","bc").
  void update_field(std::string_view bytes);
  // "xxh3-128:" + 32 hex digits of everything so far (the state is kept).
  std::string text() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Digest text of `bytes`.
std::string digest_of(std::string_view bytes);

// Whether `text` has the form digest text has (prefix, 32 lowercase hex digits).
bool is_digest_text(std::string_view text);

// Digest of the whole regular file open as `fd`, read from offset 0 until end
// of file with pread (a file that shrinks or grows while being read gives the
// digest of what was read; callers compare sizes too). Adds the bytes to
// `*into` when not null. Throws QEFF_E_IO naming `path`. Returns the byte count.
uint64_t digest_fd(int fd, const std::string &path, Digest *into);

}  // namespace qeff
