"""Requests, results and streams of ``qeff_generate`` / ``qeff_stream_*``."""

from __future__ import annotations

import enum
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _errors, capi
from ._handle import Handle

__all__ = [
    "Request",
    "FinishReason",
    "PerfMetrics",
    "GenerationResult",
    "EmbeddingOutput",
    "StreamEvent",
    "TextStream",
]

Inputs = Union[str, bytes, Sequence[Any], np.ndarray]


class Request(Handle):
    """The rows of one generate call (``qeff_request``): texts, text pairs or token ids.

    A request holds either text rows (texts and pairs) or token rows, not both.
    Usually built for you from the ``inputs`` of ``generate``; build one
    explicitly to mix pairs and texts or to reuse it.
    """

    _kind = "request"

    def __init__(self, inputs: Optional[Inputs] = None) -> None:
        super().__init__(capi.qeff_request_create(), capi.qeff_request_free)
        if inputs is not None:
            self.extend(inputs)

    def add_text(self, text: Union[str, bytes]) -> "Request":
        """Append one text row (``str`` or UTF-8 ``bytes``; may contain NUL)."""
        self._call(capi.qeff_request_add_text, text)
        return self

    def add_pair(self, first: Union[str, bytes], second: Union[str, bytes]) -> "Request":
        """Append a (query, document) pair row, for rerankers."""
        self._call(capi.qeff_request_add_text_pair, first, second)
        return self

    def add_tokens(self, ids: Sequence[int]) -> "Request":
        """Append one row of token ids, used as given (special tokens included)."""
        self._call(capi.qeff_request_add_tokens, ids)
        return self

    def extend(self, inputs: Inputs) -> "Request":
        """Append rows: a text, a list of texts, of (query, document) pairs or of token-id lists.

        A flat list of ints (or a 1-D integer array) is one token row; a 2-D
        integer array is one row per line.
        """
        if isinstance(inputs, (str, bytes)):
            return self.add_text(inputs)
        if isinstance(inputs, np.ndarray) and inputs.ndim == 1 or _is_int_row(inputs):
            return self.add_tokens(inputs)
        for row in inputs:
            if isinstance(row, (str, bytes)):
                self.add_text(row)
            elif isinstance(row, tuple) and len(row) == 2 and all(isinstance(x, (str, bytes)) for x in row):
                self.add_pair(*row)
            else:
                self.add_tokens(row)
        return self

    def __len__(self) -> int:
        return self._call(capi.qeff_request_num_rows)


def _is_int_row(inputs: Any) -> bool:
    return isinstance(inputs, (list, tuple)) and len(inputs) > 0 and isinstance(inputs[0], (int, np.integer))


class FinishReason(enum.IntEnum):
    """Why a generated row ended (``qeff_finish_reason``)."""

    NONE = capi.QEFF_FINISH_NONE
    EOS = capi.QEFF_FINISH_EOS
    LENGTH = capi.QEFF_FINISH_LENGTH
    STOP = capi.QEFF_FINISH_STOP
    CONTEXT = capi.QEFF_FINISH_CONTEXT
    CANCELLED = capi.QEFF_FINISH_CANCELLED

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class PerfMetrics:
    """QEfficient-style performance figures of a generation (milliseconds, tokens/s)."""

    ttft_ms: float
    prefill_ms: float
    decode_ms: float
    total_ms: float
    prefill_tokens_per_s: float
    decode_tokens_per_s: float
    prompt_tokens: int
    generated_tokens: int

    @property
    def ttft(self) -> float:
        """Time to first token in seconds (QEfficient's ``prefill_time``)."""
        return self.ttft_ms / 1000.0


@dataclass
class GenerationResult:
    """The output of a causal-LM generation, one entry per prompt row."""

    generated_texts: List[str]
    generated_ids: List[List[int]]
    finish_reasons: List[FinishReason]
    prompt_lengths: List[int]
    perf_metrics: Optional[PerfMetrics]
    stats: Dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.generated_texts)


@dataclass
class EmbeddingOutput:
    """The output of an encoder run.

    Exactly one of ``embeddings`` ([rows, dim] float32: pooled embedding
    models), ``scores`` ([rows, num_labels] float32: sequence classifiers,
    rerankers) and ``token_embeddings`` (one [tokens, dim] array per row:
    pooling "none") is set.
    """

    embeddings: Optional[np.ndarray]
    scores: Optional[np.ndarray]
    token_embeddings: Optional[List[np.ndarray]]
    num_tokens: List[int]
    stats: Dict[str, float]

    @property
    def value(self) -> Union[np.ndarray, List[np.ndarray]]:
        """Whichever of embeddings / scores / token_embeddings this output holds."""
        for v in (self.embeddings, self.scores, self.token_embeddings):
            if v is not None:
                return v
        raise _errors.StateError("empty output", 16)


def _matrix(buf: bytearray, rows: int, cols: int) -> np.ndarray:
    return np.frombuffer(buf, dtype=np.float32).reshape(rows, cols)


def _optional(fn, *args):
    try:
        return fn(*args)
    except _errors.NotFoundError:
        return None


def read_embedding_result(raw: Any) -> EmbeddingOutput:
    """Copy an encoder result into NumPy arrays (the raw result stays owned by the caller)."""
    rows = capi.qeff_result_num_rows(raw)
    emb = _optional(capi.qeff_result_embeddings, raw)
    scores = None if emb else _optional(capi.qeff_result_scores, raw)
    tokens = None
    if emb is None and scores is None:
        tokens = [_matrix(*capi.qeff_result_token_embeddings(raw, r)) for r in range(rows)]
    return EmbeddingOutput(
        embeddings=_matrix(*emb) if emb else None,
        scores=_matrix(*scores) if scores else None,
        token_embeddings=tokens,
        num_tokens=[capi.qeff_result_num_tokens(raw, r) for r in range(rows)],
        stats=json.loads(capi.qeff_result_stats_json(raw)),
    )


def read_generation_result(raw: Any) -> GenerationResult:
    """Copy a causal-LM result (the raw result stays owned by the caller)."""
    rows = range(capi.qeff_result_num_rows(raw))
    stat = lambda name: capi.qeff_result_stat(raw, name)  # noqa: E731
    metrics = PerfMetrics(
        ttft_ms=stat("ttft_ms"), prefill_ms=stat("prefill_ms"), decode_ms=stat("decode_ms"),
        total_ms=stat("total_ms"), prefill_tokens_per_s=stat("prefill_tokens_per_s"),
        decode_tokens_per_s=stat("decode_tokens_per_s"), prompt_tokens=int(stat("prompt_tokens")),
        generated_tokens=int(stat("generated_tokens")))
    return GenerationResult(
        generated_texts=[capi.qeff_result_text(raw, r) for r in rows],
        generated_ids=[capi.qeff_result_tokens(raw, r) for r in rows],
        finish_reasons=[FinishReason(capi.qeff_result_finish_reason(raw, r)) for r in rows],
        prompt_lengths=[capi.qeff_result_num_tokens(raw, r) for r in rows],
        perf_metrics=metrics,
        stats=json.loads(capi.qeff_result_stats_json(raw)),
    )


def take_result(raw: Any, reader) -> Any:
    """Read a raw result with ``reader`` and free it."""
    try:
        return reader(raw)
    finally:
        capi.qeff_result_free(raw)


@dataclass(frozen=True)
class StreamEvent:
    """One step of a stream: row ``row`` produced ``token`` (-1: the text released
    when the row ends) and gained ``text`` (possibly ``""``); ``finished`` marks the
    row's last event."""

    row: int
    token: int
    text: str
    finished: bool


class TextStream(Handle):
    """A pull iterator over a causal-LM generation (``qeff_stream``).

    Iterate to get :class:`StreamEvent` objects; the model runs one prefill
    chunk or decode step per event batch, in the iterating thread, with the
    GIL released. :meth:`cancel` may be called from any thread: open rows end
    as ``FinishReason.CANCELLED`` and the iteration stops. A stream started
    with ``cancel=token`` also stops when the token is requested, but the
    iteration then raises :class:`qeff.CancelledError` (once). :attr:`result`
    gives the :class:`GenerationResult` once the stream has ended. Use it as a
    context manager (closing frees the stream and cancels it if still running).

    Example::

        with model.stream("Hello", max_new_tokens=16) as stream:
            for event in stream:
                print(event.text, end="", flush=True)
            print(stream.result.perf_metrics)
    """

    _kind = "stream"

    def __init__(self, raw: Any) -> None:
        super().__init__(raw, capi.qeff_stream_free)
        self._cancel_requested = threading.Event()
        self._ended = False
        self._result: Optional[GenerationResult] = None

    def __iter__(self) -> Iterator[StreamEvent]:
        return self

    def __next__(self) -> StreamEvent:
        if self._ended:
            raise StopIteration
        try:
            event = self._call(capi.qeff_stream_next)
        except _errors.CancelledError:
            if not self._cancel_requested.is_set():
                self._ended = True  # a token (cancel=) ended it: result holds the rest
                raise
            event = None
        if event is None:
            self._ended = True
            raise StopIteration
        return StreamEvent(*event)

    def texts(self, row: int = 0) -> Iterator[str]:
        """Only the non-empty texts of row ``row``, as they arrive."""
        for event in self:
            if event.row == row and event.text:
                yield event.text

    def cancel(self) -> None:
        """Ask the stream to stop (thread-safe; a no-op once it is closed)."""
        self._cancel_requested.set()
        try:
            self._call(capi.qeff_stream_cancel)
        except _errors.InvalidHandleError:
            pass

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancel_requested.is_set()

    @property
    def ended(self) -> bool:
        """True once the iteration reached the end."""
        return self._ended

    @property
    def result(self) -> GenerationResult:
        """What was generated (also after a cancel). :class:`qeff.StateError` before the end."""
        if self._result is None:
            raw = self._call(capi.qeff_stream_result)
            self._result = take_result(raw, read_generation_result)
        return self._result

    def run(self) -> GenerationResult:
        """Drain the stream and return its result."""
        for _ in self:
            pass
        return self.result

