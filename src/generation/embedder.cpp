#include "generation/embedder.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "runtime/executable.hpp"
#include "runtime/session.hpp"
#include "tokenizer/tokenizer.hpp"

namespace qeff::generation {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

const std::string *meta(const compiler::Program &p, const char *key) {
  auto it = p.metadata.find(key);
  return it == p.metadata.end() ? nullptr : &it->second;
}

bool is_token_input(const graph::ValueInfo &v) {
  return v.type.dtype == QEFF_DTYPE_I64 && v.type.shape.size() == 2 && v.type.shape[0].symbol == "batch_size" &&
         v.type.shape[1].symbol == "seq_len";
}

}  // namespace

EncoderProgram::EncoderProgram(std::shared_ptr<const runtime::Executable> exe) : exe_(std::move(exe)) {
  const compiler::Program &p = exe_->program();
  const std::string *task = meta(p, "qeff.task");
  if (task == nullptr || (*task != "embedding" && *task != "sequence-classification"))
    fail(QEFF_E_UNSUPPORTED, "this program is not an embedding or sequence-classification program (its metadata "
                             "\"qeff.task\" is " + (task ? quote(*task, 64) : std::string("absent")) +
                                 "); run it with qeff_session_run");
  task_ = *task == "embedding" ? QEFF_TASK_EMBEDDING : QEFF_TASK_SEQUENCE_CLASSIFICATION;
  bool ids = false, mask = false;
  for (const auto &in : p.inputs) {
    if (!is_token_input(in))
      fail(QEFF_E_UNSUPPORTED, "encoder program input " + quote(in.name) + " is not I64 [batch_size, seq_len]");
    if (in.name == "input_ids") ids = true;
    else if (in.name == "attention_mask") mask = true;
    else if (in.name == "token_type_ids") token_types_ = true;
    else fail(QEFF_E_UNSUPPORTED, "encoder program has an unexpected input " + quote(in.name));
  }
  if (!ids || !mask) fail(QEFF_E_UNSUPPORTED, "encoder program lacks input_ids or attention_mask");
  output_ = task_ == QEFF_TASK_EMBEDDING ? "output" : "logits";
  if (p.outputs.size() != 1 || p.outputs[0].name != output_ || p.outputs[0].type.dtype != QEFF_DTYPE_F32)
    fail(QEFF_E_UNSUPPORTED, "encoder program must have the single F32 output " + quote(output_));
  const graph::Shape &out = p.outputs[0].type.shape;
  per_token_ = out.size() == 3;
  if ((out.size() != 2 && out.size() != 3) || out.back().is_symbolic())
    fail(QEFF_E_UNSUPPORTED, "encoder program output " + quote(output_) + " has shape " + graph::to_string(out));
  dim_ = out.back().value;
  if (const std::string *pad = meta(p, "qeff.pad_token_id")) {
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(pad->c_str(), &end, 10);
    if (pad->empty() || *end != '\0' || errno != 0 || v < 0)
      fail(QEFF_E_FORMAT, "program metadata \"qeff.pad_token_id\" = " + quote(*pad, 32) + " is not a token id");
    pad_id_ = v;
  }
  for (const auto &plan : p.plans) {
    auto b = plan.spec.symbols.find("batch_size"), s = plan.spec.symbols.find("seq_len");
    if (b == plan.spec.symbols.end() || s == plan.spec.symbols.end())
      fail(QEFF_E_UNSUPPORTED, "specialization " + quote(plan.spec.name) + " does not bind batch_size and seq_len");
    buckets_.push_back({b->second, s->second});
  }
  if (buckets_.empty()) fail(QEFF_E_UNSUPPORTED, "encoder program has no specialization");
  std::sort(buckets_.begin(), buckets_.end(),
            [](const Bucket &a, const Bucket &b) { return a.seq_len != b.seq_len ? a.seq_len < b.seq_len : a.batch < b.batch; });
}

namespace {

// The bucket for a group of `rows` rows whose longest is `len`: the smallest
// sequence length that fits, then the smallest batch that holds every row, else
// the largest batch there (the group is then split).
EncoderProgram::Bucket pick(const std::vector<EncoderProgram::Bucket> &buckets, int64_t len, int64_t rows) {
  int64_t seq = -1;
  for (const auto &b : buckets)
    if (b.seq_len >= len) {
      seq = b.seq_len;
      break;
    }
  EncoderProgram::Bucket best{};
  for (const auto &b : buckets) {
    if (b.seq_len != seq) continue;
    if (b.batch >= rows) return b;  // sorted by batch: the smallest that holds them
    best = b;                       // else the largest
  }
  return best;
}

struct BatchTensors {
  std::vector<int64_t> ids, mask, types;
};

}  // namespace

EmbedResult embed(const EncoderProgram &program, runtime::Session &session, std::vector<EncoderRow> rows,
                  const EmbedOptions &options) {
  const auto start = Clock::now();
  if (rows.empty()) fail(QEFF_E_INVALID_ARGUMENT, "the request has no rows");
  EmbedResult r;
  r.task = program.task();
  r.rows = static_cast<int64_t>(rows.size());
  r.dim = program.dim();
  r.per_token = program.per_token();
  r.lengths.resize(rows.size());
  const int64_t longest = program.longest();
  for (size_t i = 0; i < rows.size(); ++i) {
    EncoderRow &row = rows[i];
    if (row.ids.empty()) fail(QEFF_E_INVALID_ARGUMENT, "row " + std::to_string(i) + " has no tokens");
    if (!row.type_ids.empty() && row.type_ids.size() != row.ids.size())
      fail(QEFF_E_INVALID_ARGUMENT, "row " + std::to_string(i) + " has " + std::to_string(row.type_ids.size()) +
                                        " type ids for " + std::to_string(row.ids.size()) + " tokens");
    if (static_cast<int64_t>(row.ids.size()) > longest) {
      if (!options.truncate)
        fail(QEFF_E_CONTEXT_OVERFLOW, "row " + std::to_string(i) + " has " + std::to_string(row.ids.size()) +
                               " tokens, more than the longest compiled sequence length " + std::to_string(longest) +
                               " (compile a longer seq_len, or ask for truncation)");
      row.ids.resize(static_cast<size_t>(longest));
      if (!row.type_ids.empty()) row.type_ids.resize(static_cast<size_t>(longest));
      ++r.stats.truncated_rows;
    }
    r.lengths[i] = static_cast<int64_t>(row.ids.size());
    r.stats.tokens += r.lengths[i];
  }
  if (r.per_token) r.token_states.resize(rows.size());
  else r.matrix.assign(rows.size() * static_cast<size_t>(r.dim), 0.0f);

  // Shortest first, so that each batch pads little; results go back by index.
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.lengths[a] < r.lengths[b]; });
  int64_t max_batch = 0;
  for (const auto &b : program.buckets()) max_batch = std::max(max_batch, b.batch);

  const auto compute_start = Clock::now();
  size_t next = 0;
  BatchTensors t;
  while (next < order.size()) {
    cancellation_point("embedding");  // between batches
    size_t take = std::min(order.size() - next, static_cast<size_t>(max_batch));
    EncoderProgram::Bucket bucket = pick(program.buckets(), r.lengths[order[next + take - 1]], static_cast<int64_t>(take));
    take = std::min(take, static_cast<size_t>(bucket.batch));
    const int64_t len = r.lengths[order[next + take - 1]];
    bucket = pick(program.buckets(), len, static_cast<int64_t>(take));  // the group may have shrunk
    const size_t B = static_cast<size_t>(bucket.batch), S = static_cast<size_t>(bucket.seq_len);
    t.ids.assign(B * S, program.pad_id());
    t.mask.assign(B * S, 0);
    t.types.assign(B * S, 0);
    for (size_t slot = 0; slot < B; ++slot) {
      if (slot >= take) {  // a dummy row: one token, so no row is empty
        t.mask[slot * S] = 1;
        continue;
      }
      const EncoderRow &row = rows[order[next + slot]];
      std::copy(row.ids.begin(), row.ids.end(), t.ids.begin() + static_cast<ptrdiff_t>(slot * S));
      std::fill_n(t.mask.begin() + static_cast<ptrdiff_t>(slot * S), row.ids.size(), 1);
      std::copy(row.type_ids.begin(), row.type_ids.end(), t.types.begin() + static_cast<ptrdiff_t>(slot * S));
    }
    const std::vector<int64_t> shape = {bucket.batch, bucket.seq_len};
    std::vector<runtime::NamedTensor> inputs = {{"input_ids", {QEFF_DTYPE_I64, shape, t.ids.data()}},
                                                {"attention_mask", {QEFF_DTYPE_I64, shape, t.mask.data()}}};
    if (program.token_types()) inputs.push_back({"token_type_ids", {QEFF_DTYPE_I64, shape, t.types.data()}});
    std::vector<runtime::NamedTensor> out = session.run(inputs);
    const float *y = out[0].tensor.as<float>();
    const size_t dim = static_cast<size_t>(r.dim);
    for (size_t slot = 0; slot < take; ++slot) {
      const size_t row = order[next + slot];
      if (r.per_token) {
        const float *first = y + slot * S * dim;
        r.token_states[row].assign(first, first + static_cast<size_t>(r.lengths[row]) * dim);
      } else {
        std::memcpy(r.matrix.data() + row * dim, y + slot * dim, dim * sizeof(float));
      }
    }
    r.stats.padded_tokens += bucket.batch * bucket.seq_len;
    ++r.stats.batches;
    next += take;
  }
  r.stats.rows = r.rows;
  r.stats.compute_ms = ms_since(compute_start);
  r.stats.total_ms = ms_since(start);
  return r;
}

EmbedResult embed_texts(const EncoderProgram &program, runtime::Session &session, const tokenizer::Tokenizer &tok,
                        const std::vector<TextRow> &texts, const EmbedOptions &options) {
  const auto start = Clock::now();
  tokenizer::EncodeOptions eo;
  eo.add_special_tokens = options.add_special_tokens;
  tokenizer::EncodeOptions cut = eo;
  cut.truncation = tokenizer::TruncationParams{static_cast<size_t>(program.longest())};
  auto encode = [&](const TextRow &t, const tokenizer::EncodeOptions &o) {
    return t.second ? tok.encode_pair(t.first, *t.second, o) : tok.encode(t.first, o);
  };
  std::vector<EncoderRow> rows;
  rows.reserve(texts.size());
  int64_t truncated = 0;
  for (const TextRow &t : texts) {
    tokenizer::Encoding e = encode(t, eo);
    // Too long: the tokenizer truncates (keeping the special tokens, as HF
    // does) when asked; otherwise embed() reports the row.
    if (options.truncate && static_cast<int64_t>(e.size()) > program.longest()) {
      e = encode(t, cut);
      ++truncated;
    }
    EncoderRow row;
    row.ids.assign(e.ids.begin(), e.ids.end());
    if (program.token_types()) row.type_ids.assign(e.type_ids.begin(), e.type_ids.end());
    rows.push_back(std::move(row));
  }
  const double tokenize_ms = ms_since(start);
  EmbedResult r = embed(program, session, std::move(rows), options);
  r.stats.tokenize_ms = tokenize_ms;
  r.stats.truncated_rows += truncated;
  r.stats.total_ms = ms_since(start);
  return r;
}

}  // namespace qeff::generation
