// Models at the C ABI: compile a loaded model, export its graph as ONNX.
#include <algorithm>

#include "api/program_support.hpp"
#include "common/digest.hpp"
#include "common/error.hpp"
#include "graph/digest.hpp"
#include "models/model_builder.hpp"
#include "onnx/export.hpp"
#include "transforms/kv_cache.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kModelTag;
using qeff::api::require;

namespace {

qeff::models::BuildOptions build_options(const qeff::Options &o) {
  qeff::models::BuildOptions b;
  const std::string &pooling = o.get_string("model.pooling");
  if (!pooling.empty()) {
    b.pooling = qeff::transforms::parse_pooling(pooling);
    if (!b.pooling)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, "model.pooling = " + qeff::quote(pooling, 32) + " (expected one of " +
                                              qeff::transforms::pooling_names() + ")");
  }
  if (o.is_set("model.normalize")) b.normalize = o.get_bool("model.normalize");
  const std::string &kv = o.get_string("model.kv_cache_dtype");
  if (kv == "f16" || kv == "fp16")
    b.kv_cache_dtype = QEFF_DTYPE_F16;
  else if (kv == "bf16")
    b.kv_cache_dtype = QEFF_DTYPE_BF16;
  else if (kv == "mxint8")
    b.kv_cache_dtype = qeff::transforms::kKvMxInt8;
  else if (kv != "f32" && kv != "fp32")
    qeff::fail(QEFF_E_INVALID_ARGUMENT,
               "model.kv_cache_dtype = " + qeff::quote(kv, 32) + " (expected f32, f16, bf16 or mxint8)");
  return b;
}

// The longest sequence the graph's positions allow (0: unbounded).
int64_t max_seq_len(const qeff::graph::Graph &g) {
  auto it = g.metadata.find(qeff::models::kMetaMaxSeqLen);
  return it == g.metadata.end() ? 0 : std::stoll(it->second);
}

// Encoders: 32, 128 and 512, those the position table allows (at least its length).
std::vector<int64_t> default_seq_lens(int64_t max_len) {
  if (max_len <= 0) return {32, 128, 512};
  std::vector<int64_t> out;
  for (int64_t n : {32, 128, 512})
    if (n <= max_len) out.push_back(n);
  if (out.empty() || (out.back() < max_len && out.back() < 512)) out.push_back(std::min<int64_t>(max_len, 512));
  return out;
}

void check_positions(const qeff::compiler::CompileOptions &c, int64_t max_len, const std::string &arch) {
  if (max_len <= 0) return;
  // seq_len for encoders; ctx_len (every position a sequence reaches) for causal LMs.
  for (const auto &s : c.specializations)
    for (const char *symbol : {"seq_len", "ctx_len"}) {
      auto it = s.symbols.find(symbol);
      if (it != s.symbols.end() && it->second > max_len)
        qeff::fail(QEFF_E_INVALID_ARGUMENT, "specialization " + qeff::quote(s.name) + ": " + symbol + " " +
                                                std::to_string(it->second) + " exceeds the " + std::to_string(max_len) +
                                                " positions " + arch + " has (config.json max_position_embeddings)");
    }
}

}  // namespace

extern "C" {

qeff_status qeff_compile(const qeff_model *model, const qeff_options *options, qeff_program **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_compile";
    const qeff_model &m = checked_handle(model, kModelTag, "qeff_model", fn);
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    qeff::api::CallScope cancel_scope(o, fn);
    require(out, "out", fn);
    qeff::graph::Graph g = qeff::models::build_graph(m.source, build_options(o));
    const int64_t max_len = max_seq_len(g);
    qeff::compiler::CompileOptions c = qeff::api::compile_options(o, g, default_seq_lens(max_len));
    check_positions(c, max_len, m.source->config.architecture);
    // The program carries the model directory's tokenizer files.
    std::map<std::string, std::string> assets = qeff::tokenizer::Tokenizer::read_files(m.source->root);
    // The cache key covers the built graph (weights included) and the
    // tokenizer files the program carries.
    std::string digest;
    if (o.get_bool("cache.enabled")) {
      qeff::Digest d;
      qeff::graph::digest_graph(g, d);
      for (const auto &[name, bytes] : assets) {
        d.update_field(name);
        d.update_field(bytes);
      }
      digest = d.text();
    }
    *out = qeff::api::compile_program(g, c, o, digest, assets);
  });
}

qeff_status qeff_export(const qeff_model *model, const char *output_dir, const qeff_options *options) {
  return guarded([&] {
    const char *fn = "qeff_export";
    const qeff_model &m = checked_handle(model, kModelTag, "qeff_model", fn);
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    qeff::api::CallScope cancel_scope(o, fn);
    require(output_dir, "output_dir", fn);
    qeff::graph::Graph g = qeff::models::build_graph(m.source, build_options(o));
    qeff::onnx_io::ExportOptions e;
    e.overwrite = o.get_bool("export.overwrite");
    qeff::onnx_io::export_model(g, output_dir, e);
  });
}

}  // extern "C"
