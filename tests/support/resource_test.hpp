// Helpers of the resource and fault-injection tests (tests/api/test_resources.cpp,
// tests/api/test_io_faults.cpp): private copies of fixture models, snapshots of
// directories, editing one value of a safetensors file, and running the
// limit_child helper (tests/support/limit_child.cpp). C ABI and std only.
#pragma once

#include <cjson/cJSON.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "model_writer.hpp"

namespace qeff_test {

// Copies fixture model `name` into `dest`, readable by any user (so that a
// child that dropped its privileges can load it; its parents must be
// searchable too).
inline void copy_model(const std::string &name, const fs::path &dest) {
  fs::create_directories(dest.parent_path());
  fs::copy(fs::path(fixtures_dir()) / "models" / name, dest, fs::copy_options::recursive);
  ::chmod(dest.c_str(), 0755);
  for (const auto &e : fs::directory_iterator(dest)) ::chmod(e.path().c_str(), 0644);
}

// Every entry of `dir` (recursively): relative path -> contents ("<dir>" for directories).
inline std::map<std::string, std::string> snapshot(const fs::path &dir) {
  std::map<std::string, std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(dir))
    out[fs::relative(e.path(), dir).string()] = e.is_directory() ? "<dir>" : read_file(e.path());
  return out;
}

// Names of the entries of a snapshot, for failure messages.
inline std::string names(const std::map<std::string, std::string> &snap) {
  std::string s;
  for (const auto &[k, v] : snap) s += (s.empty() ? "" : ", ") + k;
  return "[" + s + "]";
}

// Where a tensor's bytes start in a safetensors file, and its element count.
struct TensorLocation {
  size_t offset = 0, elements = 0;
  std::vector<int64_t> shape;
};

inline TensorLocation locate_tensor(const fs::path &file, const std::string &tensor) {
  std::string bytes = read_file(file);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes.at(static_cast<size_t>(i)));
  cJSON *h = cJSON_ParseWithLength(bytes.data() + 8, n);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(h, tensor.c_str());
  if (t == nullptr || std::string(cJSON_GetObjectItemCaseSensitive(t, "dtype")->valuestring) != "F32") {
    cJSON_Delete(h);
    throw std::runtime_error("no F32 tensor " + tensor + " in " + file.string());
  }
  TensorLocation loc;
  loc.offset = 8 + n + static_cast<size_t>(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(t, "data_offsets"), 0)->valuedouble);
  loc.elements = 1;
  for (const cJSON *d = cJSON_GetObjectItemCaseSensitive(t, "shape")->child; d; d = d->next) {
    loc.shape.push_back(static_cast<int64_t>(d->valuedouble));
    loc.elements *= static_cast<size_t>(d->valuedouble);
  }
  cJSON_Delete(h);
  return loc;
}

// Overwrites F32 elements `indices` of `tensor` in the safetensors `file` with `value`.
inline void poke_f32(const fs::path &file, const std::string &tensor, const std::vector<size_t> &indices, float value) {
  TensorLocation loc = locate_tensor(file, tensor);
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  for (size_t i : indices) {
    if (i >= loc.elements) throw std::runtime_error("poke_f32: index out of range");
    f.seekp(static_cast<std::streamoff>(loc.offset + 4 * i));
    f.write(reinterpret_cast<const char *>(&value), 4);
  }
  if (!f) throw std::runtime_error("cannot write " + file.string());
}

// A finished limit_child run: its exit code (or -signal) and output lines.
struct ChildRun {
  int exit = -1;
  std::vector<std::string> lines;
  std::string output() const {
    std::string s;
    for (const auto &l : lines) s += l + "\n";
    return s;
  }
  // The line of `call` ("load", "retry compile", ...), "" if absent.
  std::string line(const std::string &call) const {
    for (const auto &l : lines)
      if (l.rfind(call + " ", 0) == 0) return l;
    return {};
  }
};

// Runs the limit_child executable (built beside the test binary) with `args`.
inline ChildRun run_limit_child(const std::vector<std::string> &args) {
  std::string exe = (fs::read_symlink("/proc/self/exe").parent_path() / "limit_child").string();
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char *> argv{exe.data()};
    std::vector<std::string> copy = args;
    for (auto &a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;)
    if (n > 0) text.append(buf, static_cast<size_t>(n));
    else if (errno != EINTR) break;
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildRun r;
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) r.lines.push_back(l);
  return r;
}

}  // namespace qeff_test
