// Flags -> qeff_options keys (docs/options.md). Flag sets are added to a
// subcommand's Spec by group; make_options() turns every flag present in the
// parsed Args into its key, so a subcommand only ever sees its own flags.
// A value the library refuses (out of range, unknown choice) is a usage
// error naming the flag.
#pragma once

#include "args.hpp"
#include "common.hpp"

namespace qcli {

// --option KEY=VALUE, --verbose (every command).
void add_common_flags(Spec &spec);
// --threads.
void add_runtime_flags(Spec &spec);
// --cache-dir, --no-cache.
void add_cache_flags(Spec &spec);
// Causal-LM compile flags: --prefill-seq-len/--prompt-len, --ctx-len, --batch-size, --dtype, ...
void add_lm_compile_flags(Spec &spec);
// Encoder compile flags: --seq-len, --batch-size, --dtype, --pooling, --normalize/--no-normalize, ...
void add_encoder_compile_flags(Spec &spec);
// Generation flags: --max-new-tokens, sampling, --stop, --ignore-eos, --truncate.
void add_generate_flags(Spec &spec);

// Every flag of the table given in `args`, then the --option passthroughs.
// With `generation`, decoding is greedy unless --do-sample or a sampling
// parameter (--temperature, --top-k, --top-p, --min-p) is given.
Options make_options(const Args &args, bool generation = false);
// Whether a sampling flag was given.
bool sampling_requested(const Args &args);

// Flags of add_generate_flags (for execute to refuse them on an encoder package).
const std::vector<std::string> &generate_flag_names();

// Install the log callback (--verbose: info and up on stderr).
void setup_logging(const Args &args);

}  // namespace qcli
