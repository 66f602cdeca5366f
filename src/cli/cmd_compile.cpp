// qeff compile: a model directory or an ONNX file -> a program package
// (qeff_program_save), loadable by qeff execute / qeff_program_load.
#include <cstdio>

#include "commands.hpp"
#include "json_out.hpp"
#include "options.hpp"
#include "progress.hpp"

namespace qcli {
namespace {

Spec compile_spec() {
  Spec s("compile", "qeff compile (--model DIR | --onnx FILE) --output DIR [compile options] [--overwrite] [--json]",
         "Compile a model directory or an ONNX file for this machine and save the program\n"
         "as a package directory (manifest, plan, packed weights, specializations.json).");
  s.section("Source")
      .value("--model", "DIR", "HuggingFace model directory")
      .value("--onnx", "FILE", "ONNX model (external data beside it), e.g. from qeff export")
      .value("--output", "DIR", "package directory to write")
      .alias("-O", "--output")
      .flag("--overwrite", "replace an existing package directory")
      .flag("--json", "print the package path and the program description as one JSON object");
  add_encoder_compile_flags(s);
  add_lm_compile_flags(s);
  add_cache_flags(s);
  add_common_flags(s);
  s.epilog(
      "Examples:\n"
      "  qeff compile --model tests/fixtures/models/llama-tiny --output /tmp/llama-pkg --ctx-len 256\n"
      "  qeff compile --onnx /tmp/bert-onnx/model.onnx --output /tmp/bert-pkg --seq-len 32 --batch-size 1");
  return s;
}

int compile_run(const Args &a) {
  a.one_of({"--model", "--onnx"}, true);
  a.require("--output");
  Options options = make_options(a);
  if (a.has("--overwrite")) check(qeff_options_set_bool(options.get(), "package.overwrite", 1));
  Program program;
  if (a.has("--model")) {
    Model model = load_model(*a.str("--model"), options.get());
    program = compile_model(model.get(), options.get());
  } else {
    Spinner spinner("compiling " + *a.str("--onnx"));
    qeff_program *raw = nullptr;
    check(qeff_compile_onnx(a.str("--onnx")->c_str(), options.get(), &raw));
    program.reset(raw);
    spinner.done();
  }
  const std::string out = absolute_path(*a.str("--output"));
  {
    Spinner spinner("saving " + out);
    check(qeff_program_save(program.get(), out.c_str(), options.get()));
    spinner.done();
  }
  if (a.has("--json")) {
    const char *info = nullptr;
    check(qeff_program_info(program.get(), &info));
    Json doc = json_object();
    json_add(doc.get(), "package", out);
    json_add(doc.get(), "task", program_task(program.get()));
    json_add(doc.get(), "bytes", static_cast<double>(directory_bytes(out)));
    json_add(doc.get(), "info", json_parse(info).release());
    json_print(doc.get());
  } else {
    std::printf("%s\n", out.c_str());
  }
  return 0;
}

}  // namespace

const Command &compile_command() {
  static const Command c{"compile", "compile a model directory or ONNX file into a program package", compile_spec,
                         compile_run};
  return c;
}

}  // namespace qcli
