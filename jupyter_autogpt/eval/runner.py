"""Run tasks through the real ``%%autogpt`` path, each in a fresh kernel, several at once with ``jobs``."""

from __future__ import annotations

import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..redaction import redact
from .goal import goal_of
from .kernel import CellOutcome, Kernels, run_cell
from .scoring import DEFAULT_TOLERANCE, Score, score
from .tasks import Task

__all__ = ["Interrupted", "RunRefused", "Settings", "TaskResult", "cell_for", "model_for", "run_all", "run_task"]

REPLAY = "replay:"
#: Providers whose model name may be a local path (a hub id such as ``Qwen/Qwen2.5-0.5B`` is left as it is).
LOCAL_PATHS = frozenset({"replay", "transformers"})


class RunRefused(Exception):
    """``%%autogpt`` refused to start a run (a bad option, a missing key): every task would fail the same way."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the evaluation; ``results`` holds the tasks that had finished, in the tasks' order."""

    def __init__(self, results: list[TaskResult]) -> None:
        super().__init__()
        self.results = results


@dataclass(frozen=True)
class Settings:
    """How every task of one evaluation runs.

    ``model`` is any ``%%autogpt --model`` id; ``replay:DIR`` (a folder) replays ``DIR/<task id>.json`` for
    each task. ``timeout`` bounds each task's run (``--max-time``) and, with a grace period, its kernel.
    """

    model: str
    base_url: str | None = None
    max_steps: int = 10
    timeout: float = 600.0
    temperature: float | None = None
    tolerance: float = DEFAULT_TOLERANCE
    transcripts: Path | None = None
    kernel: str = "python3"
    device: str | None = None


@dataclass(frozen=True)
class TaskResult:
    """How one task went: the verdict, what the run cost, and why it failed (``failure``; ``None`` if right)."""

    task: Task
    score: Score
    status: str | None = None
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_estimated: bool = False
    cost: float | None = 0.0
    seconds: float = 0.0
    wall_seconds: float = 0.0
    answer: str = ""
    failure: str | None = None
    refused: bool = False

    @property
    def correct(self) -> bool:
        return self.failure is None and self.score.correct

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


#: Seconds a task's kernel gets beyond its run's own time budget (start, imports, a slow model call).
GRACE_SECONDS = 60.0


def model_for(task: Task, model: str) -> str | None:
    """Return the model id for ``task`` as its kernel needs it, or ``None`` when its recording is absent.

    ``replay:DIR`` becomes ``replay:DIR/<id>.json``. A local path (``replay:run.json``,
    ``transformers:./model``) is made absolute, since each kernel starts in its own scratch folder.
    """
    provider, _, name = model.partition(":")
    where = Path(name).expanduser()
    if provider + ":" == REPLAY and where.is_dir():
        recording = (where / f"{_safe(task.key)}.json").resolve()
        return REPLAY + str(recording) if recording.is_file() else None
    if provider in LOCAL_PATHS and where.exists():
        return f"{provider}:{where.resolve()}"
    return model


def cell_for(task: Task, settings: Settings, model: str) -> str:
    """Return the ``%%autogpt`` cell that runs ``task``: options on the first line, the goal as its body."""
    options: list[Any] = ["--model", model, "--max-steps", settings.max_steps, "--max-time", settings.timeout]
    if settings.base_url:
        options += ["--base-url", settings.base_url]
    if settings.temperature is not None:
        options += ["--temperature", settings.temperature]
    if settings.device:
        options += ["--device", settings.device]
    line = " ".join(shlex.quote(str(o)) for o in options)
    return f"%%autogpt {line} --no-cells\n{goal_of(task)}"


def run_task(task: Task, settings: Settings, kernels: Kernels | None = None) -> TaskResult:
    """Run ``task`` in a fresh kernel in a scratch folder holding its table, and score the answer."""
    started = time.monotonic()
    model = model_for(task, settings.model)
    if model is None:
        where = Path(settings.model[len(REPLAY) :]) / f"{_safe(task.key)}.json"
        return TaskResult(task, score("", task.labels), failure=f"no recording {where}")
    scratch = Path(tempfile.mkdtemp(prefix=f"autogpt-eval-{_safe(task.key)}-"))
    try:
        workdir = scratch / "work"
        workdir.mkdir()
        shutil.copyfile(task.table, workdir / task.file_name)
        transcript = settings.transcripts / f"{_safe(task.key)}.json" if settings.transcripts else None
        outcome = run_cell(
            cell_for(task, settings, model), workdir, timeout=settings.timeout + GRACE_SECONDS,
            kernels=kernels or Kernels(), kernel_name=settings.kernel, transcript=transcript,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return _result(task, settings, outcome, time.monotonic() - started)


def _result(task: Task, settings: Settings, outcome: CellOutcome, wall: float) -> TaskResult:
    record = outcome.record or {}
    verdict = score(str(record.get("answer") or ""), task.labels, settings.tolerance)
    return TaskResult(
        task, verdict,
        status=record.get("status"),
        steps=int(record.get("steps") or 0),
        prompt_tokens=int(record.get("prompt_tokens") or 0),
        completion_tokens=int(record.get("completion_tokens") or 0),
        tokens_estimated=bool(record.get("tokens_estimated")),
        cost=record.get("cost", 0.0) if record else 0.0,
        seconds=float(record.get("seconds") or 0.0),
        wall_seconds=round(wall, 3),
        answer=str(record.get("answer") or ""),
        failure=_redacted(_failure(outcome, verdict, settings.timeout)),
        refused=outcome.refused,
    )


def _failure(outcome: CellOutcome, verdict: Score, timeout: float) -> str | None:
    """Return why the task failed, the most basic cause first, or ``None`` when the answer is right."""
    record = outcome.record
    if outcome.lost:
        return outcome.lost + (f" ({outcome.log.splitlines()[-1]})" if outcome.log else "")
    if record is None:
        return "the run could not start: " + (outcome.error or "no run was recorded")
    if outcome.timed_out:
        return f"timed out after {timeout:g}s and was interrupted at step {record.get('steps')}"
    status, error = record.get("status"), record.get("error")
    if status != "finished":
        return f"{status}: {error}" if error else str(status)
    if outcome.error:
        return "the cell failed after the run: " + outcome.error
    return verdict.reason


def _redacted(text: str | None) -> str | None:
    # A kernel's log or a server's error may quote a key; the progress bar and the table show this text.
    return redact(text) if text else text


def run_all(
    tasks: Sequence[Task], settings: Settings, jobs: int = 1, on_done: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Run ``tasks`` on ``jobs`` kernels at once and return their results in the tasks' order.

    ``on_done`` is called in this thread as each task ends (the progress bar).

    Raises
    ------
    RunRefused
        When ``%%autogpt`` refuses to start a run before any task has run (bad options, no API key).
    Interrupted
        On Ctrl-C, after stopping the running kernels; it carries the tasks finished so far.
    """
    kernels = Kernels()
    done: dict[int, TaskResult] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="autogpt-eval")
    pending: dict[Future[TaskResult], int] = {
        pool.submit(_guarded, task, settings, kernels): i for i, task in enumerate(tasks)
    }
    try:
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                result = future.result()
                if result.refused and not any(not r.refused for r in done.values()):
                    raise RunRefused(result.failure or "the run could not start")
                done[index] = result
                if on_done is not None:
                    on_done(result)
    except RunRefused:
        kernels.cancel()
        raise
    except KeyboardInterrupt:
        kernels.cancel()
        raise Interrupted([done[i] for i in sorted(done)]) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [done[i] for i in sorted(done)]


def _guarded(task: Task, settings: Settings, kernels: Kernels) -> TaskResult:
    if kernels.cancelled.is_set():
        return TaskResult(task, score("", task.labels), failure="cancelled")
    return run_task(task, settings, kernels)


def _safe(key: str) -> str:
    """Return ``key`` usable in a file name (DABench ids are numbers; other sets may use any text)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key) or "task"
