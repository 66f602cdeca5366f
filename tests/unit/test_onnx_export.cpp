// Unit tests: exporting a graph as ONNX (src/onnx/export.hpp): the file passes
// onnx::checker with its external data, weights land byte-exact at aligned
// offsets, metadata is recorded, and writing is atomic and never follows links.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "graph/builder.hpp"
#include "model_writer.hpp"
#include "onnx/export.hpp"
#include "onnx/functions.hpp"
#include "unit_test.hpp"

using namespace qeff::graph;
using qeff_test::TempDir;
namespace fs = std::filesystem;

namespace {

TensorType f32(Shape s) { return {QEFF_DTYPE_F32, std::move(s)}; }

// MatMul + Add + Gelu with a 64x64 weight (external) and a 64-bias (inline).
Graph mlp(std::shared_ptr<std::vector<float>> weights) {
  GraphBuilder b("mlp");
  Shape act = {Dim::sym("batch"), Dim::fixed(64)};
  auto x = b.input("x", f32(act));
  auto w = b.initializer("fc.weight", f32(fixed_shape({64, 64})),
                         WeightData::view(reinterpret_cast<const uint8_t *>(weights->data()),
                                          weights->size() * 4, weights));
  std::vector<float> bias(64);
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = 0.01f * static_cast<float>(i);
  auto bi = b.constant_f32("fc.bias", bias);
  auto y = b.op("Add", {b.op("MatMul", {x, w}), bi});
  b.output(b.op("Gelu", {y}, {{"approximate", std::string("tanh")}}), f32(act), "output");
  b.set_metadata("qeff.source_model", "unit-test");
  b.set_opset("", 20);  // Gelu needs opset 20 in ONNX; this checker (1.12) knows up to 17
  return std::move(b).finish();
}

std::shared_ptr<std::vector<float>> ramp(size_t n) {
  auto v = std::make_shared<std::vector<float>>(n);
  for (size_t i = 0; i < n; ++i) (*v)[i] = static_cast<float>(i) * 0.001f - 1.0f;
  return v;
}

onnx::ModelProto read_model(const fs::path &p) {
  onnx::ModelProto m;
  std::string bytes = qeff_test::read_file(p);
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

std::vector<std::string> listing(const fs::path &dir) {
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Graph relu_mlp(std::shared_ptr<std::vector<float>> weights) {
  // Standard ops only (opset 17), so the ONNX 1.12 checker can verify it fully.
  GraphBuilder b("relu_mlp");
  Shape act = {Dim::sym("batch"), Dim::fixed(64)};
  auto x = b.input("x", f32(act));
  auto w = b.initializer("fc.weight", f32(fixed_shape({64, 64})),
                         WeightData::view(reinterpret_cast<const uint8_t *>(weights->data()),
                                          weights->size() * 4, weights));
  auto w2 = b.initializer("fc2.weight", f32(fixed_shape({64, 8})),
                          WeightData::view(reinterpret_cast<const uint8_t *>(weights->data()), 64 * 8 * 4,
                                           weights));
  auto h = b.op("Relu", {b.op("MatMul", {x, w})}, {}, f32(act));
  auto axes = b.constant_i64("axes", {1});
  auto y = b.op("MatMul", {h, w2});
  b.output(b.op("ReduceSum", {y, axes}, {{"keepdims", int64_t{1}}}), f32({Dim::sym("batch"), Dim::fixed(1)}),
           "output");
  b.set_metadata("qeff.source_model", "unit-test");
  return std::move(b).finish();
}

TEST(OnnxExport, PassesTheCheckerWithExternalData) {
  TempDir tmp;
  auto weights = ramp(64 * 64);
  Graph g = relu_mlp(weights);
  qeff::onnx_io::ExportOptions options;
  options.metadata = {{"qeff.transforms", "none"}};
  auto files = qeff::onnx_io::export_model(g, tmp.str(), options);
  EXPECT_EQ(files.model_path, tmp.str() + "/model.onnx");
  EXPECT_EQ(files.data_path, tmp.str() + "/model.onnx.data");
  EXPECT_EQ(listing(tmp.path()), (std::vector<std::string>{"model.onnx", "model.onnx.data"}));
  EXPECT_NO_THROW(onnx::checker::check_model(files.model_path));

  onnx::ModelProto m = read_model(files.model_path);
  EXPECT_EQ(m.producer_name(), "qeff");
  std::map<std::string, std::string> meta;
  for (const auto &p : m.metadata_props()) meta[p.key()] = p.value();
  EXPECT_EQ(meta["qeff.source_model"], "unit-test");
  EXPECT_EQ(meta["qeff.transforms"], "none");
  EXPECT_EQ(meta["qeff.version"], QEFF_VERSION_STRING);
  EXPECT_EQ(meta["qeff.content_hash"].rfind("fnv1a64:", 0), 0u);
  EXPECT_EQ(meta["qeff.content_hash"].size(), 8u + 16u);
  const auto &input = m.graph().input(0);
  EXPECT_EQ(input.type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(input.type().tensor_type().shape().dim(1).dim_value(), 64);

  // Every external initializer is byte-exact at an aligned offset of the data file.
  std::string data = qeff_test::read_file(files.data_path);
  EXPECT_EQ(data.size(), files.data_bytes);
  int external = 0;
  for (const auto &t : m.graph().initializer()) {
    const Initializer *src = g.initializer(t.name());
    ASSERT_NE(src, nullptr) << t.name();
    if (t.data_location() != onnx::TensorProto_DataLocation_EXTERNAL) {
      EXPECT_EQ(t.raw_data(), std::string(reinterpret_cast<const char *>(src->data.data()), src->data.size()));
      continue;
    }
    ++external;
    std::map<std::string, std::string> ext;
    for (const auto &e : t.external_data()) ext[e.key()] = e.value();
    EXPECT_EQ(ext["location"], "model.onnx.data");  // our name, never the tensor's
    uint64_t off = std::stoull(ext["offset"]), len = std::stoull(ext["length"]);
    EXPECT_EQ(off % 64, 0u);
    ASSERT_LE(off + len, data.size());
    EXPECT_EQ(len, src->data.size());
    EXPECT_EQ(std::memcmp(data.data() + off, src->data.data(), len), 0) << t.name();
  }
  EXPECT_EQ(external, 2);
}

TEST(OnnxExport, ContentHashFollowsTheWeights) {
  TempDir a, b, c;
  auto weights = ramp(64 * 64);
  auto hash_of = [](const TempDir &d) {
    onnx::ModelProto m = read_model(d / "model.onnx");
    for (const auto &p : m.metadata_props())
      if (p.key() == "qeff.content_hash") return p.value();
    return std::string();
  };
  qeff::onnx_io::export_model(relu_mlp(weights), a.str());
  qeff::onnx_io::export_model(relu_mlp(weights), b.str());
  EXPECT_EQ(hash_of(a), hash_of(b));  // deterministic
  (*weights)[4000] += 1.0f;           // one external weight changes
  Graph changed = relu_mlp(weights);
  changed.metadata["qeff.content_hash"] = "fnv1a64:stale";  // a graph carrying an old hash
  qeff::onnx_io::export_model(changed, c.str());
  EXPECT_NE(hash_of(a), hash_of(c));
  int keys = 0;
  onnx::ModelProto mc = read_model(c / "model.onnx");
  for (const auto &p : mc.metadata_props()) keys += p.key() == "qeff.content_hash";
  EXPECT_EQ(keys, 1);
  EXPECT_NE(hash_of(c), "fnv1a64:stale");
}

TEST(OnnxExport, AttributesAndOpsetsAreKept) {
  auto weights = ramp(64 * 64);
  Graph g = mlp(weights);
  onnx::ModelProto m;
  std::vector<uint64_t> offsets;
  qeff::onnx_io::to_model_proto(g, {}, &m, &offsets);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).version(), 20);
  const auto &gelu = m.graph().node(2);
  EXPECT_EQ(gelu.op_type(), "Gelu");
  ASSERT_EQ(gelu.attribute_size(), 1);
  EXPECT_EQ(gelu.attribute(0).s(), "tanh");
  EXPECT_EQ(gelu.attribute(0).type(), onnx::AttributeProto_AttributeType_STRING);
  EXPECT_EQ(offsets[0], 0u);           // the 16 KiB weight goes external
  EXPECT_EQ(offsets[1], UINT64_MAX);   // the 256-byte bias stays inline
}

TEST(OnnxExport, RewritesAtomicallyAndReplacesLinksInsteadOfFollowingThem) {
  TempDir tmp;
  auto weights = ramp(64 * 64);
  qeff_test::write_file(tmp / "victim.txt", "keep me");
  fs::create_directories(tmp / "out");
  fs::create_symlink(tmp / "victim.txt", tmp / "out/model.onnx");
  qeff::onnx_io::ExportOptions overwrite;
  overwrite.overwrite = true;
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(relu_mlp(weights), (tmp / "out").string()), QEFF_E_IO,
                    "model.onnx", "exists");
  qeff::onnx_io::export_model(relu_mlp(weights), (tmp / "out").string(), overwrite);
  EXPECT_EQ(qeff_test::read_file(tmp / "victim.txt"), "keep me");
  EXPECT_FALSE(fs::is_symlink(tmp / "out/model.onnx"));
  EXPECT_NO_THROW(onnx::checker::check_model((tmp / "out/model.onnx").string()));
  // A second export over the first, after an interrupted one left a temp file,
  // leaves exactly the two files.
  qeff_test::write_file(tmp / "out/.qeff-tmp-0123456789abcdef", "partial");
  qeff::onnx_io::export_model(relu_mlp(weights), (tmp / "out").string(), overwrite);
  EXPECT_EQ(listing(tmp / "out"), (std::vector<std::string>{"model.onnx", "model.onnx.data"}));
}

TEST(OnnxExport, RefusesBadOutputDirectories) {
  TempDir tmp;
  fs::create_directories(tmp / "real");
  fs::create_directory_symlink(tmp / "real", tmp / "link");
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(relu_mlp(ramp(64 * 64)), (tmp / "link").string()),
                    QEFF_E_SECURITY, "link", "symlink");
  EXPECT_TRUE(fs::is_empty(tmp / "real"));
  qeff_test::write_file(tmp / "file", "x");
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(relu_mlp(ramp(64 * 64)), (tmp / "file").string()),
                    QEFF_E_IO, "not a directory");
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(relu_mlp(ramp(64 * 64)), (tmp / "file/sub").string()),
                    QEFF_E_IO, "file/sub");
}

TEST(OnnxExport, ConcurrentExportToOneDirectoryIsBusy) {
  TempDir tmp;
  int fd = ::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // as another export would hold it
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(relu_mlp(ramp(64 * 64)), tmp.str()), QEFF_E_BUSY,
                    "another export");
  ::close(fd);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  EXPECT_NO_THROW(qeff::onnx_io::export_model(relu_mlp(ramp(64 * 64)), tmp.str()));
}

TEST(OnnxExport, FailureLeavesNothingBehind) {
  TempDir tmp;
  GraphBuilder b("fp8");
  auto x = b.input("x", {QEFF_DTYPE_F8_E4M3, fixed_shape({4})});
  b.output(b.op("Identity", {x}), {QEFF_DTYPE_F8_E4M3, fixed_shape({4})});
  Graph g = std::move(b).finish();
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(g, tmp.str()), QEFF_E_UNSUPPORTED, "F8_E4M3", "\"x\"");
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  // An invalid graph is refused before anything is written.
  Graph bad = relu_mlp(ramp(64 * 64));
  bad.nodes[0].inputs[0] = "nowhere";
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(bad, tmp.str()), QEFF_E_FORMAT, "nowhere");
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

}  // namespace

namespace {

Graph with_qeff_node(const std::string &op, std::vector<Attribute> attrs, size_t inputs) {
  GraphBuilder b("fused");
  b.set_opset("qeff", 1);
  std::vector<std::string> in;
  for (size_t i = 0; i < inputs; ++i) in.push_back(b.input("x" + std::to_string(i), f32(fixed_shape({2, 8}))));
  b.output(b.op(op, in, std::move(attrs), {}, "qeff"), f32(fixed_shape({2, 8})), "y");
  return std::move(b).finish();
}

TEST(OnnxExport, FusedOpsBecomeLocalFunctions) {
  TempDir tmp;
  Graph g = with_qeff_node("RMSNorm", {{"epsilon", 1e-6}}, 2);
  auto files = qeff::onnx_io::export_model(g, tmp.str());
  EXPECT_NO_THROW(onnx::checker::check_model(files.model_path));
  onnx::ModelProto m = read_model(files.model_path);
  ASSERT_EQ(m.functions_size(), 1);
  EXPECT_EQ(m.functions(0).name(), "RMSNorm");
  EXPECT_EQ(m.functions(0).domain(), "qeff");
  bool qeff_opset = false;
  for (const auto &op : m.opset_import()) qeff_opset = qeff_opset || (op.domain() == "qeff" && op.version() == 1);
  EXPECT_TRUE(qeff_opset);
  for (const auto &n : m.functions(0).node()) EXPECT_EQ(n.domain(), "") << n.op_type();  // standard ops only
  ASSERT_NE(qeff::onnx_io::find_qeff_function("qeff", "CtxScatter"), nullptr);
  EXPECT_EQ(qeff::onnx_io::find_qeff_function("", "CtxScatter"), nullptr);
  EXPECT_EQ(qeff::onnx_io::find_qeff_function("qeff", "Nope"), nullptr);
}

TEST(OnnxExport, FusedOpMisuseIsRefused) {
  TempDir tmp;
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(with_qeff_node("FlashMagic", {}, 1), tmp.str()),
                    QEFF_E_UNSUPPORTED, "FlashMagic");
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(with_qeff_node("RMSNorm", {}, 2), tmp.str()),
                    QEFF_E_FORMAT, "RMSNorm", "epsilon");
  EXPECT_QEFF_ERROR(qeff::onnx_io::export_model(with_qeff_node("RMSNorm", {{"epsilon", 1e-6}}, 1), tmp.str()),
                    QEFF_E_FORMAT, "RMSNorm", "2 inputs");
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

}  // namespace

namespace {

TEST(OnnxExport, WeightsInTheOutputDirectoryAreReferencedInPlace) {
  TempDir tmp;
  // A "safetensors" file in the output directory whose bytes 128.. hold a 64x64 weight.
  auto weights = ramp(64 * 64);
  std::string file(128, '\0');
  file.append(reinterpret_cast<const char *>(weights->data()), weights->size() * 4);
  qeff_test::write_file(tmp / "weights.safetensors", file);
  std::string canonical = fs::canonical(tmp.path()).string();
  auto mapped = std::make_shared<std::string>(qeff_test::read_file(tmp / "weights.safetensors"));

  GraphBuilder b("in_place");
  Shape act = {Dim::sym("batch"), Dim::fixed(64)};
  auto x = b.input("x", f32(act));
  auto w = b.initializer("fc.weight", f32(fixed_shape({64, 64})),
                         WeightData::view(reinterpret_cast<const uint8_t *>(mapped->data()) + 128,
                                          64 * 64 * 4, mapped, canonical + "/weights.safetensors", 128));
  auto w2 = b.initializer("fc2.weight", f32(fixed_shape({64, 64})),
                          WeightData::view(reinterpret_cast<const uint8_t *>(weights->data()), 64 * 64 * 4,
                                           weights, "/elsewhere/model.safetensors", 0));
  b.output(b.op("MatMul", {b.op("MatMul", {x, w}), w2}), f32(act), "y");
  auto files = qeff::onnx_io::export_model(std::move(b).finish(), tmp.str());
  EXPECT_NO_THROW(onnx::checker::check_model(files.model_path));
  onnx::ModelProto m = read_model(files.model_path);
  std::map<std::string, std::map<std::string, std::string>> ext;
  for (const auto &t : m.graph().initializer())
    for (const auto &e : t.external_data()) ext[t.name()][e.key()] = e.value();
  EXPECT_EQ(ext["fc.weight"]["location"], "weights.safetensors");  // in place, not copied
  EXPECT_EQ(ext["fc.weight"]["offset"], "128");
  EXPECT_EQ(ext["fc2.weight"]["location"], "model.onnx.data");     // a file elsewhere is copied
  EXPECT_EQ(files.data_bytes, 64u * 64u * 4u);
}

}  // namespace
