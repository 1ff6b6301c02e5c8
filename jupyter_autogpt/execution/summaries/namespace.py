"""The user's namespace as the model reads it: an overview of many variables, or a few described, in one budget.

Two budgets: characters (``max_chars``, shared by weight), and time (``TimeBudget``: describing one object runs its
code, which may sleep; each object, and the whole overview, gets a bounded time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...limits import clip, cut_middle
from .budget import TimeBudget
from .dispatch import brief, summarize
from .formatting import BRIEF_CHARS, MIN_DETAIL, WEIGHTS, hostile, kind_of

__all__ = ["describe", "overview"]


def overview(
    namespace: Mapping[str, Any], names: Sequence[str], max_chars: int, focus: Sequence[str] = (),
    budget: TimeBudget | None = None,
) -> str:
    """Return what the model should know of ``names`` in ``namespace``, within ``max_chars`` in all.

    Parameters
    ----------
    namespace
        The user's namespace.
    names
        The variables to cover, most recently touched first.
    max_chars
        Bound on the whole text.
    focus
        Variables the user pointed at: described first, with twice the share of the budget.
    budget
        The time budget of the descriptions (``TimeBudget()`` by default).

    Returns
    -------
    str
        Full summaries of focused variables, then dataframes, then series and arrays (recency order
        within each group), then one line for each other variable as long as the budget lasts.
    """
    focused = [n for n in dict.fromkeys(focus) if n in namespace]
    rest = [n for n in dict.fromkeys(names) if n in namespace and n not in focused]
    kinds = {n: _safe_kind(namespace[n]) for n in focused + rest}
    order = {"frame": 0, "data": 1, "other": 2}
    rest.sort(key=lambda n: order[kinds[n]])  # stable: recency order survives within a kind
    detailed = focused + [n for n in rest if kinds[n] != "other"]
    weights = {n: WEIGHTS[kinds[n]] * (2 if n in focused else 1) for n in detailed}
    with budget or TimeBudget() as timed:
        return _layout(namespace, detailed, weights, [n for n in rest if kinds[n] == "other"], max_chars, timed)


def describe(
    namespace: Mapping[str, Any], names: Sequence[str], max_chars: int, budget: TimeBudget | None = None,
    brief: Sequence[str] = (),
) -> str:
    """Return summaries of ``names`` (e.g. the variables a step changed), within ``max_chars`` in all.

    Frames and arrays get the larger shares; names no longer in ``namespace`` are skipped. Names also in
    ``brief`` (e.g. those the step printed: their rows are in its output already) get one line each.
    """
    present = [n for n in dict.fromkeys(names) if n in namespace]
    detailed = [n for n in present if n not in brief]
    weights = {n: WEIGHTS[_safe_kind(namespace[n])] for n in detailed}
    with budget or TimeBudget() as timed:
        return _layout(namespace, detailed, weights, [n for n in present if n in brief], max_chars, timed)


def _safe_kind(obj: Any) -> str:
    try:
        return kind_of(obj)
    except BaseException as exc:  # a hostile metaclass
        if not hostile(exc):
            raise
        return "other"


def _layout(
    namespace: Mapping[str, Any], detailed: list[str], weights: dict[str, int], one_line: list[str], max_chars: int,
    timed: TimeBudget,
) -> str:
    """Return full summaries of ``detailed`` sharing the budget by weight, then a line per ``one_line`` name."""
    reserve = min(max_chars // 4, sum(min(BRIEF_CHARS, 40 + len(n)) for n in one_line)) if detailed else max_chars
    budget, left = max_chars - reserve, sum(weights.values())
    parts: list[str] = []
    demoted: list[str] = []
    for name in detailed:
        share = (budget - 2) * weights[name] // max(1, left)
        left -= weights[name]
        if share < MIN_DETAIL:
            demoted.append(name)
            continue
        obj, chars = namespace[name], share - len(name) - 2
        text = f"{name}: {timed.describe(obj, lambda: summarize(obj, chars))}"  # noqa: B023  # called at once
        parts.append(text)
        budget -= len(text) + 2
    used = sum(len(p) + 2 for p in parts)
    lines = _brief_lines(namespace, demoted + one_line, max_chars - used, timed)
    if lines:
        parts.append(lines)
    return cut_middle("\n\n".join(parts), max_chars)


def _brief_lines(namespace: Mapping[str, Any], names: list[str], limit: int, timed: TimeBudget) -> str:
    """Return one line per name while ``limit`` lasts, then the names that did not fit."""
    lines: list[str] = []
    used = 0
    for i, name in enumerate(names):
        obj = namespace[name]
        line = clip(f"{name}: {timed.describe(obj, lambda: brief(obj, BRIEF_CHARS))}", BRIEF_CHARS)  # noqa: B023
        room = limit if i == len(names) - 1 else limit - 60  # keep room to name the ones left over
        if used + len(line) + 1 > room:
            others = names[i:]
            tail = f"… and {len(others):,} more: {', '.join(others)}"
            lines.append(clip(tail, max(0, limit - used - 1)))
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(line for line in lines if line)
