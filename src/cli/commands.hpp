// The subcommands of the qeff command line (docs/cli.md), one file each.
#pragma once

#include "args.hpp"
#include "common.hpp"

namespace qcli {

struct Command {
  const char *name;
  const char *summary;
  Spec (*spec)();
  int (*run)(const Args &args);
};

const Command &infer_command();    // cmd_infer.cpp
const Command &embed_command();    // cmd_embed.cpp
const Command &export_command();   // cmd_export.cpp
const Command &compile_command();  // cmd_compile.cpp
const Command &execute_command();  // cmd_execute.cpp
const Command &inspect_command();  // cmd_inspect.cpp
const Command &bench_command();    // cmd_bench.cpp
const Command &cache_command();    // cmd_cache.cpp

// Shared by infer / embed and execute: the input and output flags of a
// generation or an embedding, and running them on a compiled program.
// The inputs are gathered (and checked) before anything is loaded.
struct Inputs;
void add_lm_run_flags(Spec &spec);       // cmd_infer.cpp
Inputs lm_inputs(const Args &args);
int run_lm(const qeff_program *program, const Inputs &inputs, const Args &args, const qeff_options *options);
void add_encoder_run_flags(Spec &spec);  // cmd_embed.cpp
Inputs encoder_inputs(const Args &args);
int run_encoder(const qeff_program *program, const Inputs &inputs, const Args &args, const qeff_options *options);

// Fail with QEFF_E_UNSUPPORTED when a model of `task` cannot be run by `command`.
void require_task(const std::string &task, const std::vector<std::string> &accepted, const std::string &what,
                  const std::string &hint);  // cmd_execute.cpp

}  // namespace qcli
