"""Benchmark how long faults take to end: the step deadline against ``--timeout``, and a server's ``Retry-After``.

Run: ``python benchmarks/bench_faults.py [--timeout 0.5] [--repeat 3]`` (about 15 s on 2 cores).

1. A step that loops, sleeps, or swallows the timeout's KeyboardInterrupt, run by ``IPythonExecutor`` on a
   real ``InteractiveShell`` with ``--timeout``: seconds from start to the timeout observation, and past the
   timeout. Goal: a loop or a sleep stops within 0.2 s past it; a swallowed interrupt within the grace
   period (``Deadline.grace``: 1 s at a 0.5 s timeout) plus 0.2 s. The tests check the wording; the time
   lives here.
2. A 429 answer with ``Retry-After: 1`` from the loopback chat-completions server (tests/support), retried by
   the real ``openai`` client inside ``OpenAIModel``: the gap between the two requests. Goal: at least 1 s
   (the header is honoured) and under 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt.execution.deadline import Deadline
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.models.base import complete
from jupyter_autogpt.models.openai import OpenAIModel
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_deadline(args.timeout, args.repeat)
    bench_retry_after(args.repeat)


if __name__ == "__main__":
    main()
