// Helpers for the API tests (which link only libqeff.so and use only qeff.h).
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "qeff/qeff.h"

// Expects `call` to return `status` and the thread's message to contain every
// one of `parts`.
#define EXPECT_QEFF_ERROR(call, status, ...)                                             \
  do {                                                                                   \
    qeff_status qeff_s_ = (call);                                                        \
    EXPECT_EQ(qeff_status_name(qeff_s_), std::string(qeff_status_name(status)))          \
        << qeff_last_error_message();                                                    \
    EXPECT_EQ(qeff_last_error_code(), status);                                           \
    std::string qeff_m_ = qeff_last_error_message();                                     \
    for (const char *qeff_p_ : std::initializer_list<const char *>{"" __VA_OPT__(, ) __VA_ARGS__}) \
      EXPECT_NE(qeff_m_.find(qeff_p_), std::string::npos)                                \
          << "message lacks \"" << qeff_p_ << "\": " << qeff_m_;                         \
  } while (0)

#define ASSERT_QEFF_OK(call) ASSERT_EQ((call), QEFF_OK) << qeff_last_error_message()

// Loads `dir` with default options; on success returns the model (caller frees).
inline qeff_status load(const std::string &dir, qeff_model **m, const qeff_options *o = nullptr) {
  return qeff_model_load(dir.c_str(), o, m);
}

// Expects loading `dir` to fail with `status` and a message containing `parts`,
// and the out pointer to be NULL.
#define EXPECT_LOAD_ERROR(dir, status, ...)                       \
  do {                                                            \
    qeff_model *qeff_mm_ = reinterpret_cast<qeff_model *>(1);     \
    EXPECT_QEFF_ERROR(load((dir), &qeff_mm_), status, __VA_ARGS__); \
    EXPECT_EQ(qeff_mm_, nullptr);                                 \
    qeff_model_free(qeff_mm_);                                    \
  } while (0)
