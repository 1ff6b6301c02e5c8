"""Guards around one step: hooks routed to us and always restored, and a deadline that escalates.

What a step may break, and what puts it back:
- ``shell._showtraceback``, ``sys.displayhook``/``display_trap.hook``, the outer cell's result bookkeeping,
  ``builtins.input`` and ``getpass.getpass`` are ours during the step and restored after it.
- Builtins the step overwrote or deleted (``builtins.print = ...``) and a replaced SIGINT handler are
  put back, with a note to the model, because both would break the user's session after the run.

Cleanup survives an interrupt (the user's SIGINT, the deadline's ``StepTimeout``) landing inside it: each
restore is idempotent and runs even if another fails, ``__exit__`` runs the cleanup twice (the second pass is
a no-op unless the first was cut short) and the executor closes both guards once more. (Blocking SIGINT with
``pthread_sigmask`` would not do: a kernel interrupt is sent to the process and lands via any thread.) The
deadline closes first, setting its closed flag under its lock, which every timer checks before it sends;
a ``StepTimeout`` sent just before is taken inside ``close``, so none reaches the agent loop or a later cell.

The deadline interrupts a step that outlives ``--timeout``:
1. SIGINT to the main thread at the deadline: stops Python loops, ``time.sleep`` and most blocking I/O.
2. If the step still runs after a grace period (code that swallowed the KeyboardInterrupt), SIGINT again
   plus an asynchronous ``StepTimeout`` (a ``BaseException``, so ``except Exception`` cannot swallow it),
   up to ``MAX_ESCALATIONS`` times.
3. A native call (a backtracking regex, a huge integer power, a C extension loop) holds the interpreter
   and sees neither until it returns: no Python thread runs meanwhile, so nothing can stop it short of
   killing the kernel, which we never do. ``faulthandler``'s watchdog (a C thread that needs no
   interpreter) records where the step was stuck, and the observation says the step overran and was
   only stopped when the native call returned.
"""

from __future__ import annotations

import builtins
import ctypes
import faulthandler
import getpass
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO, Any

__all__ = ["MAX_ESCALATIONS", "Deadline", "HookGuard", "ResultHook", "StepTimeout", "no_input"]

MAX_ESCALATIONS = 3
_MISSING = object()


class StepTimeout(BaseException):
    """Raised into a step that ignored the timeout's KeyboardInterrupt (never seen by the user)."""


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


class _Closing:
    """A guard whose ``__exit__`` closes twice: the second pass is a no-op unless an interrupt cut the first short."""

    def close(self) -> None:
        raise NotImplementedError

    def __exit__(self, *exc: object) -> None:
        try:
            self.close()
        finally:
            self.close()


class HookGuard(_Closing):
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
        _each(
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


class Deadline(_Closing):
    """Interrupt the main thread if the step outlives ``timeout`` seconds, escalating (see the module doc).

    Attributes
    ----------
    timed_out
        Whether the deadline fired while the step ran.
    held
        Seconds past the deadline before the interrupt could even be sent (a native call held the interpreter).
    stuck_at
        Where the main thread was when the watchdog looked (``faulthandler`` text), or ``""``.
    """

    def __init__(self, timeout: float | None, grace: float | None = None) -> None:
        self.timeout = timeout
        self.grace = grace if grace is not None else min(5.0, max(1.0, (timeout or 0) / 2))
        self.timed_out = False
        self.held = 0.0
        self.stuck_at = ""
        # re-entrant: an interrupt that lands as ``close`` leaves its ``with`` must not deadlock the second pass
        self._lock = threading.RLock()
        self._closed = True  # until __enter__: a timer never fires for a deadline that is not running
        self._escalations = 0
        self._timers: list[threading.Timer] = []
        self._dump: IO[bytes] | None = None
        self._main = threading.main_thread().ident or 0
        self._due = 0.0

    @property
    def active(self) -> bool:
        return bool(self.timeout) and threading.current_thread() is threading.main_thread()

    def __enter__(self) -> Deadline:
        if not self.active:
            return self
        assert self.timeout is not None
        self._due = time.monotonic() + self.timeout
        self._dump = tempfile.TemporaryFile()
        # a C thread that needs no interpreter: it can look even while a native call holds the GIL
        faulthandler.dump_traceback_later(self.timeout + self.grace, repeat=False, file=self._dump, exit=False)
        with self._lock:
            self._closed = False
            self._schedule(self.timeout, self._fire)
        return self

    def close(self) -> None:
        """Stop for good (idempotent): no timer fires after this, and no ``StepTimeout`` is left pending."""
        with self._lock:  # first, so that a timer already due finds the deadline closed
            self._closed = True
        _each(*[timer.cancel for timer in self._timers], self._withdraw, self._read_dump)

    def _withdraw(self) -> None:
        # take a StepTimeout sent before closing here: SetAsyncExc(id, NULL) would leave 3.11's eval breaker set,
        # and contextlib.suppress would take it in its own __enter__, outside the with
        if self._escalations and threading.current_thread() is threading.main_thread():
            try:  # noqa: SIM105
                _checkpoint()
            except StepTimeout:
                pass

    def _read_dump(self) -> None:
        if self._dump is None:
            return
        faulthandler.cancel_dump_traceback_later()
        dump, self._dump = self._dump, None
        try:
            dump.seek(0)
            self.stuck_at = _main_frames(dump.read().decode("utf-8", "replace"), self._main)
        finally:
            dump.close()

    def _schedule(self, delay: float, action: Callable[[], None]) -> None:
        timer = threading.Timer(delay, action)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.timed_out = True
            self.held = max(0.0, time.monotonic() - self._due)
            signal.pthread_kill(self._main, signal.SIGINT)
            self._schedule(self.grace, self._escalate)

    def _escalate(self) -> None:
        with self._lock:
            if self._closed or self._escalations >= MAX_ESCALATIONS:
                return
            self._escalations += 1
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._main), ctypes.py_object(StepTimeout))
            signal.pthread_kill(self._main, signal.SIGINT)
            self._schedule(self.grace, self._escalate)

    @property
    def escalated(self) -> bool:
        return self._escalations > 0


def _checkpoint() -> None:
    """Do nothing: entering a Python function is where the interpreter raises a pending asynchronous exception."""


def _each(*actions: Callable[[], None]) -> None:
    """Run every action, even when one raises or is cut short by an interrupt; then raise the first error."""
    error: BaseException | None = None
    for action in actions:
        try:
            action()
        except BaseException as exc:  # an interrupt here must not skip the remaining restores
            error = error or exc
    if error is not None:
        raise error


def _main_frames(dump: str, ident: int, limit: int = 4) -> str:
    """Return the innermost frames of thread ``ident`` (the main thread) from a ``faulthandler`` dump."""
    lines = dump.splitlines()
    marker = f"hread 0x{ident:016x} "
    start = next((i for i, line in enumerate(lines) if marker in line), None)
    if start is None:
        return ""
    frames = []
    for line in lines[start + 1 :]:
        if not line.startswith("  File"):
            break
        if "/IPython/" not in line:  # the shell's own frames say nothing about the step
            frames.append(line.strip())
    return "\n".join(frames[:limit])
