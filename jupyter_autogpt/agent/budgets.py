"""The budgets a run is held to besides ``--max-steps`` (which the loop counts): tokens, time and cost.

Each budget raises ``BudgetExceeded`` when it runs out, and the run ends with status ``max_steps`` and an
error naming the budget. The token and time budgets also bound a single reply and a single step. The repeat
detector ends a run whose model keeps proposing the same failing code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import BudgetExceeded, ModelBehaviourError
from ..models.base import estimate_usage
from ..pricing import estimate_cost
from ..types import Message, RunConfig, Step, Usage

__all__ = ["DEFAULT_REPLY_TOKENS", "MAX_REPEATS", "Budgets", "check_repeats"]

#: Failing steps with the same code in a row that end a run.
MAX_REPEATS = 3
#: The smallest default reply length of the shipped backends (transformers: 1024 new tokens; OpenAI: the
#: model's own maximum). The rest of a ``--max-tokens`` budget caps a reply only below it, so the cap never
#: raises a backend's default.
DEFAULT_REPLY_TOKENS = 1024


@dataclass(frozen=True)
class Budgets:
    """The token, time and cost budgets of one run (``config``) that started at ``started`` (monotonic)."""

    config: RunConfig
    model_id: str
    started: float

    def check(self, usage: Usage, now: float) -> None:
        """Raise ``BudgetExceeded`` when the token, time or cost budget is used up."""
        cfg = self.config
        if cfg.max_tokens is not None and usage.total_tokens >= cfg.max_tokens:
            raise BudgetExceeded(f"token budget used up ({usage.total_tokens:,} of {cfg.max_tokens:,})")
        elapsed = now - self.started
        if cfg.max_time is not None and elapsed >= cfg.max_time:
            raise BudgetExceeded(f"time budget used up ({elapsed:.0f}s of {cfg.max_time:g}s)")
        cost = estimate_cost(self.model_id, usage) if cfg.max_cost is not None else None
        if cfg.max_cost is not None and cost is not None and cost >= cfg.max_cost:
            raise BudgetExceeded(f"cost budget used up (about ${cost:.4f} of ${cfg.max_cost:g}, from list prices)")

    def priced(self) -> bool:
        """Return whether ``--max-cost`` can be enforced (the model's price is known)."""
        return estimate_cost(self.model_id, Usage()) is not None

    def reply_cap(self, usage: Usage, messages: list[Message]) -> int | None:
        """Return the rest of the token budget as a cap on the reply, where it is below the backends' defaults."""
        if self.config.max_tokens is None:
            return None
        prompt = estimate_usage(messages, "").prompt_tokens
        left = max(1, self.config.max_tokens - usage.total_tokens - prompt)
        return left if left < DEFAULT_REPLY_TOKENS else None

    def time_left(self, now: float) -> float | None:
        """Return the seconds left of ``--max-time`` (never below 0), or ``None`` without a time budget."""
        if self.config.max_time is None:
            return None
        return max(0.0, self.config.max_time - (now - self.started))

    def check_wait(self, now: float) -> None:
        """Raise ``BudgetExceeded`` when the time budget ran out while the run waited for the model."""
        left = self.time_left(now)
        if left is not None and left <= 0:
            raise BudgetExceeded(f"time budget used up ({self.config.max_time:g}s) while waiting for the model")

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
