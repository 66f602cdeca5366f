"""Options: typed settings (``qeff_options``) and the keyword-argument mapping.

Every function of the idiomatic API takes keyword arguments that become
option keys (docs/options.md): a QEfficient-style name (``seq_len``,
``ctx_len``, ``num_cores``, ...), the key's short name under the call's
prefix (``fuse`` -> ``compile.fuse`` in ``compile()``), or any full key with
``**{"compile.fuse": False}``. Unknown keys and out-of-range values raise
:class:`qeff.InvalidArgumentError` from the library, so typos never pass.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from . import capi
from ._cancel import CancelToken, check_token
from ._handle import Handle

__all__ = ["OptionType", "OptionKey", "Options", "option_keys"]


class OptionType(enum.IntEnum):
    """Type of an option's value (``qeff_option_type``)."""

    BOOL = capi.QEFF_OPTION_BOOL
    INT = capi.QEFF_OPTION_INT
    FLOAT = capi.QEFF_OPTION_FLOAT
    STRING = capi.QEFF_OPTION_STRING
    INT_LIST = capi.QEFF_OPTION_INT_LIST


@dataclass(frozen=True)
class OptionKey:
    """One known option key: its name, value type and one-line description."""

    name: str
    type: OptionType
    description: str


_registry: Optional[Dict[str, OptionKey]] = None


def _keys() -> Dict[str, OptionKey]:
    global _registry
    if _registry is None:
        keys = {}
        for index in range(capi.qeff_options_key_count()):
            name, type_, description = capi.qeff_options_key_info(index)
            keys[name] = OptionKey(name, OptionType(type_), description)
        _registry = keys
    return _registry


def option_keys() -> List[OptionKey]:
    """Every option key the loaded library knows (``qeff_options_key_info``)."""
    return list(_keys().values())


class Options(Handle):
    """A ``qeff_options`` object: a mutable mapping of option keys to values.

    Values are set with the setter of the key's type: ``bool`` for BOOL,
    ``int`` for INT, ``int``/``float`` for FLOAT, ``str`` for STRING (a list
    is JSON-encoded, e.g. ``generate.stop``), a sequence of ints (or one int)
    for INT_LIST. :meth:`get` returns the textual form of the current value.

    A :class:`qeff.CancelToken` attached with ``cancel=`` (or
    :meth:`set_cancel`) makes the calls given these options cancellable.

    Example::

        with qeff.Options({"compile.seq_len": [16, 32]}, num_cores=4) as o:
            o["compile.fuse"] = False    # keys in full; keywords are the aliases
    """

    _kind = "options"

    def __init__(self, values: Optional[Mapping[str, Any]] = None, *,
                 cancel: Optional[CancelToken] = None, **kwargs: Any) -> None:
        super().__init__(capi.qeff_options_create(), capi.qeff_options_free)
        self.update(values or {}, **kwargs)
        if cancel is not None:
            self.set_cancel(cancel)

    def set_cancel(self, token: Optional[CancelToken]) -> None:
        """Attach a cancellation token (``qeff_options_set_cancel``; the
        options keep their own reference), or detach it with ``None``."""
        check_token(token)
        with self._use() as ptr:
            if token is None:
                capi.qeff_options_set_cancel(ptr, None)
            else:
                with token._use() as tok:
                    capi.qeff_options_set_cancel(ptr, tok)

    def update(self, values: Mapping[str, Any] = (), **kwargs: Any) -> "Options":
        """Set several keys (full names in ``values``; keyword names are the
        aliases such as ``num_cores`` or ``pooling``). ``None`` values are skipped."""
        aliased = {ALIASES.get(name) or name: value for name, value in kwargs.items()}
        for key, value in dict(values, **aliased).items():
            if value is not None:
                self.set(key, value)
        return self

    def set(self, key: str, value: Any) -> None:
        """Set ``key`` with the typed setter its registry type calls for."""
        info = _keys().get(key)
        with self._use() as ptr:
            if info is None:  # the library names the unknown key
                capi.qeff_options_set(ptr, key, _text(value))
            elif info.type is OptionType.BOOL:
                if not isinstance(value, (bool, int)) or isinstance(value, int) and value not in (0, 1):
                    capi.qeff_options_set(ptr, key, str(value))  # the library rejects it, naming the key
                else:
                    capi.qeff_options_set_bool(ptr, key, int(bool(value)))
            elif info.type is OptionType.INT and isinstance(value, int):
                capi.qeff_options_set_int(ptr, key, int(value))
            elif info.type is OptionType.FLOAT and isinstance(value, (int, float)) and not isinstance(value, bool):
                capi.qeff_options_set_float(ptr, key, float(value))
            elif info.type is OptionType.INT_LIST and not isinstance(value, (str, bytes)):
                capi.qeff_options_set_int_list(ptr, key, [value] if isinstance(value, int) else list(value))
            elif info.type is OptionType.STRING and isinstance(value, (list, tuple, dict)):
                capi.qeff_options_set_string(ptr, key, json.dumps(value))
            elif info.type is OptionType.STRING:
                capi.qeff_options_set_string(ptr, key, str(value))
            else:
                capi.qeff_options_set(ptr, key, _text(value))

    def set_text(self, key: str, value: str) -> None:
        """Set ``key`` from its textual form (``qeff_options_set``: "true", "32,64", ...)."""
        self._call(capi.qeff_options_set, key, value)

    def get(self, key: str) -> str:
        """The current value of ``key`` (its default when unset) in textual form."""
        return self._call(capi.qeff_options_get, key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __getitem__(self, key: str) -> str:
        return self.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_keys())

    def items(self) -> Iterable[Tuple[str, str]]:
        """Every known key with its current textual value."""
        return [(key, self.get(key)) for key in _keys()]

    @classmethod
    def _from_kwargs(cls, prefix: str, kwargs: Mapping[str, Any]) -> "Options":
        return cls(resolve(prefix, kwargs))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(int(v)) for v in value)
    return str(value)


# QEfficient-style keyword names that are not "<prefix>.<name>".
ALIASES: Dict[str, str] = {
    "num_cores": "runtime.threads",
    "threads": "runtime.threads",
    "pooling": "model.pooling",
    "normalize": "model.normalize",
    "kv_cache_dtype": "model.kv_cache_dtype",
    "cache": "cache.enabled",
    "cache_dir": "cache.dir",
    "add_special_tokens": "tokenize.add_special_tokens",
    "parse_special": "tokenize.parse_special",
    "verify": "package.verify",
    "overwrite": None,  # resolved per call: package.overwrite / export.overwrite
}


def resolve(prefix: str, kwargs: Mapping[str, Any], overwrite_key: str = "") -> Dict[str, Any]:
    """Map keyword arguments to option keys.

    ``name`` becomes ``ALIASES[name]``, else ``"<prefix>.<name>"``; names with
    a dot are kept. ``None`` values are dropped.
    """
    out: Dict[str, Any] = {}
    for name, value in kwargs.items():
        if value is None:
            continue
        if "." in name:
            key = name
        elif name == "overwrite" and overwrite_key:
            key = overwrite_key
        elif ALIASES.get(name):
            key = ALIASES[name]
        else:
            key = f"{prefix}.{name}"
        out[key] = value
    return out
