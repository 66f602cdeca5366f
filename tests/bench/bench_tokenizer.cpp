// Encode throughput of qeff's tokenizer, single-threaded, on the parity
// corpus (tests/tokenizer/corpus.json, literal strings plus the generated
// large inputs), one line per tokenizer. Compare with
// tests/tokenizer/bench_hf.py (HF Rust `tokenizers`, same corpus).
//   bench_tokenizer <tests/tokenizer> [<shared/data/tokenizers>] [seconds] [name]
// With a tokenizer name, only that one runs, and its throughput is also shown
// per part of the corpus (the short strings, then each large input).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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

struct Corpus {
  std::vector<std::string> texts;
  size_t strings = 0;  // texts[0, strings) are the short strings, then the large inputs
};

Corpus corpus(const std::string &dir) {
  qeff::JsonDocument doc = qeff::JsonDocument::parse(read(dir + "/corpus.json"), qeff::JsonOrigin{"corpus.json"},
                                                     qeff::JsonLimits{}, false);
  Corpus out;
  qeff::JsonView strings = doc.root().get("strings");
  for (size_t i = 0; i < strings.size(); ++i)
    if (strings.at(i).is_string()) out.texts.push_back(strings.at(i).as_string());
  out.strings = out.texts.size();
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
    out.texts.push_back(s);
  }
  return out;
}

struct Throughput {
  double mb_per_s;      // per second of wall time
  double cpu_mb_per_s;  // per second of this process's CPU time (steadier on a shared machine)
  size_t rounds, tokens_per_round;
};

// Encodes texts[begin, end) for `seconds` after one warm-up pass (which fills
// the word cache, as HF's).
Throughput measure(const qeff::tokenizer::Tokenizer &tok, const std::vector<std::string> &texts, size_t begin,
                   size_t end, double seconds) {
  size_t bytes = 0;
  for (size_t i = begin; i < end; ++i) {
    bytes += texts[i].size();
    (void)tok.encode(texts[i]);
  }
  size_t rounds = 0, tokens = 0;
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (size_t i = begin; i < end; ++i) tokens += tok.encode(texts[i]).ids.size();
    ++rounds;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  double mb = static_cast<double>(bytes) * static_cast<double>(rounds) / 1e6;
  return {mb / elapsed, mb / cpu, rounds, tokens / rounds};
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <tests/tokenizer> [<shared/data/tokenizers>] [seconds] [name]\n", argv[0]);
    return 2;
  }
  std::string tests = argv[1];
  std::string shared = argc > 2 ? argv[2] : "";
  double seconds = argc > 3 ? std::atof(argv[3]) : 2.0;
  std::string only = argc > 4 ? argv[4] : "";
  try {
    Corpus c = corpus(tests);
    const std::vector<std::string> &texts = c.texts;
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
      if (!only.empty() && name != only) continue;
      qeff::FileRoot root(qeff::canonical_directory(dir));
      auto tok = qeff::tokenizer::Tokenizer::load(root);
      Throughput t = measure(*tok, texts, 0, texts.size(), seconds);
      std::printf("%-20s %8.2f MB/s  (cpu %.2f MB/s, %zu rounds, %zu tokens/round)\n", name.c_str(), t.mb_per_s,
                  t.cpu_mb_per_s, t.rounds, t.tokens_per_round);
      if (only.empty()) continue;
      Throughput s = measure(*tok, texts, 0, c.strings, seconds);
      std::printf("  %-18s %8.2f MB/s  (cpu %.2f MB/s)\n", "strings", s.mb_per_s, s.cpu_mb_per_s);
      for (size_t i = c.strings; i < texts.size(); ++i) {
        Throughput l = measure(*tok, texts, i, i + 1, seconds);
        std::printf("  large %-12zu %8.2f MB/s  (cpu %.2f MB/s)\n", i - c.strings, l.mb_per_s, l.cpu_mb_per_s);
      }
    }
  } catch (const qeff::Error &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
