// Text generation behind qeff_generate, qeff_generate_stream and the
// qeff_stream iterator (generate_text.cpp): one TextJob per call or stream.
#pragma once

#include <memory>

#include "api/handles.hpp"

namespace qeff::api {

// A generation over a causal-LM program: its prompts tokenized (text rows) or
// taken as given (token rows), the options mapped to GenerateParams (options
// first, then the program's generation_config defaults), and a session
// borrowed from the program's pool for the job's lifetime.
struct TextJob {
  TextJob(const qeff_program &p, const qeff_request &req, const Options &o);
  std::unique_ptr<qeff_result> result() const;  // rows and statistics so far

  std::shared_ptr<const generation::LmProgram> program;
  PooledSession session;
  std::unique_ptr<generation::Generation> generation;
  std::shared_ptr<const CancelFlag> cancel;  // the options' token: streams poll it in qeff_stream_next
};

// qeff_generate on a causal-LM program: the generation run to its end.
std::unique_ptr<qeff_result> generate_text(const qeff_program &p, const qeff_request &req, const Options &o);

}  // namespace qeff::api
