"""Signals around a step: whose interrupt it was, and the signal state a step must not leave behind.

Whose interrupt: a ``KeyboardInterrupt`` that ends a step is the user's only if a SIGINT reached the kernel
that neither the step sent itself (``os.kill(os.getpid(), SIGINT)``, counted by ``execution.killers``) nor the
deadline sent. ``SigintWatch`` counts the SIGINTs that arrive while the step runs; code that raises
``KeyboardInterrupt`` itself is then an error of the step, and the run goes on.

What a step must not leave behind, because it would break the user's session after the run: handlers it
installed (a SIGINT handler that ignores the Interrupt button, a SIGALRM handler of its own), timers it armed
(``signal.alarm``: with the default action, the alarm ends the kernel), signals it blocked. Each is restored
after the step, with a note to the model. Handlers live in the main thread only: elsewhere these do nothing.
"""

from __future__ import annotations

import _signal  # getsignal without the enum conversion of the signal module's wrapper: it runs twice a step
import functools
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["SigintWatch", "SignalHandlers", "SignalMask", "Timers"]


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"signal {sig}"


class SigintWatch:
    """Count the SIGINTs that reach the kernel while a step runs, and those the step sent itself.

    Attributes
    ----------
    arrived
        SIGINTs delivered while the step ran.
    sent_by_step
        SIGINTs the step's own code sent to the kernel (counted by the run-time guard).
    """

    def __init__(self) -> None:
        self.arrived = 0
        self.sent_by_step = 0
        self.watched = False
        self._previous: Any = None
        self._handler: Callable[[int, Any], Any] = self._on_sigint

    def enter(self) -> None:
        """Wrap the SIGINT handler to count arrivals (main thread only: elsewhere whose interrupt it was is unknown)."""
        if not _on_main_thread():
            return
        self.watched = True
        previous = signal.getsignal(signal.SIGINT)
        if callable(previous):  # SIG_IGN or SIG_DFL: no SIGINT can become a KeyboardInterrupt, nothing to count
            self._previous = previous
            signal.signal(signal.SIGINT, self._handler)

    def _on_sigint(self, signum: int, frame: Any) -> Any:
        __tracebackhide__ = True  # the KeyboardInterrupt is the step's business, not this frame's
        self.arrived += 1
        return self._previous(signum, frame)

    def close(self) -> None:
        """Put back the handler the watch wrapped, unless the step replaced it (``SignalHandlers`` restores that)."""
        if self._previous is not None and signal.getsignal(signal.SIGINT) is self._handler:
            signal.signal(signal.SIGINT, self._previous)
        self._previous = None

    def user_interrupted(self, sent_by_deadline: int) -> bool | None:
        """Return whether a SIGINT came from outside the step and its deadline; ``None`` when no one could watch."""
        if not self.watched:
            return None
        return self.arrived > self.sent_by_step + sent_by_deadline

    @property
    def notes(self) -> list[str]:
        return []


@functools.lru_cache(maxsize=1)
def _catchable() -> tuple[int, ...]:
    uncatchable = {getattr(signal, name, None) for name in ("SIGKILL", "SIGSTOP")}
    return tuple(sorted(int(s) for s in set(signal.valid_signals()) - uncatchable))


class SignalHandlers:
    """Restore every signal handler the step replaced (SIGINT's with the note the model knows)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: dict[int, Any] = {}

    def enter(self) -> None:
        if _on_main_thread():
            self._saved = {sig: _signal.getsignal(sig) for sig in _catchable()}

    def close(self) -> None:
        if not self._saved:
            return
        changed = [sig for sig, handler in self._saved.items() if _signal.getsignal(sig) is not handler]
        for sig in changed:
            if self._saved[sig] is not None:  # None: a handler not installed from Python, which Python cannot restore
                signal.signal(sig, self._saved[sig])
        self._saved = {}
        if signal.SIGINT in changed:
            self.notes.append("Note: the step replaced the SIGINT handler (kernel interrupts); it was restored.")
        others = [_name(sig) for sig in changed if sig != signal.SIGINT]
        if others:
            self.notes.append(f"Note: the step replaced the handlers of {', '.join(others)}; they were restored.")


_TIMERS = {"ITIMER_REAL": "SIGALRM", "ITIMER_VIRTUAL": "SIGVTALRM", "ITIMER_PROF": "SIGPROF"}


class Timers:
    """Put back the interval timers (``signal.alarm``, ``signal.setitimer``) a step set.

    An alarm that fires after the step, with SIGALRM's handler restored to the default, would end the kernel;
    one the user had set keeps its remaining time. The run-time guard reports each timer the step sets
    (``touch``); a timer armed by other means is cancelled if none was armed before.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: dict[int, tuple[float, float, float]] = {}
        self._touched: set[int] = set()

    def touch(self, which: int) -> None:
        """Note that the step sets timer ``which`` (called by the guard's ``signal.alarm``/``setitimer``)."""
        self._touched.add(which)

    def enter(self) -> None:
        self._touched = set()
        if _on_main_thread() and hasattr(signal, "setitimer"):
            now = time.monotonic()
            self._saved = {which: (*signal.getitimer(which), now) for which in _timers()}

    def close(self) -> None:
        restored = []
        for which, (delay, interval, at) in list(self._saved.items()):
            armed_now = signal.getitimer(which) != (0.0, 0.0)
            if which in self._touched or (delay == 0.0 and armed_now):
                left = max(0.001, delay - (time.monotonic() - at)) if delay else 0.0
                signal.setitimer(which, left, interval)
                restored.append(which)
            del self._saved[which]
        if restored:
            self.notes.append("Note: the step set a timer (signal.alarm or signal.setitimer); it was restored to "
                              "what it was before the step.")


def _timers() -> list[int]:
    return [getattr(signal, name) for name in _TIMERS if hasattr(signal, name)]


class SignalMask:
    """Unblock the signals a step blocked (``signal.pthread_sigmask``): a blocked SIGINT disables Interrupt."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._saved: set[int] | None = None

    def enter(self) -> None:
        if _on_main_thread() and hasattr(signal, "pthread_sigmask"):
            self._saved = set(signal.pthread_sigmask(signal.SIG_BLOCK, []))

    def close(self) -> None:
        if self._saved is None:
            return
        now = set(signal.pthread_sigmask(signal.SIG_BLOCK, []))
        if now != self._saved:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._saved)
            blocked = ", ".join(sorted(_name(s) for s in now - self._saved)) or "none"
            self.notes.append(f"Note: the step changed the blocked signals (blocked: {blocked}); the mask was restored.")
        self._saved = None
