"""The run-time guard against code that would end the kernel's process: refused at the call, while a step runs.

Static analysis refuses ``os._exit(0)``; it cannot see ``getattr(os, "_e" + "xit")(0)``, ``exec(compile(...))``,
``vars(os)["_exit"]`` or ``posix._exit``. So while a step runs (and while the user's objects are described),
the process-ending functions themselves are replaced, in every module that holds them (``os`` and ``posix``,
``signal`` and ``_signal`` ...) and in the user's namespace, by stand-ins that refuse (``RefusedCall``) when
called in the kernel's process and pass through in a forked child:

- ``os._exit``, ``os.abort``, the ``os.exec*`` family (they replace the kernel), ``faulthandler``'s crash helpers;
- signals the kernel cannot survive (no Python handler, or SIGKILL/SIGSTOP) aimed at the kernel, its threads,
  its process group (``0``, ``-pgid``), every process (``-1``) or the Jupyter server that owns it: ``os.kill``,
  ``os.killpg``, ``signal.raise_signal``, ``signal.pthread_kill``, ``signal.pidfd_send_signal``. A SIGINT the
  step sends itself is allowed, and counted: it is not the user's interrupt (``execution.signals``);
- timers whose signal would end the kernel (``signal.alarm`` with SIGALRM's default action), making the
  Interrupt button end the kernel (``signal.signal(SIGINT, SIG_DFL)``), lowering the kernel's resource limits
  or setting RLIMIT_CPU, and a recursion limit past what the C stack can hold (deep recursion then segfaults).

Stand-ins a step kept a reference to keep refusing after the step (``threading.Timer(5, os._exit)``).
Processes the step starts are guarded by ``execution.children``. Out of reach: ``ctypes`` and other native
code, which can do anything the process can.
"""

from __future__ import annotations

import _signal
import faulthandler
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..risk.refusals import CRASHES, KERNEL, REPLACES
from .patches import Patches
from .refusing import RefusalLog
from .signals import SigintWatch, Timers

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

__all__ = ["Kernel", "Killers"]

#: Signals whose default action does not end or stop a process.
_HARMLESS_BY_DEFAULT = {getattr(signal, n) for n in ("SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH") if hasattr(signal, n)}
_EXECS = ("execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe")
_CRASHERS = ("_sigsegv", "_sigabrt", "_sigfpe", "_fatal_error", "_fatal_error_c_thread", "_read_null", "_stack_overflow")
#: C stack bytes one level of C recursion may take (``repr`` of nested lists crashed at ~100k levels on 8 MiB).
_STACK_PER_LEVEL = 200
#: Modules that hold the guarded functions (``posix`` and ``_signal`` are the C modules behind ``os`` and ``signal``).
_OWNERS = ("os", "posix", "nt", "signal", "_signal", "faulthandler", "resource", "sys")
_TIMER_SIGNALS = {getattr(signal, t): getattr(signal, s) for t, s in
                  (("ITIMER_REAL", "SIGALRM"), ("ITIMER_VIRTUAL", "SIGVTALRM"), ("ITIMER_PROF", "SIGPROF")) if hasattr(signal, t)}


class Kernel:
    """The process the guard protects: its pid, process group, threads and parent, as signal targets."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.pgid = os.getpgrp() if hasattr(os, "getpgrp") else 0
        self.parent = os.getppid()

    def here(self) -> bool:
        """Return whether the caller runs in the kernel's process (not in a forked child)."""
        return os.getpid() == self.pid

    def threads(self) -> set[int]:
        """Return the kernel's thread ids (a signal to any of them reaches the whole process)."""
        try:
            return {int(t) for t in os.listdir(f"/proc/{self.pid}/task")}
        except OSError:
            return {self.pid}

    def hit_by(self, pid: int) -> bool:
        """Return whether ``os.kill(pid, ...)`` reaches the kernel or the server that owns it."""
        if pid in (0, -1):
            return True
        if pid < -1:
            return -pid == self.pgid
        return pid == self.pid or (pid == self.parent and pid > 1) or pid in self.threads()


def _harms(sig: int) -> bool:
    """Return whether delivering ``sig`` to the kernel would end or stop it."""
    if sig == 0:
        return False
    try:
        sig = signal.Signals(sig)
    except ValueError:
        return False  # not a signal: the call fails on its own
    if sig.name in ("SIGKILL", "SIGSTOP"):
        return True
    handler = signal.getsignal(sig)
    return not (callable(handler) or handler == signal.SIG_IGN) and sig not in _HARMLESS_BY_DEFAULT


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def _pidfd_target(fd: int) -> int | None:
    """Return the pid a pidfd (or a ``/proc/PID`` directory descriptor) refers to, if it can be read."""
    try:
        with open(f"/proc/self/fdinfo/{fd}") as info:
            for line in info:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
        target = os.readlink(f"/proc/self/fd/{fd}")
        return int(target.rsplit("/", 1)[-1]) if target.startswith("/proc/") else None
    except (OSError, ValueError):
        return None


def _stand_in(original: Callable[..., Any], check: Callable[..., None]) -> Callable[..., Any]:
    """Return a function named like ``original`` that runs ``check`` first (no ``__wrapped__``: nothing to unwrap)."""

    def stand_in(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # IPython leaves the guard's frames out of the traceback the model reads
        check(*args, **kwargs)
        return original(*args, **kwargs)

    stand_in.__name__ = stand_in.__qualname__ = getattr(original, "__name__", "stand_in")
    stand_in.__doc__ = getattr(original, "__doc__", None)
    return stand_in


class Killers:
    """Replace the process-ending functions for a step (see the module docstring).

    Parameters
    ----------
    refusals
        Records each refusal for the model's notes.
    sigint
        Counts the SIGINTs the step sends itself.
    namespace
        The user's namespace: names bound to a guarded function are replaced there too.
    timers
        Told of every timer the step sets, to put it back after the step.
    """

    def __init__(self, refusals: RefusalLog, sigint: SigintWatch, namespace: Mapping[str, Any], timers: Timers) -> None:
        self.refusals, self.sigint, self.namespace, self.timers = refusals, sigint, namespace, timers
        self.kernel = Kernel()
        self.notes: list[str] = []
        self._patches = Patches("process functions")

    def enter(self) -> None:
        """Install every stand-in, wherever the original is bound (``Kernel`` is read now)."""
        self.kernel = Kernel()
        stand_ins = self._stand_ins()
        for original, stand_in in stand_ins:
            for module, name in _homes(original):
                if vars(module).get(name) is original:
                    self._patches.add(module, name, stand_in)
        by_id = {id(original): stand_in for original, stand_in in stand_ins}
        for name, value in list(self.namespace.items()):
            if id(value) in by_id:
                self._patches.add(self.namespace, name, by_id[id(value)])
        self._patches.enter()

    def close(self) -> None:
        """Put every original back (idempotent)."""
        self._patches.close()
        self.notes += self._patches.notes
        self._patches = Patches("process functions")

    def _in_kernel(self, what: str, why: str) -> Callable[..., None]:
        def check(*args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True
            if self.kernel.here():
                self.refusals.refuse(what, why)

        return check

    def _signal(self, what: str, reaches: Callable[..., tuple[bool, int]]) -> Callable[..., None]:
        """Return a check refusing a signal the kernel cannot survive; ``reaches(*args)`` says ``(hits kernel, sig)``."""

        def check(*args: Any, **kwargs: Any) -> None:
            __tracebackhide__ = True
            hits, sig = reaches(*args, **kwargs)
            if not (hits and self.kernel.here()):
                return
            if _harms(sig):
                self.refusals.refuse(f"{what}(..., {_signame(sig)})", f"{KERNEL}: nothing in it handles {_signame(sig)}")
            if sig == signal.SIGINT and threading.current_thread() is threading.main_thread():
                self.sigint.sent_by_step += 1  # the step interrupting itself is not the user's interrupt

        return check

    def _stand_ins(self) -> list[tuple[Any, Any]]:
        """Return ``(original, stand-in)`` for every guarded function this platform has."""
        kernel, checks = self.kernel, _Checks(self.kernel, self.refusals.refuse, self.timers)
        table: list[tuple[Any, str, Callable[..., None]]] = [
            *((os, name, self._in_kernel(f"os.{name}(...)", KERNEL)) for name in ("_exit", "abort")),
            *((os, name, self._in_kernel(f"os.{name}(...)", REPLACES)) for name in _EXECS),
            *((faulthandler, name, self._in_kernel(f"faulthandler.{name}()", CRASHES)) for name in _CRASHERS),
            (os, "kill", self._signal("os.kill", lambda pid, sig: (kernel.hit_by(pid), sig))),
            (os, "killpg", self._signal("os.killpg", lambda pgid, sig: (kernel.hit_by(-pgid if pgid else 0), sig))),
            (signal, "raise_signal", self._signal("signal.raise_signal", lambda sig: (True, sig))),
            (signal, "pthread_kill", self._signal("signal.pthread_kill", lambda thread, sig: (True, sig))),
            (signal, "pidfd_send_signal", self._signal(
                "signal.pidfd_send_signal", lambda fd, sig, *rest, **kw: (kernel.hit_by(_pidfd_target(fd) or -2), sig))),
            (signal, "alarm", checks.alarm),
            (signal, "setitimer", checks.setitimer),
            (signal, "signal", checks.handler),
            (_signal, "signal", checks.handler),
            (resource, "setrlimit", checks.setrlimit),
            (resource, "prlimit", checks.prlimit),
            (sys, "setrecursionlimit", checks.recursion_limit),
        ]
        found = []
        for module, name, check in table:
            original = getattr(module, name, None)
            if callable(original):
                found.append((original, _stand_in(original, check)))
        return found


class _Checks:
    """Checks of calls that end the kernel later rather than at once: timers, handlers, limits."""

    def __init__(self, kernel: Kernel, refuse: Callable[[str, str], Any], timers: Timers) -> None:
        self.kernel, self.refuse, self.timers = kernel, refuse, timers

    def _timer(self, what: str, seconds: float, sig: int) -> None:
        __tracebackhide__ = True
        if seconds and self.kernel.here() and _harms(sig):
            self.refuse(f"{what}(...)", f"would end the user's kernel when the timer fires ({_signame(sig)} has no "
                                        "handler): install one with signal.signal first")

    def alarm(self, seconds: int, *args: Any) -> None:
        __tracebackhide__ = True
        self._timer("signal.alarm", seconds, signal.SIGALRM)
        if self.kernel.here():
            self.timers.touch(signal.ITIMER_REAL)  # alarm() is the real-time interval timer

    def setitimer(self, which: int, seconds: float = 0, *args: Any) -> None:
        __tracebackhide__ = True
        self._timer("signal.setitimer", seconds, _TIMER_SIGNALS.get(which, signal.SIGALRM))
        if self.kernel.here():
            self.timers.touch(which)

    def handler(self, sig: int, handler: Any) -> None:
        __tracebackhide__ = True
        if sig == signal.SIGINT and handler == signal.SIG_DFL and self.kernel.here():
            self.refuse("signal.signal(SIGINT, SIG_DFL)", "would make the Interrupt button end the user's kernel")

    def setrlimit(self, which: int, limits: tuple[int, int]) -> None:
        __tracebackhide__ = True
        self.prlimit(0, which, limits)

    def prlimit(self, pid: int, which: int, limits: tuple[int, int] | None = None) -> None:
        __tracebackhide__ = True
        if limits is None or pid not in (0, self.kernel.pid) or not self.kernel.here() or resource is None:
            return
        infinite = resource.RLIM_INFINITY
        lowers = any(new != infinite and (old == infinite or new < old)
                     for new, old in zip(limits, resource.getrlimit(which), strict=False))
        if lowers or which == getattr(resource, "RLIMIT_CPU", None):
            self.refuse("resource.setrlimit(...)", "would limit the user's kernel for the rest of the session")

    def recursion_limit(self, limit: int) -> None:
        __tracebackhide__ = True
        safe = max(sys.getrecursionlimit(), _stack_bytes() // _STACK_PER_LEVEL)
        if limit > safe and self.kernel.here():
            self.refuse(f"sys.setrecursionlimit({limit})", "would let deep recursion overflow the C stack and crash "
                                                           f"the user's kernel (at most {safe:,} is safe here)")


_HOMES: dict[int, list[tuple[Any, str]]] = {}


def _homes(original: Any) -> list[tuple[Any, str]]:
    """Return where the guarded modules bind ``original`` (looked up once: the modules' names do not move)."""
    key = id(original)
    if key not in _HOMES:
        modules = [sys.modules[m] for m in _OWNERS if m in sys.modules]
        _HOMES[key] = [(module, name) for module in modules for name, value in vars(module).items() if value is original]
    return _HOMES[key]


def _stack_bytes() -> int:
    """Return the main thread's stack limit in bytes (8 MiB when unlimited or unknown)."""
    try:
        soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
    except (AttributeError, OSError, ValueError):
        return 8 << 20
    return soft if 0 < soft < (1 << 40) else 8 << 20
