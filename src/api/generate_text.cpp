// Text generation at the C ABI: qeff_generate on causal-LM programs (through
// generate_text below), the callback stream qeff_generate_stream, the pull
// iterator qeff_stream_*, and the text results. The loop itself is
// generation/generator.hpp; this file maps options and requests onto it.
#include <atomic>
#include <chrono>
#include <exception>
#include <string>

#include "api/generate_text.hpp"
#include "api/program_support.hpp"
#include "api/request.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/json_writer.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kProgramTag;
using qeff::api::kRequestTag;
using qeff::api::kResultTag;
using qeff::api::kStreamTag;
using qeff::api::require;
namespace gen = qeff::generation;

namespace qeff::api {
namespace {

std::vector<std::string> parse_stop(const std::string &text) {
  if (text.empty()) return {};
  JsonOrigin origin;
  origin.name = "option generate.stop";
  origin.type_error = QEFF_E_INVALID_ARGUMENT;
  auto parse = [&] {
    try {
      return JsonDocument::parse(text, origin, JsonLimits{}, false);
    } catch (const Error &e) {
      fail(QEFF_E_INVALID_ARGUMENT, std::string("generate.stop must be a JSON array of strings: ") + e.what());
    }
  };
  JsonDocument doc = parse();
  if (!doc.root().is_array())
    fail(QEFF_E_INVALID_ARGUMENT, "generate.stop must be a JSON array of strings, e.g. [\"\\n\\n\"], got " +
                                      quote(text, 64));
  return doc.root().as_string_list();
}

gen::GenerateParams text_params(const Options &o, const gen::GenerationDefaults &d) {
  gen::GenerateParams p;
  if (o.get_int("generate.max_new_tokens") > 0) p.max_new_tokens = o.get_int("generate.max_new_tokens");
  gen::SamplingParams &s = p.sampling;
  // An option the caller set wins, then generation_config.json, then HF's default.
  auto f = [&](const char *key, const std::optional<double> &file) {
    return o.is_set(key) || !file ? o.get_float(key) : *file;
  };
  s.do_sample = o.is_set("generate.do_sample") ? o.get_bool("generate.do_sample") : d.do_sample;
  s.temperature = f("generate.temperature", d.temperature);
  s.top_k = o.is_set("generate.top_k") || !d.top_k ? o.get_int("generate.top_k") : *d.top_k;
  s.top_p = f("generate.top_p", d.top_p);
  s.min_p = f("generate.min_p", d.min_p);
  s.repetition_penalty = f("generate.repetition_penalty", d.repetition_penalty);
  s.presence_penalty = o.get_float("generate.presence_penalty");
  s.frequency_penalty = o.get_float("generate.frequency_penalty");
  s.seed = static_cast<uint64_t>(o.get_int("generate.seed"));
  p.stop = parse_stop(o.get_string("generate.stop"));
  if (o.is_set("generate.eos_token_ids")) p.eos_token_ids = o.get_int_list("generate.eos_token_ids");
  p.ignore_eos = o.get_bool("generate.ignore_eos");
  p.truncate = o.get_bool("generate.truncate");
  p.skip_special_tokens = o.get_bool("generate.skip_special_tokens");
  return p;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

TextJob::TextJob(const qeff_program &p, const qeff_request &req, const Options &o)
    : program(lm_of(p)), session(p.pool, static_cast<int>(o.get_int("runtime.threads"))), cancel(o.cancel) {
  check_request_limits(req, o);
  const double t0 = now_ms();
  std::shared_ptr<const tokenizer::Tokenizer> tok = tokenizer_of(p);
  std::vector<std::vector<int32_t>> prompts;
  if (!req.texts.empty()) {
    if (!tok)
      fail(QEFF_E_INVALID_ARGUMENT, "the program has no tokenizer (compiled from ONNX?); pass token ids with "
                                    "qeff_request_add_tokens");
    tokenizer::EncodeOptions eo;
    eo.add_special_tokens = o.get_bool("tokenize.add_special_tokens");
    eo.parse_special = o.get_bool("tokenize.parse_special");
    for (size_t i = 0; i < req.texts.size(); ++i) {
      if (req.texts[i].second)
        fail(QEFF_E_INVALID_ARGUMENT, "row " + std::to_string(i) + " is a text pair; a causal LM takes single texts");
      tokenizer::Encoding e = tok->encode(req.texts[i].first, eo);
      prompts.emplace_back(e.ids.begin(), e.ids.end());
    }
  } else {
    prompts = req.tokens;
  }
  const double tokenize_ms = now_ms() - t0;
  generation = std::make_unique<gen::Generation>(program, *session, tok, std::move(prompts),
                                                 text_params(o, program->defaults()));
  generation->add_tokenize_ms(tokenize_ms);
}

std::unique_ptr<qeff_result> TextJob::result() const {
  auto r = std::make_unique<qeff_result>();
  r->lm = true;
  r->rows = generation->rows();
  const gen::GenerateStats &s = generation->stats();
  r->stats = {{"rows", double(s.rows)},
              {"groups", double(s.groups)},
              {"prompt_tokens", double(s.prompt_tokens)},
              {"generated_tokens", double(s.generated_tokens)},
              {"truncated_rows", double(s.truncated_rows)},
              {"prefill_runs", double(s.prefill_runs)},
              {"decode_runs", double(s.decode_runs)},
              {"tokenize_ms", s.tokenize_ms},
              {"ttft_ms", s.ttft_ms},
              {"prefill_ms", s.prefill_ms},
              {"decode_ms", s.decode_ms},
              {"total_ms", s.total_ms},
              {"prefill_tokens_per_s", s.prefill_tokens_per_s()},
              {"decode_tokens_per_s", s.decode_tokens_per_s()}};
  JsonWriter w;
  w.begin_object(true);
  for (const auto &[k, v] : r->stats) w.key(k).value(v);
  w.end_object();
  r->stats_json = w.take();
  return r;
}

std::unique_ptr<qeff_result> generate_text(const qeff_program &p, const qeff_request &req, const Options &o) {
  TextJob job(p, req, o);
  gen::run_to_end(*job.generation, [](const gen::StreamEvent &) { return true; });
  cancellation_point("generating");  // the token stopped the generation (Generation::step polls it)
  return job.result();
}

}  // namespace qeff::api

struct qeff_stream {
  uint32_t tag = kStreamTag;
  std::unique_ptr<qeff::api::TextJob> job;
  std::vector<gen::StreamEvent> pending;
  size_t next = 0;          // first undelivered event of `pending`
  std::string current;      // the text of the last event handed out
  bool reported_cancel = false;
  // qeff_stream_next / qeff_stream_result: one call at a time (QEFF_E_BUSY).
  mutable std::atomic<bool> in_use{false};
};

namespace {

const qeff_result &result(const qeff_result *r, const char *fn) {
  return checked_handle(r, kResultTag, "qeff_result", fn);
}

const qeff::generation::RowOutput &text_row(const qeff_result *r, size_t row, const char *fn) {
  const qeff_result &res = result(r, fn);
  if (!res.lm) qeff::fail(QEFF_E_NOT_FOUND, std::string(fn) + ": the result is not from a causal-lm program");
  if (row >= res.rows.size())
    qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(fn) + ": row " + std::to_string(row) + " of " +
                                            std::to_string(res.rows.size()));
  return res.rows[row];
}

qeff_finish_reason finish_code(gen::FinishReason r) {
  switch (r) {
    case gen::FinishReason::kNone: return QEFF_FINISH_NONE;
    case gen::FinishReason::kEos: return QEFF_FINISH_EOS;
    case gen::FinishReason::kLength: return QEFF_FINISH_LENGTH;
    case gen::FinishReason::kStopString: return QEFF_FINISH_STOP;
    case gen::FinishReason::kContext: return QEFF_FINISH_CONTEXT;
    case gen::FinishReason::kCancelled: return QEFF_FINISH_CANCELLED;
  }
  return QEFF_FINISH_NONE;
}

// Whether the generation ended through a cancel (some row finished as
// cancelled). A cancel that came after every row had finished changed nothing.
bool rows_cancelled(const gen::Generation &g) {
  for (const gen::RowOutput &r : g.rows())
    if (r.finish == gen::FinishReason::kCancelled) return true;
  return false;
}

// The callback of qeff_generate_stream is caller code: qeff.h says it must not
// throw, and one that does is stopped here instead of unwinding through qeff.
std::string escaped_exception(const std::exception_ptr &e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception &x) {
    return std::string("a C++ exception (") + x.what() + ")";
  } catch (...) {
    return "a C++ exception of a type that is not std::exception";
  }
}

}  // namespace

extern "C" {

qeff_status qeff_generate_stream(const qeff_program *program, const qeff_request *request, const qeff_options *options,
                                 qeff_stream_fn fn, void *payload, qeff_result **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *name = "qeff_generate_stream";
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", name);
    const qeff_request &req = checked_handle(request, kRequestTag, "qeff_request", name);
    const qeff::Options &o = qeff::api::options_or_default(options, name);
    qeff::api::CallScope cancel_scope(o, name);
    require(out, "out", name);
    if (fn == nullptr) qeff::fail(QEFF_E_INVALID_ARGUMENT, std::string(name) + ": fn is NULL");
    qeff::api::TextJob job(p, req, o);
    std::exception_ptr thrown;  // stops the generation like a non-zero return; never called again
    gen::run_to_end(*job.generation, [&](const gen::StreamEvent &e) {
      if (thrown) return false;
      try {
        return fn(e.row, e.token, e.text.data(), e.text.size(), e.finished ? 1 : 0, payload) == 0;
      } catch (...) {
        thrown = std::current_exception();
        return false;
      }
    });
    if (thrown)
      qeff::fail(QEFF_E_CANCELLED, std::string(name) + ": the callback threw " + escaped_exception(thrown) +
                                       "; callbacks must not throw: the generation was stopped");
    qeff::cancellation_point("generating");  // the token (qeff_cancel_request) stopped it
    if (job.generation->cancelled())
      qeff::fail(QEFF_E_CANCELLED, std::string(name) + ": cancelled by the callback");
    *out = job.result().release();
  });
}

qeff_status qeff_stream_create(const qeff_program *program, const qeff_request *request, const qeff_options *options,
                               qeff_stream **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *name = "qeff_stream_create";
    const qeff_program &p = checked_handle(program, kProgramTag, "qeff_program", name);
    const qeff_request &req = checked_handle(request, kRequestTag, "qeff_request", name);
    const qeff::Options &o = qeff::api::options_or_default(options, name);
    qeff::api::CallScope cancel_scope(o, name);
    require(out, "out", name);
    auto s = std::make_unique<qeff_stream>();
    s->job = std::make_unique<qeff::api::TextJob>(p, req, o);
    *out = s.release();
  });
}

qeff_status qeff_stream_next(qeff_stream *stream, qeff_stream_event *event) {
  return guarded([&] {
    const char *name = "qeff_stream_next";
    qeff_stream &s = checked_handle(stream, kStreamTag, "qeff_stream", name);
    qeff::api::InUse busy(s.in_use, "qeff_stream", &s, name);
    require(event, "event", name);
    *event = qeff_stream_event{};
    qeff::CancelScope cancel_scope(s.job->cancel, name);  // the token also stops the stream
    gen::Generation &g = *s.job->generation;
    while (s.next >= s.pending.size()) {
      s.pending.clear();
      s.next = 0;
      if (!g.step(s.pending)) {
        if (!s.reported_cancel && rows_cancelled(g)) {
          s.reported_cancel = true;
          qeff::fail(QEFF_E_CANCELLED, std::string(name) + ": the stream was cancelled (" +
                                           (qeff::cancellation_requested() ? "qeff_cancel_request" : "qeff_stream_cancel") + "); "
                                                           "qeff_stream_result has what was generated");
        }
        return;  // the end: has_event stays 0
      }
    }
    gen::StreamEvent &e = s.pending[s.next++];
    s.current = std::move(e.text);
    event->has_event = 1;
    event->row = e.row;
    event->token = e.token;
    event->text = s.current.c_str();
    event->length = s.current.size();
    event->row_finished = e.finished ? 1 : 0;
  });
}

qeff_status qeff_stream_cancel(qeff_stream *stream) {
  return guarded([&] {
    qeff_stream &s = checked_handle(stream, kStreamTag, "qeff_stream", "qeff_stream_cancel");
    s.job->generation->cancel();
  });
}

qeff_status qeff_stream_result(const qeff_stream *stream, qeff_result **out) {
  if (out != nullptr) *out = nullptr;
  return guarded([&] {
    const char *name = "qeff_stream_result";
    const qeff_stream &s = checked_handle(stream, kStreamTag, "qeff_stream", name);
    qeff::api::InUse busy(s.in_use, "qeff_stream", &s, name);
    require(out, "out", name);
    if (!s.job->generation->done())
      qeff::fail(QEFF_E_STATE, std::string(name) + ": the stream has not ended (call qeff_stream_next until it "
                                                   "reports no event)");
    *out = s.job->result().release();
  });
}

void qeff_stream_free(qeff_stream *stream) { qeff::api::free_handle(stream, kStreamTag); }

qeff_status qeff_result_text(const qeff_result *r, size_t row, const char **text, size_t *length) {
  if (text != nullptr) *text = nullptr;
  return guarded([&] {
    const char *fn = "qeff_result_text";
    require(text, "text", fn);
    const auto &o = text_row(r, row, fn);
    *text = o.text.c_str();
    if (length) *length = o.text.size();
  });
}

qeff_status qeff_result_tokens(const qeff_result *r, size_t row, const int32_t **ids, size_t *count) {
  if (ids != nullptr) *ids = nullptr;
  return guarded([&] {
    const char *fn = "qeff_result_tokens";
    require(ids, "ids", fn);
    const auto &o = text_row(r, row, fn);
    *ids = o.tokens.data();
    if (count) *count = o.tokens.size();
  });
}

qeff_status qeff_result_finish_reason(const qeff_result *r, size_t row, qeff_finish_reason *out) {
  return guarded([&] {
    const char *fn = "qeff_result_finish_reason";
    require(out, "out", fn);
    *out = finish_code(text_row(r, row, fn).finish);
  });
}

}  // extern "C"
