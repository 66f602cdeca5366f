"""Cancellation tokens (``qeff_cancel``): stop a long call from another thread.

Pass a :class:`CancelToken` as ``cancel=`` to a long call (loading a model or
a tokenizer, compiling, exporting, saving or loading a package, generating,
starting a stream). Any thread may then call :meth:`CancelToken.cancel`:
the call stops at its next cancellation point and raises
:class:`qeff.CancelledError`, leaving no partial files behind; every object
it was given stays usable. A call started with the token already requested
raises at once. docs/cancellation.md lists the cancellation points.
"""

from __future__ import annotations

import threading
from typing import Any, List, Optional

from . import _errors, capi
from ._handle import Handle

__all__ = ["CancelToken"]


class CancelToken(Handle):
    """A cancellation token shared by any number of calls (``qeff_cancel``).

    The token stays requested until :meth:`reset`. One request cancels every
    call using the token. Thread-safe: :meth:`cancel`, :meth:`reset` and
    :attr:`requested` may be called from any thread, also while a call using
    the token runs (a ``threading.Timer(5, token.cancel)`` is a timeout).

    Example::

        with qeff.CancelToken() as token:
            threading.Timer(30.0, token.cancel).start()
            try:
                lm.compile(prefill_seq_len=32, ctx_len=256, cancel=token)
            except qeff.CancelledError:
                ...  # nothing written, lm still usable: token.reset() and retry

    Calls keep their own reference to the C token, so closing the Python
    object while a call runs is safe (that call can then no longer be
    cancelled by it).
    """

    _kind = "cancel token"

    def __init__(self) -> None:
        super().__init__(capi.qeff_cancel_create(), capi.qeff_cancel_free)
        # The own tokens of the calls this token is forwarded to (qeff/_interrupt.py:
        # a main-thread call has one that Ctrl-C requests).
        self._forwards: List[Any] = []
        self._forwards_lock = threading.Lock()

    def cancel(self) -> None:
        """Request cancellation of every call using the token (any thread,
        idempotent; a no-op once the token is closed)."""
        try:
            self._call(capi.qeff_cancel_request)
        except _errors.InvalidHandleError:
            return
        with self._forwards_lock:
            for raw in self._forwards:
                capi.qeff_cancel_request(raw)

    def _forward_to(self, raw: Any) -> None:
        """Make :meth:`cancel` request ``raw`` too (a call's own token) until
        :meth:`_stop_forwarding`; request it now if this token is requested.
        A cancel() racing with this either sees ``raw`` in the list or has
        requested this token before it is read here."""
        with self._forwards_lock:
            self._forwards.append(raw)
        try:
            if self.requested:
                capi.qeff_cancel_request(raw)
        except BaseException:
            self._stop_forwarding(raw)
            raise

    def _stop_forwarding(self, raw: Any) -> None:
        with self._forwards_lock:
            self._forwards.remove(raw)

    #: Alias of :meth:`cancel` (the C name, ``qeff_cancel_request``).
    request = cancel

    def reset(self) -> None:
        """Clear the request so the token can serve new calls."""
        self._call(capi.qeff_cancel_reset)

    @property
    def requested(self) -> bool:
        """True while cancellation is requested (between :meth:`cancel` and :meth:`reset`)."""
        return bool(self._call(capi.qeff_cancel_is_requested))

    def __repr__(self) -> str:
        if self.closed:
            return "<qeff.CancelToken closed>"
        return f"<qeff.CancelToken requested={self.requested}>"


def check_token(cancel: Any) -> Optional[CancelToken]:
    """``cancel`` if it is None or a :class:`CancelToken`, else TypeError."""
    if cancel is not None and not isinstance(cancel, CancelToken):
        raise TypeError(f"cancel= takes a qeff.CancelToken or None, not {type(cancel).__name__}")
    return cancel
