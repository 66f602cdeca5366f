// qeff export: a model directory's graph as ONNX (model.onnx + model.onnx.data).
#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "json_out.hpp"
#include "options.hpp"
#include "progress.hpp"

namespace qcli {
namespace {

Spec export_spec() {
  Spec s("export", "qeff export --model DIR --output DIR [--pooling P] [--normalize|--no-normalize] [--overwrite] [--json]",
         "Export a model directory as ONNX: OUTPUT/model.onnx with its weights in\n"
         "OUTPUT/model.onnx.data (qeff's fused ops are ONNX local functions, so ONNX Runtime\n"
         "runs it and `qeff compile --onnx` compiles it).");
  s.section("Model")
      .value("--model", "DIR", "HuggingFace model directory")
      .value("--output", "DIR", "directory to write model.onnx and model.onnx.data into")
      .alias("-O", "--output")
      .value("--pooling", "P", "embedding models: mean, cls, max, mean_sqrt_len, last_token or none")
      .flag("--normalize", "embedding models: L2-normalize the output")
      .flag("--no-normalize", "embedding models: do not normalize")
      .value("--kv-cache-dtype", "f32|f16|bf16|mxint8", "causal LMs: element type of the KV cache inputs and outputs")
      .flag("--overwrite", "replace an existing model.onnx")
      .flag("--json", "print {\"onnx\": PATH, \"data\": PATH, \"bytes\": N} instead of the path");
  add_common_flags(s);
  s.epilog("Example:\n  qeff export --model tests/fixtures/models/bert-tiny --output /tmp/bert-onnx");
  return s;
}

int export_run(const Args &a) {
  a.require("--model");
  a.require("--output");
  Options options = make_options(a);
  if (a.has("--overwrite")) check(qeff_options_set_bool(options.get(), "export.overwrite", 1));
  Model model = load_model(*a.str("--model"), options.get());
  const std::string out = absolute_path(*a.str("--output"));
  {
    Spinner spinner("exporting to " + out);
    check(qeff_export(model.get(), out.c_str(), options.get()));
    spinner.done();
  }
  const std::string onnx = (std::filesystem::path(out) / "model.onnx").string();
  if (a.has("--json")) {
    Json doc = json_object();
    json_add(doc.get(), "onnx", onnx);
    json_add(doc.get(), "data", onnx + ".data");
    json_add(doc.get(), "bytes", static_cast<double>(directory_bytes(out)));
    json_print(doc.get());
  } else {
    std::printf("%s\n", onnx.c_str());
  }
  return 0;
}

}  // namespace

const Command &export_command() {
  static const Command c{"export", "export a model directory as ONNX", export_spec, export_run};
  return c;
}

}  // namespace qcli
