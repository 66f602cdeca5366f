// Test support: write hand-made model directories and safetensors files, valid
// or deliberately broken. Header-only, uses only the C++ standard library, so
// both the unit tests (static core) and the API tests (shared library) use it.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace qeff_test {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "qeff-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    // Restore permissions a test may have removed, then delete.
    for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      ::chmod(it->path().c_str(), 0755);
    ::chmod(path_.c_str(), 0755);
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const fs::path &path() const { return path_; }
  std::string str() const { return path_.string(); }
  fs::path operator/(const std::string &rel) const { return path_ / rel; }

 private:
  fs::path path_;
};

inline void write_file(const fs::path &p, const std::string &bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

inline std::string read_file(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

// A safetensors image from a raw header text and `data_len` data bytes.
inline std::string safetensors_raw(const std::string &header, size_t data_len, char fill = '\0') {
  return le64(header.size()) + header + std::string(data_len, fill);
}

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype = "F32";
};

inline size_t dtype_size(const std::string &d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  return 1;
}

inline std::string shape_json(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

// The 8-byte length + JSON header for `tensors` laid out in order, and the
// size of the data section that must follow it.
inline std::pair<std::string, size_t> safetensors_header(
    const std::vector<TensorSpec> &tensors, const std::map<std::string, std::string> &metadata = {}) {
  std::string header = "{";
  size_t offset = 0;
  bool first = true;
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool f2 = true;
    for (const auto &[k, v] : metadata) {
      header += (f2 ? "" : ",") + std::string("\"") + k + "\":\"" + v + "\"";
      f2 = false;
    }
    header += "}";
    first = false;
  }
  for (const auto &t : tensors) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    size_t bytes = n * dtype_size(t.dtype);
    header += (first ? "" : ",") + std::string("\"") + t.name + "\":{\"dtype\":\"" + t.dtype +
              "\",\"shape\":" + shape_json(t.shape) + ",\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
    first = false;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';  // aligned, as the reference writer pads
  return {le64(header.size()) + header, offset};
}

// A valid safetensors file holding `tensors` in order; F32 values 0.01 * (i % 100).
inline std::string safetensors_file(const std::vector<TensorSpec> &tensors,
                                    const std::map<std::string, std::string> &metadata = {}) {
  std::string out = safetensors_header(tensors, metadata).first;
  for (const auto &t : tensors) {
    size_t n = 1;
    for (int64_t d : t.shape) n *= static_cast<size_t>(d);
    for (size_t i = 0; i < n; ++i) {
      if (t.dtype == "F32") {
        float v = 0.01f * static_cast<float>(i % 100);
        out.append(reinterpret_cast<const char *>(&v), 4);
      } else {
        out.append(dtype_size(t.dtype), static_cast<char>(i & 0x7f));
      }
    }
  }
  return out;
}

// A tiny Llama: config sizes and the tensors the loader checks.
struct LlamaSpec {
  int64_t vocab = 64, hidden = 16, layers = 2, heads = 4, kv_heads = 2, inter = 32;
  bool tied = false;
};

inline std::string llama_config(const LlamaSpec &s) {
  std::ostringstream c;
  c << "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"model_type\": \"llama\",\n"
    << "  \"vocab_size\": " << s.vocab << ",\n  \"hidden_size\": " << s.hidden << ",\n"
    << "  \"intermediate_size\": " << s.inter << ",\n  \"num_hidden_layers\": " << s.layers << ",\n"
    << "  \"num_attention_heads\": " << s.heads << ",\n  \"num_key_value_heads\": " << s.kv_heads
    << ",\n  \"max_position_embeddings\": 128,\n  \"rms_norm_eps\": 1e-06,\n"
    << "  \"rope_theta\": 10000.0,\n  \"hidden_act\": \"silu\",\n  \"tie_word_embeddings\": "
    << (s.tied ? "true" : "false") << ",\n  \"torch_dtype\": \"float32\",\n"
    << "  \"bos_token_id\": 1,\n  \"eos_token_id\": 2\n}\n";
  return c.str();
}

inline std::vector<TensorSpec> llama_tensors(const LlamaSpec &s) {
  std::vector<TensorSpec> t = {{"model.embed_tokens.weight", {s.vocab, s.hidden}},
                               {"model.norm.weight", {s.hidden}}};
  int64_t head_dim = s.hidden / s.heads;
  for (int64_t i = 0; i < s.layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    t.push_back({p + "input_layernorm.weight", {s.hidden}});
    t.push_back({p + "self_attn.q_proj.weight", {s.hidden, s.hidden}});
    t.push_back({p + "self_attn.k_proj.weight", {s.kv_heads * head_dim, s.hidden}});
    t.push_back({p + "mlp.down_proj.weight", {s.hidden, s.inter}});
  }
  if (!s.tied) t.push_back({"lm_head.weight", {s.vocab, s.hidden}});
  return t;
}

// Writes a complete, valid tiny Llama directory.
inline void write_llama(const fs::path &dir, const LlamaSpec &s = {}) {
  write_file(dir / "config.json", llama_config(s));
  write_file(dir / "model.safetensors", safetensors_file(llama_tensors(s)));
}

// Replaces the first occurrence of `from` in `text` (the test fails loudly if absent).
inline std::string replace(std::string text, const std::string &from, const std::string &to) {
  size_t at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("replace: not found: " + from);
  return text.replace(at, from.size(), to);
}

inline std::string fixtures_dir() {
  const char *d = std::getenv("QEFF_FIXTURES");
  return d != nullptr ? d : "tests/fixtures";
}

}  // namespace qeff_test
