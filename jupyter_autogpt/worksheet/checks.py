"""The autograded checks of a worksheet: assertions that a learner's value equals the agent's.

Each kind of value is compared by what identifies it without being brittle: numbers within a relative
tolerance, text exactly, frames and arrays by shape, labels and the sum of their numbers, small literal
containers exactly. Duck-typed (no pandas or numpy import); a value of no known kind is only required to exist.
"""

from __future__ import annotations

import ast
import hashlib
import math
import numbers
from typing import Any

__all__ = ["checks"]

#: Longest literal (text, list, labels) written into a test cell as it is; longer text is compared by hash.
LITERAL_CHARS = 400
TOLERANCE = "rel_tol=1e-6, abs_tol=1e-9"


def _literal(value: Any) -> str | None:
    """Return ``repr(value)`` when it reads back as an equal Python literal and is short, else ``None``."""
    text = repr(value)
    if len(text) > LITERAL_CHARS:
        return None
    try:
        return text if ast.literal_eval(text) == value else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _number(name: str, value: Any) -> list[str]:
    if isinstance(value, bool):
        return [f"assert bool({name}) is {value}, {name + ' should be ' + str(value)!r}"]
    if isinstance(value, numbers.Integral):
        return [f"assert {name} == {int(value)}, {name + ' differs from the expected ' + str(int(value))!r}"]
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return [f"assert math.isnan({name}), {name + ' should be NaN'!r}"]
    return [f"assert math.isclose({name}, {number!r}, {TOLERANCE}), {name + ' differs from the expected ' + repr(number)!r}"]


def _numeric_sum(name: str, expression: str, total: float) -> str:
    if math.isnan(total):
        return f"assert math.isnan({expression}), {name + ': its numbers differ'!r}"
    return f"assert math.isclose({expression}, {total!r}, {TOLERANCE}), {name + ': its numbers differ'!r}"


def _labels(name: str, part: str, labels: Any) -> list[str]:
    shown = _literal(labels.tolist()) if hasattr(labels, "tolist") else None
    return [f"assert {name}.{part}.tolist() == {shown}, {name + ': its ' + part + ' labels differ'!r}"] if shown else []


def _frame(name: str, value: Any) -> list[str]:
    lines = [f"assert {name}.shape == {tuple(value.shape)!r}, {name + ': its shape differs'!r}"]
    lines += _labels(name, "columns", value.columns)
    lines += _labels(name, "index", value.index)
    numeric = value.select_dtypes("number")
    if numeric.shape[1]:
        total = float(numeric.sum().sum())
        lines.append(_numeric_sum(name, f"float({name}.select_dtypes('number').sum().sum())", total))
    return lines


def _series(name: str, value: Any) -> list[str]:
    lines = [f"assert len({name}) == {len(value)}, {name + ': its length differs'!r}"]
    lines += _labels(name, "index", value.index)
    if getattr(value.dtype, "kind", "") in "biuf":
        lines.append(_numeric_sum(name, f"float({name}.sum())", float(value.sum())))
    return lines


def _array(name: str, value: Any) -> list[str]:
    lines = [f"assert {name}.shape == {tuple(value.shape)!r}, {name + ': its shape differs'!r}"]
    if getattr(value.dtype, "kind", "") in "biuf":
        lines.append(_numeric_sum(name, f"float({name}.sum())", float(value.sum())))
    return lines


def _text(name: str, value: str) -> list[str]:
    if len(value) <= LITERAL_CHARS:
        return [f"assert {name} == {value!r}, {name + ' differs from the expected text'!r}"]
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return [f"assert hashlib.sha256({name}.encode('utf-8')).hexdigest() == {digest!r}, {name + ' differs'!r}"]


def checks(name: str, value: Any) -> list[str]:
    """Return assertion lines that hold when ``name`` (a variable) is equal to ``value``, the agent's.

    The lines may use ``math`` and ``hashlib``, which the test cell imports.
    """
    if isinstance(value, str):
        return _text(name, value)
    if isinstance(value, numbers.Number):
        return _number(name, value)
    if hasattr(value, "select_dtypes") and hasattr(value, "columns") and hasattr(value, "shape"):
        return _frame(name, value)
    if hasattr(value, "index") and hasattr(value, "dtype") and hasattr(value, "shape"):
        return _series(name, value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return _array(name, value)
    literal = _literal(value) if isinstance(value, (list, tuple, dict, set, frozenset)) else None
    if literal is not None:
        return [f"assert {name} == {literal}, {name + ' differs from the expected value'!r}"]
    return [f"assert {name!r} in globals(), {'define ' + name!r}"]
