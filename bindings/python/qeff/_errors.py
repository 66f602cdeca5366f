"""Errors: one :class:`QeffError` subclass per ``qeff_status`` code.

The raw layer (``qeff.capi``) raises these from the wrapper of the failing C
call itself, with the status and the thread-local message read right after
the call, so the message always belongs to the call that failed.
"""

from __future__ import annotations

from typing import Dict, Type

__all__ = [
    "QeffError",
    "InvalidArgumentError",
    "NotFoundError",
    "IOError",
    "FormatError",
    "ConfigError",
    "MismatchError",
    "UnsupportedError",
    "LimitError",
    "OutOfMemoryError",
    "SecurityError",
    "ContextOverflowError",
    "NumericError",
    "CancelledError",
    "BusyError",
    "InvalidHandleError",
    "StateError",
    "InternalError",
    "status_name",
]


class QeffError(Exception):
    """An error reported by libqeff.

    Attributes:
        code: the ``qeff_status`` value (e.g. ``2``).
        status: its symbolic name (e.g. ``"QEFF_E_NOT_FOUND"``).
        message: the library's message (names the file, key, value and limit).
    """

    #: Status code of the subclass (the base class has none: 0).
    CODE = 0
    #: Symbolic name of the subclass's status.
    STATUS = "QEFF_OK"

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code: int = self.CODE if code is None else int(code)
        self.status: str = _NAMES.get(self.code, "QEFF_E_UNKNOWN")
        self.message: str = message

    def __str__(self) -> str:
        return f"{self.status} ({self.code}): {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, status={self.status!r}, message={self.message!r})"

    def __reduce__(self):  # picklable, e.g. across multiprocessing
        return (_from_status, (self.code, self.message))


def _subclass(name: str, code: int, status: str, doc: str) -> Type[QeffError]:
    cls = type(name, (QeffError,), {"CODE": code, "STATUS": status, "__doc__": doc, "__module__": "qeff"})
    return cls


# Pinned values of include/qeff/qeff.h.
_NAMES: Dict[int, str] = {
    0: "QEFF_OK",
    1: "QEFF_E_INVALID_ARGUMENT",
    2: "QEFF_E_NOT_FOUND",
    3: "QEFF_E_IO",
    4: "QEFF_E_FORMAT",
    5: "QEFF_E_CONFIG",
    6: "QEFF_E_MISMATCH",
    7: "QEFF_E_UNSUPPORTED",
    8: "QEFF_E_LIMIT",
    9: "QEFF_E_OOM",
    10: "QEFF_E_SECURITY",
    11: "QEFF_E_CONTEXT_OVERFLOW",
    12: "QEFF_E_NUMERIC",
    13: "QEFF_E_CANCELLED",
    14: "QEFF_E_BUSY",
    15: "QEFF_E_INVALID_HANDLE",
    16: "QEFF_E_STATE",
    17: "QEFF_E_INTERNAL",
}

InvalidArgumentError = _subclass("InvalidArgumentError", 1, _NAMES[1], "A caller argument or option value is invalid.")
NotFoundError = _subclass("NotFoundError", 2, _NAMES[2], "A file, key, token or tensor does not exist.")
IOError = _subclass("IOError", 3, _NAMES[3], "An operating-system I/O call failed.")  # noqa: A001 (qeff.IOError)
FormatError = _subclass("FormatError", 4, _NAMES[4], "A file is malformed (JSON, safetensors, package).")
ConfigError = _subclass("ConfigError", 5, _NAMES[5], "A configuration value is semantically invalid.")
MismatchError = _subclass("MismatchError", 6, _NAMES[6], "Files or inputs disagree with each other.")
UnsupportedError = _subclass("UnsupportedError", 7, _NAMES[7], "Valid input that this version does not support.")
LimitError = _subclass("LimitError", 8, _NAMES[8], "A resource cap was exceeded (see the limits.* options).")
OutOfMemoryError = _subclass("OutOfMemoryError", 9, _NAMES[9], "Memory allocation failed.")
SecurityError = _subclass("SecurityError", 10, _NAMES[10], "Path escape, disallowed link or unsafe location.")
ContextOverflowError = _subclass("ContextOverflowError", 11, _NAMES[11], "Input longer than the compiled context.")
NumericError = _subclass("NumericError", 12, _NAMES[12], "NaN or Inf where it matters.")
CancelledError = _subclass("CancelledError", 13, _NAMES[13], "The operation was cancelled by the caller.")
BusyError = _subclass("BusyError", 14, _NAMES[14], "The handle is in use by another call.")
InvalidHandleError = _subclass("InvalidHandleError", 15, _NAMES[15], "A closed or otherwise unusable handle.")
StateError = _subclass("StateError", 16, _NAMES[16], "The call is not valid in the object's current state.")
InternalError = _subclass("InternalError", 17, _NAMES[17], "A bug in qeff, caught at the ABI boundary.")

_CLASSES: Dict[int, Type[QeffError]] = {
    cls.CODE: cls
    for cls in (
        InvalidArgumentError, NotFoundError, IOError, FormatError, ConfigError, MismatchError,
        UnsupportedError, LimitError, OutOfMemoryError, SecurityError, ContextOverflowError,
        NumericError, CancelledError, BusyError, InvalidHandleError, StateError, InternalError,
    )
}


def status_name(code: int) -> str:
    """Symbolic name of a status code, e.g. ``status_name(2) == "QEFF_E_NOT_FOUND"``."""
    return _NAMES.get(int(code), "QEFF_E_UNKNOWN")


def _from_status(code: int, message: str) -> QeffError:
    """The exception for a failed call (used by the raw layer's typemap)."""
    cls = _CLASSES.get(int(code), QeffError)
    return cls(message, code)
