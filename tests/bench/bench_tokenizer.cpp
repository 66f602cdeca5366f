// Encode throughput of qeff's tokenizer, single-threaded, on the parity
// corpus (tests/tokenizer/corpus.json, literal strings plus the generated
// large inputs), one line per tokenizer. Compare with
// tests/tokenizer/bench_hf.py (HF Rust `tokenizers`, same corpus).
//   bench_tokenizer <tests/tokenizer> [<shared/data/tokenizers>] [seconds]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {

std::string read(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> corpus(const std::string &dir) {
  qeff::JsonDocument doc = qeff::JsonDocument::parse(read(dir + "/corpus.json"), qeff::JsonOrigin{"corpus.json"},
                                                     qeff::JsonLimits{}, false);
  std::vector<std::string> out;
  qeff::JsonView strings = doc.root().get("strings");
  for (size_t i = 0; i < strings.size(); ++i)
    if (strings.at(i).is_string()) out.push_back(strings.at(i).as_string());
  qeff::JsonView large = doc.root().get("large");
  for (size_t i = 0; i < large.size(); ++i) {
    // The generator of make_reference.py.
    uint64_t x = static_cast<uint64_t>(large.at(i).get("seed").as_int());
    auto alphabet = large.at(i).get("alphabet").as_string_list();
    auto bytes = static_cast<size_t>(large.at(i).get("bytes").as_int());
    std::string s;
    while (s.size() < bytes) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      s += alphabet[(x >> 33) % alphabet.size()];
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <tests/tokenizer> [<shared/data/tokenizers>] [seconds]\n", argv[0]);
    return 2;
  }
  std::string tests = argv[1];
  std::string shared = argc > 2 ? argv[2] : "";
  double seconds = argc > 3 ? std::atof(argv[3]) : 2.0;
  try {
    std::vector<std::string> texts = corpus(tests);
    size_t bytes = 0;
    for (const auto &t : texts) bytes += t.size();
    std::vector<std::pair<std::string, std::string>> dirs;
    for (const char *n : {"wordpiece", "bpe_bytelevel", "bpe_sentencepiece", "unigram"})
      dirs.emplace_back(n, tests + "/generated/" + n);
    if (!shared.empty())
      for (const char *n : {"gpt2", "llama2", "bert-uncased-minilm", "falcon"})
        if (std::filesystem::is_directory(shared + "/" + n)) dirs.emplace_back(n, shared + "/" + n);
    std::printf("corpus: %zu texts, %zu bytes\n", texts.size(), bytes);
    for (const auto &[name, dir] : dirs) {
      qeff::FileRoot root(qeff::canonical_directory(dir));
      auto tok = qeff::tokenizer::Tokenizer::load(root);
      for (const auto &t : texts) (void)tok->encode(t);  // warm the word cache, as HF's
      size_t rounds = 0, tokens = 0;
      auto start = std::chrono::steady_clock::now();
      double elapsed = 0;
      while (elapsed < seconds) {
        for (const auto &t : texts) tokens += tok->encode(t).ids.size();
        ++rounds;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      std::printf("%-20s %8.2f MB/s  (%zu rounds, %zu tokens/round)\n", name.c_str(),
                  static_cast<double>(bytes) * static_cast<double>(rounds) / elapsed / 1e6, rounds, tokens / rounds);
    }
  } catch (const qeff::Error &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
