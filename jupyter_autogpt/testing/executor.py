"""An ``Executor`` without IPython: runs the agent's code with plain ``exec`` in a dict, or returns scripted
observations, and records what the loop asked it to run.

It behaves like the kernel's executor where the loop can tell: the last expression's value comes back as the
result, printed text as stdout/stderr, an exception as its traceback, ``final_answer(value)`` ends the run
(its calls are recorded in ``answer``, kept when a ``KeyboardInterrupt`` ends the step), and ``changed`` names
the variables a step rebound. It has no timeouts, display hooks or undo.
"""

from __future__ import annotations

import ast
import contextlib
import io
import time
import traceback
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from typing import Any, Union

from ..execution.final_answer import FinalAnswer
from ..execution.summaries import describe as describe_names
from ..execution.summaries import overview as namespace_overview
from ..execution.variables import is_small
from ..types import Observation

__all__ = ["ScriptedExecutor", "ScriptedObservation"]

#: A scripted observation: returned as is, or computed from the code the loop asked to run.
ScriptedObservation = Union[Observation, Callable[[str], Observation]]


class ScriptedExecutor:
    """Run code in ``namespace`` with ``exec`` (no IPython), or answer with scripted observations.

    Parameters
    ----------
    namespace
        The variables the agent sees and changes (a plain dict; a new empty one by default).
    observations
        If given, ``run`` returns these in order instead of executing anything (an ``Observation``, or a
        function of the code returning one); asking for more than the script holds raises ``AssertionError``.

    Attributes
    ----------
    codes, timeouts
        The code of every ``run`` call and the timeout it was given, in order.
    started, stopped
        How many times the loop started and stopped the executor.
    answer
        The ``final_answer`` calls of the latest executed step (``answered``, ``last``), as the loop reads them.
    """

    def __init__(
        self,
        namespace: MutableMapping[str, Any] | None = None,
        observations: Iterable[ScriptedObservation] | None = None,
    ) -> None:
        self.namespace: MutableMapping[str, Any] = {} if namespace is None else namespace
        self.script = None if observations is None else list(observations)
        self.codes: list[str] = []
        self.timeouts: list[float | None] = []
        self.started = self.stopped = 0
        self.answer = FinalAnswer()

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Bind ``final_answer`` in the namespace, remembering a binding the user had."""
        self.started += 1
        self.answer.bind(self.namespace)

    def stop(self) -> None:
        """Restore the user's ``final_answer``, or remove ours."""
        self.stopped += 1
        self.answer.unbind(self.namespace)

    # -- the namespace -----------------------------------------------------------------------------------

    def user_names(self) -> list[str]:
        """Return the namespace's public names, newest binding first (``final_answer`` excluded)."""
        return [n for n in reversed(list(self.namespace)) if not n.startswith("_") and n != "final_answer"]

    def overview(self, max_chars: int, focus: Sequence[str] = ()) -> str:
        return namespace_overview(self.namespace, self.user_names(), max_chars, focus)

    def describe(self, names: Sequence[str], max_chars: int, brief: Sequence[str] = ()) -> str:
        return describe_names(self.namespace, list(names), max_chars, brief=brief)

    def unseen(self, names: Sequence[str]) -> list[str]:
        """Return the names whose values an overview cannot show in full (see ``IPythonExecutor.unseen``)."""
        return [n for n in names if n in self.namespace and not is_small(self.namespace[n])]

    # -- running code ------------------------------------------------------------------------------------

    def run(self, code: str, timeout: float | None = None) -> Observation:
        """Run ``code`` (or return the next scripted observation); a ``KeyboardInterrupt`` in the code propagates."""
        self.codes.append(code)
        self.timeouts.append(timeout)
        if self.script is not None:
            if len(self.codes) > len(self.script):
                raise AssertionError(f"the loop ran step {len(self.codes)}, but the script has {len(self.script)}")
            scripted = self.script[len(self.codes) - 1]
            return scripted(code) if callable(scripted) else scripted
        return self._execute(code)

    def _execute(self, code: str) -> Observation:
        before = {n: id(v) for n, v in self.namespace.items()}
        self.answer.clear()
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        result, error, error_name = None, None, None
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                value = _exec_cell(code, self.namespace)
            result = None if value is None else repr(value)
        except Exception as exc:  # the step's own error: the model reads it
            error, error_name = "".join(traceback.format_exception(exc)).rstrip(), type(exc).__name__
        changed = tuple(n for n, v in self.namespace.items() if before.get(n) != id(v) and n != "final_answer")
        return Observation(
            stdout=out.getvalue(), stderr=err.getvalue(), result=result, error=error, error_name=error_name,
            duration=time.monotonic() - started, answered=self.answer.answered, answer=self.answer.last,
            changed=changed,
        )


def _exec_cell(code: str, namespace: MutableMapping[str, Any]) -> Any:
    """Run ``code`` as a notebook cell does: every statement, then return the last expression's value."""
    tree = ast.parse(code, "<step>")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    assert last is None or isinstance(last, ast.Expr)
    globals_ = namespace if isinstance(namespace, dict) else dict(namespace)
    exec(compile(tree, "<step>", "exec"), globals_)
    value = eval(compile(ast.Expression(last.value), "<step>", "eval"), globals_) if last is not None else None
    if globals_ is not namespace:
        namespace.update(globals_)
    return value
