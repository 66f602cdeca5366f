// Shared helpers of the fuzz targets (tests/fuzz/fuzz_*.cpp).
//
// Every target defines LLVMFuzzerTestOneInput and checks *invariants*: a
// failure must be a qeff::Error with a known status from the target's list and
// a non-empty message; a success must give a result that obeys the documented
// rules (ranges inside the file, ids below the vocabulary size, ...). A broken
// invariant aborts with a message, which libFuzzer (and the replay tests)
// report as a crash.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <new>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "fuzz_check.hpp"
#include "qeff/qeff.h"


namespace qeff_fuzz {

__extension__ typedef unsigned __int128 u128;  // exact products of 64-bit sizes

inline bool known_status(int s) { return s >= QEFF_E_INVALID_ARGUMENT && s <= QEFF_E_INTERNAL; }

// A failure: a known status from `allowed`, never E_INTERNAL (a bug caught at
// the ABI), and a message that says something.
inline void check_error(qeff_status status, const char *message, std::initializer_list<qeff_status> allowed,
                        const char *where) {
  FUZZ_CHECK(known_status(status), "%s: unknown status %d (%s)", where, static_cast<int>(status),
             message ? message : "(null)");
  FUZZ_CHECK(status != QEFF_E_INTERNAL, "%s: QEFF_E_INTERNAL: %s", where, message ? message : "(null)");
  bool ok = allowed.size() == 0;
  for (qeff_status a : allowed) ok = ok || a == status;
  FUZZ_CHECK(ok, "%s: status %s not expected here: %s", where, qeff_status_name(status),
             message ? message : "(null)");
  FUZZ_CHECK(message != nullptr && message[0] != '\0', "%s: %s with an empty message", where,
             qeff_status_name(status));
}

// Runs `body`; a qeff::Error must pass check_error (and, when `must_name` is
// not empty, its message must contain it: errors name the file). Any other
// exception is a bug (it would become QEFF_E_INTERNAL at the ABI). Returns
// QEFF_OK or the error's status.
template <typename F>
qeff_status run_status(const char *where, std::initializer_list<qeff_status> allowed, F &&body,
                       std::string_view must_name = {}) {
  try {
    body();
    return QEFF_OK;
  } catch (const qeff::Error &e) {
    check_error(e.status(), e.what(), allowed, where);
    FUZZ_CHECK(must_name.empty() || std::string_view(e.what()).find(must_name) != std::string_view::npos,
               "%s: the message does not name %.*s: %s", where, static_cast<int>(must_name.size()),
               must_name.data(), e.what());
    return e.status();
  } catch (const std::bad_alloc &) {
    FUZZ_CHECK(false, "%s: std::bad_alloc escaped (an allocation not bounded by a cap)", where);
  } catch (const std::exception &e) {
    FUZZ_CHECK(false, "%s: unexpected exception (not qeff::Error): %s", where, e.what());
  }
  return QEFF_E_INTERNAL;
}

template <typename F>
bool run_checked(const char *where, std::initializer_list<qeff_status> allowed, F &&body,
                 std::string_view must_name = {}) {
  return run_status(where, allowed, static_cast<F &&>(body), must_name) == QEFF_OK;
}

// A scratch directory for targets that go through the file system, removed at
// exit. Never inside the source tree: $TMPDIR (or /tmp)/qeff-fuzz-XXXXXX.
class ScratchDir {
 public:
  ScratchDir() {
    const char *t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t != nullptr && *t != '\0' ? t : "/tmp") + "/qeff-fuzz-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = std::filesystem::canonical(tmpl).string();
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string &path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

inline std::string read_file(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The fixtures directory (tests/fixtures/models), baked in at build time.
inline std::string fixtures_dir() {
#ifdef QEFF_FUZZ_FIXTURES
  if (const char *e = std::getenv("QEFF_FIXTURES"); e != nullptr && *e != '\0') return std::string(e) + "/models";
  return QEFF_FUZZ_FIXTURES;
#else
  const char *e = std::getenv("QEFF_FIXTURES");
  return std::string(e != nullptr ? e : "tests/fixtures") + "/models";
#endif
}

// Splits the input at the first occurrence of `sep` (for targets taking two
// documents). Without it, `second` is empty.
inline void split2(std::string_view in, std::string_view sep, std::string_view *first, std::string_view *second) {
  size_t at = in.find(sep);
  if (at == std::string_view::npos) {
    *first = in;
    *second = {};
  } else {
    *first = in.substr(0, at);
    *second = in.substr(at + sep.size());
  }
}

}  // namespace qeff_fuzz
