"""``%autogpt history``: this kernel's runs as a table (id, the run each follows up, goal, status, steps, cost).

Plain text for terminals and a sanitised HTML table for notebooks; goals are the user's text, redacted and
clipped, and every cell is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from .. import pricing
from ..limits import clip
from ..redaction import redact
from ..types import Run

__all__ = ["RunHistory"]

#: A goal's first line in the table.
GOAL_CHARS = 70
_COLUMNS = ("id", "follows up", "goal", "status", "steps", "cost")


def _cost(run: Run) -> str:
    cost = pricing.shown_cost(run.model, run.usage)
    if cost is not None:
        return f"≈${cost:.4f}"
    approx = "~" if run.usage.estimated else ""
    return f"{approx}{run.usage.total_tokens:,} tokens"


def _row(run: Run) -> tuple[str, ...]:
    lines = redact(run.goal.strip()).splitlines()
    goal = clip(lines[0], GOAL_CHARS) if lines else ""
    return (run.id, run.parent or "", goal, run.status, str(len(run.steps)), _cost(run))


@dataclass(frozen=True)
class RunHistory:
    """This kernel's runs, oldest first, as ``%autogpt history`` shows them; ``runs`` holds the ``Run`` objects."""

    runs: Sequence[Run]

    def rows(self) -> list[tuple[str, ...]]:
        """Return one row of text per run: id, the id of the run it follows up, goal, status, steps, cost."""
        return [_row(run) for run in self.runs]

    def __repr__(self) -> str:
        if not self.runs:
            return "no %%autogpt run in this kernel yet"
        rows = [_COLUMNS, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
        return "\n".join(lines) + f"\n({len(self.runs)} run(s); -c RUN_ID follows one up)"

    def _repr_pretty_(self, p: object, cycle: bool) -> None:
        p.text(repr(self))  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        if not self.runs:
            return "<i>no %%autogpt run in this kernel yet</i>"
        head = "".join(f"<th style='text-align: left;'>{c}</th>" for c in _COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align: left;'>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in self.rows()
        )
        note = f"<div style='opacity: .7;'>{len(self.runs)} run(s); <code>-c RUN_ID</code> follows one up</div>"
        return f"<table class='autogpt-history'><tr>{head}</tr>{body}</table>{note}"
