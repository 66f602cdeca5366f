// Shared by the API files that make programs (program.cpp: ONNX and packages;
// compile_model.cpp: models): compile options from qeff_options, the cached
// compile, and wrapping a Program in a handle.
#pragma once

#include <memory>
#include <string>

#include "api/handles.hpp"
#include "compiler/compile.hpp"

namespace qeff::api {

// CompileOptions from "compile.*"; `default_seq_len` fills compile.seq_len
// when the caller did not set it (encoders built from a model).
compiler::CompileOptions compile_options(const Options &o, const graph::Graph &g,
                                         const std::vector<int64_t> &default_seq_len = {});

// Compiles `g` through the compile cache ("cache.enabled", "cache.dir"),
// keyed by `source_digest` and the options; `assets` are stored with the
// program (and are part of `source_digest`). Returns the new handle.
qeff_program *compile_program(const graph::Graph &g, const compiler::CompileOptions &c, const Options &o,
                              const std::string &source_digest,
                              const std::map<std::string, std::string> &assets = {});

// The program's tokenizer, made from its assets on first use; nullptr when
// it has none.
std::shared_ptr<const tokenizer::Tokenizer> tokenizer_of(const qeff_program &p);
// The encoder view of the program, made on first use (QEFF_E_UNSUPPORTED
// when it is not an embedding or classification program).
std::shared_ptr<const generation::EncoderProgram> encoder_of(const qeff_program &p);

// The causal-LM view of the program, made on first use (QEFF_E_UNSUPPORTED
// when it is not a causal-LM program with the KV-cache contract).
std::shared_ptr<const generation::LmProgram> lm_of(const qeff_program &p);

// A handle over a finished program.
qeff_program *new_program(std::shared_ptr<const compiler::Program> p, bool from_cache = false);

// QEFF_E_LIMIT when a session of `p` would allocate more than
// "limits.program_bytes" (0: the machine's physical memory), per its memory plan.
void check_program_bytes(const compiler::Program &p, const Options &o);

}  // namespace qeff::api
