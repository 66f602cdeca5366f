// Shared plumbing of the qeff command line (docs/cli.md): runtime failures,
// RAII handles over the C API and a few file helpers.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <qeff/qeff.h>

namespace qcli {

// A runtime failure: printed as "qeff: error: <STATUS_NAME>: <message>", exit code 1.
class Failure : public std::runtime_error {
 public:
  Failure(qeff_status status, std::string message) : std::runtime_error(std::move(message)), status_(status) {}
  qeff_status status() const noexcept { return status_; }

 private:
  qeff_status status_;
};

// Throws a Failure carrying the thread's last qeff error when `status` is not QEFF_OK.
void check(qeff_status status);

template <class T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const { Free(p); }
};
using Options = std::unique_ptr<qeff_options, Deleter<qeff_options, qeff_options_free>>;
using Model = std::unique_ptr<qeff_model, Deleter<qeff_model, qeff_model_free>>;
using Program = std::unique_ptr<qeff_program, Deleter<qeff_program, qeff_program_free>>;
using Request = std::unique_ptr<qeff_request, Deleter<qeff_request, qeff_request_free>>;
using Result = std::unique_ptr<qeff_result, Deleter<qeff_result, qeff_result_free>>;
using Stream = std::unique_ptr<qeff_stream, Deleter<qeff_stream, qeff_stream_free>>;
using Tokenizer = std::unique_ptr<qeff_tokenizer, Deleter<qeff_tokenizer, qeff_tokenizer_free>>;

// Load a model directory (with a spinner on a TTY).
Model load_model(const std::string &dir, const qeff_options *options);
// Compile a loaded model / load a package (with a spinner on a TTY).
Program compile_model(const qeff_model *model, const qeff_options *options);
Program load_package(const std::string &dir, const qeff_options *options);

// The program's "qeff.task" metadata ("causal-lm", "embedding",
// "sequence-classification"), "unknown" when it has none.
std::string program_task(const qeff_program *program);
// The compiled batch size of a program (the first specialization's), 1 when unknown.
int64_t program_batch_size(const qeff_program *program);

// An absolute form of `path` (relative to the working directory).
std::string absolute_path(const std::string &path);
// Bytes of the regular files under `dir` (recursively); 0 when unreadable.
uint64_t directory_bytes(const std::string &dir);
// Seconds since an arbitrary start, monotonic.
double now_seconds();

}  // namespace qcli
