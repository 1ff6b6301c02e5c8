"""Run the agent's code in the user's own IPython namespace, capturing everything it shows.

The only execution module that imports IPython. Facts it is built on (see ARCHITECTURE.md):
- ``shell.run_cell(code, store_history=False)`` from inside a cell magic runs in the user namespace.
- Under ``capture_output`` the last expression's value arrives as a display output.
- Under ipykernel a nested cell's traceback goes straight to the frontend unless ``_showtraceback`` is routed.
- A KeyboardInterrupt inside a nested ``run_cell`` is swallowed into ``error_in_exec``: re-raise it.
"""

from __future__ import annotations

import ast
import re
import time
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from .. import risk
from ..limits import CAPTURE_CHARS, cut_middle
from ..redaction import redact
from ..types import Observation
from . import outputs, summaries
from .guards import Deadline, HookGuard, ResultHook, StepTimeout
from .undo import UndoLog, UndoReport

__all__ = ["IPythonExecutor"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: Seconds past ``--timeout`` that count as "held by a native call" rather than ordinary signal latency.
NATIVE_HOLD = 0.5
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "final_answer"})


class IPythonExecutor:
    """Execute code in ``shell``'s user namespace and observe the result.

    Parameters
    ----------
    shell
        The running IPython shell (the user's kernel).
    output_chars
        Bound on each captured stream kept in an observation.
    """

    def __init__(self, shell: InteractiveShell, output_chars: int = CAPTURE_CHARS) -> None:
        self.shell = shell
        self.output_chars = output_chars
        self.undo_log = UndoLog()
        self._saved_answer: tuple[bool, Any] = (False, None)
        self._answer: list[Any] = []
        self._recent: tuple[int, list[str]] = (-1, [])

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind ``final_answer`` in the user namespace (remembering a binding the user had); open the undo log."""
        ns = self.shell.user_ns
        self.undo_log.begin(self._own_names())
        self._saved_answer = ("final_answer" in ns, ns.get("final_answer"))
        ns["final_answer"] = self._final_answer

    def stop(self) -> None:
        """Restore the user's ``final_answer`` binding, or remove ours; close the undo log. Never raises."""
        ns = self.shell.user_ns
        had, value = self._saved_answer
        if had:
            ns["final_answer"] = value
        elif ns.get("final_answer") == self._final_answer:
            del ns["final_answer"]
        self.undo_log.finish(ns, self._own_names())

    def undo(self) -> UndoReport:
        """Restore the user's variables the last run rebound or deleted (see ``execution.undo``)."""
        return self.undo_log.undo(self.shell.user_ns)

    def _own_names(self, modules: bool = True) -> list[str]:
        """Return every name the user could care about, in binding order (IPython's own and ours excluded)."""
        ns, hidden = self.shell.user_ns, self.shell.user_ns_hidden
        return [
            n for n, v in ns.items()
            if not n.startswith("_") and (n not in hidden or hidden[n] is not v) and n not in _IPYTHON_NAMES
            and (modules or not isinstance(v, types.ModuleType))
        ]

    def _final_answer(self, value: Any = None) -> Any:
        """Finish the run with ``value`` as its answer (any Python object)."""
        self._answer.append(value)
        return None

    # -- the namespace --------------------------------------------------------------------------------------

    def user_names(self) -> list[str]:
        """Return the user's variable names, most recently assigned first.

        Excludes IPython's own names (``In``, ``Out``, ``_i3``, ...), modules, and ours.
        """
        names = self._own_names(modules=False)
        recent = self._recently_assigned()
        rank = {n: i for i, n in enumerate(recent)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))

    def _recently_assigned(self) -> list[str]:
        """Return names bound by the user's recent cells, newest first (from the input history)."""
        history = self.shell.user_ns.get("In", [])
        if not isinstance(history, list):
            return []
        if self._recent[0] == len(history):
            return self._recent[1]
        seen: list[str] = []
        for source in reversed(history[-50:]):
            try:
                tree = ast.parse(self.shell.transform_cell(source))
            except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
                continue
            seen.extend(sorted(risk.rebound_names(tree) - set(seen)))
        self._recent = (len(history), seen)
        return seen

    def overview(self, max_chars: int, focus: Sequence[str] = ()) -> str:
        return redact(summaries.overview(self.shell.user_ns, self.user_names(), max_chars, focus))

    def describe(self, names: Sequence[str], max_chars: int) -> str:
        return redact(summaries.describe(self.shell.user_ns, list(names), max_chars))

    def unseen(self, names: Sequence[str]) -> list[str]:
        """Return the names whose values an overview cannot show in full (frames, arrays, long containers).

        An answer about such a value, given before any code ran, is a guess; a short list or a number is not.
        """
        return [n for n in names if n in self.shell.user_ns and not _small(self.shell.user_ns[n])]

    def _bindings(self) -> dict[str, int]:
        return {n: id(v) for n, v in self.shell.user_ns.items() if not n.startswith("_")}

    # -- running code -----------------------------------------------------------------------------------------

    def run(self, code: str, timeout: float | None = None) -> Observation:
        """Run ``code`` in the user namespace and return what it produced.

        A ``StepTimeout`` never escapes: wherever it lands, the step ends with a timeout observation.

        Raises
        ------
        KeyboardInterrupt
            When the user interrupted the kernel during the step (not when ``timeout`` fired).
        """
        before = self._bindings()
        figures_before = outputs.figure_numbers()
        self._answer.clear()
        started = time.monotonic()
        errors: list[str] = []
        hook = ResultHook(self.shell)
        guard, deadline = HookGuard(self.shell, errors.append, hook), Deadline(timeout)
        result, captured, stopped = None, None, False
        self.undo_log.before_step(self.shell.user_ns)
        try:
            with _capture(self.shell) as captured:
                try:
                    with guard, deadline:
                        result = self.shell.run_cell(code, store_history=False)
                finally:  # second chances, inside the capture: no-ops unless an interrupt cut a cleanup short
                    try:
                        deadline.close()
                    finally:
                        guard.close()
        except StepTimeout:
            stopped = True  # the deadline's asynchronous exception landed outside the nested cell
        except KeyboardInterrupt:
            # a timeout's interrupt can land outside the nested cell (in IPython's or our bookkeeping)
            if not deadline.timed_out:
                raise
        finally:
            self.undo_log.after_step(self.shell.user_ns)
        duration = time.monotonic() - started
        # IPython compiles and runs a cell node by node: an interrupt that lands while it compiles the next
        # node is filed under error_before_exec, one that lands while a node runs under error_in_exec.
        for exc in (getattr(result, "error_before_exec", None), getattr(result, "error_in_exec", None)):
            if isinstance(exc, KeyboardInterrupt) and not deadline.timed_out:
                raise KeyboardInterrupt from exc
        error, error_name = self._error_text(result, errors, deadline, duration, stopped)
        changed = tuple(n for n, i in self._bindings().items() if before.get(n) != i and n != "final_answer")
        displays, images = outputs.displays(captured.outputs if captured else [], self.output_chars)
        result_displays, result_images = outputs.displays(hook.results[-1:], self.output_chars)
        result_text = result_displays[0].get("text/plain") if result_displays else None
        notes = [*guard.notes, *self._overrun_note(deadline, timeout, duration)]
        answer = self._answer[-1] if self._answer else None
        stderr = captured.stderr.rstrip("\n") if captured else ""
        return Observation(
            stdout=self._clean(captured.stdout if captured else ""),
            stderr=self._clean("\n".join([stderr, *notes]).strip("\n")),
            result=self._clean(str(result_text)) if result_text is not None else None,
            displays=displays,
            images=result_images + images + outputs.open_figures(figures_before),
            error=error,
            error_name=error_name,
            duration=duration,
            answered=bool(self._answer),
            answer=redact(answer) if isinstance(answer, str) else answer,
            changed=changed,
        )

    def _error_text(
        self, result: Any, errors: list[str], deadline: Deadline, duration: float, stopped: bool
    ) -> tuple[str | None, str | None]:
        if deadline.timed_out or stopped:
            return self._clean(_timeout_text(deadline, duration)), "StepTimeout"
        exc = None if result is None else (result.error_before_exec or result.error_in_exec)
        if exc is None and not errors:
            return None, None
        text = "\n".join(errors) if errors else f"{type(exc).__name__}: {exc}"
        return self._clean(text), type(exc).__name__ if exc else "Error"

    @staticmethod
    def _overrun_note(deadline: Deadline, timeout: float | None, duration: float) -> list[str]:
        """Return a note when a step overran ``timeout`` yet finished before the interrupt could land."""
        if deadline.timed_out or not timeout or duration < timeout + NATIVE_HOLD:
            return []
        where = f" It was inside:\n{deadline.stuck_at}" if deadline.stuck_at else ""
        return [
            f"Note: this step ran {duration:.1f}s, past the {timeout:g}s timeout, inside a native call that cannot "
            f"be interrupted; it finished on its own.{where}"
        ]

    # -- outputs ----------------------------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        # redact before cutting, so a cut can never leave half a secret behind
        return cut_middle(redact(_ANSI.sub("", text or "")), self.output_chars)


def _small(value: Any) -> bool:
    """Return whether ``value`` is a scalar, a short string, or a short flat container of scalars."""
    scalars = (int, float, complex, bool, type(None))
    if isinstance(value, scalars):
        return True
    if isinstance(value, str):
        return len(value) <= 200
    if hasattr(value, "shape"):  # arrays and frames: the overview shows a sample, never the whole
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return len(value) <= 10 and all(isinstance(v, (*scalars, str)) for v in value)
    if isinstance(value, dict):
        return len(value) <= 10 and all(isinstance(v, (*scalars, str)) for v in value.values())
    return False


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


def _timeout_text(deadline: Deadline, duration: float) -> str:
    """Return what the model reads about a step the deadline stopped."""
    if not deadline.timed_out:  # a StepTimeout with no deadline of this step behind it: say what is known
        return "StepTimeout: a timeout interrupt stopped the step; its outputs may be incomplete."
    limit = f"{deadline.timeout:g}s"
    advice = "Make it faster (sample the data, vectorise) or split it into smaller steps."
    if deadline.held >= NATIVE_HOLD:
        where = f"\nWhere it was stuck:\n{deadline.stuck_at}" if deadline.stuck_at else ""
        return (
            f"StepTimeout: the step overran the {limit} timeout inside a native call (C code such as a "
            "backtracking regex, a huge integer power or a C-extension loop) that ignores interrupts; it could "
            f"only be stopped when that call returned, after {duration:.1f}s.{where}\n"
            f"Avoid that call or bound its input (a simpler regex, a sample of the data). {advice}"
        )
    swallowed = " The code caught the interrupt, so it was stopped harder." if deadline.escalated else ""
    return (
        f"StepTimeout: the step ran longer than the {limit} timeout and was interrupted after "
        f"{duration:.1f}s.{swallowed} {advice}"
    )
