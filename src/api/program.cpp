// Programs at the C ABI: compile (from an ONNX file), save, load, describe.
#include <memory>

#include "api/handles.hpp"
#include "common/dtype.hpp"
#include "common/error.hpp"
#include "common/json_writer.hpp"
#include "common/log.hpp"
#include "compiler/cache.hpp"
#include "compiler/compile.hpp"
#include "compiler/package.hpp"
#include "onnx/import.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kModelTag;
using qeff::api::kProgramTag;
using qeff::api::require;

namespace {

qeff_dtype weight_dtype(const std::string &text) {
  if (text == "f32" || text == "fp32") return QEFF_DTYPE_F32;
  if (text == "bf16") return QEFF_DTYPE_BF16;
  qeff::fail(QEFF_E_INVALID_ARGUMENT, "compile.weight_dtype = " + qeff::quote(text, 32) + " (expected f32 or bf16)");
}

qeff::compiler::CompileOptions compile_options(const qeff::Options &o, const qeff::graph::Graph &g) {
  qeff::compiler::CompileOptions c;
  c.target = o.get_string("compile.target");
  c.weight_dtype = weight_dtype(o.get_string("compile.weight_dtype"));
  c.fuse = o.get_bool("compile.fuse");
  const std::string &specs = o.get_string("compile.specializations");
  if (!specs.empty()) {
    c.specializations = qeff::compiler::parse_specializations(specs, "compile.specializations");
  } else {
    qeff::compiler::NaturalParameters p;
    p.batch_size = o.get_int("compile.batch_size");
    p.seq_len = o.get_int_list("compile.seq_len");
    p.prefill_seq_len = o.get_int("compile.prefill_seq_len");
    p.ctx_len = o.get_int("compile.ctx_len");
    c.specializations = qeff::compiler::natural_specializations(g, p);
  }
  return c;
}

void write_value_info(qeff::JsonWriter &w, const qeff::graph::ValueInfo &v) {
  w.begin_object(true).key("name").value(v.name).key("dtype").value(qeff::dtype_name(v.type.dtype)).key("shape");
  w.begin_array(true);
  for (const auto &d : v.type.shape) d.is_symbolic() ? w.value(d.symbol) : w.value(d.value);
  w.end_array().end_object();
}

std::string describe(const qeff::compiler::Program &p, bool from_cache) {
  qeff::JsonWriter w;
  w.begin_object().key("target").value(p.target).key("source_hash").value(p.source_hash);
  w.key("from_cache").value(from_cache);
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
  for (const auto &r : p.retained) w.begin_object(true).key("input").value(r.input).key("output").value(r.output).end_object();
  uint64_t constant_bytes = 0;
  for (const auto &c : p.constants) constant_bytes += c.data.size();
  w.end_array().key("constant_bytes").value(constant_bytes).end_object();
  return w.take();
}

qeff_program *new_program(std::shared_ptr<const qeff::compiler::Program> p, bool from_cache = false) {
  auto h = std::make_unique<qeff_program>();
  h->info_json = describe(*p, from_cache);
  h->executable = qeff::runtime::Executable::load(std::move(p));
  return h.release();
}

}  // namespace

extern "C" {

qeff_status qeff_compile(const qeff_model *model, const qeff_options *options, qeff_program **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const qeff_model &m = checked_handle(model, kModelTag, "qeff_model", "qeff_compile");
    qeff::api::options_or_default(options, "qeff_compile");
    require(out, "out", "qeff_compile");
    qeff::fail(QEFF_E_UNSUPPORTED, "qeff_compile: no graph builder for architecture " +
                                       qeff::quote(m.source->config.architecture, 64) + " in qeff " +
                                       QEFF_VERSION_STRING + "; export the model to ONNX and use qeff_compile_onnx");
  });
}

qeff_status qeff_compile_onnx(const char *onnx_path, const qeff_options *options, qeff_program **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_compile_onnx";
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    require(onnx_path, "onnx_path", fn);
    require(out, "out", fn);
    qeff::graph::Graph g = qeff::onnx_io::import_model(onnx_path);
    qeff::compiler::CompileOptions c = compile_options(o, g);
    if (!o.get_bool("cache.enabled")) {
      *out = new_program(std::make_shared<qeff::compiler::Program>(qeff::compiler::compile(g, c)));
      return;
    }
    // Keyed by the content of the ONNX file and every external-data file it
    // references, the library and package versions and the options: a changed
    // weight file is a miss, never a stale program.
    std::string digest = qeff::compiler::digest_onnx_model(onnx_path);
    std::string key = qeff::compiler::cache_key("program", digest, qeff::compiler::canonical_options_text(c));
    const std::string &dir = o.get_string("cache.dir");
    if (dir.empty()) {
      try {
        qeff::compiler::default_cache_root();
      } catch (const qeff::Error &e) {  // no QEFF_HOME, XDG_CACHE_HOME or HOME: compile, uncached
        qeff::log_warn(std::string("compile cache disabled: ") + e.what());
        *out = new_program(std::make_shared<qeff::compiler::Program>(qeff::compiler::compile(g, c, digest)));
        return;
      }
    }
    qeff::compiler::ProgramCache cache(dir);
    bool compiled = false;
    qeff::compiler::Program program = cache.get_or_compile(key, [&] {
      compiled = true;
      return qeff::compiler::compile(g, c, digest);
    });
    *out = new_program(std::make_shared<qeff::compiler::Program>(std::move(program)), !compiled);
  });
}

qeff_status qeff_program_save(const qeff_program *program, const char *package_dir, const qeff_options *options) {
  return guarded([&] {
    const char *fn = "qeff_program_save";
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", fn);
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    require(package_dir, "package_dir", fn);
    qeff::compiler::PackageWriteOptions w;
    w.overwrite = o.get_bool("package.overwrite");
    qeff::compiler::write_package(p.executable->program(), package_dir, w);
  });
}

qeff_status qeff_program_load(const char *package_dir, const qeff_options *options, qeff_program **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_program_load";
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    require(package_dir, "package_dir", fn);
    require(out, "out", fn);
    qeff::compiler::PackageReadOptions r;
    r.verify_digests = o.get_bool("package.verify");
    auto program = std::make_shared<qeff::compiler::Program>(qeff::compiler::read_package(package_dir, r));
    *out = new_program(std::move(program));
  });
}

void qeff_program_free(qeff_program *program) { qeff::api::free_handle(program, kProgramTag); }

qeff_status qeff_program_info(const qeff_program *program, const char **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", "qeff_program_info");
    require(out, "out", "qeff_program_info");
    *out = p.info_json.c_str();
  });
}

}  // extern "C"
