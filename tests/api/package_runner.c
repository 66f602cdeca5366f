/*
 * Loads a program package in a fresh process and runs it once, printing the
 * outputs: the deployment check of tests/api/test_program.cpp.
 * Usage: package_runner PACKAGE_DIR BATCH
 * The package must take one f32 input "x" of shape [BATCH, 32] (the golden
 * mlp_relu graph); x[i] = (i % 7) * 0.25 - 0.5. Prints each output element
 * of "y" as a C99 hex float on its own line. Exit 1 with the error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>

#include "qeff/qeff.h"

static int fail(const char *what) {
  fprintf(stderr, "%s: %s %s\n", what, qeff_status_name(qeff_last_error_code()), qeff_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s PACKAGE_DIR BATCH\n", argv[0]);
    return 2;
  }
  int64_t shape[2] = {atoi(argv[2]), 32};
  size_t n = (size_t)(shape[0] * shape[1]);
  float *x = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; ++i) x[i] = (float)(i % 7) * 0.25f - 0.5f;
  qeff_program *program = NULL;
  qeff_session *session = NULL;
  qeff_tensors *in = NULL, *out = NULL;
  int rc = 1;
  if (qeff_program_load(argv[1], NULL, &program) != QEFF_OK) rc = fail("load");
  else if (qeff_session_create(program, NULL, &session) != QEFF_OK) rc = fail("session");
  else if (qeff_tensors_create(&in) != QEFF_OK || qeff_tensors_set(in, "x", QEFF_DTYPE_F32, shape, 2, x, n * 4) != QEFF_OK)
    rc = fail("inputs");
  else if (qeff_session_run(session, in, &out) != QEFF_OK) rc = fail("run");
  else {
    size_t index = 0, nbytes = 0;
    const void *data = NULL;
    if (qeff_tensors_find(out, "y", &index) != QEFF_OK || qeff_tensors_data(out, index, &data, &nbytes) != QEFF_OK) {
      rc = fail("outputs");
    } else {
      for (size_t i = 0; i < nbytes / 4; ++i) printf("%a\n", (double)((const float *)data)[i]);
      rc = 0;
    }
  }
  qeff_tensors_free(out);
  qeff_tensors_free(in);
  qeff_session_free(session);
  qeff_program_free(program);
  free(x);
  return rc;
}
