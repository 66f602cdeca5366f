// RELIABILITY.md B1-B5 at the C ABI: hand-made bad model directories must give
// the documented status and a message naming the file, field and value.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "api_test.hpp"
#include "model_writer.hpp"

using namespace qeff_test;

namespace {

struct BadModel : ::testing::Test {
  TempDir tmp;
  fs::path dir = tmp / "model";
  LlamaSpec spec;
  void SetUp() override { write_llama(dir, spec); }
  std::string config() const { return read_file(dir / "config.json"); }
  void set_config(const std::string &c) { write_file(dir / "config.json", c); }
  // Replaces `from` (which must be in config.json) by `to`.
  void edit_config(const std::string &from, const std::string &to) {
    set_config(replace(config(), from, to));
  }
  void set_weights(const std::vector<TensorSpec> &t) {
    write_file(dir / "model.safetensors", safetensors_file(t));
  }
};

// ---- B1: the model directory and the file system ----------------------------

TEST_F(BadModel, ValidBaselineLoads) {
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
}

TEST_F(BadModel, B1_MissingEmptyNullPaths) {
  EXPECT_LOAD_ERROR((tmp / "nope").string(), QEFF_E_NOT_FOUND, "nope", "does not exist");
  EXPECT_LOAD_ERROR("", QEFF_E_INVALID_ARGUMENT, "empty");
  qeff_model *m = nullptr;
  EXPECT_QEFF_ERROR(qeff_model_load(nullptr, nullptr, &m), QEFF_E_INVALID_ARGUMENT, "path");
  EXPECT_QEFF_ERROR(qeff_model_load(dir.c_str(), nullptr, nullptr), QEFF_E_INVALID_ARGUMENT, "out");
}

TEST_F(BadModel, B1_PathIsAFileOrDevice) {
  EXPECT_LOAD_ERROR((dir / "config.json").string(), QEFF_E_FORMAT, "config.json", "a file");
  EXPECT_LOAD_ERROR("/dev/zero", QEFF_E_FORMAT, "/dev/zero");
}

TEST_F(BadModel, B1_ConfigIsAFifoDoesNotHang) {
  fs::remove(dir / "config.json");
  ASSERT_EQ(::mkfifo((dir / "config.json").c_str(), 0644), 0);
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "config.json", "FIFO");
}

TEST_F(BadModel, B1_WeightsAreADirectory) {
  fs::remove(dir / "model.safetensors");
  fs::create_directories(dir / "model.safetensors");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "directory");
}

// Root ignores permission bits, so as root the load runs in a child process
// that has dropped to an unprivileged user.
bool load_fails_with_io_naming(const std::string &dir, const std::string &file) {
  auto check = [&] {
    qeff_model *m = nullptr;
    qeff_status s = load(dir, &m);
    qeff_model_free(m);
    return s == QEFF_E_IO && std::string(qeff_last_error_message()).find(file) != std::string::npos;
  };
  if (::geteuid() != 0) return check();
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    ::_exit(check() ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(BadModel, B1_UnreadableFileOrDirectory) {
  ::chmod(tmp.path().c_str(), 0755);
  ::chmod((dir / "config.json").c_str(), 0);
  EXPECT_TRUE(load_fails_with_io_naming(dir.string(), "config.json"));
  ::chmod((dir / "config.json").c_str(), 0644);
  ::chmod((dir / "model.safetensors").c_str(), 0);
  EXPECT_TRUE(load_fails_with_io_naming(dir.string(), "model.safetensors"));
  ::chmod((dir / "model.safetensors").c_str(), 0644);
  ::chmod(dir.c_str(), 0);
  EXPECT_TRUE(load_fails_with_io_naming(dir.string(), "model"));
  ::chmod(dir.c_str(), 0755);
}

TEST_F(BadModel, B1_SymlinkEscapesAreRefused) {
  fs::remove(dir / "config.json");
  fs::create_symlink("/etc/passwd", dir / "config.json");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_SECURITY, "config.json", "/etc/passwd", "outside");

  fs::remove(dir / "config.json");
  fs::create_symlink("/dev/zero", dir / "config.json");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_SECURITY, "config.json", "/dev/zero");

  fs::remove(dir / "config.json");  // never write through the symlink
  write_file(dir / "config.json", llama_config(spec));
  fs::rename(dir / "model.safetensors", tmp / "elsewhere.safetensors");
  fs::create_symlink(tmp / "elsewhere.safetensors", dir / "model.safetensors");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_SECURITY, "model.safetensors", "elsewhere.safetensors");

  // Allowed explicitly: load.allowed_root.
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  ASSERT_QEFF_OK(qeff_options_set_string(o, "load.allowed_root", tmp.str().c_str()));
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m, o));
  qeff_model_free(m);
  qeff_options_free(o);
}

TEST_F(BadModel, B1_ParentComponentSymlinkEscapes) {
  // modules.json points the Pooling module at a directory that is a symlink out.
  write_file(tmp / "outside/config.json", "{\"pooling_mode_mean_tokens\": true}");
  fs::create_symlink(tmp / "outside", dir / "1_Pooling");
  write_file(dir / "modules.json",
             R"([{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}])");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_SECURITY, "1_Pooling/config.json", "outside");
  // A component symlink to / inside the directory, followed by a path that exists.
  fs::remove(dir / "1_Pooling");
  fs::remove(dir / "modules.json");
  fs::create_symlink("/", dir / "root");
  std::string via_root = "root" + (tmp / "outside").string();
  write_file(dir / "modules.json", R"([{"idx":1,"name":"1","path":")" + via_root +
                                       R"(","type":"sentence_transformers.models.Pooling"}])");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_SECURITY, "/outside/config.json", "outside the model directory");
}

TEST_F(BadModel, B1_BadPathStrings) {
  EXPECT_LOAD_ERROR(std::string("/tmp/\xff\xfe"), QEFF_E_INVALID_ARGUMENT, "UTF-8");
  EXPECT_LOAD_ERROR(std::string(5000, 'a'), QEFF_E_INVALID_ARGUMENT, "limit");
  EXPECT_LOAD_ERROR((tmp / "new\nline").string(), QEFF_E_NOT_FOUND, "new\\x0aline");
}

TEST_F(BadModel, B1_SafetensorsBeatsIndexAndPickleIsRefused) {
  write_file(dir / "model.safetensors.index.json", "{ this index is never read");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);

  fs::remove(dir / "model.safetensors");
  fs::remove(dir / "model.safetensors.index.json");
  write_file(dir / "pytorch_model.bin", "PK\x03\x04 pickle bytes");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_UNSUPPORTED, "pytorch_model.bin", "pickle");
  fs::remove(dir / "pytorch_model.bin");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_NOT_FOUND, "model.safetensors");
  fs::remove(dir / "config.json");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_NOT_FOUND, "config.json");
}

// ---- B2: JSON level -----------------------------------------------------------

TEST_F(BadModel, B2_MalformedJson) {
  for (const char *text : {"", "null", "[]", "\"x\"", "{\"a\":", "{\"a\": 1} trailing"}) {
    set_config(text);
    EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "config.json");
  }
  set_config("{\n  \"a\": 1,\n  \"b\": }");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "config.json", "line 3", "column");
}

TEST_F(BadModel, B2_Encodings) {
  std::string c = config();
  set_config("\xef\xbb\xbf" + c);  // UTF-8 BOM: accepted
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
  set_config(std::string("\xff\xfe{\0\"\0", 6));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "config.json", "UTF-16");
  set_config(replace(c, "\"silu\"", "\"sil\xc3\x28\""));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "config.json", "invalid UTF-8");
}

TEST_F(BadModel, B2_DeepAndHugeJson) {
  set_config(std::string(1000000, '[') + std::string(1000000, ']'));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_LIMIT, "config.json", "limits.json_depth");
  // A 1 GiB config (sparse: no disk used) is refused before it is read.
  set_config("{}");
  fs::resize_file(dir / "config.json", uint64_t{1} << 30);
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_LIMIT, "config.json", "limits.json_bytes");
  // The cap is an option.
  set_config(llama_config(spec));
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  ASSERT_QEFF_OK(qeff_options_set_int(o, "limits.json_bytes", 100));
  qeff_model *m = nullptr;
  EXPECT_QEFF_ERROR(load(dir.string(), &m, o), QEFF_E_LIMIT, "config.json", "100");
  qeff_options_free(o);
}

TEST_F(BadModel, B2_DuplicateKeys) {
  edit_config("\"hidden_size\": 16,", "\"hidden_size\": 16, \"hidden_size\": 8,");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "config.json", "duplicate", "hidden_size");
}

TEST_F(BadModel, B2_NumbersOutOfRange) {
  edit_config("\"hidden_size\": 16", "\"hidden_size\": 1e400");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_CONFIG, "config.json", "hidden_size");
  set_config(llama_config(spec));
  edit_config("\"hidden_size\": 16", "\"hidden_size\": 1000000000000000019884624838656");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_LIMIT, "config.json", "hidden_size", "limits.config_dim");
}

TEST_F(BadModel, B2_WrongTypes) {
  for (const char *bad : {"\"2\"", "true", "2.5", "[2]", "{}"}) {
    set_config(replace(llama_config(spec), "\"num_hidden_layers\": 2", std::string("\"num_hidden_layers\": ") + bad));
    EXPECT_LOAD_ERROR(dir.string(), QEFF_E_CONFIG, "config.json", "num_hidden_layers", "integer");
  }
  set_config(replace(llama_config(spec), "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 2.0"));
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));  // integral float accepted
  qeff_model_free(m);
  set_config(replace(llama_config(spec), "\"rms_norm_eps\": 1e-06", "\"rms_norm_eps\": \"small\""));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_CONFIG, "rms_norm_eps", "number", "small");
  set_config(replace(llama_config(spec), "\"rope_theta\": 10000.0", "\"rope_theta\": 10000"));
  ASSERT_QEFF_OK(load(dir.string(), &m));  // int accepted for a float field
  qeff_model_free(m);
}

TEST_F(BadModel, B2_NullOptionalFieldsAreAbsent) {
  edit_config("\"rope_theta\": 10000.0,",
              "\"rope_theta\": 10000.0, \"rope_scaling\": null, \"sliding_window\": null, "
              "\"pad_token_id\": null, \"head_dim\": null,");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
}

// ---- B3: config semantics -----------------------------------------------------

TEST_F(BadModel, B3_MissingOrUnknownArchitecture) {
  edit_config("\"architectures\": [\"LlamaForCausalLM\"],", "");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_UNSUPPORTED, "architectures", "LlamaForCausalLM", "BertModel");
  set_config(replace(llama_config(spec), "LlamaForCausalLM", "FancyNewForCausalLM"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_UNSUPPORTED, "FancyNewForCausalLM", "LlamaForCausalLM",
                    "GPT2LMHeadModel");
}

TEST_F(BadModel, B3_AbsurdSizes) {
  struct Case {
    const char *from, *to;
    qeff_status status;
    const char *field;
  } cases[] = {
      {"\"num_hidden_layers\": 2", "\"num_hidden_layers\": 0", QEFF_E_CONFIG, "num_hidden_layers"},
      {"\"hidden_size\": 16", "\"hidden_size\": -1", QEFF_E_CONFIG, "hidden_size"},
      {"\"vocab_size\": 64", "\"vocab_size\": 1099511627776", QEFF_E_LIMIT, "vocab_size"},
      {"\"max_position_embeddings\": 128", "\"max_position_embeddings\": 0", QEFF_E_CONFIG,
       "max_position_embeddings"},
      {"\"intermediate_size\": 32", "\"intermediate_size\": 4611686018427387904", QEFF_E_LIMIT,
       "intermediate_size"},
  };
  for (const auto &c : cases) {
    set_config(replace(llama_config(spec), c.from, c.to));
    EXPECT_LOAD_ERROR(dir.string(), c.status, "config.json", c.field);
  }
}

TEST_F(BadModel, B3_HeadDivisibility) {
  edit_config("\"num_attention_heads\": 4", "\"num_attention_heads\": 3");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_CONFIG, "hidden_size", "16", "num_attention_heads = 3");
  set_config(replace(llama_config(spec), "\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_CONFIG, "num_key_value_heads", "4", "3");
}

TEST_F(BadModel, B3_ConfigDisagreesWithWeights) {
  edit_config("\"vocab_size\": 64", "\"vocab_size\": 65");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "model.embed_tokens.weight", "[64, 16]", "[65, 16]");
  set_config(replace(llama_config(spec), "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "num_hidden_layers = 3", "model.layers.");
  set_config(replace(llama_config(spec), "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "num_hidden_layers = 1");
  // hidden_size (and heads, to stay divisible) disagreeing with the tensors.
  set_config(replace(llama_config(spec), "\"hidden_size\": 16", "\"hidden_size\": 32"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "model.embed_tokens.weight", "[64, 32]");
  // Layers with a hole: 0 and 2 present, 1 missing.
  set_config(llama_config(spec));
  auto t = llama_tensors(spec);
  for (auto &x : t)
    if (x.name.rfind("model.layers.1.", 0) == 0) x.name.replace(13, 1, "2");
  set_weights(t);
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "num_hidden_layers = 2", "0..2");
  // No embedding at all.
  t = llama_tensors(spec);
  t.erase(t.begin());
  set_weights(t);
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "model.embed_tokens.weight");
}

TEST_F(BadModel, B3_NewerSchemaVariants) {
  edit_config("\"torch_dtype\": \"float32\",", "\"dtype\": \"bfloat16\", \"torch_dtype\": \"float32\",");
  edit_config("\"eos_token_id\": 2", "\"eos_token_id\": [2, 3]");
  edit_config("\"rope_theta\": 10000.0,",
              "\"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000.0, \"factor\": 8.0, "
              "\"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
              "\"original_max_position_embeddings\": 8192},");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  const char *s = nullptr;
  ASSERT_QEFF_OK(qeff_model_config_get(m, "rope_parameters.factor", &s));
  EXPECT_STREQ(s, "8");
  ASSERT_QEFF_OK(qeff_model_config_get(m, "eos_token_id.1", &s));
  EXPECT_STREQ(s, "3");
  qeff_model_free(m);
  set_config(replace(llama_config(spec), "\"rope_theta\": 10000.0,",
                     "\"rope_scaling\": {\"factor\": 2.0},"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_CONFIG, "rope_scaling", "rope_type");
}

TEST_F(BadModel, B3_GenerationConfigOutOfRange) {
  struct Case {
    const char *json, *field;
  } cases[] = {{"{\"temperature\": -1}", "temperature"},
               {"{\"top_p\": 0}", "top_p"},
               {"{\"top_p\": 1.5}", "top_p"},
               {"{\"top_k\": -1}", "top_k"},
               {"{\"repetition_penalty\": 0}", "repetition_penalty"},
               {"{\"max_new_tokens\": -5}", "max_new_tokens"},
               {"{\"eos_token_id\": \"x\"}", "eos_token_id"}};
  for (const auto &c : cases) {
    write_file(dir / "generation_config.json", c.json);
    EXPECT_LOAD_ERROR(dir.string(), QEFF_E_CONFIG, "generation_config.json", c.field);
  }
  write_file(dir / "generation_config.json",
             "{\"temperature\": 0.7, \"top_p\": 0.9, \"top_k\": 50, \"eos_token_id\": [2, 7]}");
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
}

TEST_F(BadModel, B3_TiedEmbeddings) {
  // tie false and no lm_head.
  auto t = llama_tensors(spec);
  t.pop_back();
  set_weights(t);
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "tie_word_embeddings is false", "lm_head.weight");
  // tie true with an lm_head that differs from the embedding.
  LlamaSpec tied = spec;
  tied.tied = true;
  set_config(llama_config(tied));
  t = llama_tensors(spec);
  t.back().dtype = "F32";
  std::vector<TensorSpec> t2 = t;
  t2.back().shape = {spec.vocab, spec.hidden};
  set_weights(t2);
  // safetensors_file fills every F32 tensor with the same pattern: make lm_head differ.
  std::string bytes = read_file(dir / "model.safetensors");
  bytes[bytes.size() - 1] ^= 0x40;
  write_file(dir / "model.safetensors", bytes);
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "tie_word_embeddings is true", "lm_head.weight");
  // tie true, lm_head absent: fine.
  set_weights(llama_tensors(tied));
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
}

// ---- B4: safetensors through the loader (the parser's full matrix is in unit tests) ----

TEST_F(BadModel, B4_SafetensorsErrorsNameTheFile) {
  std::string good = read_file(dir / "model.safetensors");
  write_file(dir / "model.safetensors", good.substr(0, good.size() - 5));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "incomplete");
  write_file(dir / "model.safetensors", good.substr(0, 7));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "header too small");
  write_file(dir / "model.safetensors", le64(~uint64_t{0}) + "{}");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_LIMIT, "model.safetensors", "18446744073709551615");
  write_file(dir / "model.safetensors", le64(1000) + "{}");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "header length 1000");
  write_file(dir / "model.safetensors",
             safetensors_raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "\"b\"", "overlaps");
  write_file(dir / "model.safetensors",
             safetensors_raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "duplicate tensor name", "\"a\"");
  write_file(dir / "model.safetensors",
             safetensors_raw(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "4294967296");
  write_file(dir / "model.safetensors",
             safetensors_raw(R"({"a":{"dtype":"Q4_K","shape":[2],"data_offsets":[0,8]}})", 8));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "Q4_K", "a.dtype");
  write_file(dir / "model.safetensors",
             safetensors_raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8) + "X");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors", "extra bytes");
}

TEST_F(BadModel, B4_NonFiniteWeightsLoadUnlessChecked) {
  auto t = llama_tensors(spec);
  std::string bytes = safetensors_file(t);
  float nan = std::nanf("");
  std::memcpy(&bytes[bytes.size() - 4], &nan, 4);  // last element of lm_head.weight
  write_file(dir / "model.safetensors", bytes);
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  ASSERT_QEFF_OK(qeff_options_set_bool(o, "load.check_tensors", 1));
  EXPECT_QEFF_ERROR(load(dir.string(), &m, o), QEFF_E_NUMERIC, "lm_head.weight", "NaN");
  qeff_options_free(o);
}

// ---- B5: sharded checkpoints --------------------------------------------------

struct Sharded : BadModel {
  void SetUp() override {
    BadModel::SetUp();
    fs::remove(dir / "model.safetensors");
    auto t = llama_tensors(spec);
    std::vector<TensorSpec> a(t.begin(), t.begin() + 4), b(t.begin() + 4, t.end());
    write_file(dir / "model-00001-of-00002.safetensors", safetensors_file(a));
    write_file(dir / "model-00002-of-00002.safetensors", safetensors_file(b));
    std::string map;
    for (size_t i = 0; i < t.size(); ++i)
      map += (i ? "," : "") + std::string("\"") + t[i].name + "\": \"model-0000" +
             (i < 4 ? "1" : "2") + "-of-00002.safetensors\"";
    index = "{\"metadata\": {\"total_size\": 123}, \"weight_map\": {" + map + "}}";
    write_file(dir / "model.safetensors.index.json", index);
  }
  void set_index(const std::string &s) { write_file(dir / "model.safetensors.index.json", s); }
  std::string index;
};

TEST_F(Sharded, LoadsWithWrongTotalSize) {
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  size_t n = 0;
  ASSERT_QEFF_OK(qeff_model_num_tensors(m, &n));
  EXPECT_EQ(n, llama_tensors(spec).size());
  qeff_model_free(m);
}

TEST_F(Sharded, B5_IndexStructure) {
  set_index("{\"metadata\": {}}");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors.index.json", "weight_map");
  set_index("{\"weight_map\": [\"model-00001-of-00002.safetensors\"]}");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors.index.json", "weight_map");
  set_index(replace(index, "\"model-00001-of-00002.safetensors\"", "7"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors.index.json", "shard file name");
  set_index(replace(index, "{\"total_size\": 123}", "[]"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model.safetensors.index.json", "metadata");
  // metadata is optional.
  set_index(replace(index, "\"metadata\": {\"total_size\": 123}, ", ""));
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
}

TEST_F(Sharded, B5_ShardNamesCannotEscape) {
  for (const char *bad : {"/etc/passwd", "../x.safetensors", "sub/x.safetensors", ".."}) {
    set_index(replace(index, "model-00001-of-00002.safetensors", bad));
    EXPECT_LOAD_ERROR(dir.string(), QEFF_E_SECURITY, "model.safetensors.index.json", bad);
  }
  set_index(index);
  fs::rename(dir / "model-00002-of-00002.safetensors", tmp / "out.safetensors");
  fs::create_symlink(tmp / "out.safetensors", dir / "model-00002-of-00002.safetensors");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_SECURITY, "model-00002-of-00002.safetensors", "outside");
}

TEST_F(Sharded, B5_BadShards) {
  fs::remove(dir / "model-00002-of-00002.safetensors");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_NOT_FOUND, "model-00002-of-00002.safetensors");
  write_file(dir / "model-00002-of-00002.safetensors", "");
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_FORMAT, "model-00002-of-00002.safetensors", "header too small");
  set_index(replace(index, "model-00002-of-00002.safetensors", "pytorch_model-00002-of-00002.bin"));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_UNSUPPORTED, "pytorch_model-00002-of-00002.bin", "pickle");
}

TEST_F(Sharded, B5_TensorsMissingFromShardOrIndex) {
  // The index places a tensor in the wrong shard.
  set_index(replace(index, "\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\"",
                    "\"model.embed_tokens.weight\": \"model-00002-of-00002.safetensors\""));
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "model.embed_tokens.weight",
                    "model-00002-of-00002.safetensors");
  // A tensor in a shard but not in the index is ignored; here that is the norm
  // weight, which the loader does not require.
  set_index(replace(index, "\"model.norm.weight\": \"model-00001-of-00002.safetensors\",", ""));
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  size_t index_of = 0;
  EXPECT_QEFF_ERROR(qeff_model_find_tensor(m, "model.norm.weight", &index_of), QEFF_E_NOT_FOUND);
  qeff_model_free(m);
}

TEST_F(Sharded, B5_ManyShards) {
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  ASSERT_QEFF_OK(qeff_options_set_int(o, "limits.shard_count", 1));
  qeff_model *m = nullptr;
  EXPECT_QEFF_ERROR(load(dir.string(), &m, o), QEFF_E_LIMIT, "limits.shard_count");
  EXPECT_EQ(m, nullptr);
  qeff_options_free(o);
}

// ---- Loading writes nothing -----------------------------------------------------

TEST_F(BadModel, LoadDoesNotModifyTheDirectory) {
  auto listing = [&] {
    std::vector<std::pair<std::string, uintmax_t>> l;
    for (const auto &e : fs::recursive_directory_iterator(tmp.path()))
      l.emplace_back(e.path().string(), e.is_regular_file() ? e.file_size() : 0);
    std::sort(l.begin(), l.end());
    return l;
  };
  auto before = listing();
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(load(dir.string(), &m));
  qeff_model_free(m);
  edit_config("\"vocab_size\": 64", "\"vocab_size\": 65");
  before = listing();
  EXPECT_LOAD_ERROR(dir.string(), QEFF_E_MISMATCH, "vocab_size");
  EXPECT_EQ(listing(), before);
}

}  // namespace
