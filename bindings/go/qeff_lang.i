/*
 * Go typemaps for the shared interface bindings/qeff.i (swig -go -cgo
 * -intgosize 64). They shape the generated package (qeff.dev/qeff/internal/capi,
 * SWIG module qeffcapi) so the hand-written package qeff can call every C
 * function with Go values and no second cgo call:
 *
 *  - qeff_status results become capi.Status{Code, Message}: the C side of the
 *    wrapper reads qeff_last_error_message() right after the failed call, in
 *    the same cgo call (a goroutine may move to another OS thread between two
 *    cgo calls, and the message is thread-local).
 *  - `T **` out-handles become *SwigcptrT (a pointer to a Go uintptr the C
 *    call writes once); scalar out-parameters become *int, *int32, *int64,
 *    *float64 (Go memory written during the call, never retained).
 *  - Borrowed strings and arrays (`const char **`, `const int32_t **` + count,
 *    matrices, stream events) are copied into Go memory before the Go wrapper
 *    returns (C allocates a copy inside the call; the Go side copies it into
 *    the Go heap and frees the C copy), so no Go value points into C memory.
 *  - Go strings and slices passed in are read during the call only (the C API
 *    copies them); (pointer, length) pairs keep embedded NULs; a []string
 *    batch pins its strings while C reads them (runtime.Pinner). A plain
 *    `const char *` (SWIG's default: a NUL-terminated copy) would end at a
 *    NUL inside the Go string: package qeff refuses such strings before the
 *    call (cString, ErrInvalidArgument naming the argument).
 *
 * Ownership rule of this layer: handles written to *SwigcptrT are owned by the
 * caller (package qeff frees them exactly once); everything else it returns is
 * Go memory.
 */

%go_import("runtime", "strconv", "strings")

/* The library and its header: pkg-config's qeff.pc (the build's uninstalled
 * one through PKG_CONFIG_PATH; CGO_CFLAGS may add the include directory). */
%insert(cgo_comment_typedefs) %{
#cgo pkg-config: qeff
%}

/* ---- qeff_status: code and thread-local message from the same C call ---- */

%{
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Go string allocated with malloc (NULL when empty), taken over by Go. */
static _gostring_ qeff_go_string(const char *p, size_t n) {
  _gostring_ s;
  s.p = NULL;
  s.n = 0;
  if (p != NULL && n > 0 && (s.p = (char *)malloc(n)) != NULL) {
    memcpy(s.p, p, n);
    s.n = (intgo)n;
  }
  return s;
}

/* "" for QEFF_OK, else "<code>:<message>" with the calling thread's message. */
static _gostring_ qeff_go_status(qeff_status status) {
  _gostring_ s;
  const char *message;
  char head[16];
  size_t h, n;
  s.p = NULL;
  s.n = 0;
  if (status == QEFF_OK) return s;
  message = qeff_last_error_message();
  n = strlen(message);
  h = (size_t)snprintf(head, sizeof head, "%d:", (int)status);
  if ((s.p = (char *)malloc(h + n)) == NULL) {
    if ((s.p = (char *)malloc(h)) == NULL) abort(); /* no way to report the status */
    n = 0;
  }
  memcpy(s.p, head, h);
  memcpy(s.p + h, message, n);
  s.n = (intgo)(h + n);
  return s;
}

/* A C copy of `count` elements of `size` bytes as a Go slice header. */
static _goslice_ qeff_go_slice(const void *data, size_t count, size_t size) {
  _goslice_ s;
  s.array = NULL;
  s.len = 0;
  s.cap = 0;
  if (data != NULL && count > 0 && (s.array = malloc(count * size)) != NULL) {
    memcpy(s.array, data, count * size);
    s.len = s.cap = (intgo)count;
  }
  return s;
}

/* Layout of capi.Matrix and capi.StreamEvent (Go: slice, string and int fields). */
typedef struct { _goslice_ data; intgo rows; intgo cols; } qeff_go_matrix;
typedef struct { intgo has_event; intgo row; intgo token; _gostring_ text; intgo row_finished; } qeff_go_event;
%}

%insert(go_wrapper) %{
// Status is the outcome of a wrapped call: Code 0 (QEFF_OK), or a status
// code with the message of the failed call, read inside that same C call.
type Status struct {
	Code    int
	Message string
}

// OK reports whether the call succeeded.
func (s Status) OK() bool { return s.Code == 0 }

// Matrix is a row-major float32 matrix copied out of a result.
type Matrix struct {
	Data []float32
	Rows int
	Cols int
}

// StreamEvent mirrors qeff_stream_event with the text copied into Go memory.
type StreamEvent struct {
	HasEvent    int
	Row         int
	Token       int
	Text        string
	RowFinished int
}

// qeffTakeString copies a string that C allocated into the Go heap and frees the C copy.
func qeffTakeString(s string) string {
	if len(s) == 0 {
		return ""
	}
	r := strings.Clone(s)
	Swig_free(uintptr(unsafe.Pointer(unsafe.StringData(s))))
	return r
}

// qeffTakeSlice copies a slice that C allocated into the Go heap and frees the C copy.
func qeffTakeSlice[T any](s []T) []T {
	if len(s) == 0 {
		return []T{}
	}
	r := make([]T, len(s))
	copy(r, s)
	Swig_free(uintptr(unsafe.Pointer(&s[0])))
	return r
}

func qeffStatus(s string) Status {
	if len(s) == 0 {
		return Status{}
	}
	t := qeffTakeString(s)
	code, msg, _ := strings.Cut(t, ":")
	n, err := strconv.Atoi(code)
	if err != nil {
		return Status{Code: 17, Message: t}
	}
	return Status{Code: n, Message: msg}
}

var _ = runtime.KeepAlive // runtime is used by the []string typemap below
%}

%typemap(gotype) qeff_status "Status"
%typemap(imtype) qeff_status "string"
%typemap(out) qeff_status %{ $result = qeff_go_status($1); %}
%typemap(goout) qeff_status %{ $result = qeffStatus($1) %}

/* A status passed in (qeff_status_name) or read back (qeff_last_error_code)
 * stays a plain int. The thread-local accessors are of little use from Go
 * (a goroutine may change thread between calls) but stay reachable. */
%typemap(gotype) qeff_status status "int"
%typemap(imtype) qeff_status status "int"
%typemap(in) qeff_status status %{ $1 = (qeff_status)$input; %}
%typemap(gotype) qeff_status qeff_last_error_code "int"
%typemap(imtype) qeff_status qeff_last_error_code "int"
%typemap(out) qeff_status qeff_last_error_code %{ $result = (intgo)$1; %}
%typemap(goout) qeff_status qeff_last_error_code ""

/* ---- out-handles: T ** -> *SwigcptrT ---- */

%define QEFF_GO_HANDLE_OUT(CTYPE)
%typemap(gotype) CTYPE ** "*SwigcptrStruct_SS_" #CTYPE
%typemap(imtype) CTYPE ** "*SwigcptrStruct_SS_" #CTYPE
%typemap(in) CTYPE ** %{ $1 = (CTYPE **)$input; %}
%enddef
QEFF_GO_HANDLE_OUT(qeff_options)
QEFF_GO_HANDLE_OUT(qeff_model)
QEFF_GO_HANDLE_OUT(qeff_tokenizer)
QEFF_GO_HANDLE_OUT(qeff_encoding)
QEFF_GO_HANDLE_OUT(qeff_decoder)
QEFF_GO_HANDLE_OUT(qeff_program)
QEFF_GO_HANDLE_OUT(qeff_tensors)
QEFF_GO_HANDLE_OUT(qeff_session)
QEFF_GO_HANDLE_OUT(qeff_request)
QEFF_GO_HANDLE_OUT(qeff_result)
QEFF_GO_HANDLE_OUT(qeff_stream)
QEFF_GO_HANDLE_OUT(qeff_cancel)

/* ---- scalar out-parameters: Go memory written during the call ---- */

%define QEFF_GO_SCALAR_OUT(CTYPE, GOTYPE)
%typemap(gotype) CTYPE * "*" #GOTYPE
%typemap(imtype) CTYPE * "*" #GOTYPE
%typemap(in) CTYPE * %{ $1 = (CTYPE *)$input; %}
%enddef
QEFF_GO_SCALAR_OUT(size_t, int)
QEFF_GO_SCALAR_OUT(int64_t, int64)
QEFF_GO_SCALAR_OUT(int32_t, int32)
QEFF_GO_SCALAR_OUT(double, float64)
QEFF_GO_SCALAR_OUT(qeff_task, int32)
QEFF_GO_SCALAR_OUT(qeff_dtype, int32)
QEFF_GO_SCALAR_OUT(qeff_option_type, int32)
QEFF_GO_SCALAR_OUT(qeff_finish_reason, int32)
/* qeff_cancel_is_requested: only this `int *` (a C int is 32 bits). */
%typemap(gotype) int *out "*int32"
%typemap(imtype) int *out "*int32"
%typemap(in) int *out %{ $1 = (int *)$input; %}

/* ---- borrowed C strings out: copied into Go before the wrapper returns ---- */

%typemap(gotype) const char ** "*string"
%typemap(imtype) const char ** "*string"
%typemap(in) const char ** (const char *temp = NULL) %{ $1 = ($1_ltype)&temp; %}
%typemap(argout) const char ** %{ if ($input) *$input = qeff_go_string(temp$argnum, temp$argnum ? strlen(temp$argnum) : 0); %}
%typemap(goargout) const char ** %{ if $input != nil { *$input = qeffTakeString(*$input) } %}

/* (text, length) out pairs keep embedded NULs. */
%typemap(gotype) (const char **text, size_t *length) "*string"
%typemap(imtype) (const char **text, size_t *length) "*string"
%typemap(in) (const char **text, size_t *length) (const char *temp = NULL, size_t n = 0)
%{ $1 = ($1_ltype)&temp; $2 = &n; %}
%typemap(argout) (const char **text, size_t *length)
%{ if ($input) *$input = qeff_go_string(temp$argnum, n$argnum); %}
%typemap(goargout) (const char **text, size_t *length)
%{ if $input != nil { *$input = qeffTakeString(*$input) } %}
%apply (const char **text, size_t *length) { (const char **out, size_t *length), (const char **piece, size_t *length) };

/* qeff_tokenizer_decode: the owned string is copied and freed in the same call. */
%typemap(gotype) (char **out, size_t *out_length) "*string"
%typemap(imtype) (char **out, size_t *out_length) "*string"
%typemap(in) (char **out, size_t *out_length) (char *temp = NULL, size_t n = 0) %{ $1 = ($1_ltype)&temp; $2 = &n; %}
%typemap(argout) (char **out, size_t *out_length)
%{ if ($input) *$input = qeff_go_string(temp$argnum, n$argnum); qeff_string_free(temp$argnum); %}
%typemap(goargout) (char **out, size_t *out_length) %{ if $input != nil { *$input = qeffTakeString(*$input) } %}
/* Owned strings never reach Go (decode frees its own above). */
%ignore qeff_string_free;

/* ---- borrowed arrays out: copied into Go slices ---- */

%define QEFF_GO_ARRAY_OUT(CTYPE, GOTYPE, PTR, COUNT, FACTOR)
%typemap(gotype) (const CTYPE **PTR, size_t *COUNT) "*[]" #GOTYPE
%typemap(imtype) (const CTYPE **PTR, size_t *COUNT) "*[]" #GOTYPE
%typemap(in) (const CTYPE **PTR, size_t *COUNT) (const CTYPE *temp = NULL, size_t n = 0) %{ $1 = ($1_ltype)&temp; $2 = &n; %}
%typemap(argout) (const CTYPE **PTR, size_t *COUNT)
%{ if ($input) *(_goslice_ *)$input = qeff_go_slice(temp$argnum, n$argnum * FACTOR, sizeof(CTYPE)); %}
%typemap(goargout) (const CTYPE **PTR, size_t *COUNT) %{ if $input != nil { *$input = qeffTakeSlice(*$input) } %}
%enddef
QEFF_GO_ARRAY_OUT(int32_t, int32, ids, count, 1)   /* qeff_result_tokens */
QEFF_GO_ARRAY_OUT(size_t, int, offsets, length, 2) /* qeff_encoding_offsets: [begin, end) pairs */
QEFF_GO_ARRAY_OUT(void, byte, data, nbytes, 1)      /* qeff_tensors_data */
%typemap(argout) (const void **data, size_t *nbytes)
%{ if ($input) *(_goslice_ *)$input = qeff_go_slice(temp$argnum, n$argnum, 1); %}

/* qeff_encoding_row: one slice, the ids followed by the attention mask. */
%typemap(gotype) (const int32_t **ids, const int32_t **attention_mask, size_t *length) "*[]int32"
%typemap(imtype) (const int32_t **ids, const int32_t **attention_mask, size_t *length) "*[]int32"
%typemap(in) (const int32_t **ids, const int32_t **attention_mask, size_t *length)
  (const int32_t *ids = NULL, const int32_t *mask = NULL, size_t n = 0)
%{ $1 = ($1_ltype)&ids; $2 = ($2_ltype)&mask; $3 = &n; %}
%typemap(argout) (const int32_t **ids, const int32_t **attention_mask, size_t *length)
%{
  if ($input && n$argnum > 0 && ids$argnum && mask$argnum) {
    int32_t *both = (int32_t *)malloc(2 * n$argnum * sizeof(int32_t));
    _goslice_ s = {NULL, 0, 0};
    if (both) {
      memcpy(both, ids$argnum, n$argnum * sizeof(int32_t));
      memcpy(both + n$argnum, mask$argnum, n$argnum * sizeof(int32_t));
      s.array = both;
      s.len = s.cap = (intgo)(2 * n$argnum);
    }
    *(_goslice_ *)$input = s;
  }
%}
%typemap(goargout) (const int32_t **ids, const int32_t **attention_mask, size_t *length)
%{ if $input != nil { *$input = qeffTakeSlice(*$input) } %}

/* Matrices (embeddings, scores, token embeddings) -> *Matrix. */
%typemap(gotype) (const float **data, size_t *rows, size_t *dim) "*Matrix"
%typemap(imtype) (const float **data, size_t *rows, size_t *dim) "*Matrix"
%typemap(in) (const float **data, size_t *rows, size_t *dim) (const float *temp = NULL, size_t r = 0, size_t c = 0)
%{ $1 = ($1_ltype)&temp; $2 = &r; $3 = &c; %}
%typemap(argout) (const float **data, size_t *rows, size_t *dim)
%{
  if ($input) {
    qeff_go_matrix *m = (qeff_go_matrix *)$input;
    m->data = qeff_go_slice(temp$argnum, r$argnum * c$argnum, sizeof(float));
    m->rows = (intgo)r$argnum;
    m->cols = (intgo)c$argnum;
  }
%}
%typemap(goargout) (const float **data, size_t *rows, size_t *dim)
%{ if $input != nil { $input.Data = qeffTakeSlice($input.Data) } %}
%apply (const float **data, size_t *rows, size_t *dim) {
  (const float **data, size_t *rows, size_t *num_labels), (const float **data, size_t *tokens, size_t *dim) };

/* qeff_stream_next: the event with its text copied (valid only until the next call in C). */
%ignore qeff_stream_event;
%typemap(gotype) qeff_stream_event *event "*StreamEvent"
%typemap(imtype) qeff_stream_event *event "*StreamEvent"
%typemap(in) qeff_stream_event *event (qeff_stream_event temp) %{ memset(&temp, 0, sizeof temp); $1 = &temp; %}
%typemap(argout) qeff_stream_event *event
%{
  if ($input) {
    qeff_go_event *e = (qeff_go_event *)$input;
    e->has_event = temp$argnum.has_event;
    e->row = (intgo)temp$argnum.row;
    e->token = (intgo)temp$argnum.token;
    e->text = qeff_go_string(temp$argnum.text, temp$argnum.has_event ? temp$argnum.length : 0);
    e->row_finished = temp$argnum.row_finished;
  }
%}
%typemap(goargout) qeff_stream_event *event %{ if $input != nil { $input.Text = qeffTakeString($input.Text) } %}

/* ---- inputs: Go strings and slices read during the call only ---- */

/* (bytes, length) text inputs: embedded NULs survive. */
%typemap(gotype) (const char *text, size_t length) "string"
%typemap(imtype) (const char *text, size_t length) "string"
%typemap(in) (const char *text, size_t length) %{ $1 = ($1_ltype)$input.p; $2 = (size_t)$input.n; %}
%apply (const char *text, size_t length) { (const char *first, size_t first_length), (const char *second, size_t second_length) };

%define QEFF_GO_ARRAY_IN(CTYPE, GOTYPE, PTR, COUNT)
%typemap(gotype) (const CTYPE *PTR, size_t COUNT) "[]" #GOTYPE
%typemap(imtype) (const CTYPE *PTR, size_t COUNT) "[]" #GOTYPE
%typemap(in) (const CTYPE *PTR, size_t COUNT) %{ $1 = ($1_ltype)$input.array; $2 = (size_t)$input.len; %}
%enddef
QEFF_GO_ARRAY_IN(int32_t, int32, ids, count)     /* request_add_tokens, tokenizer_decode */
QEFF_GO_ARRAY_IN(int64_t, int64, values, count)  /* options_set_int_list */
QEFF_GO_ARRAY_IN(int64_t, int64, shape, rank)    /* tensors_set */
QEFF_GO_ARRAY_IN(void, byte, data, nbytes)       /* tensors_set */

/* Caller-sized output arrays (dims, shape): a Go slice C fills. */
%typemap(gotype) (int64_t *dims, size_t dims_capacity) "[]int64"
%typemap(imtype) (int64_t *dims, size_t dims_capacity) "[]int64"
%typemap(in) (int64_t *dims, size_t dims_capacity) %{ $1 = ($1_ltype)$input.array; $2 = (size_t)$input.len; %}
%apply (int64_t *dims, size_t dims_capacity) { (int64_t *shape, size_t capacity) };

/* qeff_tokenizer_encode_batch: []string; the strings are pinned while C reads them. */
%typemap(gotype) (const char *const *texts, const size_t *lengths, size_t count) "[]string"
%typemap(imtype) (const char *const *texts, const size_t *lengths, size_t count) "[]string"
%typemap(goin) (const char *const *texts, const size_t *lengths, size_t count)
%{
	var pin$argnum runtime.Pinner
	defer pin$argnum.Unpin()
	for _, s := range $input[:cap($input)] { // cgocheck looks at the whole backing array
		if len(s) > 0 {
			pin$argnum.Pin(unsafe.StringData(s))
		}
	}
	$result = $input
%}
%typemap(in) (const char *const *texts, const size_t *lengths, size_t count)
%{
  {
    size_t i, n = (size_t)$input.len;
    const _gostring_ *items = (const _gostring_ *)$input.array;
    $1 = ($1_ltype)malloc((n ? n : 1) * sizeof(char *));
    $2 = ($2_ltype)malloc((n ? n : 1) * sizeof(size_t));
    $3 = n;
    if ($1 && $2)
      for (i = 0; i < n; ++i) {
        ((const char **)$1)[i] = items[i].p;
        ((size_t *)$2)[i] = (size_t)items[i].n;
      }
  }
%}
%typemap(freearg) (const char *const *texts, const size_t *lengths, size_t count)
%{ free((void *)$1); free((void *)$2); %}
