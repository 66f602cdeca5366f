// The HuggingFace cache layout: models--org--name/{refs/main, snapshots/<rev>/,
// blobs/<sha>} with the snapshot's files symlinked into blobs.
#include <string>

#include "api_test.hpp"
#include "model_writer.hpp"

using namespace qeff_test;

namespace {

// Builds an HF cache entry for the fixture `name`: every file becomes a blob.
fs::path make_cache(const TempDir &tmp, const std::string &name, const std::string &rev) {
  fs::path entry = tmp / ("hub/models--qeff--" + name);
  fs::path snap = entry / "snapshots" / rev;
  fs::create_directories(entry / "blobs");
  fs::create_directories(entry / "refs");
  write_file(entry / "refs/main", rev + "\n");
  int i = 0;
  fs::path src = fixtures_dir() + "/models/" + name;
  for (const auto &e : fs::recursive_directory_iterator(src)) {
    if (!e.is_regular_file()) continue;
    std::string blob = "blob" + std::to_string(i++);
    fs::copy_file(e.path(), entry / "blobs" / blob);
    fs::path rel = fs::relative(e.path(), src);
    fs::path link = snap / rel;
    fs::create_directories(link.parent_path());
    // Relative link, as huggingface_hub writes: ../../blobs/<sha> (deeper for subdirs).
    fs::path target = fs::relative(entry / "blobs" / blob, link.parent_path());
    fs::create_symlink(target, link);
  }
  return entry;
}

TEST(HfCache, SnapshotWithBlobSymlinksLoads) {
  TempDir tmp;
  fs::path entry = make_cache(tmp, "bert-tiny", "0123abcd");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load((entry / "snapshots/0123abcd").string(), &m));
  const char *arch = nullptr;
  ASSERT_QEFF_OK(qeff_model_architecture(m, &arch));
  EXPECT_STREQ(arch, "BertModel");
  qeff_model_free(m);
}

TEST(HfCache, EntryResolvesThroughRefsMain) {
  TempDir tmp;
  fs::path entry = make_cache(tmp, "llama-tiny-sharded", "feedbeef");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(entry.string(), &m));
  const char *path = nullptr;
  ASSERT_QEFF_OK(qeff_model_path(m, &path));
  EXPECT_NE(std::string(path).find("snapshots/feedbeef"), std::string::npos);
  qeff_model_free(m);

  write_file(entry / "refs/main", "../../etc");
  EXPECT_LOAD_ERROR(entry.string(), QEFF_E_FORMAT, "refs/main", "revision");
  write_file(entry / "refs/main", "cafe");
  EXPECT_LOAD_ERROR(entry.string(), QEFF_E_NOT_FOUND, "cafe");
}

TEST(HfCache, SymlinkOutOfTheCacheEntryIsRefused) {
  TempDir tmp;
  fs::path entry = make_cache(tmp, "llama-tiny", "0123abcd");
  fs::path cfg = entry / "snapshots/0123abcd/config.json";
  // A blob of a *different* cache entry is outside this entry's root.
  fs::path other = tmp / "hub/models--evil--x/blobs/cfg";
  fs::create_directories(other.parent_path());
  fs::copy_file(fs::read_symlink(cfg).is_absolute() ? fs::read_symlink(cfg)
                                                     : cfg.parent_path() / fs::read_symlink(cfg),
                other);
  fs::remove(cfg);
  fs::create_symlink(other, cfg);
  EXPECT_LOAD_ERROR((entry / "snapshots/0123abcd").string(), QEFF_E_SECURITY, "config.json",
                    "models--evil--x");
}

TEST(HfCache, SymlinkedModelDirectoryItselfIsFine) {
  TempDir tmp;
  fs::create_directory_symlink(fs::absolute(fixtures_dir() + "/models/gpt2-tiny"), tmp / "alias");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load((tmp / "alias").string(), &m));
  qeff_model_free(m);
}

}  // namespace
