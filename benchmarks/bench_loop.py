"""Framework overhead of the agent loop per step, against the bare work it wraps, in one process.

A 10-step scripted task is served by the loopback chat-completions server (tests/support) to the real
``openai`` client. The baseline does the same work with nothing around it: one streamed request per step
with the real client and ``shell.run_cell`` of the same code. The ratio (loop / bare) and the overhead per
step in milliseconds are printed, plus the prompt characters and tokens the loop sent.

Run: ``python benchmarks/bench_loop.py [--steps 10] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.models.openai import OpenAIModel
from jupyter_autogpt.types import RunConfig
from support.openai_server import FakeOpenAIServer


def step_code(i: int) -> str:
    return f"values_{i} = [x * x for x in range(2000)]\nprint(sum(values_{i}), {i})"


def replies(steps: int) -> list[str]:
    body = [f"Step {i}: compute another partial sum.\n```python\n{step_code(i)}\n```" for i in range(steps - 1)]
    return [*body, "Done.\n```python\nfinal_answer('ok')\n```"]


def run_loop(shell: InteractiveShell, server: FakeOpenAIServer, steps: int) -> tuple[float, int, int]:
    server.queue(*replies(steps))
    before = len(server.requests)
    model = OpenAIModel("bench", base_url=server.base_url, api_key="bench-key")
    agent = Agent(model, IPythonExecutor(shell), RunConfig(model=model.id, max_steps=steps))
    started = time.perf_counter()
    run = run_to_completion(agent, "Compute ten partial sums.")
    elapsed = time.perf_counter() - started
    assert run.status == "finished", run.summary()
    chars = sum(len(m["content"]) for r in server.requests[before:] for m in r.body["messages"])
    return elapsed, chars, run.usage.prompt_tokens


def run_bare(shell: InteractiveShell, server: FakeOpenAIServer, steps: int) -> float:
    """Do the same requests and executions with nothing around them."""
    import openai

    server.queue(*replies(steps))
    client = openai.OpenAI(api_key="bench-key", base_url=server.base_url)
    messages = [{"role": "user", "content": "Compute ten partial sums."}]
    started = time.perf_counter()
    for i in range(steps):
        stream = client.chat.completions.create(model="bench", messages=messages, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        code = text.split("```python\n", 1)[1].split("\n```", 1)[0]
        with capture_output():
            shell.run_cell(code if i < steps - 1 else "None", store_history=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shell = InteractiveShell.instance()
    with FakeOpenAIServer() as server:
        run_loop(shell, server, args.steps)  # warm up imports and connections
        run_bare(shell, server, args.steps)
        loops, bares = [], []
        for _ in range(args.repeat):
            loop, chars, tokens = run_loop(shell, server, args.steps)
            loops.append(loop)
            bares.append(run_bare(shell, server, args.steps))
    loop, bare = statistics.median(loops), statistics.median(bares)
    print(f"steps per run                 {args.steps}")
    print(f"loop (median of {args.repeat})            {loop * 1000:8.1f} ms")
    print(f"bare client + run_cell        {bare * 1000:8.1f} ms")
    print(f"ratio loop / bare             {loop / bare:8.2f}x")
    print(f"overhead per step             {(loop - bare) / args.steps * 1000:8.2f} ms")
    print(f"prompt chars sent (all steps) {chars:8,d}")
    print(f"prompt tokens (server count)  {tokens:8,d}")


if __name__ == "__main__":
    main()
