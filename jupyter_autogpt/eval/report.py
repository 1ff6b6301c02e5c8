"""Summarise an evaluation: the JSON report and the table printed on the terminal.

The report's top level carries ``accuracy`` (questions whose every sub-answer is right, DABench's headline
"accuracy by question") and a ``tasks`` list with each task's ``id``, ``correct`` and the per-task fields
(steps, tokens, cost, time, failure reason, the sub-answers).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import __version__
from ..redaction import redact_data
from .runner import Settings, TaskResult

__all__ = ["FORMAT", "build", "table", "write"]

FORMAT = "jupyter-autogpt.eval"
_FAILURE_COLUMN = 60


def build(results: Sequence[TaskResult], settings: Settings, dataset: str, wall: float, total: int) -> dict[str, Any]:
    """Return the JSON report of ``results`` (``total``: how many tasks were selected; fewer ran if stopped).

    Secrets (API keys, credentials in a ``--base-url``) are redacted from every string of it.
    """
    subs = [s for r in results for s in r.score.subs]
    costs = [r.cost for r in results]
    report = {
        "format": FORMAT,
        "version": 1,
        "generator": {"name": "jupyter-autogpt", "version": __version__},
        "dataset": dataset,
        "model": settings.model,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()},
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "complete": len(results) == total,
        "total": len(results),
        "correct": sum(r.correct for r in results),
        "accuracy": _ratio(sum(r.correct for r in results), len(results)),
        "accuracy_by_sub_question": _ratio(sum(s.correct for s in subs), len(subs)),
        "accuracy_proportional": _ratio(sum(_share(r) for r in results), len(results)),
        "by_level": _groups(results, lambda r: [r.task.level or "unknown"]),
        "by_concept": _groups(results, lambda r: list(r.task.concepts) or ["unknown"]),
        "tokens": {
            "prompt": sum(r.prompt_tokens for r in results),
            "completion": sum(r.completion_tokens for r in results),
            "estimated": any(r.tokens_estimated for r in results),
        },
        "cost": None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 6),
        "seconds": round(wall, 3),
        "tasks": [_task(r) for r in results],
    }
    redacted: dict[str, Any] = redact_data(report)
    return redacted


def _task(r: TaskResult) -> dict[str, Any]:
    return {
        "id": r.task.id,
        "correct": r.correct,
        "level": r.task.level,
        "concepts": list(r.task.concepts),
        "status": r.status,
        "steps": r.steps,
        "tokens": r.tokens,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "tokens_estimated": r.tokens_estimated,
        "cost": r.cost,
        "seconds": r.seconds,
        "wall_seconds": r.wall_seconds,
        "failure": r.failure,
        "answer": r.answer,
        "sub_answers": [asdict(s) for s in r.score.subs],
    }


def _ratio(part: float, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _share(r: TaskResult) -> float:
    """Return the share of ``r``'s sub-answers that are right (DABench's "proportional" credit)."""
    return sum(s.correct for s in r.score.subs) / len(r.score.subs) if r.score.subs else 0.0


def _groups(results: Sequence[TaskResult], keys: Callable[[TaskResult], list[str]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[bool]] = {}
    for r in results:
        for key in keys(r):
            groups.setdefault(key, []).append(r.correct)
    return {k: {"total": len(v), "correct": sum(v), "accuracy": _ratio(sum(v), len(v))} for k, v in sorted(groups.items())}


def table(report: dict[str, Any], marks: tuple[str, str] = ("✓", "✗")) -> str:
    """Return the terminal summary: one row per task, then the totals and the accuracy."""
    head = ("id", "level", "ok", "steps", "tokens", "cost", "time", "failure")
    rows = [
        (str(t["id"]), t["level"], marks[0] if t["correct"] else marks[1], str(t["steps"]),
         ("~" if t["tokens_estimated"] else "") + f"{t['tokens']:,}", _money(t["cost"]), f"{t['wall_seconds']:.1f}s",
         _cut(t["failure"] or ""))
        for t in report["tasks"]
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, "", _totals(report)])


def _totals(report: dict[str, Any]) -> str:
    tokens = report["tokens"]
    approx = "~" if tokens["estimated"] else ""
    subs = report["accuracy_by_sub_question"]
    stopped = "" if report["complete"] else " (stopped early: partial)"
    return (
        f"accuracy {report['correct']}/{report['total']} = {report['accuracy']:.1%}{stopped} · "
        f"sub-answers {subs:.1%} · {approx}{tokens['prompt'] + tokens['completion']:,} tokens · "
        f"cost {_money(report['cost'])} · {report['seconds']:.1f}s · {report['model']}"
    )


def _money(cost: float | None) -> str:
    if cost is None:
        return "?"
    return "$0" if cost == 0 else f"${cost:.4f}"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _FAILURE_COLUMN else text[: _FAILURE_COLUMN - 1] + "…"


def write(report: dict[str, Any], path: str | Path) -> Path:
    """Write ``report`` as JSON to ``path`` (its folder is made if needed) and return the path."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target
