// Resource exhaustion and write failures at the C ABI (docs/reliability.md,
// RELIABILITY.md B9.77, B13.115, B13.116, B13.118 and A6.3): exports and
// package saves into read-only directories and under RLIMIT_FSIZE, NaN
// weights during generation, RLIMIT_AS during load, compile and generate,
// memory plans too large for the machine, and the per-request caps. The
// limits a test must not apply to itself run in tests/support/limit_child.cpp.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api_test.hpp"
#include "lm_test.hpp"
#include "resource_test.hpp"

using namespace qeff_test;

namespace {

using Options = embed_test::Options;
using Model = embed_test::Model;

// Options for the calls made here: no compile cache unless asked, small programs.
Options small_options(const std::map<std::string, std::string> &extra = {}) {
  std::map<std::string, std::string> kv = {{"compile.ctx_len", "32"}, {"compile.prefill_seq_len", "8"}};
  for (const auto &[k, v] : extra) kv[k] = v;
  return embed_test::options(kv);  // cache.enabled=false unless `extra` sets it
}

Model load_dir(const fs::path &dir, const qeff_options *o = nullptr) {
  qeff_model *m = nullptr;
  EXPECT_EQ(qeff_model_load(dir.c_str(), o, &m), QEFF_OK) << qeff_last_error_message();
  return Model(m);
}

// The arguments of a limit_child run that drops root's privileges (root
// ignores permission bits), then `rest`.
std::vector<std::string> unprivileged(std::vector<std::string> rest) {
  if (::geteuid() == 0) rest.insert(rest.begin(), {"--uid", "65534"});
  return rest;
}

// Expects the child's line for `call` to report `status` with every one of `parts`.
void expect_line(const ChildRun &r, const std::string &call, qeff_status status,
                 std::initializer_list<std::string> parts) {
  ASSERT_EQ(r.exit, 0) << r.output();
  std::string line = r.line(call);
  ASSERT_NE(line, "") << "no " << call << " line:\n" << r.output();
  EXPECT_EQ(line.rfind(call + " " + qeff_status_name(status) + " ", 0), 0u) << line;
  for (const auto &p : parts) EXPECT_NE(line.find(p), std::string::npos) << "lacks \"" << p << "\": " << line;
}

class Resources : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(tmp.path().c_str(), 0755);  // searchable by the unprivileged child
    copy_model("llama-tiny", model);
  }
  qeff_status export_to(const fs::path &out, bool overwrite) {
    Model m = load_dir(model);
    Options o = small_options({{"export.overwrite", overwrite ? "true" : "false"}});
    return qeff_export(m.get(), out.c_str(), o.get());
  }

  TempDir tmp;
  fs::path model = tmp / "model";
};

// ---------------------------------------------------------------------------
// B9.77: writes that fail leave nothing behind, and earlier outputs intact.

TEST_F(Resources, B9_77_ExportIntoAReadOnlyDirectoryLeavesItUnchanged) {
  const fs::path out = tmp / "out";
  ASSERT_QEFF_OK(export_to(out, false));
  const auto before = snapshot(out);
  ASSERT_EQ(names(before), "[model.onnx, model.onnx.data]");
  ::chmod(out.c_str(), 0555);
  ChildRun r = run_limit_child(unprivileged({"export", model, out, "export.overwrite=true"}));
  expect_line(r, "export", QEFF_E_IO, {out.string() + "/model.onnx", "Permission denied"});
  EXPECT_EQ(snapshot(out), before);
  // An output directory to create inside the read-only one.
  r = run_limit_child(unprivileged({"export", model, out / "sub"}));
  expect_line(r, "export", QEFF_E_IO, {(out / "sub").string(), "Permission denied"});
  EXPECT_EQ(snapshot(out), before);
  ::chmod(out.c_str(), 0755);
  ASSERT_QEFF_OK(export_to(out, true));  // the directory is usable again, the export the same
  EXPECT_EQ(snapshot(out), before);
}

TEST_F(Resources, B9_77_ExportUnderAFileSizeLimitLeavesNothingBehind) {
  const fs::path out = tmp / "out";
  fs::create_directories(out);
  // Every weight above 1 KiB goes to model.onnx.data (about 550 KiB): EFBIG there.
  ChildRun r = run_limit_child({"--fsize", "65536", "export", model, out});
  expect_line(r, "export", QEFF_E_IO, {out.string() + "/model.onnx.data", "File too large"});
  EXPECT_EQ(names(snapshot(out)), "[]");  // no temporary file, no model.onnx

  ASSERT_QEFF_OK(export_to(out, false));
  const auto good = snapshot(out);
  r = run_limit_child({"--fsize", "65536", "export", model, out, "export.overwrite=true"});
  expect_line(r, "export", QEFF_E_IO, {"model.onnx.data", "File too large"});
  EXPECT_EQ(snapshot(out), good);  // the earlier export untouched
  ASSERT_QEFF_OK(export_to(out, true));
  EXPECT_EQ(snapshot(out), good);
}

TEST_F(Resources, B9_77_ProgramSaveUnderLimitsLeavesNothingBehind) {
  const fs::path parent = tmp / "packages", pkg = parent / "pkg";
  fs::create_directories(parent);
  const std::vector<std::string> opts = {"cache.enabled=false", "compile.ctx_len=32", "compile.prefill_seq_len=8",
                                         "package.overwrite=true"};
  auto child = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"save", model, pkg});
    args.insert(args.end(), opts.begin(), opts.end());
    return run_limit_child(args);
  };
  ChildRun r = child({"--fsize", "65536"});
  expect_line(r, "save", QEFF_E_IO, {"weights.bin", "File too large"});
  EXPECT_EQ(names(snapshot(parent)), "[]");  // no package, no temporary directory

  Model m = load_dir(model);
  Options o = small_options({{"package.overwrite", "true"}});
  qeff_program *p = nullptr;
  ASSERT_QEFF_OK(qeff_compile(m.get(), o.get(), &p));
  embed_test::Program program(p);
  ASSERT_QEFF_OK(qeff_program_save(p, pkg.c_str(), o.get()));
  const auto good = snapshot(parent);
  r = child({"--fsize", "65536"});
  expect_line(r, "save", QEFF_E_IO, {"weights.bin", "File too large"});
  EXPECT_EQ(snapshot(parent), good);

  ::chmod(parent.c_str(), 0555);
  r = child(unprivileged({}));
  expect_line(r, "save", QEFF_E_IO, {parent.string(), "Permission denied"});
  EXPECT_EQ(snapshot(parent), good);
  ::chmod(parent.c_str(), 0755);
  qeff_program *back = nullptr;
  ASSERT_QEFF_OK(qeff_program_load(pkg.c_str(), nullptr, &back));  // verified digests
  qeff_program_free(back);
}

// ---------------------------------------------------------------------------
// B13.115: NaN weights reach the logits; never an arbitrary token.

struct GenRun {
  qeff_status status = QEFF_OK;
  std::string message;
  std::vector<std::vector<int32_t>> tokens;
};

// Generates from `rows` on the model in `dir` (through qeff_generate and
// qeff_generate_stream, which must agree).
GenRun generate_rows(const fs::path &dir, const std::vector<std::vector<int32_t>> &rows,
                  const std::map<std::string, std::string> &extra = {}) {
  Model m = load_dir(dir);
  Options o = small_options(extra);
  qeff_program *p = nullptr;
  EXPECT_EQ(qeff_compile(m.get(), o.get(), &p), QEFF_OK) << qeff_last_error_message();
  embed_test::Program program(p);
  embed_test::Request req = embed_test::token_request(rows);
  Options g = embed_test::options({{"generate.max_new_tokens", "6"}, {"generate.ignore_eos", "true"}});
  for (const auto &[k, v] : extra) qeff_options_set(g.get(), k.c_str(), v.c_str());
  GenRun run;
  qeff_result *res = nullptr;
  run.status = qeff_generate(p, req.get(), g.get(), &res);
  run.message = qeff_last_error_message();
  embed_test::Result result(res);
  for (size_t i = 0; res != nullptr && i < rows.size(); ++i) run.tokens.push_back(lm_test::tokens(res, i));
  qeff_result *streamed = nullptr;
  auto ignore = [](size_t, int32_t, const char *, size_t, int, void *) { return 0; };
  EXPECT_EQ(qeff_generate_stream(p, req.get(), g.get(), ignore, nullptr, &streamed), run.status);
  EXPECT_EQ(qeff_last_error_message(), run.message);
  qeff_result_free(streamed);
  return run;
}

TEST_F(Resources, B13_115_NanInLmHeadIsNumericNamingTheRow) {
  const fs::path weights = model / "model.safetensors";
  const TensorLocation head = locate_tensor(weights, "lm_head.weight");
  ASSERT_EQ(head.shape.size(), 2u);
  const auto vocab = static_cast<size_t>(head.shape[0]), hidden = static_cast<size_t>(head.shape[1]);
  const std::vector<std::vector<int32_t>> prompt = {{1, 300, 301}};
  GenRun clean = generate_rows(model, prompt);
  ASSERT_EQ(clean.status, QEFF_OK) << clean.message;
  ASSERT_EQ(clean.tokens[0].size(), 6u);

  // One NaN per vocabulary row (column 0): every logit is NaN.
  std::vector<size_t> column;
  for (size_t r = 0; r < vocab; ++r) column.push_back(r * hidden);
  poke_f32(weights, "lm_head.weight", column, NAN);
  for (const char *sample : {"false", "true"}) {
    SCOPED_TRACE(std::string("do_sample ") + sample);
    GenRun nan = generate_rows(model, prompt, {{"generate.do_sample", sample}});
    EXPECT_EQ(nan.status, QEFF_E_NUMERIC) << nan.message;
    EXPECT_NE(nan.message.find("row 0"), std::string::npos) << nan.message;
    EXPECT_NE(nan.message.find("NaN"), std::string::npos) << nan.message;
    EXPECT_TRUE(nan.tokens.empty());  // no result, so no token at all
  }

  // A NaN row of lm_head: that token's logit is NaN, which counts as -inf
  // (docs/generation.md): it is never generated; the others are unaffected
  // until the clean run would have picked it.
  copy_model("llama-tiny", tmp / "row");
  const int32_t picked = clean.tokens[0][0];
  std::vector<size_t> row;
  for (size_t c = 0; c < hidden; ++c) row.push_back(static_cast<size_t>(picked) * hidden + c);
  poke_f32(tmp / "row" / "model.safetensors", "lm_head.weight", row, NAN);
  GenRun masked = generate_rows(tmp / "row", prompt);
  ASSERT_EQ(masked.status, QEFF_OK) << masked.message;
  for (int32_t id : masked.tokens[0]) EXPECT_NE(id, picked);
}

TEST_F(Resources, B13_115_NanInOneRowsEmbeddingNamesThatRow) {
  // Token 300's embedding is NaN: only the row whose prompt holds it breaks.
  const TensorLocation emb = locate_tensor(model / "model.safetensors", "model.embed_tokens.weight");
  const auto hidden = static_cast<size_t>(emb.shape[1]);
  std::vector<size_t> row;
  for (size_t c = 0; c < hidden; ++c) row.push_back(300 * hidden + c);
  poke_f32(model / "model.safetensors", "model.embed_tokens.weight", row, NAN);
  for (const char *batch : {"1", "2"}) {
    SCOPED_TRACE(std::string("batch_size ") + batch);
    GenRun r = generate_rows(model, {{1, 5, 6}, {1, 300, 301}}, {{"compile.batch_size", batch}});
    EXPECT_EQ(r.status, QEFF_E_NUMERIC) << r.message;
    EXPECT_NE(r.message.find("row 1"), std::string::npos) << r.message;
  }
}

// ---------------------------------------------------------------------------
// B13.116, B13.118: out of address space, and plans larger than the machine.

TEST_F(Resources, B13_116_AddressSpaceLimitIsOomWithEveryHandleFreeable) {
  const std::vector<std::string> pipeline = {"generate", model, "cache.enabled=false", "compile.ctx_len=32",
                                             "compile.prefill_seq_len=8", "runtime.threads=4",
                                             "generate.max_new_tokens=4"};
  std::map<std::string, int> failed_at;
  int complete = 0, runs = 0;
  // Headroom over the child's size at start, from 64 KiB up by 1.4x, until
  // the whole pipeline runs twice.
  for (double headroom = 65536; complete < 2 && headroom < 64e9; headroom *= 1.4) {
    std::vector<std::string> args = {"--as-headroom", std::to_string(static_cast<uint64_t>(headroom))};
    args.insert(args.end(), pipeline.begin(), pipeline.end());
    ChildRun r = run_limit_child(args);
    if (r.exit == 77) GTEST_SKIP() << "RLIMIT_AS cannot work under a sanitizer";
    ++runs;
    SCOPED_TRACE("headroom " + std::to_string(static_cast<uint64_t>(headroom)) + ":\n" + r.output());
    ASSERT_EQ(r.exit, 0);  // no crash, abort or hang, whatever failed
    bool failed = false;
    for (const std::string &l : r.lines) {
      const bool retry = l.rfind("retry ", 0) == 0;
      std::string call = l.substr(retry ? 6 : 0, l.find(' ', retry ? 6 : 0) - (retry ? 6 : 0));
      std::string status = l.substr(l.find(' ', retry ? 6 : 0) + 1);
      status = status.substr(0, status.find(' '));
      if (retry) {
        EXPECT_EQ(status, "QEFF_OK") << "the library is unusable after an OOM: " << l;
      } else if (status != "QEFF_OK") {
        EXPECT_EQ(status, "QEFF_E_OOM") << l;
        EXPECT_GT(l.size(), call.size() + status.size() + 3) << "no message: " << l;
        ++failed_at[call];
        failed = true;
      }
    }
    complete += !failed && r.line("generate").rfind("generate QEFF_OK", 0) == 0;
  }
  std::string seen;
  for (const auto &[call, n] : failed_at) seen += call + ": " + std::to_string(n) + " ";
  std::printf("%d runs; first failures by call: %s\n", runs, seen.c_str());
  EXPECT_GT(failed_at["load"], 0) << seen;
  EXPECT_GT(failed_at["compile"] + failed_at["generate"], 0) << seen;
  EXPECT_EQ(complete, 2) << runs << " runs; failures " << seen;
}

TEST_F(Resources, B13_116_MemoryPlanAboveTheCapIsALimitBeforeAllocating) {
  // A context of 2^20 positions at batch 65536: a 32 TiB KV cache.
  write_file(model / "config.json", replace(read_file(model / "config.json"), "\"max_position_embeddings\": 256",
                                            "\"max_position_embeddings\": 1048576"));
  Model m = load_dir(model);
  qeff_program *p = reinterpret_cast<qeff_program *>(1);
  Options huge = embed_test::options({{"compile.ctx_len", "1048576"}, {"compile.batch_size", "65536"}});
  EXPECT_QEFF_ERROR(qeff_compile(m.get(), huge.get(), &p), QEFF_E_LIMIT, "retained state 35184372088832",
                    "\"Prefill\"", "physical memory", "limits.program_bytes = 0");
  EXPECT_EQ(p, nullptr);
  // An explicit cap, on a program that fits the machine.
  Options capped = small_options({{"limits.program_bytes", "1000"}});
  EXPECT_QEFF_ERROR(qeff_compile(m.get(), capped.get(), &p), QEFF_E_LIMIT, "limits.program_bytes = 1000",
                    "a session of this program needs");
  EXPECT_EQ(p, nullptr);

  // An encoder batch of 2^26 rows.
  Model bert = embed_test::load_model("bert-tiny");
  Options rows = embed_test::options(
      {{"compile.specializations", R"([{"name": "Huge", "symbols": {"batch_size": 67108864, "seq_len": 64}}])"}});
  EXPECT_QEFF_ERROR(qeff_compile(bert.get(), rows.get(), &p), QEFF_E_LIMIT, "\"Huge\"", "physical memory");

  // The cap holds for cache hits and loaded packages too.
  const fs::path cache = tmp / "cache", pkg = tmp / "pkg";
  Options cached = small_options({{"cache.enabled", "true"}, {"cache.dir", cache.string()}});
  ASSERT_QEFF_OK(qeff_compile(m.get(), cached.get(), &p));
  ASSERT_QEFF_OK(qeff_program_save(p, pkg.c_str(), nullptr));
  qeff_program_free(p);
  Options cached_capped = small_options({{"cache.enabled", "true"}, {"cache.dir", cache.string()},
                                         {"limits.program_bytes", "1000"}});
  EXPECT_QEFF_ERROR(qeff_compile(m.get(), cached_capped.get(), &p), QEFF_E_LIMIT, "limits.program_bytes = 1000");
  EXPECT_QEFF_ERROR(qeff_program_load(pkg.c_str(), cached_capped.get(), &p), QEFF_E_LIMIT,
                    "limits.program_bytes = 1000");
  EXPECT_EQ(p, nullptr);
  ASSERT_QEFF_OK(qeff_program_load(pkg.c_str(), nullptr, &p));
  qeff_program_free(p);
}

// ---------------------------------------------------------------------------
// A6.3: per-request caps, applied by every generate entry point.

TEST_F(Resources, A6_3_RequestCapsNameTheValueAndTheLimit) {
  lm_test::Model lm = lm_test::load_model("llama-tiny");
  lm_test::Program program = lm_test::compile(lm.get(), {{"compile.ctx_len", "32"}, {"compile.prefill_seq_len", "8"}});
  lm_test::Model bert = lm_test::load_model("bert-tiny");
  lm_test::Program encoder = lm_test::compile(bert.get(), {{"compile.seq_len", "16"}});
  ASSERT_TRUE(program && encoder);
  const lm_test::Request tokens = lm_test::token_request({{1, 300, 301}, {1, 5, 6}, {1, 7}});  // 3 rows, 8 ids
  const lm_test::Request texts = lm_test::text_rows({"hello", "world!"});                        // 11 bytes
  auto ignore = [](size_t, int32_t, const char *, size_t, int, void *) { return 0; };
  // Every entry point, on `program`, with `o`: the status and the message of each.
  auto calls = [&](const qeff_program *prog, const qeff_request *req, const qeff_options *o) {
    std::vector<std::pair<qeff_status, std::string>> out;
    qeff_result *r = nullptr;
    out.emplace_back(qeff_generate(prog, req, o, &r), qeff_last_error_message());
    qeff_result_free(r);
    if (prog == program.get()) {
      r = nullptr;
      out.emplace_back(qeff_generate_stream(prog, req, o, ignore, nullptr, &r), qeff_last_error_message());
      qeff_result_free(r);
      qeff_stream *s = nullptr;
      out.emplace_back(qeff_stream_create(prog, req, o, &s), qeff_last_error_message());
      qeff_stream_free(s);
    }
    return out;
  };
  struct Case {
    const qeff_program *program;
    const qeff_request *request;
    const char *key;
    int64_t fits;  // the smallest cap the request fits
    const char *what;
  };
  const Case cases[] = {{program.get(), tokens.get(), "limits.batch_rows", 3, "3 rows"},
                        {program.get(), tokens.get(), "limits.request_tokens", 8, "8 token ids"},
                        {program.get(), texts.get(), "limits.request_bytes", 11, "11 text bytes"},
                        {program.get(), texts.get(), "limits.batch_rows", 2, "2 rows"},
                        {encoder.get(), texts.get(), "limits.request_bytes", 11, "11 text bytes"},
                        {encoder.get(), tokens.get(), "limits.batch_rows", 3, "3 rows"},
                        {encoder.get(), tokens.get(), "limits.request_tokens", 8, "8 token ids"}};
  for (const Case &c : cases) {
    SCOPED_TRACE(std::string(c.key) + (c.program == program.get() ? " (causal LM)" : " (encoder)"));
    Options below = embed_test::options({{c.key, std::to_string(c.fits - 1)}, {"generate.max_new_tokens", "2"}});
    for (const auto &[status, message] : calls(c.program, c.request, below.get())) {
      EXPECT_EQ(status, QEFF_E_LIMIT) << message;
      const std::string limit = std::string(c.key) + " = " + std::to_string(c.fits - 1);
      EXPECT_NE(message.find(c.what), std::string::npos) << message;
      EXPECT_NE(message.find(limit), std::string::npos) << message;
    }
    Options at = embed_test::options({{c.key, std::to_string(c.fits)}, {"generate.max_new_tokens", "2"}});
    for (const auto &[status, message] : calls(c.program, c.request, at.get())) EXPECT_EQ(status, QEFF_OK) << message;
  }
  // The defaults: 4096 rows.
  std::vector<std::vector<int32_t>> many(4097, std::vector<int32_t>{1});
  lm_test::Request big = lm_test::token_request(many);
  for (const auto &[status, message] : calls(program.get(), big.get(), nullptr)) {
    EXPECT_EQ(status, QEFF_E_LIMIT) << message;
    EXPECT_NE(message.find("4097 rows, above limits.batch_rows = 4096"), std::string::npos) << message;
  }
}

// A6.3: the ONNX import caps are options of qeff_compile_onnx; each names
// itself and the value; at the graph's own count the compile succeeds.
TEST_F(Resources, A6_3_OnnxImportCapsAreOptions) {
  ASSERT_EQ(export_to(tmp / "onnx", false), QEFF_OK) << qeff_last_error_message();
  const std::string onnx = (tmp / "onnx" / "model.onnx").string();
  auto compile = [&](const std::map<std::string, std::string> &kv) {
    Options o = small_options(kv);
    qeff_program *p = nullptr;
    qeff_status s = qeff_compile_onnx(onnx.c_str(), o.get(), &p);
    const std::string message = qeff_last_error_message();
    EXPECT_EQ(s == QEFF_OK, p != nullptr);
    qeff_program_free(p);
    return std::make_pair(s, message);
  };
  struct Cap {
    const char *key;
    qeff_status status;  // a rank above the cap is a malformed file for qeff, as in load
    const char *text;
  };
  const Cap caps[] = {{"limits.onnx_nodes", QEFF_E_LIMIT, "nodes, above limits.onnx_nodes = 1"},
                      {"limits.onnx_initializers", QEFF_E_LIMIT, "initializers, above limits.onnx_initializers = 1"},
                      {"limits.onnx_model_bytes", QEFF_E_LIMIT, "limits.onnx_model_bytes"},
                      {"limits.onnx_external_bytes", QEFF_E_LIMIT, "limits.onnx_external_bytes = 1"},
                      {"limits.tensor_rank", QEFF_E_FORMAT, "above limits.tensor_rank = 1"}};
  for (const Cap &c : caps) {
    const auto [status, message] = compile({{c.key, "1"}});
    EXPECT_EQ(status, c.status) << c.key << ": " << message;
    EXPECT_NE(message.find(c.text), std::string::npos) << c.key << ": " << message;
  }
  EXPECT_EQ(compile({}).first, QEFF_OK);
}

}  // namespace
