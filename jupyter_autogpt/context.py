"""What a run knows besides its goal and the namespace: the conversation around it (standard library only).

* ``Thread``: the earlier runs a ``--continue`` follow-up continues, each kept as a bounded record
  (``EarlierRun``: goal, status, answer, its newest steps compacted). A thread remembers at most ``THREAD_RUNS``
  records and counts the older ones, so a chain of any length stays bounded in memory and in the prompt.
* ``NotebookContext``: the user's own cells since the last run (code they ran, not the agent's steps) with a short
  form of their results, and the last error they hit with its traceback (``execution.cell_history`` reads them).
* ``Instructions``: standing instructions (``instructions.py``).

``RunContext`` holds the three; the loop puts the first two in the first message and the session puts the
instructions in the system prompt (``prompts.py`` assembles both). The texts the model reads of each are built
here, each within its named budget in ``limits.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .instructions import Instructions
from .limits import (
    EARLIER_ANSWER_CHARS,
    EARLIER_CODE_CHARS,
    EARLIER_GOAL_CHARS,
    EARLIER_OUTCOME_CHARS,
    EARLIER_STEPS,
    NOTEBOOK_CHARS,
    THREAD_CHARS,
    THREAD_RUNS,
    TRACEBACK_CHARS,
    clip,
    cut_middle,
)
from .redaction import redact

if TYPE_CHECKING:
    from .types import Run, Step

__all__ = [
    "EarlierRun",
    "NotebookContext",
    "RunContext",
    "Thread",
    "UserCell",
    "notebook_text",
    "thread_after",
    "thread_text",
]


@dataclass(frozen=True)
class EarlierRun:
    """An earlier run of a thread, as a follow-up remembers it: bounded, redacted text only."""

    id: str
    goal: str
    status: str
    answer: str = ""
    error: str | None = None
    steps: tuple[str, ...] = ()
    omitted_steps: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the record as transcript JSON (its steps stay out: the run's own transcript has them)."""
        return {"id": self.id, "goal": self.goal, "status": self.status, "answer": self.answer, "error": self.error}


@dataclass(frozen=True)
class Thread:
    """The earlier runs a run continues, oldest first; ``omitted`` older ones are only counted."""

    runs: tuple[EarlierRun, ...] = ()
    omitted: int = 0

    @property
    def parent(self) -> str | None:
        """Return the id of the run this one continues, or ``None`` for a fresh run."""
        return self.runs[-1].id if self.runs else None

    @property
    def length(self) -> int:
        """Return how many runs came before this one in its thread."""
        return self.omitted + len(self.runs)

    def to_dict(self) -> dict[str, Any]:
        """Return the thread as transcript JSON."""
        return {"runs": [r.to_dict() for r in self.runs], "omitted": self.omitted}


@dataclass(frozen=True)
class UserCell:
    """One of the user's own cells: its number (``In[n]``), source, a short form of what it showed, its error."""

    number: int
    source: str
    result: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class NotebookContext:
    """What the user did since the last run: their cells (oldest first) and the last error they hit."""

    cells: tuple[UserCell, ...] = ()
    traceback: str | None = None
    error_cell: int | None = None
    omitted: int = 0

    def __bool__(self) -> bool:
        return bool(self.cells or self.traceback)


@dataclass(frozen=True)
class RunContext:
    """The conversation around one run: the thread it continues, the user's recent cells, standing instructions."""

    thread: Thread = field(default_factory=Thread)
    notebook: NotebookContext = field(default_factory=NotebookContext)
    instructions: Instructions = field(default_factory=Instructions)


# -- building a thread -----------------------------------------------------------------------------------------


def _step_record(step: Step) -> str:
    """Return one step as a follow-up remembers it: the code, compacted, and what came of it in one line or so."""
    assert step.code is not None
    if step.skipped:
        outcome = "skipped: the code did not run"
    elif step.error:
        lines = step.error.strip().splitlines()
        outcome = "error: " + clip(lines[-1] if lines else step.error, EARLIER_OUTCOME_CHARS)
    else:
        outcome = cut_middle(step.output.strip(), EARLIER_OUTCOME_CHARS) or "(no output)"
    return f"```python\n{cut_middle(step.code, EARLIER_CODE_CHARS)}\n```\n→ {outcome}"


def earlier_run(run: Run) -> EarlierRun:
    """Return the bounded record a follow-up keeps of ``run`` (its newest ``EARLIER_STEPS`` steps with code)."""
    coded = [s for s in run.steps if s.code]
    kept = coded[-EARLIER_STEPS:]
    return EarlierRun(
        id=run.id,
        goal=cut_middle(redact(run.goal.strip()), EARLIER_GOAL_CHARS),
        status=run.status,
        answer=cut_middle(run.answer_text(), EARLIER_ANSWER_CHARS),
        error=clip(run.error, EARLIER_OUTCOME_CHARS) if run.error else None,
        steps=tuple(redact(_step_record(s)) for s in kept),
        omitted_steps=len(coded) - len(kept),
    )


def thread_after(parent: Run) -> Thread:
    """Return the thread of a run that continues ``parent``: the parent's own thread and then the parent."""
    runs = (*parent.context.thread.runs, earlier_run(parent))
    dropped = max(0, len(runs) - THREAD_RUNS)
    return Thread(runs[dropped:], parent.context.thread.omitted + dropped)


# -- what the model reads ----------------------------------------------------------------------------------------

THREAD_INTRO = (
    "Earlier in this conversation (runs in this kernel that this goal follows up; the variables they made are "
    "still in the namespace):"
)
NOTEBOOK_INTRO = "What the user did since the last run (their own cells, oldest first; not your steps):"


def _run_text(run: EarlierRun, number: int, detailed: bool) -> str:
    head = f"Run {number} ({run.status}). Goal: {run.goal}"
    parts = [head]
    if detailed and run.steps:
        more = f" ({run.omitted_steps} earlier step(s) not shown)" if run.omitted_steps else ""
        parts.append(f"Its steps{more}:\n" + "\n".join(run.steps))
    if run.answer:
        parts.append(f"Answer: {run.answer}")
    elif run.error:
        parts.append(f"It ended without an answer: {run.error}")
    return "\n".join(parts)


def thread_text(thread: Thread, budget: int = THREAD_CHARS) -> str:
    """Return the earlier runs as the first message tells them, within ``budget`` characters ("" for none).

    The run being continued comes with its steps (compacted), the ones before it as their goal and answer;
    those that do not fit, and those the thread only counts, become one note, as older steps do.
    """
    if not thread.runs:
        return ""
    remaining = budget - len(THREAD_INTRO) - 80
    shown: list[str] = []
    for i, run in enumerate(reversed(thread.runs)):
        number = thread.length - i
        text = _run_text(run, number, detailed=i == 0)
        if i == 0 and len(text) > remaining:
            text = cut_middle(_run_text(run, number, detailed=False), remaining)
        if len(text) > remaining:
            break
        remaining -= len(text) + 2
        shown.append(text)
    left_out = thread.length - len(shown)
    note = [f"[{left_out} earlier run(s) of this conversation omitted to fit the context]"] if left_out else []
    return "\n\n".join([THREAD_INTRO, *note, *reversed(shown)])


def _cell_text(cell: UserCell) -> str:
    lines = [f"In [{cell.number}]:", cell.source]
    if cell.result:
        lines.append(f"→ {cell.result}")
    if cell.error:
        lines.append(f"→ raised {cell.error}")
    return "\n".join(lines)


def notebook_text(notebook: NotebookContext, budget: int = NOTEBOOK_CHARS) -> str:
    """Return the user's recent cells and last error as the first message tells them, within ``budget`` ("" for none).

    The traceback comes first in the budget (cut in the middle to ``TRACEBACK_CHARS``: its last line names the
    error); then the newest cells that fit; older ones become a note.
    """
    if not notebook:
        return ""
    error = ""
    if notebook.traceback:
        where = f" (In [{notebook.error_cell}])" if notebook.error_cell else ""
        error = f"The last error the user hit{where}:\n" + cut_middle(notebook.traceback, min(TRACEBACK_CHARS, budget // 2))
    remaining = budget - len(NOTEBOOK_INTRO) - len(error) - 80
    shown: list[str] = []
    for cell in reversed(notebook.cells):
        text = _cell_text(cell)
        if len(text) > remaining:
            break
        remaining -= len(text) + 1
        shown.append(text)
    left_out = notebook.omitted + len(notebook.cells) - len(shown)
    note = [f"[{left_out} older cell(s) not shown]"] if left_out else []
    cells = "\n".join([*note, *reversed(shown)])
    return "\n\n".join(p for p in (NOTEBOOK_INTRO + "\n" + cells if cells else "", error) if p)


def sections(context: RunContext, budgets: Sequence[int] = (THREAD_CHARS, NOTEBOOK_CHARS)) -> list[str]:
    """Return the non-empty texts the first message opens with: the earlier runs, then the user's recent cells."""
    texts = [thread_text(context.thread, budgets[0]), notebook_text(context.notebook, budgets[1])]
    return [t for t in texts if t]
