"""Models (``qeff_model``), compiled programs (``qeff_program``) and the
QEfficient-style ``AutoModel`` / ``AutoModelForCausalLM`` classes."""

from __future__ import annotations

import enum
import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _errors, capi
from ._cancel import CancelToken
from ._generation import (EmbeddingOutput, GenerationResult, Inputs, Request, TextStream,
                          read_embedding_result, read_generation_result, take_result)
from ._handle import Handle
from ._interrupt import long_call
from ._options import Options, resolve
from ._tokenizer import Tokenizer

__all__ = ["Task", "TensorInfo", "Model", "Program", "AutoModel", "AutoModelForCausalLM"]

PathLike = Union[str, os.PathLike]


class Task(enum.IntEnum):
    """What a model is for (``qeff_task``)."""

    UNKNOWN = capi.QEFF_TASK_UNKNOWN
    EMBEDDING = capi.QEFF_TASK_EMBEDDING
    CAUSAL_LM = capi.QEFF_TASK_CAUSAL_LM
    SEQUENCE_CLASSIFICATION = capi.QEFF_TASK_SEQUENCE_CLASSIFICATION

    def __str__(self) -> str:
        return capi.qeff_task_name(int(self))


@dataclass(frozen=True)
class TensorInfo:
    """A weight tensor of a model: name, dtype name ("F32", "BF16", ...) and shape."""

    name: str
    dtype: str
    shape: Tuple[int, ...]


def _options(prefix: str, kwargs: Dict[str, Any], overwrite_key: str = "") -> Options:
    return Options(resolve(prefix, kwargs, overwrite_key))


class Model(Handle):
    """A loaded HuggingFace model directory: configuration and memory-mapped weights.

    Immutable and thread-safe. Programs and tokenizers made from it do not
    depend on it: it may be closed first.
    """

    _kind = "model"

    def __init__(self, raw: Any) -> None:
        super().__init__(raw, capi.qeff_model_free)

    @classmethod
    def load(cls, path: PathLike, *, cancel: Optional[CancelToken] = None, **load_options: Any) -> "Model":
        """Load a model directory, HF cache snapshot or cache entry.

        ``load_options``: ``allowed_root``, ``check_tensors`` (``load.*``) or
        any full key such as ``"limits.json_depth"``. ``cancel``: a
        :class:`qeff.CancelToken` (raises :class:`qeff.CancelledError` once requested).
        """
        with _options("load", load_options) as options, options._use() as opts:
            return cls(long_call(opts, cancel, capi.qeff_model_load, os.fspath(path), opts))

    # -- introspection -------------------------------------------------------------
    path = property(lambda self: self._call(capi.qeff_model_path), doc="Canonical directory path.")
    architecture = property(lambda self: self._call(capi.qeff_model_architecture),
                            doc='Architecture, e.g. "LlamaForCausalLM".')
    model_type = property(lambda self: self._call(capi.qeff_model_type), doc='config.json model_type, e.g. "llama".')
    task = property(lambda self: Task(self._call(capi.qeff_model_task)), doc="The task the architecture serves.")
    num_layers = property(lambda self: self._call(capi.qeff_model_num_layers), doc="Transformer layers.")
    hidden_size = property(lambda self: self._call(capi.qeff_model_hidden_size), doc="Hidden size.")
    vocab_size = property(lambda self: self._call(capi.qeff_model_vocab_size), doc="config.json vocabulary size.")
    num_parameters = property(lambda self: self._call(capi.qeff_model_num_parameters),
                              doc="Weight elements (tied weights once).")
    weight_dtype = property(lambda self: capi.qeff_dtype_name(self._call(capi.qeff_model_weight_dtype)),
                            doc='Dtype holding most weights, e.g. "F32".')

    def _tensor(self, index: int) -> TensorInfo:
        name, dtype, shape = self._call(capi.qeff_model_tensor_info, index)
        return TensorInfo(name, capi.qeff_dtype_name(dtype), shape)

    @property
    def tensors(self) -> List[TensorInfo]:
        """Every weight tensor, sorted by name."""
        return [self._tensor(i) for i in range(self._call(capi.qeff_model_num_tensors))]

    def tensor(self, name: str) -> Optional[TensorInfo]:
        """The weight tensor ``name``, or None."""
        try:
            return self._tensor(self._call(capi.qeff_model_find_tensor, name))
        except _errors.NotFoundError:
            return None

    def config_json(self, key: str = "") -> str:
        """A config.json field as JSON text (dot path, e.g. "rope_scaling.factor"; "" = all)."""
        return self._call(capi.qeff_model_config_get, key)

    def config(self, key: str = "", default: Any = None) -> Any:
        """A config.json field parsed from JSON, or ``default`` when the path does not exist."""
        try:
            return json.loads(self.config_json(key))
        except _errors.NotFoundError:
            return default

    def tokenizer(self) -> Tokenizer:
        """The tokenizer of the model's directory (independent of the model)."""
        return Tokenizer(self._call(capi.qeff_model_tokenizer))

    def compile(self, *, cancel: Optional[CancelToken] = None, **options: Any) -> "Program":
        """Compile (``qeff_compile``). Keywords as in ``AutoModel.compile``; ``cancel``: a token."""
        with _options("compile", options) as o, o._use() as opts, self._use() as model:
            return Program(long_call(opts, cancel, capi.qeff_compile, model, opts))

    def export(self, output_dir: PathLike, *, cancel: Optional[CancelToken] = None, **options: Any) -> str:
        """Write the graph as ONNX (``output_dir/model.onnx`` + data); returns the model.onnx path.

        ``overwrite=True`` replaces an existing file; ``pooling``/``normalize`` as in compile.
        A cancelled export leaves nothing behind (an earlier export is kept).
        """
        with _options("export", options, "export.overwrite") as o, o._use() as opts, self._use() as model:
            long_call(opts, cancel, capi.qeff_export, model, os.fspath(output_dir), opts)
        return os.path.join(os.fspath(output_dir), "model.onnx")


class Program(Handle):
    """A compiled program: immutable, usable from any number of threads at once."""

    _kind = "program"

    def __init__(self, raw: Any) -> None:
        super().__init__(raw, capi.qeff_program_free)

    @classmethod
    def load(cls, package_dir: PathLike, verify: bool = True, *, cancel: Optional[CancelToken] = None,
             **options: Any) -> "Program":
        """Load a package directory written by :meth:`save` (digests checked unless ``verify=False``)."""
        with _options("package", dict(options, verify=verify)) as o, o._use() as opts:
            return cls(long_call(opts, cancel, capi.qeff_program_load, os.fspath(package_dir), opts))

    @classmethod
    def compile_onnx(cls, onnx_path: PathLike, *, cancel: Optional[CancelToken] = None,
                     **options: Any) -> "Program":
        """Compile an ONNX file (``qeff_compile_onnx``); keywords are ``compile.*`` keys."""
        with _options("compile", options) as o, o._use() as opts:
            return cls(long_call(opts, cancel, capi.qeff_compile_onnx, os.fspath(onnx_path), opts))

    def save(self, package_dir: PathLike, overwrite: bool = False, *, cancel: Optional[CancelToken] = None,
             **options: Any) -> str:
        """Write the program as a package directory (atomically); returns its path.

        A cancelled save leaves nothing behind (an existing package is kept)."""
        with _options("package", dict(options, overwrite=overwrite), "package.overwrite") as o, \
                o._use() as opts, self._use() as program:
            long_call(opts, cancel, capi.qeff_program_save, program, os.fspath(package_dir), opts)
        return os.fspath(package_dir)

    @property
    def info(self) -> Dict[str, Any]:
        """The JSON description of the program (specializations, inputs, outputs, ...)."""
        return json.loads(self._call(capi.qeff_program_info))

    def tokenizer(self) -> Optional[Tokenizer]:
        """The tokenizer the program carries, or None (e.g. compiled from ONNX)."""
        try:
            return Tokenizer(self._call(capi.qeff_program_tokenizer))
        except _errors.NotFoundError:
            return None

    def _generate(self, inputs: Inputs, options: Dict[str, Any], cancel: Optional[CancelToken]) -> Any:
        with Request(inputs) as request, Options(options) as o, o._use() as opts, \
                request._use() as req, self._use() as program:
            return long_call(opts, cancel, capi.qeff_generate, program, req, opts)

    def embed(self, inputs: Inputs, *, cancel: Optional[CancelToken] = None, **options: Any) -> EmbeddingOutput:
        """Run an encoder program; keywords are ``generate.*`` / ``runtime.*`` keys."""
        return take_result(self._generate(inputs, resolve("generate", options), cancel), read_embedding_result)

    def generate(self, inputs: Inputs, *, cancel: Optional[CancelToken] = None,
                 **options: Any) -> GenerationResult:
        """Run a causal-LM program to the end; keywords are ``generate.*`` keys.
        A requested ``cancel`` token stops it between steps (:class:`qeff.CancelledError`)."""
        return take_result(self._generate(inputs, _generation_keys(options), cancel), read_generation_result)

    def stream(self, inputs: Inputs, *, cancel: Optional[CancelToken] = None, **options: Any) -> TextStream:
        """Start a streamed causal-LM generation (nothing runs until the first event).

        With ``cancel``, requesting the token also ends the stream: the
        iteration raises :class:`qeff.CancelledError` once, the open rows end
        as ``FinishReason.CANCELLED`` and ``result`` holds what was generated."""
        with Request(inputs) as request, Options(_generation_keys(options), cancel=cancel) as o, o._use() as opts, \
                request._use() as req, self._use() as program:
            return TextStream(capi.qeff_stream_create(program, req, opts))

    def session(self, **options: Any):
        """A :class:`qeff.Session` over this program (advanced: run the graph directly)."""
        from ._tensors import Session
        return Session(self, **options)


def _generation_keys(options: Dict[str, Any]) -> Dict[str, Any]:
    stop = options.get("stop")
    if isinstance(stop, (str, bytes)):
        options = dict(options, stop=[stop])
    eos = options.get("eos_token_id")
    if eos is not None:  # HF's name
        options = {k: v for k, v in options.items() if k != "eos_token_id"}
        options["eos_token_ids"] = [eos] if isinstance(eos, int) else list(eos)
    return resolve("generate", options)


class _Auto:
    """Shared parts of the Auto classes: a model (optional after ``load``) and its program."""

    _tasks: Tuple[Task, ...] = ()

    def __init__(self, model: Optional[Model], program: Optional[Program] = None,
                 model_options: Optional[Dict[str, Any]] = None) -> None:
        self.model = model
        self.program = program
        self._model_options = model_options or {}
        self._runtime: Dict[str, Any] = {}
        if model is not None and self._tasks and model.task not in self._tasks:
            task = model.task
            model.close()
            raise _errors.UnsupportedError(
                f"{type(self).__name__} takes {' or '.join(map(str, self._tasks))} models; "
                f"this one ({task}) is not", 7)

    @classmethod
    def from_pretrained(cls, path: PathLike, *, cancel: Optional[CancelToken] = None, **load_options: Any):
        """Load a HuggingFace model directory (see :meth:`qeff.Model.load`)."""
        return cls(Model.load(path, cancel=cancel, **load_options))

    @classmethod
    def load(cls, package_dir: PathLike, *, cancel: Optional[CancelToken] = None, **options: Any):
        """A compiled package (:meth:`save`), without the model directory."""
        return cls(None, Program.load(package_dir, cancel=cancel, **options))

    def _compile(self, options: Dict[str, Any]):
        if self.model is None:
            raise _errors.StateError("this object was loaded from a package: there is no model to compile", 16)
        num_cores = options.pop("num_cores", None)
        self._runtime = {} if num_cores is None else {"runtime.threads": num_cores}
        program = self.model.compile(**self._model_options, **self._runtime, **options)
        if self.program is not None:
            self.program.close()
        self.program = program
        return self

    def _program(self, cancel: Optional[CancelToken] = None) -> Program:
        if self.program is None:  # QEfficient needs compile() first; here defaults apply
            self._compile({} if cancel is None else {"cancel": cancel})
        return self.program

    @property
    def tokenizer(self) -> Optional[Tokenizer]:
        """A new tokenizer handle (from the program, else the model directory); close it when done."""
        return self.program.tokenizer() if self.program is not None else self.model.tokenizer()

    def export(self, output_dir: PathLike, overwrite: bool = False, *, cancel: Optional[CancelToken] = None,
               **options: Any) -> str:
        """Export the model's graph as ONNX; returns the model.onnx path."""
        if self.model is None:
            raise _errors.StateError("this object was loaded from a package: there is no model to export", 16)
        return self.model.export(output_dir, overwrite=overwrite, cancel=cancel, **self._model_options, **options)

    def save(self, package_dir: PathLike, overwrite: bool = False, *,
             cancel: Optional[CancelToken] = None) -> str:
        """Save the compiled program as a package directory (compiling with defaults if needed)."""
        return self._program(cancel).save(package_dir, overwrite=overwrite, cancel=cancel)

    def close(self) -> None:
        """Free the program and the model. Idempotent."""
        for handle in (self.program, self.model):
            if handle is not None:
                handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        arch = self.model.architecture if self.model is not None and not self.model.closed else "package"
        return f"<qeff.{type(self).__name__} {arch} compiled={self.program is not None}>"


class AutoModel(_Auto):
    """An encoder (embedding model or reranker), QEfficient style.

    Example::

        with qeff.AutoModel.from_pretrained(path, pooling="mean") as m:
            m.compile(seq_len=[16, 32], batch_size=2, num_cores=4)
            vectors = m.generate(["Hello world", "Bonjour"])   # float32 [2, dim]
    """

    _tasks = (Task.EMBEDDING, Task.SEQUENCE_CLASSIFICATION)

    @classmethod
    def from_pretrained(cls, path: PathLike, pooling: Optional[str] = None,
                        normalize: Optional[bool] = None, *, cancel: Optional[CancelToken] = None,
                        **load_options: Any) -> "AutoModel":
        """Load an encoder. ``pooling``: "mean", "cls", "max", "mean_sqrt_len",
        "last_token" or "none" (default: the sentence-transformers files, else mean);
        ``normalize``: L2-normalize (default: as the sentence-transformers pipeline)."""
        model = cls(Model.load(path, cancel=cancel, **load_options))
        model._model_options = resolve("model", {"pooling": pooling, "normalize": normalize})
        return model

    def compile(self, seq_len: Union[int, Sequence[int], None] = None, batch_size: Optional[int] = None,
                num_cores: Optional[int] = None, weight_dtype: Optional[str] = None, *,
                cancel: Optional[CancelToken] = None, **options: Any) -> "AutoModel":
        """Compile one specialization per ``seq_len`` at ``batch_size``.

        ``num_cores`` sets the threads per session (``runtime.threads``);
        ``weight_dtype`` is "f32" or "bf16"; other keywords are ``compile.*``
        names (``fuse``, ``specializations``, ``target``), ``cache``/``cache_dir``
        or full keys. ``cancel``: a :class:`qeff.CancelToken` (a cancelled
        compile keeps the previous program). Returns ``self``.
        """
        return self._compile(dict(options, seq_len=seq_len, batch_size=batch_size,
                                  num_cores=num_cores, weight_dtype=weight_dtype, cancel=cancel))

    def embed(self, inputs: Inputs, truncate: bool = False, *, cancel: Optional[CancelToken] = None,
              **options: Any) -> EmbeddingOutput:
        """Run the encoder: embeddings, scores or token embeddings, with token counts and stats."""
        return self._program(cancel).embed(inputs, truncate=truncate, cancel=cancel, **self._runtime, **options)

    def generate(self, inputs: Inputs, truncate: bool = False, *, cancel: Optional[CancelToken] = None,
                 **options: Any) -> Union[np.ndarray, List[np.ndarray]]:
        """Embed texts, (query, document) pairs or token-id rows.

        Returns ``float32 [rows, dim]`` embeddings; for rerankers the scores
        ``[rows, num_labels]``; with pooling "none" a list of ``[tokens, dim]``
        arrays. A row longer than the longest compiled ``seq_len`` raises
        :class:`qeff.ContextOverflowError` unless ``truncate=True``.
        """
        return self.embed(inputs, truncate=truncate, cancel=cancel, **options).value


class AutoModelForCausalLM(_Auto):
    """A causal LM with a KV cache, QEfficient style.

    Example::

        with qeff.AutoModelForCausalLM.from_pretrained(path) as lm:
            lm.compile(prefill_seq_len=32, ctx_len=256)
            out = lm.generate(["Hello"], max_new_tokens=16)
            print(out.generated_texts[0], out.perf_metrics.decode_tokens_per_s)
    """

    _tasks = (Task.CAUSAL_LM,)

    def compile(self, prefill_seq_len: Optional[int] = None, ctx_len: Optional[int] = None,
                batch_size: Optional[int] = None, num_cores: Optional[int] = None,
                weight_dtype: Optional[str] = None, *, cancel: Optional[CancelToken] = None,
                **options: Any) -> "AutoModelForCausalLM":
        """Compile the Prefill (``prefill_seq_len``) and Decode specializations
        for ``ctx_len`` tokens of context and ``batch_size`` rows at once.
        Other keywords (``cancel`` too) as in :meth:`AutoModel.compile`. Returns ``self``."""
        return self._compile(dict(options, prefill_seq_len=prefill_seq_len, ctx_len=ctx_len,
                                  batch_size=batch_size, num_cores=num_cores, weight_dtype=weight_dtype,
                                  cancel=cancel))

    def generate(self, prompts: Inputs, max_new_tokens: Optional[int] = None, *,
                 do_sample: Optional[bool] = None, temperature: Optional[float] = None,
                 top_k: Optional[int] = None, top_p: Optional[float] = None, min_p: Optional[float] = None,
                 repetition_penalty: Optional[float] = None, seed: Optional[int] = None,
                 stop: Union[str, Sequence[str], None] = None, truncate: Optional[bool] = None,
                 cancel: Optional[CancelToken] = None, **options: Any) -> GenerationResult:
        """Generate from prompts (texts or token-id rows) until EOS, a stop string,
        ``max_new_tokens`` or a full context. Unset sampling keywords take
        generation_config.json's values; other keywords are ``generate.*`` names
        (``presence_penalty``, ``eos_token_ids``, ``ignore_eos``,
        ``skip_special_tokens``, ...). Raises :class:`qeff.ContextOverflowError`
        for a prompt of ``ctx_len`` tokens or more unless ``truncate=True``, and
        :class:`qeff.CancelledError` once the ``cancel`` token is requested."""
        kw = dict(options, max_new_tokens=max_new_tokens, do_sample=do_sample, temperature=temperature,
                  top_k=top_k, top_p=top_p, min_p=min_p, repetition_penalty=repetition_penalty, seed=seed,
                  stop=stop, truncate=truncate)
        return self._program(cancel).generate(prompts, cancel=cancel, **self._runtime, **kw)

    def stream(self, prompts: Inputs, max_new_tokens: Optional[int] = None, *,
               cancel: Optional[CancelToken] = None, **options: Any) -> TextStream:
        """Like :meth:`generate`, as a :class:`qeff.TextStream` of events (cancellable)."""
        return self._program(cancel).stream(prompts, cancel=cancel, **self._runtime,
                                            max_new_tokens=max_new_tokens, **options)
