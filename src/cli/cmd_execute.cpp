// qeff execute: run a program package (qeff_program_load) with the input
// flags of qeff infer (causal-lm packages) or qeff embed (encoders).
#include <algorithm>

#include "commands.hpp"
#include "inputs.hpp"
#include "options.hpp"

namespace qcli {
namespace {

const std::vector<std::string> kEncoderOnly = {"--text", "--texts-file", "--pair", "--output"};

Spec execute_spec() {
  Spec s("execute",
         "qeff execute --package DIR (infer inputs: --prompt ... | --prompts-file F | --input-ids ...; "
         "embed inputs: --text ... | --texts-file F | --input-ids ... | --pair Q D) [options]",
         "Run a package written by qeff compile. A causal-lm package takes the input, generation\n"
         "and output flags of qeff infer; an embedding or reranker package those of qeff embed.\n"
         "Packages compiled from ONNX carry no tokenizer: pass --input-ids.");
  s.section("Package").value("--package", "DIR", "package directory (qeff compile --output)");
  add_lm_run_flags(s);
  add_encoder_run_flags(s);
  add_runtime_flags(s);
  add_common_flags(s);
  s.epilog(
      "Examples:\n"
      "  qeff execute --package /tmp/llama-pkg --prompt 'Hello' --max-new-tokens 8 --json\n"
      "  qeff execute --package /tmp/bert-pkg --input-ids 2,45,67,3 --json");
  return s;
}

int execute_run(const Args &a) {
  a.require("--package");
  Options options = make_options(a);
  Program program = load_package(*a.str("--package"), options.get());
  const std::string task = program_task(program.get());
  if (task == "causal-lm") {
    a.reject(kEncoderOnly, "is an embed flag; this package is a causal-lm program (use --prompt, --input-ids)");
    // Greedy unless sampling flags (known to apply only now that the task is).
    if (!sampling_requested(a)) check(qeff_options_set_bool(options.get(), "generate.do_sample", 0));
    return run_lm(program.get(), lm_inputs(a), a, options.get());
  }
  require_task(task, {"embedding", "sequence-classification"}, *a.str("--package"), "");
  std::vector<std::string> lm_only = generate_flag_names();
  lm_only.erase(std::remove(lm_only.begin(), lm_only.end(), "--truncate"), lm_only.end());
  a.reject(lm_only, "is an infer flag; this package is an " + task + " program (use --text, --input-ids)");
  return run_encoder(program.get(), encoder_inputs(a), a, options.get());
}

}  // namespace

void require_task(const std::string &task, const std::vector<std::string> &accepted, const std::string &what,
                  const std::string &hint) {
  if (std::find(accepted.begin(), accepted.end(), task) != accepted.end()) return;
  std::string list;
  for (const auto &t : accepted) list += (list.empty() ? "" : " or ") + t;
  throw Failure(QEFF_E_UNSUPPORTED, what + " holds a " + task + " model; this command runs " + list +
                                        (hint.empty() ? "" : " (" + hint + ")"));
}

const Command &execute_command() {
  static const Command c{"execute", "run a compiled program package (inputs as for infer or embed)", execute_spec,
                         execute_run};
  return c;
}

}  // namespace qcli
