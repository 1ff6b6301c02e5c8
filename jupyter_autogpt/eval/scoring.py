"""Score an answer in DABench's closed form: ``@name[value]`` for each expected value.

The rules follow InfiAgent-DABench's own evaluation: every ``@name[value]`` in the answer text is read (the
last one wins when a name repeats); a sub-answer is right when its value equals the label's, or both are
numbers within ``tolerance`` (DABench uses 1e-6); a question counts only when all its sub-answers are right.
Surrounding spaces and one pair of matching quotes around a value are ignored; text is otherwise compared
exactly (``Yes`` is not ``yes``), as DABench does. Standard library only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["DEFAULT_TOLERANCE", "Score", "SubAnswer", "extract", "matches", "score"]

#: DABench's numeric tolerance: |answer - label| < 1e-6 counts as equal.
DEFAULT_TOLERANCE = 1e-6
_ANSWER = re.compile(r"@(\w+)\[(.*?)\]")
#: How much of a wrong value a failure reason quotes.
_QUOTED = 40


@dataclass(frozen=True)
class SubAnswer:
    """One expected value and what the answer gave for it (``None``: the answer has no ``@name[...]``)."""

    name: str
    expected: str
    got: str | None
    correct: bool


@dataclass(frozen=True)
class Score:
    """The verdict on one answer: right when every sub-answer is; ``reason`` says what was wrong."""

    subs: tuple[SubAnswer, ...]
    extracted: dict[str, str]

    @property
    def correct(self) -> bool:
        return all(s.correct for s in self.subs)

    @property
    def reason(self) -> str | None:
        """Return what was wrong, e.g. ``"wrong std_score: 15.3 (expected 15.12)"``, or ``None`` when right."""
        missing = [s.name for s in self.subs if s.got is None]
        wrong = [s for s in self.subs if s.got is not None and not s.correct]
        parts = []
        if missing:
            found = f" (found {', '.join('@' + n for n in self.extracted)})" if self.extracted else ""
            parts.append("no " + ", ".join(f"@{n}[…]" for n in missing) + " in the answer" + found)
        parts += [f"wrong {s.name}: {_quote(s.got or '')} (expected {_quote(s.expected)})" for s in wrong]
        return "; ".join(parts) or None


def extract(text: str) -> dict[str, str]:
    """Return each ``@name[value]`` of ``text`` as name -> value (the last one wins when a name repeats)."""
    return {name: value for name, value in _ANSWER.findall(text)}


def matches(got: str, expected: str, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Return whether ``got`` equals ``expected`` as text, or as numbers within ``tolerance``."""
    a, b = _clean(got), _clean(expected)
    if a == b:
        return True
    x, y = _number(a), _number(b)
    return x is not None and y is not None and abs(x - y) <= tolerance


def score(answer: str, labels: Sequence[tuple[str, str]], tolerance: float = DEFAULT_TOLERANCE) -> Score:
    """Return the verdict on ``answer`` against the expected ``labels`` (name, value) of one question."""
    found = extract(answer)
    subs = tuple(
        SubAnswer(name, value, found.get(name), name in found and matches(found[name], value, tolerance))
        for name, value in labels
    )
    return Score(subs, found)


def _clean(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1].strip()
    return value


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _quote(value: str) -> str:
    return value if len(value) <= _QUOTED else value[: _QUOTED - 1] + "…"
