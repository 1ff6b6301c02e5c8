"""A seccomp filter for the processes a step starts: they cannot signal the kernel (Linux, x86-64 and arm64).

A shell command reaches the kernel's process without any Python in between: ``!kill -9 $PPID``,
``os.system("kill 0")``, ``pkill -f ipykernel``, a script that reads the kernel's pid from ``/proc``. No reading
of the command's text can catch them all, so the operating system refuses them instead. Every process a step
starts gets, between ``fork`` and ``exec``, a filter that makes these system calls fail with EPERM ("Operation
not permitted", which the step's output then shows) when aimed at the kernel:

- ``kill`` of the kernel's pid or any of its threads, of the process that owns it (the Jupyter server: the
  kernel exits when it dies), of the kernel's process group (``-pgid``), of the caller's group (``0``) or of
  every process (``-1``) — except signal 0, which only asks whether a process exists;
- ``tkill``/``tgkill``/``rt_sigqueueinfo``/``rt_tgsigqueueinfo`` and ``pidfd_open`` with those targets, and
  ``pidfd_send_signal`` altogether (a pidfd can also be a ``/proc/PID`` directory, which the filter cannot read).

Filters are inherited by every descendant and cannot be removed; they never apply to the kernel itself. The
program is classic BPF, built here as a tuple of ``(code, jt, jf, k)`` instructions (tests can run it on
made-up system calls) and installed with ``prctl`` through ``ctypes``.
"""

from __future__ import annotations

import ctypes
import functools
import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ALLOW", "DENY", "Filter", "available", "build"]

ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
DENY = 0x00050000 | 1  # SECCOMP_RET_ERRNO | EPERM
_LD, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
_X32 = 0x40000000

#: Per machine: (audit arch, kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, pidfd_send_signal, pidfd_open),
#: the native ABI first, then the 32-bit one a 64-bit process can also call.
_TABLES = {
    "x86_64": [(0xC000003E, 62, 200, 234, 129, 297, 424, 434), (0x40000003, 37, 238, 270, 178, 335, 424, 434)],
    "aarch64": [(0xC00000B7, 129, 130, 131, 138, 240, 424, 434), (0x40000028, 37, 238, 268, 178, 363, 424, 434)],
}
_MACHINE = {"amd64": "x86_64", "arm64": "aarch64"}


def _machine() -> str:
    machine = platform.machine().lower()
    return _MACHINE.get(machine, machine)


@dataclass(frozen=True)
class Filter:
    """A built filter: its program, and the ``ctypes`` structure ``prctl`` takes (made in the parent).

    Attributes
    ----------
    program
        The instructions, ``(code, jt, jf, k)`` each.
    """

    program: tuple[tuple[int, int, int, int], ...]

    @functools.cached_property
    def _fprog(self) -> ctypes.Structure:
        class Instruction(ctypes.Structure):
            _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]

        class Program(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Instruction))]

        array = (Instruction * len(self.program))(*(Instruction(*ins) for ins in self.program))
        fprog = Program(len(self.program), array)
        fprog._keep = array  # type: ignore[attr-defined]  # the array must live as long as the structure
        return fprog

    def prepare(self) -> Filter:
        """Build the ``ctypes`` structure now (in the parent: the child then only calls ``prctl``)."""
        _ = self._fprog
        return self

    def install(self) -> bool:
        """Install the filter in the calling process (a fresh child); return whether it took."""
        prctl = _libc().prctl
        fprog = ctypes.byref(self._fprog)
        if prctl(22, 2, fprog, 0, 0) == 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER (allowed with CAP_SYS_ADMIN)
            return True
        prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: what an unprivileged process needs before a filter
        return prctl(22, 2, fprog, 0, 0) == 0


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """Return whether child processes can be filtered here (Linux with seccomp, on a machine the table knows)."""
    if not sys.platform.startswith("linux") or _machine() not in _TABLES:
        return False
    try:
        return _libc().prctl(21, 0, 0, 0, 0) >= 0  # PR_GET_SECCOMP: -1 when the kernel has no seccomp
    except (OSError, AttributeError):
        return False


def build(targets: Iterable[int], pgid: int, machine: str | None = None) -> Filter:
    """Return the filter protecting the processes ``targets`` (the kernel, its threads, its owner) and group ``pgid``."""
    arg = [16 + 8 * i + (0 if sys.byteorder == "little" else 4) for i in range(6)]  # low 32 bits of each argument
    abis = _TABLES[machine or _machine()]
    code: list[_Line] = [(_LD, 0, 0, 4)]  # the audit arch
    code += [(_JEQ, f"abi{n}", 0, arch) for n, (arch, *_calls) in enumerate(abis)]
    code.append((_RET, 0, 0, ALLOW))  # an ABI not in the table
    for n, (arch, kill, tkill, tgkill, sigqueue, tgsigqueue, pidfd_send, pidfd_open) in enumerate(abis):
        code += [f"abi{n}", (_LD, 0, 0, 0)]  # the system call's number
        if arch == 0xC000003E:
            code.append((_JGE, "deny", 0, _X32))  # x32 calls: another numbering, never needed by a step
        code += [(_JEQ, "kill", 0, kill), *((_JEQ, "pid", 0, nr) for nr in (tkill, tgkill, sigqueue, tgsigqueue, pidfd_open)),
                 (_JEQ, "deny", 0, pidfd_send), (_RET, 0, 0, ALLOW)]
    code += ["kill", (_LD, 0, 0, arg[1]), (_JEQ, "allow", 0, 0),  # signal 0 only asks whether a process exists
             (_LD, 0, 0, arg[0]), *((_JEQ, "deny", 0, special) for special in (0, 0xFFFFFFFF, -pgid & 0xFFFFFFFF))]
    code += ["pid", (_LD, 0, 0, arg[0]), *((_JEQ, "deny", 0, pid) for pid in sorted({t & 0xFFFFFFFF for t in targets if t > 0}))]
    code += ["allow", (_RET, 0, 0, ALLOW), "deny", (_RET, 0, 0, DENY)]
    return Filter(_assemble(code))


#: A label (a string naming the next instruction), or an instruction whose jump targets may be labels.
_Line = str | tuple[int, str | int, str | int, int]


def _assemble(code: list[_Line]) -> tuple[tuple[int, int, int, int], ...]:
    """Resolve labels into the relative jumps of classic BPF."""
    labels: dict[str, int] = {}
    count = 0
    for line in code:
        if isinstance(line, str):
            labels[line] = count
        else:
            count += 1
    out: list[tuple[int, int, int, int]] = []
    for line in code:
        if isinstance(line, str):
            continue
        op, *jumps, k = line
        here = len(out)
        offsets = [labels[j] - here - 1 if isinstance(j, str) else j for j in jumps]
        if not all(0 <= j <= 255 for j in offsets):
            raise ValueError(f"a jump of the filter is out of range: {offsets}")
        out.append((op, offsets[0], offsets[1], k))
    return tuple(out)
