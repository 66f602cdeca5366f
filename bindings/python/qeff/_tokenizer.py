"""Tokenizers (``qeff_tokenizer``), encodings and the streaming decoder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence, Tuple, Union

from . import _errors, capi
from ._cancel import CancelToken
from ._handle import Handle
from ._interrupt import long_call
from ._options import Options, resolve

__all__ = ["Tokenizer", "Encoding", "StreamDecoder"]

Text = Union[str, bytes]


@dataclass
class Encoding:
    """One encoded text (a row of ``qeff_encoding``).

    Attributes:
        ids: token ids (special tokens included, as the tokenizer inserts them).
        attention_mask: 1 for a token, 0 for padding.
        offsets: ``(begin, end)`` byte offsets of each token in the UTF-8 text
            (``(0, 0)`` for inserted special tokens and padding).
    """

    ids: List[int]
    attention_mask: List[int]
    offsets: List[Tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def _read_encoding(raw: Any) -> List[Encoding]:
    """Copy every row of a raw encoding, then free it."""
    try:
        rows = []
        for row in range(capi.qeff_encoding_num_rows(raw)):
            ids, mask = capi.qeff_encoding_row(raw, row)
            rows.append(Encoding(ids, mask, capi.qeff_encoding_offsets(raw, row)))
        return rows
    finally:
        capi.qeff_encoding_free(raw)


class Tokenizer(Handle):
    """A HuggingFace tokenizer (tokenizer.json or vocab.txt) run by libqeff.

    Thread-safe: one tokenizer may be shared by any number of threads. It does
    not depend on the model or program it came from.

    Example::

        with qeff.Tokenizer.from_pretrained("path/to/model") as tok:
            ids = tok.encode("Hello world").ids
            text = tok.decode(ids, skip_special_tokens=True)
    """

    _kind = "tokenizer"

    def __init__(self, raw: Any) -> None:
        """Take ownership of a raw ``qeff_tokenizer`` pointer (internal)."""
        super().__init__(raw, capi.qeff_tokenizer_free)

    @classmethod
    def from_pretrained(cls, path: Union[str, os.PathLike], *, cancel: Optional[CancelToken] = None,
                        **load_options: Any) -> "Tokenizer":
        """Load the tokenizer of a model directory or HF cache entry.

        ``load_options``: ``allowed_root`` (load.allowed_root), ``input_bytes``
        (limits.input_bytes) or any full key. ``cancel``: a :class:`qeff.CancelToken`.
        """
        keys = resolve("load", {("limits.input_bytes" if k == "input_bytes" else k): v
                                for k, v in load_options.items()})
        with Options(keys) as options, options._use() as opts:
            return cls(long_call(opts, cancel, capi.qeff_tokenizer_load, os.fspath(path), opts))

    # -- encoding ---------------------------------------------------------------

    @staticmethod
    def _encode_options(kwargs: dict) -> Options:
        renamed = {}
        for name, value in kwargs.items():
            if name == "max_length":  # HF name for the truncation length
                name = "truncation"
            if name == "truncation" and value is True:
                raise _errors.InvalidArgumentError("truncation=True needs a length: pass max_length", 1)
            if name == "truncation" and value is False:
                value = 0
            if name == "padding" and isinstance(value, bool):
                value = "longest" if value else "none"
            renamed[name] = value
        return Options(resolve("tokenize", renamed))

    def encode(self, text: Text, **options: Any) -> Encoding:
        """Encode one text (``str`` or UTF-8 ``bytes``; NUL is an ordinary character).

        Keywords: ``add_special_tokens`` (default True), ``parse_special``,
        ``truncation``/``max_length`` (int), ``padding`` ("none", "longest",
        "max_length"), ``pad_to_multiple_of``, ``padding_side``.
        """
        with self._encode_options(options) as opts, opts._use() as o, self._use() as tok:
            return _read_encoding(capi.qeff_tokenizer_encode(tok, text, o))[0]

    def encode_batch(self, texts: Sequence[Text], **options: Any) -> List[Encoding]:
        """Encode several texts; padding, when requested, applies across the batch."""
        with self._encode_options(options) as opts, opts._use() as o, self._use() as tok:
            return _read_encoding(capi.qeff_tokenizer_encode_batch(tok, list(texts), o))

    def __call__(self, texts: Union[Text, Sequence[Text]], **options: Any) -> dict:
        """HF-style call: ``{"input_ids": ..., "attention_mask": ...}`` as lists of rows."""
        single = isinstance(texts, (str, bytes))
        rows = self.encode_batch([texts] if single else texts, **options)
        out = {"input_ids": [r.ids for r in rows], "attention_mask": [r.attention_mask for r in rows]}
        return {k: v[0] for k, v in out.items()} if single else out

    # -- decoding -----------------------------------------------------------------

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        """Decode ids to text as HuggingFace does (invalid UTF-8 becomes U+FFFD)."""
        return self._call(capi.qeff_tokenizer_decode, ids, int(bool(skip_special_tokens)))

    def decoder(self, skip_special_tokens: bool = False) -> "StreamDecoder":
        """A streaming decoder over this tokenizer (it keeps the tokenizer alive in C)."""
        return StreamDecoder(self._call(capi.qeff_decoder_create, int(bool(skip_special_tokens))))

    # -- vocabulary ---------------------------------------------------------------

    def token_to_id(self, token: str) -> Optional[int]:
        """The id of a vocabulary string (e.g. ``"<s>"``), or None when there is none."""
        try:
            return self._call(capi.qeff_tokenizer_token_to_id, token)
        except _errors.NotFoundError:
            return None

    def id_to_token(self, id: int) -> Optional[str]:
        """The vocabulary string of ``id``, or None when no token has this id."""
        try:
            return self._call(capi.qeff_tokenizer_id_to_token, int(id))
        except _errors.NotFoundError:
            return None

    @property
    def vocab_size(self) -> int:
        """Number of ids, added tokens included."""
        return self._call(capi.qeff_tokenizer_vocab_size)

    def __len__(self) -> int:
        return self.vocab_size

    def _special(self, which: int) -> Optional[int]:
        try:
            return self._call(capi.qeff_tokenizer_special_id, which)
        except _errors.NotFoundError:
            return None

    @property
    def bos_token_id(self) -> Optional[int]:
        """Id of the beginning-of-sequence token, or None."""
        return self._special(capi.QEFF_SPECIAL_BOS)

    @property
    def eos_token_id(self) -> Optional[int]:
        """Id of the end-of-sequence token, or None."""
        return self._special(capi.QEFF_SPECIAL_EOS)

    @property
    def pad_token_id(self) -> Optional[int]:
        """Id of the padding token, or None."""
        return self._special(capi.QEFF_SPECIAL_PAD)

    @property
    def unk_token_id(self) -> Optional[int]:
        """Id of the unknown token, or None."""
        return self._special(capi.QEFF_SPECIAL_UNK)


class StreamDecoder(Handle):
    """Turns generated ids, one at a time, into complete UTF-8 text pieces.

    The pieces of every :meth:`step` plus :meth:`finish` concatenate to
    ``Tokenizer.decode`` of all the ids. One thread at a time.
    """

    _kind = "decoder"

    def __init__(self, raw: Any) -> None:
        super().__init__(raw, capi.qeff_decoder_free)

    def step(self, id: int) -> str:
        """Push the next id; returns the text it completes (often ``""``)."""
        return self._call(capi.qeff_decoder_step, int(id))

    def finish(self) -> str:
        """End the stream: the text still held back. The decoder is then empty."""
        return self._call(capi.qeff_decoder_finish)
