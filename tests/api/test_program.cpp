// Compile, save, load and run programs through the C ABI, on the golden ONNX
// graphs that tests/onnx/export_golden writes at build time (QEFF_GOLDEN).
#include <cJSON.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "api_test.hpp"
#include "model_writer.hpp"

using namespace qeff_test;

namespace {

std::string golden(const std::string &name) {
  const char *dir = std::getenv("QEFF_GOLDEN");
  return std::string(dir ? dir : "golden") + "/" + name + "/model.onnx";
}

struct Options {
  qeff_options *o = nullptr;
  Options() { qeff_options_create(&o); }
  ~Options() { qeff_options_free(o); }
  Options &set(const char *k, const char *v) {
    EXPECT_EQ(qeff_options_set(o, k, v), QEFF_OK) << qeff_last_error_message();
    return *this;
  }
};

struct Program {
  qeff_program *p = nullptr;
  ~Program() { qeff_program_free(p); }
};
struct Session {
  qeff_session *s = nullptr;
  ~Session() { qeff_session_free(s); }
};
struct Tensors {
  qeff_tensors *t = nullptr;
  Tensors() = default;
  explicit Tensors(bool create) {
    if (create) qeff_tensors_create(&t);
  }
  ~Tensors() { qeff_tensors_free(t); }
};

const char *kMlpSpecs = R"([{"name": "three", "symbols": {"batch": 3}}, {"name": "one", "symbols": {"batch": 1}}])";

std::vector<float> mlp_input(int64_t batch) {
  std::vector<float> x(static_cast<size_t>(batch) * 32);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) * 0.25f - 0.5f;
  return x;
}

std::vector<float> run_mlp(qeff_session *s, int64_t batch) {
  auto x = mlp_input(batch);
  int64_t shape[2] = {batch, 32};
  Tensors in(true), out;
  EXPECT_EQ(qeff_tensors_set(in.t, "x", QEFF_DTYPE_F32, shape, 2, x.data(), x.size() * 4), QEFF_OK);
  EXPECT_EQ(qeff_session_run(s, in.t, &out.t), QEFF_OK) << qeff_last_error_message();
  if (!out.t) return {};
  size_t index = 9, rank = 0, nbytes = 0;
  const char *name = nullptr;
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  const void *data = nullptr;
  EXPECT_EQ(qeff_tensors_find(out.t, "y", &index), QEFF_OK);
  EXPECT_EQ(qeff_tensors_info(out.t, index, &name, &dtype, &rank), QEFF_OK);
  EXPECT_STREQ(name, "y");
  EXPECT_EQ(dtype, QEFF_DTYPE_F32);
  int64_t dims[2] = {0, 0};
  EXPECT_EQ(qeff_tensors_shape(out.t, index, dims, 2), QEFF_OK);
  EXPECT_EQ(dims[0], batch);
  EXPECT_EQ(dims[1], 16);
  EXPECT_EQ(qeff_tensors_data(out.t, index, &data, &nbytes), QEFF_OK);
  const auto *f = static_cast<const float *>(data);
  return std::vector<float>(f, f + nbytes / 4);
}

// The mlp_relu graph in double precision (weights as export_golden makes them).
std::vector<double> mlp_reference(int64_t batch) {
  auto w = [](size_t i, double salt) { return std::sin(0.37 * static_cast<double>(i) + salt) * 0.5; };
  auto f = [](double v) { return static_cast<double>(static_cast<float>(v)); };
  auto x = mlp_input(batch);
  std::vector<double> y(static_cast<size_t>(batch) * 16);
  for (int64_t r = 0; r < batch; ++r) {
    std::vector<double> h(64);
    for (size_t j = 0; j < 64; ++j) {
      double s = f(w(j, 0.2));
      for (size_t k = 0; k < 32; ++k) s += x[static_cast<size_t>(r) * 32 + k] * f(w(k * 64 + j, 0.1));
      h[j] = std::max(s, 0.0);
    }
    for (size_t j = 0; j < 16; ++j) {
      double s = 0;
      for (size_t k = 0; k < 64; ++k) s += h[k] * f(w(k * 16 + j, 0.3));
      y[static_cast<size_t>(r) * 16 + j] = s;
    }
  }
  return y;
}

// weight_dtype "int4g128": int4 with compile.int4_block_size 128.
void compile_mlp(Program &p, const char *specs = kMlpSpecs, const char *weight_dtype = "f32") {
  Options o;
  const bool g128 = std::string(weight_dtype) == "int4g128";
  o.set("compile.specializations", specs).set("cache.enabled", "false").set("compile.weight_dtype", g128 ? "int4" : weight_dtype);
  if (g128) o.set("compile.int4_block_size", "128");
  ASSERT_QEFF_OK(qeff_compile_onnx(golden("mlp_relu").c_str(), o.o, &p.p));
}

}  // namespace

TEST(Program, CompileOnnxRunsEverySpecialization) {
  Program p;
  compile_mlp(p);
  Session s;
  ASSERT_QEFF_OK(qeff_session_create(p.p, nullptr, &s.s));
  for (int64_t batch : {1, 3}) {
    auto got = run_mlp(s.s, batch);
    auto ref = mlp_reference(batch);
    ASSERT_EQ(got.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-5) << i;
  }
  const char *info = nullptr;
  ASSERT_QEFF_OK(qeff_program_info(p.p, &info));
  EXPECT_NE(std::string(info).find("\"name\": \"three\""), std::string::npos) << info;
}

TEST(Program, SessionOutlivesItsProgramHandle) {
  Program p;
  compile_mlp(p);
  Session s;
  ASSERT_QEFF_OK(qeff_session_create(p.p, nullptr, &s.s));
  qeff_program_free(p.p);
  p.p = nullptr;
  EXPECT_EQ(run_mlp(s.s, 1).size(), 16u);
}

TEST(Program, CompileErrors) {
  qeff_program *p = reinterpret_cast<qeff_program *>(1);
  EXPECT_QEFF_ERROR(qeff_compile_onnx(nullptr, nullptr, &p), QEFF_E_INVALID_ARGUMENT, "onnx_path");
  EXPECT_EQ(p, nullptr);
  EXPECT_QEFF_ERROR(qeff_compile_onnx("/nonexistent/model.onnx", nullptr, &p), QEFF_E_NOT_FOUND);
  // mlp_relu's symbol is "batch": the natural parameters do not cover it.
  EXPECT_QEFF_ERROR(qeff_compile_onnx(golden("mlp_relu").c_str(), nullptr, &p), QEFF_E_INVALID_ARGUMENT,
                    "symbols (batch) other than batch_size, seq_len and ctx_len");
  Options bad;
  bad.set("compile.specializations", R"([{"name": "x", "symbols": {"batch": 1, "seq": 2}}])");
  EXPECT_QEFF_ERROR(qeff_compile_onnx(golden("mlp_relu").c_str(), bad.o, &p), QEFF_E_INVALID_ARGUMENT,
                    "binds symbol \"seq\", which no graph input uses");
  Options dtype;
  dtype.set("compile.specializations", kMlpSpecs).set("compile.weight_dtype", "int3");
  EXPECT_QEFF_ERROR(qeff_compile_onnx(golden("mlp_relu").c_str(), dtype.o, &p), QEFF_E_INVALID_ARGUMENT,
                    "compile.weight_dtype = \"int3\"");
  Options block;
  block.set("compile.specializations", kMlpSpecs).set("compile.weight_dtype", "int4").set("compile.int4_block_size", "64");
  EXPECT_QEFF_ERROR(qeff_compile_onnx(golden("mlp_relu").c_str(), block.o, &p), QEFF_E_INVALID_ARGUMENT,
                    "compile.int4_block_size = 64 (expected 32 or 128)");
  qeff_model *m = nullptr;
  const char *fixtures = std::getenv("QEFF_FIXTURES");
  ASSERT_QEFF_OK(qeff_model_load((std::string(fixtures) + "/models/llama-tiny").c_str(), nullptr, &m));
  Options lm;
  lm.set("compile.prefill_seq_len", "200").set("compile.ctx_len", "100");
  EXPECT_QEFF_ERROR(qeff_compile(m, lm.o, &p), QEFF_E_INVALID_ARGUMENT, "prefill_seq_len = 200", "ctx_len = 100");
  // A causal LM compiles to a Prefill and a Decode plan over the retained KV cache.
  Options ok;
  ok.set("compile.prefill_seq_len", "8").set("compile.ctx_len", "32").set("cache.enabled", "false");
  ASSERT_QEFF_OK(qeff_compile(m, ok.o, &p));
  const char *info = nullptr;
  ASSERT_QEFF_OK(qeff_program_info(p, &info));
  for (const char *want : {"\"Prefill\"", "\"Decode\"", "past_key.1_RetainedState", "position_ids"})
    EXPECT_NE(std::string(info).find(want), std::string::npos) << want << " in " << info;
  qeff_program_free(p);
  qeff_model_free(m);
}

TEST(Program, SessionRunErrors) {
  Program p;
  compile_mlp(p);
  Session s;
  ASSERT_QEFF_OK(qeff_session_create(p.p, nullptr, &s.s));
  Tensors in(true), out;
  std::vector<float> x(5 * 32);
  int64_t shape[2] = {5, 32};
  ASSERT_QEFF_OK(qeff_tensors_set(in.t, "x", QEFF_DTYPE_F32, shape, 2, x.data(), x.size() * 4));
  EXPECT_QEFF_ERROR(qeff_session_run(s.s, in.t, &out.t), QEFF_E_MISMATCH, "no specialization takes inputs x[5, 32]",
                    "three {batch: 3}; one {batch: 1}");
  EXPECT_EQ(out.t, nullptr);
  EXPECT_QEFF_ERROR(qeff_tensors_set(in.t, "x", QEFF_DTYPE_F32, shape, 2, x.data(), 7), QEFF_E_INVALID_ARGUMENT,
                    "needs 640 bytes; 7 given");
  EXPECT_QEFF_ERROR(qeff_tensors_set(in.t, "x", static_cast<qeff_dtype>(99), shape, 2, x.data(), 640),
                    QEFF_E_INVALID_ARGUMENT, "unknown dtype 99");
  EXPECT_QEFF_ERROR(qeff_session_run(nullptr, in.t, &out.t), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_session_run(s.s, reinterpret_cast<qeff_tensors *>(p.p), &out.t), QEFF_E_INVALID_HANDLE);
  size_t index = 0;
  EXPECT_QEFF_ERROR(qeff_tensors_find(in.t, "nope", &index), QEFF_E_NOT_FOUND, "no tensor \"nope\"");
  EXPECT_QEFF_ERROR(qeff_tensors_info(in.t, 3, nullptr, nullptr, nullptr), QEFF_E_INVALID_ARGUMENT, "index 3");
  EXPECT_QEFF_ERROR(qeff_session_read_state(s.s, "cache", &out.t), QEFF_E_NOT_FOUND, "no retained state");
  EXPECT_EQ(qeff_session_reset(s.s), QEFF_OK);
}

// Every weight storage (the packed formats f32.panel16, bf16.panel16,
// f16.panel16, i8.panel16x4, q4.strip128x32h, q4.strip128x128h,
// mxfp6.panel16x32) round-trips through a package.
TEST(Program, PackageLoadsInANewProcessWithTheSameOutputs) {
  const std::pair<const char *, const char *> storages[] = {{"f32", "F32"},       {"bf16", "BF16"}, {"f16", "F16"},
                                                            {"int8", "I8"},       {"int4", "U4"},   {"int4g128", "U4"},
                                                            {"mxfp6", "F6_E2M3"}};
  for (const auto &[dtype, dtype_name] : storages) {
    SCOPED_TRACE(dtype);
    TempDir dir;
    std::string pkg = (dir / "pkg").string();
    Program p;
    compile_mlp(p, kMlpSpecs, dtype);
    ASSERT_QEFF_OK(qeff_program_save(p.p, pkg.c_str(), nullptr));
    EXPECT_QEFF_ERROR(qeff_program_save(p.p, pkg.c_str(), nullptr), QEFF_E_IO);  // no overwrite by default
    const char *info = nullptr;
    ASSERT_QEFF_OK(qeff_program_info(p.p, &info));
    const std::string want_dtype = std::string("\"weight_dtype\": \"") + dtype_name;
    EXPECT_NE(std::string(info).find(want_dtype), std::string::npos) << info;
    if (std::string(dtype_name) == "U4") {
      const bool g128 = std::string(dtype) == "int4g128";
      EXPECT_NE(std::string(info).find(g128 ? "\"int4_block_size\": 128" : "\"int4_block_size\": 32"), std::string::npos)
          << info;
      EXPECT_NE(std::string(info).find(g128 ? "q4.strip128x128h" : "q4.strip128x32h"), std::string::npos) << info;
    }
    Session s;
    ASSERT_QEFF_OK(qeff_session_create(p.p, nullptr, &s.s));
    auto expected = run_mlp(s.s, 3);

    const char *runner = std::getenv("QEFF_PACKAGE_RUNNER");
    ASSERT_NE(runner, nullptr);
    std::string cmd = std::string(runner) + " " + pkg + " 3";
    FILE *f = ::popen(cmd.c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::vector<float> got;
    char line[128];
    while (std::fgets(line, sizeof line, f)) got.push_back(static_cast<float>(std::strtod(line, nullptr)));
    EXPECT_EQ(::pclose(f), 0);
    EXPECT_EQ(got, expected);  // bit-identical
  }
}

TEST(Program, TamperedAndTruncatedPackagesAreRefused) {
  TempDir dir;
  std::string pkg = (dir / "pkg").string();
  Program p;
  compile_mlp(p);
  ASSERT_QEFF_OK(qeff_program_save(p.p, pkg.c_str(), nullptr));
  auto weights = dir / "pkg/weights.bin";
  std::string bytes;
  {
    std::ifstream in(weights, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  qeff_program *q = nullptr;
  std::string flipped = bytes;
  flipped[100] ^= 1;
  write_file(weights, flipped);
  EXPECT_QEFF_ERROR(qeff_program_load(pkg.c_str(), nullptr, &q), QEFF_E_FORMAT, "weights.bin", "tampered or truncated");
  write_file(weights, bytes.substr(0, bytes.size() / 2));
  EXPECT_QEFF_ERROR(qeff_program_load(pkg.c_str(), nullptr, &q), QEFF_E_FORMAT, "weights.bin", "tampered or truncated");
  EXPECT_EQ(q, nullptr);
  write_file(weights, bytes);
  ASSERT_QEFF_OK(qeff_program_load(pkg.c_str(), nullptr, &q));
  qeff_program_free(q);
}

namespace {

bool from_cache(const qeff_program *p) {
  const char *info = nullptr;
  EXPECT_EQ(qeff_program_info(p, &info), QEFF_OK);
  return info && std::string(info).find("\"from_cache\": true") != std::string::npos;
}

}  // namespace

TEST(Program, CompileCacheHitsAndMissesOnChangedWeights) {
  TempDir dir;
  // A private copy of the llama_layer golden graph (its weights are external data).
  std::string src = golden("llama_layer");
  std::string model_dir = (dir / "model").string();
  std::filesystem::create_directories(model_dir);
  for (const char *f : {"model.onnx", "model.onnx.data"})
    std::filesystem::copy_file(std::filesystem::path(src).parent_path() / f, std::filesystem::path(model_dir) / f);
  std::string model = model_dir + "/model.onnx";
  Options o;
  o.set("compile.specializations", R"([{"name": "s", "symbols": {"batch": 1, "seq": 4}}])")
      .set("cache.dir", (dir / "cache").string().c_str());
  Program first, second, third;
  ASSERT_QEFF_OK(qeff_compile_onnx(model.c_str(), o.o, &first.p));
  EXPECT_FALSE(from_cache(first.p));
  ASSERT_QEFF_OK(qeff_compile_onnx(model.c_str(), o.o, &second.p));
  EXPECT_TRUE(from_cache(second.p));
  // Another option value is another program.
  Options bf16;
  bf16.set("compile.specializations", R"([{"name": "s", "symbols": {"batch": 1, "seq": 4}}])")
      .set("cache.dir", (dir / "cache").string().c_str())
      .set("compile.weight_dtype", "bf16");
  Program other;
  ASSERT_QEFF_OK(qeff_compile_onnx(model.c_str(), bf16.o, &other.p));
  EXPECT_FALSE(from_cache(other.p));
  // One changed weight byte in the external data: a miss.
  {
    std::fstream f(model_dir + "/model.onnx.data", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x7f');
  }
  ASSERT_QEFF_OK(qeff_compile_onnx(model.c_str(), o.o, &third.p));
  EXPECT_FALSE(from_cache(third.p));
}
