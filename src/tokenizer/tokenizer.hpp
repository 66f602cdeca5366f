// The tokenizer of a HuggingFace model directory: tokenizer.json (or a BERT
// vocab.txt) plus tokenizer_config.json, with HuggingFace's ids, offsets and
// decoding. A Tokenizer is immutable after load and safe to use from many
// threads at once; a StreamDecoder is per-stream state. The C ABI wraps
// these classes one to one (a handle holding a shared_ptr<const Tokenizer>).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/files.hpp"
#include "hub/tokenizer_config.hpp"
#include "tokenizer/encoding.hpp"
#include "tokenizer/limits.hpp"

namespace qeff::tokenizer {

class AddedVocabulary;
class Model;
class Normalizer;
class PreTokenizer;
class PostProcessor;
class Decoder;

struct EncodeOptions {
  bool add_special_tokens = true;  // run the post-processor's template (BOS, [CLS] ...)
  bool parse_special = false;      // match special-token strings in the text (trusted templates only)
  std::optional<TruncationParams> truncation;  // none by default (see Tokenizer::file_truncation)
  std::optional<PaddingParams> padding;        // batch padding
};

class Tokenizer {
 public:
  // Loads from a model directory: tokenizer.json, else vocab.txt (BERT);
  // tokenizer_config.json and special_tokens_map.json when present.
  // Throws QEFF_E_NOT_FOUND (no tokenizer file), QEFF_E_UNSUPPORTED (only a
  // SentencePiece tokenizer.model; an unknown component type), QEFF_E_FORMAT,
  // QEFF_E_CONFIG, QEFF_E_LIMIT, QEFF_E_SECURITY/QEFF_E_IO from the file layer.
  static std::shared_ptr<const Tokenizer> load(const FileRoot &root, const TokenizerLimits &limits = {});
  // The same from files already read: `files` maps the names above
  // (tokenizer_files()) to their bytes; `display(name)` names one in errors.
  static std::shared_ptr<const Tokenizer> load(const std::map<std::string, std::string> &files,
                                               const std::function<std::string(const std::string &)> &display,
                                               const TokenizerLimits &limits = {});
  // The files a tokenizer is loaded from, in a model directory or a program package.
  static const std::vector<std::string> &tokenizer_files();
  // Those of tokenizer_files() that `root` holds, read (capped at limits.file_bytes).
  static std::map<std::string, std::string> read_files(const FileRoot &root, const TokenizerLimits &limits = {});
  // Loads tokenizer.json text (`name` is shown in errors) with an optional config.
  static std::shared_ptr<const Tokenizer> from_json(std::string_view json, const std::string &name,
                                                    const TokenizerLimits &limits = {},
                                                    const hub::TokenizerConfig *config = nullptr);

  ~Tokenizer();
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  // Encodes UTF-8 text. Throws QEFF_E_INVALID_ARGUMENT for invalid UTF-8
  // (naming the byte offset), QEFF_E_LIMIT above limits.input_bytes or when a
  // regex exceeds its matching limits.
  Encoding encode(std::string_view text, const EncodeOptions &options = {}) const;
  Encoding encode_pair(std::string_view first, std::string_view second, const EncodeOptions &options = {}) const;
  // Encodes every text; padding (if requested) applies across the batch.
  std::vector<Encoding> encode_batch(std::span<const std::string_view> texts,
                                     const EncodeOptions &options = {}) const;

  // Decodes ids to text. Throws QEFF_E_INVALID_ARGUMENT naming the index of
  // an id that is not a token. Invalid UTF-8 from byte tokens becomes U+FFFD.
  std::string decode(std::span<const uint32_t> ids, bool skip_special_tokens = false) const;

  std::optional<uint32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(uint32_t id) const;
  // Number of ids (model vocabulary plus added tokens outside it), as HF
  // get_vocab_size(with_added_tokens=true).
  size_t vocab_size() const;
  bool is_special(uint32_t id) const;

  const hub::TokenizerConfig &config() const { return config_; }
  std::optional<uint32_t> bos_id() const { return bos_id_; }
  std::optional<uint32_t> eos_id() const { return eos_id_; }
  std::optional<uint32_t> pad_id() const { return pad_id_; }
  std::optional<uint32_t> unk_id() const { return unk_id_; }
  // The truncation/padding blocks of tokenizer.json (HF's Tokenizer applies
  // them by default; transformers and qeff apply only what a call asks for,
  // EncodeOptions). Checked at load as HF checks them, QEFF_E_CONFIG naming
  // the field: a stride not below max_length minus the template's special
  // tokens, a pad_id that is not a token. The C ABI pads with the block's
  // pad_id when tokenizer_config.json and special_tokens_map.json name no
  // pad token.
  const std::optional<TruncationParams> &file_truncation() const { return file_truncation_; }
  const std::optional<PaddingParams> &file_padding() const { return file_padding_; }
  const char *model_kind() const;
  const TokenizerLimits &limits() const { return limits_; }

 private:
  friend class StreamDecoder;
  Tokenizer();
  // The string decode() gives the decoder for `id`: nullptr when it drops the
  // id (`dropped`: a special token under skip_special_tokens) or when the id
  // is not a token.
  const std::string *decoder_input(uint32_t id, bool skip_special_tokens, bool &dropped) const;
  // decode(); `continuing`: the ids continue a sequence (Decoder::decode_chain_continuing).
  std::string decode_ids(std::span<const uint32_t> ids, bool skip_special_tokens, bool continuing) const;
  Encoding encode_one(std::string_view text, uint32_t type_id, int32_t sequence_id, const EncodeOptions &o) const;
  Encoding post_process(Encoding a, std::optional<Encoding> b, const EncodeOptions &o) const;
  void finish_load(const hub::TokenizerConfig *config);
  static std::shared_ptr<Tokenizer> from_vocab_txt(std::string_view text, const std::string &display,
                                                   const TokenizerLimits &limits,
                                                   const hub::TokenizerConfig &config, const JsonDocument *config_doc);

  TokenizerLimits limits_;
  std::unique_ptr<AddedVocabulary> added_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  std::optional<TruncationParams> file_truncation_;
  std::optional<PaddingParams> file_padding_;
  hub::TokenizerConfig config_;
  std::optional<uint32_t> bos_id_, eos_id_, pad_id_, unk_id_;
};

// Incremental decoding for streaming generation (HF DecodeStream): step()
// returns only text that is complete UTF-8 and will not change; finish()
// returns what is left. The concatenation of all returned pieces equals
// decode(all ids). A run of byte-fallback tokens is held until a token that
// is not a byte token ends it (or finish()), since HF's ByteFallback decodes
// a run as a whole: as UTF-8 when all of it is valid, else as U+FFFD per
// byte. Keeps a reference to the tokenizer.
class StreamDecoder {
 public:
  explicit StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special_tokens = false);
  // Throws QEFF_E_INVALID_ARGUMENT for an id that is not a token (the stream
  // is unchanged).
  std::string step(uint32_t id);
  std::string finish();

 private:
  std::shared_ptr<const Tokenizer> tok_;
  bool skip_;
  std::vector<uint32_t> ids_;
  std::string prefix_;
  size_t prefix_index_ = 0;
  size_t held_ = 0;         // ids pushed since the last emitted piece
  bool continuing_ = false;   // ids_ no longer starts at the sequence's start
  bool in_byte_run_ = false;  // the last id the decoder sees continues a byte run
};

}  // namespace qeff::tokenizer
