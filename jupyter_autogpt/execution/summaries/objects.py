"""Describers for everything else: strings, containers, iterators, code objects, anything."""

from __future__ import annotations

import collections.abc as abc
import functools
import inspect as pyinspect
import itertools
import types
from collections import Counter
from typing import Any

from ...limits import clip
from ...redaction import redact
from . import dispatch  # late-bound: describing a container describes its items
from .formatting import fit_lines, hostile, redacted, short_repr, type_name

__all__ = [
    "container_header",
    "describe_code",
    "describe_container",
    "describe_generic",
    "describe_iterator",
    "describe_string",
    "is_code",
    "size_facts",
]


def describe_string(s: str | bytes | bytearray, max_chars: int) -> str:
    """Return the length of a text or bytes value and as much of it as fits, both ends when it does not."""
    kind = "chars" if isinstance(s, str) else "bytes"
    header = f"{type(s).__name__}, {len(s):,} {kind}"
    if isinstance(s, str):
        s = redact(str.__str__(s))  # before the ends are cut: a cut never leaves half a secret
    if len(s) + len(header) + 4 <= max_chars:
        return f"{header} = {s!r}"
    part = max(20, (max_chars - len(header) - 40) // 2)
    return f"{header}; starts {s[:part]!r}\n… ends {s[-part:]!r}"


_SCALARS = (int, float, complex, str, bytes, type(None))


def describe_container(obj: Any, max_chars: int) -> str:
    """Return a container's size and item types, then its first items (mappings: key and brief value)."""
    header = container_header(obj)
    head = list(itertools.islice(obj.items() if issubclass(type(obj), abc.Mapping) else obj, 50))
    if issubclass(type(obj), abc.Mapping):
        lines = [f"  {short_repr(k, 40)}: {dispatch.brief(v, 100)}" for k, v in head]
    elif all(issubclass(type(x), _SCALARS) for x in head):  # plain values read best as one repr
        return f"{header}\n  {short_repr(obj, max(60, max_chars - len(header) - 3))}"
    else:
        lines = [f"  {dispatch.brief(x, 120)}" for x in head]
    return "\n".join([header, *fit_lines(lines, max_chars - len(header) - 30, lambda k: f"  … {k:,} more", len(obj))])


def container_header(obj: Any, tally_types: bool = True) -> str:
    """Return a container's type and length, with a tally of its item types when ``tally_types``."""
    n = len(obj)
    what = ("key" if issubclass(type(obj), abc.Mapping) else "item") + ("" if n == 1 else "s")
    if not tally_types:
        return f"{type_name(obj)}, {n:,} {what}"
    kinds = Counter(type(x).__name__ for x in itertools.islice(obj, 1_000))
    tally = ", ".join(f"{t} ×{c}" for t, c in kinds.most_common(4))
    where = " in the first 1,000" if n > 1_000 else ""
    return f"{type_name(obj)}, {n:,} {what}" + (f" ({what.rstrip('s')} types: {tally}{where})" if tally else "")


def describe_iterator(obj: Any, max_chars: int) -> str:
    """Return an iterator's type and state; never consumes it."""
    state = ""
    if pyinspect.isgenerator(obj):
        state = f", {pyinspect.getgeneratorstate(obj).lower().removeprefix('gen_')}"
    return f"{type_name(obj)} (an iterator{state}; not consumed): {short_repr(obj, max_chars)}"


def _signature(obj: Any) -> str:
    try:
        return str(pyinspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def _doc_line(obj: Any) -> str:
    doc = pyinspect.getdoc(obj) or ""
    return f" — {redacted(doc.strip().splitlines()[0], 160)}" if doc.strip() else ""


def describe_code(obj: Any, max_chars: int) -> str:
    """Return a module's, class's or function's name, signature and first docstring line."""
    if isinstance(obj, types.ModuleType):
        version = getattr(obj, "__version__", None)  # not its file: a path says where the user's files are
        return f"module {obj.__name__}{f' {version}' if isinstance(version, str) else ''}{_doc_line(obj)}"
    if isinstance(obj, type):
        bases = ", ".join(b.__name__ for b in obj.__bases__ if b is not object)
        methods = [n for n, v in vars(obj).items() if callable(v) and not n.startswith("_")]
        text = f"class {obj.__qualname__}({bases}), called as {_signature(obj)}{_doc_line(obj)}"
        return text + (f"\nmethods: {clip(', '.join(methods), max_chars // 2)}" if methods else "")
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or short_repr(obj, 60)
    return f"{type_name(obj)} {name}{_signature(obj)}{_doc_line(obj)}"


def size_facts(obj: Any) -> list[str]:
    """Return ``shape``, ``dtype`` and ``len`` of ``obj`` as far as they can be had without an error."""
    facts = []
    for attr in ("shape", "dtype"):
        try:
            value = getattr(obj, attr, None)
            if value is not None and not callable(value):
                facts.append(f"{attr}={short_repr(value, 60)}")
        except BaseException as exc:  # a hostile or lazy ``__getattr__``
            if not hostile(exc):
                raise
    if hasattr(type(obj), "__len__"):
        try:
            facts.append(f"len {len(obj):,}")
        except BaseException as exc:
            if not hostile(exc):
                raise
            facts.append("len unavailable")
    return facts


def describe_generic(obj: Any, max_chars: int) -> str:
    """Return any object's type, shape, dtype and length where it has them, and a bounded repr."""
    facts = size_facts(obj)
    header = type_name(obj) + (f" ({', '.join(facts)})" if facts else "")
    return f"{header} = {short_repr(obj, max(40, max_chars - len(header) - 3))}"


#: Functions, methods and builtins, tested by type (``inspect.isroutine`` may touch ``obj.__class__``).
_ROUTINES = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.ClassMethodDescriptorType,
    functools.partial,
)


def is_code(obj: Any) -> bool:
    """Return whether ``obj`` is a module, a class or a routine (tested by type, never by ``__class__``)."""
    return issubclass(type(obj), (types.ModuleType, type, *_ROUTINES))
