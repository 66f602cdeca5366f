/*
 * The one SWIG interface of qeff's bindings: it wraps include/qeff/qeff.h
 * as it is, for every language. What differs per language (module name,
 * typemaps that turn out-parameters into return values, status codes into
 * exceptions or errors, buffers into native arrays and strings) lives in
 * bindings/<language>/qeff_lang.i, found through SWIG's -I path; the
 * idiomatic API each language's users call is written in that language on
 * top of the generated layer (bindings/python/qeff, bindings/java/src,
 * bindings/go/qeff). Generated code is written to the build directory only.
 *
 * Shared rules (docs/bindings.md):
 *  - Every function of the header is wrapped except the two that take C
 *    function pointers (below); their behaviour is reached through the pull
 *    iterator qeff_stream_* (streaming) and is documented per binding.
 *  - A handle returned through `qeff_x **out` is owned by the caller's
 *    wrapper object, which frees it exactly once (close / destructor).
 *  - The thread-local error (qeff_last_error_code / _message) is read inside
 *    the same wrapped C call that failed, never by a second call.
 */
#if defined(SWIGPYTHON)
%module(package="qeff", threads="1") capi
#elif defined(SWIGJAVA)
%module QeffNative
#elif defined(SWIGGO)
%module qeffcapi
#else
%module qeff
#endif

%{
#include "qeff/qeff.h"
%}

%include <stdint.i>

/* C function pointers cannot cross into every language safely (Go pointers,
 * the GIL, JNI thread attachment): streaming uses qeff_stream_* instead. */
%ignore qeff_set_log_callback;
%ignore qeff_generate_stream;

/* Language typemaps and helpers: bindings/<language>/qeff_lang.i. */
%include "qeff_lang.i"

#define QEFF_API
%include "qeff/qeff.h"
