/* CHECK / CHECK_OK for the C tests (test_c_api.c, conformance.c): count a
 * failure, print the condition and the thread's last qeff error, go on. */
#ifndef QEFF_TESTS_C_CHECK_H
#define QEFF_TESTS_C_CHECK_H

#include <stdio.h>

#include "qeff/qeff.h"

static int failures = 0;

#define CHECK(cond)                                                                            \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s %s)\n", __FILE__, __LINE__,     \
              #cond, qeff_status_name(qeff_last_error_code()), qeff_last_error_message());     \
      ++failures;                                                                              \
    }                                                                                          \
  } while (0)

#define CHECK_OK(call) CHECK((call) == QEFF_OK)

#endif
