// Programs at the C ABI: compile from an ONNX file, save, load, describe, tokenizer.
#include <memory>

#include "api/program_support.hpp"
#include "common/error.hpp"
#include "compiler/cache.hpp"
#include "compiler/package.hpp"
#include "onnx/import.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kProgramTag;
using qeff::api::require;

extern "C" {

qeff_status qeff_compile_onnx(const char *onnx_path, const qeff_options *options, qeff_program **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_compile_onnx";
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    qeff::api::CallScope cancel_scope(o, fn);
    require(onnx_path, "onnx_path", fn);
    require(out, "out", fn);
    qeff::onnx_io::ImportLimits limits;
    limits.max_model_bytes = static_cast<uint64_t>(o.get_int("limits.onnx_model_bytes"));
    limits.max_nodes = static_cast<uint64_t>(o.get_int("limits.onnx_nodes"));
    limits.max_initializers = static_cast<uint64_t>(o.get_int("limits.onnx_initializers"));
    limits.max_attribute_elements = static_cast<uint64_t>(o.get_int("limits.onnx_attribute_elements"));
    limits.max_rank = static_cast<uint64_t>(o.get_int("limits.tensor_rank"));
    limits.max_external_bytes = static_cast<uint64_t>(o.get_int("limits.onnx_external_bytes"));
    qeff::graph::Graph g = qeff::onnx_io::import_model(onnx_path, limits);
    qeff::compiler::CompileOptions c = qeff::api::compile_options(o, g);
    // Keyed by the content of the ONNX file and every external-data file it
    // references, the library and package versions and the options: a changed
    // weight file is a miss, never a stale program.
    std::string digest = o.get_bool("cache.enabled") ? qeff::compiler::digest_onnx_model(onnx_path) : std::string();
    *out = qeff::api::compile_program(g, c, o, digest);
  });
}

qeff_status qeff_program_save(const qeff_program *program, const char *package_dir, const qeff_options *options) {
  return guarded([&] {
    const char *fn = "qeff_program_save";
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", fn);
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    qeff::api::CallScope cancel_scope(o, fn);
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
    qeff::api::CallScope cancel_scope(o, fn);
    require(package_dir, "package_dir", fn);
    require(out, "out", fn);
    qeff::compiler::PackageReadOptions r;
    r.verify_digests = o.get_bool("package.verify");
    auto program = std::make_shared<qeff::compiler::Program>(qeff::compiler::read_package(package_dir, r));
    qeff::api::check_program_bytes(*program, o);
    *out = qeff::api::new_program(std::move(program));
  });
}

qeff_status qeff_program_tokenizer(const qeff_program *program, qeff_tokenizer **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_program_tokenizer";
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", fn);
    require(out, "out", fn);
    auto t = qeff::api::tokenizer_of(p);
    if (!t) qeff::fail(QEFF_E_NOT_FOUND, "qeff_program_tokenizer: the program has no tokenizer (compiled from ONNX, or "
                                         "from a model directory without tokenizer files)");
    *out = qeff::api::new_tokenizer_handle(std::move(t));
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
