// qeff embed: load an encoder, compile it (cached) and embed texts, token
// rows or (rerankers) text pairs; also the encoder half of qeff execute
// (run_encoder). Output: JSON lines (default), one JSON object (--json) or a
// float32 .npy matrix (--output).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "json_out.hpp"
#include "options.hpp"
#include "progress.hpp"

namespace qcli {
namespace {

// What a run produced, concatenated over the chunks it ran in.
struct Output {
  enum Kind { Embeddings, Scores, TokenEmbeddings } kind = Embeddings;
  size_t dim = 0;                           // embedding size / number of labels
  std::vector<float> matrix;                // rows x dim (Embeddings, Scores)
  std::vector<std::vector<float>> tokens;   // per row: n x dim (TokenEmbeddings)
  std::vector<size_t> num_tokens;
  Json stats;
};

void append(Output &out, const qeff_result *r, bool first) {
  size_t rows = 0, dim = 0;
  const float *data = nullptr;
  check(qeff_result_num_rows(r, &rows));
  if (qeff_result_embeddings(r, &data, nullptr, &dim) == QEFF_OK) {
    out.kind = Output::Embeddings;
  } else if (qeff_result_scores(r, &data, nullptr, &dim) == QEFF_OK) {
    out.kind = Output::Scores;
  } else {
    out.kind = Output::TokenEmbeddings;
  }
  for (size_t i = 0; i < rows; ++i) {
    size_t n = 0;
    check(qeff_result_num_tokens(r, i, &n));
    out.num_tokens.push_back(n);
    if (out.kind == Output::TokenEmbeddings) {
      const float *t = nullptr;
      size_t count = 0;
      check(qeff_result_token_embeddings(r, i, &t, &count, &dim));
      out.tokens.emplace_back(t, t + count * dim);
    }
  }
  if (out.kind != Output::TokenEmbeddings) out.matrix.insert(out.matrix.end(), data, data + rows * dim);
  out.dim = dim;
  const char *stats = nullptr;
  check(qeff_result_stats_json(r, &stats));
  Json s = json_parse(stats);
  if (first) {
    out.stats = std::move(s);
    return;
  }
  // Later chunks: counts and times add up; rates are recomputed at the end.
  for (cJSON *item = s->child; item; item = item->next) {
    cJSON *into = cJSON_GetObjectItemCaseSensitive(out.stats.get(), item->string);
    if (cJSON_IsNumber(item) && cJSON_IsNumber(into)) cJSON_SetNumberValue(into, into->valuedouble + item->valuedouble);
  }
}

// Rows run in chunks (with a progress bar and ETA) when stderr is a TTY and
// there are many; otherwise in one call.
Output embed_all(const qeff_program *program, const Inputs &in, const qeff_options *options) {
  Output out;
  const size_t rows = in.rows();
  size_t chunk = rows;
  if (progress_enabled()) chunk = std::max<size_t>(static_cast<size_t>(program_batch_size(program)) * 8, 32);
  ProgressBar bar("embedding", rows > chunk ? rows : 0, "rows");
  const double start = now_seconds();
  for (size_t begin = 0; begin < rows; begin += chunk) {
    const size_t end = std::min(rows, begin + chunk);
    Request request = in.request(begin, end);
    qeff_result *raw = nullptr;
    check(qeff_generate(program, request.get(), options, &raw));
    Result r(raw);
    append(out, r.get(), begin == 0);
    bar.update(end);
  }
  bar.finish();
  if (rows > chunk) {
    const double ms = (now_seconds() - start) * 1000.0;
    if (cJSON *t = cJSON_GetObjectItemCaseSensitive(out.stats.get(), "total_ms")) cJSON_SetNumberValue(t, ms);
    if (cJSON *t = cJSON_GetObjectItemCaseSensitive(out.stats.get(), "rows_per_s"))
      cJSON_SetNumberValue(t, ms > 0 ? static_cast<double>(rows) * 1000.0 / ms : 0.0);
  }
  return out;
}

// NumPy format 1.0: magic, version, little-endian header length, a Python
// dict literal padded with spaces to a multiple of 64 bytes, then the data.
void write_npy(const std::string &path, const std::vector<float> &data, size_t rows, size_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  FILE *f = std::fopen(path.c_str(), "wb");
  if (f == nullptr)
    throw Failure(errno == ENOENT ? QEFF_E_NOT_FOUND : QEFF_E_IO,
                  "--output: cannot create " + absolute_path(path) + ": " + std::strerror(errno));
  bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size() &&
            std::fwrite(data.data(), sizeof(float), data.size(), f) == data.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) throw Failure(QEFF_E_IO, "--output: error writing " + absolute_path(path));
}

const char *matrix_key(const Output &o) { return o.kind == Output::Scores ? "scores" : "embeddings"; }

void print_json(const Output &o) {
  Json doc = json_object();
  const size_t rows = o.num_tokens.size();
  if (o.kind == Output::TokenEmbeddings) {
    cJSON *all = json_add(doc.get(), "token_embeddings", cJSON_CreateArray());
    for (const auto &t : o.tokens) json_push(all, json_float_matrix(t.data(), t.size() / o.dim, o.dim));
  } else {
    json_add(doc.get(), matrix_key(o), json_float_matrix(o.matrix.data(), rows, o.dim));
  }
  json_add(doc.get(), "dim", static_cast<double>(o.dim));
  cJSON *tokens = json_add(doc.get(), "num_tokens", cJSON_CreateArray());
  for (size_t n : o.num_tokens) json_push(tokens, cJSON_CreateNumber(static_cast<double>(n)));
  json_add(doc.get(), "stats", cJSON_Duplicate(o.stats.get(), 1));
  json_print(doc.get());
}

// One JSON line per row: index, the input (text, query/document), token count, the vector.
void print_lines(const Output &o, const Inputs &in) {
  const char *key = o.kind == Output::Scores ? "scores" : o.kind == Output::TokenEmbeddings ? "token_embeddings"
                                                                                            : "embedding";
  for (size_t i = 0; i < o.num_tokens.size(); ++i) {
    Json line = json_object();
    json_add(line.get(), "index", static_cast<double>(i));
    if (i < in.texts.size()) {
      json_add(line.get(), "text", in.texts[i]);
    } else if (i >= in.texts.size() + in.ids.size()) {
      const auto &p = in.pairs[i - in.texts.size() - in.ids.size()];
      json_add(line.get(), "query", p.first);
      json_add(line.get(), "document", p.second);
    }
    json_add(line.get(), "num_tokens", static_cast<double>(o.num_tokens[i]));
    if (o.kind == Output::TokenEmbeddings)
      json_add(line.get(), key, json_float_matrix(o.tokens[i].data(), o.tokens[i].size() / o.dim, o.dim));
    else
      json_add(line.get(), key, json_floats(o.matrix.data() + i * o.dim, o.dim));
    json_print(line.get());
  }
}

Spec embed_spec() {
  Spec s("embed",
         "qeff embed --model DIR (--text T ... | --texts-file FILE | --input-ids 1,2,3 ... | --pair Q D ...) "
         "[--json | --output FILE.npy] [options]",
         "Sentence embeddings with an encoder (BERT, XLM-R, MPNet, ...), or reranker scores for\n"
         "(query, document) pairs: load the model directory, compile it (cached) and run the rows.");
  s.section("Model").value("--model", "DIR", "HuggingFace model directory (config.json + safetensors)");
  add_encoder_run_flags(s);
  add_encoder_compile_flags(s);
  add_runtime_flags(s);
  add_cache_flags(s);
  add_common_flags(s);
  s.epilog(
      "Examples:\n"
      "  qeff embed --model tests/fixtures/models/bert-tiny --text 'Hello world!' --text 'Bonjour'\n"
      "  qeff embed --model DIR --texts-file corpus.txt --seq-len 64,256 --batch-size 8 --output corpus.npy\n"
      "  qeff embed --model RERANKER --pair 'what is qeff?' 'qeff runs HF models' --json");
  return s;
}

int embed_run(const Args &a) {
  a.require("--model");
  const std::string dir = *a.str("--model");
  const Inputs in = encoder_inputs(a);
  Options options = make_options(a);
  Model model = load_model(dir, options.get());
  qeff_task task = QEFF_TASK_UNKNOWN;
  check(qeff_model_task(model.get(), &task));
  require_task(qeff_task_name(task), {"embedding", "sequence-classification"}, dir, "qeff infer runs causal LMs");
  Program program = compile_model(model.get(), options.get());
  model.reset();
  return run_encoder(program.get(), in, a, options.get());
}

}  // namespace

void add_encoder_run_flags(Spec &s) {
  s.section("Input")
      .values("--text", "TEXT", "a text to embed (repeat for a batch)")
      .value("--texts-file", "FILE", "texts, one per line ('-': stdin)")
      .values("--input-ids", "1,2,3", "a row of token ids, special tokens included (repeat)")
      .pairs("--pair", "QUERY DOCUMENT", "a text pair for a reranker (repeat)")
      .flag("--truncate", "cut rows longer than the longest compiled length instead of failing");
  s.section("Output")
      .flag("--json", "print one JSON object {\"embeddings\": [[...], ...], ...} (rerankers: \"scores\")")
      .value("--output", "FILE.npy", "write the [rows, dim] float32 matrix as a NumPy .npy file")
      .alias("-O", "--output");
}

Inputs encoder_inputs(const Args &a) { return gather_inputs(a, "--text", "--texts-file", true); }

int run_encoder(const qeff_program *program, const Inputs &in, const Args &a, const qeff_options *options) {
  if (a.has("--output") && a.str_or("--pooling", "") == "none")
    throw UsageError("--output writes a [rows, dim] matrix; --pooling none gives one matrix per row (use --json)");
  Output out = embed_all(program, in, options);
  if (a.has("--output")) {
    if (out.kind == Output::TokenEmbeddings)
      throw UsageError("--output writes a [rows, dim] matrix; pooling 'none' gives one matrix per row (use --json)");
    write_npy(*a.str("--output"), out.matrix, out.num_tokens.size(), out.dim);
    if (progress_enabled())
      std::fprintf(stderr, "wrote %zu x %zu float32 %s to %s\n", out.num_tokens.size(), out.dim, matrix_key(out),
                   a.str("--output")->c_str());
    if (a.has("--json")) print_json(out);
    return 0;
  }
  if (a.has("--json")) print_json(out);
  else print_lines(out, in);
  return 0;
}

const Command &embed_command() {
  static const Command c{"embed", "sentence embeddings (or reranker scores) as JSON lines, JSON or .npy", embed_spec,
                         embed_run};
  return c;
}

}  // namespace qcli
