"""Ownership of C handles: every handle is freed exactly once.

A :class:`Handle` owns one pointer returned by the raw layer. ``close()`` is
idempotent and thread-safe; a call running on another thread keeps the
pointer alive (the free is deferred to the end of that call), so closing an
object while another thread uses it can never free memory under the C call.
Objects that are never closed are freed when garbage-collected.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from . import _errors


class _Owner:
    """The pointer, its free function and the count of calls using it."""

    __slots__ = ("ptr", "free", "users", "closing", "lock", "__weakref__")

    def __init__(self, ptr: Any, free: Callable[[Any], None]) -> None:
        self.ptr = ptr
        self.free = free
        self.users = 0
        self.closing = False
        self.lock = threading.Lock()

    def release(self) -> None:
        """Free now, or when the last call using the pointer ends."""
        with self.lock:
            if self.ptr is None or self.closing and self.users:
                return
            self.closing = True
            if self.users:
                return
            ptr, self.ptr = self.ptr, None
        self.free(ptr)


class Handle:
    """Base class of the objects that own a libqeff handle.

    Subclasses call :meth:`_use` around every C call that takes the pointer.
    Supports ``with``; ``close()`` may be called any number of times.
    """

    _kind = "handle"

    def __init__(self, ptr: Any, free: Callable[[Any], None]) -> None:
        if ptr is None:
            raise _errors.InvalidHandleError(f"no {self._kind}", 15)
        self._owner = _Owner(ptr, free)
        self._finalizer = weakref.finalize(self, _Owner.release, self._owner)

    @contextmanager
    def _use(self) -> Iterator[Any]:
        """The pointer, kept alive for the duration of the ``with`` block."""
        owner = self._owner
        with owner.lock:
            if owner.ptr is None or owner.closing:
                raise _errors.InvalidHandleError(f"the {self._kind} is closed", 15)
            owner.users += 1
        try:
            yield owner.ptr
        finally:
            with owner.lock:
                owner.users -= 1
                last = owner.closing and owner.users == 0 and owner.ptr is not None
                if last:
                    ptr, owner.ptr = owner.ptr, None
            if last:
                owner.free(ptr)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(ptr, *args)`` with the pointer kept alive."""
        with self._use() as ptr:
            return fn(ptr, *args)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._owner.ptr is None or self._owner.closing

    def close(self) -> None:
        """Free the handle (deferred while another thread uses it). Idempotent."""
        self._finalizer.detach()
        self._owner.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<qeff.{type(self).__name__} {state}>"

