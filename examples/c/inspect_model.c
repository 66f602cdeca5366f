/*
 * qeff-inspect: load a HuggingFace model directory through the C ABI and print
 * what qeff sees in it (architecture, task, sizes, parameters, tensors).
 *
 *   qeff-inspect MODEL_DIR [--tensors]
 */
#include <stdio.h>
#include <string.h>

#include "qeff/qeff.h"

static int fail(const char *what) {
  fprintf(stderr, "qeff-inspect: %s: %s: %s\n", what, qeff_status_name(qeff_last_error_code()),
          qeff_last_error_message());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(stderr, "usage: %s MODEL_DIR [--tensors]\n", argv[0]);
    return 2;
  }
  int list_tensors = argc > 2 && strcmp(argv[2], "--tensors") == 0;

  qeff_model *model = NULL;
  if (qeff_model_load(argv[1], NULL, &model) != QEFF_OK) return fail("load");

  const char *path = NULL, *arch = NULL, *type = NULL;
  qeff_task task = QEFF_TASK_UNKNOWN;
  int64_t layers = 0, hidden = 0, vocab = 0, params = 0;
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  size_t ntensors = 0;
  if (qeff_model_path(model, &path) != QEFF_OK || qeff_model_architecture(model, &arch) != QEFF_OK ||
      qeff_model_type(model, &type) != QEFF_OK || qeff_model_task(model, &task) != QEFF_OK ||
      qeff_model_num_layers(model, &layers) != QEFF_OK ||
      qeff_model_hidden_size(model, &hidden) != QEFF_OK ||
      qeff_model_vocab_size(model, &vocab) != QEFF_OK ||
      qeff_model_num_parameters(model, &params) != QEFF_OK ||
      qeff_model_weight_dtype(model, &dtype) != QEFF_OK ||
      qeff_model_num_tensors(model, &ntensors) != QEFF_OK) {
    qeff_model_free(model);
    return fail("introspect");
  }
  printf("qeff %s\n", qeff_version());
  printf("model:        %s\n", path);
  printf("architecture: %s (model_type %s)\n", arch, type);
  printf("task:         %s\n", qeff_task_name(task));
  printf("layers:       %lld\n", (long long)layers);
  printf("hidden size:  %lld\n", (long long)hidden);
  printf("vocab size:   %lld\n", (long long)vocab);
  printf("parameters:   %lld (%s)\n", (long long)params, qeff_dtype_name(dtype));
  printf("tensors:      %zu\n", ntensors);
  for (size_t i = 0; list_tensors && i < ntensors; ++i) {
    const char *name = NULL;
    qeff_dtype td = QEFF_DTYPE_UNKNOWN;
    size_t rank = 0;
    int64_t dims[8] = {0};
    if (qeff_model_tensor_info(model, i, &name, &td, &rank, dims, 8) != QEFF_OK) {
      qeff_model_free(model);
      return fail("tensor info");
    }
    printf("  %-48s %-5s [", name, qeff_dtype_name(td));
    for (size_t d = 0; d < rank && d < 8; ++d) printf(d ? ", %lld" : "%lld", (long long)dims[d]);
    printf("]\n");
  }
  qeff_model_free(model);
  return 0;
}
