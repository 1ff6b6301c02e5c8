"""Dispatch to the right describer, and the never-raising entry points built on it."""

from __future__ import annotations

import collections.abc as abc
from collections.abc import Callable
from typing import Any

from ...limits import clip, cut_middle
from ...redaction import redact
from .formatting import BRIEF_CHARS, hostile, is_polars, lib_type, short_repr, type_name
from .frames import describe_array, describe_figure, describe_frame, describe_polars, describe_series
from .objects import (
    container_header,
    describe_code,
    describe_container,
    describe_generic,
    describe_iterator,
    describe_string,
    is_code,
    size_facts,
)

__all__ = ["brief", "summarize"]

_DESCRIBERS: list[tuple[Callable[[Any], bool], Callable[[Any, int], str]]] = [
    (lambda o: lib_type(o, "pandas", "DataFrame"), describe_frame),
    (lambda o: lib_type(o, "pandas", "Series"), describe_series),
    (lambda o: lib_type(o, "numpy", "ndarray"), describe_array),
    (is_polars, describe_polars),
    (lambda o: lib_type(o, "matplotlib.figure", "Figure") or lib_type(o, "matplotlib.axes", "Axes"), describe_figure),
    (lambda o: issubclass(type(o), (str, bytes, bytearray)), describe_string),
    (lambda o: issubclass(type(o), abc.Iterator), describe_iterator),  # before containers: never iterate these
    (lambda o: issubclass(type(o), (abc.Mapping, list, tuple, abc.Set, abc.KeysView)), describe_container),
    (is_code, describe_code),
]


def _describe(obj: Any, max_chars: int) -> str:
    for test, describer in _DESCRIBERS:
        if test(obj):
            return describer(obj, max_chars)
    return describe_generic(obj, max_chars)


def summarize(obj: Any, max_chars: int = 2000) -> str:
    """Return a bounded, informative description of ``obj``; never raises.

    Parameters
    ----------
    obj
        Any object: pandas and polars frames, numpy arrays, containers, callables, figures, anything.
    max_chars
        Bound on the length of the returned text.

    Returns
    -------
    str
        The type and size first, then the most useful detail that fits. Statistics of long frames
        and arrays come from a bounded sample, and the text says so.
    """
    try:
        text = _describe(obj, max_chars)
    except BaseException as exc:  # odd objects must degrade, never break the run (a __repr__ may raise SystemExit)
        if not hostile(exc):
            raise
        text = _fallback(obj, exc)
    return cut_middle(redact(text), max_chars)  # redacted before the cut: no piece of a secret is left behind


def _fallback(obj: Any, exc: BaseException) -> str:
    facts = size_facts(obj)
    return f"{type_name(obj)} ({', '.join([*facts, f'could not be described: {type(exc).__name__}'])})"


def brief(obj: Any, width: int = BRIEF_CHARS) -> str:
    """Return a one-line description of ``obj`` of at most ``width`` characters; never raises.

    Cheaper than ``summarize``: no statistics, and containers are not walked (so nesting cannot multiply cost).
    """
    try:
        text = _headline(obj, width)
    except BaseException as exc:  # odd objects must degrade, never break the run
        if not hostile(exc):
            raise
        text = _fallback(obj, exc)
    return clip(redact(text.replace("\n", " ")), width)


def _headline(obj: Any, width: int) -> str:
    if lib_type(obj, "pandas", "DataFrame"):
        return f"pandas.DataFrame, {obj.shape[0]:,} rows × {obj.shape[1]:,} columns"
    if lib_type(obj, "pandas", "Series"):
        return f"pandas.Series, {len(obj):,} values, dtype {obj.dtype}"
    if lib_type(obj, "numpy", "ndarray"):
        return f"{type_name(obj)} shape={obj.shape} dtype={obj.dtype}"
    if issubclass(type(obj), (abc.Mapping, list, tuple, abc.Set, abc.KeysView)):
        return f"{container_header(obj, tally_types=False)} = {short_repr(obj, width)}"
    return _describe(obj, width * 2).split("\n", 1)[0]
