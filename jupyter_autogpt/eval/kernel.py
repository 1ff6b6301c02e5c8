"""Run one ``%%autogpt`` cell in a fresh kernel and read back what the run did.

Each task gets its own kernel (``jupyter_client``), started in the task's working folder, so no variable,
import or file of one task can help or hurt another. The kernel is driven as a frontend drives it: an
``execute_request`` with ``%load_ext jupyter_autogpt``, then the cell, then a ``user_expressions`` request
that reads ``last_run()`` through :mod:`jupyter_autogpt.eval.probe`. Only the shell channel is read: the
live view's widget messages on iopub are never needed, so that channel is not opened.
"""

from __future__ import annotations

import ast
import json
import os
import queue
import shlex
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .probe import EXPRESSION

__all__ = ["CellOutcome", "Kernels", "run_cell"]

#: Seconds for a kernel to start, for ``%load_ext`` and for the probe; generous for a loaded 2-core machine.
START_SECONDS = 60.0
#: Seconds a run gets to stop after the kernel is interrupted, before the kernel is killed.
INTERRUPT_GRACE = 20.0
#: How often a wait checks that the kernel is still alive (a dead kernel never replies).
_POLL = 0.5
_LOG_TAIL = 600


@dataclass(frozen=True)
class CellOutcome:
    """What one cell in one kernel came to.

    ``record`` is the probe's view of the run (``None`` when no run happened); ``error`` the cell's own error
    (``"UsageError: ..."`` when the magic refused to start); ``timed_out`` says the kernel was interrupted at
    the deadline; ``lost`` says why the kernel is gone (died, killed), with ``log`` the tail of its stderr.
    """

    record: dict[str, Any] | None = None
    error: str | None = None
    timed_out: bool = False
    lost: str | None = None
    log: str = ""

    @property
    def refused(self) -> bool:
        """Return whether the magic refused to start a run (bad options, missing key: the user must act)."""
        return self.record is None and (self.error or "").startswith("UsageError")


class KernelLost(Exception):
    """The kernel died, or was killed, before it answered."""


class Kernels:
    """The kernels running now, so that an interrupted evaluation can stop them all (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[Any] = set()
        self.cancelled = threading.Event()

    def add(self, manager: Any) -> None:
        with self._lock:
            if self.cancelled.is_set():
                raise KernelLost("the evaluation was cancelled")
            self._live.add(manager)

    def discard(self, manager: Any) -> None:
        with self._lock:
            self._live.discard(manager)

    def cancel(self) -> None:
        """Stop every running kernel now; tasks not yet started will not start one."""
        with self._lock:
            self.cancelled.set()
            live = list(self._live)
        for manager in live:
            _kill(manager)


def run_cell(
    cell: str, workdir: Path, *, timeout: float, kernels: Kernels, kernel_name: str = "python3",
    transcript: Path | None = None,
) -> CellOutcome:
    """Run ``cell`` in a fresh kernel started in ``workdir``; interrupt it after ``timeout`` seconds.

    The kernel's own output goes to ``workdir.parent / "kernel.log"`` (outside the folder the agent sees);
    with ``transcript`` the run is also saved there by ``%autogpt export``.
    """
    from jupyter_client.manager import KernelManager

    log_path = workdir.parent / "kernel.log"
    manager = KernelManager(kernel_name=kernel_name)
    try:
        kernels.add(manager)
        with log_path.open("wb") as log:
            env = {**os.environ, "MPLBACKEND": "Agg"}
            try:
                manager.start_kernel(cwd=str(workdir), env=env, stdout=log, stderr=log)
            except Exception as exc:  # a missing interpreter, a broken kernelspec: anything the launcher raises
                return CellOutcome(lost=f"cannot start a {kernel_name} kernel: {type(exc).__name__}: {exc}")
            if kernels.cancelled.is_set():  # cancelled while it started, when there was nothing to kill yet
                raise KernelLost("the evaluation was cancelled")
            client = manager.client()
            client.start_channels(iopub=False, stdin=False, hb=False)
            try:
                return _drive(_Connection(manager, client, kernels.cancelled), cell, timeout, transcript)
            finally:
                client.stop_channels()
    except KernelLost as exc:
        return CellOutcome(lost=str(exc), log=_tail(log_path))
    finally:
        kernels.discard(manager)
        _kill(manager)


class _Connection:
    """A started kernel's shell channel; every wait on it ends when the kernel dies or the evaluation stops."""

    def __init__(self, manager: Any, client: Any, cancelled: threading.Event) -> None:
        self.manager = manager
        self.client = client
        self.cancelled = cancelled

    def execute(self, code: str, timeout: float, **extra: Any) -> dict[str, Any] | None:
        """Send ``code`` and return its execute reply's content, or ``None`` when ``timeout`` passed first."""
        return self.reply(self.client.execute(code, allow_stdin=False, **extra), timeout)

    def reply(self, msg_id: str | None, timeout: float) -> dict[str, Any] | None:
        """Wait for the reply to ``msg_id`` (any execute reply when ``None``); ``None`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.client.get_shell_msg(timeout=min(_POLL, left))
            except queue.Empty:
                # The evaluation may stop while this kernel is still starting, before anyone could kill it.
                if self.cancelled.is_set():
                    raise KernelLost("the evaluation was cancelled") from None
                if not self.manager.is_alive():
                    raise KernelLost("the kernel died") from None
                continue
            if msg["msg_type"] == "execute_reply" and msg_id in (None, msg["parent_header"].get("msg_id")):
                content: dict[str, Any] = msg["content"]
                return content
        return None


def _drive(kernel: _Connection, cell: str, timeout: float, transcript: Path | None) -> CellOutcome:
    try:
        kernel.client.wait_for_ready(timeout=START_SECONDS)
    except RuntimeError as exc:
        raise KernelLost(f"the kernel did not start: {exc}") from None
    loaded = kernel.execute("%load_ext jupyter_autogpt", START_SECONDS)
    if loaded is None or loaded.get("status") != "ok":
        return CellOutcome(error="cannot load jupyter_autogpt in the kernel: " + _error_text(loaded))
    reply = kernel.execute(cell, timeout)
    timed_out = reply is None
    if reply is None:
        kernel.manager.interrupt_kernel()
        reply = kernel.reply(None, INTERRUPT_GRACE)
        if reply is None:
            raise KernelLost(f"the run did not stop within {INTERRUPT_GRACE:g}s of an interrupt; the kernel was killed")
    error = None if reply.get("status") == "ok" else _error_text(reply)
    record = _probe(kernel)
    if transcript is not None and record is not None:
        kernel.execute(f"%autogpt export {shlex.quote(str(transcript))}", START_SECONDS)
    return CellOutcome(record=record, error=error, timed_out=timed_out)


def _probe(kernel: _Connection) -> dict[str, Any] | None:
    reply = kernel.execute("", START_SECONDS, silent=True, user_expressions={"run": EXPRESSION})
    value = ((reply or {}).get("user_expressions") or {}).get("run") or {}
    if value.get("status") != "ok":
        raise KernelLost("the kernel did not say how the run went: " + _error_text(value))
    text = ast.literal_eval(value["data"]["text/plain"])  # the repr of the JSON string
    record: dict[str, Any] | None = json.loads(text)
    return record


def _error_text(content: dict[str, Any] | None) -> str:
    if not content:
        return "no reply"
    return f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".strip()


def _kill(manager: Any) -> None:
    try:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    except Exception:  # a kernel already gone, or one being stopped by another thread
        pass


def _tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-_LOG_TAIL:].strip()
