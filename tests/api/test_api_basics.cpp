// Version, error model, options, logging, requests and the planned pipeline
// entry points, through the C ABI.
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api_test.hpp"

TEST(Version, HeaderMatchesLibrary) {
  EXPECT_STREQ(qeff_version(), QEFF_VERSION_STRING);
  EXPECT_EQ(qeff_version_number(), QEFF_VERSION_NUMBER);
  EXPECT_EQ(QEFF_VERSION_NUMBER, QEFF_VERSION_MAJOR * 10000 + QEFF_VERSION_MINOR * 100 + QEFF_VERSION_PATCH);
}

TEST(Status, NamesArePinned) {
  EXPECT_STREQ(qeff_status_name(QEFF_OK), "QEFF_OK");
  EXPECT_STREQ(qeff_status_name(QEFF_E_FORMAT), "QEFF_E_FORMAT");
  EXPECT_STREQ(qeff_status_name(QEFF_E_INTERNAL), "QEFF_E_INTERNAL");
  EXPECT_STREQ(qeff_status_name(static_cast<qeff_status>(999)), "QEFF_E_UNKNOWN");
  EXPECT_EQ(QEFF_E_INVALID_ARGUMENT, 1);
  EXPECT_EQ(QEFF_E_SECURITY, 10);
  EXPECT_EQ(QEFF_E_INTERNAL, 17);
  for (int s = 0; s <= 17; ++s)
    EXPECT_STRNE(qeff_status_name(static_cast<qeff_status>(s)), "QEFF_E_UNKNOWN") << s;
}

TEST(LastError, NeverNullClearedOnSuccessAndThreadLocal) {
  qeff_clear_error();
  ASSERT_NE(qeff_last_error_message(), nullptr);
  EXPECT_STREQ(qeff_last_error_message(), "");
  EXPECT_EQ(qeff_last_error_code(), QEFF_OK);

  qeff_model *m = nullptr;
  EXPECT_QEFF_ERROR(qeff_model_load(nullptr, nullptr, &m), QEFF_E_INVALID_ARGUMENT, "path");
  // Another thread sees its own, empty error.
  std::string other = "unset";
  std::thread([&] { other = qeff_last_error_message(); }).join();
  EXPECT_EQ(other, "");
  // A successful call clears it.
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  EXPECT_STREQ(qeff_last_error_message(), "");
  qeff_options_free(o);
  qeff_clear_error();
}

TEST(Handles, NullHandlesAndFreesAreSafe) {
  qeff_model_free(nullptr);
  qeff_options_free(nullptr);
  qeff_request_free(nullptr);
  qeff_program_free(nullptr);
  qeff_result_free(nullptr);
  const char *s = nullptr;
  int64_t i = 0;
  size_t n = 0;
  qeff_task t;
  qeff_dtype d;
  EXPECT_QEFF_ERROR(qeff_model_architecture(nullptr, &s), QEFF_E_INVALID_HANDLE, "qeff_model");
  EXPECT_QEFF_ERROR(qeff_model_path(nullptr, &s), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_type(nullptr, &s), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_task(nullptr, &t), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_num_layers(nullptr, &i), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_hidden_size(nullptr, &i), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_vocab_size(nullptr, &i), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_num_parameters(nullptr, &i), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_weight_dtype(nullptr, &d), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_num_tensors(nullptr, &n), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_tensor_info(nullptr, 0, &s, &d, &n, nullptr, 0), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_find_tensor(nullptr, "x", &n), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_model_config_get(nullptr, "", &s), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_options_set_int(nullptr, "limits.json_depth", 3), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_options_get(nullptr, "limits.json_depth", &s), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_request_add_text(nullptr, "a", 1), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_request_num_rows(nullptr, &n), QEFF_E_INVALID_HANDLE);
  EXPECT_QEFF_ERROR(qeff_options_create(nullptr), QEFF_E_INVALID_ARGUMENT, "out");
  EXPECT_QEFF_ERROR(qeff_request_create(nullptr), QEFF_E_INVALID_ARGUMENT, "out");
}

TEST(Handles, WrongHandleTypeIsRefused) {
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  const char *s = nullptr;
  // A handle of another type passed through a cast (as a careless FFI might).
  EXPECT_QEFF_ERROR(qeff_model_architecture(reinterpret_cast<qeff_model *>(o), &s),
                    QEFF_E_INVALID_HANDLE, "qeff_model");
  qeff_options_free(o);
}

TEST(Options, TypedSettersValidateAndPassthroughParses) {
  qeff_options *o = nullptr;
  ASSERT_QEFF_OK(qeff_options_create(&o));
  const char *v = nullptr;
  ASSERT_QEFF_OK(qeff_options_get(o, "limits.json_depth", &v));
  EXPECT_STREQ(v, "64");
  ASSERT_QEFF_OK(qeff_options_set_int(o, "limits.json_depth", 10));
  ASSERT_QEFF_OK(qeff_options_get(o, "limits.json_depth", &v));
  EXPECT_STREQ(v, "10");
  ASSERT_QEFF_OK(qeff_options_set(o, "limits.json_depth", "12"));
  ASSERT_QEFF_OK(qeff_options_get(o, "limits.json_depth", &v));
  EXPECT_STREQ(v, "12");
  ASSERT_QEFF_OK(qeff_options_set_bool(o, "load.check_tensors", 1));
  ASSERT_QEFF_OK(qeff_options_get(o, "load.check_tensors", &v));
  EXPECT_STREQ(v, "true");
  ASSERT_QEFF_OK(qeff_options_set(o, "load.check_tensors", "false"));
  ASSERT_QEFF_OK(qeff_options_set_string(o, "load.allowed_root", "/tmp"));
  ASSERT_QEFF_OK(qeff_options_get(o, "load.allowed_root", &v));
  EXPECT_STREQ(v, "/tmp");

  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "limits.json_depht", 3), QEFF_E_INVALID_ARGUMENT,
                    "limits.json_depht", "limits.json_depth");
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, "limits.json_depth", 0), QEFF_E_INVALID_ARGUMENT,
                    "limits.json_depth", "0", "1000");
  EXPECT_QEFF_ERROR(qeff_options_set_float(o, "limits.json_depth", 3.5), QEFF_E_INVALID_ARGUMENT,
                    "int");
  EXPECT_QEFF_ERROR(qeff_options_set(o, "limits.json_depth", "ten"), QEFF_E_INVALID_ARGUMENT, "ten");
  EXPECT_QEFF_ERROR(qeff_options_set(o, "load.check_tensors", "maybe"), QEFF_E_INVALID_ARGUMENT,
                    "maybe");
  EXPECT_QEFF_ERROR(qeff_options_set_string(o, "limits.json_depth", "x"), QEFF_E_INVALID_ARGUMENT);
  EXPECT_QEFF_ERROR(qeff_options_set_int_list(o, "limits.json_depth", nullptr, 0), QEFF_E_INVALID_ARGUMENT);
  EXPECT_QEFF_ERROR(qeff_options_set_int(o, nullptr, 1), QEFF_E_INVALID_ARGUMENT, "key");
  EXPECT_QEFF_ERROR(qeff_options_set(o, "limits.json_depth", nullptr), QEFF_E_INVALID_ARGUMENT, "value");
  EXPECT_QEFF_ERROR(qeff_options_get(o, "nope", &v), QEFF_E_INVALID_ARGUMENT, "nope");
  // Failed sets left the value alone.
  ASSERT_QEFF_OK(qeff_options_get(o, "limits.json_depth", &v));
  EXPECT_STREQ(v, "12");
  qeff_options_free(o);
}

TEST(Options, RegistryIsListable) {
  size_t n = qeff_options_key_count();
  ASSERT_GE(n, 8u);
  bool found = false;
  for (size_t i = 0; i < n; ++i) {
    const char *name = nullptr, *desc = nullptr;
    qeff_option_type type;
    ASSERT_QEFF_OK(qeff_options_key_info(i, &name, &type, &desc));
    ASSERT_NE(name, nullptr);
    EXPECT_GT(std::strlen(desc), 10u) << name;
    if (std::string(name) == "limits.safetensors_header_bytes") {
      found = true;
      EXPECT_EQ(type, QEFF_OPTION_INT);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_QEFF_ERROR(qeff_options_key_info(n, nullptr, nullptr, nullptr), QEFF_E_INVALID_ARGUMENT);
}

namespace {
struct LogSink {
  std::mutex mu;
  std::vector<std::pair<qeff_log_level, std::string>> messages;
};
void collect(qeff_log_level level, const char *message, void *payload) {
  auto *sink = static_cast<LogSink *>(payload);
  std::lock_guard<std::mutex> lock(sink->mu);
  sink->messages.emplace_back(level, message);
}
}  // namespace

TEST(Logging, CallbackReceivesMessagesUpToLevel) {
  LogSink sink;
  ASSERT_QEFF_OK(qeff_set_log_callback(collect, QEFF_LOG_DEBUG, &sink));
  qeff_model *m = nullptr;
  EXPECT_NE(qeff_model_load("/nonexistent/dir", nullptr, &m), QEFF_OK);
  ASSERT_QEFF_OK(qeff_set_log_callback(nullptr, QEFF_LOG_ERROR, nullptr));
  ASSERT_FALSE(sink.messages.empty());
  EXPECT_NE(sink.messages.back().second.find("/nonexistent/dir"), std::string::npos);
  size_t before = sink.messages.size();
  EXPECT_NE(qeff_model_load("/nonexistent/dir", nullptr, &m), QEFF_OK);
  EXPECT_EQ(sink.messages.size(), before);  // disabled
  EXPECT_QEFF_ERROR(qeff_set_log_callback(collect, static_cast<qeff_log_level>(9), &sink),
                    QEFF_E_INVALID_ARGUMENT, "level");
}

TEST(Request, HoldsTextsOrTokens) {
  qeff_request *r = nullptr;
  ASSERT_QEFF_OK(qeff_request_create(&r));
  const char text[] = "caf\xc3\xa9 \0 with NUL";
  ASSERT_QEFF_OK(qeff_request_add_text(r, text, sizeof text - 1));
  ASSERT_QEFF_OK(qeff_request_add_text(r, nullptr, 0));
  size_t n = 0;
  ASSERT_QEFF_OK(qeff_request_num_rows(r, &n));
  EXPECT_EQ(n, 2u);
  EXPECT_QEFF_ERROR(qeff_request_add_text(r, "\xff", 1), QEFF_E_INVALID_ARGUMENT, "UTF-8");
  EXPECT_QEFF_ERROR(qeff_request_add_text(r, nullptr, 3), QEFF_E_INVALID_ARGUMENT, "text");
  int32_t ids[] = {1, 2, 3};
  EXPECT_QEFF_ERROR(qeff_request_add_tokens(r, ids, 3), QEFF_E_INVALID_ARGUMENT, "text rows");
  qeff_request_free(r);

  ASSERT_QEFF_OK(qeff_request_create(&r));
  ASSERT_QEFF_OK(qeff_request_add_tokens(r, ids, 3));
  int32_t neg[] = {4, -1};
  EXPECT_QEFF_ERROR(qeff_request_add_tokens(r, neg, 2), QEFF_E_INVALID_ARGUMENT, "-1", "position 1");
  EXPECT_QEFF_ERROR(qeff_request_add_tokens(r, nullptr, 2), QEFF_E_INVALID_ARGUMENT, "ids");
  EXPECT_QEFF_ERROR(qeff_request_add_text(r, "a", 1), QEFF_E_INVALID_ARGUMENT, "token-id rows");
  ASSERT_QEFF_OK(qeff_request_num_rows(r, &n));
  EXPECT_EQ(n, 1u);
  qeff_request_free(r);
}

TEST(Pipeline, CompileAndGenerateAreNotAvailableYet) {
  qeff_program *p = reinterpret_cast<qeff_program *>(1);
  EXPECT_QEFF_ERROR(qeff_compile(nullptr, nullptr, &p), QEFF_E_INVALID_HANDLE, "qeff_model");
  EXPECT_EQ(p, nullptr);
  qeff_request *r = nullptr;
  ASSERT_QEFF_OK(qeff_request_create(&r));
  qeff_result *res = reinterpret_cast<qeff_result *>(1);
  EXPECT_QEFF_ERROR(qeff_generate(nullptr, r, nullptr, &res), QEFF_E_INVALID_HANDLE, "qeff_program");
  EXPECT_EQ(res, nullptr);
  qeff_request_free(r);
}

TEST(Names, DtypesAndTasks) {
  EXPECT_STREQ(qeff_dtype_name(QEFF_DTYPE_BF16), "BF16");
  EXPECT_STREQ(qeff_dtype_name(QEFF_DTYPE_F8_E4M3), "F8_E4M3");
  EXPECT_STREQ(qeff_dtype_name(QEFF_DTYPE_U4), "U4");
  EXPECT_STREQ(qeff_dtype_name(static_cast<qeff_dtype>(200)), "UNKNOWN");
  EXPECT_STREQ(qeff_task_name(QEFF_TASK_CAUSAL_LM), "causal-lm");
  EXPECT_STREQ(qeff_task_name(QEFF_TASK_EMBEDDING), "embedding");
  EXPECT_STREQ(qeff_task_name(static_cast<qeff_task>(77)), "unknown");
}
