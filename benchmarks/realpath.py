"""The real path in a kernel: ``%%autogpt`` with its widget view and cells channel, and the bare work it wraps.

Both sides run the scripted 10-step pandas task (``pandas_task.py``) in a fresh Jupyter kernel started in a
folder holding the task's CSV, against one loopback ``FakeOpenAIServer`` that records when each request arrived
and when its answer was written out. A cell's wall time is taken by the client, from the execute request to its
reply, as a user waits for it. The bare side is one cell: a stdlib ``http.client`` request per step, the SSE
stream read and joined, the code cut out of the fence and run with ``run_cell`` — it times each ``run_cell``,
which is "the code's own time" of both sides. Overhead = wall − the server's time − the code's own time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager
from pandas_task import GOAL, STEPS, replies

__all__ = ["Cell", "Script", "TaskRun", "bare_task", "kernel", "load_ext_seconds", "our_task", "run_cell"]


class Script:
    """The server's reply source: one task's replies at a time, then a 500 saying the script is used up."""

    def __init__(self) -> None:
        self.pending: list[str] = []

    def load(self, items: list[str]) -> None:
        self.pending = list(items)

    def __call__(self, body: dict[str, Any]) -> Any:
        from support.openai_server import Fault

        return self.pending.pop(0) if self.pending else Fault(500, "the benchmark's script is used up")


@dataclass(frozen=True)
class Cell:
    """One executed cell: when it was sent (``time.time``), its wall seconds, and what it printed."""

    sent: float
    seconds: float
    printed: str


@dataclass(frozen=True)
class TaskRun:
    """One run of the task: wall, server and code seconds, requests, prompt characters, first-request latency."""

    wall: float
    server: float
    code: float
    requests: int
    chars: int
    first_request: float
    completed: bool

    @property
    def overhead_per_step(self) -> float:
        return (self.wall - self.server - self.code) / STEPS


@contextmanager
def kernel(folder: Path, env: dict[str, str]) -> Iterator[Any]:
    """Start a python3 kernel in ``folder`` with ``env`` added to the environment; yield its client."""
    import os

    km = KernelManager(kernel_name="python3")
    km.start_kernel(env={**os.environ, "MPLBACKEND": "Agg", **env}, cwd=str(folder))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run_cell(kc: Any, src: str, timeout: float = 300, history: bool = True) -> Cell:
    """Execute ``src``; return when it was sent, the seconds to its reply, and its printed text (errors raise).

    ``history=False`` keeps the cell out of ``In``: the benchmark's own probes are not the user's cells, which
    the model is shown.
    """
    sent, started = time.time(), time.perf_counter()
    msg_id = kc.execute(src, store_history=history)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    seconds = time.perf_counter() - started
    printed, idle = [], False
    while not idle:  # the iopub messages of the cell (widget traffic included) were already sent: drain them
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            printed.append(msg["content"]["text"])
        elif kind == "error":
            raise RuntimeError(f"the benchmark's cell failed: {msg['content']['ename']}: {msg['content']['evalue']}")
        idle = kind == "status" and msg["content"]["execution_state"] == "idle"
    return Cell(sent, seconds, "".join(printed))


def fresh(kc: Any) -> None:
    """Empty the user's namespace (untimed): each run of the task starts as the first did, the task loads its data.

    The modules stay imported: a repeated run measures the warm path, not what the previous run left behind.
    """
    run_cell(kc, "%reset -f", history=False)


def load_ext_seconds(kc: Any, name: str) -> float:
    """Return the seconds ``%load_ext name`` took inside the kernel."""
    probe = ("import time as _t\n_t0 = _t.perf_counter(); get_ipython().run_line_magic('load_ext', {!r})\n"
             "print('@@', _t.perf_counter() - _t0)")
    return float(run_cell(kc, probe.format(name), history=False).printed.split("@@")[-1])


def _traffic(server: Any, before: int, sent: float) -> tuple[float, int, int, float]:
    records = server.requests[before:]
    served = sum((r.done or r.at) - r.at for r in records)
    chars = sum(len(str(m.get("content") or "")) for r in records for m in r.body.get("messages", []))
    first = records[0].wall - sent if records else float("nan")
    return served, len(records), chars, first


def our_task(kc: Any, server: Any, script: Script, code_seconds: float) -> TaskRun:
    """Run the task through ``%%autogpt`` (the widget view and the cells channel: the kernel's defaults)."""
    fresh(kc)
    script.load(replies())
    before = len(server.requests)
    cell = run_cell(kc, f"%%autogpt --model openai:bench --max-steps {STEPS} --new\n{GOAL}")
    check = run_cell(kc, "import jupyter_autogpt as _j\n_r = _j.last_run()\n"
                         "print('@@', _r.status, len(_r.steps), sum(1 for s in _r.steps if s.error))", history=False)
    served, requests, chars, first = _traffic(server, before, cell.sent)
    status = check.printed.split("@@")[-1].split()
    completed = status == ["finished", str(STEPS), "0"] and not script.pending
    return TaskRun(cell.seconds, served, code_seconds, requests, chars, first, completed)


BARE = r'''
import http.client as _hc, json as _json, time as _time
from IPython.utils.capture import capture_output as _capture
_conn, _messages, _code_s, _ran = _hc.HTTPConnection("127.0.0.1", {port}), [{{"role": "user", "content": {goal!r}}}], 0.0, 0
for _ in range({steps}):
    _conn.request("POST", "/v1/chat/completions", _json.dumps({{"model": "bench", "messages": _messages, "stream": True}}),
                  {{"content-type": "application/json"}})
    _text = []
    for _line in _conn.getresponse():
        if _line.startswith(b"data: {{"):
            _text += [c["delta"].get("content") or "" for c in _json.loads(_line[6:])["choices"]]
    _text = "".join(_text)
    _messages.append({{"role": "assistant", "content": _text}})
    if "```python\n" not in _text:
        break
    _t0 = _time.perf_counter()
    with _capture() as _out:
        _res = get_ipython().run_cell(_text.split("```python\n", 1)[1].split("\n```", 1)[0], store_history=False)
    _code_s += _time.perf_counter() - _t0
    _ran += _res.success
    _messages.append({{"role": "user", "content": _out.stdout}})
print("@@", _code_s, _ran)
'''


def bare_task(kc: Any, server: Any, script: Script) -> TaskRun:
    """Run the task as a bare client + ``run_cell`` in one cell; its ``run_cell`` times are the code's own time."""
    fresh(kc)
    script.load(replies())
    before = len(server.requests)
    port = server.base_url.rsplit(":", 1)[1].split("/")[0]
    cell = run_cell(kc, BARE.format(port=port, goal=GOAL, steps=STEPS), history=False)
    code_s, ran = cell.printed.split("@@")[-1].split()
    served, requests, chars, first = _traffic(server, before, cell.sent)
    completed = int(ran) == STEPS - 1 and requests == STEPS and not script.pending
    return TaskRun(cell.seconds, served, float(code_s), requests, chars, first, completed)


def as_json(run: TaskRun) -> dict[str, Any]:
    return json.loads(json.dumps(run.__dict__))
