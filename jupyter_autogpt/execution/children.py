"""Every process a step starts gets the seccomp filter of ``execution.seccomp``: it cannot signal the kernel.

The routes a step's code takes to a new process, and where the filter goes in:

- ``subprocess.Popen`` (``subprocess.run``, ``os.popen``, IPython's ``getoutput``, ``%%bash``, ``%%script``):
  its ``preexec_fn``, chained before the step's own;
- ``os.system``: the C function starts ``/bin/sh`` itself, so for the step it is done through ``subprocess``
  (same shell, same wait status; the deadline and Interrupt can now stop the command too);
- ``os.fork`` and ``os.forkpty`` (``!cmd`` through pexpect, ``pty.spawn``, ``os.spawn*``, ``multiprocessing``'s
  fork): the filter goes in in the child, before it runs anything else.

Not covered: ``os.posix_spawn`` and ``multiprocessing``'s "spawn"/"forkserver" start methods (they start the
process in C), processes started before the step, and native code. Where the filter is not available (not Linux,
another machine), nothing is replaced.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from . import seccomp
from .killers import Kernel
from .patches import Patches

__all__ = ["Children"]

#: Position of ``preexec_fn`` among ``subprocess.Popen``'s positional parameters, after ``args``.
_PREEXEC_AT = 6


class Children:
    """Give every process the step starts the filter that keeps it from signalling the kernel."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._patches = Patches("process-starting functions")
        self.kernel = Kernel()

    def enter(self) -> None:
        if not seccomp.available():
            return
        self.kernel = Kernel()
        popen_init = subprocess.Popen.__init__
        self._patches.add(subprocess.Popen, "__init__", self._popen_init(popen_init))
        for owner in (os, sys.modules.get("posix")):
            if owner is None:
                continue
            for name, make in (("system", self._system), ("fork", self._fork), ("forkpty", self._forkpty)):
                original = getattr(owner, name, None)
                if original is not None:
                    self._patches.add(owner, name, make(original))
        self._patches.enter()

    def close(self) -> None:
        self._patches.close()
        self.notes += self._patches.notes
        self._patches = Patches("process-starting functions")

    def filter(self) -> seccomp.Filter:
        """Return the filter for a child started now (the kernel's threads as they are now)."""
        kernel = self.kernel
        return seccomp.build({kernel.pid, kernel.parent, *kernel.threads()}, kernel.pgid).prepare()

    def _popen_init(self, original: Callable[..., None]) -> Callable[..., None]:
        children = self

        def __init__(popen: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) > _PREEXEC_AT:
                args = (*args[:_PREEXEC_AT], children._preexec(args[_PREEXEC_AT]), *args[_PREEXEC_AT + 1 :])
            else:
                kwargs["preexec_fn"] = children._preexec(kwargs.get("preexec_fn"))
            original(popen, *args, **kwargs)

        __init__.__doc__ = original.__doc__
        return __init__

    def _preexec(self, theirs: Callable[[], Any] | None) -> Callable[[], None]:
        """Return a ``preexec_fn`` that installs the filter, then runs the step's own ``preexec_fn``."""
        built = self.filter() if self.kernel.here() else None

        def preexec() -> None:
            if built is not None:
                built.install()
            if theirs is not None:
                theirs()

        return preexec

    def _system(self, original: Callable[[Any], int]) -> Callable[[Any], int]:
        def system(command: Any) -> int:
            if not self.kernel.here():
                return original(command)
            code = subprocess.call(command, shell=True)  # our Popen: the filtered child
            return code << 8 if code >= 0 else -code  # a wait status, as os.system returns

        system.__doc__ = original.__doc__
        return system

    def _fork(self, original: Callable[[], int]) -> Callable[[], int]:
        def fork() -> int:
            built = self.filter() if self.kernel.here() else None
            pid = original()
            if pid == 0 and built is not None:
                built.install()
            return pid

        fork.__doc__ = original.__doc__
        return fork

    def _forkpty(self, original: Callable[[], tuple[int, int]]) -> Callable[[], tuple[int, int]]:
        def forkpty() -> tuple[int, int]:
            built = self.filter() if self.kernel.here() else None
            pid, fd = original()
            if pid == 0 and built is not None:
                built.install()
            return pid, fd

        forkpty.__doc__ = original.__doc__
        return forkpty
