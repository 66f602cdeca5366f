// Shared helper of the unit tests: expect a qeff::Error with a given status and
// a message containing every given piece of text.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <initializer_list>
#include <string>

#include "common/error.hpp"
#include "qeff/qeff.h"

// Succeeds when `f` throws qeff::Error with `status` and a message containing
// every one of `parts`; otherwise explains what happened instead.
template <typename F>
::testing::AssertionResult throws_qeff(F &&f, qeff_status status,
                                       std::initializer_list<const char *> parts) {
  try {
    f();
  } catch (const qeff::Error &e) {
    std::string m = e.what();
    if (e.status() != status)
      return ::testing::AssertionFailure() << "threw " << qeff_status_name(e.status())
                                           << ", expected " << qeff_status_name(status) << ": " << m;
    for (const char *p : parts)
      if (m.find(p) == std::string::npos)
        return ::testing::AssertionFailure() << "message lacks \"" << p << "\": " << m;
    return ::testing::AssertionSuccess() << m;
  } catch (const std::exception &e) {
    return ::testing::AssertionFailure() << "threw a non-qeff exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw (expected " << qeff_status_name(status)
                                       << ")";
}

#define EXPECT_QEFF_ERROR(expr, status, ...) \
  EXPECT_TRUE(throws_qeff([&] { (void)(expr); }, (status), {__VA_ARGS__}))
