// The embedding loop (docs/generation.md): rows of token ids (or texts, with
// the program's tokenizer) in; one vector per row out (pooled embeddings, or
// logits of a sequence-classification head; per-token states for pooling
// none). Rows are grouped by length into batches of a compiled batch size, each
// batch runs the smallest compiled sequence length that fits it (padding on
// the right, unused batch slots filled with one-token dummy rows), and the
// results come back in request order. An input longer than every compiled
// length is an error unless truncation was asked for: never silent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qeff/qeff.h"

namespace qeff::runtime {
class Executable;
class Session;
}  // namespace qeff::runtime
namespace qeff::tokenizer {
class Tokenizer;
}

namespace qeff::generation {

// One input row: token ids (special tokens included) and, for models with
// token types (sentence pairs), their type ids (empty: all 0).
struct EncoderRow {
  std::vector<int64_t> ids;
  std::vector<int64_t> type_ids;
};

// One text row: a text, or a pair (query, document) for rerankers.
struct TextRow {
  std::string first;
  std::optional<std::string> second;
};

struct EmbedOptions {
  bool truncate = false;            // cut inputs to the longest compiled length instead of failing
  bool add_special_tokens = true;   // texts: [CLS] ... [SEP] etc.
};

struct EmbedStats {
  double tokenize_ms = 0, compute_ms = 0, total_ms = 0;
  int64_t rows = 0, batches = 0, tokens = 0, padded_tokens = 0, truncated_rows = 0;
};

struct EmbedResult {
  qeff_task task = QEFF_TASK_EMBEDDING;
  int64_t rows = 0, dim = 0;
  bool per_token = false;                         // pooling none
  std::vector<float> matrix;                      // [rows, dim]; empty when per_token
  std::vector<std::vector<float>> token_states;   // per_token: row i is [lengths[i], dim]
  std::vector<int64_t> lengths;                   // tokens of each row (after truncation)
  EmbedStats stats;
};

// What an encoder program offers, read from its signature, metadata and plans.
class EncoderProgram {
 public:
  // Throws QEFF_E_UNSUPPORTED when the program is not an encoder program
  // (inputs input_ids + attention_mask [batch_size, seq_len], output
  // "output" or "logits").
  explicit EncoderProgram(std::shared_ptr<const runtime::Executable> exe);

  struct Bucket {
    int64_t batch = 0, seq_len = 0;
  };
  const runtime::Executable &executable() const { return *exe_; }
  qeff_task task() const { return task_; }
  const std::vector<Bucket> &buckets() const { return buckets_; }  // by seq_len, then batch
  int64_t longest() const { return buckets_.back().seq_len; }
  bool token_types() const { return token_types_; }
  bool per_token() const { return per_token_; }
  int64_t dim() const { return dim_; }
  int64_t pad_id() const { return pad_id_; }

 private:
  std::shared_ptr<const runtime::Executable> exe_;
  qeff_task task_ = QEFF_TASK_EMBEDDING;
  std::vector<Bucket> buckets_;
  std::string output_;
  bool token_types_ = false, per_token_ = false;
  int64_t dim_ = 0, pad_id_ = 0;
  friend EmbedResult embed(const EncoderProgram &, runtime::Session &, std::vector<EncoderRow>, const EmbedOptions &);
};

// Runs token rows. Throws QEFF_E_INVALID_ARGUMENT (no rows, an empty row, type
// ids of another length, an id outside the vocabulary is the kernels' error),
// QEFF_E_CONTEXT_OVERFLOW (a row longer than every compiled length without
// truncate: names the row, its length and the limit), and the session's errors.
EmbedResult embed(const EncoderProgram &program, runtime::Session &session, std::vector<EncoderRow> rows,
                  const EmbedOptions &options);

// Tokenizes `texts` with `tok` (pairs for rerankers; truncation to the longest
// compiled length when asked) and runs them.
EmbedResult embed_texts(const EncoderProgram &program, runtime::Session &session, const tokenizer::Tokenizer &tok,
                        const std::vector<TextRow> &texts, const EmbedOptions &options);

}  // namespace qeff::generation
