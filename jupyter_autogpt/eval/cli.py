"""``python -m jupyter_autogpt.eval PATH --model ID``: measure how often the agent's answers are right."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .progress import Progress, can_write
from .report import build, table, write
from .runner import REPLAY, Interrupted, RunRefused, Settings, TaskResult, model_for, run_all
from .scoring import DEFAULT_TOLERANCE
from .tasks import DatasetError, Task, load_tasks, select

__all__ = ["main", "parser"]

DESCRIPTION = """\
Run each task of a folder laid out as InfiAgent-DABench's dev set (da-dev-questions.jsonl,
da-dev-labels.jsonl, da-dev-tables/) through %%autogpt in a fresh kernel, score the @name[value]
answers, print a table and write a JSON report. Tasks run in parallel kernels with --jobs.
"""

EPILOG = """\
examples:
  python -m jupyter_autogpt.eval benchmarks/smoke --model replay:benchmarks/smoke/replies
  OPENAI_API_KEY=... python -m jupyter_autogpt.eval ~/InfiAgent/examples/DA-Agent/data \\
      --model openai:gpt-4o-mini --jobs 4 --report dabench.json
  python -m jupyter_autogpt.eval DIR --model openai:qwen2.5-coder:7b --base-url http://localhost:11434/v1

exit status: 0 when the evaluation ran (whatever the accuracy), 1 below --fail-under,
2 for a bad folder or options, 130 when stopped with Ctrl-C (the report then covers the finished tasks).
"""


def parser() -> argparse.ArgumentParser:
    """Return the command line's parser (its help is the manual)."""
    p = argparse.ArgumentParser(
        prog="python -m jupyter_autogpt.eval", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", type=Path, help="the task folder (DABench dev layout)")
    p.add_argument("-m", "--model", metavar="ID", default=os.environ.get("AUTOGPT_MODEL"),
                   help="a %%%%autogpt model id (default $AUTOGPT_MODEL); replay:DIR replays DIR/<id>.json per task")
    p.add_argument("-j", "--jobs", metavar="N", type=_positive, default=1, help="kernels running at once (default 1)")
    p.add_argument("--report", type=Path, metavar="OUT.json", help="write the JSON report here")
    p.add_argument("--max-steps", metavar="N", type=_positive, default=10, help="model replies per task (default 10)")
    p.add_argument("--timeout", metavar="S", type=_seconds, default=600.0, help="seconds per task's run (default 600)")
    p.add_argument("--base-url", metavar="URL", help="an OpenAI-compatible server (else $OPENAI_BASE_URL)")
    p.add_argument("--temperature", metavar="T", type=float, help="sampling temperature (default: the backend's)")
    p.add_argument("--tasks", metavar="IDS", help="only these task ids: 3,7,10-20")
    p.add_argument("--limit", metavar="N", type=_positive, help="only the first N (selected) tasks")
    p.add_argument("--tolerance", metavar="X", type=float, default=DEFAULT_TOLERANCE,
                   help=f"numeric tolerance of a sub-answer (default {DEFAULT_TOLERANCE:g}, as DABench)")
    p.add_argument("--transcripts", type=Path, metavar="DIR",
                   help="save each task's run as DIR/<id>.json (replayable with --model replay:DIR)")
    p.add_argument("--device", metavar="DEV",
                   help="where a transformers: model runs: cuda, cuda:1, mps or cpu (one model per kernel)")
    p.add_argument("--kernel", metavar="NAME", default="python3", help="the kernel to run tasks in (default python3)")
    p.add_argument("--fail-under", type=float, metavar="ACC", help="exit 1 when accuracy (0..1) is lower")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit status."""
    args = parser().parse_args(argv)
    try:
        tasks = select(load_tasks(args.path), _ids(args.tasks), args.limit)
        settings = _settings(args, tasks)
    except (DatasetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    progress = Progress(len(tasks))
    started = time.monotonic()
    interrupted = False
    try:
        results = run_all(tasks, settings, args.jobs, progress.update)
    except RunRefused as exc:
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as stop:
        results, interrupted = stop.results, True
    progress.close()
    return _finish(args, settings, results, time.monotonic() - started, len(tasks), interrupted)


def _finish(
    args: argparse.Namespace, settings: Settings, results: list[TaskResult], wall: float, total: int,
    interrupted: bool,
) -> int:
    report = build(results, settings, str(args.path), wall, total)
    marks = ("✓", "✗") if can_write(sys.stdout, "✓✗") else ("yes", "no")
    print(table(report, marks))
    if args.report:
        print(f"report: {write(report, args.report)}", file=sys.stderr)
    if interrupted:
        print("stopped by Ctrl-C: the report covers the finished tasks only", file=sys.stderr)
        return 130
    if args.fail_under is not None and report["accuracy"] < args.fail_under:
        print(f"accuracy {report['accuracy']:.1%} is under --fail-under {args.fail_under:.1%}", file=sys.stderr)
        return 1
    return 0


def _settings(args: argparse.Namespace, tasks: list[Task]) -> Settings:
    """Return the run settings, or raise ``ValueError`` with what to fix before any kernel starts."""
    if not args.model:
        raise ValueError("no model: pass --model ID (e.g. openai:gpt-4o-mini) or set AUTOGPT_MODEL")
    if ":" not in args.model:
        raise ValueError(f"--model {args.model!r} needs a provider: openai:NAME, transformers:PATH or replay:DIR")
    if args.model.startswith("openai:") and not (
        os.environ.get("OPENAI_API_KEY") or args.base_url or os.environ.get("OPENAI_BASE_URL")
    ):
        raise ValueError(
            "no OpenAI API key: export OPENAI_API_KEY=..., or pass --base-url http://HOST:PORT/v1 for an "
            "OpenAI-compatible server that needs none"
        )
    if args.model.startswith(REPLAY):
        _check_recordings(args.model, tasks)
    _check_kernel(args.kernel)
    if args.transcripts:
        args.transcripts.mkdir(parents=True, exist_ok=True)
    return Settings(
        model=args.model, base_url=args.base_url, max_steps=args.max_steps, timeout=args.timeout,
        temperature=args.temperature, tolerance=args.tolerance,
        transcripts=args.transcripts.resolve() if args.transcripts else None, kernel=args.kernel, device=args.device,
    )


def _check_recordings(model: str, tasks: list[Task]) -> None:
    where = Path(model[len(REPLAY) :]).expanduser()
    if not where.exists():
        raise ValueError(f"no recordings at {where}: replay:DIR needs a folder of <task id>.json files (or one file)")
    if where.is_dir() and all(model_for(t, model) is None for t in tasks):
        raise ValueError(f"{where} holds no recording for these tasks: expected files named <task id>.json")


def _check_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise ValueError(f"no kernel named {name!r}: see `jupyter kernelspec list`") from None


def _ids(text: str | None) -> list[str]:
    """Return the ids of ``--tasks``: ``3,7,10-12`` -> 3, 7, 10, 11, 12 (a range needs whole numbers)."""
    ids: list[str] = []
    for part in (text or "").split(","):
        part = part.strip()
        low, dash, high = part.partition("-")
        if dash and low.strip().isdigit() and high.strip().isdigit():
            ids += [str(i) for i in range(int(low), int(high) + 1)]
        elif part:
            ids.append(part)
    return ids


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value
