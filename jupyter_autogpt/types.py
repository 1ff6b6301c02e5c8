"""Values shared by every layer: messages, usage, observations, steps and runs.

Standard library only. Everything here is a frozen dataclass so events can carry it safely to renderers.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from . import answers, safe_markdown
from .context import RunContext
from .limits import HISTORY_CELLS
from .plan import Plan

__all__ = [
    "Decision",
    "GenerationSettings",
    "ImageData",
    "Message",
    "Observation",
    "Policy",
    "Run",
    "RunConfig",
    "RunStatus",
    "Step",
    "Usage",
]

Role = Literal["system", "user", "assistant"]
RunStatus = Literal["finished", "max_steps", "interrupted", "failed"]
RUN_STATUSES: tuple[RunStatus, ...] = ("finished", "max_steps", "interrupted", "failed")
#: When to ask before a step runs: never, only for steps the risk policy flags, or always.
Policy = Literal["auto", "ask-risky", "ask-all"]


@dataclass(frozen=True)
class ImageData:
    """An image produced by a step (a matplotlib figure, a displayed PNG), base64-encoded."""

    mime: str
    data: str


@dataclass(frozen=True)
class Message:
    """One chat message; ``images`` are sent only to models that accept them."""

    role: Role
    content: str
    images: tuple[ImageData, ...] = ()


@dataclass(frozen=True)
class Usage:
    """Tokens spent; ``estimated`` is True when a count was guessed from characters, not reported."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True)
class GenerationSettings:
    """How a backend should sample one reply. ``None`` means the backend's default.

    ``time_limit`` is how many seconds the whole reply may take (the loop passes what is left of ``--max-time``):
    a backend stops waiting when it runs out and raises ``ModelBackendError``, however the server or the local
    model behaves (stalled, trickling keep-alives, retrying).
    """

    temperature: float | None = None
    top_p: float | None = None
    max_new_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    time_limit: float | None = None


@dataclass(frozen=True)
class RunConfig:
    """The settings of one run, as the magic parsed them."""

    model: str = "openai:gpt-4o-mini"
    max_steps: int = 10
    timeout: float | None = None
    max_time: float | None = None
    base_url: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    context_chars: int = 12_000
    focus: tuple[str, ...] = ()
    vision: bool = False
    explain: bool = False
    approve: bool = False
    policy: Policy = "auto"
    insert_cells: bool = True
    continue_from: str | None = None
    continue_runs: bool = False
    new: bool = False
    history: int = HISTORY_CELLS
    instructions: str = ""
    instructions_file: str = "AGENTS.md"
    plan_review: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-compatible values (never holds a secret)."""
        data = dataclasses.asdict(self)
        data["focus"] = list(self.focus)
        return data


@dataclass(frozen=True)
class Observation:
    """What executing one step's code produced, as captured from the kernel.

    ``displays`` are rich display bundles (mime type -> data); ``result`` is the last expression's plain text.
    The model sees ``Step.output``, a bounded rendering of these parts.
    """

    stdout: str = ""
    stderr: str = ""
    result: str | None = None
    displays: tuple[dict[str, Any], ...] = ()
    images: tuple[ImageData, ...] = ()
    error: str | None = None
    error_name: str | None = None
    duration: float = 0.0
    answered: bool = False
    answer: Any = None
    changed: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Step:
    """One turn of the loop: the model's reply, the code it proposed, and what running it gave."""

    index: int
    reply: str
    code: str | None = None
    output: str = ""
    error: str | None = None
    observation: Observation | None = None
    usage: Usage = Usage()
    model_seconds: float = 0.0
    exec_seconds: float = 0.0
    skipped: bool = False
    feedback: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """An approver's answer to a proposed step: run it (maybe edited), skip it, or stop the run."""

    action: Literal["run", "skip", "stop"]
    code: str | None = None
    feedback: str | None = None


@dataclass(frozen=True)
class Run:
    """A finished (or stopped) agent run. The cell returns it; ``last_run()`` gives the latest.

    ``status`` is one of four values:

    * ``"finished"``: the model gave an answer (``answer``).
    * ``"max_steps"``: a budget ran out — the step budget (``--max-steps``) or the token, time or cost
      budget (``--max-tokens``, ``--max-time``, ``--max-cost``); ``error`` says which, e.g.
      ``"cost budget used up (about $0.0102 of $0.01, from list prices)"``.
    * ``"interrupted"``: the user stopped it (kernel interrupt, the Stop button, an approval's stop).
    * ``"failed"``: the model backend, the model's behaviour or our own code failed; ``error`` says how.

    The answer is shown (``repr``, Markdown, ``answer_text``) with secrets redacted and bounded
    (``answers.answer_text``, computed once per run); ``answer`` itself is the object the model's code produced.

    ``context`` is the conversation around the run (the thread it continues, ``parent`` the id of the run it
    continued; the user's recent cells; standing instructions), ``plan`` the last version of its plan.
    """

    goal: str
    model: str
    status: RunStatus
    steps: tuple[Step, ...] = ()
    answer: Any = None
    usage: Usage = Usage()
    id: str = ""
    config: RunConfig = field(default_factory=RunConfig)
    started_at: float = field(default_factory=time.time)
    duration: float = 0.0
    error: str | None = None
    messages: tuple[Message, ...] = ()
    context: RunContext = field(default_factory=RunContext)
    plan: Plan | None = None

    @property
    def parent(self) -> str | None:
        """Return the id of the run this one continued (``--continue``), or ``None`` for a fresh run."""
        return self.context.thread.parent

    @property
    def code(self) -> str:
        """Return the code of every executed step, joined as one script."""
        return "\n\n".join(s.code for s in self.steps if s.code and not s.skipped)

    def summary(self) -> str:
        """Return a one-line summary: status, steps, tokens and time.

        A budget stop names its budget next to the status: ``max_steps (cost budget used up …) · 3 steps · …``.
        """
        n = len(self.steps)
        approx = "~" if self.usage.estimated else ""
        status = f"{self.status} ({self.error})" if self.status == "max_steps" and self.error else self.status
        line = (
            f"{status} · {n} step{'s' if n != 1 else ''} · "
            f"{approx}{self.usage.prompt_tokens:,} in / {approx}{self.usage.completion_tokens:,} out tokens · "
            f"{self.duration:.1f}s · {self.model}"
        )
        return line + (f" · {self.error}" if self.error and status == self.status else "")

    def answer_text(self) -> str:
        """Return the answer as text, secrets redacted and bounded: a string cut in the middle, else a short repr."""
        return self._answer_text

    @cached_property
    def _answer_text(self) -> str:  # every view and export reads this: the repr is built once, not per reader
        return answers.answer_text(self.answer)

    @property
    def answer_is_text(self) -> bool:
        """Return whether the answer is a string (decided by its type: a hostile ``__class__`` is never read)."""
        return issubclass(type(self.answer), str)

    def __repr__(self) -> str:
        answer = self.answer_text()
        short = answer if len(answer) <= 200 else answer[:197] + "..."
        return f"<Run {self.summary()}" + (f": {short}" if short else "") + ">"

    def _repr_markdown_(self) -> str:
        """Return the answer and the summary as Markdown that renders model text as text (``safe_markdown``)."""
        text = self.answer_text()
        if not text:
            answer = "_(no answer)_"
        elif self.answer_is_text:
            answer = safe_markdown.inert(text)
        else:
            answer = safe_markdown.fence(text).strip("\n")
        return f"{answer}\n\n<sub>{safe_markdown.literal(self.summary())}</sub>"
