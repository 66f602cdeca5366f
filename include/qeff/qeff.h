/*
 * qeff: load HuggingFace transformer models and run them efficiently.
 *
 * This header is the whole public, stable C ABI of libqeff. It is C99 and C++
 * compatible and depends only on <stddef.h> and <stdint.h>.
 *
 * Conventions (see docs/c-api.md for the long form):
 *  - Every fallible function returns a qeff_status. QEFF_OK (0) is success; any
 *    other value is an error whose human-readable message is available from
 *    qeff_last_error_message() on the same thread until the next qeff call on that
 *    thread. A successful call clears the thread's last error.
 *  - Objects are opaque handles created by `qeff_<object>_create`/`_load` into a
 *    caller-provided `**out` and released with `qeff_<object>_free`. Every `_free`
 *    accepts NULL. On failure `*out` is set to NULL (when `out` itself is not NULL).
 *  - NULL arguments (tested for every function by tests/abi/gen_null_tests.py):
 *    a NULL handle gives QEFF_E_INVALID_HANDLE, any other NULL pointer
 *    QEFF_E_INVALID_ARGUMENT, with a message naming the function; every pointer
 *    out parameter (handles, borrowed strings and arrays) is NULL after a
 *    failure. NULL is valid only where documented: every `options` parameter
 *    (all keys at their defaults), and the size or count out parameter returned
 *    next to a pointer (`length`, `count`, `rows`, `dim`, `tokens`,
 *    `num_labels`, `nbytes`, `out_length`) when the caller does not need it.
 *  - Strings are UTF-8 and NUL-terminated unless a length is passed with them.
 *    Returned `const char *` pointers are *borrowed*: the documentation of each
 *    function says how long they stay valid; never free them.
 *  - Thread-safety is stated per function. In short: a qeff_model is immutable
 *    after load and may be shared by any number of threads; a qeff_options object
 *    must not be modified concurrently with any other use of it.
 *  - Threading (docs/c-api.md, "Threading"; tested by tests/api/test_concurrency.cpp,
 *    also under ThreadSanitizer):
 *    shared by any number of threads: qeff_model, qeff_program, qeff_tokenizer,
 *    and the read-only qeff_request, qeff_result, qeff_encoding, qeff_tensors
 *    (const functions) and qeff_options (while nobody modifies them). Concurrent
 *    qeff_generate / qeff_generate_stream / qeff_stream_create calls on one
 *    program each borrow their own session and give the single-thread outputs.
 *    One call at a time: qeff_session and qeff_stream (a concurrent call returns
 *    QEFF_E_BUSY naming the handle, never a corrupted output; qeff_stream_cancel
 *    may be called from any thread at any time) and qeff_decoder (not checked).
 *    Freeing a handle while another thread uses it, or modifying an object another
 *    thread reads (qeff_options_set, qeff_request_add_*, qeff_tensors_set), is a
 *    caller error with undefined behaviour.
 *  - fork() (docs/c-api.md, "fork"; tested by tests/api/test_fork.cpp): on
 *    Linux with glibc the child of a process using qeff may load, compile and
 *    generate with new handles, and may use the handles it inherited (a
 *    program's pooled sessions start new worker threads in the child), provided
 *    no other thread was inside a qeff call at the moment of the fork: a handle
 *    in use by another thread then is not usable in the child (a session or
 *    stream answers QEFF_E_BUSY; a program or model may block) and may only be
 *    left alone; the parent is unaffected.
 *  - Nothing is ever thrown or aborted across this ABI: internal failures become
 *    QEFF_E_INTERNAL with a message.
 *  - Callbacks (qeff_log_fn, qeff_stream_fn) must return normally: no C++
 *    exception and no longjmp out of them. A C++ exception that escapes anyway is
 *    caught where qeff called the callback: qeff_generate_stream stops the
 *    generation and returns QEFF_E_CANCELLED, the message naming the exception
 *    (no result; the program stays usable); a log callback's exception is
 *    dropped and the call that logged carries on. A longjmp (or a thread
 *    cancellation) out of a callback skips qeff's cleanup: undefined behaviour
 *    (the session, locks and memory of the call stay taken).
 *  - ABI policy: functions and enum values are only ever added. Enum values are
 *    pinned. Until 1.0 the soname carries the minor version (libqeff.so.0.MINOR).
 */
#ifndef QEFF_QEFF_H
#define QEFF_QEFF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(QEFF_BUILDING_LIBRARY) && defined(__GNUC__)
#define QEFF_API __attribute__((visibility("default")))
#else
#define QEFF_API
#endif

/* ------------------------------------------------------------------------- */
/* Version                                                                   */
/* ------------------------------------------------------------------------- */

/** Version of the header the caller was compiled against. */
#define QEFF_VERSION_MAJOR 0
#define QEFF_VERSION_MINOR 1
#define QEFF_VERSION_PATCH 0
#define QEFF_VERSION_STRING "0.1.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH, comparable with qeff_version_number(). */
#define QEFF_VERSION_NUMBER \
  (QEFF_VERSION_MAJOR * 10000 + QEFF_VERSION_MINOR * 100 + QEFF_VERSION_PATCH)

/**
 * Version of the library actually loaded at run time, e.g. "0.1.0".
 * Returns a static string; never NULL. Thread-safe.
 */
QEFF_API const char *qeff_version(void);

/** Run-time counterpart of QEFF_VERSION_NUMBER. Thread-safe. */
QEFF_API int qeff_version_number(void);

/* ------------------------------------------------------------------------- */
/* Status codes and the thread-local error                                   */
/* ------------------------------------------------------------------------- */

/** Status codes. Values are pinned and never reused. */
typedef enum qeff_status {
  QEFF_OK = 0,
  QEFF_E_INVALID_ARGUMENT = 1, /**< a caller argument is invalid (NULL, out of range) */
  QEFF_E_NOT_FOUND = 2,        /**< a file, key or tensor does not exist */
  QEFF_E_IO = 3,               /**< an operating-system I/O call failed */
  QEFF_E_FORMAT = 4,           /**< a file is malformed (JSON, safetensors, ...) */
  QEFF_E_CONFIG = 5,           /**< a configuration value is semantically invalid */
  QEFF_E_MISMATCH = 6,         /**< files disagree with each other (config vs weights) */
  QEFF_E_UNSUPPORTED = 7,      /**< valid input that this version does not support */
  QEFF_E_LIMIT = 8,            /**< a resource cap was exceeded (see the limits.* options) */
  QEFF_E_OOM = 9,              /**< memory allocation failed */
  QEFF_E_SECURITY = 10,        /**< path escape, disallowed link, unsafe location */
  QEFF_E_CONTEXT_OVERFLOW = 11,/**< input longer than the compiled context */
  QEFF_E_NUMERIC = 12,         /**< NaN or Inf where it matters */
  QEFF_E_CANCELLED = 13,       /**< the operation was cancelled by the caller */
  QEFF_E_BUSY = 14,            /**< the handle is in use by another call */
  QEFF_E_INVALID_HANDLE = 15,  /**< a NULL or otherwise unusable handle */
  QEFF_E_STATE = 16,           /**< the call is not valid in the object's current state */
  QEFF_E_INTERNAL = 17         /**< a bug in qeff, caught at the ABI boundary */
} qeff_status;

/**
 * Symbolic name of a status code, e.g. "QEFF_E_FORMAT"; "QEFF_E_UNKNOWN" for a
 * value this library does not know. Static string; never NULL. Thread-safe.
 */
QEFF_API const char *qeff_status_name(qeff_status status);

/**
 * Message describing the last failed qeff call on the calling thread, naming the
 * file, field, value and limit involved. Returns "" when the last call on this
 * thread succeeded (or none was made). Never NULL. The pointer stays valid until
 * the next qeff call on the same thread. Thread-safe (per-thread state).
 */
QEFF_API const char *qeff_last_error_message(void);

/** Status of the last failed qeff call on the calling thread, or QEFF_OK. */
QEFF_API qeff_status qeff_last_error_code(void);

/** Reset the calling thread's last error to QEFF_OK / "". */
QEFF_API void qeff_clear_error(void);

/* ------------------------------------------------------------------------- */
/* Logging                                                                   */
/* ------------------------------------------------------------------------- */

typedef enum qeff_log_level {
  QEFF_LOG_ERROR = 0,
  QEFF_LOG_WARN = 1,
  QEFF_LOG_INFO = 2,
  QEFF_LOG_DEBUG = 3
} qeff_log_level;

/**
 * Log sink. `message` is UTF-8, borrowed for the duration of the call. Called
 * synchronously on the thread that produced the message, possibly from several
 * threads at once: the callback must be thread-safe. It must not call back into qeff,
 * throw or longjmp (see "Callbacks" at the top of this header).
 */
typedef void (*qeff_log_fn)(qeff_log_level level, const char *message, void *payload);

/**
 * Install a process-wide log callback receiving messages up to `max_level`
 * (inclusive). Pass fn = NULL to disable logging (the default: qeff prints nothing).
 * `payload` is passed back unchanged; the caller keeps ownership.
 * Returns QEFF_OK, or QEFF_E_INVALID_ARGUMENT for an unknown level.
 * Thread-safe; a message being delivered concurrently may still reach the old callback.
 */
QEFF_API qeff_status qeff_set_log_callback(qeff_log_fn fn, qeff_log_level max_level,
                                           void *payload);

/* ------------------------------------------------------------------------- */
/* Options                                                                   */
/* ------------------------------------------------------------------------- */

/**
 * An options object: a set of named, typed settings read by the functions that
 * take one (qeff_model_load, the compile functions, qeff_session_create, ...).
 * Keys are strings such as "limits.json_depth"; the list of keys, their types, ranges and defaults is in docs/options.md and can
 * be listed at run time with qeff_options_key_count()/qeff_options_key_info().
 * Setting an unknown key, a value of the wrong type or out of range fails at once
 * with QEFF_E_INVALID_ARGUMENT naming the key, the value and the allowed range, so
 * typos never pass silently. A function ignores keys that belong to another
 * function (the key name's prefix says which: "load.", "limits.", "compile.",
 * "runtime.", "package.", "cache.", "tokenize.", "generate.").
 *
 * Thread-safety: an options object may be read by several calls at once, but must
 * not be modified while any call is using it. Calls copy what they need: the
 * object may be modified or freed as soon as the call returns.
 */
typedef struct qeff_options qeff_options;

/** The type of an option's value. */
typedef enum qeff_option_type {
  QEFF_OPTION_BOOL = 0,
  QEFF_OPTION_INT = 1,
  QEFF_OPTION_FLOAT = 2,
  QEFF_OPTION_STRING = 3,
  QEFF_OPTION_INT_LIST = 4
} qeff_option_type;

/**
 * Create an empty options object (every key at its default).
 * `out` receives a new object owned by the caller, freed with qeff_options_free.
 * Returns QEFF_OK, QEFF_E_INVALID_ARGUMENT (out is NULL) or QEFF_E_OOM.
 */
QEFF_API qeff_status qeff_options_create(qeff_options **out);

/** Free an options object. NULL is a no-op. */
QEFF_API void qeff_options_free(qeff_options *options);

/**
 * Typed setters. `key` must name a known option of the matching type (an INT
 * value is also accepted for a FLOAT option). Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE (options is NULL) or QEFF_E_INVALID_ARGUMENT (NULL or
 * unknown key, type mismatch, value out of range; the message names the key,
 * the value and the limit). On failure the object is unchanged.
 */
QEFF_API qeff_status qeff_options_set_bool(qeff_options *options, const char *key, int value);
QEFF_API qeff_status qeff_options_set_int(qeff_options *options, const char *key, int64_t value);
QEFF_API qeff_status qeff_options_set_float(qeff_options *options, const char *key, double value);
/** `value` is UTF-8, copied. */
QEFF_API qeff_status qeff_options_set_string(qeff_options *options, const char *key,
                                             const char *value);
/** `values` points to `count` integers (may be NULL when count is 0), copied. */
QEFF_API qeff_status qeff_options_set_int_list(qeff_options *options, const char *key,
                                               const int64_t *values, size_t count);

/**
 * Key/value passthrough: set any option from its textual form, parsed by the
 * key's type ("true"/"false"/"1"/"0" for BOOL; decimal for INT and FLOAT; the
 * text itself for STRING; comma-separated integers such as "32,64,128" for
 * INT_LIST). Meant for command lines, config files and bindings' keyword
 * arguments. Same status codes as the typed setters.
 */
QEFF_API qeff_status qeff_options_set(qeff_options *options, const char *key, const char *value);

/**
 * Read an option's current value (the default when unset) in textual form, in
 * the syntax qeff_options_set accepts. `*out` is borrowed from `options` and
 * valid until the object is next modified or freed.
 * Returns QEFF_OK, QEFF_E_INVALID_HANDLE or QEFF_E_INVALID_ARGUMENT (unknown key).
 */
QEFF_API qeff_status qeff_options_get(const qeff_options *options, const char *key,
                                      const char **out);

/** Number of known option keys (static registry). Thread-safe. */
QEFF_API size_t qeff_options_key_count(void);

/**
 * Name, type and one-line description of the known key number `index`
 * (0 <= index < qeff_options_key_count()). `name`/`description` receive static
 * strings; any out pointer may be NULL. Returns QEFF_OK or QEFF_E_INVALID_ARGUMENT.
 */
QEFF_API qeff_status qeff_options_key_info(size_t index, const char **name,
                                           qeff_option_type *type, const char **description);

/* ------------------------------------------------------------------------- */
/* Cancellation                                                              */
/* ------------------------------------------------------------------------- */

/**
 * A cancellation token. Attach it to an options object (qeff_options_set_cancel)
 * and pass those options to a long call: qeff_model_load, qeff_tokenizer_load,
 * qeff_compile, qeff_compile_onnx, qeff_export, qeff_program_save,
 * qeff_program_load, qeff_generate, qeff_stream_create (the stream then also
 * stops when the token is requested). Any thread may then call
 * qeff_cancel_request: the call stops at its next cancellation point (between
 * files, tensors, 32 MiB slices of a digest, graph nodes, packed weights and
 * generation steps; docs/cancellation.md gives the measured latency) and
 * returns QEFF_E_CANCELLED with a message naming the call and where it stopped.
 * A cancelled call leaves nothing behind (no partial or temporary files; an
 * existing output is untouched; a compile cancelled while it reads back the
 * cache entry it has just committed leaves that complete entry), and every
 * handle it was given stays usable.
 * A call started with the token already requested returns QEFF_E_CANCELLED at
 * once. A call that completes before it notices returns its normal result.
 *
 * The token stays requested until qeff_cancel_reset. One token may serve any
 * number of calls and options objects at once (it cancels them all). Options
 * hold a reference: the token may be freed while options or calls still use
 * it (they then can no longer be cancelled by it).
 */
typedef struct qeff_cancel qeff_cancel;

/** Create a token (not requested). `out` receives a new token owned by the
 * caller (qeff_cancel_free). Returns QEFF_OK, QEFF_E_INVALID_ARGUMENT, QEFF_E_OOM. */
QEFF_API qeff_status qeff_cancel_create(qeff_cancel **out);

/** Release the caller's reference. NULL is a no-op. */
QEFF_API void qeff_cancel_free(qeff_cancel *cancel);

/** Request cancellation of every call using the token. Thread-safe, lock-free,
 * idempotent. Returns QEFF_OK or QEFF_E_INVALID_HANDLE. */
QEFF_API qeff_status qeff_cancel_request(qeff_cancel *cancel);

/** Clear the request so the token can serve new calls. Calls still running
 * with it may or may not have seen the request. Thread-safe. Returns QEFF_OK
 * or QEFF_E_INVALID_HANDLE. */
QEFF_API qeff_status qeff_cancel_reset(qeff_cancel *cancel);

/** `*out` = 1 when cancellation is requested, else 0. Thread-safe.
 * Returns QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT. */
QEFF_API qeff_status qeff_cancel_is_requested(const qeff_cancel *cancel, int *out);

/** Attach `cancel` to `options` (the options keep a reference; replaces an
 * earlier token), or detach with cancel = NULL. Not while a call uses the
 * options (as for every setter). Returns QEFF_OK or QEFF_E_INVALID_HANDLE. */
QEFF_API qeff_status qeff_options_set_cancel(qeff_options *options, qeff_cancel *cancel);

/* ------------------------------------------------------------------------- */
/* Models: a HuggingFace model directory, loaded                             */
/* ------------------------------------------------------------------------- */

/** Element types of tensors. Values are pinned. */
typedef enum qeff_dtype {
  QEFF_DTYPE_UNKNOWN = 0,
  QEFF_DTYPE_F32 = 1,
  QEFF_DTYPE_F16 = 2,
  QEFF_DTYPE_BF16 = 3,
  QEFF_DTYPE_F64 = 4,
  QEFF_DTYPE_I64 = 5,
  QEFF_DTYPE_I32 = 6,
  QEFF_DTYPE_I16 = 7,
  QEFF_DTYPE_I8 = 8,
  QEFF_DTYPE_U8 = 9,
  QEFF_DTYPE_BOOL = 10,
  QEFF_DTYPE_U16 = 11,
  QEFF_DTYPE_U32 = 12,
  QEFF_DTYPE_U64 = 13,
  QEFF_DTYPE_F8_E4M3 = 14,
  QEFF_DTYPE_F8_E5M2 = 15,
  QEFF_DTYPE_F8_E8M0 = 16,
  /** Also the storage named by compile.weight_dtype "mxfp6" (OCP MXFP6:
   * E2M3 elements with an E8M0 scale per block of 32; docs/kernels-quant.md). */
  QEFF_DTYPE_F6_E2M3 = 17,
  QEFF_DTYPE_F6_E3M2 = 18,
  QEFF_DTYPE_F4 = 19,
  QEFF_DTYPE_C64 = 20,
  /** 4-bit unsigned integers: never a tensor in a model file; the storage
   * named by compile.weight_dtype "int4" (docs/kernels-quant.md "4-bit weights"). */
  QEFF_DTYPE_U4 = 21
} qeff_dtype;

/** Name of a dtype as safetensors writes it ("F32", "BF16", ...); "UNKNOWN" otherwise. */
QEFF_API const char *qeff_dtype_name(qeff_dtype dtype);

/** What a model is for, derived from config.json's architectures. Values pinned. */
typedef enum qeff_task {
  QEFF_TASK_UNKNOWN = 0,
  QEFF_TASK_EMBEDDING = 1,               /**< encoder: text -> vectors */
  QEFF_TASK_CAUSAL_LM = 2,               /**< decoder: text -> text */
  QEFF_TASK_SEQUENCE_CLASSIFICATION = 3  /**< encoder with a scoring head (rerankers) */
} qeff_task;

/** Name of a task: "embedding", "causal-lm", "sequence-classification", "unknown". */
QEFF_API const char *qeff_task_name(qeff_task task);

/**
 * A loaded model: its configuration, its weights memory-mapped (never copied),
 * and the side files (generation, tokenizer and pooling configuration). Immutable
 * after load; every function taking a `const qeff_model *` is thread-safe.
 */
typedef struct qeff_model qeff_model;

/**
 * Load a HuggingFace model directory.
 *
 * `path` is a directory holding config.json and model.safetensors (or a sharded
 * model.safetensors.index.json + shards), as written by `save_pretrained`; a
 * HuggingFace cache snapshot `.../models--org--name/snapshots/<rev>` (whose files
 * are symlinks into `../../blobs/`); or the cache entry `.../models--org--name`
 * itself (resolved through `refs/main`). Files are read only inside the directory
 * (symlinks are followed only when their target stays inside it or inside the
 * cache entry; see "load.allowed_root"). When both model.safetensors and an index
 * exist, model.safetensors wins (as in transformers). Pickle checkpoints
 * (pytorch_model.bin) are never loaded.
 *
 * `options` may be NULL (defaults). Keys read: "load.*" and "limits.*".
 * `out` receives a new model owned by the caller (qeff_model_free), or NULL.
 *
 * Returns QEFF_OK; QEFF_E_INVALID_ARGUMENT (NULL/empty/non-UTF-8/too long path,
 * out NULL); QEFF_E_NOT_FOUND (no directory, no config.json, no weights, missing
 * shard); QEFF_E_IO; QEFF_E_FORMAT (malformed JSON or safetensors); QEFF_E_CONFIG
 * (invalid config values); QEFF_E_MISMATCH (config and weights disagree);
 * QEFF_E_UNSUPPORTED (unknown architecture, pickle checkpoint); QEFF_E_LIMIT;
 * QEFF_E_SECURITY (a file resolves outside the allowed roots); QEFF_E_NUMERIC
 * (only with "load.check_tensors": a non-finite weight); QEFF_E_OOM.
 * Thread-safe (separate loads may run concurrently).
 */
QEFF_API qeff_status qeff_model_load(const char *path, const qeff_options *options,
                                     qeff_model **out);

/** Free a model and unmap its weights. NULL is a no-op. Not thread-safe with other
 * uses of the same model. */
QEFF_API void qeff_model_free(qeff_model *model);

/*
 * Introspection. Every accessor returns QEFF_OK, or QEFF_E_INVALID_HANDLE when
 * `model` is NULL, or QEFF_E_INVALID_ARGUMENT when an out pointer is NULL or an
 * index is out of range. Returned strings are borrowed from the model and valid
 * until qeff_model_free. All are thread-safe.
 */

/** Absolute, canonical path of the directory the model was read from. */
QEFF_API qeff_status qeff_model_path(const qeff_model *model, const char **out);
/** The architecture qeff will build, e.g. "LlamaForCausalLM" (config.architectures[0]). */
QEFF_API qeff_status qeff_model_architecture(const qeff_model *model, const char **out);
/** config.json's model_type, e.g. "llama". */
QEFF_API qeff_status qeff_model_type(const qeff_model *model, const char **out);
/** The task this architecture serves. */
QEFF_API qeff_status qeff_model_task(const qeff_model *model, qeff_task *out);
/** Number of transformer layers (num_hidden_layers / n_layer). */
QEFF_API qeff_status qeff_model_num_layers(const qeff_model *model, int64_t *out);
/** Hidden size (hidden_size / n_embd / d_model). */
QEFF_API qeff_status qeff_model_hidden_size(const qeff_model *model, int64_t *out);
/** Vocabulary size from config.json (rows of the embedding table). */
QEFF_API qeff_status qeff_model_vocab_size(const qeff_model *model, int64_t *out);
/** Total number of elements over all weight tensors (tied weights counted once). */
QEFF_API qeff_status qeff_model_num_parameters(const qeff_model *model, int64_t *out);
/** The dtype holding most weight elements, e.g. QEFF_DTYPE_F32 or QEFF_DTYPE_BF16. */
QEFF_API qeff_status qeff_model_weight_dtype(const qeff_model *model, qeff_dtype *out);
/** Number of weight tensors over all safetensors files. */
QEFF_API qeff_status qeff_model_num_tensors(const qeff_model *model, size_t *out);

/**
 * Describe weight tensor number `index` (0 <= index < num_tensors; tensors are
 * sorted by name). Any of `name`, `dtype`, `rank` may be NULL. `dims` may be NULL
 * when `dims_capacity` is 0 (else QEFF_E_INVALID_ARGUMENT); otherwise it points
 * to `dims_capacity` elements receiving the first min(rank, capacity)
 * dimensions (safetensors allows rank up to 8, see "limits.tensor_rank").
 */
QEFF_API qeff_status qeff_model_tensor_info(const qeff_model *model, size_t index,
                                            const char **name, qeff_dtype *dtype,
                                            size_t *rank, int64_t *dims, size_t dims_capacity);

/**
 * Index of the tensor named `name`, for qeff_model_tensor_info.
 * Returns QEFF_E_NOT_FOUND when there is none.
 */
QEFF_API qeff_status qeff_model_find_tensor(const qeff_model *model, const char *name,
                                            size_t *index);

/**
 * Any field of config.json as JSON text, so fields qeff does not model stay
 * available. `key` is a dot-separated path ("rope_scaling.factor",
 * "text_config.hidden_size", "architectures.0"); "" returns the whole document.
 * `*out` is borrowed from the model until qeff_model_free.
 * Returns QEFF_E_NOT_FOUND when the path does not exist.
 */
QEFF_API qeff_status qeff_model_config_get(const qeff_model *model, const char *key,
                                           const char **out);

/* ------------------------------------------------------------------------- */
/* Tokenizers                                                                */
/* ------------------------------------------------------------------------- */

/**
 * A tokenizer: a model directory's tokenizer.json (or a BERT vocab.txt) with
 * tokenizer_config.json and special_tokens_map.json, giving HuggingFace's ids,
 * byte offsets and decoding (docs/tokenizer.md). Immutable after load: every
 * function taking a `const qeff_tokenizer *` is thread-safe, and one tokenizer
 * may be shared by any number of threads. A tokenizer does not depend on the
 * model it came from: either may be freed first.
 *
 * Options read by qeff_tokenizer_encode / _encode_batch (docs/options.md):
 * "tokenize.add_special_tokens" (bool, default true: BOS, [CLS]/[SEP] ... as
 * the tokenizer's post-processor inserts them), "tokenize.parse_special" (bool,
 * default false: special-token strings such as "<|endoftext|>" in the text are
 * literal text; set it only for trusted template text), "tokenize.truncation"
 * (int, the most tokens per row, special tokens included; 0: no truncation),
 * "tokenize.padding" ("none", "longest": to the longest row of the batch,
 * "max_length": to "tokenize.truncation", else the tokenizer's
 * model_max_length), "tokenize.pad_to_multiple_of" (int, 0: none) and
 * "tokenize.padding_side" ("right", "left"; "": tokenizer_config.json's
 * padding_side). Padding needs a pad token.
 */
typedef struct qeff_tokenizer qeff_tokenizer;

/**
 * The result of an encode call: one row per input text. Per row: token ids,
 * the attention mask (1 for a token, 0 for padding) and byte offsets into the
 * caller's text. Immutable; freed with qeff_encoding_free. Thread-safe reads.
 */
typedef struct qeff_encoding qeff_encoding;

/**
 * A streaming decoder: turns the ids of a generation, one at a time, into
 * pieces of text that are always complete UTF-8 and concatenate to the full
 * decode. Per-stream state: one thread at a time. Keeps its tokenizer alive.
 */
typedef struct qeff_decoder qeff_decoder;

/** Which special token qeff_tokenizer_special_id reports. Values are pinned. */
typedef enum qeff_special_token {
  QEFF_SPECIAL_BOS = 0, /**< beginning of sequence (bos_token) */
  QEFF_SPECIAL_EOS = 1, /**< end of sequence (eos_token) */
  QEFF_SPECIAL_PAD = 2, /**< padding (pad_token) */
  QEFF_SPECIAL_UNK = 3  /**< unknown (unk_token) */
} qeff_special_token;

/**
 * Load the tokenizer of a model directory (`dir`, UTF-8; the same forms and
 * path checks as qeff_model_load: a save_pretrained directory, an HF cache
 * snapshot or cache entry; files are read only inside it, see
 * "load.allowed_root"). Reads tokenizer.json, else vocab.txt; no weights or
 * config.json are needed. `options` may be NULL; keys read: "load.allowed_root"
 * and "limits.input_bytes" (the largest text one encode accepts).
 * `out` receives a new tokenizer owned by the caller (qeff_tokenizer_free), or NULL.
 * Returns QEFF_OK; QEFF_E_INVALID_ARGUMENT (NULL/empty/non-UTF-8 path, out
 * NULL); QEFF_E_NOT_FOUND (no directory; no tokenizer.json or vocab.txt);
 * QEFF_E_UNSUPPORTED (only a SentencePiece tokenizer.model; a component type
 * this version lacks, named); QEFF_E_FORMAT; QEFF_E_CONFIG; QEFF_E_LIMIT;
 * QEFF_E_SECURITY; QEFF_E_IO; QEFF_E_OOM. Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_load(const char *dir, const qeff_options *options,
                                         qeff_tokenizer **out);

/**
 * The tokenizer of a loaded model, read from the model's directory (loaded
 * once per model and shared by later calls). `out` receives a new handle owned
 * by the caller (qeff_tokenizer_free); it stays valid after qeff_model_free.
 * Returns QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (out NULL) and
 * the load statuses of qeff_tokenizer_load. Thread-safe.
 */
QEFF_API qeff_status qeff_model_tokenizer(const qeff_model *model, qeff_tokenizer **out);

/** Free a tokenizer. NULL is a no-op. Not thread-safe with other uses of the
 * same handle; decoders created from it stay valid. */
QEFF_API void qeff_tokenizer_free(qeff_tokenizer *tokenizer);

/**
 * Encode one text (UTF-8, `length` bytes; NUL is an ordinary character; `text`
 * may be NULL when length is 0) into a one-row encoding. `options` may be
 * NULL; keys read: "tokenize.*" (see qeff_tokenizer). `out` receives a new
 * encoding owned by the caller (qeff_encoding_free), or NULL.
 * Returns QEFF_OK; QEFF_E_INVALID_HANDLE; QEFF_E_INVALID_ARGUMENT (invalid
 * UTF-8, the message naming the byte and its offset; NULL text with a length;
 * an invalid "tokenize.*" value; padding without a pad token; a truncation
 * length below the special tokens added); QEFF_E_LIMIT ("limits.input_bytes",
 * regex matching limits); QEFF_E_OOM. Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_encode(const qeff_tokenizer *tokenizer, const char *text,
                                           size_t length, const qeff_options *options,
                                           qeff_encoding **out);

/**
 * Encode `count` texts into a `count`-row encoding; padding, when requested,
 * applies across the batch. `texts[i]` holds `lengths[i]` bytes of UTF-8; when
 * `lengths` is NULL every text is NUL-terminated. `texts` may be NULL when
 * count is 0. Same options, ownership and statuses as qeff_tokenizer_encode;
 * a failure names the batch item. Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_encode_batch(const qeff_tokenizer *tokenizer,
                                                 const char *const *texts, const size_t *lengths,
                                                 size_t count, const qeff_options *options,
                                                 qeff_encoding **out);

/** Free an encoding. NULL is a no-op. */
QEFF_API void qeff_encoding_free(qeff_encoding *encoding);

/** Number of rows (texts) of an encoding. Returns QEFF_OK, QEFF_E_INVALID_HANDLE
 * or QEFF_E_INVALID_ARGUMENT (out NULL). */
QEFF_API qeff_status qeff_encoding_num_rows(const qeff_encoding *encoding, size_t *out);

/**
 * Row `row` (0 <= row < num_rows) of an encoding: `*ids` and `*attention_mask`
 * receive `*length` int32 values each (token ids; 1 for a token, 0 for
 * padding). The arrays are owned by the encoding and valid until
 * qeff_encoding_free (they may be NULL when the length is 0). Any out pointer
 * may be NULL. Returns QEFF_OK, QEFF_E_INVALID_HANDLE or
 * QEFF_E_INVALID_ARGUMENT (row out of range).
 */
QEFF_API qeff_status qeff_encoding_row(const qeff_encoding *encoding, size_t row,
                                       const int32_t **ids, const int32_t **attention_mask,
                                       size_t *length);

/**
 * Byte offsets of row `row`: `*offsets` receives 2 * `*length` values, the
 * [begin, end) bytes of each token in the text that was encoded ({0, 0} for
 * inserted special tokens and padding). Owned by the encoding, valid until
 * qeff_encoding_free. Either out pointer may be NULL. Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE or QEFF_E_INVALID_ARGUMENT (row out of range).
 */
QEFF_API qeff_status qeff_encoding_offsets(const qeff_encoding *encoding, size_t row,
                                           const size_t **offsets, size_t *length);

/**
 * Decode `count` ids (`ids` may be NULL when count is 0) to UTF-8 text, as
 * HuggingFace's decode does (invalid UTF-8 from byte tokens becomes U+FFFD).
 * With `skip_special_tokens` nonzero, special tokens are left out. `*out`
 * receives a new NUL-terminated string owned by the caller, freed with
 * qeff_string_free, and `*out_length` (may be NULL) its length in bytes: the
 * text may itself contain NUL. On failure `*out` is NULL.
 * Returns QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (out NULL;
 * an id that is not a token, naming it and its index), QEFF_E_OOM. Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_decode(const qeff_tokenizer *tokenizer, const int32_t *ids,
                                           size_t count, int skip_special_tokens, char **out,
                                           size_t *out_length);

/** Free a string a qeff function returned as owned by the caller (qeff_tokenizer_decode).
 * NULL is a no-op. Thread-safe. */
QEFF_API void qeff_string_free(char *string);

/**
 * The id of token `token` (NUL-terminated UTF-8, as it appears in the
 * vocabulary, e.g. "<s>" or "Ġthe"; added tokens included).
 * Returns QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (NULL
 * argument) or QEFF_E_NOT_FOUND (no such token). Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_token_to_id(const qeff_tokenizer *tokenizer, const char *token,
                                                int32_t *out);

/**
 * The vocabulary string of token `id`. `*out` is NUL-terminated, owned by the
 * tokenizer and valid until qeff_tokenizer_free; `length` (may be NULL)
 * receives its length in bytes. Returns QEFF_OK, QEFF_E_INVALID_HANDLE,
 * QEFF_E_INVALID_ARGUMENT (out NULL) or QEFF_E_NOT_FOUND (no token has this id).
 * Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_id_to_token(const qeff_tokenizer *tokenizer, int32_t id,
                                                const char **out, size_t *length);

/**
 * Number of ids: the model vocabulary plus added tokens outside it (HF
 * get_vocab_size(with_added_tokens=True)). Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE or QEFF_E_INVALID_ARGUMENT (out NULL). Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_vocab_size(const qeff_tokenizer *tokenizer, size_t *out);

/**
 * The id of a special token (`which`: QEFF_SPECIAL_BOS, _EOS, _PAD, _UNK) as
 * tokenizer_config.json / special_tokens_map.json name it. Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (out NULL, unknown `which`)
 * or QEFF_E_NOT_FOUND (the tokenizer has no such token). Thread-safe.
 */
QEFF_API qeff_status qeff_tokenizer_special_id(const qeff_tokenizer *tokenizer,
                                               qeff_special_token which, int32_t *out);

/**
 * Create a streaming decoder over `tokenizer` (kept alive by the decoder).
 * `skip_special_tokens` nonzero leaves special tokens out. `out` receives a new
 * decoder owned by the caller (qeff_decoder_free). Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (out NULL), QEFF_E_OOM.
 */
QEFF_API qeff_status qeff_decoder_create(const qeff_tokenizer *tokenizer, int skip_special_tokens,
                                         qeff_decoder **out);

/** Free a decoder. NULL is a no-op. */
QEFF_API void qeff_decoder_free(qeff_decoder *decoder);

/**
 * Push the next id of the stream. `*piece` receives the text this id
 * completes (often "", e.g. inside a multi-byte character spread over byte
 * tokens): only complete UTF-8 that later ids will not change. `*piece` is
 * NUL-terminated, owned by the decoder and valid until the next call on it or
 * qeff_decoder_free; `length` (may be NULL) receives its length in bytes.
 * The pieces of every step plus qeff_decoder_finish concatenate to
 * qeff_tokenizer_decode of all the ids, wherever the stream stops. A run of
 * byte-fallback tokens (<0xXX>) is held until a token that is not a byte token
 * ends it, or until qeff_decoder_finish, because the decode treats a run as a
 * whole: UTF-8 when all of it is valid, else U+FFFD per byte.
 * Returns QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (piece NULL;
 * an id that is not a token: the decoder is unchanged), QEFF_E_OOM.
 * Not thread-safe: one call at a time per decoder.
 */
QEFF_API qeff_status qeff_decoder_step(qeff_decoder *decoder, int32_t id, const char **piece,
                                       size_t *length);

/**
 * End the stream: `*piece` receives the text still held (an incomplete UTF-8
 * tail or an invalid byte run decodes to U+FFFD, as in qeff_tokenizer_decode),
 * with the same lifetime as qeff_decoder_step's. The decoder is then empty,
 * ready for a new stream. Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (piece NULL), QEFF_E_OOM.
 */
QEFF_API qeff_status qeff_decoder_finish(qeff_decoder *decoder, const char **piece, size_t *length);

/* ------------------------------------------------------------------------- */
/* Programs: compile, save, load                                               */
/* ------------------------------------------------------------------------- */

/**
 * A compiled program: a graph specialized for fixed shapes (one plan per
 * specialization), with its weights packed for a target. Immutable: one program
 * may be used by any number of sessions on any threads. Sessions keep the
 * program alive, so it may be freed before them.
 *
 * Options read by the compile functions (docs/options.md): "compile.target"
 * ("cpu"), "compile.specializations" (JSON, e.g. [{"name": "Prefill",
 * "symbols": {"batch_size": 1, "seq_len": 32, "ctx_len": 128}}, ...]) or the
 * natural parameters "compile.batch_size", "compile.seq_len" (encoders: one
 * specialization per length), "compile.prefill_seq_len" and "compile.ctx_len"
 * (causal LMs: Prefill and Decode), "compile.weight_dtype" ("f32", "bf16",
 * "f16", "int8", "int4", "mxfp6"),
 * "compile.fuse", and "cache.enabled" / "cache.dir" (compiled programs are
 * cached, keyed by the model's content, the library version and the options).
 */
typedef struct qeff_program qeff_program;

/**
 * Compile a loaded model: build its graph (the architecture's builder, with the
 * task's head: pooling for embedding models, the classifier for rerankers),
 * specialize, fuse, pack the weights, plan memory. The program carries the
 * model's tokenizer (when the directory has one) so qeff_generate takes text.
 *
 * Extra options: "model.pooling" (embedding models: "mean", "avg" (= mean),
 * "cls", "max", "mean_sqrt_len", "last_token" or "none"; default: the
 * sentence-transformers files, else mean) and "model.normalize" (L2-normalize
 * the embeddings, or each token's state with pooling "none"; default: whether
 * the sentence-transformers pipeline has a Normalize module, and never for
 * pooling "none"), and "model.kv_cache_dtype" (causal LMs: the KV cache's
 * element type, "f32" (default), "f16" or "bf16"; QEFF_E_INVALID_ARGUMENT for
 * another value or an embedding model). Encoders compile one specialization
 * per "compile.seq_len" entry (default 32, 128 and 512, those the position
 * table allows) at "compile.batch_size" (default 1). A sequence length beyond the position
 * table is QEFF_E_INVALID_ARGUMENT naming it and the limit. Packing a large
 * weight (2^20 elements or more) uses up to 16 threads (as many as the
 * machine has), started and joined within the call.
 *
 * `out` receives a new program owned by the caller (qeff_program_free); the
 * model may be freed before it. Returns QEFF_OK, QEFF_E_INVALID_HANDLE,
 * QEFF_E_INVALID_ARGUMENT, QEFF_E_UNSUPPORTED (an architecture without a graph
 * builder: the message lists the supported ones; a configuration the builder
 * does not cover, naming the field), QEFF_E_MISMATCH (a weight missing or of the
 * wrong shape), QEFF_E_IO, QEFF_E_LIMIT (a session would need more memory than
 * "limits.program_bytes"), QEFF_E_OOM, and the cache's errors.
 */
QEFF_API qeff_status qeff_compile(const qeff_model *model, const qeff_options *options,
                                  qeff_program **out);

/**
 * Export a loaded model's graph (as qeff_compile builds it, with the same
 * "model.*" options) as ONNX: `output_dir`/model.onnx plus model.onnx.data,
 * written atomically; qeff's fused ops are ONNX local functions, so ONNX
 * Runtime runs the file and qeff_compile_onnx compiles it. An existing
 * model.onnx is replaced only with "export.overwrite". Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT, QEFF_E_UNSUPPORTED,
 * QEFF_E_MISMATCH, QEFF_E_IO (exists, write errors), QEFF_E_SECURITY (a
 * symlinked directory), QEFF_E_BUSY (another export to the same directory).
 */
QEFF_API qeff_status qeff_export(const qeff_model *model, const char *output_dir,
                                 const qeff_options *options);

/**
 * Compile an ONNX model file (UTF-8 path; external data beside it) for a target,
 * as qaic-compile does for the Cloud AI 100. `options` may be NULL (then the
 * graph's inputs must use only the natural symbols batch_size / seq_len /
 * ctx_len, or have fixed shapes). `out` receives a new program owned by the
 * caller (qeff_program_free). Returns QEFF_OK, QEFF_E_INVALID_ARGUMENT (bad
 * options: unknown target, unbound symbol, ...), QEFF_E_NOT_FOUND, QEFF_E_IO,
 * QEFF_E_FORMAT, QEFF_E_UNSUPPORTED (an op or dtype the CPU target lacks, named
 * with its node), QEFF_E_MISMATCH, QEFF_E_LIMIT, QEFF_E_OOM.
 */
QEFF_API qeff_status qeff_compile_onnx(const char *onnx_path, const qeff_options *options,
                                       qeff_program **out);

/**
 * Write a program as a package directory (the deployable artifact: manifest,
 * plan, packed weights, QEfficient-style specializations.json), atomically.
 * An existing non-empty directory is refused unless "package.overwrite" is
 * true. Returns QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT, QEFF_E_IO.
 */
QEFF_API qeff_status qeff_program_save(const qeff_program *program, const char *package_dir,
                                       const qeff_options *options);

/**
 * Load a package directory written by qeff_program_save (no model directory or
 * ONNX file needed). Every file's size and digest is checked ("package.verify",
 * default true) and the plan is validated before use. Returns QEFF_OK,
 * QEFF_E_NOT_FOUND, QEFF_E_IO, QEFF_E_FORMAT (tampered, truncated or malformed:
 * the message names the file and field), QEFF_E_UNSUPPORTED (a package format or
 * target this library does not run), QEFF_E_LIMIT ("limits.program_bytes").
 */
QEFF_API qeff_status qeff_program_load(const char *package_dir, const qeff_options *options,
                                       qeff_program **out);

/**
 * The tokenizer a program carries (compiled from a model directory with a
 * tokenizer, or loaded from a package holding one). `out` receives a new
 * handle owned by the caller (qeff_tokenizer_free). QEFF_E_NOT_FOUND when the
 * program has none (e.g. compiled from ONNX).
 */
QEFF_API qeff_status qeff_program_tokenizer(const qeff_program *program, qeff_tokenizer **out);

/** Free a program. NULL is a no-op. Sessions and streams over it stay valid;
 * not while another thread is in a call taking this handle. */
QEFF_API void qeff_program_free(qeff_program *program);

/**
 * A JSON description of the program (target, weight_dtype: the storage of
 * the float matmul weights, "F32", "BF16", "F16", "I8", "U4" or "F6_E2M3";
 * for "U4" also int4_block_size, 32 or 128 (compile.int4_block_size);
 * weight_formats: how many matmul weights each packed layout holds, e.g.
 * {"q4.strip128x32h": 14, "f32.panel16": 1} for an int4 checkpoint whose
 * lm_head is float; specializations
 * with their symbols, inputs and outputs with dtypes and symbolic shapes, retained-state
 * pairs with their dtype (a causal LM's KV cache: model.kv_cache_dtype), whether it came from the cache). `*out` is owned by the program and
 * valid until it is freed.
 */
QEFF_API qeff_status qeff_program_info(const qeff_program *program, const char **out);

/* ------------------------------------------------------------------------- */
/* Named tensors and sessions (advanced: run a program's graph directly)       */
/* ------------------------------------------------------------------------- */

/** An ordered set of named tensors (owned copies of their bytes). */
typedef struct qeff_tensors qeff_tensors;

/** Create an empty set; free it with qeff_tensors_free. */
QEFF_API qeff_status qeff_tensors_create(qeff_tensors **out);

/** Free a set. NULL is a no-op. */
QEFF_API void qeff_tensors_free(qeff_tensors *tensors);

/**
 * Add (or replace) tensor `name` (UTF-8): `dtype`, `rank` dims in `shape`
 * (each >= 0; `shape` may be NULL when rank is 0), and `nbytes` bytes of
 * row-major data, which must equal the size the dtype and shape imply. The
 * bytes are copied. Returns QEFF_OK, QEFF_E_INVALID_HANDLE,
 * QEFF_E_INVALID_ARGUMENT (size mismatch, bad dtype, rank above 8), QEFF_E_OOM.
 */
QEFF_API qeff_status qeff_tensors_set(qeff_tensors *tensors, const char *name, qeff_dtype dtype,
                                      const int64_t *shape, size_t rank, const void *data,
                                      size_t nbytes);

/** Number of tensors in the set. */
QEFF_API qeff_status qeff_tensors_count(const qeff_tensors *tensors, size_t *out);

/** Index of tensor `name`; QEFF_E_NOT_FOUND when absent. */
QEFF_API qeff_status qeff_tensors_find(const qeff_tensors *tensors, const char *name, size_t *out);

/**
 * Tensor `index`: its name (owned by the set), dtype and rank. Any out
 * pointer may be NULL. QEFF_E_INVALID_ARGUMENT when index >= count.
 */
QEFF_API qeff_status qeff_tensors_info(const qeff_tensors *tensors, size_t index, const char **name,
                                       qeff_dtype *dtype, size_t *rank);

/** Copy the dims of tensor `index` into `shape` (room for `capacity`, >= its rank). */
QEFF_API qeff_status qeff_tensors_shape(const qeff_tensors *tensors, size_t index, int64_t *shape,
                                        size_t capacity);

/** The bytes of tensor `index` (owned by the set, valid until it changes or is
 * freed). Either out pointer may be NULL. */
QEFF_API qeff_status qeff_tensors_data(const qeff_tensors *tensors, size_t index, const void **data,
                                       size_t *nbytes);

/**
 * Per-request state over a program: the memory of each specialization and the
 * retained state (X / X_RetainedState pairs such as KV caches: zero at first,
 * updated in place by every run, kept until qeff_session_reset). One call at a
 * time: a call made while another runs on the same session returns
 * QEFF_E_BUSY. Sessions over one program run concurrently.
 */
typedef struct qeff_session qeff_session;

/**
 * Create a session. `options` may be NULL; reads "runtime.threads" (0: one per
 * hardware thread). The session keeps `program` alive.
 */
QEFF_API qeff_status qeff_session_create(const qeff_program *program, const qeff_options *options,
                                         qeff_session **out);

/** Free a session. NULL is a no-op. Not while another thread uses it (undefined behaviour). */
QEFF_API void qeff_session_free(qeff_session *session);

/**
 * Run the specialization whose input shapes equal the inputs' (every program
 * input once, by name). A retained-state input (e.g. "past_key.0") may be
 * passed too: it replaces the kept state before the run. `*outputs`
 * receives a new set with the program outputs (qeff_tensors_free). Returns
 * QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (unknown or missing
 * input), QEFF_E_MISMATCH (dtype; shapes no specialization takes: the message
 * lists the compiled ones), QEFF_E_STATE (retained state shaped by another
 * specialization, or left undefined by a failed run: reset first),
 * QEFF_E_BUSY (another qeff_session_run / _reset / _read_state is running on
 * this session on another thread: nothing was run), QEFF_E_OOM.
 * One call at a time per session; sessions over one program run concurrently.
 */
QEFF_API qeff_status qeff_session_run(qeff_session *session, const qeff_tensors *inputs,
                                      qeff_tensors **outputs);

/** Zero the session's retained state (start a new sequence). QEFF_E_BUSY while
 * another call runs on the session. */
QEFF_API qeff_status qeff_session_reset(qeff_session *session);

/**
 * A copy of retained state `name` (the input name, e.g. "past_key.0") as a new
 * one-tensor set. QEFF_E_NOT_FOUND for a name the program lacks, QEFF_E_STATE
 * before a run has created it, QEFF_E_BUSY while another call runs on the session.
 */
QEFF_API qeff_status qeff_session_read_state(qeff_session *session, const char *name,
                                             qeff_tensors **out);

/* ------------------------------------------------------------------------- */
/* Generate                                                                    */
/* ------------------------------------------------------------------------- */

/** Inputs of one generate call: a batch of texts, text pairs or token-id sequences. */
typedef struct qeff_request qeff_request;
/** Outputs of one generate call: embeddings or scores, token counts, statistics. */
typedef struct qeff_result qeff_result;

/**
 * Run a compiled program on a request.
 *
 * Embedding and sequence-classification programs (qeff_compile of an encoder):
 * text rows are tokenized with the program's tokenizer ("tokenize.add_special_tokens"),
 * text pairs give rerankers their (query, document) input, token rows are used
 * as given (special tokens included). Rows are grouped by length into batches
 * of the compiled batch size; each batch runs the smallest compiled sequence
 * length that fits it; results come back in request order. A row longer than
 * every compiled length is QEFF_E_CONTEXT_OVERFLOW (naming the row, its length
 * and the limit) unless "generate.truncate" is true. Sessions are pooled by the
 * program ("runtime.threads" per session); concurrent calls are safe.
 *
 * Causal-LM programs (qeff_compile of a LlamaForCausalLM, ...): text rows
 * are tokenized ("tokenize.add_special_tokens", "tokenize.parse_special"),
 * token rows are used as given. Rows run in groups of the compiled batch
 * size; each prompt is prefilled in chunks of the compiled prefill length at
 * its own positions, then every row decodes until it emits an EOS id
 * ("generate.eos_token_ids", default generation_config.json), completes a
 * stop string ("generate.stop"), reaches "generate.max_new_tokens" or fills
 * the context (prompt + generated = ctx_len). Greedy unless
 * "generate.do_sample" (then temperature, top-k, top-p, min-p; penalties
 * apply to both; seeded by "generate.seed": the same seed gives the same
 * text). Unset options take generation_config.json's values. A prompt of
 * ctx_len tokens or more is QEFF_E_CONTEXT_OVERFLOW (naming the row, its
 * length and the limit) unless "generate.truncate" (then its end is kept).
 * Read the output with qeff_result_text / _tokens / _finish_reason; stats:
 * qeff_result_stat.
 *
 * `options` may be NULL. `out` receives a new result owned by the caller
 * (qeff_result_free). Returns QEFF_OK, QEFF_E_INVALID_HANDLE,
 * QEFF_E_INVALID_ARGUMENT (empty request, empty row, a token id outside the
 * vocabulary, text rows for a program without a tokenizer), QEFF_E_CONTEXT_OVERFLOW,
 * QEFF_E_UNSUPPORTED, QEFF_E_LIMIT ("limits.batch_rows", "limits.request_bytes",
 * "limits.request_tokens"), QEFF_E_NUMERIC (a row's logits all NaN or -inf,
 * naming the row), QEFF_E_OOM.
 * Thread-safe: any number of threads may call it on one program (each call
 * borrows its own session) with the same or different requests and options.
 */
QEFF_API qeff_status qeff_generate(const qeff_program *program, const qeff_request *request,
                                   const qeff_options *options, qeff_result **out);

/** Free a result. NULL is a no-op. Not while another thread reads it. */
QEFF_API void qeff_result_free(qeff_result *result);

/** Why a generated row ended. */
typedef enum qeff_finish_reason {
  QEFF_FINISH_NONE = 0,      /**< still open (never in a finished result) */
  QEFF_FINISH_EOS = 1,       /**< an end-of-sequence token (kept in the tokens) */
  QEFF_FINISH_LENGTH = 2,    /**< "generate.max_new_tokens" (or generation_config's limit) */
  QEFF_FINISH_STOP = 3,      /**< a stop string (the text ends before it) */
  QEFF_FINISH_CONTEXT = 4,   /**< prompt + generated tokens filled the compiled ctx_len */
  QEFF_FINISH_CANCELLED = 5  /**< cancelled (qeff_stream_cancel, the callback, or a qeff_cancel token) */
} qeff_finish_reason;

/**
 * Causal LMs: the generated text of row `row` (UTF-8, `*length` bytes, also
 * NUL-terminated; special tokens left out unless "generate.skip_special_tokens"
 * is false; cut before a stop string), owned by the result. QEFF_E_NOT_FOUND
 * for a result of another task, QEFF_E_INVALID_ARGUMENT for a row out of range.
 */
QEFF_API qeff_status qeff_result_text(const qeff_result *result, size_t row, const char **text,
                                      size_t *length);

/** Causal LMs: the generated token ids of row `row` (an EOS that ended it included), owned by the result. */
QEFF_API qeff_status qeff_result_tokens(const qeff_result *result, size_t row, const int32_t **ids,
                                        size_t *count);

/** Causal LMs: why row `row` ended. */
QEFF_API qeff_status qeff_result_finish_reason(const qeff_result *result, size_t row,
                                               qeff_finish_reason *out);

/**
 * Streaming callback: row `row` produced token `token` (-1 for the text
 * released when the row ends) and gained `text` (`length` bytes of UTF-8,
 * possibly empty while a multi-byte character or a possible stop string is
 * held back; not NUL-terminated, valid during the call). `row_finished` is 1
 * on the row's last event. The concatenation of a row's texts equals its
 * final text. Return 0 to continue, anything else to cancel. Must not throw
 * or longjmp (see "Callbacks" at the top of this header).
 */
typedef int (*qeff_stream_fn)(size_t row, int32_t token, const char *text, size_t length,
                              int row_finished, void *payload);

/**
 * qeff_generate on a causal-LM program, calling `fn` on the calling thread for
 * every token of every row as it is produced. Returns what qeff_generate
 * returns, or QEFF_E_CANCELLED (and no result) when `fn` asked to stop; the
 * program and its sessions stay usable. Thread-safe as qeff_generate.
 */
QEFF_API qeff_status qeff_generate_stream(const qeff_program *program, const qeff_request *request,
                                          const qeff_options *options, qeff_stream_fn fn,
                                          void *payload, qeff_result **out);

/** A pull iterator over a causal-LM generation (qeff_stream_create). */
typedef struct qeff_stream qeff_stream;

/** One event of a stream; see qeff_stream_fn for the fields. */
typedef struct qeff_stream_event {
  int has_event;     /**< 0: the stream has ended (the other fields are unset) */
  size_t row;
  int32_t token;
  const char *text;  /**< NUL-terminated, valid until the next call on the stream */
  size_t length;
  int row_finished;
} qeff_stream_event;

/**
 * Start a generation to be pulled with qeff_stream_next. Validates and
 * tokenizes the request (the same errors as qeff_generate); nothing runs until
 * the first qeff_stream_next. The stream keeps what it needs of the program
 * and request: either may be freed first. `out` receives a new stream owned by
 * the caller (qeff_stream_free). Thread-safe as qeff_generate (one session per stream).
 */
QEFF_API qeff_status qeff_stream_create(const qeff_program *program, const qeff_request *request,
                                        const qeff_options *options, qeff_stream **out);

/**
 * The next event: runs the model as needed (one prefill chunk or decode step
 * at a time). At the end `event->has_event` is 0 (and stays 0). After
 * qeff_stream_cancel (or qeff_cancel_request on a token in the options the
 * stream was created with) the open rows end as QEFF_FINISH_CANCELLED and the
 * call that notices returns QEFF_E_CANCELLED once; later calls report the end.
 * One call at a time per stream: a call made while another thread is in
 * qeff_stream_next or qeff_stream_result on the same stream returns
 * QEFF_E_BUSY (no event is consumed). Different streams run concurrently.
 */
QEFF_API qeff_status qeff_stream_next(qeff_stream *stream, qeff_stream_event *event);

/**
 * Ask the stream to stop; thread-safe (may be called while another thread is in
 * qeff_stream_next). Returns QEFF_OK (QEFF_E_INVALID_HANDLE for NULL).
 * Before the first qeff_stream_next: no model run is made; the next calls give
 * one event per row (token -1, empty text, row_finished 1), then
 * QEFF_E_CANCELLED once, then the end; every row finishes as
 * QEFF_FINISH_CANCELLED. During the generation: the open rows finish as
 * QEFF_FINISH_CANCELLED at the next step. Once the generation has ended (every
 * row finished, even with events not yet pulled): a no-op, the finish reasons
 * and the remaining events are unchanged and no QEFF_E_CANCELLED is reported.
 * Calling it again is a no-op.
 */
QEFF_API qeff_status qeff_stream_cancel(qeff_stream *stream);

/**
 * The result of a stream whose generation has ended (new, owned by the
 * caller; what was generated, also after a cancel). The generation ends when
 * every row has finished; the result is then complete even if qeff_stream_next
 * still holds events not yet pulled. QEFF_E_STATE while a row is still
 * generating; QEFF_E_BUSY while another thread is in qeff_stream_next or
 * qeff_stream_result on the stream.
 */
QEFF_API qeff_status qeff_stream_result(const qeff_stream *stream, qeff_result **out);

/** Free a stream (cancels it). NULL is a no-op. Not while another thread uses it. */
QEFF_API void qeff_stream_free(qeff_stream *stream);

/** Number of rows of the result (the request's rows). */
QEFF_API qeff_status qeff_result_num_rows(const qeff_result *result, size_t *out);

/**
 * The pooled embeddings: `*data` receives a row-major [rows, dim] float32
 * matrix owned by the result (valid until qeff_result_free); `rows`/`dim` may
 * be NULL. QEFF_E_NOT_FOUND when the result has none (a sequence-classification
 * program: use qeff_result_scores; pooling "none": use
 * qeff_result_token_embeddings).
 */
QEFF_API qeff_status qeff_result_embeddings(const qeff_result *result, const float **data, size_t *rows,
                                            size_t *dim);

/**
 * The logits of a sequence-classification program (rerankers: one score per
 * row): row-major [rows, num_labels] float32 owned by the result.
 * QEFF_E_NOT_FOUND for other programs.
 */
QEFF_API qeff_status qeff_result_scores(const qeff_result *result, const float **data, size_t *rows,
                                        size_t *num_labels);

/**
 * Pooling "none": the token embeddings of row `row`, [tokens, dim] float32
 * (only the row's real tokens, never padding) owned by the result.
 * QEFF_E_INVALID_ARGUMENT for a row out of range, QEFF_E_NOT_FOUND when the
 * program pools.
 */
QEFF_API qeff_status qeff_result_token_embeddings(const qeff_result *result, size_t row,
                                                  const float **data, size_t *tokens, size_t *dim);

/** Tokens row `row` was run with (special tokens included, after truncation; the prompt for causal LMs). */
QEFF_API qeff_status qeff_result_num_tokens(const qeff_result *result, size_t row, size_t *out);

/**
 * One statistic by name. Embeddings: "rows", "batches", "tokens" (real),
 * "padded_tokens" (slots run, padding included), "truncated_rows",
 * "tokenize_ms", "compute_ms", "total_ms", "rows_per_s". Causal LMs: "rows",
 * "groups", "prompt_tokens", "generated_tokens", "truncated_rows",
 * "prefill_runs", "decode_runs", "tokenize_ms", "ttft_ms" (start to the first
 * generated token), "prefill_ms", "decode_ms", "total_ms",
 * "prefill_tokens_per_s", "decode_tokens_per_s". QEFF_E_NOT_FOUND for another
 * name.
 */
QEFF_API qeff_status qeff_result_stat(const qeff_result *result, const char *name, double *out);

/** Every statistic as one JSON object, owned by the result. */
QEFF_API qeff_status qeff_result_stats_json(const qeff_result *result, const char **out);

/**
 * Create an empty request. `out` receives a new request owned by the caller
 * (qeff_request_free). Returns QEFF_OK, QEFF_E_INVALID_ARGUMENT or QEFF_E_OOM.
 * A request must not be modified while a call uses it.
 */
QEFF_API qeff_status qeff_request_create(qeff_request **out);

/** Free a request. NULL is a no-op. Not while a call on another thread uses it
 * (streams keep what they need: a request may be freed after qeff_stream_create). */
QEFF_API void qeff_request_free(qeff_request *request);

/**
 * Append one text (UTF-8, `length` bytes, may contain NUL; copied) as a new batch
 * row. Returns QEFF_OK, QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (text NULL
 * with length > 0, invalid UTF-8, or the request already holds token rows),
 * QEFF_E_LIMIT ("limits.input_bytes").
 */
QEFF_API qeff_status qeff_request_add_text(qeff_request *request, const char *text,
                                           size_t length);

/**
 * Append one sequence of token ids (copied) as a new batch row. Returns QEFF_OK,
 * QEFF_E_INVALID_HANDLE, QEFF_E_INVALID_ARGUMENT (ids NULL with count > 0, a
 * negative id, or the request already holds text rows).
 */
QEFF_API qeff_status qeff_request_add_tokens(qeff_request *request, const int32_t *ids,
                                             size_t count);

/**
 * Append a text pair (a query and a document, for rerankers) as a new batch
 * row; the tokenizer encodes it as a pair (e.g. [CLS] a [SEP] b [SEP] with
 * token types). Same rules and status codes as qeff_request_add_text.
 */
QEFF_API qeff_status qeff_request_add_text_pair(qeff_request *request, const char *first,
                                                size_t first_length, const char *second,
                                                size_t second_length);

/** Number of rows in the request. */
QEFF_API qeff_status qeff_request_num_rows(const qeff_request *request, size_t *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* QEFF_QEFF_H */
