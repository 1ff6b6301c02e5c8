"""Real kernels for tests: start one with a chosen environment, run code in it, read what it printed."""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from .replies import code

__all__ = ["code", "execute", "interrupt_until_replied", "printed", "run_notebook", "running_kernel", "traffic"]


@contextmanager
def running_kernel(**env: str | None) -> Iterator[tuple[KernelManager, Any]]:
    """Start a python3 kernel with ``os.environ`` updated by ``env`` (``None`` removes a variable)."""
    environment = {**os.environ, "MPLBACKEND": "Agg"}
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=environment)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def reply_to(kc: Any, msg_id: str, timeout: float = 60) -> dict[str, Any]:
    """Return the shell reply to request ``msg_id``, passing over replies to earlier requests.

    ``wait_for_ready`` may send a second ``kernel_info_request`` on a slow start; its late reply would otherwise
    be taken for the reply of the next request.
    """
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def interrupt_until_replied(km: Any, kc: Any, msg_id: str, attempts: int = 5, wait: float = 10) -> dict[str, Any]:
    """Interrupt until the cell replies, as a user presses Interrupt again.

    Python drops a KeyboardInterrupt raised inside a finalizer (a step's closed HTTP response, say, when the first
    one lands), so one press can be lost; a second one then stops the step.
    """
    for _ in range(attempts):
        km.interrupt_kernel()
        try:
            return reply_to(kc, msg_id, timeout=wait)
        except queue.Empty:
            continue
    raise AssertionError(f"the cell did not stop after {attempts} interrupts")


def execute(kc: Any, src: str, timeout: float = 60) -> str:
    """Run ``src`` and return everything it printed (an error as ``ERROR:name:value``)."""
    msg_id = kc.execute(src)
    printed = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            printed.append("ERROR:" + msg["content"]["ename"] + ":" + msg["content"]["evalue"])
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply_to(kc, msg_id, timeout)
    return "".join(printed)


def traffic(kc: Any, src: str, answers: list[str] | None = None, timeout: float = 120) -> list[dict[str, Any]]:
    """Run ``src``; return every iopub message it caused, answering each input request with the next answer."""
    pending = list(answers or [])
    msg_id = kc.execute(src, allow_stdin=answers is not None)
    seen: list[dict[str, Any]] = []
    while True:
        if answers is not None:
            try:
                request = kc.get_stdin_msg(timeout=0.05)
            except queue.Empty:
                request = None
            if request is not None and request["msg_type"] == "input_request":
                seen.append(request)
                kc.input(pending.pop(0) if pending else "s")
        try:
            msg = kc.get_iopub_msg(timeout=0.05 if answers is not None else timeout)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            reply_to(kc, msg_id, timeout)
            return seen


def printed(messages: list[dict[str, Any]]) -> str:
    """Return the text the ``stream`` messages among ``messages`` printed."""
    return "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")


def run_notebook(cells: list[str], folder: Any, env: dict[str, str], *, allow_errors: bool = False,
                 timeout: int = 180) -> nbformat.NotebookNode:
    """Run ``cells`` as a notebook in a fresh kernel started in ``folder``, ``os.environ`` updated by ``env``."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    env = {"MPLBACKEND": "Agg", **env}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # kernels inherit the environment of the process that starts them
    try:
        NotebookClient(nb, kernel_name="python3", timeout=timeout, allow_errors=allow_errors,
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb
