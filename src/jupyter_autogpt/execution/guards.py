"""Guards around one step: hooks routed to us and always restored, and a deadline that escalates.

What a step may break, and what puts it back (every restore runs in a ``finally``):
- ``shell._showtraceback``, ``sys.displayhook``/``display_trap.hook``, the outer cell's result bookkeeping,
  ``builtins.input`` and ``getpass.getpass`` are ours during the step and restored after it.
- Builtins the step overwrote or deleted (``builtins.print = ...``) and a replaced SIGINT handler are
  put back, with a note to the model, because both would break the user's session after the run.

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


class HookGuard:
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

    def __exit__(self, *exc: object) -> None:
        shell, saved = self.shell, self._saved
        try:
            sys.displayhook, shell.display_trap.hook = saved["hooks"]
            shell.displayhook.exec_result, shell.last_execution_result, shell.last_execution_succeeded = saved["results"]
            builtins.input, getpass.getpass = saved["io"]
            if saved["tb"] is _MISSING:
                vars(shell).pop("_showtraceback", None)
            else:
                shell._showtraceback = saved["tb"]
        finally:
            self._restore_builtins(saved["builtins"])
            self._restore_sigint(saved["sigint"])

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


class Deadline:
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
        self._lock = threading.Lock()
        self._running = False
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
        self._running = True
        self._schedule(self.timeout, self._fire)
        self._dump = tempfile.TemporaryFile()
        # a C thread that needs no interpreter: it can look even while a native call holds the GIL
        faulthandler.dump_traceback_later(self.timeout + self.grace, repeat=False, file=self._dump, exit=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.active:
            return
        with self._lock:
            self._running = False
        for timer in self._timers:
            timer.cancel()
        faulthandler.cancel_dump_traceback_later()
        if self._dump is not None:
            self._dump.seek(0)
            self.stuck_at = _main_frames(self._dump.read().decode("utf-8", "replace"), self._main)
            self._dump.close()

    def _schedule(self, delay: float, action: Callable[[], None]) -> None:
        timer = threading.Timer(delay, action)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._running:
                return
            self.timed_out = True
            self.held = max(0.0, time.monotonic() - self._due)
            signal.pthread_kill(self._main, signal.SIGINT)
            self._schedule(self.grace, self._escalate)

    def _escalate(self) -> None:
        with self._lock:
            if not self._running or self._escalations >= MAX_ESCALATIONS:
                return
            self._escalations += 1
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._main), ctypes.py_object(StepTimeout))
            signal.pthread_kill(self._main, signal.SIGINT)
            self._schedule(self.grace, self._escalate)

    @property
    def escalated(self) -> bool:
        return self._escalations > 0


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
