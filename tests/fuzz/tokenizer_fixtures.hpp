// The fixtures' tokenizers (one per kind), loaded once per fuzz process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "fuzz_common.hpp"
#include "tokenizer/tokenizer.hpp"

namespace qeff_fuzz {

// llama (BPE, byte fallback, Sequence normalizer), gemma (BPE, Replace),
// phi3, gpt2 / roberta (byte-level BPE), qwen2 (byte-level + NFC), bert and
// mpnet (WordPiece), xlm-roberta (Unigram, Metaspace).
inline const std::vector<std::shared_ptr<const qeff::tokenizer::Tokenizer>> &fixture_tokenizers() {
  static const auto all = [] {
    std::vector<std::shared_ptr<const qeff::tokenizer::Tokenizer>> v;
    for (const char *name : {"llama-tiny", "gemma-tiny", "phi3-tiny", "gpt2-tiny", "roberta-tiny", "qwen2-tiny",
                             "bert-tiny", "mpnet-tiny", "xlm-roberta-tiny"}) {
      std::string dir = fixtures_dir() + "/" + name;
      try {
        v.push_back(qeff::tokenizer::Tokenizer::load(qeff::FileRoot(qeff::canonical_directory(dir))));
      } catch (const std::exception &e) {
        std::fprintf(stderr, "cannot load the fixture tokenizer %s: %s\n", dir.c_str(), e.what());
        std::abort();
      }
    }
    return v;
  }();
  return all;
}

}  // namespace qeff_fuzz
