"""What happened during a run, in order. The agent loop yields these; renderers consume them.

Standard library only. Names are in the past tense.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from .context import RunContext
from .plan import Plan
from .types import Observation, Run, RunConfig, Step, Usage

__all__ = [
    "CodeExecuted",
    "CodeProposed",
    "Event",
    "FinalAnswer",
    "ModelDelta",
    "ModelReplied",
    "Noticed",
    "PlanUpdated",
    "RunFinished",
    "RunStarted",
    "StepFinished",
    "StepStarted",
]


@dataclass(frozen=True)
class RunStarted:
    """A run began; ``context`` is the conversation around it (the thread it continues, instructions)."""

    run_id: str
    goal: str
    model: str
    config: RunConfig
    started_at: float
    context: RunContext = field(default_factory=RunContext)


@dataclass(frozen=True)
class StepStarted:
    index: int
    max_steps: int


@dataclass(frozen=True)
class ModelDelta:
    """A piece of the model's reply as it streams in."""

    index: int
    text: str


@dataclass(frozen=True)
class ModelReplied:
    """The model's whole reply for a step, and what it cost."""

    index: int
    text: str
    usage: Usage
    total_usage: Usage
    seconds: float


@dataclass(frozen=True)
class CodeProposed:
    """The code the loop is about to run; ``flags`` are the risks static analysis found."""

    index: int
    code: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodeExecuted:
    index: int
    code: str
    observation: Observation


@dataclass(frozen=True)
class StepFinished:
    step: Step


@dataclass(frozen=True)
class Noticed:
    """Something worth telling the user that is not a step: a retry, a corrective re-ask, a budget warning.

    ``level`` is "info", "warning" or "retry". A "retry" means the loop asks the model again for the same
    step: renderers drop the text streamed for that step so far (``ModelDelta`` starts over).
    """

    index: int
    message: str
    level: Literal["info", "warning", "retry"] = "info"


@dataclass(frozen=True)
class PlanUpdated:
    """The plan changed: the model wrote or revised it, the user edited it, or a finished step ticked an item.

    ``index`` is the step it happened in; ``plan`` is the whole new version (``revision`` grows when the items
    themselves changed, not when one was ticked).
    """

    index: int
    plan: Plan


@dataclass(frozen=True)
class FinalAnswer:
    answer: object
    text: str


@dataclass(frozen=True)
class RunFinished:
    run: Run


Event = Union[
    RunStarted,
    StepStarted,
    ModelDelta,
    ModelReplied,
    CodeProposed,
    CodeExecuted,
    StepFinished,
    Noticed,
    PlanUpdated,
    FinalAnswer,
    RunFinished,
]
