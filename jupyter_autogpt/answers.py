"""A run's answer as the views show and save it: bounded, redacted, and cheap to make (standard library only).

The answer itself stays whole in ``Run.answer``; everything else (the cell's result, the live view, the
transcript JSON, the static transcript, exported notebooks) shows ``answer_text``, which ``Run`` computes once.
A ``final_answer`` of 200 MB used to be copied whole into the cell's output three times, and a list of ten
million numbers had its full ``repr`` built six times: here a string is cut after redaction (so a cut never
leaves a piece of a secret), and lists, tuples, sets and dicts are walked only as far as the limit reaches.
"""

from __future__ import annotations

import json
from typing import Any

from .limits import ANSWER_CHARS, ANSWER_REPR_CHARS, clip, cut_middle
from .redaction import redact

__all__ = ["answer_json", "answer_text", "bounded_repr"]

_BRACKETS: dict[type, tuple[str, str]] = {
    list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"), frozenset: ("frozenset({", "})"), dict: ("{", "}"),
}
_MAX_DEPTH = 40


class _Full(Exception):
    """The repr being built reached its limit."""


class _Writer:
    def __init__(self, limit: int) -> None:
        self.parts: list[str] = []
        self.left = limit

    def write(self, text: str) -> None:
        self.parts.append(text[: max(0, self.left)])
        self.left -= len(text)
        if self.left < 0:
            raise _Full


def _items(obj: Any) -> Any:
    return obj.items() if type(obj) is dict else obj


def _walk(obj: Any, out: _Writer, depth: int, seen: frozenset[int]) -> None:
    kind = type(obj)
    if kind is str:
        out.write(repr(redact(obj)))  # the whole string first: a cut must not leave part of a secret
    elif kind not in _BRACKETS:
        out.write(repr(obj))  # another object's own repr, called once (pandas and numpy bound theirs)
    elif id(obj) in seen or depth > _MAX_DEPTH:
        out.write("[...]" if kind is list else "{...}" if kind is dict else "(...)")
    elif not obj and kind in (set, frozenset):
        out.write(f"{kind.__name__}()")
    else:
        opening, closing = _BRACKETS[kind]
        out.write(opening)
        inner = seen | {id(obj)}
        for i, item in enumerate(_items(obj)):
            out.write(", " if i else "")
            if kind is dict:
                _walk(item[0], out, depth + 1, inner)
                out.write(": ")
                item = item[1]
            _walk(item, out, depth + 1, inner)
        out.write("," + closing if kind is tuple and len(obj) == 1 else closing)


def bounded_repr(obj: Any, limit: int) -> str:
    """Return ``repr(obj)`` up to about ``limit`` characters, ending in "…" when cut; never raises.

    Built-in containers and strings are written as ``repr`` writes them, element by element, so the cost
    follows ``limit`` rather than the size of the object; any other object's ``__repr__`` is called once.
    """
    out = _Writer(limit)
    try:
        _walk(obj, out, 0, frozenset())
    except _Full:
        return "".join(out.parts) + "…"
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a user object's __repr__ may raise anything, SystemExit included
        return f"<{type(obj).__name__} (repr failed: {type(exc).__name__})>"
    return "".join(out.parts)


def answer_text(answer: Any) -> str:
    """Return the answer as the views show it: a string redacted then cut, anything else as a bounded repr."""
    if answer is None:
        return ""
    if issubclass(type(answer), str):  # by type: isinstance may consult a hostile __class__
        return cut_middle(redact(str.__str__(answer)), ANSWER_CHARS)
    return clip(redact(bounded_repr(answer, 2 * ANSWER_REPR_CHARS)), ANSWER_REPR_CHARS)


def _small(value: Any, budget: list[int], depth: int = 0) -> bool:
    """Return whether ``value`` is plain JSON data within ``budget`` characters (stops as soon as it is not)."""
    if depth > _MAX_DEPTH:
        return False
    kind = type(value)  # exact types: plain JSON only, and never a hostile __class__
    if value is None or kind in (bool, float):
        budget[0] -= 8
    elif kind is int:
        budget[0] -= value.bit_length() // 3 + 2
    elif kind is str:
        budget[0] -= len(value) + 2
    elif kind in (list, tuple):
        budget[0] -= 2
        return budget[0] >= 0 and all(_small(v, budget, depth + 1) for v in value)
    elif kind is dict:
        budget[0] -= 2
        return budget[0] >= 0 and all(
            type(k) is str and _small(k, budget) and _small(v, budget, depth + 1) for k, v in value.items()
        )
    else:
        return False
    return budget[0] >= 0


def answer_json(answer: Any, text: str) -> Any:
    """Return the answer for a transcript: itself when it is small plain JSON, else ``text`` (its shown form)."""
    if issubclass(type(answer), str) or not _small(answer, [ANSWER_REPR_CHARS]):
        return text
    try:
        json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return text
    return answer
