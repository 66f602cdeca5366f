// Program packages on disk (package.hpp, docs/package.md): the files, their
// digests, the atomic directory commit, and reading through FileRoot.
#include "compiler/package.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/cancel.hpp"
#include "common/atomic_write.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "compiler/package_format.hpp"
#include "kernels/cpu.hpp"

namespace qeff::compiler {
namespace {

using package_detail::ConstantLayout;
using package_detail::FileEntry;

constexpr const char *kPackageTempPrefix = ".qeff-pkg-tmp-";

std::string errno_text(int e) { return std::strerror(e); }

// `dir` split into its parent (as given, "." when none) and its last component.
void split_dir(const std::string &dir, std::string *parent, std::string *name) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  size_t slash = d.rfind('/');
  *name = slash == std::string::npos ? d : d.substr(slash + 1);
  *parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : d.substr(0, slash));
  if (name->empty() || *name == "." || *name == ".." || d == "/")
    fail(QEFF_E_INVALID_ARGUMENT, "package directory " + quote(dir) + " must name a directory (not '/', '.' or '..')");
}

// Writes one file of the package inside the (fresh) temporary directory.
class FileWriter {
 public:
  FileWriter(const TempDirectory &dir, const char *name, const std::string &display)
      : display_(display), fd_(::openat(dir.fd(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) {
    if (fd_.fd < 0) fail(QEFF_E_IO, "cannot create " + quote(display_) + ": " + errno_text(errno));
  }
  void write(const void *data, size_t size) {
    write_all(fd_.fd, data, size, display_);
    digest_.update(data, size);
    size_ += size;
  }
  FileEntry finish() {
    sync_fd(fd_.fd, display_);
    return {size_, digest_.text()};
  }

 private:
  std::string display_;
  UniqueFd fd_;
  Digest digest_;
  uint64_t size_ = 0;
};

FileEntry write_text_file(const TempDirectory &dir, const char *name, const std::string &display,
                          const std::string &text) {
  FileWriter w(dir, name, display);
  w.write(text.data(), text.size());
  return w.finish();
}

FileEntry write_weights(const Program &p, const std::vector<ConstantLayout> &layout, const TempDirectory &dir,
                        const std::string &display) {
  static const uint8_t zeros[kWeightAlignment] = {};
  FileWriter w(dir, kWeightsFile, display);
  uint64_t at = 0;
  for (size_t i = 0; i < p.constants.size(); ++i) {
    cancellation_point("writing " + quote(display));
    w.write(zeros, static_cast<size_t>(layout[i].offset - at));  // < kWeightAlignment
    w.write(p.constants[i].data.data(), static_cast<size_t>(layout[i].length));
    at = layout[i].offset + layout[i].length;
  }
  return w.finish();
}

// What is at `name` in `parent_fd` now: nothing, an empty directory, or a
// directory that may be replaced (a package, with overwrite). Anything else
// is refused.
bool target_exists(int parent_fd, const std::string &name, const std::string &dir, bool overwrite) {
  struct stat st;
  if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return false;
    fail(QEFF_E_IO, "cannot access " + quote(dir) + ": " + errno_text(errno));
  }
  if (S_ISLNK(st.st_mode)) fail(QEFF_E_SECURITY, "package directory " + quote(dir) + " is a symlink; give its target instead");
  if (!S_ISDIR(st.st_mode)) fail(QEFF_E_IO, quote(dir) + " exists and is not a directory");
  UniqueFd d(open_dir_nofollow(parent_fd, name));
  if (d.fd < 0) fail(QEFF_E_IO, "cannot open " + quote(dir) + ": " + errno_text(errno));
  bool empty = list_directory(d.fd, dir).empty();
  if (empty) return true;
  if (!overwrite) fail(QEFF_E_IO, quote(dir) + " exists and is not empty (pass overwrite to replace a package)");
  if (::fstatat(d.fd, kManifestFile, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
    fail(QEFF_E_IO, quote(dir) + " has no " + kManifestFile + "; refusing to replace a directory that is not a program package");
  return true;
}

// Moves the finished temporary directory to `name`: atomically swapped with
// an existing directory (which then sits at the temporary name and is removed
// with it), or renamed without replacing anything that appeared meanwhile.
void commit(int parent_fd, TempDirectory &tmp, const std::string &name, bool exists, const std::string &dir) {
  const char *from = tmp.name().c_str();
  if (!exists) {
    if (::renameat2(parent_fd, from, parent_fd, name.c_str(), RENAME_NOREPLACE) == 0) {
      tmp.release();
      return;
    }
    if (errno == EEXIST) fail(QEFF_E_IO, quote(dir) + " was created by someone else while the package was written");
    if (errno != EINVAL) fail(QEFF_E_IO, "cannot rename the package into " + quote(dir) + ": " + errno_text(errno));
    // No RENAME_NOREPLACE on this file system: a plain rename still never
    // replaces a non-empty directory.
    if (::renameat(parent_fd, from, parent_fd, name.c_str()) != 0)
      fail(QEFF_E_IO, "cannot rename the package into " + quote(dir) + ": " + errno_text(errno));
    tmp.release();
    return;
  }
  if (::renameat2(parent_fd, from, parent_fd, name.c_str(), RENAME_EXCHANGE) == 0) return;  // old one removed with tmp
  if (errno != EINVAL) fail(QEFF_E_IO, "cannot replace " + quote(dir) + ": " + errno_text(errno));
  // No RENAME_EXCHANGE: move the old package aside, then the new one in (a
  // reader may briefly find no package, never a partial one).
  std::string aside = kPackageTempPrefix + random_hex(16);
  if (::renameat(parent_fd, name.c_str(), parent_fd, aside.c_str()) != 0)
    fail(QEFF_E_IO, "cannot move the old package " + quote(dir) + " aside: " + errno_text(errno));
  if (::renameat(parent_fd, from, parent_fd, name.c_str()) != 0) {
    int e = errno;
    ::renameat(parent_fd, aside.c_str(), parent_fd, name.c_str());  // put the old one back
    fail(QEFF_E_IO, "cannot rename the package into " + quote(dir) + ": " + errno_text(e));
  }
  tmp.release();
  remove_tree(parent_fd, aside);
}

std::string check_file(const FileRoot &root, const char *name, const FileEntry &entry, const std::string &bytes_digest,
                       uint64_t actual_size) {
  std::string display = root.display(name);
  if (actual_size != entry.size)
    fail(QEFF_E_FORMAT, quote(display) + " is " + std::to_string(actual_size) + " bytes but " + kManifestFile +
                            " says " + std::to_string(entry.size) + ": tampered or truncated");
  if (!bytes_digest.empty() && bytes_digest != entry.digest)
    fail(QEFF_E_FORMAT, quote(display) + " has digest " + bytes_digest + " but " + kManifestFile + " says " +
                            entry.digest + ": tampered or truncated");
  return display;
}

// Reads a listed text file, checking its size (always) and digest.
std::string read_listed(const FileRoot &root, const char *name, const package_detail::ManifestHead &head,
                        const PackageReadOptions &o) {
  cancellation_point("reading " + quote(root.display(name)));
  std::string text = root.read(name, o.json.max_bytes, "PackageReadOptions::json.max_bytes");
  check_file(root, name, head.files.at(name), o.verify_digests ? digest_of(text) : "", text.size());
  return text;
}

}  // namespace

void write_package(const Program &p, const std::string &dir, const PackageWriteOptions &o) {
  check_path_argument(dir, "package directory");
  std::string parent, name;
  split_dir(dir, &parent, &name);
  const std::string prefix = "cannot write package " + quote(dir) + ": ";
  package_detail::check_program(p, {QEFF_E_INVALID_ARGUMENT, prefix + kManifestFile, prefix + kPlanFile, UINT64_MAX, true});
  uint64_t weights_size = 0;
  std::vector<ConstantLayout> layout = package_detail::layout_constants(p, &weights_size);

  UniqueFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent_fd.fd < 0) {
    int e = errno;
    if (e == ENOENT) fail(QEFF_E_NOT_FOUND, "the parent directory " + quote(parent) + " of " + quote(dir) + " does not exist");
    fail(QEFF_E_IO, "cannot open the parent directory " + quote(parent) + " of " + quote(dir) + ": " + errno_text(e));
  }
  bool exists = target_exists(parent_fd.fd, name, dir, o.overwrite);
  remove_stale_temp_dirs(parent_fd.fd, kPackageTempPrefix);

  TempDirectory tmp(parent_fd.fd, parent, kPackageTempPrefix);
  auto display = [&](const char *file) { return tmp.path() + "/" + file; };
  std::map<std::string, FileEntry> files;
  files[kWeightsFile] = write_weights(p, layout, tmp, display(kWeightsFile));
  files[kPlanFile] = write_text_file(tmp, kPlanFile, display(kPlanFile), package_detail::plan_text(p));
  files[kSpecializationsFile] =
      write_text_file(tmp, kSpecializationsFile, display(kSpecializationsFile), package_detail::specializations_text(p));
  for (const auto &[asset, bytes] : p.assets) {
    if (!package_detail::is_asset_name(asset))
      fail(QEFF_E_INVALID_ARGUMENT, prefix + "asset " + quote(asset) + " is not a file a package may hold");
    files[asset] = write_text_file(tmp, asset.c_str(), display(asset.c_str()), bytes);
  }
  std::string isa = kernels::isa_name(kernels::detected_isa());
  write_text_file(tmp, kManifestFile, display(kManifestFile),
                  package_detail::seal_manifest(package_detail::manifest_text(p, layout, files, isa)));
  sync_fd(tmp.fd(), tmp.path());

  commit(parent_fd.fd, tmp, name, exists, dir);
  ::fsync(parent_fd.fd);  // the rename itself; failure here loses nothing already visible
}

Program read_package(const std::string &dir, const PackageReadOptions &o) {
  check_path_argument(dir, "package directory");
  FileRoot root(canonical_directory(dir));
  const std::string manifest_name = root.display(kManifestFile);
  if (!root.exists(kManifestFile))
    fail(QEFF_E_NOT_FOUND, quote(manifest_name) + " does not exist: " + quote(dir) + " is not a program package");
  std::string manifest = root.read(kManifestFile, o.json.max_bytes, "PackageReadOptions::json.max_bytes");
  JsonDocument mdoc = JsonDocument::parse(manifest, {quote(manifest_name), QEFF_E_FORMAT, "key"}, o.json);
  // The format and its version come first: another version may lay out
  // everything else (its digests included) differently.
  package_detail::ManifestHead head = package_detail::read_manifest_head(mdoc.root());
  if (o.verify_digests) {
    std::string actual = package_detail::manifest_self_digest(manifest, head.manifest_digest);
    if (actual != head.manifest_digest)
      fail(QEFF_E_FORMAT, quote(manifest_name) + ": field \"manifest_digest\" = " + head.manifest_digest +
                              " but the manifest hashes to " + (actual.empty() ? "something else" : actual) +
                              ": tampered or truncated");
  }
  Program p;
  std::vector<ConstantLayout> layout;
  package_detail::read_manifest_body(mdoc.root(), o.max_rank, &p, &layout);
  if (!o.target.empty() && p.target != o.target)
    fail(QEFF_E_UNSUPPORTED, quote(manifest_name) + ": the package was compiled for target " + quote(p.target) +
                                 "; this runtime runs " + quote(o.target));

  const std::string plan_name = root.display(kPlanFile);
  {
    std::string plan = read_listed(root, kPlanFile, head, o);
    JsonDocument pdoc = JsonDocument::parse(plan, {quote(plan_name), QEFF_E_FORMAT, "key"}, o.json);
    package_detail::read_plans(pdoc.root(), o.max_rank, &p);
  }
  read_listed(root, kSpecializationsFile, head, o);  // informational, but part of the sealed package
  for (const auto &[name, entry] : head.files)
    if (package_detail::is_asset_name(name)) p.assets[name] = read_listed(root, name.c_str(), head, o);

  auto weights = std::make_shared<MappedFile>(root.map(kWeightsFile));
  std::string digest;
  cancellation_point("verifying " + quote(root.display(kWeightsFile)));
  if (o.verify_digests) digest = digest_of({reinterpret_cast<const char *>(weights->data()), weights->size()});
  std::string weights_name = check_file(root, kWeightsFile, head.files.at(kWeightsFile), digest, weights->size());
  package_detail::check_layout(p, layout, weights->size(), quote(manifest_name), quote(weights_name));
  for (size_t i = 0; i < p.constants.size(); ++i) {
    const uint8_t *data = weights->data() != nullptr ? weights->data() + layout[i].offset : nullptr;
    p.constants[i].data = graph::WeightData::view(data, layout[i].length, weights, weights_name, layout[i].offset);
  }

  package_detail::check_program(p, {QEFF_E_FORMAT, quote(manifest_name), quote(plan_name), o.max_rank, false});
  // The plan stores each value's name once; the nodes get them back by id.
  for (auto &plan : p.plans)
    for (auto &step : plan.steps) {
      auto names = [&](const std::vector<int32_t> &ids) {
        std::vector<std::string> out;
        for (int32_t id : ids) out.push_back(id < 0 ? std::string() : plan.values[static_cast<size_t>(id)].name);
        return out;
      };
      step.node.inputs = names(step.inputs);
      step.node.outputs = names(step.outputs);
    }
  return p;
}

}  // namespace qeff::compiler
