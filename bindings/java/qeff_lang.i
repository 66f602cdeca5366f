/*
 * Java typemaps of qeff's SWIG interface (included by bindings/qeff.i).
 *
 * The generated layer (package ai.qeff.internal: QeffNative, QeffNativeJNI,
 * QeffNativeConstants, qeff_stream_event) is a thin, mechanical mirror of
 * qeff.h; the API Java users call is hand-written in bindings/java/src
 * (package ai.qeff). Catalogue of the mappings (C -> Java), with ownership:
 *
 *  qeff_status return    int (always 0): a failure throws ai.qeff.QeffException
 *                        (code + message bytes), built from the status and
 *                        qeff_last_error_message right after the failed call,
 *                        thrown when the native call returns (after out-params
 *                        and temporaries are released, so nothing leaks).
 *                        qeff_last_error_code itself just returns the code.
 *  enums                 int constants (%javaconst(1): no native getters).
 *  qeff_x *, const x *   long: the raw handle; the Java object owning it frees
 *                        it exactly once (ai.qeff.NativeHandle).
 *  qeff_x **out          long[] (one element) receiving a new, caller-owned handle.
 *  T *out (scalars)      T[] (one element); a null or empty array passes NULL.
 *  const char * in       byte[]: UTF-8 bytes, copied with a NUL appended (the
 *                        Java layer rejects strings containing NUL for these,
 *                        and lone surrogates in every string: Utf8.java).
 *  (const char *, size_t) in      byte[]: UTF-8 bytes, copied (NUL allowed).
 *  const char *text[] + lengths   byte[][].
 *  int32/int64 arrays in          int[] / long[] (copied).
 *  const char * return, const char **out  byte[] / byte[][]: borrowed C
 *                        strings copied into Java byte arrays (NUL-terminated:
 *                        strlen), decoded as UTF-8 by the Java layer.
 *  (const char **, size_t *)      byte[][]: `length` bytes copied (NUL kept).
 *  (char **out, size_t *len)      byte[][]: the owned decode string, copied,
 *                        then freed with qeff_string_free here.
 *  borrowed int32 / size_t / float / byte arrays out: copied into int[][],
 *                        long[][], float[][][] (a [rows][dim] matrix), byte[][].
 *
 * JNI's modified UTF-8 (GetStringUTFChars/NewStringUTF) is never used: it
 * breaks 4-byte characters and NUL. meson test java-wrapper-strings checks it.
 */

%{
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A new ai.qeff.QeffException(code, message bytes) holding the calling
 * thread's last error, made right after the failed qeff call (the status
 * typemap throws it at the end of the same native call). NULL when a JNI
 * error (e.g. OutOfMemoryError) is pending instead. */
static jthrowable qeffj_error_new(JNIEnv *jenv, int code) {
  const char *message = qeff_last_error_message();
  jsize n = (jsize)strlen(message);
  jbyteArray bytes;
  jclass cls;
  jmethodID ctor;
  if ((*jenv)->ExceptionCheck(jenv)) return NULL;
  bytes = (*jenv)->NewByteArray(jenv, n);
  if (!bytes) return NULL;
  (*jenv)->SetByteArrayRegion(jenv, bytes, 0, n, (const jbyte *)message);
  cls = (*jenv)->FindClass(jenv, "ai/qeff/QeffException");
  if (!cls) return NULL;
  ctor = (*jenv)->GetMethodID(jenv, cls, "<init>", "(I[B)V");
  if (!ctor) return NULL;
  return (jthrowable)(*jenv)->NewObject(jenv, cls, ctor, (jint)code, bytes);
}

/* A new Java byte[] holding n bytes of p (NULL p: null). */
static jbyteArray qeffj_bytes(JNIEnv *jenv, const char *p, size_t n) {
  jbyteArray a;
  if (!p) return NULL;
  a = (*jenv)->NewByteArray(jenv, (jsize)n);
  if (a && n) (*jenv)->SetByteArrayRegion(jenv, a, 0, (jsize)n, (const jbyte *)p);
  return a;
}

/* holder[0] = value (holder: a one-element array of arrays, may be null). */
static void qeffj_store(JNIEnv *jenv, jobjectArray holder, jobject value) {
  if (holder && (*jenv)->GetArrayLength(jenv, holder) > 0 && !(*jenv)->ExceptionCheck(jenv))
    (*jenv)->SetObjectArrayElement(jenv, holder, 0, value);
}

/* A malloc'd, NUL-terminated copy of a Java byte[] (NULL for null). */
static char *qeffj_cstring(JNIEnv *jenv, jbyteArray a) {
  jsize n;
  char *s;
  if (!a) return NULL;
  n = (*jenv)->GetArrayLength(jenv, a);
  s = (char *)malloc((size_t)n + 1);
  if (!s) return NULL;
  (*jenv)->GetByteArrayRegion(jenv, a, 0, n, (jbyte *)s);
  s[n] = '\0';
  return s;
}

/* A malloc'd copy of a Java primitive array's elements (NULL for null or empty). */
static void *qeffj_copy(JNIEnv *jenv, jarray a, size_t elem, size_t *count) {
  jsize n = a ? (*jenv)->GetArrayLength(jenv, a) : 0;
  void *p;
  *count = (size_t)n;
  if (n == 0) return NULL;
  p = malloc((size_t)n * elem);
  if (!p) return NULL;
  switch (elem) {
    case 1: (*jenv)->GetByteArrayRegion(jenv, (jbyteArray)a, 0, n, (jbyte *)p); break;
    case 4: (*jenv)->GetIntArrayRegion(jenv, (jintArray)a, 0, n, (jint *)p); break;
    default: (*jenv)->GetLongArrayRegion(jenv, (jlongArray)a, 0, n, (jlong *)p); break;
  }
  return p;
}

static int qeffj_has_slot(JNIEnv *jenv, jarray a) {
  return a != NULL && (*jenv)->GetArrayLength(jenv, a) > 0;
}

static jintArray qeffj_ints(JNIEnv *jenv, const int32_t *p, size_t n) {
  jintArray a = (*jenv)->NewIntArray(jenv, (jsize)n);
  if (a && n) (*jenv)->SetIntArrayRegion(jenv, a, 0, (jsize)n, (const jint *)p);
  return a;
}

/* A Java float[rows][cols] from a row-major matrix. */
static jobjectArray qeffj_matrix(JNIEnv *jenv, const float *p, size_t rows, size_t cols) {
  jclass row_class = (*jenv)->FindClass(jenv, "[F");
  jobjectArray m;
  size_t r;
  if (!row_class) return NULL;
  m = (*jenv)->NewObjectArray(jenv, (jsize)rows, row_class, NULL);
  for (r = 0; m && r < rows; ++r) {
    jfloatArray row = (*jenv)->NewFloatArray(jenv, (jsize)cols);
    if (!row) return NULL;
    (*jenv)->SetFloatArrayRegion(jenv, row, 0, (jsize)cols, p + r * cols);
    (*jenv)->SetObjectArrayElement(jenv, m, (jsize)r, row);
    (*jenv)->DeleteLocalRef(jenv, row);
  }
  return m;
}

/* The bytes of a stream event's text (qeff_stream_event.text_bytes()). */
typedef struct qeffj_span {
  const char *data;
  size_t length;
} qeffj_span;
%}

/* Enums are plain int constants, compiled into Java (no native getters, so
 * the throwing qeff_status typemap below cannot fire on them). */
%include "enumtypeunsafe.swg"
%javaconst(1);

/* Freed inside the decode typemap: Java never holds a C-owned string. */
%ignore qeff_string_free;

/* ---- status: throw on failure ------------------------------------------- */
%typemap(out) qeff_status %{
  $result = (jint)$1;
  jthrowable qeffj_error = $1 != QEFF_OK ? qeffj_error_new(jenv, (int)$1) : NULL;
%}
%typemap(ret) qeff_status %{
  if (qeffj_error) (*jenv)->Throw(jenv, qeffj_error);
%}
%typemap(out) qeff_status qeff_last_error_code %{ $result = (jint)$1; %}
%typemap(ret) qeff_status qeff_last_error_code ""

/* ---- handles ------------------------------------------------------------- */
%define QEFFJ_HANDLE(TYPE)
%typemap(jni) TYPE *, const TYPE * "jlong"
%typemap(jtype) TYPE *, const TYPE * "long"
%typemap(jstype) TYPE *, const TYPE * "long"
%typemap(javain) TYPE *, const TYPE * "$javainput"
%typemap(in) TYPE *, const TYPE * %{ $1 = ($1_ltype)(intptr_t)$input; %}
%typemap(jni) TYPE ** "jlongArray"
%typemap(jtype) TYPE ** "long[]"
%typemap(jstype) TYPE ** "long[]"
%typemap(javain) TYPE ** "$javainput"
%typemap(in) TYPE ** (TYPE *temp = NULL) %{ $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL; %}
%typemap(argout) TYPE ** %{
  if ($1) {
    jlong handle = (jlong)(intptr_t)temp$argnum;
    (*jenv)->SetLongArrayRegion(jenv, $input, 0, 1, &handle);
  }
%}
%enddef
QEFFJ_HANDLE(qeff_options)
QEFFJ_HANDLE(qeff_model)
QEFFJ_HANDLE(qeff_tokenizer)
QEFFJ_HANDLE(qeff_encoding)
QEFFJ_HANDLE(qeff_decoder)
QEFFJ_HANDLE(qeff_program)
QEFFJ_HANDLE(qeff_tensors)
QEFFJ_HANDLE(qeff_session)
QEFFJ_HANDLE(qeff_request)
QEFFJ_HANDLE(qeff_result)
QEFFJ_HANDLE(qeff_stream)
QEFFJ_HANDLE(qeff_cancel)

/* ---- scalar out-parameters: one-element arrays --------------------------- */
%define QEFFJ_OUT_SCALAR(CTYPE, JNIARR, JARR, JELEM, SETTER)
%typemap(jni) CTYPE *QOUT #JNIARR
%typemap(jtype) CTYPE *QOUT #JARR
%typemap(jstype) CTYPE *QOUT #JARR
%typemap(javain) CTYPE *QOUT "$javainput"
%typemap(in) CTYPE *QOUT (CTYPE temp) %{
  memset(&temp, 0, sizeof temp);
  $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL;
%}
%typemap(argout) CTYPE *QOUT %{
  if ($1) {
    JELEM value = (JELEM)temp$argnum;
    (*jenv)->SETTER(jenv, $input, 0, 1, &value);
  }
%}
%enddef
QEFFJ_OUT_SCALAR(size_t, jlongArray, long[], jlong, SetLongArrayRegion)
QEFFJ_OUT_SCALAR(int64_t, jlongArray, long[], jlong, SetLongArrayRegion)
QEFFJ_OUT_SCALAR(int32_t, jintArray, int[], jint, SetIntArrayRegion)
QEFFJ_OUT_SCALAR(int, jintArray, int[], jint, SetIntArrayRegion)
QEFFJ_OUT_SCALAR(double, jdoubleArray, double[], jdouble, SetDoubleArrayRegion)
QEFFJ_OUT_SCALAR(qeff_option_type, jintArray, int[], jint, SetIntArrayRegion)
QEFFJ_OUT_SCALAR(qeff_task, jintArray, int[], jint, SetIntArrayRegion)
QEFFJ_OUT_SCALAR(qeff_dtype, jintArray, int[], jint, SetIntArrayRegion)
QEFFJ_OUT_SCALAR(qeff_finish_reason, jintArray, int[], jint, SetIntArrayRegion)
%apply size_t *QOUT { size_t *out, size_t *index, size_t *rank };
%apply int64_t *QOUT { int64_t *out };
%apply int32_t *QOUT { int32_t *out };
%apply int *QOUT { int *out };  /* qeff_cancel_is_requested */
%apply double *QOUT { double *out };
%apply qeff_option_type *QOUT { qeff_option_type *type };
%apply qeff_task *QOUT { qeff_task *out };
%apply qeff_dtype *QOUT { qeff_dtype *out, qeff_dtype *dtype };
%apply qeff_finish_reason *QOUT { qeff_finish_reason *out };

/* ---- strings in ----------------------------------------------------------- */
%typemap(jni) const char * "jbyteArray"
%typemap(jtype) const char * "byte[]"
%typemap(jstype) const char * "byte[]"
%typemap(javain) const char * "$javainput"
%typemap(in) const char * %{ $1 = qeffj_cstring(jenv, $input); %}
%typemap(freearg) const char * %{ free((char *)$1); %}
/* Returned static / borrowed strings (qeff_version, qeff_status_name, ...). */
%typemap(out) const char * %{ $result = qeffj_bytes(jenv, $1, $1 ? strlen($1) : 0); %}
%typemap(javaout) const char * { return $jnicall; }
/* ... except the compile-time version string, a Java constant. */
%typemap(jstype) const char *QEFF_VERSION_STRING "String"

/* Sized UTF-8 in: (text, length); NUL bytes are ordinary characters. */
%typemap(jni) (const char *BYTES, size_t LENGTH) "jbyteArray"
%typemap(jtype) (const char *BYTES, size_t LENGTH) "byte[]"
%typemap(jstype) (const char *BYTES, size_t LENGTH) "byte[]"
%typemap(javain) (const char *BYTES, size_t LENGTH) "$javainput"
%typemap(in) (const char *BYTES, size_t LENGTH) %{ $1 = (char *)qeffj_copy(jenv, $input, 1, &$2); %}
%typemap(freearg) (const char *BYTES, size_t LENGTH) %{ free((char *)$1); %}
%apply (const char *BYTES, size_t LENGTH) {
  (const char *text, size_t length),
  (const char *first, size_t first_length),
  (const char *second, size_t second_length),
  (const void *data, size_t nbytes)
};

/* A batch of texts: byte[][] -> (texts, lengths, count). */
%typemap(jni) (const char *const *texts, const size_t *lengths, size_t count) "jobjectArray"
%typemap(jtype) (const char *const *texts, const size_t *lengths, size_t count) "byte[][]"
%typemap(jstype) (const char *const *texts, const size_t *lengths, size_t count) "byte[][]"
%typemap(javain) (const char *const *texts, const size_t *lengths, size_t count) "$javainput"
%typemap(in) (const char *const *texts, const size_t *lengths, size_t count) {
  jsize n = $input ? (*jenv)->GetArrayLength(jenv, $input) : 0, i;
  char **texts = n ? (char **)calloc((size_t)n, sizeof(char *)) : NULL;
  size_t *lengths = n ? (size_t *)calloc((size_t)n, sizeof(size_t)) : NULL;
  $3 = (texts && lengths) ? (size_t)n : 0;
  for (i = 0; i < (jsize)$3; ++i) {
    jbyteArray item = (jbyteArray)(*jenv)->GetObjectArrayElement(jenv, $input, i);
    texts[i] = (char *)qeffj_copy(jenv, item, 1, &lengths[i]);
    if (item) (*jenv)->DeleteLocalRef(jenv, item);
  }
  $1 = (const char *const *)texts;
  $2 = lengths;
}
%typemap(freearg) (const char *const *texts, const size_t *lengths, size_t count) {
  size_t i;
  for (i = 0; $1 && i < $3; ++i) free((char *)$1[i]);
  free((void *)$1);
  free((void *)$2);
}

/* ---- integer arrays in ---------------------------------------------------- */
%define QEFFJ_IN_ARRAY(CTYPE, JNIARR, JARR, ELEM)
%typemap(jni) (const CTYPE *VALUES, size_t COUNT) #JNIARR
%typemap(jtype) (const CTYPE *VALUES, size_t COUNT) #JARR
%typemap(jstype) (const CTYPE *VALUES, size_t COUNT) #JARR
%typemap(javain) (const CTYPE *VALUES, size_t COUNT) "$javainput"
%typemap(in) (const CTYPE *VALUES, size_t COUNT) %{ $1 = (CTYPE *)qeffj_copy(jenv, $input, ELEM, &$2); %}
%typemap(freearg) (const CTYPE *VALUES, size_t COUNT) %{ free((void *)$1); %}
%enddef
QEFFJ_IN_ARRAY(int64_t, jlongArray, long[], 8)
QEFFJ_IN_ARRAY(int32_t, jintArray, int[], 4)
%apply (const int64_t *VALUES, size_t COUNT) { (const int64_t *values, size_t count), (const int64_t *shape, size_t rank) };
%apply (const int32_t *VALUES, size_t COUNT) { (const int32_t *ids, size_t count) };

/* Dimensions out into a caller array: (dims, capacity) -> long[] (its length
 * is the capacity; null passes NULL). */
%typemap(jni) (int64_t *DIMS, size_t CAPACITY) "jlongArray"
%typemap(jtype) (int64_t *DIMS, size_t CAPACITY) "long[]"
%typemap(jstype) (int64_t *DIMS, size_t CAPACITY) "long[]"
%typemap(javain) (int64_t *DIMS, size_t CAPACITY) "$javainput"
%typemap(in) (int64_t *DIMS, size_t CAPACITY) %{ $1 = (int64_t *)qeffj_copy(jenv, $input, 8, &$2); %}
%typemap(argout) (int64_t *DIMS, size_t CAPACITY) %{
  if ($1) (*jenv)->SetLongArrayRegion(jenv, $input, 0, (jsize)$2, (const jlong *)$1);
%}
%typemap(freearg) (int64_t *DIMS, size_t CAPACITY) %{ free($1); %}
%apply (int64_t *DIMS, size_t CAPACITY) { (int64_t *dims, size_t dims_capacity), (int64_t *shape, size_t capacity) };

/* ---- borrowed strings and arrays out: copied into holder arrays ----------- */
%define QEFFJ_HOLDER(SIG, JTYPE)
%typemap(jni) SIG "jobjectArray"
%typemap(jtype) SIG #JTYPE
%typemap(jstype) SIG #JTYPE
%typemap(javain) SIG "$javainput"
%enddef

/* const char **out (NUL-terminated) -> byte[][] */
QEFFJ_HOLDER(const char **CSTR, byte[][])
%typemap(in) const char **CSTR (const char *temp = NULL) %{ $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL; %}
%typemap(argout) const char **CSTR %{
  if ($1 && temp$argnum) qeffj_store(jenv, $input, qeffj_bytes(jenv, temp$argnum, strlen(temp$argnum)));
%}
%apply const char **CSTR { const char **out, const char **name, const char **description };

/* (const char **text, size_t *length) -> byte[][] of `length` bytes */
QEFFJ_HOLDER((const char **TEXT, size_t *LENGTH), byte[][])
%typemap(in) (const char **TEXT, size_t *LENGTH) (const char *temp = NULL, size_t temp_length = 0) %{
  $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL;
  $2 = &temp_length;
%}
%typemap(argout) (const char **TEXT, size_t *LENGTH) %{
  if ($1 && temp$argnum) qeffj_store(jenv, $input, qeffj_bytes(jenv, temp$argnum, temp_length$argnum));
%}
%apply (const char **TEXT, size_t *LENGTH) {
  (const char **text, size_t *length),
  (const char **out, size_t *length),
  (const char **piece, size_t *length),
  (const void **data, size_t *nbytes)
};

/* The owned string of qeff_tokenizer_decode: copied, then freed here. */
QEFFJ_HOLDER((char **out, size_t *out_length), byte[][])
%typemap(in) (char **out, size_t *out_length) (char *temp = NULL, size_t temp_length = 0) %{
  $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL;
  $2 = &temp_length;
%}
%typemap(argout) (char **out, size_t *out_length) %{
  if ($1 && temp$argnum) qeffj_store(jenv, $input, qeffj_bytes(jenv, temp$argnum, temp_length$argnum));
%}
%typemap(freearg) (char **out, size_t *out_length) %{ qeff_string_free(temp$argnum); %}

/* (const int32_t **ids, size_t *count) -> int[][] */
QEFFJ_HOLDER((const int32_t **ids, size_t *count), int[][])
%typemap(in) (const int32_t **ids, size_t *count) (const int32_t *temp = NULL, size_t temp_count = 0) %{
  $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL;
  $2 = &temp_count;
%}
%typemap(argout) (const int32_t **ids, size_t *count) %{
  if ($1 && !(*jenv)->ExceptionCheck(jenv)) qeffj_store(jenv, $input, qeffj_ints(jenv, temp$argnum, temp_count$argnum));
%}

/* An encoding row: (ids, attention_mask, length) -> int[][] {ids, mask} (two slots). */
QEFFJ_HOLDER((const int32_t **ids, const int32_t **attention_mask, size_t *length), int[][])
%typemap(in) (const int32_t **ids, const int32_t **attention_mask, size_t *length)
    (const int32_t *temp_ids = NULL, const int32_t *temp_mask = NULL, size_t temp_length = 0) %{
  $1 = &temp_ids;
  $2 = &temp_mask;
  $3 = &temp_length;
%}
%typemap(argout) (const int32_t **ids, const int32_t **attention_mask, size_t *length) %{
  if ($input && (*jenv)->GetArrayLength(jenv, $input) >= 2 && !(*jenv)->ExceptionCheck(jenv)) {
    (*jenv)->SetObjectArrayElement(jenv, $input, 0, qeffj_ints(jenv, temp_ids$argnum, temp_length$argnum));
    (*jenv)->SetObjectArrayElement(jenv, $input, 1, qeffj_ints(jenv, temp_mask$argnum, temp_length$argnum));
  }
%}

/* Byte offsets: (offsets, length) -> long[][] of 2 * length values. */
QEFFJ_HOLDER((const size_t **offsets, size_t *length), long[][])
%typemap(in) (const size_t **offsets, size_t *length) (const size_t *temp = NULL, size_t temp_length = 0) %{
  $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL;
  $2 = &temp_length;
%}
%typemap(argout) (const size_t **offsets, size_t *length) %{
  if ($1 && !(*jenv)->ExceptionCheck(jenv)) {
    size_t n = 2 * temp_length$argnum, i;
    jlongArray a = (*jenv)->NewLongArray(jenv, (jsize)n);
    for (i = 0; a && i < n; ++i) {
      jlong v = (jlong)temp$argnum[i];
      (*jenv)->SetLongArrayRegion(jenv, a, (jsize)i, 1, &v);
    }
    qeffj_store(jenv, $input, a);
  }
%}

/* Float matrices (embeddings, scores, token embeddings) -> float[][][] holding float[rows][dim]. */
QEFFJ_HOLDER((const float **data, size_t *ROWS, size_t *COLS), float[][][])
%typemap(in) (const float **data, size_t *ROWS, size_t *COLS) (const float *temp = NULL, size_t temp_rows = 0, size_t temp_cols = 0) %{
  $1 = qeffj_has_slot(jenv, $input) ? &temp : NULL;
  $2 = &temp_rows;
  $3 = &temp_cols;
%}
%typemap(argout) (const float **data, size_t *ROWS, size_t *COLS) %{
  if ($1 && temp$argnum && !(*jenv)->ExceptionCheck(jenv))
    qeffj_store(jenv, $input, qeffj_matrix(jenv, temp$argnum, temp_rows$argnum, temp_cols$argnum));
%}
%apply (const float **data, size_t *ROWS, size_t *COLS) {
  (const float **data, size_t *rows, size_t *dim),
  (const float **data, size_t *rows, size_t *num_labels),
  (const float **data, size_t *tokens, size_t *dim)
};

/* ---- stream events -------------------------------------------------------- */
/* qeff_stream_event is a SWIG proxy class (new qeff_stream_event(), delete());
 * its text is read as bytes (length of them, NUL kept), not as a C string. */
%typemap(jni) qeffj_span "jbyteArray"
%typemap(jtype) qeffj_span "byte[]"
%typemap(jstype) qeffj_span "byte[]"
%typemap(out) qeffj_span %{ $result = qeffj_bytes(jenv, $1.data ? $1.data : "", $1.length); %}
%typemap(javaout) qeffj_span { return $jnicall; }
%ignore qeff_stream_event::text;
%ignore qeff_stream_event::length;
%extend qeff_stream_event {
  /** The event's text: its UTF-8 bytes (empty while text is held back). */
  qeffj_span text_bytes() {
    qeffj_span span;
    span.data = $self->text;
    span.length = $self->text ? $self->length : 0;
    return span;
  }
}

/* The generated JNI class loads the library itself (java.library.path, else
 * extracted from the jar), whichever class uses it first. */
%pragma(java) jniclasscode=%{
  static {
    ai.qeff.NativeLoader.load();
  }
%}
