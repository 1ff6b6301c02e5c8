"""The OpenAI backend against a real OpenAI-compatible server that is not ours: ``transformers serve``.

One server per module (it takes ~20 s to start on 2 cores) serves a tiny deterministic model built here
(``build_scripted_model``: it always replies with the same code block), on 127.0.0.1, started and stopped
by this module through its own PID. ``transformers serve`` ignores ``stream_options`` and sends the usage
in its last chunk, beside ``finish_reason``; it answers only to the model name it was started with (the
folder's path), and sends no ``data: [DONE]`` line.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.eval_sets import harness, question, write_set
from support.kernels import execute, running_kernel
from support.tiny_models import build_scripted_model

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

REPLY = 'I will compute it.\n```python\nfinal_answer(f"@answer[{6 * 7}]")\n```'
#: Seconds the server may take to load and start listening (about 20 on a busy 2-core machine).
START_SECONDS = 180.0


@dataclass(frozen=True)
class Served:
    base_url: str
    model: str  # the name the server answers to: the model folder's path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_listening(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> list[str]:
    """Read the server's log until uvicorn says it listens; fail with the log if it exits first."""
    seen: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            pytest.fail(f"transformers serve exited ({proc.wait()}):\n" + "".join(seen[-30:]))
        seen.append(line)
        if "Uvicorn running on" in line:
            return seen
    pytest.fail(f"transformers serve did not listen within {START_SECONDS:g}s:\n" + "".join(seen[-30:]))


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    folder = build_scripted_model(tmp_path_factory.mktemp("served") / "tiny", REPLY)
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_UPDATE_CHECK": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
           "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "transformers.cli.transformers", "serve", str(folder), "--host", "127.0.0.1",
         "--port", str(port), "--device", "cpu", "--log-level", "error"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:  # keep reading, so a chatty server never blocks on a full pipe
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        _wait_until_listening(proc, lines)
        yield Served(f"http://127.0.0.1:{port}/v1", str(folder))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def test_a_goal_runs_to_the_end_against_transformers_serve_in_a_real_kernel(served: Served) -> None:
    cell = (f"%%autogpt --model openai:{served.model} --base-url {served.base_url} --max-steps 3 --no-cells\n"
            "What is six times seven?")
    report = (
        "import json, jupyter_autogpt\nr = jupyter_autogpt.last_run()\n"
        "print(json.dumps({'status': r.status, 'answer': r.answer, 'steps': len(r.steps), 'error': r.error,\n"
        "                  'prompt': r.usage.prompt_tokens, 'completion': r.usage.completion_tokens,\n"
        "                  'estimated': r.usage.estimated, 'model': r.model}))"
    )
    with running_kernel(OPENAI_API_KEY=None, OPENAI_BASE_URL=None) as (_, kc):
        assert "ERROR" not in execute(kc, "%load_ext jupyter_autogpt")
        assert "ERROR" not in execute(kc, cell, timeout=120)
        run = json.loads(execute(kc, report).strip().splitlines()[-1])
    assert run["status"] == "finished", run
    assert run["answer"] == "@answer[42]" and run["steps"] == 1 and run["error"] is None
    assert run["model"] == f"openai:{served.model}"
    # The usage is the server's own count (sent in its last chunk), not our estimate.
    assert run["estimated"] is False and run["prompt"] > 0 and run["completion"] > 0


def test_the_accuracy_harness_measures_a_model_behind_transformers_serve(served: Served, tmp_path: Path) -> None:
    labels = [{"id": 1, "common_answers": [["answer", "42"]]}]
    folder = write_set(tmp_path / "set", [question(1, format="@answer[value] where value is an integer.")], labels,
                       {"t.csv": "a\n6\n7\n"})
    finished = harness(str(folder), "--model", f"openai:{served.model}", "--base-url", served.base_url,
                       "--report", str(tmp_path / "r.json"))
    assert finished.rc == 0, finished.err
    report = json.loads((tmp_path / "r.json").read_text())
    (task,) = report["tasks"]
    assert report["accuracy"] == 1.0 and task["correct"] and task["answer"] == "@answer[42]"
    assert task["tokens_estimated"] is False and task["tokens"] > 0
    assert task["cost"] is None  # a model under its own name has no list price: unknown, not free
    assert "cost ?" in finished.out
