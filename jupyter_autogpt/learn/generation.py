"""Distil a teacher into training data about the user's own dataframes: propose, run, verify, export.

A run is kept ("verified") when it finished and its answer agrees (``learn.verify``) with the reference that
the teacher's own check code computes on a fresh copy of the data. The teacher never grades the agent's
prose: a number the agent reports must match what the check computes, so a plausible but wrong run is
dropped. Everything lands in ``output``: the frames' pickle, each task's transcript under ``runs/``,
``tasks.jsonl`` (each task, its check, the outcome and why), and the verified runs as fine-tuning data.
"""

from __future__ import annotations

import json
import pickle
import shlex
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import AutoGPTError, ConfigError
from ..models.base import Model
from .runner import Outcome, TaskKernel
from .tasks import Task, check_refusal, propose

__all__ = ["GenerationReport", "generate"]


@dataclass(frozen=True)
class GenerationReport:
    """What a generation produced: each task's outcome, the refused checks, and the exported dataset."""

    output: str
    outcomes: tuple[Outcome, ...]
    refused: tuple[tuple[str, str], ...] = ()
    dataset: Any = None

    @property
    def verified(self) -> list[Outcome]:
        """Return the outcomes whose runs were verified."""
        return [o for o in self.outcomes if o.verified]

    def __str__(self) -> str:
        lines = [f"{len(self.verified)} of {len(self.outcomes)} runs verified"
                 + (f"; {len(self.refused)} check(s) refused" if self.refused else "")]
        lines += [f"  {'✔' if o.verified else '✘'} {o.question[:70]} -> {o.answer[:40]!r} ({o.reason})"
                  for o in self.outcomes]
        lines += [f"  ⊘ {question[:70]} ({why})" for question, why in self.refused]
        if self.dataset is not None:
            lines.append(str(self.dataset))
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def _teacher(teacher: str | Model) -> Model:
    if isinstance(teacher, str):
        from ..models import resolve

        return resolve(teacher)
    return teacher


def _work(frames_file: Path, tasks: list[tuple[int, Task]], options: str, runs: Path,
          env: dict[str, str] | None) -> list[tuple[int, Outcome]]:
    done = []
    with TaskKernel(frames_file, env) as kernel:
        for number, task in tasks:
            try:
                outcome = kernel.run(task.goal(), options, task.check, runs / f"task-{number:03d}.json")
            except AutoGPTError as exc:
                outcome = Outcome(task.question, "failed", "", False, str(exc))
            done.append((number, outcome))
    return done


def _run_all(frames_file: Path, tasks: list[Task], options: str, runs: Path, jobs: int,
             env: dict[str, str] | None) -> list[Outcome]:
    numbered = list(enumerate(tasks, start=1))
    shares = [numbered[i::jobs] for i in range(min(jobs, len(numbered)))]
    with ThreadPoolExecutor(max_workers=max(1, len(shares))) as pool:
        results = [r for part in pool.map(lambda s: _work(frames_file, s, options, runs, env), shares) for r in part]
    return [outcome for _, outcome in sorted(results, key=lambda r: r[0])]


def generate(frames: Mapping[str, Any], teacher: str | Model, *, model: str | None = None, n: int = 10,
             output: str | Path = "learn", max_steps: int = 8, base_url: str | None = None, jobs: int = 1,
             tasks: Sequence[Task] | None = None, env: dict[str, str] | None = None) -> GenerationReport:
    """Propose ``n`` questions about ``frames``, run them through the agent, export the verified runs.

    Parameters
    ----------
    frames
        The data, name -> DataFrame (e.g. ``{"sales": sales}``); the agent sees them under these names.
    teacher
        The model that proposes the questions and their checks: a model id or a backend.
    model
        The agent's model id (default: the teacher's id). It runs in separate kernels, so it must be an id.
    n, max_steps, base_url, jobs
        How many questions; the agent's step budget and server; how many kernels run tasks at once.
    output
        The folder for the runs, ``tasks.jsonl`` and the dataset (``runs.jsonl`` and its companions).
    tasks
        Tasks to run instead of asking the teacher (e.g. from an earlier ``propose``).
    env
        Extra environment variables for the task kernels.

    Raises
    ------
    ConfigError
        When no frame is given, the agent's model is not an id, or the teacher proposed nothing usable.
    """
    if not frames:
        raise ConfigError("no dataframes given: pass them by name, e.g. generate({'sales': sales}, teacher=...)")
    agent = model or (teacher if isinstance(teacher, str) else None)
    if agent is None:
        raise ConfigError("pass model='provider:name' for the agent: its runs happen in separate kernels")
    proposed = list(tasks) if tasks is not None else propose(frames, _teacher(teacher), n)
    refusals = [(t, check_refusal(t.check, frozenset(frames))) for t in proposed]
    runnable = [t for t, why in refusals if why is None]
    if not runnable:
        raise ConfigError("the teacher proposed no usable question (none had a check that only computes)")
    out = Path(output).expanduser()
    (out / "runs").mkdir(parents=True, exist_ok=True)
    frames_file = out / "frames.pkl"
    frames_file.write_bytes(pickle.dumps(dict(frames)))
    options = " ".join(shlex.quote(w) for w in ["--model", agent, "--max-steps", str(max_steps),
                                                 *(["--base-url", base_url] if base_url else [])])
    outcomes = _run_all(frames_file, runnable, options, out / "runs", max(1, jobs), env)
    return _record(out, runnable, outcomes, [(t.question, why) for t, why in refusals if why is not None])


def _record(out: Path, tasks: list[Task], outcomes: list[Outcome], refused: list[tuple[str, str]]) -> GenerationReport:
    """Write ``tasks.jsonl`` and the verified runs' dataset; return the report."""
    from .. import dataset

    rows = [{**asdict(task), **asdict(outcome)} for task, outcome in zip(tasks, outcomes, strict=True)]
    rows += [{"question": q, "refused": why} for q, why in refused]
    (out / "tasks.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    verified = [o.transcript for o in outcomes if o.verified and o.transcript]
    exported = dataset.export(out / "runs.jsonl", verified) if verified else None
    return GenerationReport(str(out), tuple(outcomes), tuple(refused), exported)
