"""Whether an agent's answer agrees with a reference answer: numbers within a tolerance, words as words.

An answer may be the object ``final_answer`` got (a number, a string, a list, a Series, a DataFrame) or text
(a sentence, or the closed form ``@name[value]``). The rules, in order:

- ``@name[value]`` answers are read as their values;
- numbers agree within a relative 1e-4 (absolute 1e-6), or when the answer has decimals (1 to 6) and the
  reference rounded to as many equals it (an answer "rounded to two decimals" agrees with the exact reference;
  a whole number must be exact);
- a number and a text agree when the text states that number (the answer "The mean is 3.50.");
- truth values agree with their words (yes/no, true/false);
- texts agree when equal ignoring case, spacing and punctuation, or when the answer holds the reference as a
  whole phrase (the answer "North has the most sales" agrees with "North");
- sequences (lists, tuples, arrays, Series, Index) agree element by element;
- tables (DataFrames) agree when their values do.

Standard library only: pandas and numpy objects are recognised by their methods.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["agree", "closed_form"]

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?")
_CLOSED = re.compile(r"@(\w+)\[([^\]]*)\]")
_TRUE, _FALSE = {"yes", "true", "y"}, {"no", "false", "n"}


def closed_form(text: str) -> list[tuple[str, str]]:
    """Return the ``@name[value]`` pairs in ``text`` (DABench's answer format)."""
    return [(m.group(1), m.group(2).strip()) for m in _CLOSED.finditer(text)]


def _scalar(value: Any) -> Any:
    """Return numpy scalars as Python ones (``item()``), everything else unchanged."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers_agree(answer: float, reference: float) -> bool:
    if math.isnan(answer) or math.isnan(reference):
        return math.isnan(answer) and math.isnan(reference)
    if math.isclose(answer, reference, rel_tol=1e-4, abs_tol=1e-6):
        return True
    decimals = len(repr(float(answer)).partition(".")[2].rstrip("0"))
    return 1 <= decimals <= 6 and not math.isinf(reference) and round(reference, decimals) == answer


def _numbers_in(text: str) -> list[float]:
    found = []
    for match in _NUMBER.finditer(text):
        token = match.group().replace(",", "")
        if token and any(c.isdigit() for c in token):
            try:
                found.append(float(token))
            except ValueError:
                continue
    return found


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w.\-]+", " ", text.casefold()).split()).strip(" .")


def _text_agrees(answer: str, reference: str) -> bool:
    said, expected = _words(answer), _words(reference)
    if not expected:
        return not said
    return said == expected or re.search(rf"(?<![\w.]){re.escape(expected)}(?![\w]|\.\w)", said) is not None


def _sequence(value: Any) -> list[Any] | None:
    if isinstance(value, (list, tuple)):
        return list(value)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and getattr(value, "ndim", 0) == 1:
        listed = tolist()
        return listed if isinstance(listed, list) else None
    return None


def _tables_agree(answer: Any, reference: Any) -> bool:
    try:
        return bool(reference.reset_index(drop=True).equals(answer.reset_index(drop=True))) or \
            _sequences_agree(answer.to_numpy().ravel().tolist(), reference.to_numpy().ravel().tolist())
    except (AttributeError, TypeError, ValueError):
        return False


def _sequences_agree(answer: list[Any], reference: list[Any]) -> bool:
    return len(answer) == len(reference) and all(agree(a, r)[0] for a, r in zip(answer, reference, strict=True))


def _scalars_agree(answer: Any, reference: Any) -> bool:
    if isinstance(reference, bool):
        if isinstance(answer, bool):
            return answer == reference
        word = _words(str(answer)).split(" ")[0] if str(answer).strip() else ""
        return word in (_TRUE if reference else _FALSE)
    if _is_number(reference):
        if _is_number(answer):
            return _numbers_agree(float(answer), float(reference))
        return isinstance(answer, str) and any(_numbers_agree(n, float(reference)) for n in _numbers_in(answer))
    return _text_agrees(str(answer), str(reference))


def agree(answer: Any, reference: Any) -> tuple[bool, str]:
    """Return whether ``answer`` agrees with ``reference``, and a short reason."""
    if answer is None:
        return False, "the run gave no answer"
    if isinstance(answer, str) and closed_form(answer):
        values = [value for _, value in closed_form(answer)]
        answer = values[0] if len(values) == 1 else values
    answer, reference = _scalar(answer), _scalar(reference)
    if hasattr(reference, "columns"):
        ok = _tables_agree(answer, reference)
    elif (expected := _sequence(reference)) is not None:
        given = _sequence(answer)
        ok = given is not None and _sequences_agree(given, expected)
    else:
        ok = _scalars_agree(answer, reference)
    return ok, "agrees with the reference" if ok else "differs from the reference"
