// Compile options, the cached compile and program handles (program_support.hpp).
#include "api/program_support.hpp"

#include <unistd.h>

#include <map>
#include <variant>

#include "common/dtype.hpp"
#include "common/error.hpp"
#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "compiler/cache.hpp"
#include "compiler/package.hpp"
#include "compiler/plan.hpp"

namespace qeff::api {
namespace {

qeff_dtype weight_dtype(const std::string &text) {
  if (text == "f32" || text == "fp32") return QEFF_DTYPE_F32;
  if (text == "bf16") return QEFF_DTYPE_BF16;
  if (text == "f16" || text == "fp16") return QEFF_DTYPE_F16;
  if (text == "int8" || text == "i8") return QEFF_DTYPE_I8;
  if (text == "int4" || text == "q4" || text == "u4") return QEFF_DTYPE_U4;
  if (text == "mxfp6" || text == "fp6") return QEFF_DTYPE_F6_E2M3;
  fail(QEFF_E_INVALID_ARGUMENT,
       "compile.weight_dtype = " + quote(text, 32) + " (expected f32, bf16, f16, int8, int4 or mxfp6)");
}

void write_value_info(JsonWriter &w, const graph::ValueInfo &v) {
  w.begin_object(true).key("name").value(v.name).key("dtype").value(dtype_name(v.type.dtype)).key("shape");
  w.begin_array(true);
  for (const auto &d : v.type.shape) d.is_symbolic() ? w.value(d.symbol) : w.value(d.value);
  w.end_array().end_object();
}

std::string describe(const compiler::Program &p, bool from_cache) {
  JsonWriter w;
  w.begin_object().key("target").value(p.target).key("source_hash").value(p.source_hash);
  w.key("from_cache").value(from_cache);
  w.key("weight_dtype").value(dtype_name(p.options.weight_dtype));
  if (p.options.weight_dtype == QEFF_DTYPE_U4) w.key("int4_block_size").value(p.options.int4_group);
  w.key("specializations").begin_array();
  for (const auto &plan : p.plans) {
    w.begin_object(true).key("name").value(plan.spec.name).key("symbols").begin_object(true);
    for (const auto &[k, v] : plan.spec.symbols) w.key(k).value(v);
    w.end_object().key("arena_bytes").value(plan.arena_bytes).key("steps").value(static_cast<uint64_t>(plan.steps.size()));
    w.end_object();
  }
  w.end_array().key("inputs").begin_array();
  for (const auto &v : p.inputs) write_value_info(w, v);
  w.end_array().key("outputs").begin_array();
  for (const auto &v : p.outputs) write_value_info(w, v);
  w.end_array().key("retained_state").begin_array();
  for (size_t k = 0; k < p.retained.size(); ++k) {
    // The element type, from the first specialization's plan (every plan keeps the same state).
    qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
    if (!p.plans.empty())
      for (const auto &v : p.plans.front().values)
        if (v.placement == compiler::Placement::state && v.index == static_cast<int64_t>(k)) dtype = v.type.dtype;
    w.begin_object(true).key("input").value(p.retained[k].input).key("output").value(p.retained[k].output);
    w.key("dtype").value(dtype_name(dtype)).end_object();
  }
  uint64_t constant_bytes = 0;
  for (const auto &c : p.constants) constant_bytes += c.data.size();
  w.end_array().key("constant_bytes").value(constant_bytes);
  // Packed matmul weights per layout (the first plan's; every plan shares them).
  std::map<std::string, uint64_t> formats;
  if (!p.plans.empty())
    for (const auto &step : p.plans.front().steps)
      if (step.node.domain == "qeff.cpu" &&
          (step.node.op_type == "PackedMatMul" || step.node.op_type == "PackedMatMulGroup"))
        if (const graph::Attribute *a = step.node.attribute("format");
            a != nullptr && std::holds_alternative<std::string>(a->value)) {
          const graph::Attribute *ns = step.node.attribute("ns");  // a group: one weight per member
          const auto *list = ns ? std::get_if<std::vector<int64_t>>(&ns->value) : nullptr;
          formats[std::get<std::string>(a->value)] += list ? list->size() : 1;
        }
  w.key("weight_formats").begin_object(true);
  for (const auto &[name, count] : formats) w.key(name).value(count);
  w.end_object();
  w.key("metadata").begin_object();
  for (const auto &[k, v] : p.metadata) w.key(k).value(v);
  w.end_object().key("assets").begin_array(true);
  for (const auto &[name, bytes] : p.assets) w.value(name);
  w.end_array().end_object();
  return w.take();
}

}  // namespace

compiler::CompileOptions compile_options(const Options &o, const graph::Graph &g,
                                         const std::vector<int64_t> &default_seq_len) {
  compiler::CompileOptions c;
  c.target = o.get_string("compile.target");
  c.weight_dtype = weight_dtype(o.get_string("compile.weight_dtype"));
  c.fuse = o.get_bool("compile.fuse");
  const std::string &quantized = o.get_string("compile.quantized_checkpoint");
  if (quantized != "keep" && quantized != "dequantize")
    fail(QEFF_E_INVALID_ARGUMENT,
         "compile.quantized_checkpoint = " + quote(quantized, 32) + " (expected keep or dequantize)");
  c.dequantize_int4 = quantized == "dequantize";
  c.int4_group = o.get_int("compile.int4_block_size");
  if (!compiler::int4_group_supported(c.int4_group))
    fail(QEFF_E_INVALID_ARGUMENT,
         "compile.int4_block_size = " + std::to_string(c.int4_group) + " (expected 32 or 128)");
  const std::string &specs = o.get_string("compile.specializations");
  if (!specs.empty()) {
    c.specializations = compiler::parse_specializations(specs, "compile.specializations");
  } else {
    compiler::NaturalParameters p;
    p.batch_size = o.get_int("compile.batch_size");
    p.seq_len = o.get_int_list("compile.seq_len");
    if (p.seq_len.empty()) p.seq_len = default_seq_len;
    p.prefill_seq_len = o.get_int("compile.prefill_seq_len");
    p.ctx_len = o.get_int("compile.ctx_len");
    c.specializations = compiler::natural_specializations(g, p);
  }
  return c;
}

qeff_program *new_program(std::shared_ptr<const compiler::Program> p, bool from_cache) {
  auto h = std::make_unique<qeff_program>();
  h->info_json = describe(*p, from_cache);
  h->executable = runtime::Executable::load(std::move(p));
  h->pool = std::make_shared<SessionPool>(h->executable);
  return h.release();
}

std::shared_ptr<const tokenizer::Tokenizer> tokenizer_of(const qeff_program &p) {
  std::lock_guard<std::mutex> lock(p.lazy_mutex);
  const auto &assets = p.executable->program().assets;
  if (!p.tokenizer && !assets.empty())
    p.tokenizer = tokenizer::Tokenizer::load(assets, [](const std::string &name) { return "program asset " + name; });
  return p.tokenizer;
}

std::shared_ptr<const generation::LmProgram> lm_of(const qeff_program &p) {
  std::lock_guard<std::mutex> lock(p.lazy_mutex);
  if (!p.lm) p.lm = std::make_shared<const generation::LmProgram>(p.executable);
  return p.lm;
}

std::shared_ptr<const generation::EncoderProgram> encoder_of(const qeff_program &p) {
  std::lock_guard<std::mutex> lock(p.lazy_mutex);
  if (!p.encoder) p.encoder = std::make_shared<const generation::EncoderProgram>(p.executable);
  return p.encoder;
}

void check_program_bytes(const compiler::Program &p, const Options &o) {
  uint64_t limit = static_cast<uint64_t>(o.get_int("limits.program_bytes"));
  std::string text = "limits.program_bytes = " + std::to_string(limit);
  if (limit == 0) {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    limit = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : UINT64_MAX;
    text = "the machine's physical memory, " + std::to_string(limit) + " bytes (limits.program_bytes = 0)";
  }
  compiler::check_session_bytes(p, limit, text);
}

qeff_program *compile_program(const graph::Graph &g, const compiler::CompileOptions &c, const Options &o,
                              const std::string &source_digest, const std::map<std::string, std::string> &assets) {
  auto compile = [&] {
    compiler::Program p = compiler::compile(g, c, source_digest);
    check_program_bytes(p, o);  // before the cache stores it or a session allocates
    p.assets = assets;
    return p;
  };
  if (!o.get_bool("cache.enabled")) return new_program(std::make_shared<compiler::Program>(compile()));
  std::string key = compiler::cache_key("program", source_digest, compiler::canonical_options_text(c));
  const std::string &dir = o.get_string("cache.dir");
  if (dir.empty()) {
    try {
      compiler::default_cache_root();
    } catch (const Error &e) {  // no QEFF_HOME, XDG_CACHE_HOME or HOME: compile, uncached
      log_warn(std::string("compile cache disabled: ") + e.what());
      return new_program(std::make_shared<compiler::Program>(compile()));
    }
  }
  compiler::ProgramCache cache(dir);
  bool compiled = false;
  // A cached program must also pass this build's plan validation (an entry
  // written by a build whose kernels planned less workspace is rebuilt).
  auto accept = [](const compiler::Program &cached) {
    runtime::Executable::load(std::shared_ptr<const compiler::Program>(&cached, [](const compiler::Program *) {}));
  };
  compiler::Program program = cache.get_or_compile(
      key,
      [&] {
        compiled = true;
        return compile();
      },
      {}, accept);
  if (!compiled) check_program_bytes(program, o);  // stored under another limit
  return new_program(std::make_shared<compiler::Program>(std::move(program)), !compiled);
}

}  // namespace qeff::api
