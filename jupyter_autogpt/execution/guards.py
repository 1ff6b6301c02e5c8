"""Guards around one step: hooks routed to us and always restored, and cleanup that survives an interrupt.

What a step may break, and what puts it back:
- ``shell._showtraceback``, ``sys.displayhook``/``display_trap.hook``, the outer cell's result bookkeeping,
  ``builtins.input`` and ``getpass.getpass`` are ours during the step and restored after it.
- Builtins the step overwrote or deleted (``builtins.print = ...``) and a replaced SIGINT handler are
  put back, with a note to the model, because both would break the user's session after the run.

Cleanup survives an interrupt (the user's SIGINT, the deadline's ``StepTimeout``) landing inside it: each
restore is idempotent and runs even if another fails (``run_all``), ``__exit__`` runs the cleanup twice
(``Closing``: the second pass is a no-op unless the first was cut short) and the executor closes both
guards once more. (Blocking SIGINT with ``pthread_sigmask`` would not do: a kernel interrupt is sent to the
process and lands via any thread.) The deadline (``execution.deadline``) closes first, setting its closed
flag under its lock, which every timer checks before it sends; a ``StepTimeout`` sent just before is taken
inside its ``close``, so none reaches the agent loop or a later cell.
"""

from __future__ import annotations

import builtins
import getpass
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Closing", "HookGuard", "ResultHook", "no_input", "run_all"]

_MISSING = object()


def no_input(*_args: Any, **_kwargs: Any) -> str:
    """Stand in for ``input()``/``getpass()``: nobody can type during an agent step."""
    raise RuntimeError("no interactive input during an autogpt run: compute the value or pick a sensible default")


class Formatted:
    """A formatted display bundle, shaped like the outputs ``capture_output`` records."""

    def __init__(self, data: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.data, self.metadata = data, metadata


class ResultHook:
    """A display hook that keeps the formatted value of a step's last expression."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.results: list[Formatted] = []

    def __call__(self, value: Any = None) -> None:
        if value is None:
            return
        data, metadata = self.shell.display_formatter.format(value)
        self.results.append(Formatted(data, metadata))


class Closing:
    """A guard whose ``__exit__`` closes twice: the second pass is a no-op unless an interrupt cut the first short."""

    def close(self) -> None:
        """Undo what entering did; idempotent, and safe to call again after an interrupt cut it short."""
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        try:
            self.close()
        finally:
            self.close()


class HookGuard(Closing):
    """Route a step's tracebacks and last value to us; restore every hook, builtin and handler after it.

    Attributes
    ----------
    notes
        What the step had changed that was put back (for the model), filled on exit.
    """

    def __init__(self, shell: Any, on_traceback: Callable[[str], None], hook: ResultHook) -> None:
        self.shell, self.on_traceback, self.hook = shell, on_traceback, hook
        self.notes: list[str] = []
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> HookGuard:
        shell = self.shell
        self._saved = {
            "hooks": (sys.displayhook, shell.display_trap.hook),
            # a nested run_cell overwrites the outer cell's bookkeeping; the %%autogpt cell must keep its own
            "results": (shell.displayhook.exec_result, shell.last_execution_result, shell.last_execution_succeeded),
            "tb": vars(shell).get("_showtraceback", _MISSING),
            "io": (builtins.input, getpass.getpass),
            "builtins": dict(vars(builtins)),
            "sigint": signal.getsignal(signal.SIGINT),
        }

        def record(etype: type, evalue: BaseException, stb: Any) -> None:
            self.on_traceback("\n".join(stb) if isinstance(stb, list) else str(stb))

        shell._showtraceback = record
        builtins.input, getpass.getpass = no_input, no_input  # type: ignore[assignment]
        # a nested run_cell installs display_trap.hook unless a trap is already active (as in a magic)
        sys.displayhook = shell.display_trap.hook = self.hook
        return self

    def close(self) -> None:
        """Restore everything ``__enter__`` replaced (idempotent; each restore runs even if another fails)."""
        if not self._saved:
            return
        run_all(
            self._restore_traceback,
            self._restore_hooks,
            self._restore_results,
            self._restore_io,
            lambda: self._restore_builtins(self._saved["builtins"]),
            lambda: self._restore_sigint(self._saved["sigint"]),
        )
        self._saved = {}

    def _restore_traceback(self) -> None:
        # first: a recorder left in place would make every later traceback of the session vanish
        if self._saved["tb"] is _MISSING:
            vars(self.shell).pop("_showtraceback", None)
        else:
            self.shell._showtraceback = self._saved["tb"]

    def _restore_hooks(self) -> None:
        sys.displayhook = self._saved["hooks"][0]
        self.shell.display_trap.hook = self._saved["hooks"][1]

    def _restore_results(self) -> None:
        shell = self.shell
        shell.displayhook.exec_result, shell.last_execution_result, shell.last_execution_succeeded = (
            self._saved["results"]
        )

    def _restore_io(self) -> None:
        builtins.input, getpass.getpass = self._saved["io"]

    def _restore_builtins(self, before: dict[str, Any]) -> None:
        now = vars(builtins)
        # "_" and friends belong to the display hook; names the step added are left alone
        changed = [n for n, v in before.items() if not n.startswith("_") and now.get(n, _MISSING) is not v]
        for name in changed:
            setattr(builtins, name, before[name])
        if changed:
            self.notes.append(f"Note: the step replaced builtins {', '.join(changed)}; they were restored.")

    def _restore_sigint(self, before: Any) -> None:
        if signal.getsignal(signal.SIGINT) is before or before is None:
            return
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, before)
            self.notes.append("Note: the step replaced the SIGINT handler (kernel interrupts); it was restored.")


def run_all(*actions: Callable[[], None]) -> None:
    """Run every action, even when one raises or is cut short by an interrupt; then raise the first error."""
    error: BaseException | None = None
    for action in actions:
        try:
            action()
        except BaseException as exc:  # an interrupt here must not skip the remaining restores
            error = error or exc
    if error is not None:
        raise error
