"""Ctrl-C (SIGINT) during a long call made from the main thread.

A long call (load, compile, export, save, generate, embed) runs in the calling
thread with the GIL released, and Python runs signal handlers between
bytecodes only: without help, Ctrl-C would raise KeyboardInterrupt only once
the call returned, possibly minutes later. :func:`long_call` gives such a call
a cancellation token. In the main thread, while Python's default SIGINT
handler is installed, a SIGINT during the call requests that token
(bindings/python/qeff_interrupt.i): the call stops at its next cancellation
point and raises KeyboardInterrupt, having written nothing, with every handle
it was given still usable. A ``cancel=`` token passed by the caller is
forwarded to the same token, so it cancels the call as before.

Calls from other threads, and main-thread calls while another SIGINT handler
is installed, get the caller's token only, as before. The cost per call is a
system call (no thread hand-off: the call stays in the calling thread).
"""

from __future__ import annotations

import _signal
import _thread
import os
import threading
from typing import Any, Callable, Optional

from . import _errors, capi
from ._cancel import CancelToken, check_token

__all__ = ["long_call"]

# Looked up once: this runs around every long call, 0.1 ms embeddings included.
_get_ident = _thread.get_ident
_getsignal = _signal.getsignal  # signal.getsignal converts to an enum: much slower
_SIGINT = _signal.SIGINT
_default_int_handler = _signal.default_int_handler
_main_ident = threading.main_thread().ident


def _forked() -> None:
    global _main_ident
    _main_ident = _get_ident()  # the child's only thread is its main thread


os.register_at_fork(after_in_child=_forked)


def long_call(opts: Any, cancel: Optional[CancelToken], fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``: a long C call whose raw options pointer is ``opts``,
    cancellable by ``cancel`` (a :class:`qeff.CancelToken` or None) and, in the
    main thread under the default SIGINT handler, by Ctrl-C: the call then
    stops at its next cancellation point and KeyboardInterrupt is raised
    instead of :class:`qeff.CancelledError`. Example::

        with Options(values) as o, o._use() as opts, model._use() as m:
            raw = long_call(opts, cancel, capi.qeff_compile, m, opts)
    """
    if cancel is not None:
        check_token(cancel)
    if _get_ident() != _main_ident or _getsignal(_SIGINT) is not _default_int_handler \
            or not capi.qeff_py_interrupt_arm(opts):
        if cancel is not None:
            with cancel._use() as own:
                capi.qeff_options_set_cancel(opts, own)
        return fn(*args)
    token = None
    try:
        if cancel is not None:  # after arm, which reset the call's token
            own = capi.qeff_py_interrupt_token()
            cancel._forward_to(own)  # raises for a closed token, forwarding nothing
            token = own
        return fn(*args)
    except _errors.CancelledError:
        # Python's handler usually raised already (it runs as soon as the
        # cancelled call builds its CancelledError); if not, it runs here.
        if capi.qeff_py_interrupt_disarm():
            _raise_pending_signals()
        raise
    finally:
        if token is not None:
            cancel._stop_forwarding(token)
        capi.qeff_py_interrupt_disarm()


def _raise_pending_signals() -> None:
    try:
        capi.qeff_py_check_signals()
    except BaseException as signalled:
        raise signalled from None  # the KeyboardInterrupt, without the CancelledError it replaces
