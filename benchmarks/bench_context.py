"""Benchmark what the agent's context costs: summarising a big frame, and prompt size over a 10-step run.

Run with ``python benchmarks/bench_context.py`` (about a minute on 2 cores; needs pandas and numpy).

1. ``summarize`` on a 5M-row mixed-dtype frame (ints, floats with NaN, a category, strings, datetimes),
   timed against pandas' ``df.describe(include="all")`` on the same frame in the same process.
   Goal: at most 0.05× of describe.
2. Prompt characters per request over a scripted 10-step run on a real ``InteractiveShell``: each step
   prints a sizeable table and leaves a new frame behind. Goal: flat once older steps get compacted.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.execution.summaries import summarize
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import RunConfig

DESCRIBE = 'df.describe(include="all")'


def mixed_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """Return a frame of ``rows`` rows: ints, floats with NaN, a category, strings and datetimes."""
    rng = np.random.default_rng(seed)
    price = rng.gamma(2.0, 20.0, rows)
    price[rng.random(rows) < 0.05] = np.nan
    words = np.array([f"customer-{i:04d}" for i in range(5_000)], dtype=object)
    return pd.DataFrame(
        {
            "order_id": np.arange(rows, dtype=np.int64),
            "quantity": rng.integers(1, 20, rows),
            "price": price,
            "region": pd.Categorical.from_codes(rng.integers(0, 5, rows), ["north", "south", "east", "west", "online"]),
            "customer": words[rng.integers(0, len(words), rows)],
            "ordered_at": np.datetime64("2024-01-01", "s") + rng.integers(0, 365 * 86_400, rows).astype("timedelta64[s]"),
        }
    )


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Return the median wall time of ``repeat`` calls of ``fn``, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_summarize(df: pd.DataFrame) -> None:
    ours = timed(lambda: summarize(df), repeat=7)
    theirs = timed(lambda: df.describe(include="all"), repeat=2)
    text = summarize(df)
    print(f"\n## summarize vs describe(include='all') on {len(df):,} rows × {df.shape[1]} columns")
    print(f"{'':32}{'seconds':>10}")
    print(f"{'summarize(df)':32}{ours:>10.4f}")
    print(f"{DESCRIBE:32}{theirs:>10.4f}")
    print(f"{'ratio (goal <= 0.05)':32}{ours / theirs:>10.4f}")
    print(f"summary: {len(text):,} chars (bound 2,000)")


def step_reply(i: int) -> str:
    """Return a reply whose code prints a sizeable table and binds a new frame."""
    return (
        f"Step {i}: look at another slice of the orders.\n"
        "```python\n"
        f"part_{i} = sales.sample(150, random_state={i})\n"
        f"print(part_{i}.to_string())\n"
        f"part_{i}.groupby('region', observed=True)['price'].describe()\n"
        "```"
    )


def bench_prompt(df: pd.DataFrame, context_chars: int, steps: int) -> list[int]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.user_ns["sales"] = df
    replies = [step_reply(i) for i in range(1, steps)]
    replies.append("Done.\n```python\nfinal_answer(len(sales))\n```")
    model = ScriptedModel(replies)
    config = RunConfig(model="scripted", max_steps=steps, context_chars=context_chars)
    started = time.perf_counter()
    run = run_to_completion(Agent(model, IPythonExecutor(shell), config), "Explore the orders.")
    elapsed = time.perf_counter() - started
    for name in [n for n in shell.user_ns if n.startswith("part_")] + ["sales"]:
        del shell.user_ns[name]
    assert run.status == "finished", run.error
    sizes = [sum(len(m.content) for m in call) for call in model.calls]
    shortened = [sum(m.content.count("[older output shortened]") for m in call) for call in model.calls]
    omitted = [any("omitted to fit" in m.content for m in call) for call in model.calls]
    print(f"\n## prompt chars per request, context_chars={context_chars:,} (run took {elapsed:.1f}s)")
    print(f"{'request':>8}{'messages':>10}{'chars':>10}{'compacted':>11}{'omitted':>9}")
    for i, call in enumerate(model.calls):
        print(f"{i + 1:>8}{len(call):>10}{sizes[i]:>10,}{shortened[i]:>11}{'yes' if omitted[i] else '':>9}")
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the mixed-dtype frame")
    parser.add_argument("--steps", type=int, default=10, help="model requests in the scripted run")
    args = parser.parse_args()
    started = time.perf_counter()
    df = mixed_frame(args.rows)
    print(f"built a {len(df):,}-row frame in {time.perf_counter() - started:.1f}s ({df.dtypes.to_dict()})")
    bench_summarize(df)
    sizes = bench_prompt(df, RunConfig().context_chars, args.steps)
    growth = [b - a for a, b in itertools.pairwise(sizes)]
    print(f"growth per request: {', '.join(f'{g:+,}' for g in growth)} chars")


if __name__ == "__main__":
    main()
