"""Learn from your own runs: tasks a teacher model proposes about your dataframes, run and verified.

::

    from jupyter_autogpt import learn
    report = learn.generate({"sales": sales}, teacher="openai:gpt-4o", n=20, output="learn/")
    report.dataset.train          # learn/runs.jsonl: the verified runs as fine-tuning data

Then ``python -m jupyter_autogpt.finetune BASE learn/runs.jsonl --output adapter/``. A run counts as verified
when it finished and its answer agrees with what the teacher's own check code computes on a fresh copy of
the data (``learn.verify`` says when answers agree). The agent runs in throwaway kernels, never in yours.
``learn.gain`` compares models on held-out tasks with the accuracy harness. Importing this is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Task", "generate", "propose"]

if TYPE_CHECKING:
    from .generation import GenerationReport
    from .tasks import Task


def generate(frames: Any, teacher: Any, **options: Any) -> GenerationReport:
    """Propose questions about ``frames``, run them through the agent, export the verified runs (``generate``)."""
    from .generation import generate as _generate

    return _generate(frames, teacher, **options)


def propose(frames: Any, teacher: Any, n: int = 10, **options: Any) -> list[Task]:
    """Ask ``teacher`` (a backend) for ``n`` questions about ``frames`` with check code (``tasks.propose``)."""
    from .tasks import propose as _propose

    return _propose(frames, teacher, n, **options)


def __getattr__(name: str) -> Any:
    if name == "Task":
        from .tasks import Task

        return Task
    raise AttributeError(name)
