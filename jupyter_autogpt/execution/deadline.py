"""The per-step deadline (``--timeout``), which escalates, and what the model reads when it fired.

The deadline interrupts a step that outlives ``--timeout``:
1. SIGINT to the main thread at the deadline: stops Python loops, ``time.sleep`` and most blocking I/O.
2. If the step still runs after a grace period (code that swallowed the KeyboardInterrupt), SIGINT again
   plus an asynchronous ``StepTimeout`` (a ``BaseException``, so ``except Exception`` cannot swallow it),
   up to ``MAX_ESCALATIONS`` times.
3. A native call (a backtracking regex, a huge integer power, a C extension loop) holds the interpreter
   and sees neither until it returns: no Python thread runs meanwhile, so nothing can stop it short of
   killing the kernel, which we never do. ``faulthandler``'s watchdog (a C thread that needs no
   interpreter) records where the step was stuck, and the observation says the step overran and was
   only stopped when the native call returned. The watchdog is cancelled as soon as the deadline's own
   timer runs on time (then nothing holds the interpreter): its dump walks every thread without a lock,
   and crashed the process when threads started or ended meanwhile (a step that swallows the interrupt).

Closing survives an interrupt landing inside it (see ``execution.guards``). ``timeout_text`` and
``overrun_note`` word what happened for the model.
"""

from __future__ import annotations

import ctypes
import faulthandler
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO

from .guards import Closing, run_all

#: The originals, taken at import: the step's guard replaces the module's functions while a step runs.
_pthread_kill = getattr(signal, "pthread_kill", None)  # absent on Windows, where the deadline never fires
_getsignal = signal.getsignal

__all__ = ["MAX_ESCALATIONS", "NATIVE_HOLD", "Deadline", "DeadlineFactory", "StepTimeout", "overrun_note", "timeout_text"]

MAX_ESCALATIONS = 3
#: Seconds past ``--timeout`` that count as "held by a native call" rather than ordinary signal latency.
NATIVE_HOLD = 0.5

_watchdog: IO[bytes] | None = None


def _watchdog_file() -> IO[bytes]:
    """Return the file the watchdog writes to, emptied: one for the process, made once (a new one cost ~0.5 ms a
    step), as ``faulthandler`` keeps one pending dump at a time, process-wide."""
    global _watchdog
    if _watchdog is None or _watchdog.closed:
        _watchdog = tempfile.TemporaryFile()  # noqa: SIM115 -- kept open for the life of the process
    _watchdog.seek(0)
    _watchdog.truncate()
    return _watchdog


class StepTimeout(BaseException):
    """Raised into a step that ignored the timeout's KeyboardInterrupt (never seen by the user)."""


class Deadline(Closing):
    """Interrupt the main thread if the step outlives ``timeout`` seconds, escalating (see the module doc).

    Attributes
    ----------
    timed_out
        Whether the deadline fired while the step ran.
    held
        Seconds past the deadline before the interrupt could even be sent (a native call held the interpreter).
    sent
        How many SIGINTs the deadline sent (they are not the user's interrupt).
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
        self.sent = 0
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
        self._dump = _watchdog_file()
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
        run_all(*[timer.cancel for timer in self._timers], self._withdraw, self._read_dump)

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
        dump.seek(0)
        self.stuck_at = _main_frames(dump.read().decode("utf-8", "replace"), self._main)

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
            if self.held < NATIVE_HOLD:
                # this timer ran on time, so no native call holds the interpreter: the watchdog's dump is not
                # needed, and it is not safe while Python threads start and exit (it walks them unlocked)
                faulthandler.cancel_dump_traceback_later()
            self._interrupt()
            self._schedule(self.grace, self._escalate)

    def _interrupt(self) -> None:
        """Send SIGINT to the main thread, unless its handler is not Python's (the step set SIG_IGN: it would be lost)."""
        if _pthread_kill is not None and callable(_getsignal(signal.SIGINT)):
            self.sent += 1
            _pthread_kill(self._main, signal.SIGINT)

    def _escalate(self) -> None:
        with self._lock:
            if self._closed or self._escalations >= MAX_ESCALATIONS:
                return
            self._escalations += 1
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._main), ctypes.py_object(StepTimeout))
            self._interrupt()
            self._schedule(self.grace, self._escalate)

    @property
    def escalated(self) -> bool:
        return self._escalations > 0


#: Makes the deadline of one step from its timeout (``None``: no limit); ``IPythonExecutor`` takes one.
DeadlineFactory = Callable[[float | None], Deadline]


def timeout_text(deadline: Deadline, duration: float) -> str:
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


def overrun_note(deadline: Deadline, duration: float) -> list[str]:
    """Return a note when a step overran its timeout yet finished before the interrupt could land."""
    timeout = deadline.timeout
    if deadline.timed_out or not timeout or duration < timeout + NATIVE_HOLD:
        return []
    where = f" It was inside:\n{deadline.stuck_at}" if deadline.stuck_at else ""
    return [
        f"Note: this step ran {duration:.1f}s, past the {timeout:g}s timeout, inside a native call that cannot "
        f"be interrupted; it finished on its own.{where}"
    ]


def _checkpoint() -> None:
    """Do nothing: entering a Python function is where the interpreter raises a pending asynchronous exception."""


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
