"""qeff: load HuggingFace transformer models, compile them and run them.

The idiomatic Python binding of libqeff (docs/python.md). QEfficient-style
entry points::

    import qeff

    with qeff.AutoModel.from_pretrained("bert-dir", pooling="mean") as m:
        m.compile(seq_len=[32, 128], batch_size=2)
        vectors = m.generate(["Hello world", "Bonjour"])      # numpy float32 [2, dim]

    with qeff.AutoModelForCausalLM.from_pretrained("llama-dir") as lm:
        lm.compile(prefill_seq_len=32, ctx_len=256)
        with lm.stream("Once upon a time", max_new_tokens=32) as stream:
            for event in stream:
                print(event.text, end="")

Every object owning a C handle has ``close()`` (idempotent) and is a context
manager; errors are :class:`QeffError` subclasses carrying the status code,
its name and the library's message. Long calls release the GIL and take a
``cancel=`` :class:`CancelToken` that another thread may request (they then
raise :class:`CancelledError`). The raw SWIG layer is :mod:`qeff.capi`.
"""


def _load_bundled_library() -> None:
    """Load the libqeff a meson-python wheel bundles, before the extension.

    Wheels carry ``<site-packages>/.qeff.mesonpy.libs/libqeff.so.X.Y.Z`` (the
    real file only: wheels have no symlinks) while the extension needs the
    SONAME ``libqeff.so.X.Y``. Once the file is loaded, the dynamic loader
    matches the extension's dependency to it by SONAME. A no-op in the build
    tree and for system installs (no such directory)."""
    import ctypes
    import os

    libs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".qeff.mesonpy.libs")
    if os.path.isdir(libs):
        for name in sorted(os.listdir(libs)):
            if name.startswith("libqeff.so"):
                ctypes.CDLL(os.path.join(libs, name))


_load_bundled_library()

from . import capi  # noqa: E402 (after the library it needs)
from ._cancel import CancelToken
from ._errors import (BusyError, CancelledError, ConfigError, ContextOverflowError, FormatError,
                      InternalError, InvalidArgumentError, InvalidHandleError, IOError, LimitError,
                      MismatchError, NotFoundError, NumericError, OutOfMemoryError, QeffError,
                      SecurityError, StateError, UnsupportedError, status_name)
from ._generation import (EmbeddingOutput, FinishReason, GenerationResult, PerfMetrics, Request,
                          StreamEvent, TextStream)
from ._model import AutoModel, AutoModelForCausalLM, Model, Program, Task, TensorInfo
from ._options import OptionKey, Options, OptionType, option_keys
from ._tensors import Session, Tensors
from ._tokenizer import Encoding, StreamDecoder, Tokenizer

#: Version of the loaded libqeff, e.g. "0.1.0".
__version__: str = capi.qeff_version()


def version() -> str:
    """Version string of the loaded libqeff (``qeff_version``)."""
    return capi.qeff_version()


def version_number() -> int:
    """MAJOR * 10000 + MINOR * 100 + PATCH of the loaded libqeff."""
    return capi.qeff_version_number()


__all__ = [
    "AutoModel", "AutoModelForCausalLM", "Model", "Program", "Task", "TensorInfo",
    "Tokenizer", "Encoding", "StreamDecoder",
    "Request", "EmbeddingOutput", "GenerationResult", "PerfMetrics", "FinishReason",
    "StreamEvent", "TextStream", "Tensors", "Session",
    "Options", "OptionKey", "OptionType", "option_keys", "CancelToken",
    # qeff.IOError stays out of __all__: `from qeff import *` must not shadow the builtin.
    "QeffError", "InvalidArgumentError", "NotFoundError", "FormatError", "ConfigError",
    "MismatchError", "UnsupportedError", "LimitError", "OutOfMemoryError", "SecurityError",
    "ContextOverflowError", "NumericError", "CancelledError", "BusyError", "InvalidHandleError",
    "StateError", "InternalError", "status_name", "version", "version_number", "capi",
]
