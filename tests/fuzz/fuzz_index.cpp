// Sharded checkpoints: the input is model.safetensors.index.json, loaded with
// hub::Checkpoint::load from a scratch model directory that also holds a few
// shards and traps:
//   a.safetensors       tensors "x" (F32 [2]) and "y" (I8 [3])
//   b.safetensors       tensor "z" (F16 [1, 2])
//   empty.safetensors   0 bytes
//   dir.safetensors/    a directory
//   out.safetensors     a symlink to a valid shard outside the model directory
//   loop.safetensors    a symlink to itself
//   pytorch_model.bin   a pickle stand-in
// and, next to the model directory, outside.safetensors.
//
// Invariants (RELIABILITY.md B5): a failure is QEFF_E_FORMAT, QEFF_E_NOT_FOUND,
// QEFF_E_SECURITY, QEFF_E_MISMATCH, QEFF_E_UNSUPPORTED, QEFF_E_LIMIT or
// QEFF_E_IO with a message. A success gives a sharded checkpoint whose files all
// lie inside the model directory (never out.safetensors' target), at most
// limits.shard_count of them; tensors sorted by unique name, each found by
// find() and with its bytes inside the mapping of one of the files.
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/files.hpp"
#include "fuzz_common.hpp"
#include "hub/checkpoint.hpp"
#include "hub/limits.hpp"

namespace {

qeff_fuzz::ScratchDir *scratch;
std::string model_dir;

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::string safetensors(const std::string &header, size_t data_len) {
  return le64(header.size()) + header + std::string(data_len, '\x01');
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  static qeff_fuzz::ScratchDir dir;  // removed at exit
  scratch = &dir;
  model_dir = scratch->file("model");
  std::filesystem::create_directory(model_dir);
  auto put = [](const std::string &name, const std::string &bytes) { qeff_fuzz::write_file(model_dir + "/" + name, bytes); };
  put("a.safetensors", safetensors(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                   R"("y":{"dtype":"I8","shape":[3],"data_offsets":[8,11]}})", 11));
  put("b.safetensors", safetensors(R"({"__metadata__":{"format":"pt"},)"
                                   R"("z":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]}})", 4));
  put("empty.safetensors", "");
  put("pytorch_model.bin", "\x80\x02}q\x00.");
  std::filesystem::create_directory(model_dir + "/dir.safetensors");
  qeff_fuzz::write_file(scratch->file("outside.safetensors"),
                        safetensors(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  if (::symlink("../outside.safetensors", (model_dir + "/out.safetensors").c_str()) != 0 ||
      ::symlink("loop.safetensors", (model_dir + "/loop.safetensors").c_str()) != 0) {
    std::perror("symlink");
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (scratch == nullptr) LLVMFuzzerInitialize(nullptr, nullptr);
  const std::string index = "model.safetensors.index.json";
  qeff_fuzz::write_file(model_dir + "/" + index,
                        std::string_view(reinterpret_cast<const char *>(data), data != nullptr ? size : 0));
  qeff::FileRoot root(model_dir);
  qeff::hub::HubLimits limits;
  limits.shard_count = 4;
  limits.tensor_count = 64;
  std::optional<qeff::hub::Checkpoint> c;
  bool ok = qeff_fuzz::run_checked(
      "Checkpoint::load",
      {QEFF_E_FORMAT, QEFF_E_NOT_FOUND, QEFF_E_SECURITY, QEFF_E_MISMATCH, QEFF_E_UNSUPPORTED, QEFF_E_LIMIT,
       QEFF_E_IO},
      [&] { c.emplace(qeff::hub::Checkpoint::load(root, limits)); });
  if (!ok) return 0;

  FUZZ_CHECK(c->sharded(), "an index-only directory loaded as a single file");
  FUZZ_CHECK(c->files().size() <= limits.shard_count, "%zu shards above the cap", c->files().size());
  FUZZ_CHECK(c->tensors().size() <= limits.tensor_count, "tensors above the cap");
  for (const auto &f : c->files()) {
    std::string p = std::filesystem::canonical(f.path()).string();
    FUZZ_CHECK(qeff::path_within(p, model_dir), "a shard outside the model directory was opened: %s", p.c_str());
  }
  const auto &ts = c->tensors();
  for (size_t i = 0; i < ts.size(); ++i) {
    const auto *t = ts[i];
    if (i > 0) FUZZ_CHECK(ts[i - 1]->name < t->name, "tensors not sorted by unique name");
    FUZZ_CHECK(c->find(t->name) == t, "find(%s)", t->name.c_str());
    bool inside = t->nbytes == 0;
    for (const auto &f : c->files()) {
      const uint8_t *b = f.mapping().data(), *e = b + f.mapping().size();
      inside = inside || (t->data >= b && t->data <= e && t->nbytes <= static_cast<uint64_t>(e - t->data));
    }
    FUZZ_CHECK(inside, "tensor %s is not inside any shard mapping", t->name.c_str());
  }
  return 0;
}
