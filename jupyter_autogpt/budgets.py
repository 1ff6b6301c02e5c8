"""The record of a run in progress and the budgets it is held to (steps aside: the loop counts those).

``RunState`` is the loop's mutable working record; ``freeze`` turns it into the frozen ``Run``. Budgets
(tokens, time, cost) and the repeat detector raise the errors that end a run; the token and time budgets
also bound a single reply and a single step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import BudgetExceeded, ModelBehaviourError
from .models.base import estimate_usage
from .pricing import estimate_cost
from .redaction import redact
from .types import Message, Run, RunConfig, RunStatus, Step, Usage

__all__ = ["DEFAULT_REPLY_TOKENS", "MAX_REPEATS", "RunState", "check_repeats"]

#: Failing steps with the same code in a row that end a run.
MAX_REPEATS = 3
#: The smallest default reply length of the shipped backends (transformers: 1024 new tokens; OpenAI: the
#: model's own maximum). The rest of a ``--max-tokens`` budget caps a reply only below it, so the cap never
#: raises a backend's default.
DEFAULT_REPLY_TOKENS = 1024


@dataclass
class RunState:
    """The mutable record of a run in progress; ``freeze`` turns it into a ``Run``."""

    run_id: str
    goal: str
    config: RunConfig
    started: float
    started_wall: float
    messages: list[Message] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    requests: int = 0
    status: RunStatus = "failed"
    answer: Any = None
    error: str | None = None
    budget: int = 24_000
    compacted: bool = False
    prose_reasked: bool = False
    users: frozenset[str] = frozenset()
    correction: list[Message] = field(default_factory=list)

    def freeze(self, model_id: str, duration: float) -> Run:
        return Run(
            goal=self.goal,
            model=model_id,
            status=self.status,
            steps=tuple(self.steps),
            answer=self.answer,
            usage=self.usage,
            id=self.run_id,
            config=self.config,
            started_at=self.started_wall,
            duration=duration,
            error=redact(self.error) if self.error else None,
            messages=tuple(self.messages),
        )

    def check_budgets(self, model_id: str, now: float) -> None:
        """Raise ``BudgetExceeded`` when the token, time or cost budget is used up."""
        cfg = self.config
        if cfg.max_tokens is not None and self.usage.total_tokens >= cfg.max_tokens:
            raise BudgetExceeded(f"token budget used up ({self.usage.total_tokens:,} of {cfg.max_tokens:,})")
        elapsed = now - self.started
        if cfg.max_time is not None and elapsed >= cfg.max_time:
            raise BudgetExceeded(f"time budget used up ({elapsed:.0f}s of {cfg.max_time:g}s)")
        cost = estimate_cost(model_id, self.usage) if cfg.max_cost is not None else None
        if cfg.max_cost is not None and cost is not None and cost >= cfg.max_cost:
            raise BudgetExceeded(f"cost budget used up (about ${cost:.4f} of ${cfg.max_cost:g}, from list prices)")

    def reply_cap(self, messages: list[Message]) -> int | None:
        """Return the rest of the token budget as a cap on the reply, where it is below the backends' defaults."""
        if self.config.max_tokens is None:
            return None
        prompt = estimate_usage(messages, "").prompt_tokens
        left = max(1, self.config.max_tokens - self.usage.total_tokens - prompt)
        return left if left < DEFAULT_REPLY_TOKENS else None

    def step_timeout(self, now: float) -> float | None:
        """Return the seconds one step may run: ``--timeout``, cut to what is left of ``--max-time``."""
        timeout = self.config.timeout
        if self.config.max_time is None:
            return timeout
        left = self.config.max_time - (now - self.started)
        if left <= 0:
            raise BudgetExceeded(f"time budget used up ({self.config.max_time:g}s) before the step's code ran")
        return left if timeout is None else min(timeout, left)


def check_repeats(steps: Sequence[Step]) -> None:
    """Raise ``ModelBehaviourError`` when the last ``MAX_REPEATS`` steps ran the same failing code."""
    tail = steps[-MAX_REPEATS:]
    if len(tail) == MAX_REPEATS and all(s.error and s.code == tail[0].code for s in tail):
        raise ModelBehaviourError(
            f"the model proposed the same failing code {MAX_REPEATS} times in a row; "
            "try a clearer goal or another model"
        )
