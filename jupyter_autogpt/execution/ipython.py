"""Run the agent's code in the user's own IPython namespace, capturing everything it shows.

The only execution module that imports IPython. Facts it is built on (see ARCHITECTURE.md):
- ``shell.run_cell(code, store_history=False)`` from inside a cell magic runs in the user namespace.
- Under ``capture_output`` the last expression's value arrives as a display output.
- Under ipykernel a nested cell's traceback goes straight to the frontend unless ``_showtraceback`` is routed.
- A KeyboardInterrupt inside a nested ``run_cell`` is swallowed into ``error_in_exec``: re-raise it.

The executor composes the pieces named for their jobs: ``final_answer`` (its binding for a run),
``undo`` (the bindings a run replaced), ``cell_history`` (the user's recent cells), ``variables`` (which
names are the user's), ``guards`` and ``deadline`` (around each step), ``observation`` (what the model
reads: redacted and bounded there). Refusals are not its job: the agent never sends it a refused step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from ..limits import CAPTURE_CHARS
from ..types import Observation
from . import observation, outputs, summaries, variables
from .cell_history import CellHistory
from .deadline import Deadline, DeadlineFactory, StepTimeout, overrun_note, timeout_text
from .final_answer import NAME as FINAL_ANSWER
from .final_answer import FinalAnswer
from .guards import HookGuard, ResultHook
from .undo import UndoLog, UndoReport

__all__ = ["IPythonExecutor"]


class IPythonExecutor:
    """Execute code in ``shell``'s user namespace and observe the result.

    Parameters
    ----------
    shell
        The running IPython shell (the user's kernel).
    output_chars
        Bound on each captured stream kept in an observation.
    deadline
        Makes each step's deadline from its timeout (``Deadline`` by default; a test may pass one that fails).
    """

    def __init__(
        self, shell: InteractiveShell, output_chars: int = CAPTURE_CHARS, deadline: DeadlineFactory = Deadline
    ) -> None:
        self.shell = shell
        self.output_chars = output_chars
        self.deadline = deadline
        self.undo_log = UndoLog()
        self.answer = FinalAnswer()
        self.history = CellHistory(shell)

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind ``final_answer`` in the user namespace (remembering a binding the user had); open the undo log."""
        self.undo_log.begin(variables.own_names(self.shell))
        self.answer.bind(self.shell.user_ns)

    def stop(self) -> None:
        """Restore the user's ``final_answer`` binding, or remove ours; close the undo log. Never raises."""
        self.answer.unbind(self.shell.user_ns)
        self.undo_log.finish(self.shell.user_ns, variables.own_names(self.shell))

    def undo(self) -> UndoReport:
        """Restore the user's variables the last run rebound or deleted (see ``execution.undo``)."""
        return self.undo_log.undo(self.shell.user_ns)

    # -- the namespace --------------------------------------------------------------------------------------

    def user_names(self) -> list[str]:
        """Return the user's variable names, most recently assigned first.

        Excludes IPython's own names (``In``, ``Out``, ``_i3``, ...), modules, and ours.
        """
        names = variables.own_names(self.shell, modules=False)
        rank = {n: i for i, n in enumerate(self.history.recently_assigned())}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))

    def overview(self, max_chars: int, focus: Sequence[str] = ()) -> str:
        """Return bounded summaries of the user's variables, ``focus`` first (see ``summaries.overview``)."""
        return observation.summary(summaries.overview(self.shell.user_ns, self.user_names(), max_chars, focus))

    def describe(self, names: Sequence[str], max_chars: int) -> str:
        """Return bounded summaries of ``names`` (see ``summaries.describe``)."""
        return observation.summary(summaries.describe(self.shell.user_ns, list(names), max_chars))

    def unseen(self, names: Sequence[str]) -> list[str]:
        """Return the names whose values an overview cannot show in full (frames, arrays, long containers).

        An answer about such a value, given before any code ran, is a guess; a short list or a number is not.
        """
        return [n for n in names if n in self.shell.user_ns and not variables.is_small(self.shell.user_ns[n])]

    # -- running code -----------------------------------------------------------------------------------------

    def run(self, code: str, timeout: float | None = None) -> Observation:
        """Run ``code`` in the user namespace and return what it produced.

        A ``StepTimeout`` never escapes: wherever it lands, the step ends with a timeout observation.

        Raises
        ------
        KeyboardInterrupt
            When the user interrupted the kernel during the step (not when ``timeout`` fired).
        """
        ns = self.shell.user_ns
        before, figures_before = variables.bindings(ns), outputs.figure_numbers()
        self.answer.clear()
        started = time.monotonic()
        cell = _NestedCell(self.shell, self.deadline(timeout))
        self.undo_log.before_step(ns)
        try:
            cell.run(code)
        finally:
            self.undo_log.after_step(ns)
        duration = time.monotonic() - started
        cell.raise_user_interrupt()
        changed = tuple(n for n, i in variables.bindings(ns).items() if before.get(n) != i and n != FINAL_ANSWER)
        record = cell.record(
            duration, figures=outputs.open_figures(figures_before), answered=self.answer.answered,
            answer=self.answer.last, changed=changed,
        )
        return observation.observe(record, self.output_chars)


class _NestedCell:
    """One nested ``run_cell`` of a step, under the hook guard, the deadline and an output capture."""

    def __init__(self, shell: InteractiveShell, deadline: Deadline) -> None:
        self.shell, self.deadline = shell, deadline
        self.tracebacks: list[str] = []
        self.hook = ResultHook(shell)
        self.guard = HookGuard(shell, self.tracebacks.append, self.hook)
        self.result: Any = None
        self.captured: Any = None
        self.stopped = False

    def run(self, code: str) -> None:
        """Run ``code``; a timeout's interrupt is taken here, the user's KeyboardInterrupt propagates."""
        try:
            with _capture(self.shell) as self.captured:
                try:
                    with self.guard, self.deadline:
                        self.result = self.shell.run_cell(code, store_history=False)
                finally:  # second chances, inside the capture: no-ops unless an interrupt cut a cleanup short
                    try:
                        self.deadline.close()
                    finally:
                        self.guard.close()
        except StepTimeout:
            self.stopped = True  # the deadline's asynchronous exception landed outside the nested cell
        except KeyboardInterrupt:
            # a timeout's interrupt can land outside the nested cell (in IPython's or our bookkeeping)
            if not self.deadline.timed_out:
                raise

    def raise_user_interrupt(self) -> None:
        """Raise ``KeyboardInterrupt`` when the user's interrupt was swallowed into the cell's result."""
        # IPython compiles and runs a cell node by node: an interrupt that lands while it compiles the next
        # node is filed under error_before_exec, one that lands while a node runs under error_in_exec.
        for exc in (getattr(self.result, "error_before_exec", None), getattr(self.result, "error_in_exec", None)):
            if isinstance(exc, KeyboardInterrupt) and not self.deadline.timed_out:
                raise KeyboardInterrupt from exc

    def record(self, duration: float, **step: Any) -> observation.StepRecord:
        """Return what the step left behind: the cell's part, plus the executor's ``step`` fields."""
        result, captured, deadline = self.result, self.captured, self.deadline
        stopped = deadline.timed_out or self.stopped
        return observation.StepRecord(
            stdout=captured.stdout if captured else "",
            stderr=captured.stderr if captured else "",
            outputs=tuple(captured.outputs if captured else ()),
            results=tuple(self.hook.results[-1:]),
            error=None if result is None else (result.error_before_exec or result.error_in_exec),
            tracebacks=tuple(self.tracebacks),
            timeout=timeout_text(deadline, duration) if stopped else None,
            notes=(*self.guard.notes, *overrun_note(deadline, duration)),
            duration=duration,
            **step,
        )


@contextmanager
def _capture(shell: InteractiveShell) -> Iterator[Any]:
    """Capture a step's outputs; the capturing publisher also accepts ``set_parent``.

    ipykernel calls ``shell.display_pub.set_parent`` for every message it handles, a widget click on the
    comm subshell included; IPython's capturing publisher lacks the method, which broke those handlers.
    """
    with capture_output() as captured:
        publisher = shell.display_pub
        if not hasattr(publisher, "set_parent"):
            publisher.set_parent = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        yield captured
