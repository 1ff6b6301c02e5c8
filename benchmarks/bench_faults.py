"""Benchmark how long faults take to end: the step deadline against ``--timeout``, and a server's ``Retry-After``.

Run: ``python benchmarks/bench_faults.py [--timeout 0.5] [--repeat 3]`` (about 25 s on 2 cores).

1. A step that loops, sleeps, or swallows the timeout's KeyboardInterrupt, run by ``IPythonExecutor`` on a
   real ``InteractiveShell`` with ``--timeout``: seconds from start to the timeout observation, and past the
   timeout. Goal: a loop or a sleep stops within 0.2 s past it; a swallowed interrupt within the grace
   period (``Deadline.grace``: 1 s at a 0.5 s timeout) plus 0.2 s. The tests check the wording; the time
   lives here.
2. A 429 answer with ``Retry-After: 1`` from the loopback chat-completions server (tests/support), retried by
   ``OpenAIModel`` (its own HTTP client): the gap between the two requests. Goal: at least 1 s
   (the header is honoured) and under 2 s.
3. What the run-time guard costs: a trivial step through ``IPythonExecutor`` against the same code through a
   bare nested ``run_cell``, and a child process started inside a step (it gets the seccomp filter, so
   ``subprocess`` forks instead of vforking) against one started outside. Ratios, same process.
4. What the time budget bounds: an overview beside a ``__repr__`` that sleeps 60 s (goal: about
   ``OBJECT_SECONDS``), and ``redact`` of 100 KB of output with a known secret (pieces included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt.execution.deadline import Deadline
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.execution.summaries import OBJECT_SECONDS
from jupyter_autogpt.models.base import complete
from jupyter_autogpt.models.openai import OpenAIModel
from jupyter_autogpt.redaction import redact
from jupyter_autogpt.types import Message
from support.openai_server import FakeOpenAIServer, Fault

STEPS = {
    "busy loop": "while True:\n    pass",
    "sleep": "import time\ntime.sleep(60)",
    "swallowed interrupt": (
        "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except KeyboardInterrupt:\n        pass"
    ),
}


def bench_deadline(timeout: float, repeat: int) -> None:
    executor = IPythonExecutor(InteractiveShell.instance())
    grace = Deadline(timeout).grace
    print(f"\n## steps stopped by the deadline (--timeout {timeout:g}s, grace {grace:g}s), median of {repeat}")
    print(f"{'step':24}{'seconds':>10}{'past timeout':>14}{'goal':>10}")
    for name, code in STEPS.items():
        durations = []
        for _ in range(repeat):
            obs = executor.run(code, timeout=timeout)
            assert obs.error_name == "StepTimeout", obs
            durations.append(obs.duration)
        took = statistics.median(durations)
        goal = 0.2 + (grace if "swallowed" in name else 0.0)
        print(f"{name:24}{took:>10.3f}{took - timeout:>14.3f}{f'<= {goal:g}':>10}")


def bench_retry_after(repeat: int) -> None:
    gaps = []
    with FakeOpenAIServer() as server:
        model = OpenAIModel("bench", base_url=server.base_url, api_key="bench-key")
        for _ in range(repeat):
            server.queue(Fault(429, retry_after=1), "through")
            before = len(server.requests)
            text, _ = complete(model, [Message("user", "hi")])
            assert text == "through", text
            at = [r.at for r in server.requests[before:]]
            gaps.append(at[1] - at[0])
    print(f"\n## a 429 with Retry-After: 1, retried by the client, median of {repeat}")
    print(f"gap between the requests: {statistics.median(gaps):.3f} s (goal: >= 1 and < 2)")


def _median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_guard(repeat: int) -> None:
    shell = InteractiveShell.instance()
    executor = IPythonExecutor(shell)
    n = max(20, repeat * 10)
    bare = _median_seconds(lambda: shell.run_cell("x = 1", store_history=False), n)
    guarded = _median_seconds(lambda: executor.run("x = 1"), n)
    print(f"\n## the run-time guard, median of {n}")
    print(f"trivial step: bare nested run_cell {bare * 1e3:.2f} ms, through the executor {guarded * 1e3:.2f} ms "
          f"(ratio {guarded / bare:.1f}x; the difference is the guard, capture and observation)")
    spawn = "import subprocess\nsubprocess.run(['true'])"
    outside = _median_seconds(lambda: subprocess.run(["true"]), n)
    inside = _median_seconds(lambda: executor.run(spawn), n) - guarded
    print(f"child process: outside a step {outside * 1e3:.2f} ms, inside (filtered) {inside * 1e3:.2f} ms "
          f"(ratio {inside / outside:.1f}x)")


class _Sleeper:
    def __repr__(self) -> str:
        time.sleep(60)
        return "late"


def bench_budget(repeat: int) -> None:
    executor = IPythonExecutor(InteractiveShell.instance())
    executor.shell.user_ns["slow"] = _Sleeper()
    try:
        took = _median_seconds(lambda: executor.overview(4000), repeat)
    finally:
        del executor.shell.user_ns["slow"]
    print(f"\n## the time budget, median of {repeat}")
    print(f"overview beside a repr that sleeps 60 s: {took:.2f} s (goal: about {OBJECT_SECONDS:g} s)")
    os.environ["BENCH_API_KEY"] = secret = "sk-bench-" + "Zq4" * 10
    text = ("log line " * 11_000)[:99_000] + secret[:20] + "…"
    plain = _median_seconds(lambda: text.replace("x", "y"), repeat * 10)
    took = _median_seconds(lambda: redact(text), repeat * 10)
    print(f"redact 100 KB with one known secret: {took * 1e3:.1f} ms (a str.replace over it: {plain * 1e3:.2f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_deadline(args.timeout, args.repeat)
    bench_retry_after(args.repeat)
    bench_guard(args.repeat)
    bench_budget(args.repeat)


if __name__ == "__main__":
    main()
