"""Formatting helpers shared by the describers: bounded reprs, numbers, sizes, samples."""

from __future__ import annotations

import builtins
import reprlib
import sys
from collections.abc import Callable, Iterable
from typing import Any

from ...limits import clip
from ...redaction import redact

__all__ = [
    "BRIEF_CHARS",
    "MIN_DETAIL",
    "SAMPLE_CELLS",
    "SAMPLE_ROWS",
    "WEIGHTS",
    "Overdue",
    "fit_lines",
    "format_bytes",
    "format_number",
    "format_share",
    "hostile",
    "is_polars",
    "kind_of",
    "lib_type",
    "redacted",
    "sample_positions",
    "short_repr",
    "type_name",
]

#: Rows a big frame's statistics are computed on (head, tail and seeded random rows).
SAMPLE_ROWS = 10_000
#: Bound on the cells (rows × described columns) a wide frame's sample may hold.
SAMPLE_CELLS = 200_000
#: Below this share of the budget, a variable gets one line instead of a full summary.
MIN_DETAIL = 240
BRIEF_CHARS = 160
_EDGE = SAMPLE_ROWS // 10
WEIGHTS = {"frame": 4, "data": 2, "other": 1}


class Overdue(BaseException):
    """Raised inside an object's description when its time is up (see ``summaries.budget``)."""


def hostile(exc: BaseException) -> bool:
    """Return whether ``exc`` came from an object's own code: anything but an interrupt or the time budget's cut.

    A ``__repr__`` may raise ``SystemExit`` or ``GeneratorExit`` as well as any ``Exception``; a description then
    degrades to the type. The user's interrupt and ``Overdue`` pass through to whoever handles them.
    """
    return not isinstance(exc, (KeyboardInterrupt, Overdue))


def redacted(text: str, limit: int) -> str:
    """Return ``text`` redacted, then cut at the end to ``limit``: a cut never splits a secret it could have named."""
    return clip(redact(text), limit)


class _RedactingRepr(reprlib.Repr):
    """``reprlib`` that redacts every string and every object's repr before it shortens them (it keeps both ends)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.maxstring = self.maxother = max(20, width)
        self.maxlong = 40
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdeque = self.maxarray = 8
        self.maxdict = 6
        self.maxlevel = 2

    def repr_str(self, x: str, level: int) -> str:
        return super().repr_str(redact(str.__str__(x)), level)

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            text = redact(builtins.repr(x))
        except BaseException as exc:  # reprlib's own fallback, without touching x.__class__ (a hostile property)
            if not hostile(exc):
                raise
            return f"<{type(x).__name__} instance at {id(x):#x}>"
        if len(text) > self.maxother:
            head = max(0, (self.maxother - 3) // 2)
            tail = max(0, self.maxother - 3 - head)
            text = text[:head] + "..." + text[len(text) - tail :]
        return text


def short_repr(obj: Any, width: int = 80) -> str:
    """Return a one-line repr of at most ``width`` characters, secrets redacted before anything is cut."""
    return clip(_RedactingRepr(width).repr(obj).replace("\n", " "), width)


def type_name(obj: Any) -> str:
    """Return the dotted name of ``obj``'s type (bare for builtins), or ``object`` for a hostile metaclass."""
    tp = type(obj)
    try:
        module, name = tp.__module__, tp.__qualname__
    except BaseException as exc:  # a hostile metaclass
        if not hostile(exc):
            raise
        return "object"
    if not (isinstance(module, str) and isinstance(name, str)):
        return "object"
    return name if module == "builtins" else f"{module}.{name}"


def lib_type(obj: Any, module: str, *names: str) -> bool:
    """Return whether ``obj`` is an instance of ``module.name`` (False when ``module`` was never imported)."""
    mod = sys.modules.get(module)
    if mod is None:
        return False
    classes = [getattr(mod, n, None) for n in names]
    return any(isinstance(c, type) and issubclass(type(obj), c) for c in classes)


def is_polars(obj: Any) -> bool:
    """Return whether ``obj`` comes from polars (duck-typed: polars is never imported here)."""
    module = getattr(type(obj), "__module__", "") or ""
    return "polars" in sys.modules and module.split(".")[0] == "polars"


def kind_of(obj: Any) -> str:
    """Return ``frame``, ``data`` (series, arrays) or ``other``: how much of a budget the object deserves."""
    if lib_type(obj, "pandas", "DataFrame") or (is_polars(obj) and "Frame" in type(obj).__name__):
        return "frame"
    if lib_type(obj, "pandas", "Series") or lib_type(obj, "numpy", "ndarray") or is_polars(obj):
        return "data"
    return "other"


def format_number(value: Any) -> str:
    """Return a compact rendering of a statistic (numbers to 4 significant digits)."""
    if isinstance(value, bool):
        return str(value)
    try:
        if float(value) == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{float(value):.4g}"
    except (TypeError, ValueError, OverflowError):
        return clip(str(value), 40)


def format_bytes(n: float) -> str:
    """Return ``n`` bytes in B, KB, MB or GB."""
    units = ["B", "KB", "MB", "GB"]
    while n >= 1024 and len(units) > 1:
        n, units = n / 1024, units[1:]
    return f"{n:,.0f} B" if units[0] == "B" else f"{n:,.1f} {units[0]}"


def fit_lines(lines: Iterable[str], limit: int, more: Callable[[int], str] | None = None, total: int = 0) -> list[str]:
    """Return the leading ``lines`` that fit ``limit`` characters, plus ``more(n_left)`` when some did not."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit:
            break
        kept.append(line)
        used += len(line) + 1
    if more is not None and total > len(kept):
        kept.append(more(total - len(kept)))
    return kept


# -- pandas ------------------------------------------------------------------------------------------------------


def sample_positions(n: int, width: int) -> Any:
    """Return sorted row positions to compute statistics on, or ``None`` when all ``n`` rows are cheap enough."""
    rows = min(SAMPLE_ROWS, max(1_000, SAMPLE_CELLS // max(1, width)))
    if n <= rows:
        return None
    np = sys.modules["numpy"]  # pandas imported it
    edge = min(_EDGE, rows // 10)
    middle = np.random.default_rng(0).integers(edge, n - edge, rows - 2 * edge)
    return np.unique(np.concatenate([np.arange(edge), middle, np.arange(n - edge, n)]))


def format_share(count: int, total: int, sampled: bool) -> str:
    """Return ``count`` of ``total``: a count, or an approximate percentage when it comes from a sample."""
    return f"~{100 * count / total:.1f}%" if sampled else f"{count:,}"
