"""Real kernels for tests: start one with a chosen environment, run code in it, read what it printed."""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jupyter_client.manager import KernelManager

from .replies import code

__all__ = ["code", "execute", "printed", "running_kernel", "traffic"]


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
