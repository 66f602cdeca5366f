/*
 * qeff-embed: sentence embeddings from a HuggingFace encoder directory.
 *
 *   qeff-embed MODEL_DIR TEXT [TEXT ...]
 *
 * Loads the model, compiles it (cached under QEFF_HOME / ~/.cache/qeff), embeds
 * the texts (tokenized by qeff, pooled and normalized as the model's
 * sentence-transformers files say), prints each embedding's first values, the
 * cosine similarity of every pair and the timing statistics.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <qeff/qeff.h>

static int fail(const char *what) {
  fprintf(stderr, "qeff-embed: %s: %s: %s\n", what, qeff_status_name(qeff_last_error_code()),
          qeff_last_error_message());
  return 1;
}

static double cosine(const float *a, const float *b, size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; ++i) {
    ab += (double)a[i] * b[i];
    aa += (double)a[i] * a[i];
    bb += (double)b[i] * b[i];
  }
  return ab / sqrt(aa * bb);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL_DIR TEXT [TEXT ...]\n", argv[0]);
    return 2;
  }
  int rc = 1;
  qeff_model *model = NULL;
  qeff_options *options = NULL;
  qeff_program *program = NULL;
  qeff_request *request = NULL;
  qeff_result *result = NULL;
  if (qeff_model_load(argv[1], NULL, &model) != QEFF_OK) {
    rc = fail("load");
    goto done;
  }
  const int64_t seq_lens[] = {16, 64};
  if (qeff_options_create(&options) != QEFF_OK ||
      qeff_options_set_int_list(options, "compile.seq_len", seq_lens, 2) != QEFF_OK ||
      qeff_options_set_int(options, "compile.batch_size", 4) != QEFF_OK) {
    rc = fail("options");
    goto done;
  }
  if (qeff_compile(model, options, &program) != QEFF_OK) {
    rc = fail("compile");
    goto done;
  }
  if (qeff_request_create(&request) != QEFF_OK) {
    rc = fail("request");
    goto done;
  }
  for (int i = 2; i < argc; ++i)
    if (qeff_request_add_text(request, argv[i], strlen(argv[i])) != QEFF_OK) {
      rc = fail("text");
      goto done;
    }
  /* Longer texts than the longest compiled length are cut, not refused. */
  if (qeff_options_set_bool(options, "generate.truncate", 1) != QEFF_OK ||
      qeff_generate(program, request, options, &result) != QEFF_OK) {
    rc = fail("generate");
    goto done;
  }
  const float *emb = NULL;
  size_t rows = 0, dim = 0;
  if (qeff_result_embeddings(result, &emb, &rows, &dim) != QEFF_OK) {
    rc = fail("embeddings");
    goto done;
  }
  for (size_t r = 0; r < rows; ++r) {
    size_t tokens = 0;
    qeff_result_num_tokens(result, r, &tokens);
    printf("[%zu] %zu tokens, dim %zu: [%.5f, %.5f, %.5f, ...] %s\n", r, tokens, dim, emb[r * dim],
           emb[r * dim + 1], emb[r * dim + 2], argv[2 + r]);
  }
  for (size_t a = 0; a < rows; ++a)
    for (size_t b = a + 1; b < rows; ++b)
      printf("cosine(%zu, %zu) = %.4f\n", a, b, cosine(emb + a * dim, emb + b * dim, dim));
  const char *stats = NULL;
  qeff_result_stats_json(result, &stats);
  printf("stats: %s\n", stats);
  rc = 0;
done:
  qeff_result_free(result);
  qeff_request_free(request);
  qeff_program_free(program);
  qeff_options_free(options);
  qeff_model_free(model);
  return rc;
}
