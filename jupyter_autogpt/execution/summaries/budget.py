"""A time budget for describing the user's objects: ``OBJECT_SECONDS`` each, ``OVERVIEW_SECONDS`` in all.

Describing an object runs its code: a ``__repr__``, ``__len__`` or ``__getattr__`` may sleep, loop, or wait on the
network, and the run's first request waits for the overview. While a budget is open on the main thread, a timer
interrupts the object being described when its time is up, with a SIGINT whose handler (ours, for the length of
the overview) raises ``Overdue`` inside that description, which then degrades to the object's type. ``Overdue``
is a ``BaseException``, so a ``__repr__``'s ``except Exception`` cannot swallow it; one that catches everything
is interrupted again, a few times. A SIGINT that is not the budget's is the user's: it goes on to the handler
ours replaced, and the run stops. A ``KeyboardInterrupt`` an object raises itself, with no SIGINT behind it, is
that object's failure, not an interrupt. Once the overview's time is spent, the remaining objects are named by
type without running any of their code. Off the main thread (no signals there) objects are described unbounded.

A native call that holds the interpreter cannot be interrupted: it ends when it ends, and the budget counts it.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from .formatting import Overdue, type_name

__all__ = ["OBJECT_SECONDS", "OVERVIEW_SECONDS", "Overdue", "TimeBudget"]

#: Seconds one object's description may take before it is cut short.
OBJECT_SECONDS = 1.0
#: Seconds all descriptions of one overview (or one ``describe``) may take together.
OVERVIEW_SECONDS = 3.0
#: Times an object that swallowed ``Overdue`` is interrupted again; then it runs to its end.
_RETRIES = 3
#: Seconds between those interrupts.
_RETRY_AFTER = 0.2
#: Exact types whose description runs none of the user's code: no timer needed.
_CHEAP = (int, float, complex, bool, type(None), str, bytes)

#: The original (a step's guard may replace the module's during the overview); absent on Windows.
_pthread_kill = getattr(signal, "pthread_kill", None)


class TimeBudget:
    """Bound the time the descriptions of one overview take (see the module docstring).

    Parameters
    ----------
    each
        Seconds one object may take.
    total
        Seconds all objects may take together.
    clock
        Monotonic clock.
    """

    def __init__(self, each: float = OBJECT_SECONDS, total: float = OVERVIEW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.each, self.total, self.clock = each, total, clock
        self.user_interrupted = False
        self._lock = threading.RLock()  # re-entrant: the handler runs on the main thread, which may hold it
        self._due = 0.0
        self._current: object | None = None
        self._pending = 0
        self._closed = True
        self._previous: Any = None
        self._handler: Callable[[int, Any], Any] = self._on_sigint
        self._timers: list[threading.Timer] = []

    def __enter__(self) -> TimeBudget:
        self._due = self.clock() + self.total
        if threading.current_thread() is threading.main_thread() and _pthread_kill is not None:
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
            self._closed = False
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._closed, self._current = True, None
        for timer in self._timers:
            timer.cancel()
        if self._previous is not None and signal.getsignal(signal.SIGINT) is self._handler:
            signal.signal(signal.SIGINT, self._previous)

    def describe(self, obj: Any, build: Callable[[], str]) -> str:
        """Return ``build()`` (a description of ``obj``), or ``obj``'s type when it took too long or time ran out."""
        if type(obj) in _CHEAP or self._closed:
            return build()
        left = self._due - self.clock()
        if left <= 0:
            return f"{type_name(obj)} (not described: the {self.total:g}s for describing variables ran out)"
        try:
            try:
                self._arm(min(self.each, left))
                return build()
            finally:
                with self._lock:
                    self._current = None
        except Overdue:
            return f"{type_name(obj)} (not described: describing it took longer than {self.each:g}s)"
        except KeyboardInterrupt:
            if self.user_interrupted:
                raise
            return f"{type_name(obj)} (could not be described: KeyboardInterrupt)"

    def _arm(self, seconds: float) -> None:
        token = object()
        with self._lock:
            self._current = token
        self._schedule(seconds, token, _RETRIES)

    def _schedule(self, seconds: float, token: object, retries: int) -> None:
        timer = threading.Timer(seconds, self._fire, (token, retries))
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _fire(self, token: object, retries: int) -> None:
        with self._lock:
            if self._closed or self._current is not token:
                return
            if _pthread_kill is None:  # no budget without it: __enter__ left the budget closed
                return
            self._pending += 1
            _pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            if retries:
                self._schedule(_RETRY_AFTER, token, retries - 1)

    def _on_sigint(self, signum: int, frame: Any) -> Any:
        with self._lock:
            ours = self._pending > 0
            if ours:
                self._pending -= 1
            describing = self._current is not None
        if ours:
            if describing:
                raise Overdue
            return None  # it landed after the object finished: nothing to cut short
        self.user_interrupted = True
        if callable(self._previous):
            return self._previous(signum, frame)
        if self._previous == signal.SIG_IGN:
            return None
        raise KeyboardInterrupt
