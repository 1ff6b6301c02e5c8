"""Dispatch to the right describer, and the never-raising entry points built on it."""

from __future__ import annotations

import collections.abc as abc
from collections.abc import Callable
from typing import Any

from ...limits import clip, cut_middle, short_repr
from ._frames import _figure, _numpy_array, _pandas_frame, _pandas_series, _polars
from ._objects import _code_object, _container, _container_header, _generic, _is_code, _iterator, _size_facts, _string
from ._text import BRIEF_CHARS, _is_polars, _lib_type, _type_name

_DESCRIBERS: list[tuple[Callable[[Any], bool], Callable[[Any, int], str]]] = [
    (lambda o: _lib_type(o, "pandas", "DataFrame"), _pandas_frame),
    (lambda o: _lib_type(o, "pandas", "Series"), _pandas_series),
    (lambda o: _lib_type(o, "numpy", "ndarray"), _numpy_array),
    (_is_polars, _polars),
    (lambda o: _lib_type(o, "matplotlib.figure", "Figure") or _lib_type(o, "matplotlib.axes", "Axes"), _figure),
    (lambda o: issubclass(type(o), (str, bytes, bytearray)), _string),
    (lambda o: issubclass(type(o), abc.Iterator), _iterator),  # before containers: never iterate these
    (lambda o: issubclass(type(o), (abc.Mapping, list, tuple, abc.Set, abc.KeysView)), _container),
    (_is_code, _code_object),
]


def _describe(obj: Any, max_chars: int) -> str:
    for test, describer in _DESCRIBERS:
        if test(obj):
            return describer(obj, max_chars)
    return _generic(obj, max_chars)


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
    except Exception as exc:  # odd objects must degrade, never break the run
        text = _fallback(obj, exc)
    return cut_middle(text, max_chars)


def _fallback(obj: Any, exc: BaseException) -> str:
    facts = _size_facts(obj)
    return f"{_type_name(obj)} ({', '.join([*facts, f'could not be described: {type(exc).__name__}'])})"


def _brief(obj: Any, width: int = BRIEF_CHARS) -> str:
    """Return a one-line description of ``obj`` of at most ``width`` characters; never raises.

    Cheaper than ``summarize``: no statistics, and containers are not walked (so nesting cannot multiply cost).
    """
    try:
        text = _headline(obj, width)
    except Exception as exc:  # odd objects must degrade, never break the run
        text = _fallback(obj, exc)
    return clip(text.replace("\n", " "), width)


def _headline(obj: Any, width: int) -> str:
    if _lib_type(obj, "pandas", "DataFrame"):
        return f"pandas.DataFrame, {obj.shape[0]:,} rows × {obj.shape[1]:,} columns"
    if _lib_type(obj, "pandas", "Series"):
        return f"pandas.Series, {len(obj):,} values, dtype {obj.dtype}"
    if _lib_type(obj, "numpy", "ndarray"):
        return f"{_type_name(obj)} shape={obj.shape} dtype={obj.dtype}"
    if issubclass(type(obj), (abc.Mapping, list, tuple, abc.Set, abc.KeysView)):
        return f"{_container_header(obj, tally_types=False)} = {short_repr(obj, width)}"
    return _describe(obj, width * 2).split("\n", 1)[0]
