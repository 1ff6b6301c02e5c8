"""Run the agent's code in the user's own IPython namespace, capturing everything it shows.

The only execution module that imports IPython. Facts it is built on (see ARCHITECTURE.md):
- ``shell.run_cell(code, store_history=False)`` from inside a cell magic runs in the user namespace.
- Under ``capture_output`` the last expression's value arrives as a display output.
- Under ipykernel a nested cell's traceback goes straight to the frontend unless ``_showtraceback`` is routed.
- A KeyboardInterrupt inside a nested ``run_cell`` is swallowed into ``error_in_exec``: re-raise it.

The executor composes the pieces named for their jobs: ``final_answer`` (its binding for a run),
``undo`` (the bindings a run replaced), ``cell_history`` (the user's recent cells), ``variables`` (which
names are the user's), ``guards`` and ``deadline`` (around each step, and around describing the user's
objects, whose ``__repr__`` is code too), ``observation`` (what the model reads: redacted and bounded there).
Static refusals are not its job (the agent never sends it a refused step); the run-time guard's are.
An executor cannot be made while a step runs: that is an agent started inside an agent's step, by whatever
route (``%%autogpt`` through ``run_cell``, the magics' class, ``Session.run``), and it is refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from ..errors import ConfigError
from ..limits import CAPTURE_CHARS
from ..risk import REFUSED_MAGICS
from ..risk.refusals import runtime_refusal_text
from ..types import Observation
from . import observation, outputs, summaries, variables
from .base import StepInterrupted
from .cell_history import CellHistory
from .deadline import Deadline, DeadlineFactory, StepTimeout, overrun_note, timeout_text
from .final_answer import NAME as FINAL_ANSWER
from .final_answer import FinalAnswer
from .guards import HookGuard, ResultHook, step_running
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

    Raises
    ------
    ConfigError
        When made while a step runs (an agent inside an agent's step).
    """

    def __init__(
        self, shell: InteractiveShell, output_chars: int = CAPTURE_CHARS, deadline: DeadlineFactory = Deadline
    ) -> None:
        if step_running():
            raise ConfigError(runtime_refusal_text("%autogpt", REFUSED_MAGICS["autogpt"]))
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
        names = self.user_names()
        with self._describing():
            text = summaries.overview(self.shell.user_ns, names, max_chars, focus)
        return observation.summary(text)

    def describe(self, names: Sequence[str], max_chars: int, brief: Sequence[str] = ()) -> str:
        """Return bounded summaries of ``names``, one line for those in ``brief`` (see ``summaries.describe``)."""
        with self._describing():
            text = summaries.describe(self.shell.user_ns, list(names), max_chars, brief=brief)
        return observation.summary(text)

    def _describing(self) -> HookGuard:
        """Return the step's guard for describing the user's objects: a ``__repr__`` runs code as a step does."""
        return HookGuard(self.shell, lambda traceback: None, ResultHook(self.shell), own_cell=False)

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
        StepInterrupted
            When the user interrupted the kernel during the step (not when ``timeout`` fired, and not when the
            step's code raised ``KeyboardInterrupt`` itself), even if the code swallowed the interrupt. It carries
            the step's observation: what it printed, and the answer it gave before the interrupt.
        """
        ns = self.shell.user_ns
        before, figures_before = variables.bindings(ns), outputs.figure_numbers()
        self.answer.clear()
        started = time.monotonic()
        cell = _NestedCell(self.shell, self.deadline(timeout))
        self.undo_log.before_step(ns)
        interrupt: KeyboardInterrupt | None = None
        try:
            cell.run(code)
        except KeyboardInterrupt as exc:  # the user's, landing outside the nested cell: the observation is still made
            interrupt = exc
        finally:
            self.undo_log.after_step(ns)
        notes = self.answer.repair(ns)
        duration = time.monotonic() - started
        changed = tuple(n for n, i in variables.bindings(ns).items() if before.get(n) != i and n != FINAL_ANSWER)
        users = cell.user_interrupted()
        record = cell.record(
            duration, notes, figures=outputs.open_figures(figures_before), answered=self.answer.answered,
            answer=self.answer.last, changed=changed,
        )
        obs = observation.observe(record, self.output_chars)
        if interrupt is not None or users:
            raise StepInterrupted(obs) from interrupt
        return obs


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
        self.notes: list[str] = []

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

    def user_interrupted(self) -> bool:
        """Return whether the user interrupted the step: a SIGINT came that neither the step nor its deadline sent.

        Where no one could count the SIGINTs (not on the main thread), a ``KeyboardInterrupt`` the cell swallowed
        is taken for the user's, unless the deadline fired. A ``KeyboardInterrupt`` the step raised itself is then
        an error of the step, with a note.
        """
        # IPython compiles and runs a cell node by node: an interrupt that lands while it compiles the next
        # node is filed under error_before_exec, one that lands while a node runs under error_in_exec.
        errors = (getattr(self.result, "error_before_exec", None), getattr(self.result, "error_in_exec", None))
        swallowed = any(isinstance(exc, KeyboardInterrupt) for exc in errors)
        came = self.guard.sigint.user_interrupted(self.deadline.sent)
        if came is None:
            return swallowed and not self.deadline.timed_out
        if swallowed and not came and not self.deadline.timed_out:
            self.notes.append("Note: the step raised KeyboardInterrupt itself (no interrupt came from the user); "
                              "it counts as an error of the step.")
        return came

    def record(self, duration: float, notes: list[str], **step: Any) -> observation.StepRecord:
        """Return what the step left behind: the cell's part, plus the executor's ``notes`` and ``step`` fields."""
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
            notes=(*self.guard.notes, *self.notes, *notes, *overrun_note(deadline, duration)),
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
