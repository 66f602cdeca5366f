// qeff_generate and its results. Encoder programs run the embedding loop of
// generation/embedder.hpp on a session borrowed from the program's pool;
// causal-LM programs run the text-generation loop (generate_text.cpp).
#include "api/generate_text.hpp"
#include "api/program_support.hpp"
#include "api/request.hpp"
#include "common/error.hpp"
#include "common/json_writer.hpp"
#include "runtime/executable.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kProgramTag;
using qeff::api::kRequestTag;
using qeff::api::kResultTag;
using qeff::api::require;

namespace {

void fill_stats(qeff_result &r) {
  const auto &s = r.embed.stats;
  r.stats = {{"rows", double(s.rows)},
             {"batches", double(s.batches)},
             {"tokens", double(s.tokens)},
             {"padded_tokens", double(s.padded_tokens)},
             {"truncated_rows", double(s.truncated_rows)},
             {"tokenize_ms", s.tokenize_ms},
             {"compute_ms", s.compute_ms},
             {"total_ms", s.total_ms},
             {"rows_per_s", s.total_ms > 0 ? double(s.rows) * 1000.0 / s.total_ms : 0.0}};
  qeff::JsonWriter w;
  w.begin_object(true);
  for (const auto &[k, v] : r.stats) w.key(k).value(v);
  w.end_object();
  r.stats_json = w.take();
}

const qeff_result &result(const qeff_result *r, const char *fn) {
  return checked_handle(r, kResultTag, "qeff_result", fn);
}

}  // namespace

extern "C" {

qeff_status qeff_generate(const qeff_program *program, const qeff_request *request, const qeff_options *options,
                          qeff_result **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *fn = "qeff_generate";
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", fn);
    const qeff_request &req = checked_handle(request, kRequestTag, "qeff_request", fn);
    const qeff::Options &o = qeff::api::options_or_default(options, fn);
    qeff::api::CallScope cancel_scope(o, fn);
    require(out, "out", fn);
    const auto &meta = p.executable->program().metadata;
    auto task = meta.find("qeff.task");
    if (task != meta.end() && task->second == "causal-lm") {
      *out = qeff::api::generate_text(p, req, o).release();
      return;
    }
    qeff::api::check_request_limits(req, o);
    auto encoder = qeff::api::encoder_of(p);
    qeff::generation::EmbedOptions eo;
    eo.truncate = o.get_bool("generate.truncate");
    eo.add_special_tokens = o.get_bool("tokenize.add_special_tokens");
    qeff::api::PooledSession session(p.pool, static_cast<int>(o.get_int("runtime.threads")));
    auto r = std::make_unique<qeff_result>();
    if (!req.texts.empty()) {
      auto tok = qeff::api::tokenizer_of(p);
      if (!tok)
        qeff::fail(QEFF_E_INVALID_ARGUMENT, "qeff_generate: the program has no tokenizer (compiled from ONNX?); "
                                            "pass token ids with qeff_request_add_tokens");
      r->embed = qeff::generation::embed_texts(*encoder, *session, *tok, req.texts, eo);
    } else {
      std::vector<qeff::generation::EncoderRow> rows(req.tokens.size());
      for (size_t i = 0; i < rows.size(); ++i) rows[i].ids.assign(req.tokens[i].begin(), req.tokens[i].end());
      r->embed = qeff::generation::embed(*encoder, *session, std::move(rows), eo);
    }
    fill_stats(*r);
    *out = r.release();
  });
}

void qeff_result_free(qeff_result *result) { qeff::api::free_handle(result, kResultTag); }

qeff_status qeff_result_num_rows(const qeff_result *r, size_t *out) {
  return guarded([&] {
    const qeff_result &res = result(r, "qeff_result_num_rows");
    require(out, "out", "qeff_result_num_rows");
    *out = res.lm ? res.rows.size() : static_cast<size_t>(res.embed.rows);
  });
}

namespace {

void matrix(const qeff_result *r, const char *fn, qeff_task want, const float **data, size_t *rows, size_t *dim) {
  if (data != nullptr) *data = nullptr;
  const qeff_result &res = result(r, fn);
  require(data, "data", fn);
  const auto &e = res.embed;
  if (res.lm)
    qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": the result holds generated text (qeff_result_text, "
                                                   "qeff_result_tokens)");
  if (e.task != want)
    qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": the result holds " +
                                     (e.task == QEFF_TASK_EMBEDDING ? "embeddings (qeff_result_embeddings)"
                                                                    : "scores (qeff_result_scores)"));
  if (e.per_token)
    qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": the program pools with \"none\": read each row with "
                                                   "qeff_result_token_embeddings");
  *data = e.matrix.data();
  if (rows) *rows = static_cast<size_t>(e.rows);
  if (dim) *dim = static_cast<size_t>(e.dim);
}

}  // namespace

qeff_status qeff_result_embeddings(const qeff_result *r, const float **data, size_t *rows, size_t *dim) {
  return guarded([&] { matrix(r, "qeff_result_embeddings", QEFF_TASK_EMBEDDING, data, rows, dim); });
}

qeff_status qeff_result_scores(const qeff_result *r, const float **data, size_t *rows, size_t *num_labels) {
  return guarded([&] { matrix(r, "qeff_result_scores", QEFF_TASK_SEQUENCE_CLASSIFICATION, data, rows, num_labels); });
}

qeff_status qeff_result_token_embeddings(const qeff_result *r, size_t row, const float **data, size_t *tokens,
                                         size_t *dim) {
  if (data != nullptr) *data = nullptr;
  return guarded([&] {
    const char *fn = "qeff_result_token_embeddings";
    const qeff_result &res = result(r, fn);
    require(data, "data", fn);
    const auto &e = res.embed;
    if (res.lm || !e.per_token)
      qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": the program pools (qeff_result_embeddings / qeff_result_scores)");
    if (row >= static_cast<size_t>(e.rows))
      qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": row " + std::to_string(row) + " of " +
                                              std::to_string(e.rows));
    *data = e.token_states[row].data();
    if (tokens) *tokens = static_cast<size_t>(e.lengths[row]);
    if (dim) *dim = static_cast<size_t>(e.dim);
  });
}

qeff_status qeff_result_num_tokens(const qeff_result *r, size_t row, size_t *out) {
  return guarded([&] {
    const char *fn = "qeff_result_num_tokens";
    const qeff_result &res = result(r, fn);
    require(out, "out", fn);
    const size_t rows = res.lm ? res.rows.size() : static_cast<size_t>(res.embed.rows);
    if (row >= rows)
      qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": row " + std::to_string(row) + " of " +
                                              std::to_string(rows));
    *out = res.lm ? res.rows[row].prompt.size() : static_cast<size_t>(res.embed.lengths[row]);
  });
}

qeff_status qeff_result_stat(const qeff_result *r, const char *name, double *out) {
  return guarded([&] {
    const char *fn = "qeff_result_stat";
    const qeff_result &res = result(r, fn);
    require(name, "name", fn);
    require(out, "out", fn);
    for (const auto &[k, v] : res.stats)
      if (std::string_view(k) == name) {
        *out = v;
        return;
      }
    qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": no statistic " + qeff::quote(name, 64) + " (see " +
                                     res.stats_json + ")");
  });
}

qeff_status qeff_result_stats_json(const qeff_result *r, const char **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const qeff_result &res = result(r, "qeff_result_stats_json");
    require(out, "out", "qeff_result_stats_json");
    *out = res.stats_json.c_str();
  });
}

}  // extern "C"
