/*
 * Python typemaps for bindings/qeff.i (the raw layer, module qeff.capi).
 *
 * The idiomatic package (bindings/python/qeff/*.py) calls these functions;
 * users normally do not. Catalogue of every typemap and its ownership rule:
 *
 *  status    qeff_status return            -> None, or raises the qeff.QeffError
 *                                             subclass of the status; code and
 *                                             message are read right after the
 *                                             call, in the same wrapper (same OS
 *                                             thread, no qeff call in between).
 *  handles   qeff_x **out / **outputs      -> a new, NOT owning pointer object:
 *                                             the Python class that receives it
 *                                             frees it exactly once.
 *  strings   const char **out/name/...     -> str (copied; the C string is borrowed).
 *            (const char **, size_t *len)  -> str of exactly len bytes (embedded
 *                                             NUL kept), copied.
 *            (char **out, size_t *len)     -> str; the owned C string is freed
 *                                             with qeff_string_free here.
 *  text in   (const char *, size_t)        -> str (UTF-8) or bytes-like; the bytes
 *                                             are borrowed for the call only (NUL kept).
 *  C strings const char * (paths, keys, values, token strings, names) -> str
 *                                             (UTF-8) or bytes, borrowed; C reads
 *                                             them up to a NUL, so a NUL inside
 *                                             raises ValueError("embedded null
 *                                             character in <parameter>").
 *            (const char *const *, const size_t *, size_t) -> sequence of str/bytes.
 *  ints in   (const int32_t *, size_t) / (const int64_t *, size_t)
 *                                          -> any sequence of ints (list, NumPy).
 *  ints out  int64_t, size_t, int32_t, int, double and enum out parameters -> int/float.
 *            (const int32_t **ids, size_t *count) -> list[int] (copied).
 *            encoding rows and offsets     -> (ids, mask) / list of pairs (copied).
 *  floats    (const float **data, size_t *a, size_t *b) -> (bytearray, a, b): a
 *                                             copy that NumPy wraps without
 *                                             another copy (numpy.frombuffer).
 *  bytes     (const void **data, size_t *nbytes) -> bytes (copied);
 *            (const void *data, size_t nbytes)   -> any C-contiguous buffer.
 *  ignored   qeff_string_free (the typemaps free owned strings).
 *  event     qeff_stream_event *event      -> None at the end, else the tuple
 *                                             (row, token, text, row_finished).
 *  Ctrl-C    qeff_py_interrupt_* (qeff_interrupt.i): the helpers that make a
 *                                             long call of the main thread
 *                                             cancellable by SIGINT (qeff/_interrupt.py).
 *
 * The module is built with threads="1": every wrapped call releases the GIL
 * while the C function runs; conversions above run with the GIL held.
 */

%{
#include <string.h>

/* Raise the qeff.QeffError subclass for `status` with the calling thread's
 * last error message. Must run right after the failed qeff call. */
static void qeff_py_raise(qeff_status status) {
  const char *raw = qeff_last_error_message();
  PyObject *message = PyUnicode_DecodeUTF8(raw, (Py_ssize_t)strlen(raw), "replace");
  PyObject *module = message ? PyImport_ImportModule("qeff._errors") : NULL;
  PyObject *error = NULL;
  if (module) {
    error = PyObject_CallMethod(module, "_from_status", "iO", (int)status, message);
    Py_DECREF(module);
  }
  if (error) {
    PyErr_SetObject((PyObject *)Py_TYPE(error), error);
    Py_DECREF(error);
  } else if (!PyErr_Occurred()) {
    PyErr_Format(PyExc_RuntimeError, "qeff error %d", (int)status);
  }
  Py_XDECREF(message);
}

/* A borrowed UTF-8 view of a str or bytes-like object (NUL allowed inside). */
typedef struct qeff_py_text {
  const char *data;
  size_t length;
  Py_buffer view; /* held when the object is a buffer */
  int has_view;
} qeff_py_text;

static int qeff_py_text_get(PyObject *obj, qeff_py_text *out) {
  out->has_view = 0;
  out->data = NULL;
  out->length = 0;
  if (PyUnicode_Check(obj)) {
    Py_ssize_t n = 0;
    const char *s = PyUnicode_AsUTF8AndSize(obj, &n); /* cached by the str object */
    if (!s) return -1;
    out->data = s;
    out->length = (size_t)n;
    return 0;
  }
  if (PyObject_GetBuffer(obj, &out->view, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError, "expected str or bytes, got %s", Py_TYPE(obj)->tp_name);
    return -1;
  }
  out->has_view = 1;
  out->data = (const char *)out->view.buf;
  out->length = (size_t)out->view.len;
  return 0;
}

static void qeff_py_text_release(qeff_py_text *text) {
  if (text->has_view) PyBuffer_Release(&text->view);
  text->has_view = 0;
}

/* A C string argument: str (as UTF-8) or bytes, borrowed from the object (the
 * caller's reference keeps it alive during the call); None passes NULL, which
 * the library refuses naming the parameter. C reads it up to the first NUL,
 * so a NUL inside would silently cut it: ValueError naming the parameter
 * (and `which` one, when given). */
static int qeff_py_cstring(PyObject *obj, const char *parameter, const char *which, const char **out) {
  const char *data = NULL;
  Py_ssize_t n = 0;
  *out = NULL;
  if (obj == Py_None) return 0;
  if (PyUnicode_Check(obj)) {
    data = PyUnicode_AsUTF8AndSize(obj, &n); /* cached by the str object */
    if (!data) return -1;
  } else if (PyBytes_Check(obj)) {
    data = PyBytes_AS_STRING(obj);
    n = PyBytes_GET_SIZE(obj);
  } else {
    PyErr_Format(PyExc_TypeError, "%s%s%s%s must be str or bytes, not %.200s", parameter, which ? " '" : "",
                 which ? which : "", which ? "'" : "", Py_TYPE(obj)->tp_name);
    return -1;
  }
  if (memchr(data, 0, (size_t)n) != NULL) {
    PyErr_Format(PyExc_ValueError, "embedded null character in %s%s%s%s", parameter, which ? " '" : "",
                 which ? which : "", which ? "'" : "");
    return -1;
  }
  *out = data;
  return 0;
}

static PyObject *qeff_py_str(const char *data, size_t length) {
  if (!data) return PyUnicode_FromStringAndSize("", 0);
  return PyUnicode_DecodeUTF8(data, (Py_ssize_t)length, "surrogateescape");
}

/* A sequence of Python ints copied into a new int64 array (free with PyMem_Free). */
static int qeff_py_int_array(PyObject *obj, int64_t **out, size_t *count, int64_t lo, int64_t hi) {
  PyObject *seq = PySequence_Fast(obj, "expected a sequence of integers");
  Py_ssize_t n, i;
  *out = NULL;
  *count = 0;
  if (!seq) return -1;
  n = PySequence_Fast_GET_SIZE(seq);
  *out = (int64_t *)PyMem_Malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
  if (!*out) {
    Py_DECREF(seq);
    PyErr_NoMemory();
    return -1;
  }
  for (i = 0; i < n; ++i) {
    PyObject *index = PyNumber_Index(PySequence_Fast_GET_ITEM(seq, i));
    long long v = index ? PyLong_AsLongLong(index) : -1;
    Py_XDECREF(index);
    if (PyErr_Occurred() || v < lo || v > hi) {
      if (!PyErr_Occurred())
        PyErr_Format(PyExc_OverflowError, "item %zd (%lld) is out of range", i, v);
      PyMem_Free(*out);
      *out = NULL;
      Py_DECREF(seq);
      return -1;
    }
    (*out)[i] = (int64_t)v;
  }
  Py_DECREF(seq);
  *count = (size_t)n;
  return 0;
}

static PyObject *qeff_py_int32_list(const int32_t *data, size_t count) {
  PyObject *list = PyList_New((Py_ssize_t)count);
  size_t i;
  if (!list) return NULL;
  for (i = 0; i < count; ++i) {
    PyObject *v = PyLong_FromLong((long)data[i]);
    if (!v) {
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, v);
  }
  return list;
}
%}

/* ---- status codes ------------------------------------------------------ */

%typemap(out) qeff_status {
  if ($1 != QEFF_OK) {
    qeff_py_raise($1);
    SWIG_fail;
  }
  $result = SWIG_Py_Void();
}
/* The two functions that return a status as data, not as an outcome. */
%typemap(out) qeff_status qeff_last_error_code "$result = PyLong_FromLong((long)$1);"

/* ---- new handles --------------------------------------------------------- */

%typemap(in, numinputs=0) SWIGTYPE **out ($*1_ltype temp = NULL), SWIGTYPE **outputs ($*1_ltype temp = NULL) "$1 = ($1_ltype)&temp;"
%typemap(argout) SWIGTYPE **out, SWIGTYPE **outputs {
  $result = SWIG_Python_AppendOutput($result, SWIG_NewPointerObj(SWIG_as_voidptr(temp$argnum), $*1_descriptor, 0));
}

/* ---- strings out ------------------------------------------------------- */

%typemap(in, numinputs=0) const char **OUT_STR (const char *temp = NULL) "$1 = ($1_ltype)&temp;"
%typemap(argout) const char **OUT_STR {
  $result = SWIG_Python_AppendOutput($result, qeff_py_str(temp$argnum, temp$argnum ? strlen(temp$argnum) : 0));
}
%apply const char **OUT_STR { const char **out, const char **name, const char **description };

%typemap(in, numinputs=0) (const char **OUT_TEXT, size_t *OUT_LEN) (const char *temp = NULL, size_t len = 0)
  "$1 = ($1_ltype)&temp; $2 = &len;"
%typemap(argout) (const char **OUT_TEXT, size_t *OUT_LEN) {
  $result = SWIG_Python_AppendOutput($result, qeff_py_str(temp$argnum, len$argnum));
}
%apply (const char **OUT_TEXT, size_t *OUT_LEN) {
  (const char **text, size_t *length), (const char **piece, size_t *length), (const char **out, size_t *length) };

%typemap(in, numinputs=0) (char **out, size_t *out_length) (char *temp = NULL, size_t len = 0)
  "$1 = ($1_ltype)&temp; $2 = &len;"
%typemap(argout) (char **out, size_t *out_length) {
  PyObject *text = qeff_py_str(temp$argnum, len$argnum);
  qeff_string_free(temp$argnum);
  temp$argnum = NULL;
  if (!text) SWIG_fail;
  $result = SWIG_Python_AppendOutput($result, text);
}
%typemap(freearg) (char **out, size_t *out_length) "qeff_string_free(temp$argnum);"

/* ---- C strings in (no length: C reads up to the first NUL) ----------------- */

%typemap(in) const char * {
  const char *view = NULL;
  if (qeff_py_cstring($input, "$1_name", NULL, &view) != 0) SWIG_fail;
  $1 = ($1_ltype)view;
}
%typemap(freearg) const char * ""
%typemap(typecheck, precedence=SWIG_TYPECHECK_STRING) const char *
  "$1 = $input == Py_None || PyUnicode_Check($input) || PyBytes_Check($input);"
/* An option value names its option: the key is the argument before it in both
 * functions that take one (qeff_options_set, qeff_options_set_string), and
 * SWIG has converted it already (arg2). */
%typemap(in) const char *value {
  const char *view = NULL;
  if (qeff_py_cstring($input, "the value of option", arg2, &view) != 0) SWIG_fail;
  $1 = ($1_ltype)view;
}

/* ---- text in ----------------------------------------------------------- */

%typemap(in) (const char *TEXT, size_t LENGTH) (qeff_py_text view = {NULL, 0}) {
  if (qeff_py_text_get($input, &view) != 0) SWIG_fail;
  $1 = (char *)view.data;
  $2 = view.length;
}
%typemap(freearg) (const char *TEXT, size_t LENGTH) "qeff_py_text_release(&view$argnum);"
%typemap(typecheck) (const char *TEXT, size_t LENGTH) "$1 = PyUnicode_Check($input) || PyObject_CheckBuffer($input);"
%apply (const char *TEXT, size_t LENGTH) {
  (const char *text, size_t length), (const char *first, size_t first_length),
  (const char *second, size_t second_length) };

%typemap(in) (const char *const *texts, const size_t *lengths, size_t count)
    (qeff_py_text *views = NULL, Py_ssize_t n = 0, PyObject *seq = NULL) {
  /* `seq` owns the items (a new list when the input is an iterator): it is
   * kept until freearg, as the views borrow from its items. */
  Py_ssize_t i, size;
  seq = PySequence_Fast($input, "expected a sequence of str or bytes");
  if (!seq) SWIG_fail;
  size = PySequence_Fast_GET_SIZE(seq);
  views = (qeff_py_text *)PyMem_Calloc((size_t)(size > 0 ? size : 1), sizeof(qeff_py_text));
  $1 = ($1_ltype)PyMem_Calloc((size_t)(size > 0 ? size : 1), sizeof(char *));
  $2 = ($2_ltype)PyMem_Calloc((size_t)(size > 0 ? size : 1), sizeof(size_t));
  $3 = (size_t)size;
  if (!views || !$1 || !$2) {
    PyErr_NoMemory();
    SWIG_fail;
  }
  for (i = 0; i < size; ++i) {
    if (qeff_py_text_get(PySequence_Fast_GET_ITEM(seq, i), &views[i]) != 0) SWIG_fail;
    n = i + 1; /* views taken so far, released in freearg */
    ((const char **)$1)[i] = views[i].data;
    ((size_t *)$2)[i] = views[i].length;
  }
}
%typemap(freearg) (const char *const *texts, const size_t *lengths, size_t count) {
  Py_ssize_t i;
  for (i = 0; views$argnum && i < n$argnum; ++i) qeff_py_text_release(&views$argnum[i]);
  PyMem_Free(views$argnum);
  PyMem_Free((void *)$1);
  PyMem_Free((void *)$2);
  Py_XDECREF(seq$argnum);
}

/* ---- integer arrays in ---------------------------------------------------- */

%typemap(in) (const int32_t *ids, size_t count) (int64_t *values = NULL) {
  size_t i, n = 0;
  if (qeff_py_int_array($input, &values, &n, INT32_MIN, INT32_MAX) != 0) SWIG_fail;
  for (i = 0; i < n; ++i) ((int32_t *)values)[i] = (int32_t)values[i]; /* narrow in place */
  $1 = (int32_t *)values;
  $2 = n;
}
%typemap(freearg) (const int32_t *ids, size_t count) "PyMem_Free(values$argnum);"

%typemap(in) (const int64_t *INT64S, size_t COUNT) (int64_t *values = NULL) {
  if (qeff_py_int_array($input, &values, &$2, INT64_MIN, INT64_MAX) != 0) SWIG_fail;
  $1 = values;
}
%typemap(freearg) (const int64_t *INT64S, size_t COUNT) "PyMem_Free(values$argnum);"
%apply (const int64_t *INT64S, size_t COUNT) { (const int64_t *values, size_t count),
                                               (const int64_t *shape, size_t rank) };

/* ---- scalars out ------------------------------------------------------- */

%define QEFF_OUT_INT(TYPE, NAME)
%typemap(in, numinputs=0) TYPE *NAME (TYPE temp = 0) "$1 = ($1_ltype)&temp;"
%typemap(argout) TYPE *NAME "$result = SWIG_Python_AppendOutput($result, PyLong_FromLongLong((long long)temp$argnum));";
%enddef
QEFF_OUT_INT(int64_t, out)
QEFF_OUT_INT(int32_t, out)
QEFF_OUT_INT(size_t, out)
QEFF_OUT_INT(size_t, index)
QEFF_OUT_INT(size_t, rank)
QEFF_OUT_INT(qeff_task, out)
QEFF_OUT_INT(qeff_dtype, out)
QEFF_OUT_INT(qeff_dtype, dtype)
QEFF_OUT_INT(qeff_finish_reason, out)
QEFF_OUT_INT(qeff_option_type, type)
QEFF_OUT_INT(int, out)  /* qeff_cancel_is_requested */

%typemap(in, numinputs=0) double *out (double temp = 0) "$1 = ($1_ltype)&temp;"
%typemap(argout) double *out "$result = SWIG_Python_AppendOutput($result, PyFloat_FromDouble(temp$argnum));";

/* ---- arrays out -------------------------------------------------------- */

/* qeff_model_tensor_info: rank and the dims (up to limits.tensor_rank's maximum, 64). */
%typemap(in, numinputs=0) (size_t *rank, int64_t *dims, size_t dims_capacity)
    (size_t temp_rank = 0, int64_t temp_dims[64]) "$1 = &temp_rank; $2 = temp_dims; $3 = 64;"
%typemap(argout) (size_t *rank, int64_t *dims, size_t dims_capacity) {
  size_t i, n = temp_rank$argnum < 64 ? temp_rank$argnum : 64;
  PyObject *shape = PyTuple_New((Py_ssize_t)n);
  if (!shape) SWIG_fail;
  for (i = 0; i < n; ++i) PyTuple_SET_ITEM(shape, (Py_ssize_t)i, PyLong_FromLongLong((long long)temp_dims$argnum[i]));
  $result = SWIG_Python_AppendOutput($result, shape);
}

/* qeff_tensors_shape: the caller passes the capacity (the rank from qeff_tensors_info). */
%typemap(in) (int64_t *shape, size_t capacity) (int64_t *dims = NULL, size_t n = 0) {
  n = PyLong_AsSize_t($input);
  if (PyErr_Occurred()) SWIG_fail;
  dims = (int64_t *)PyMem_Calloc(n > 0 ? n : 1, sizeof(int64_t));
  if (!dims) { PyErr_NoMemory(); SWIG_fail; }
  $1 = dims;
  $2 = n;
}
%typemap(argout) (int64_t *shape, size_t capacity) {
  size_t i;
  PyObject *shape = PyTuple_New((Py_ssize_t)n$argnum);
  if (!shape) SWIG_fail;
  for (i = 0; i < n$argnum; ++i) PyTuple_SET_ITEM(shape, (Py_ssize_t)i, PyLong_FromLongLong((long long)dims$argnum[i]));
  $result = SWIG_Python_AppendOutput($result, shape);
}
%typemap(freearg) (int64_t *shape, size_t capacity) "PyMem_Free(dims$argnum);"

%typemap(in, numinputs=0) (const int32_t **ids, size_t *count) (const int32_t *temp = NULL, size_t n = 0)
  "$1 = ($1_ltype)&temp; $2 = &n;"
%typemap(argout) (const int32_t **ids, size_t *count) {
  PyObject *list = qeff_py_int32_list(temp$argnum, n$argnum);
  if (!list) SWIG_fail;
  $result = SWIG_Python_AppendOutput($result, list);
}

%typemap(in, numinputs=0) (const int32_t **ids, const int32_t **attention_mask, size_t *length)
    (const int32_t *ids = NULL, const int32_t *mask = NULL, size_t n = 0) "$1 = ($1_ltype)&ids; $2 = ($2_ltype)&mask; $3 = &n;"
%typemap(argout) (const int32_t **ids, const int32_t **attention_mask, size_t *length) {
  PyObject *a = qeff_py_int32_list(ids$argnum, n$argnum);
  PyObject *b = a ? qeff_py_int32_list(mask$argnum, n$argnum) : NULL;
  if (!b) { Py_XDECREF(a); SWIG_fail; }
  /* One tuple: AppendOutput would merge a list output into the next one. */
  $result = SWIG_Python_AppendOutput($result, Py_BuildValue("(NN)", a, b));
}

%typemap(in, numinputs=0) (const size_t **offsets, size_t *length) (const size_t *temp = NULL, size_t n = 0)
  "$1 = ($1_ltype)&temp; $2 = &n;"
%typemap(argout) (const size_t **offsets, size_t *length) {
  size_t i;
  PyObject *list = PyList_New((Py_ssize_t)n$argnum);
  if (!list) SWIG_fail;
  for (i = 0; i < n$argnum; ++i)
    PyList_SET_ITEM(list, (Py_ssize_t)i, Py_BuildValue("(nn)", (Py_ssize_t)temp$argnum[2 * i], (Py_ssize_t)temp$argnum[2 * i + 1]));
  $result = SWIG_Python_AppendOutput($result, list);
}

%typemap(in, numinputs=0) (const float **FLOATS, size_t *ROWS, size_t *COLS)
    (const float *temp = NULL, size_t rows = 0, size_t cols = 0) "$1 = ($1_ltype)&temp; $2 = &rows; $3 = &cols;"
%typemap(argout) (const float **FLOATS, size_t *ROWS, size_t *COLS) {
  PyObject *buf = PyByteArray_FromStringAndSize((const char *)temp$argnum,
                                                (Py_ssize_t)(rows$argnum * cols$argnum * sizeof(float)));
  if (!buf) SWIG_fail;
  $result = SWIG_Python_AppendOutput($result, buf);
  $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(rows$argnum));
  $result = SWIG_Python_AppendOutput($result, PyLong_FromSize_t(cols$argnum));
}
%apply (const float **FLOATS, size_t *ROWS, size_t *COLS) {
  (const float **data, size_t *rows, size_t *dim), (const float **data, size_t *rows, size_t *num_labels),
  (const float **data, size_t *tokens, size_t *dim) };

/* ---- raw bytes (named tensors) --------------------------------------------- */

%typemap(in, numinputs=0) (const void **data, size_t *nbytes) (const void *temp = NULL, size_t n = 0)
  "$1 = ($1_ltype)&temp; $2 = &n;"
%typemap(argout) (const void **data, size_t *nbytes) {
  PyObject *bytes = PyBytes_FromStringAndSize(temp$argnum ? (const char *)temp$argnum : "", (Py_ssize_t)n$argnum);
  if (!bytes) SWIG_fail;
  $result = SWIG_Python_AppendOutput($result, bytes);
}

%typemap(in) (const void *data, size_t nbytes) (Py_buffer view, int has_view = 0) {
  if (PyObject_GetBuffer($input, &view, PyBUF_C_CONTIGUOUS) != 0) SWIG_fail;
  has_view = 1;
  $1 = view.buf;
  $2 = (size_t)view.len;
}
%typemap(freearg) (const void *data, size_t nbytes) "if (has_view$argnum) PyBuffer_Release(&view$argnum);"

/* ---- stream events ------------------------------------------------------- */

%typemap(in, numinputs=0) qeff_stream_event *event (qeff_stream_event temp) {
  memset(&temp, 0, sizeof temp);
  $1 = &temp;
}
%typemap(argout) qeff_stream_event *event {
  PyObject *item;
  if (!temp$argnum.has_event) {
    item = SWIG_Py_Void();
  } else {
    PyObject *text = qeff_py_str(temp$argnum.text, temp$argnum.length);
    if (!text) SWIG_fail;
    item = Py_BuildValue("(niNO)", (Py_ssize_t)temp$argnum.row, (int)temp$argnum.token, text,
                         temp$argnum.row_finished ? Py_True : Py_False);
    if (!item) SWIG_fail;
  }
  $result = SWIG_Python_AppendOutput($result, item);
}

/* The event struct itself is only reached through the typemap above. */
%ignore qeff_stream_event;

/* Owned C strings are freed by the typemap that returns them; from Python
 * this would free() a buffer Python owns. */
%ignore qeff_string_free;

/* Ctrl-C during long calls of the main thread. */
%include "qeff_interrupt.i"
