package qeff

import (
	"errors"
	"fmt"
	"strings"

	capi "qeff.dev/qeff/internal/capi"
)

// Code is a libqeff status code (qeff_status). Values are pinned by the ABI.
type Code int

// The status codes of include/qeff/qeff.h.
const (
	OK              Code = 0
	InvalidArgument Code = 1
	NotFound        Code = 2
	IO              Code = 3
	Format          Code = 4
	Config          Code = 5
	Mismatch        Code = 6
	Unsupported     Code = 7
	Limit           Code = 8
	OOM             Code = 9
	Security        Code = 10
	ContextOverflow Code = 11
	Numeric         Code = 12
	Cancelled       Code = 13
	Busy            Code = 14
	InvalidHandle   Code = 15
	State           Code = 16
	Internal        Code = 17
)

// String returns the code's symbolic name, e.g. "QEFF_E_NOT_FOUND"
// (qeff_status_name; "QEFF_E_UNKNOWN" for a value libqeff does not know).
func (c Code) String() string { return capi.Qeff_status_name(int(c)) }

// Error is a failed libqeff call: its status code (by name and number), the
// message libqeff gave (naming the file, key, value or limit involved) and
// the operation that failed. Err, when set, is the cause that made the
// binding stop the call (a context's error for a cancelled generation).
type Error struct {
	Op      string // the binding operation, e.g. "Load" or "Generate"
	Status  string // the status name, e.g. "QEFF_E_NOT_FOUND"
	Code    Code   // the status code, e.g. NotFound (2)
	Message string // libqeff's message
	Err     error  // the underlying cause, if any (context.Canceled, ...)
}

// Error formats as "qeff: Op: QEFF_E_NAME (code): message".
func (e *Error) Error() string {
	s := fmt.Sprintf("qeff: %s: %s (%d)", e.Op, e.Status, int(e.Code))
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && e.Message == "" {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause (for errors.Is(err, context.DeadlineExceeded)).
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the same code: errors.Is(err, qeff.ErrNotFound).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Op == "" && t.Code == e.Code
}

func sentinel(c Code) *Error { return &Error{Status: c.String(), Code: c} }

// Sentinels, one per status code, for errors.Is.
var (
	ErrInvalidArgument = sentinel(InvalidArgument)
	ErrNotFound        = sentinel(NotFound)
	ErrIO              = sentinel(IO)
	ErrFormat          = sentinel(Format)
	ErrConfig          = sentinel(Config)
	ErrMismatch        = sentinel(Mismatch)
	ErrUnsupported     = sentinel(Unsupported)
	ErrLimit           = sentinel(Limit)
	ErrOOM             = sentinel(OOM)
	ErrSecurity        = sentinel(Security)
	ErrContextOverflow = sentinel(ContextOverflow)
	ErrNumeric         = sentinel(Numeric)
	ErrCancelled       = sentinel(Cancelled)
	ErrBusy            = sentinel(Busy)
	ErrInvalidHandle   = sentinel(InvalidHandle)
	ErrState           = sentinel(State)
	ErrInternal        = sentinel(Internal)
)

// CodeOf returns the status code of an error from this package: OK for nil,
// Internal for an error that is not an *Error.
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

func newError(op string, code Code, message string) *Error {
	return &Error{Op: op, Status: code.String(), Code: code, Message: message}
}

// cString refuses a Go string that goes to C as a NUL-terminated C string
// (paths, option keys and values, token strings, tensor and stat names) when
// it holds a NUL byte: C would read only the part before it, so "dir\x00junk"
// would load dir. Text passed with its length (prompts, texts to encode) may
// hold NUL. what names the argument.
func cString(op, what, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return newError(op, InvalidArgument, fmt.Sprintf("embedded NUL byte in %s (at byte %d): a C string ends at the first NUL", what, i))
	}
	return nil
}

// check turns a wrapped call's status (code and message, both read inside
// that C call) into nil or an *Error.
func check(op string, s capi.Status) error {
	if s.Code == 0 {
		return nil
	}
	return newError(op, Code(s.Code), s.Message)
}

// Version is the version of the libqeff library loaded at run time, e.g. "0.1.0".
func Version() string { return capi.Qeff_version() }

// VersionNumber is MAJOR*10000 + MINOR*100 + PATCH of the loaded library.
func VersionNumber() int { return capi.Qeff_version_number() }

// HeaderVersion is the version of the qeff.h header this package was built against.
const HeaderVersion = capi.QEFF_VERSION_STRING
