"""Benchmark what a conversation costs: prompt characters per request over a chain of ``-c`` follow-ups.

Run with ``python benchmarks/bench_conversation.py [--runs 5] [--steps 3]`` (a few seconds on 2 cores).

A real ``InteractiveShell`` holds a sales frame; ``--runs`` runs are chained as ``%%autogpt -c`` would chain them
(``RunConfig(continue_from="latest")``), each with ``--steps`` scripted steps (look at the data, compute a table
that prints ~1.5k characters, answer in a sentence). Between runs the user runs two cells of their own, one of
them failing once. Standing instructions come from ``%config`` and an ``AGENTS.md`` in the working directory.

For every request it prints the prompt's characters and how they split: the system prompt itself, standing
instructions, the earlier runs of the thread, the user's recent cells and last error, the goal with the
namespace overview, and the current run's steps; then each part's share over the chain and the request budget.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt import context, prompts
from jupyter_autogpt.limits import history_chars
from jupyter_autogpt.session import Session
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import Run, RunConfig

PARTS = ("system", "instructions", "earlier runs", "your cells", "goal+namespace", "steps")
AGENTS_MD = (
    "# Conventions\n- Money is in euros, rounded to cents.\n- Regions are north, south, east, west.\n"
    "- Never overwrite `sales`; work on copies.\n"
)
USER_CELLS = [
    "by_month = sales.groupby('month').revenue.sum()\nprint(by_month.tail())",
    "sales.groupby('regoin').units.sum()",  # a typo: KeyError
]


def replies(n: int, steps: int) -> list[str]:
    """Return the scripted replies of run ``n``: ``steps - 1`` steps of code, then an answer."""
    work = [
        "Plan:\n1. Look at the data\n2. Compute the table\n3. Answer\n```python\nsales.head()\n```",
        f"```python\ntable_{n} = sales.pivot_table(index='month', columns='region', values='revenue', "
        f"aggfunc='sum')\nprint(table_{n}.round(1))\n```",
        f"```python\nprint(table_{n}.sum().sort_values())\n```",
    ]
    code = (work * steps)[: steps - 1]
    return [*code, f"```python\nfinal_answer('Run {n}: the east region leads, ahead of the south by 12%.')\n```"]


def sales_frame() -> pd.DataFrame:
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    rows = [(m, r, 10 + i * 3 + j, 100.0 + 7 * i + 13 * j) for i, m in enumerate(months)
            for j, r in enumerate(("north", "south", "east", "west"))]
    frame = pd.DataFrame(rows, columns=["month", "region", "units", "price"])
    return frame.assign(revenue=frame.units * frame.price)


def split(run: Run, messages: Sequence[object]) -> dict[str, int]:
    """Return the characters of each part of one request of ``run``."""
    system, first, *history = messages
    earlier = len(context.thread_text(run.context.thread))
    cells = len(context.notebook_text(run.context.notebook))
    separators = 2 * sum(1 for n in (earlier, cells) if n)
    return {
        "system": len(prompts.SYSTEM_PROMPT),
        "instructions": len(system.content) - len(prompts.SYSTEM_PROMPT),  # type: ignore[attr-defined]
        "earlier runs": earlier,
        "your cells": cells,
        "goal+namespace": len(first.content) - earlier - cells - separators,  # type: ignore[attr-defined]
        "steps": sum(len(m.content) for m in history),  # type: ignore[attr-defined]
    }


def chain(runs: int, steps: int, context_chars: int) -> list[tuple[int, int, dict[str, int]]]:
    """Run the chain and return ``(run, request, parts)`` for every request."""
    shell = InteractiveShell.instance()
    shell.user_ns["sales"] = sales_frame()
    session = Session(shell, view="none")
    rows = []
    for n in range(1, runs + 1):
        for source in USER_CELLS[: 1 if n != 3 else 2]:  # the user's own cells; in run 3 one of them fails
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                shell.run_cell(source, store_history=True)  # IPython still records what they printed
        model = ScriptedModel(replies(n, steps))
        config = RunConfig(model="scripted", context_chars=context_chars, continue_from="latest" if n > 1 else None,
                           instructions="Answer in one sentence.")
        run = session.run(f"Question {n}: which region leads the revenue in 2024, and by how much?", config,
                          model=model)
        model.assert_all_used()
        rows += [(n, i + 1, split(run, call)) for i, call in enumerate(model.calls)]
    return rows


def report(rows: list[tuple[int, int, dict[str, int]]], budget: int) -> None:
    header = f"{'run':>3} {'req':>3} {'total':>7}  " + "  ".join(f"{p:>14}" for p in PARTS)
    print(header)
    for run, request, parts in rows:
        total = sum(parts.values())
        print(f"{run:>3} {request:>3} {total:>7,}  " + "  ".join(f"{parts[p]:>14,}" for p in PARTS))
    grand = sum(sum(p.values()) for _, _, p in rows)
    shares = {p: sum(parts[p] for _, _, parts in rows) / grand for p in PARTS}
    print("\nshare of all prompt characters: " + ", ".join(f"{p} {s:.0%}" for p, s in shares.items()))
    firsts = [sum(parts.values()) for _, request, parts in rows if request == 1]
    print(f"first request of each run: {', '.join(f'{t:,}' for t in firsts)} characters")
    largest = max(sum(p.values()) for _, _, p in rows)
    print(f"largest request: {largest:,} characters; request budget (--context-chars): {budget:,}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--context-chars", type=int, default=12_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / ".git").mkdir()  # a repository root: the AGENTS.md search stops here
        (Path(folder) / "AGENTS.md").write_text(AGENTS_MD)
        before = os.getcwd()
        os.chdir(folder)
        try:
            rows = chain(args.runs, args.steps, args.context_chars)
        finally:
            os.chdir(before)
    report(rows, history_chars(args.context_chars))


if __name__ == "__main__":
    main()
