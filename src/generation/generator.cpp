#include "generation/generator.hpp"

#include <algorithm>
#include <chrono>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "runtime/executable.hpp"
#include "runtime/session.hpp"
#include "tokenizer/tokenizer.hpp"

namespace qeff::generation {
namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

const std::string *meta(const compiler::Program &p, const char *key) {
  auto it = p.metadata.find(key);
  return it == p.metadata.end() ? nullptr : &it->second;
}

GenerationDefaults parse_defaults(const std::string &text) {
  JsonOrigin origin;
  origin.name = "program metadata \"qeff.generation\"";
  origin.type_error = QEFF_E_FORMAT;
  JsonDocument doc = JsonDocument::parse(text, origin, JsonLimits{});
  JsonView j = doc.root();
  GenerationDefaults d;
  if (JsonView e = j.get("eos_token_ids"); e.present()) d.eos_token_ids = e.as_int_list(0, INT32_MAX);
  d.bos_token_id = j.opt_int("bos_token_id", 0, INT32_MAX);
  d.pad_token_id = j.opt_int("pad_token_id", 0, INT32_MAX);
  d.max_length = j.opt_int("max_length", 1, INT64_MAX);
  d.max_new_tokens = j.opt_int("max_new_tokens", 1, INT64_MAX);
  d.top_k = j.opt_int("top_k", 0, INT64_MAX);
  d.do_sample = j.opt_bool("do_sample").value_or(false);
  d.temperature = j.opt_double("temperature");
  d.top_p = j.opt_double("top_p");
  d.min_p = j.opt_double("min_p");
  d.repetition_penalty = j.opt_double("repetition_penalty");
  return d;
}

}  // namespace

const char *finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kNone: return "none";
    case FinishReason::kEos: return "eos";
    case FinishReason::kLength: return "length";
    case FinishReason::kStopString: return "stop";
    case FinishReason::kContext: return "context";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "none";
}

double GenerateStats::prefill_tokens_per_s() const {
  return prefill_ms > 0 ? static_cast<double>(prompt_tokens) * 1000.0 / prefill_ms : 0.0;
}

double GenerateStats::decode_tokens_per_s() const {
  return decode_ms > 0 ? static_cast<double>(decode_tokens) * 1000.0 / decode_ms : 0.0;
}

LmProgram::LmProgram(std::shared_ptr<const runtime::Executable> exe) : exe_(std::move(exe)) {
  const compiler::Program &p = exe_->program();
  const std::string *task = meta(p, "qeff.task");
  if (task == nullptr || *task != "causal-lm")
    fail(QEFF_E_UNSUPPORTED, "this program is not a causal-lm program (its metadata \"qeff.task\" is " +
                                 (task ? quote(*task, 64) : std::string("absent")) + ")");
  bool ids = false, pos = false;
  for (const auto &in : p.inputs) {
    if (in.name == "input_ids") ids = true;
    else if (in.name == "position_ids") pos = true;
    else fail(QEFF_E_UNSUPPORTED, "causal-lm program has an unexpected input " + quote(in.name));
    if (in.type.dtype != QEFF_DTYPE_I64 || in.type.shape.size() != 2)
      fail(QEFF_E_UNSUPPORTED, "causal-lm program input " + quote(in.name) + " is not I64 [batch_size, seq_len]");
  }
  if (!ids || !pos) fail(QEFF_E_UNSUPPORTED, "causal-lm program lacks input_ids or position_ids");
  if (p.outputs.empty() || p.outputs[0].name != "logits" || p.outputs[0].type.dtype != QEFF_DTYPE_F32 ||
      p.outputs[0].type.shape.size() != 3 || p.outputs[0].type.shape[2].is_symbolic())
    fail(QEFF_E_UNSUPPORTED, "causal-lm program must output F32 logits [batch_size, 1, vocab] first");
  if (p.retained.empty()) fail(QEFF_E_UNSUPPORTED, "causal-lm program has no retained KV cache");
  vocab_ = p.outputs[0].type.shape[2].value;
  bool has_decode = false;
  for (const auto &plan : p.plans) {
    auto sym = [&](const char *s) {
      auto it = plan.spec.symbols.find(s);
      if (it == plan.spec.symbols.end())
        fail(QEFF_E_UNSUPPORTED, "specialization " + quote(plan.spec.name) + " does not bind " + s);
      return it->second;
    };
    const int64_t b = sym("batch_size"), s = sym("seq_len"), c = sym("ctx_len");
    if (batch_ == 0) batch_ = b, ctx_len_ = c;
    if (b != batch_ || c != ctx_len_)
      fail(QEFF_E_UNSUPPORTED, "causal-lm program specializations differ in batch_size or ctx_len; generation needs "
                               "one batch size and context");
    prefill_len_ = std::max(prefill_len_, s);
    if (s == 1) has_decode = true;
  }
  if (!has_decode)
    fail(QEFF_E_UNSUPPORTED, "causal-lm program has no decode specialization (seq_len 1)");
  if (const std::string *pad = meta(p, "qeff.pad_token_id")) pad_id_ = std::strtoll(pad->c_str(), nullptr, 10);
  if (const std::string *g = meta(p, "qeff.generation")) defaults_ = parse_defaults(*g);
}

// ---- Generation --------------------------------------------------------------

struct Generation::Slot {
  size_t row = 0;
  size_t fed = 0;        // prompt tokens run so far
  int64_t next_pos = 0;  // position of the next token to run
  int32_t last = -1;     // the token to run next in decode
  bool open = true;
  int64_t max_new = 0;
  bool context_bound = false;  // max_new is the room the context leaves
  Sampler sampler;
  std::unique_ptr<tokenizer::StreamDecoder> decoder;
  StopStrings stops;
  Slot(const SamplingParams &p, size_t r, const std::vector<std::string> &stop) : row(r), sampler(p, r), stops(stop) {}
};

Generation::Generation(std::shared_ptr<const LmProgram> program, runtime::Session &session,
                       std::shared_ptr<const tokenizer::Tokenizer> tok, std::vector<std::vector<int32_t>> prompts,
                       const GenerateParams &params)
    : program_(std::move(program)), session_(session), tokenizer_(std::move(tok)), params_(params) {
  start_ = now_ms();
  const LmProgram &p = *program_;
  const GenerationDefaults &d = p.defaults();
  validate(params_.sampling);
  if (!params_.stop.empty() && !tokenizer_)
    fail(QEFF_E_INVALID_ARGUMENT, "generate.stop needs text output, and this program has no tokenizer");
  eos_ = params_.eos_token_ids ? *params_.eos_token_ids : d.eos_token_ids;
  if (params_.ignore_eos) eos_.clear();
  if (prompts.empty()) fail(QEFF_E_INVALID_ARGUMENT, "the request has no rows");
  const int64_t ctx = p.ctx_len();
  out_.resize(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::vector<int32_t> &ids = prompts[i];
    if (ids.empty()) fail(QEFF_E_INVALID_ARGUMENT, "row " + std::to_string(i) + " has no tokens");
    for (size_t k = 0; k < ids.size(); ++k)
      if (ids[k] < 0 || ids[k] >= p.vocab())
        fail(QEFF_E_INVALID_ARGUMENT, "row " + std::to_string(i) + ": token " + std::to_string(k) + " = " +
                                          std::to_string(ids[k]) + " is outside the vocabulary [0, " +
                                          std::to_string(p.vocab()) + ")");
    // Room for at least one new token.
    const int64_t len = static_cast<int64_t>(ids.size());
    if (len >= ctx) {
      if (!params_.truncate)
        fail(QEFF_E_CONTEXT_OVERFLOW, "row " + std::to_string(i) + " has " + std::to_string(len) +
                                          " prompt tokens; the compiled context holds " + std::to_string(ctx) +
                                          " tokens, prompt and generated together, so a prompt may have at most " +
                                          std::to_string(ctx - 1) + " (compile a longer ctx_len, or ask for truncation)");
      // Keep the end of the prompt, leaving room for max_new_tokens (a quarter
      // of the context when unbounded).
      const int64_t room = std::clamp<int64_t>(params_.max_new_tokens.value_or(std::max<int64_t>(ctx / 4, 1)), 1, ctx - 1);
      ids.erase(ids.begin(), ids.end() - (ctx - room));
      out_[i].truncated = true;
      ++stats_.truncated_rows;
    }
    stats_.prompt_tokens += static_cast<int64_t>(ids.size());
    out_[i].prompt = std::move(ids);
  }
  stats_.rows = static_cast<int64_t>(out_.size());
}

Generation::~Generation() = default;

void Generation::start_group() {
  const LmProgram &p = *program_;
  const GenerationDefaults &d = p.defaults();
  session_.reset_state();
  slots_.clear();
  slots_.resize(static_cast<size_t>(p.batch()));
  for (auto &slot : slots_) {
    if (next_row_ >= out_.size()) break;
    slot = std::make_unique<Slot>(params_.sampling, next_row_, params_.stop);
    const int64_t len = static_cast<int64_t>(out_[next_row_].prompt.size());
    const int64_t room = p.ctx_len() - len;
    std::optional<int64_t> limit = params_.max_new_tokens;
    if (!limit && d.max_new_tokens) limit = d.max_new_tokens;
    if (!limit && d.max_length) limit = std::max<int64_t>(*d.max_length - len, 1);
    slot->max_new = limit ? std::min(room, *limit) : room;
    slot->context_bound = !limit || *limit > room;
    if (tokenizer_) slot->decoder = std::make_unique<tokenizer::StreamDecoder>(tokenizer_, params_.skip_special_tokens);
    ++next_row_;
  }
  ++stats_.groups;
  prefilling_ = true;
}

float *Generation::run(const std::vector<int64_t> &ids, const std::vector<int64_t> &pos, int64_t len) {
  const int64_t batch = program_->batch();
  std::vector<runtime::NamedTensor> inputs = {{"input_ids", {QEFF_DTYPE_I64, {batch, len}, ids.data()}},
                                              {"position_ids", {QEFF_DTYPE_I64, {batch, len}, pos.data()}}};
  std::vector<runtime::NamedTensor> outputs = session_.run(inputs);
  const float *logits = outputs.at(0).tensor.as<float>();
  logits_.assign(logits, logits + batch * program_->vocab());
  return logits_.data();
}

void Generation::prefill_chunk(std::vector<StreamEvent> &events) {
  const double t0 = now_ms();
  const int64_t batch = program_->batch(), chunk = program_->prefill_len();
  std::vector<int64_t> ids(static_cast<size_t>(batch * chunk), program_->pad_id()), pos(ids.size(), -1);
  std::vector<int64_t> completed;  // batch slots whose prompt ends in this chunk
  bool more = false;
  for (int64_t b = 0; b < batch; ++b) {
    Slot *s = slots_[static_cast<size_t>(b)].get();
    if (s == nullptr) continue;
    const std::vector<int32_t> &prompt = out_[s->row].prompt;
    if (s->fed >= prompt.size()) continue;
    for (int64_t k = 0; k < chunk && s->fed < prompt.size(); ++k, ++s->fed) {
      ids[static_cast<size_t>(b * chunk + k)] = prompt[s->fed];
      pos[static_cast<size_t>(b * chunk + k)] = s->next_pos++;
    }
    if (s->fed == prompt.size()) completed.push_back(b);
    else more = true;
  }
  float *logits = run(ids, pos, chunk);
  ++stats_.prefill_runs;
  for (int64_t b : completed) accept(*slots_[static_cast<size_t>(b)], logits + b * program_->vocab(), events);
  prefilling_ = more;
  stats_.prefill_ms += now_ms() - t0;
}

void Generation::decode_step(std::vector<StreamEvent> &events) {
  const double t0 = now_ms();
  const int64_t batch = program_->batch();
  std::vector<int64_t> ids(static_cast<size_t>(batch), program_->pad_id()), pos(ids.size(), -1);
  for (int64_t b = 0; b < batch; ++b) {
    Slot *s = slots_[static_cast<size_t>(b)].get();
    if (s == nullptr || !s->open) continue;
    ids[static_cast<size_t>(b)] = s->last;
    pos[static_cast<size_t>(b)] = s->next_pos++;
  }
  float *logits = run(ids, pos, 1);
  ++stats_.decode_runs;
  for (int64_t b = 0; b < batch; ++b) {
    Slot *s = slots_[static_cast<size_t>(b)].get();
    if (s == nullptr || !s->open) continue;
    accept(*s, logits + b * program_->vocab(), events);
    ++stats_.decode_tokens;
  }
  stats_.decode_ms += now_ms() - t0;
}

void Generation::accept(Slot &s, float *logits, std::vector<StreamEvent> &events) {
  RowOutput &row = out_[s.row];
  const int32_t token = s.sampler.next(logits, program_->vocab(), row.prompt, row.tokens);
  row.tokens.push_back(token);
  ++stats_.generated_tokens;
  if (!first_token_) {
    first_token_ = true;
    stats_.ttft_ms = now_ms() - start_;
  }
  StreamEvent e{s.row, token, {}, false};
  bool stopped = false;
  if (s.decoder) {
    StopStrings::Fed fed = s.stops.feed(s.decoder->step(static_cast<uint32_t>(token)));
    e.text = std::move(fed.text);
    stopped = fed.stopped;
  }
  row.text += e.text;
  events.push_back(std::move(e));
  s.last = token;
  if (stopped) finish(s, FinishReason::kStopString, events);
  else if (std::find(eos_.begin(), eos_.end(), token) != eos_.end()) finish(s, FinishReason::kEos, events);
  else if (static_cast<int64_t>(row.tokens.size()) >= s.max_new)
    finish(s, s.context_bound ? FinishReason::kContext : FinishReason::kLength, events);
}

void Generation::finish(Slot &s, FinishReason why, std::vector<StreamEvent> &events) {
  RowOutput &row = out_[s.row];
  StreamEvent e{s.row, -1, {}, true};
  if (s.decoder && why != FinishReason::kStopString) {
    StopStrings::Fed fed = s.stops.feed(s.decoder->finish());
    e.text = std::move(fed.text);
    if (fed.stopped) {
      why = FinishReason::kStopString;
    } else {
      e.text += s.stops.finish();  // may still complete a stop string held back
      if (s.stops.stopped()) why = FinishReason::kStopString;
    }
  }
  row.text += e.text;
  row.finish = why;
  s.open = false;
  events.push_back(std::move(e));
}

void Generation::finish_all(FinishReason why, std::vector<StreamEvent> &events) {
  for (auto &s : slots_)
    if (s && s->open) finish(*s, why, events);
  for (; next_row_ < out_.size(); ++next_row_) {
    out_[next_row_].finish = why;
    events.push_back({next_row_, -1, {}, true});
  }
  slots_.clear();
}

bool Generation::step(std::vector<StreamEvent> &events) {
  if (done_) return false;
  if (!cancelled() && poll_cancellation("generating")) cancel();  // the caller's token (common/cancel.hpp)
  if (cancelled()) {
    finish_all(FinishReason::kCancelled, events);
  } else {
    const bool group_open = std::any_of(slots_.begin(), slots_.end(), [](const auto &s) { return s && s->open; });
    if (!group_open) start_group();
    if (prefilling_) prefill_chunk(events);
    else decode_step(events);
  }
  const bool group_open = std::any_of(slots_.begin(), slots_.end(), [](const auto &s) { return s && s->open; });
  if (!group_open && next_row_ >= out_.size()) {
    done_ = true;
    stats_.total_ms = now_ms() - start_;
  }
  return true;
}

}  // namespace qeff::generation
