"""Named tensors and sessions (advanced: run a program's graph directly)."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping

import numpy as np

from . import _errors, capi
from ._handle import Handle
from ._options import Options, resolve

__all__ = ["Tensors", "Session"]

# qeff_dtype <-> NumPy. BF16 and the 8/6/4-bit floats have no NumPy type: they
# come back as raw unsigned integers of the same width.
_TO_NUMPY = {
    capi.QEFF_DTYPE_F32: np.float32, capi.QEFF_DTYPE_F16: np.float16, capi.QEFF_DTYPE_F64: np.float64,
    capi.QEFF_DTYPE_I64: np.int64, capi.QEFF_DTYPE_I32: np.int32, capi.QEFF_DTYPE_I16: np.int16,
    capi.QEFF_DTYPE_I8: np.int8, capi.QEFF_DTYPE_U8: np.uint8, capi.QEFF_DTYPE_BOOL: np.bool_,
    capi.QEFF_DTYPE_U16: np.uint16, capi.QEFF_DTYPE_U32: np.uint32, capi.QEFF_DTYPE_U64: np.uint64,
    capi.QEFF_DTYPE_C64: np.complex64, capi.QEFF_DTYPE_BF16: np.uint16,
    capi.QEFF_DTYPE_F8_E4M3: np.uint8, capi.QEFF_DTYPE_F8_E5M2: np.uint8, capi.QEFF_DTYPE_F8_E8M0: np.uint8,
}
_FROM_NUMPY = {np.dtype(t): d for d, t in _TO_NUMPY.items() if d not in (
    capi.QEFF_DTYPE_BF16, capi.QEFF_DTYPE_F8_E4M3, capi.QEFF_DTYPE_F8_E5M2, capi.QEFF_DTYPE_F8_E8M0)}


class Tensors(Handle):
    """An ordered set of named tensors (``qeff_tensors``; owned copies of the bytes).

    Behaves like a read-only mapping of name -> ``numpy.ndarray`` (copies),
    plus :meth:`set`.
    """

    _kind = "tensors"

    def __init__(self, arrays: Mapping[str, Any] = (), raw: Any = None) -> None:
        super().__init__(capi.qeff_tensors_create() if raw is None else raw, capi.qeff_tensors_free)
        for name, array in dict(arrays).items():
            self.set(name, array)

    def set(self, name: str, array: Any, dtype: int = 0) -> None:
        """Add or replace tensor ``name`` with a copy of ``array``.

        ``dtype`` (a ``capi.QEFF_DTYPE_*`` value) overrides the NumPy type,
        e.g. BF16 for an ``uint16`` array of bfloat16 bits.
        """
        a = np.ascontiguousarray(array)
        code = dtype or _FROM_NUMPY.get(a.dtype)
        if not code:
            raise _errors.InvalidArgumentError(f"tensor {name!r}: NumPy dtype {a.dtype} has no qeff dtype", 1)
        self._call(capi.qeff_tensors_set, name, code, list(a.shape), a)

    def index(self, name: str) -> int:
        """Position of tensor ``name``; :class:`qeff.NotFoundError` when absent."""
        return self._call(capi.qeff_tensors_find, name)

    def dtype(self, name: str) -> str:
        """Dtype name of tensor ``name`` ("F32", "BF16", ...)."""
        return capi.qeff_dtype_name(self._call(capi.qeff_tensors_info, self.index(name))[1])

    def __getitem__(self, name: str) -> np.ndarray:
        with self._use() as ptr:
            index = capi.qeff_tensors_find(ptr, name)
            _, dtype, rank = capi.qeff_tensors_info(ptr, index)
            shape = capi.qeff_tensors_shape(ptr, index, rank)
            data = capi.qeff_tensors_data(ptr, index)
        return np.frombuffer(data, dtype=_TO_NUMPY.get(dtype, np.uint8)).reshape(shape).copy()

    def __contains__(self, name: object) -> bool:
        try:
            self.index(str(name))
            return True
        except _errors.NotFoundError:
            return False

    def keys(self):
        """Tensor names in order."""
        with self._use() as ptr:
            return [capi.qeff_tensors_info(ptr, i)[0] for i in range(capi.qeff_tensors_count(ptr))]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return self._call(capi.qeff_tensors_count)

    def to_dict(self) -> Dict[str, np.ndarray]:
        """Every tensor as a NumPy array."""
        return {name: self[name] for name in self.keys()}


class Session(Handle):
    """Per-request state over a program (``qeff_session``): one call at a time.

    The session keeps its program alive in C. ``num_cores`` sets
    ``runtime.threads``.
    """

    _kind = "session"

    def __init__(self, program: Any, **options: Any) -> None:
        with Options(resolve("runtime", options)) as o, o._use() as opts, program._use() as prog:
            super().__init__(capi.qeff_session_create(prog, opts), capi.qeff_session_free)

    def run(self, inputs: Mapping[str, Any]) -> Dict[str, np.ndarray]:
        """Run the specialization matching the inputs' shapes; returns the outputs."""
        with Tensors(inputs) as t, t._use() as tensors, self._use() as session:
            raw = capi.qeff_session_run(session, tensors)
        with Tensors(raw=raw) as outputs:
            return outputs.to_dict()

    def reset(self) -> None:
        """Zero the retained state (start a new sequence)."""
        self._call(capi.qeff_session_reset)

    def read_state(self, name: str) -> np.ndarray:
        """A copy of retained state ``name`` (e.g. "past_key.0")."""
        with Tensors(raw=self._call(capi.qeff_session_read_state, name)) as t:
            return t[name] if name in t else next(iter(t.to_dict().values()))
