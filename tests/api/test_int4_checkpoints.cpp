// Pre-quantized int4 checkpoints at the C ABI, the bad-input side
// (RELIABILITY.md): copies of the AWQ / GPTQ / compressed-tensors fixtures
// with one thing broken must fail with the documented status and a message
// naming the file, field or tensor and the value. (Numerics: test_causal_lm.cpp,
// suite Int4Checkpoint.)
#include <cjson/cJSON.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "api_test.hpp"
#include "resource_test.hpp"

using namespace qeff_test;

namespace {

struct Int4Copy {
  TempDir tmp;
  fs::path dir;
  explicit Int4Copy(const std::string &name) : dir(tmp / name) { copy_model(name, dir); }

  void edit(const std::string &file, const std::string &from, const std::string &to) {
    const std::string text = read_file(dir / file);
    const size_t at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error(from + " is not in " + file);
    write_file(dir / file, text.substr(0, at) + to + text.substr(at + from.size()));
  }
  // Sets int32 element `index` of `tensor` (an I32 tensor of model.safetensors).
  void poke_i32(const std::string &tensor, size_t index, int32_t value) {
    const fs::path file = dir / "model.safetensors";
    std::string bytes = read_file(file);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes.at(static_cast<size_t>(i)));
    cJSON *h = cJSON_ParseWithLength(bytes.data() + 8, n);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(h, tensor.c_str());
    if (t == nullptr) throw std::runtime_error("no tensor " + tensor);
    const size_t at = 8 + n + static_cast<size_t>(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(t, "data_offsets"), 0)->valuedouble);
    cJSON_Delete(h);
    std::memcpy(&bytes[at + index * 4], &value, 4);
    write_file(file, bytes);
  }

  // Loads, then compiles: the status and message of the first failure.
  void expect_error(qeff_status status, const std::vector<std::string> &parts) {
    qeff_model *m = nullptr;
    qeff_status got = qeff_model_load(dir.c_str(), nullptr, &m);
    std::string msg = qeff_last_error_message();
    if (got == QEFF_OK) {
      qeff_options *o = nullptr;
      ASSERT_QEFF_OK(qeff_options_create(&o));
      ASSERT_QEFF_OK(qeff_options_set(o, "cache.enabled", "false"));
      qeff_program *p = nullptr;
      got = qeff_compile(m, o, &p);
      msg = qeff_last_error_message();
      EXPECT_EQ(p, nullptr);
      qeff_program_free(p);
      qeff_options_free(o);
      qeff_model_free(m);
    } else {
      EXPECT_EQ(m, nullptr);
    }
    EXPECT_EQ(got, status) << msg;
    for (const auto &part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "missing " << part << " in: " << msg;
  }
};

TEST(Int4CheckpointErrors, UnsupportedOrMalformedQuantizationConfigsAreRefused) {
  struct Case {
    const char *fixture, *from, *to;
    std::vector<std::string> parts;
    qeff_status status = QEFF_E_UNSUPPORTED;
  };
  const Case cases[] = {
      {"llama-tiny-awq", R"("quant_method": "awq")", R"("quant_method": "bitsandbytes")",
       {"config.json", "quantization_config.quant_method", "\"bitsandbytes\""}},
      {"llama-tiny-gptq", R"("bits": 4)", R"("bits": 8)", {"quantization_config.bits", "is 8", "4-bit"}},
      {"llama-tiny-awq", R"("version": "gemm")", R"("version": "gemv")", {"quantization_config.version", "\"gemv\""}},
      {"llama-tiny-awq", R"("zero_point": true)", R"("zero_point": false)", {"quantization_config.zero_point"}},
      {"llama-tiny-gptq", R"("checkpoint_format": "gptq")", R"("checkpoint_format": "marlin")",
       {"quantization_config.checkpoint_format", "\"marlin\""}},
      {"llama-tiny-gptq", R"("group_size": 64)", R"("group_size": 0)", {"quantization_config.group_size", "is 0"}, QEFF_E_CONFIG},
      {"qwen2-tiny-ct", R"("format": "pack-quantized")", R"("format": "int-quantized")",
       {"quantization_config.format", "\"int-quantized\"", "pack-quantized"}},
      {"qwen2-tiny-ct", R"("symmetric": true)", R"("symmetric": false)", {"symmetric", "is false"}},
      {"qwen2-tiny-ct", R"("input_activations": null)", R"("input_activations": {"num_bits": 8})",
       {"input_activations", "quantized activations"}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::string(c.fixture) + ": " + c.to);
    Int4Copy copy(c.fixture);
    copy.edit("config.json", c.from, c.to);
    copy.expect_error(c.status, c.parts);
  }
}

TEST(Int4CheckpointErrors, TensorsThatDoNotMatchTheConfigAreRefused) {
  {  // A group size the tensors were not written with: the zero points' shape.
    Int4Copy copy("llama-tiny-awq");
    copy.edit("config.json", R"("group_size": 32)", R"("group_size": 64)");
    copy.expect_error(QEFF_E_MISMATCH, {"model.safetensors", "\"model.layers.0.self_attn.q_proj.qzeros\"", "has shape [2, 8]",
                                        "expected [1, 8]"});
  }
  {  // A missing tensor (renamed in the header, same length).
    Int4Copy copy("llama-tiny-gptq");
    copy.edit("model.safetensors", "model.layers.1.mlp.up_proj.scales", "model.layers.1.mlp.up_proj.scalez");
    copy.expect_error(QEFF_E_MISMATCH, {"no tensor \"model.layers.1.mlp.up_proj.scales\"", "int4 scales"});
  }
  {  // Scales of an integer type.
    Int4Copy copy("llama-tiny-awq");
    const std::string header = read_file(copy.dir / "model.safetensors").substr(0, 20000);
    const std::string key = "\"model.layers.0.mlp.down_proj.scales\":{\"dtype\":\"F16\"";
    if (header.find(key) == std::string::npos) GTEST_SKIP() << "header layout differs: " << key;
    copy.edit("model.safetensors", key, "\"model.layers.0.mlp.down_proj.scales\":{\"dtype\":\"I16\"");
    copy.expect_error(QEFF_E_MISMATCH, {"\"model.layers.0.mlp.down_proj.scales\"", "dtype I16", "F16, BF16 or F32"});
  }
}

TEST(Int4CheckpointErrors, ReorderedGptqGroupsAreRefused) {
  Int4Copy copy("llama-tiny-gptq");
  copy.poke_i32("model.layers.0.self_attn.k_proj.g_idx", 3, 1);  // row 3 in group 1 (act-order)
  copy.expect_error(QEFF_E_UNSUPPORTED, {"\"model.layers.0.self_attn.k_proj.g_idx\"", "element 3 is 1, expected 0",
                                         "act-order"});
}

TEST(Int4CheckpointErrors, BadQuantizedCheckpointOptionIsRefused) {
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  ASSERT_QEFF_OK(qeff_options_set(o, "compile.quantized_checkpoint", "requantize"));
  qeff_model *m = nullptr;
  ASSERT_QEFF_OK(qeff_model_load((fixtures_dir() + "/models/llama-tiny-awq").c_str(), nullptr, &m));
  qeff_program *p = nullptr;
  EXPECT_QEFF_ERROR(qeff_compile(m, o, &p), QEFF_E_INVALID_ARGUMENT, "compile.quantized_checkpoint",
                    "\"requantize\"", "keep or dequantize");
  EXPECT_EQ(p, nullptr);
  qeff_model_free(m);
  qeff_options_free(o);
}

}  // namespace
