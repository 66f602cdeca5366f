// Unit tests: program packages (src/compiler/package.hpp). A hand-built
// Program round-trips field by field (bit-exact doubles, every attribute
// type), constants are zero-copy views of one mapping at 64-byte aligned
// offsets; tampered, truncated, wrong-version and inconsistent packages fail
// with the exact status and a message naming the file and field; writing is
// atomic (a failure or a crash midway leaves neither the package nor temp
// litter).
#include <cjson/cJSON.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/digest.hpp"
#include "common/files.hpp"
#include "compiler/compile.hpp"
#include "compiler/package.hpp"
#include "compiler/package_format.hpp"
#include "graph/builder.hpp"
#include "model_writer.hpp"
#include "program_samples.hpp"
#include "unit_test.hpp"

using namespace qeff::compiler;
using qeff_test::read_file;
using qeff_test::sample_program;
using qeff_test::TempDir;
using qeff_test::write_file;
namespace fs = std::filesystem;
namespace pd = qeff::compiler::package_detail;

namespace {

std::vector<std::string> listing(const fs::path &dir) {
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Writes the files of `p` as write_package would, but without validating `p`
// and with an optional constants layout: how tests make packages that are
// sealed (digests right) yet inconsistent inside.
void write_raw(const Program &p, const fs::path &dir, std::vector<pd::ConstantLayout> layout = {},
               uint64_t weights_size = UINT64_MAX) {
  fs::create_directories(dir);
  uint64_t total = 0;
  if (layout.empty()) layout = pd::layout_constants(p, &total);
  for (const auto &l : layout) total = std::max(total, l.offset + l.length);
  if (weights_size != UINT64_MAX) total = weights_size;
  std::string weights(total, '\0');
  for (size_t i = 0; i < p.constants.size() && i < layout.size(); ++i)
    if (layout[i].length > 0 && layout[i].offset + layout[i].length <= total)
      std::memcpy(&weights[layout[i].offset], p.constants[i].data.data(), layout[i].length);
  std::map<std::string, pd::FileEntry> files;
  auto put = [&](const char *name, const std::string &bytes) {
    write_file(dir / name, bytes);
    files[name] = {bytes.size(), qeff::digest_of(bytes)};
  };
  put(kWeightsFile, weights);
  put(kPlanFile, pd::plan_text(p));
  put(kSpecializationsFile, pd::specializations_text(p));
  write_file(dir / kManifestFile, pd::seal_manifest(pd::manifest_text(p, layout, files, "portable")));
}

// Replaces the text of one listed file and reseals the manifest (its entry
// for the file and its own digest), so only the content change is seen.
void replace_and_reseal(const fs::path &dir, const char *file, const std::string &bytes) {
  write_file(dir / file, bytes);
  std::string manifest = read_file(dir / kManifestFile);
  cJSON *root = cJSON_Parse(manifest.c_str());
  ASSERT_NE(root, nullptr);
  cJSON *entry = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "files"), file);
  cJSON_ReplaceItemInObject(entry, "size", cJSON_CreateNumber(static_cast<double>(bytes.size())));
  cJSON_ReplaceItemInObject(entry, "digest", cJSON_CreateString(qeff::digest_of(bytes).c_str()));
  cJSON_ReplaceItemInObject(root, "manifest_digest", cJSON_CreateString(("xxh3-128:" + std::string(32, '0')).c_str()));
  char *text = cJSON_Print(root);
  std::string out = pd::seal_manifest(text);
  cJSON_free(text);
  cJSON_Delete(root);
  write_file(dir / kManifestFile, out);
}

void flip_byte(const fs::path &file, size_t at) {
  std::string bytes = read_file(file);
  ASSERT_LT(at, bytes.size());
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
  write_file(file, bytes);
}

std::string pkg_dir(const TempDir &t) { return (t / "pkg").string(); }

// throws_qeff with the expected message parts in a vector (table-driven tests).
template <typename F>
::testing::AssertionResult throws_all(F &&f, qeff_status status, const std::vector<const char *> &parts) {
  ::testing::AssertionResult r = throws_qeff(std::forward<F>(f), status, {});
  if (!r) return r;
  std::string m = r.message();
  for (const char *part : parts)
    if (m.find(part) == std::string::npos) return ::testing::AssertionFailure() << "message lacks \"" << part << "\": " << m;
  return r;
}

}  // namespace

TEST(Package, RoundTripFieldByField) {
  TempDir t;
  Program p = sample_program();
  write_package(p, pkg_dir(t));
  EXPECT_EQ(listing(t / "pkg"),
            (std::vector<std::string>{"manifest.json", "plan.json", "specializations.json", "weights.bin"}));
  EXPECT_EQ(listing(t.path()), (std::vector<std::string>{"pkg"}));  // no temp litter beside it
  Program q = read_package(pkg_dir(t));
  qeff_test::expect_same_program(p, q);
}

TEST(Package, ConstantsAreAlignedViewsOfOneMapping) {
  TempDir t;
  Program p = sample_program();
  write_package(p, pkg_dir(t));
  Program q = read_package(pkg_dir(t));
  const uint8_t *base = q.constants[0].data.data();
  uint64_t expected_offset[] = {0, 512, 0, 576};  // "empty" (0 bytes) takes no room
  for (size_t i = 0; i < q.constants.size(); ++i) {
    const auto &d = q.constants[i].data;
    EXPECT_TRUE(d.is_view());
    EXPECT_EQ(d.file(), fs::canonical(t / "pkg" / "weights.bin").string());
    if (d.size() == 0) continue;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(d.data()) % kWeightAlignment, 0u) << i;
    EXPECT_EQ(d.file_offset(), expected_offset[i]) << i;
    EXPECT_EQ(d.data(), base + d.file_offset()) << "constant " << i << " is not in the same mapping";
  }
  EXPECT_EQ(fs::file_size(t / "pkg" / "weights.bin"), 577u);
  // The views keep the mapping alive after the package is gone.
  fs::remove_all(t / "pkg");
  EXPECT_EQ(q.constants[0].data.data()[5], qeff_test::ramp_bytes(512, 1)[5]);
}

TEST(Package, ManifestAndSpecializationsContent) {
  TempDir t;
  write_package(sample_program(), pkg_dir(t));
  cJSON *m = cJSON_Parse(read_file(t / "pkg" / kManifestFile).c_str());
  ASSERT_NE(m, nullptr);
  EXPECT_STREQ(cJSON_GetObjectItem(m, "format")->valuestring, "qeff-program");
  EXPECT_EQ(cJSON_GetObjectItem(m, "format_version")->valueint, 1);
  EXPECT_STREQ(cJSON_GetObjectItem(m, "library_version")->valuestring, QEFF_VERSION_STRING);
  EXPECT_TRUE(cJSON_IsString(cJSON_GetObjectItem(m, "isa")));
  EXPECT_STREQ(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "options"), "weight_dtype")->valuestring, "BF16");
  cJSON_Delete(m);
  cJSON *s = cJSON_Parse(read_file(t / "pkg" / kSpecializationsFile).c_str());
  ASSERT_NE(s, nullptr);
  cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "specializations"), 0);
  EXPECT_STREQ(cJSON_GetObjectItem(first, "name")->valuestring, "Prefill");
  EXPECT_STREQ(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "symbols"), "seq_len")->valuestring, "4");
  cJSON_Delete(s);
}

TEST(Package, WritingIsDeterministic) {
  TempDir t;
  write_package(sample_program(), (t / "a").string());
  write_package(sample_program(), (t / "b").string());
  for (const char *f : {kManifestFile, kPlanFile, kWeightsFile, kSpecializationsFile})
    EXPECT_EQ(read_file(t / "a" / f), read_file(t / "b" / f)) << f;
}

TEST(Package, CanonicalOptionTextIsStable) {
  CompileOptions o;
  o.specializations = {{"Decode", {{"seq_len", 1}, {"batch_size", 2}}}};
  EXPECT_EQ(canonical_options_text(o),
            "{\"dequantize_int4\":false,\"fuse\":true,\"specializations\":[{\"name\":\"Decode\",\"symbols\":{\"batch_size\":2,\"seq_len\":1}}],"
            "\"target\":\"cpu\",\"weight_dtype\":\"F32\"}");
  // int4 groups of 128 (compile.int4_block_size) are part of the text; the
  // default 32 is left out, as earlier builds wrote it.
  o.weight_dtype = QEFF_DTYPE_U4;
  o.int4_group = 128;
  EXPECT_EQ(canonical_options_text(o),
            "{\"dequantize_int4\":false,\"fuse\":true,\"int4_group\":128,\"specializations\":[{\"name\":\"Decode\","
            "\"symbols\":{\"batch_size\":2,\"seq_len\":1}}],\"target\":\"cpu\",\"weight_dtype\":\"U4\"}");
}

// --- damaged packages --------------------------------------------------------

TEST(Package, FlippedByteInEachFileIsDetected) {
  TempDir t;
  write_package(sample_program(), pkg_dir(t));
  const fs::path dir = t / "pkg";
  for (const char *file : {kPlanFile, kWeightsFile, kSpecializationsFile}) {
    SCOPED_TRACE(file);
    fs::remove_all(dir);
    write_package(sample_program(), pkg_dir(t));
    flip_byte(dir / file, fs::file_size(dir / file) / 2);
    EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_FORMAT, file, "tampered or truncated");
    // Without digests only sizes are checked: the flip goes unnoticed.
    if (std::string(file) == kWeightsFile) {
      PackageReadOptions o;
      o.verify_digests = false;
      EXPECT_NO_THROW(read_package(pkg_dir(t), o));
    }
  }
  // The manifest seals itself: a changed metadata byte is caught too.
  fs::remove_all(dir);
  write_package(sample_program(), pkg_dir(t));
  std::string m = read_file(dir / kManifestFile);
  flip_byte(dir / kManifestFile, m.find("unit-test"));
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_FORMAT, "manifest.json", "manifest_digest", "tampered or truncated");
  // ... and a flip that breaks the JSON is a JSON error naming the file.
  write_file(dir / kManifestFile, m.substr(0, m.size() / 2));
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_FORMAT, "manifest.json", "JSON");
}

TEST(Package, TruncatedWeightsAreDetected) {
  TempDir t;
  write_package(sample_program(), pkg_dir(t));
  fs::resize_file(t / "pkg" / kWeightsFile, 100);
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_FORMAT, "weights.bin", "is 100 bytes", "577", "tampered or truncated");
  PackageReadOptions o;
  o.verify_digests = false;
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t), o), QEFF_E_FORMAT, "weights.bin", "tampered or truncated");
}

TEST(Package, OtherFormatVersionIsUnsupported) {
  TempDir t;
  write_package(sample_program(), pkg_dir(t));
  std::string m = read_file(t / "pkg" / kManifestFile);
  size_t at = m.find("\"format_version\": 1");
  ASSERT_NE(at, std::string::npos);
  write_file(t / "pkg" / kManifestFile, m.substr(0, at) + "\"format_version\": 2" + m.substr(at + 19));
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_UNSUPPORTED, "manifest.json", "format version 2",
                    "reads format version 1", "0.1.0");
  write_file(t / "pkg" / kManifestFile, m.substr(0, at) + "\"format_version\": 0" + m.substr(at + 19));
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_UNSUPPORTED, "format version 0");
  size_t f = m.find("\"qeff-program\"");
  write_file(t / "pkg" / kManifestFile, m.substr(0, f) + "\"qeff-model\"" + m.substr(f + 14));
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_FORMAT, "manifest.json", "\"format\"", "not a qeff-program package");
}

TEST(Package, MissingFilesAndDirectory) {
  TempDir t;
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_NOT_FOUND, "does not exist");
  EXPECT_QEFF_ERROR(read_package(""), QEFF_E_INVALID_ARGUMENT, "empty");
  fs::create_directories(t / "empty");
  EXPECT_QEFF_ERROR(read_package((t / "empty").string()), QEFF_E_NOT_FOUND, "manifest.json", "not a program package");
  for (const char *file : {kPlanFile, kWeightsFile, kSpecializationsFile}) {
    SCOPED_TRACE(file);
    fs::remove_all(t / "pkg");
    write_package(sample_program(), pkg_dir(t));
    fs::remove(t / "pkg" / file);
    EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_NOT_FOUND, file, "does not exist");
  }
}

TEST(Package, SymlinkOutsideAndNonRegularFilesAreRefused) {
  TempDir t;
  write_package(sample_program(), pkg_dir(t));
  fs::copy_file(t / "pkg" / kWeightsFile, t / "outside.bin");
  fs::remove(t / "pkg" / kWeightsFile);
  fs::create_symlink(t / "outside.bin", t / "pkg" / kWeightsFile);
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_SECURITY, "weights.bin", "outside");
  fs::remove(t / "pkg" / kWeightsFile);
  ASSERT_EQ(::mkfifo((t / "pkg" / kWeightsFile).c_str(), 0644), 0);
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t)), QEFF_E_FORMAT, "weights.bin", "FIFO");
  // A symlink inside the package to a file inside it is fine (FileRoot's rule).
  fs::remove(t / "pkg" / kWeightsFile);
  fs::copy_file(t / "outside.bin", t / "pkg" / "weights.real");
  fs::create_symlink("weights.real", t / "pkg" / kWeightsFile);
  EXPECT_NO_THROW(read_package(pkg_dir(t)));
}

TEST(Package, TargetAndCaps) {
  TempDir t;
  write_package(sample_program(), pkg_dir(t));
  PackageReadOptions o;
  o.target = "qaic";
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t), o), QEFF_E_UNSUPPORTED, "manifest.json", "\"cpu\"", "\"qaic\"");
  o = {};
  o.max_rank = 2;
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t), o), QEFF_E_LIMIT, "shape", "rank 3", "max_rank");
  o = {};
  o.json.max_bytes = 100;
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t), o), QEFF_E_LIMIT, "manifest.json");
  o = {};
  o.json.max_depth = 3;
  EXPECT_QEFF_ERROR(read_package(pkg_dir(t), o), QEFF_E_LIMIT, "nesting");
}

// Sealed packages (every digest right) whose content is inconsistent: the
// reader names the file, the field path and the value.
TEST(Package, InconsistentPlansAreRefusedWithTheFieldPath) {
  struct Case {
    const char *name;
    void (*mutate)(Program &);
    qeff_status status;
    std::vector<const char *> parts;
  };
  const Case cases[] = {
      {"step input id", [](Program &p) { p.plans[1].steps[2].inputs[1] = 99; }, QEFF_E_FORMAT,
       {"plan.json", "plans[1].steps[2].inputs[1]", "= 99", "out of range"}},
      {"negative output id", [](Program &p) { p.plans[0].steps[0].outputs[0] = -1; }, QEFF_E_FORMAT,
       {"plans[0].steps[0].outputs[0]", "= -1"}},
      {"constant index", [](Program &p) { p.plans[0].values[2].index = 4; }, QEFF_E_FORMAT,
       {"plans[0].values[2].index", "= 4", "4 constants"}},
      {"input index", [](Program &p) { p.plans[0].values[0].index = 1; }, QEFF_E_FORMAT,
       {"plans[0].values[0].index", "= 1"}},
      {"state index", [](Program &p) { p.plans[1].values[1].index = 7; }, QEFF_E_FORMAT,
       {"plans[1].values[1].index", "= 7", "retained-state"}},
      {"arena offset past the end", [](Program &p) { p.plans[0].values[5].offset = 1900; }, QEFF_E_FORMAT,
       {"plans[0].values[5].offset", "1900 + 256", "exceeds the arena", "2048"}},
      {"arena offset overflow", [](Program &p) { p.plans[0].values[5].offset = UINT64_MAX - 8; }, QEFF_E_FORMAT,
       {"plans[0].values[5].offset", "exceeds the arena"}},
      {"constant view too large", [](Program &p) { p.plans[0].values[2].offset = 64; }, QEFF_E_FORMAT,
       {"plans[0].values[2].offset", "exceeds constant 0"}},
      {"workspace", [](Program &p) { p.plans[0].steps[3].workspace_bytes = 513; }, QEFF_E_FORMAT,
       {"plans[0].steps[3].workspace_offset", "1536 + 513"}},
      {"alias cycle",
       [](Program &p) {
         p.plans[0].values[3].placement = Placement::alias;
         p.plans[0].values[3].index = 4;
       },
       QEFF_E_FORMAT, {"plans[0].values", "cycle of aliases"}},
      {"alias of itself", [](Program &p) { p.plans[0].values[4].index = 4; }, QEFF_E_FORMAT,
       {"plans[0].values[4].index", "aliases itself"}},
      {"state write", [](Program &p) { p.plans[1].state_writes[0].second = 1; }, QEFF_E_FORMAT,
       {"plans[1].state_writes[0][1]", "= 1"}},
      {"plan inputs count", [](Program &p) { p.plans[1].inputs.push_back(0); }, QEFF_E_FORMAT,
       {"plans[1].inputs", "2 entries", "1 inputs"}},
      {"plan output id", [](Program &p) { p.plans[1].outputs[0] = 8; }, QEFF_E_FORMAT, {"plans[1].outputs[0]", "= 8"}},
      {"unknown dtype", [](Program &p) { p.plans[0].values[6].type.dtype = QEFF_DTYPE_UNKNOWN; }, QEFF_E_FORMAT,
       {"plans[0].values[6].dtype", "UNKNOWN", "not a known element type"}},
      {"negative dim", [](Program &p) { p.plans[0].values[3].type.shape[1].value = -4; }, QEFF_E_FORMAT,
       {"plans[0].values[3].shape[1]", "= -4", "negative"}},
      {"byte size overflow",
       [](Program &p) { p.plans[0].values[3].type.shape = qeff::graph::fixed_shape({INT64_MAX, INT64_MAX}); },
       QEFF_E_FORMAT, {"plans[0].values[3].shape", "no byte size"}},
      {"tensor attribute bytes",
       [](Program &p) { std::get<qeff::graph::ConstTensor>(p.plans[0].steps[2].node.attributes[12].value).bytes.pop_back(); },
       QEFF_E_FORMAT, {"plans[0].steps[2].attributes[12].hex", "7 bytes", "needs 8"}},
      {"duplicate attribute", [](Program &p) { p.plans[0].steps[2].node.attributes[1].name = "alpha"; }, QEFF_E_FORMAT,
       {"plans[0].steps[2].attributes[1].name", "appears twice"}},
      {"empty op", [](Program &p) { p.plans[1].steps[0].node.op_type.clear(); }, QEFF_E_FORMAT,
       {"plans[1].steps[0].op", "is empty"}},
      {"duplicate input name", [](Program &p) { p.inputs.push_back(p.inputs[0]); }, QEFF_E_FORMAT,
       {"manifest.json", "inputs[1].name", "appears twice"}},
      {"constant bytes vs type",
       [](Program &p) { p.constants[1].type = qeff_test::fixed(QEFF_DTYPE_BF16, {4}); }, QEFF_E_FORMAT,
       {"manifest.json", "constants[1]", "6", "needs 8"}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    TempDir t;
    Program p = sample_program();
    c.mutate(p);
    write_raw(p, t / "pkg");
    EXPECT_TRUE(throws_all([&] { read_package(pkg_dir(t)); }, c.status, c.parts));
    // The writer refuses the same program (INVALID_ARGUMENT, same field).
    const char *field = std::string(c.parts[0]).find(".json") == std::string::npos ? c.parts[0] : c.parts[1];
    EXPECT_TRUE(throws_qeff([&] { write_package(p, (t / "w").string()); }, QEFF_E_INVALID_ARGUMENT, {field}));
    EXPECT_FALSE(fs::exists(t / "w"));
  }
}

TEST(Package, BadConstantLayoutIsRefused) {
  Program p = sample_program();
  uint64_t total = 0;
  auto good = pd::layout_constants(p, &total);
  struct Case {
    const char *name;
    std::vector<pd::ConstantLayout> layout;
    uint64_t size;
    std::vector<const char *> parts;
  };
  auto with = [&](size_t i, uint64_t offset) {
    auto l = good;
    l[i].offset = offset;
    return l;
  };
  const Case cases[] = {
      {"overlap", with(1, 448), 1024, {"constants[1].offset", "= 448", "overlaps constants[0]"}},
      {"overlap behind an empty one", with(3, 448), 1024, {"constants[3].offset", "overlaps constants[0]"}},
      {"misaligned", with(1, 520), 1024, {"constants[1].offset", "= 520", "multiple of 64"}},
      {"past the end", with(3, 640), 600, {"constants[3].length", "runs past the end", "tampered or truncated"}},
      {"overflow", with(1, UINT64_MAX - 63), 1024, {"constants[1].length", "runs past the end"}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    TempDir t;
    write_raw(p, t / "pkg", c.layout, c.size);
    EXPECT_TRUE(throws_all([&] { read_package(pkg_dir(t)); }, QEFF_E_FORMAT, c.parts));
  }
}

TEST(Package, MalformedJsonFieldsAreNamed) {
  TempDir t;
  write_package(sample_program(), pkg_dir(t));
  const std::string plan = read_file(t / "pkg" / kPlanFile);
  auto with_replaced = [&](const std::string &from, const std::string &to) {
    size_t at = plan.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return plan.substr(0, at) + to + plan.substr(at + from.size());
  };
  struct Case {
    std::string from, to;
    std::vector<const char *> parts;
  };
  const Case cases[] = {
      {"\"placement\": \"arena\"", "\"placement\": \"heap\"", {"plans[0].values[3].placement", "\"heap\""}},
      {"\"type\": \"int\"", "\"type\": \"graph\"", {"plans[0].steps[0].attributes[0].type", "\"graph\""}},
      {"\"value\": \"inf\"", "\"value\": \"infinity\"", {"plans[0].steps[2].attributes[4].value", "\"infinity\""}},
      {"\"arena_bytes\": 2048", "\"arena_bytes\": -1", {"plans[0].arena_bytes", "-1"}},
      {"\"arena_bytes\": 2048", "\"arena_bytes\": \"12x\"", {"plans[0].arena_bytes", "\"12x\""}},
      {"\"opset\": 17", "\"opset\": 17.5", {"plans[0].steps[0].opset", "integer"}},
      {"\"dtype\": \"F32\"", "\"dtype\": \"f32\"", {"\"f32\"", "not a known element type"}},
      {"\"hex\": \"0000803f000000c0\"", "\"hex\": \"0000803f000000cz\"", {"attributes[12].hex", "not a hex digit"}},
      {"\"name\": \"input_ids\"", "\"name\": \"in\xff\"", {"plan.json", "invalid UTF-8"}},
      {"\"steps\": [", "\"steps\": {", {"plan.json", "invalid JSON"}},
      {"\"index\": 0,", "\"index\": 0, \"index\": 1,", {"plan.json", "duplicate"}},
      {"\"inputs\": [0]", "\"inputs\": [3000000000]", {"plans[0].inputs[0]", "3000000000"}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.to);
    replace_and_reseal(t / "pkg", kPlanFile, with_replaced(c.from, c.to));
    EXPECT_TRUE(throws_all([&] { read_package(pkg_dir(t)); }, QEFF_E_FORMAT, c.parts));
  }
  replace_and_reseal(t / "pkg", kPlanFile, plan);
  EXPECT_NO_THROW(read_package(pkg_dir(t)));
}

// --- writing -----------------------------------------------------------------

TEST(Package, WriterRefusesInconsistentNodesAndBadNames) {
  TempDir t;
  Program p = sample_program();
  p.plans[1].steps[1].node.inputs[0] = "other";
  EXPECT_QEFF_ERROR(write_package(p, pkg_dir(t)), QEFF_E_INVALID_ARGUMENT, "plans[1].steps[1].inputs[0]", "\"hidden\"",
                    "\"other\"");
  p = sample_program();
  p.plans[0].values[3].name = "bad\xff";
  EXPECT_QEFF_ERROR(write_package(p, pkg_dir(t)), QEFF_E_INVALID_ARGUMENT, "plans[0].values[3].name", "UTF-8");
  p = sample_program();
  p.metadata["k"] = std::string("nul\0byte", 8);
  EXPECT_QEFF_ERROR(write_package(p, pkg_dir(t)), QEFF_E_INVALID_ARGUMENT, "metadata.k", "NUL");
  p = sample_program();
  p.constants[0].data = qeff::graph::WeightData::owned(std::vector<uint8_t>(10));
  EXPECT_QEFF_ERROR(write_package(p, pkg_dir(t)), QEFF_E_INVALID_ARGUMENT, "constants[0]", "holds 10 bytes", "needs 512");
  EXPECT_FALSE(fs::exists(t / "pkg"));
  EXPECT_EQ(listing(t.path()), std::vector<std::string>{});
}

TEST(Package, ExistingTargets) {
  TempDir t;
  Program p = sample_program();
  // An empty directory is simply filled.
  fs::create_directories(t / "pkg");
  write_package(p, pkg_dir(t));
  EXPECT_NO_THROW(read_package(pkg_dir(t)));
  // A package is replaced only with overwrite.
  Program changed = sample_program();
  changed.metadata["version"] = "2";
  EXPECT_QEFF_ERROR(write_package(changed, pkg_dir(t)), QEFF_E_IO, "exists", "overwrite");
  EXPECT_EQ(read_package(pkg_dir(t)).metadata.count("version"), 0u);
  write_package(changed, pkg_dir(t), {true});
  EXPECT_EQ(read_package(pkg_dir(t)).metadata.at("version"), "2");
  EXPECT_EQ(listing(t.path()), std::vector<std::string>{"pkg"});
  // A directory that is not a package is never replaced, even with overwrite.
  write_file(t / "docs" / "notes.txt", "mine");
  EXPECT_QEFF_ERROR(write_package(p, (t / "docs").string(), {true}), QEFF_E_IO, "not a program package");
  EXPECT_EQ(read_file(t / "docs" / "notes.txt"), "mine");
  // A file, a symlink, a missing parent, '/' and '..'.
  write_file(t / "file", "x");
  EXPECT_QEFF_ERROR(write_package(p, (t / "file").string(), {true}), QEFF_E_IO, "not a directory");
  fs::create_directory_symlink(t / "pkg", t / "link");
  EXPECT_QEFF_ERROR(write_package(p, (t / "link").string(), {true}), QEFF_E_SECURITY, "symlink");
  EXPECT_QEFF_ERROR(write_package(p, (t / "no" / "pkg").string()), QEFF_E_NOT_FOUND, "parent directory");
  EXPECT_QEFF_ERROR(write_package(p, "/"), QEFF_E_INVALID_ARGUMENT, "must name a directory");
  EXPECT_QEFF_ERROR(write_package(p, (t / "pkg" / "..").string()), QEFF_E_INVALID_ARGUMENT, "must name a directory");
  // A trailing slash names the same directory.
  write_package(p, pkg_dir(t) + "/", {true});
  EXPECT_NO_THROW(read_package(pkg_dir(t)));
}

namespace {

// Runs write_package in a child process whose files may not grow beyond
// `limit` bytes; `die` leaves SIGXFSZ fatal (a crash midway), otherwise the
// write fails with EFBIG. Returns the child's wait status.
int write_in_child(const Program &p, const std::string &dir, bool overwrite, rlim_t limit, bool die) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::signal(SIGXFSZ, die ? SIG_DFL : SIG_IGN);
    struct rlimit r = {limit, limit}, no_core = {0, 0};
    ::setrlimit(RLIMIT_FSIZE, &r);
    ::setrlimit(RLIMIT_CORE, &no_core);
    try {
      write_package(p, dir, {overwrite});
    } catch (const qeff::Error &e) {
      ::_exit(e.status() == QEFF_E_IO && std::string(e.what()).find("weights.bin") != std::string::npos ? 3 : 4);
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

TEST(Package, FailureMidwayLeavesNothing) {
  TempDir t;
  Program big = sample_program(256 * 1024);
  int status = write_in_child(big, pkg_dir(t), false, 64 * 1024, false);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3) << "expected QEFF_E_IO naming weights.bin";
  EXPECT_EQ(listing(t.path()), std::vector<std::string>{});  // no package, no temp directory

  // A failed overwrite keeps the old package intact.
  write_package(sample_program(), pkg_dir(t));
  status = write_in_child(big, pkg_dir(t), true, 64 * 1024, false);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(listing(t.path()), std::vector<std::string>{"pkg"});
  qeff_test::expect_same_program(sample_program(), read_package(pkg_dir(t)));
}

TEST(Package, CrashMidwayIsCleanedUpByTheNextWrite) {
  TempDir t;
  int status = write_in_child(sample_program(256 * 1024), pkg_dir(t), false, 64 * 1024, true);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGXFSZ);
  auto names = listing(t.path());
  ASSERT_EQ(names.size(), 1u);  // the dead writer's temporary directory, and no package
  EXPECT_EQ(names[0].rfind(".qeff-pkg-tmp-", 0), 0u) << names[0];
  write_package(sample_program(), (t / "other").string());
  EXPECT_EQ(listing(t.path()), std::vector<std::string>{"other"});
}

// A program made by the compiler (not by hand) round-trips too: its nodes name
// their values as the writer requires, and its constants (packed weights) fit
// the layout rules.
TEST(Package, CompiledProgramRoundTrips) {
  using namespace qeff::graph;
  auto w = std::make_shared<std::vector<float>>(8 * 16 + 16);
  for (size_t i = 0; i < w->size(); ++i) (*w)[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
  auto view = [&](size_t offset, size_t n) {
    return WeightData::view(reinterpret_cast<const uint8_t *>(w->data() + offset), n * 4, w);
  };
  GraphBuilder b("mlp");
  TensorType x_type{QEFF_DTYPE_F32, {Dim::sym("batch"), Dim::fixed(8)}};
  auto x = b.input("x", x_type);
  auto w1 = b.initializer("w1", {QEFF_DTYPE_F32, fixed_shape({8, 16})}, view(0, 128));
  auto b1 = b.initializer("b1", {QEFF_DTYPE_F32, fixed_shape({16})}, view(128, 16));
  auto h = b.op("Relu", {b.op("Add", {b.op("MatMul", {x, w1}), b1})});
  b.output(h, {QEFF_DTYPE_F32, {Dim::sym("batch"), Dim::fixed(16)}}, "y");
  Graph g = std::move(b).finish();
  for (bool fuse : {true, false}) {
    SCOPED_TRACE(fuse ? "fused" : "unfused");
    CompileOptions o;
    o.specializations = {{"b1", {{"batch", 1}}}, {"b3", {{"batch", 3}}}};
    o.fuse = fuse;
    Program p = compile(g, o, "fnv1a64:00000000000000ff");
    TempDir t;
    write_package(p, pkg_dir(t));
    qeff_test::expect_same_program(p, read_package(pkg_dir(t)));
  }
}
