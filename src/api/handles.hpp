// The structs behind the opaque handles of include/qeff/qeff.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/guard.hpp"
#include "api/session_pool.hpp"
#include "common/options.hpp"
#include "generation/embedder.hpp"
#include "generation/generator.hpp"
#include "hub/model_source.hpp"
#include "runtime/session.hpp"
#include "tokenizer/tokenizer.hpp"

struct qeff_options {
  uint32_t tag = qeff::api::kOptionsTag;
  qeff::Options options;
};

struct qeff_model {
  uint32_t tag = qeff::api::kModelTag;
  std::shared_ptr<const qeff::hub::ModelSource> source;  // shared with graphs whose weights view it
  // Strings handed out by qeff_model_config_get, kept until the model is freed.
  mutable std::mutex cache_mutex;
  mutable std::map<std::string, std::string> config_cache;
  // The tokenizer qeff_model_tokenizer loaded from the model's directory, once.
  mutable std::mutex tokenizer_mutex;
  mutable std::shared_ptr<const qeff::tokenizer::Tokenizer> tokenizer;
};

struct qeff_request {
  uint32_t tag = qeff::api::kRequestTag;
  std::vector<qeff::generation::TextRow> texts;
  std::vector<std::vector<int32_t>> tokens;
};

struct qeff_program {
  uint32_t tag = qeff::api::kProgramTag;
  std::shared_ptr<const qeff::runtime::Executable> executable;
  std::string info_json;  // qeff_program_info's answer, built once
  // Made on first use (a program may be run only through sessions):
  mutable std::mutex lazy_mutex;
  mutable std::shared_ptr<const qeff::tokenizer::Tokenizer> tokenizer;       // from the program's assets
  mutable std::shared_ptr<const qeff::generation::EncoderProgram> encoder;  // encoder programs
  mutable std::shared_ptr<const qeff::generation::LmProgram> lm;            // causal-LM programs
  // Idle sessions for qeff_generate and streams (session_pool.hpp).
  std::shared_ptr<qeff::api::SessionPool> pool;
};

struct qeff_result {
  uint32_t tag = qeff::api::kResultTag;
  bool lm = false;                                   // text generation (else embed)
  qeff::generation::EmbedResult embed;
  std::vector<qeff::generation::RowOutput> rows;     // lm
  std::string stats_json;
  std::vector<std::pair<const char *, double>> stats;
};

struct qeff_session {
  uint32_t tag = qeff::api::kSessionTag;
  std::unique_ptr<qeff::runtime::Session> session;
  // Held for a whole qeff_session_* call (run: until its outputs are copied
  // out of the session's arena); a concurrent call gets QEFF_E_BUSY.
  std::atomic<bool> in_use{false};
};

struct qeff_tensors {
  struct Entry {
    std::string name;
    qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  uint32_t tag = qeff::api::kTensorsTag;
  std::vector<Entry> entries;
};

struct qeff_tokenizer {
  uint32_t tag = qeff::api::kTokenizerTag;
  std::shared_ptr<const qeff::tokenizer::Tokenizer> tokenizer;
  // Strings handed out by qeff_tokenizer_id_to_token, kept until the handle is
  // freed (std::map nodes never move).
  mutable std::mutex token_mutex;
  mutable std::map<uint32_t, std::string> token_cache;
};

struct qeff_encoding {
  struct Row {
    std::vector<int32_t> ids;
    std::vector<int32_t> attention_mask;
    std::vector<size_t> offsets;  // begin, end per token
  };
  uint32_t tag = qeff::api::kEncodingTag;
  std::vector<Row> rows;
};

struct qeff_decoder {
  uint32_t tag = qeff::api::kDecoderTag;
  std::unique_ptr<qeff::tokenizer::StreamDecoder> stream;  // keeps the tokenizer alive
  std::shared_ptr<const qeff::tokenizer::Tokenizer> tokenizer;
  std::string piece;  // the last piece handed out
};

namespace qeff::api {

// Options of a call: the caller's, or the defaults when it passed NULL.
const Options &options_or_default(const qeff_options *options, const char *function);

// Binds the options' cancellation token to the calling thread for one C ABI
// call (common/cancel.hpp) and fails with QEFF_E_CANCELLED at once when it is
// already requested.
class CallScope : public CancelScope {
 public:
  CallScope(const Options &options, const char *function);
};

// A new tokenizer handle sharing `t`.
qeff_tokenizer *new_tokenizer_handle(std::shared_ptr<const tokenizer::Tokenizer> t);

// Marks a handle in use for one call (its `in_use` flag), or fails with
// QEFF_E_BUSY naming the function, the handle type and its address: handles
// with per-call state (sessions, streams) take one call at a time.
class InUse {
 public:
  InUse(std::atomic<bool> &flag, const char *type, const void *handle, const char *function);
  ~InUse() { flag_.store(false, std::memory_order_release); }
  InUse(const InUse &) = delete;
  InUse &operator=(const InUse &) = delete;

 private:
  std::atomic<bool> &flag_;
};

}  // namespace qeff::api
