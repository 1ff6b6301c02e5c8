"""Guards around one step: what is routed to us or refused while it runs, and everything put back after it.

``HookGuard`` is one guard made of parts, each saving one thing when the step starts and restoring it when it
ends (``Part``: ``enter``, ``close``, ``notes`` for the model). In the order they are entered:

- ``shell._showtraceback``, ``sys.displayhook``/``display_trap.hook`` and the outer cell's result bookkeeping
  are ours during the step (``_Hooks``); ``input``/``getpass`` refuse (nobody can type during a run);
- builtins, signal handlers, timers and the signal mask (``execution.signals``), the working directory, warning
  filters, trace functions, library options, the recursion limit and the namespace itself
  (``execution.leftovers``): whatever the step changed is put back, with a note;
- ``SigintWatch`` counts the SIGINTs that arrive, so that an interrupt is the user's only if one came;
- the run-time refusals: process-ending functions (``execution.killers``), the shell's routes to refused magics
  (``execution.shell_routes``) and the filter given to every process the step starts (``execution.children``).

Parts close in the reverse order. Cleanup survives an interrupt (the user's SIGINT, the deadline's
``StepTimeout``) landing inside it: each part's ``close`` is idempotent and restores before it forgets, every
part closes even if another fails (``run_all``), ``__exit__`` closes twice (``Closing``: the second pass is a
no-op unless the first was cut short) and the executor closes once more. (Blocking SIGINT with
``pthread_sigmask`` would not do: a kernel interrupt is sent to the process and lands via any thread.) The
deadline (``execution.deadline``) closes first, setting its closed flag under its lock, which every timer
checks before it sends; a ``StepTimeout`` sent just before is taken inside its ``close``, so none reaches the
agent loop or a later cell.
"""

from __future__ import annotations

import builtins
import getpass
import sys
import warnings
from collections.abc import Callable
from typing import Any, Protocol

from .children import Children
from .killers import Killers
from .leftovers import Builtins, LibraryOptions, Namespace, RecursionLimit, TraceHooks, WarningFilters, WorkingDirectory
from .patches import MISSING, Patches, current
from .refusing import RefusalLog
from .shell_routes import ShellRoutes
from .signals import SigintWatch, SignalHandlers, SignalMask, Timers

__all__ = ["Closing", "HookGuard", "Part", "ResultHook", "no_input", "run_all", "step_running"]


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


class Part(Protocol):
    """One thing a step's guard keeps: saved by ``enter``, restored by ``close`` (idempotent), noted in ``notes``."""

    @property
    def notes(self) -> list[str]: ...

    def enter(self) -> None: ...

    def close(self) -> None: ...


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


class _Hooks:
    """Route a step's tracebacks and last value to us, and keep the outer cell's result bookkeeping."""

    def __init__(self, shell: Any, on_traceback: Callable[[str], None], hook: ResultHook) -> None:
        self.shell, self.on_traceback, self.hook = shell, on_traceback, hook
        self.notes: list[str] = []
        self._saved: dict[str, Any] = {}

    def enter(self) -> None:
        shell = self.shell
        self._saved = {
            "hooks": (sys.displayhook, shell.display_trap.hook),
            # a nested run_cell overwrites the outer cell's bookkeeping; the %%autogpt cell must keep its own
            "results": (shell.displayhook.exec_result, shell.last_execution_result, shell.last_execution_succeeded),
            "tb": current(shell, "_showtraceback"),
        }

        def record(etype: type, evalue: BaseException, stb: Any) -> None:
            self.on_traceback("\n".join(stb) if isinstance(stb, list) else str(stb))

        shell._showtraceback = record
        # a nested run_cell installs display_trap.hook unless a trap is already active (as in a magic)
        sys.displayhook = shell.display_trap.hook = self.hook

    def close(self) -> None:
        if not self._saved:
            return
        shell, saved = self.shell, self._saved
        # first: a recorder left in place would make every later traceback of the session vanish
        if saved["tb"] is MISSING:
            vars(shell).pop("_showtraceback", None)
        else:
            shell._showtraceback = saved["tb"]
        sys.displayhook, shell.display_trap.hook = saved["hooks"]
        shell.displayhook.exec_result, shell.last_execution_result, shell.last_execution_succeeded = saved["results"]
        self._saved = {}


#: The guards of the steps running now (at most one: an agent never runs inside a step).
_ACTIVE: list[HookGuard] = []


def step_running() -> bool:
    """Return whether a step of an agent run is running in this process (a new run must not start now)."""
    return bool(_ACTIVE)


class HookGuard(Closing):
    """Route, refuse and restore around one step (see the module docstring).

    Parameters
    ----------
    shell
        The user's shell.
    on_traceback
        Receives each traceback the step shows.
    hook
        The display hook that keeps the step's last value.
    own_cell
        Whether the guarded code starts with the executor's own ``run_cell`` (a step), which passes unassessed;
        ``False`` when describing the user's objects, where every ``run_cell`` comes from their code.

    Attributes
    ----------
    notes
        What the step had changed that was put back, and what was refused (for the model), filled on exit.
    sigint
        The SIGINTs that arrived during the step (whose interrupt it was).
    """

    def __init__(self, shell: Any, on_traceback: Callable[[str], None], hook: ResultHook, own_cell: bool = True) -> None:
        self.sigint, timers = SigintWatch(), Timers()
        refusals = RefusalLog()
        filters = WarningFilters()
        replaced = Patches("functions")
        replaced.add(builtins, "input", no_input)
        replaced.add(getpass, "getpass", no_input)
        for name in ("filterwarnings", "simplefilter"):
            replaced.add(warnings, name, filters.recording(name))
        self.parts: list[Part] = [
            _Hooks(shell, on_traceback, hook), Builtins(), replaced,
            SignalHandlers(), timers, SignalMask(), self.sigint,
            WorkingDirectory(), filters, TraceHooks(), LibraryOptions(), RecursionLimit(), Namespace(shell),
            refusals, Killers(refusals, self.sigint, shell.user_ns, timers), ShellRoutes(shell, refusals, own_cell), Children(),
        ]
        self._entered: list[Part] = []

    def __enter__(self) -> HookGuard:
        _ACTIVE.append(self)
        for part in self.parts:
            self._entered.append(part)  # first: a part cut short while entering is still closed
            part.enter()
        return self

    def close(self) -> None:
        """Restore everything the parts saved (idempotent; each part closes even if another fails)."""
        run_all(*[self._closer(part) for part in reversed(self._entered)], self._deactivate)

    def _closer(self, part: Part) -> Callable[[], None]:
        def close() -> None:
            part.close()
            if part in self._entered:
                self._entered.remove(part)

        return close

    def _deactivate(self) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    @property
    def notes(self) -> list[str]:
        return [note for part in self.parts for note in part.notes]


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
