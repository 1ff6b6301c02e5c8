"""The record of a run in progress, and the conversation its next request is built from.

``RunState`` is the loop's working record (what happened so far, how it ends); ``freeze`` turns it into the
frozen ``Run``. ``Conversation`` is what the model is sent: the system prompt, the first message, the steps,
any corrective messages, within a character budget that halves once after a context overflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..context import RunContext
from ..limits import RUN_ERROR_CHARS, clip, cut_middle, overflow_message_chars
from ..prompts import build_messages
from ..redaction import redact
from ..types import Message, Run, RunConfig, RunStatus, Step, Usage
from .planning import Planning

__all__ = ["Conversation", "RunState", "internal_error", "one_line"]

#: Where an internal error's traceback goes (``logging.getLogger("jupyter_autogpt")``), never into the cell.
LOGGER = "jupyter_autogpt"


def one_line(text: str, limit: int = RUN_ERROR_CHARS) -> str:
    """Return ``text`` on one line (whitespace runs, newlines included, become one space), clipped to ``limit``."""
    return clip(" ".join(text.split()), limit)


def internal_error(exc: BaseException) -> str:
    """Return the run's error for a bug (ours or a backend's): its type and first line, and where the rest is."""
    lines = str(exc).strip().splitlines()
    said = f": {lines[0]}" if lines else ""
    return one_line(f"internal error: {type(exc).__name__}{said}", RUN_ERROR_CHARS - 80) + (
        f" (a bug: the traceback is in the {LOGGER!r} log)")


@dataclass
class Conversation:
    """The messages of the next request: built from the steps within ``budget`` characters.

    Attributes
    ----------
    correction
        Messages added after the history for one request (a corrective re-ask); cleared once a reply came.
    compacted
        Set after a context overflow: the budget was halved and every message but the system prompt is cut.
    """

    system: str
    first: Message
    budget: int
    vision: bool = False
    correction: list[Message] = field(default_factory=list)
    compacted: bool = False

    def messages(self, steps: list[Step]) -> list[Message]:
        """Return the request for the next reply, given the steps so far."""
        messages = build_messages(self.system, self.first, steps, self.budget, self.vision)
        messages += self.correction
        if self.compacted:  # after a context overflow even the newest step and the overview are cut
            limit = overflow_message_chars(self.budget)
            messages = [m if m.role == "system" else replace(m, content=cut_middle(m.content, limit)) for m in messages]
        return messages

    def compact(self) -> bool:
        """Halve the budget and cut every message, once; return False when that was already done."""
        if self.compacted:
            return False
        self.compacted, self.budget = True, self.budget // 2
        return True


@dataclass
class RunState:
    """The mutable record of a run in progress; ``freeze`` turns it into a ``Run``."""

    run_id: str
    goal: str
    config: RunConfig
    started: float
    started_wall: float
    steps: list[Step] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    requests: int = 0
    status: RunStatus = "failed"
    answer: Any = None
    error: str | None = None
    context: RunContext = field(default_factory=RunContext)
    planning: Planning = field(default_factory=Planning)

    def end(self, status: RunStatus, error: str | None = None, answer: Any = None) -> None:
        """Record how the run ends."""
        self.status, self.error, self.answer = status, error, answer

    def replied(self, messages: list[Message], text: str, usage: Usage) -> None:
        """Count one complete reply: its request, its usage and the messages that produced it."""
        self.requests += 1
        self.usage = self.usage + usage
        self.messages = [*messages, Message("assistant", text)]

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
            error=one_line(redact(self.error)) if self.error else None,
            messages=tuple(self.messages),
            context=self.context,
            plan=self.planning.plan,
        )
